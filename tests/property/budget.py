"""The property suite's example budget: one place that says how many cases each test gets.

Why: CI must run at least 10 000 generated cases in total and still finish in about a minute, and
`HYPOTHESIS_PROFILE=soak` must run ten times as many. Each test declares its share with
`@budget(n)` (placed *below* `@given`); the share is multiplied by the profile's scale, and every
call of the test body is counted so the run can print what it actually executed.
"""

from __future__ import annotations

import functools
import importlib
import math
import os
import pkgutil
from collections import Counter
from collections.abc import Callable
from typing import Any, Final

from hypothesis import HealthCheck, settings

#: The CI floor for the sum of all declared budgets (tests/property/test_budget.py checks it).
CI_MIN_CASES: Final = 10_000

_COMMON: Final = {
    "deadline": None,  # no timing assertions: the machine is shared
    "database": None,  # nothing remembered between runs; a failure reproduces from the seed
    "print_blob": True,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.filter_too_much],
}
# CI: derandomized, so the same cases run every time and a failure reproduces exactly.
settings.register_profile("ci", derandomize=True, **_COMMON)
# Soak: ten times the cases, a fresh random draw each run (a failure prints its reproduce blob).
settings.register_profile("soak", derandomize=False, **_COMMON)

PROFILE: Final = os.environ.get("HYPOTHESIS_PROFILE", "ci")
if PROFILE not in ("ci", "soak"):
    raise RuntimeError(f"HYPOTHESIS_PROFILE must be 'ci' or 'soak', not {PROFILE!r}")
settings.load_profile(PROFILE)
SCALE: Final = 10 if PROFILE == "soak" else 1

#: test id -> declared examples (at scale 1); test id -> bodies actually run this session.
DECLARED: dict[str, int] = {}
RAN: Counter[str] = Counter()


def budget(n: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Give a property test `n` examples (× the profile's scale) and count the ones it runs."""

    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        name = f"{fn.__module__.rsplit('.', 1)[-1]}::{fn.__name__}"
        DECLARED[name] = n

        @functools.wraps(fn)
        def counted(*args: Any, **kwargs: Any) -> Any:
            RAN[name] += 1
            return fn(*args, **kwargs)

        return settings(max_examples=n * SCALE)(counted)

    return wrap


def declared_cases() -> dict[str, int]:
    """Test name -> examples it is given at scale 1, over all its parametrizations."""
    import tests.property as package

    out: dict[str, int] = {}
    for info in pkgutil.iter_modules(package.__path__):
        if not info.name.startswith("test_"):
            continue
        module = importlib.import_module(f"tests.property.{info.name}")
        for attr, fn in vars(module).items():
            key = f"{info.name}::{attr}"
            if key not in DECLARED:
                continue
            marks = [m for m in getattr(fn, "pytestmark", []) if m.name == "parametrize"]
            out[key] = DECLARED[key] * math.prod(len(m.args[1]) for m in marks)
    return out
