"""Property suite (hypothesis): profiles `ci` (default) and `soak` (HYPOTHESIS_PROFILE=soak)."""

from __future__ import annotations

from tests.property import budget


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if not budget.RAN:
        return
    total = sum(budget.RAN.values())
    terminalreporter.write_sep("-", f"hypothesis profile {budget.PROFILE!r}")
    for name, count in sorted(budget.RAN.items()):
        terminalreporter.write_line(f"{count:7d}  {name}")
    terminalreporter.write_line(
        f"{total:7d}  generated cases run in {len(budget.RAN)} property tests "
        f"(declared {sum(budget.declared_cases().values()) * budget.SCALE})"
    )
