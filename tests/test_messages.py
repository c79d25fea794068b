"""Typed wiring: every engine event has its Textual message, and screens find nothing by name."""

from __future__ import annotations

import re
import typing
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from tui_crm import messages
from tui_crm.sync import events

ROOT = Path(__file__).resolve().parents[1] / "tui_crm"


def _sample(cls: type) -> object:
    """An instance of an event class with placeholder values for its fields."""
    values = {"at": datetime(2026, 11, 30, 12, 0), "amount": Decimal(1), "ok": True}
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for name, hint in hints.items():
        if name in values:
            kwargs[name] = values[name]
        elif "str" in str(hint) and "tuple" not in str(hint):
            kwargs[name] = "x"
        elif "tuple" in str(hint):
            kwargs[name] = ()
    return cls(**kwargs)


def test_every_engine_event_has_its_message_of_the_same_name() -> None:
    event_classes = typing.get_args(events.SyncEvent)
    assert len(event_classes) == 7
    for cls in event_classes:
        message = messages.message_for(_sample(cls))  # type: ignore[arg-type]
        assert type(message).__name__ == cls.__name__
        assert isinstance(message, messages.EngineMessage) and isinstance(message.event, cls)
        assert message.bubble is False  # each screen gets its own copy


def test_live_row_bursts_merge() -> None:
    first = messages.message_for(_sample(events.LiveRowsUpdated))  # type: ignore[arg-type]
    second = messages.message_for(_sample(events.LiveRowsUpdated))  # type: ignore[arg-type]
    other = messages.message_for(_sample(events.OrdersUpdated))  # type: ignore[arg-type]
    assert first.can_replace(second) and not first.can_replace(other)


def test_screens_and_app_look_nothing_up_by_name() -> None:
    """getattr/hasattr/setattr on names, or matching a class name, hide coupling from the type
    checker and the layer test (issue: screens wired by strings)."""
    offenders = []
    files = [*ROOT.joinpath("screens").glob("*.py"), *ROOT.joinpath("widgets").glob("*.py"),
             ROOT / "app.py", ROOT / "host.py", ROOT / "messages.py"]
    for path in files:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if re.search(r"\b(getattr|hasattr|setattr)\(|__name__\s*(==|!=|in\b)", line):
                offenders.append(f"{path.relative_to(ROOT.parent)}:{n}: {line.strip()}")
    assert offenders == []
