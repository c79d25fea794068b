"""Shared test setup: deterministic terminals and a seeded store builder."""

from __future__ import annotations

import os
import time

# Snapshot SVGs lose their colours under NO_COLOR (stack-measurements.md §1).
os.environ.pop("NO_COLOR", None)
os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")
# The screens show the store's UTC timestamps in local time; snapshots need one fixed zone.
os.environ["TZ"] = "UTC"
time.tzset()
