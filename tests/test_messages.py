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


async def test_one_engine_event_reaches_each_screen_once(tmp_path) -> None:
    """The app subscribes to the engine once (Textual runs every class's on_mount; a second
    subscription would toast every push twice)."""
    from datetime import datetime as dt

    from tests.clock import TestClock
    from tui_crm.app import CrmApp
    from tui_crm.domain.custom import CustomFieldSet
    from tui_crm.store import Store
    from tui_crm.sync.events import PushFinished

    class Engine:
        """Only what the app calls at mount and unmount (no accounting in this test)."""

        def __init__(self) -> None:
            self.subscribers: list = []

        def subscribe(self, callback):
            self.subscribers.append(callback)
            return lambda: self.subscribers.remove(callback)

        async def aclose(self) -> None:
            pass

    store = Store.open(tmp_path / "crm.duckdb", clock=TestClock())
    engine = Engine()
    app = CrmApp(store, engine, autosync=False, live_clock=False,  # type: ignore[arg-type]
                 custom_fields=CustomFieldSet())
    try:
        async with app.run_test(size=(100, 30), notifications=True) as pilot:
            await pilot.pause()
            assert len(engine.subscribers) == 1
            engine.subscribers[0](PushFinished(dt(2026, 11, 30, 12, 0), failed=(("client", "x", "КПП неверен"),)))
            await pilot.pause(0.3)
            await app.workers.wait_for_complete()
            await pilot.pause()
            toasts = [n.message for n in app._notifications]
            assert len([t for t in toasts if "КПП неверен" in t]) == 1, toasts
    finally:
        store.close()
