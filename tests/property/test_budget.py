"""The CI run of the property suite generates at least 10 000 cases (issue 9), and `soak` ten
times as many: the sum of the declared budgets, each times the test's parametrizations."""

from __future__ import annotations

from tests.property import budget
from tests.property.budget import declared_cases


def test_ci_runs_at_least_ten_thousand_generated_cases() -> None:
    cases = declared_cases()
    assert set(cases) == set(budget.DECLARED), "a budgeted test is not a module attribute"
    total = sum(cases.values())
    print(f"\nproperty suite: {total} generated cases at scale 1 ({len(cases)} tests)")
    assert total >= budget.CI_MIN_CASES, cases


def test_soak_is_ten_times_ci() -> None:
    assert (10 if budget.PROFILE == "soak" else 1) == budget.SCALE
