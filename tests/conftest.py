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


def _inputs_do_not_blink() -> None:
    """A focused Input's cursor blinks every 0.5 s; a snapshot taken a moment later or earlier
    (a loaded 2-core machine) catches the other phase. Tests see a steady cursor."""
    from textual.reactive import reactive
    from textual.widgets import Input

    steady = reactive(False, init=False)
    Input.cursor_blink = steady  # type: ignore[assignment]
    steady.__set_name__(Input, "cursor_blink")


_inputs_do_not_blink()
