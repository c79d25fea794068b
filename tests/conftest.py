"""Shared test setup: deterministic terminals and a seeded store builder."""

from __future__ import annotations

import os
import time

import pytest

# Textual drops colours under NO_COLOR, which would change every snapshot SVG.
os.environ.pop("NO_COLOR", None)
os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")
# The screens show the store's UTC timestamps in local time; snapshots need one fixed zone.
os.environ["TZ"] = "UTC"
time.tzset()
# English unless a test chooses otherwise: the interface and the shell commands read TUI_CRM_LANG
# (then the locale), and a developer's TUI_CRM_LANG=ru or ru_RU locale turned English assertions
# Russian. Subprocess helpers that drop TUI_CRM_* set it again.
os.environ["TUI_CRM_LANG"] = "en"


def _inputs_do_not_blink() -> None:
    """A focused Input's cursor blinks every 0.5 s; a snapshot taken a moment later or earlier
    (a loaded 2-core machine) catches the other phase. Tests see a steady cursor."""
    from textual.reactive import reactive
    from textual.widgets import Input

    steady = reactive(False, init=False)
    Input.cursor_blink = steady  # type: ignore[assignment]
    steady.__set_name__(Input, "cursor_blink")


_inputs_do_not_blink()


def _toasts_stay() -> None:
    """A toast leaves after 5 s of wall time; on a loaded machine a test that reads the toasts a
    few seconds after the keys (app._notifications) found the first one already gone. Tests see
    toasts that stay; the app's own timeouts are unchanged.

    That holds for the toasts given their own timeout too ("Line 1 deleted" stays 3 s): with two
    test runs and helpers on the 2 cores, the 80×24 discard-dialog snapshot was taken after the
    toast had left, and failed on a screen that was right."""
    import functools

    from textual.app import App

    App.NOTIFICATION_TIMEOUT = 3600
    notify = App.notify

    @functools.wraps(notify)
    def notify_staying(self: App, message: str, **kwargs: object) -> None:
        if kwargs.get("timeout") is not None:
            kwargs["timeout"] = 3600
        notify(self, message, **kwargs)  # type: ignore[arg-type]

    App.notify = notify_staying  # type: ignore[method-assign]


_toasts_stay()


@pytest.fixture(autouse=True)
def _english_until_chosen() -> None:
    """Every test starts in English: a test that switched the process's language (screens,
    problems, the shell commands' strings) must not leave the next one Russian."""
    from tui_crm.i18n import set_language

    set_language("en")


# Opt-in "year-ahead" run: TUI_CRM_TEST_TIME_SHIFT_DAYS=365 moves the process's wall clock that
# many days ahead (still ticking) for the whole session. Tests run on an injected clock
# (tests/clock.py), so a test that still reads the wall clock beside a fixed date fails here
# instead of on the day the calendar catches up with it. CI runs the suite both ways (.ci/run).
_SHIFT_ENV = "TUI_CRM_TEST_TIME_SHIFT_DAYS"
_traveller = None


def pytest_configure(config) -> None:
    global _traveller
    days = os.environ.get(_SHIFT_ENV, "").strip()
    if not days:
        return
    from datetime import UTC, datetime, timedelta

    import time_machine

    _traveller = time_machine.travel(datetime.now(UTC) + timedelta(days=float(days)), tick=True)
    _traveller.start()


def pytest_unconfigure(config) -> None:
    global _traveller
    if _traveller is not None:
        _traveller.stop()
        _traveller = None


def pytest_report_header(config) -> str | None:
    days = os.environ.get(_SHIFT_ENV, "").strip()
    if not days:
        return None
    from datetime import datetime

    return f"{_SHIFT_ENV}={days}: wall clock moved ahead, now {datetime.now():%Y-%m-%d %H:%M}"
