"""The clock tests run on: a fixed calendar instant that still moves forward with real time.

Why not the wall clock: the engine's windows ("orders made in 1C since two days before the last
look") and the screens' ages ("as of 12 s ago") compare stored dates with "now"; a test that
saves a fixed date while the engine reads the wall clock breaks on the day the window moves past
it. Why not a frozen instant: durations (timeouts, backoff, "sent 3 s ago") must still grow.

Every store a test opens gets one (`Store.open(path, clock=TestClock())`); the sync engine and
the app take "now" from the store, so one test has one notion of now.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

START = datetime(2026, 11, 30, 12, 0, 0)


class TestClock:
    """Naive-UTC "now": `start` plus the real time elapsed since creation, plus `advance()`s."""

    __test__ = False  # not a test class, whatever pytest thinks of the name

    def __init__(self, start: datetime = START) -> None:
        self.start = start
        self.offset = timedelta(0)
        self._t0 = time.monotonic()

    def __call__(self) -> datetime:
        return self.start + self.offset + timedelta(seconds=time.monotonic() - self._t0)

    def advance(self, **delta: float) -> None:
        """Jump ahead (e.g. `advance(days=3)`) without waiting."""
        self.offset += timedelta(**delta)
