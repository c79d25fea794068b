"""The CI run of the property suite generates at least 10 000 cases (issue 9), and `soak` ten
times as many: the sum of the declared budgets, each times the test's parametrizations."""

from __future__ import annotations

import importlib
import math
import pkgutil

import tests.property
from tests.property import budget


def declared_cases() -> dict[str, int]:
    """Test name -> examples it is given at scale 1, over all its parametrizations."""
    out: dict[str, int] = {}
    for info in pkgutil.iter_modules(tests.property.__path__):
        if not info.name.startswith("test_"):
            continue
        module = importlib.import_module(f"tests.property.{info.name}")
        for attr, fn in vars(module).items():
            key = f"{info.name}::{attr}"
            if key not in budget.DECLARED:
                continue
            marks = [m for m in getattr(fn, "pytestmark", []) if m.name == "parametrize"]
            variants = math.prod(len(m.args[1]) for m in marks)
            out[key] = budget.DECLARED[key] * variants
    return out


def test_ci_runs_at_least_ten_thousand_generated_cases() -> None:
    cases = declared_cases()
    assert set(cases) == set(budget.DECLARED), "a budgeted test is not a module attribute"
    total = sum(cases.values())
    print(f"\nproperty suite: {total} generated cases at scale 1 ({len(cases)} tests)")
    assert total >= budget.CI_MIN_CASES, cases


def test_soak_is_ten_times_ci() -> None:
    assert (10 if budget.PROFILE == "soak" else 1) == budget.SCALE
