"""The sync engine's events as typed Textual messages: one class per event.

The engine (`tui_crm.sync`) knows no Textual and hands plain events to one subscriber, the app
(`tui_crm.host.HostApp`). The app turns each event into the message of the same name here and
posts a copy to itself and to every screen on the stack; screens handle the ones they care about
with `@on(LiveRowsUpdated)` etc. Nothing is matched by class name: a new event without a message
here fails `message_for` in the type checker (`assert_never`) and in tests/test_messages.py.

Messages do not bubble (each screen gets its own copy), and bursts of live-row updates are
merged: a pending `LiveRowsUpdated` is superseded by the next one (the screens re-read the rows
they show from the store anyway, so nothing is lost by handling only the newest).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, assert_never

from textual.message import Message

if TYPE_CHECKING:  # the events themselves are imported with the engine, after the first list
    from tui_crm.sync import events


class EngineMessage(Message, bubble=False):
    """Base of every message that carries a sync-engine event."""

    event: events.SyncEvent


class PullStarted(EngineMessage, bubble=False):
    event: events.PullStarted

    def __init__(self, event: events.PullStarted) -> None:
        super().__init__()
        self.event = event


class PullFinished(EngineMessage, bubble=False):
    event: events.PullFinished

    def __init__(self, event: events.PullFinished) -> None:
        super().__init__()
        self.event = event


class PushFinished(EngineMessage, bubble=False):
    event: events.PushFinished

    def __init__(self, event: events.PushFinished) -> None:
        super().__init__()
        self.event = event


class LiveRowsUpdated(EngineMessage, bubble=False):
    """Stock or prices of watched products changed in accounting (the live job wrote them)."""

    event: events.LiveRowsUpdated

    def __init__(self, event: events.LiveRowsUpdated) -> None:
        super().__init__()
        self.event = event

    def can_replace(self, message: Message) -> bool:
        # A newer update of the same kind supersedes this one while both wait in the queue.
        return isinstance(message, LiveRowsUpdated)


class OrdersUpdated(EngineMessage, bubble=False):
    event: events.OrdersUpdated

    def __init__(self, event: events.OrdersUpdated) -> None:
        super().__init__()
        self.event = event


class PaymentArrived(EngineMessage, bubble=False):
    event: events.PaymentArrived

    def __init__(self, event: events.PaymentArrived) -> None:
        super().__init__()
        self.event = event


class ShipmentArrived(EngineMessage, bubble=False):
    event: events.ShipmentArrived

    def __init__(self, event: events.ShipmentArrived) -> None:
        super().__init__()
        self.event = event


def message_for(event: events.SyncEvent) -> EngineMessage:
    """The typed message for one engine event (a new instance each call: one per recipient)."""
    # Imported here, not at the top: only an engine (made after the first list is painted) sends
    # events, and the module's seven dataclasses cost ~4 ms of the cold start (bench/start.py).
    from tui_crm.sync import events

    match event:
        case events.PullStarted():
            return PullStarted(event)
        case events.PullFinished():
            return PullFinished(event)
        case events.PushFinished():
            return PushFinished(event)
        case events.LiveRowsUpdated():
            return LiveRowsUpdated(event)
        case events.OrdersUpdated():
            return OrdersUpdated(event)
        case events.PaymentArrived():
            return PaymentArrived(event)
        case events.ShipmentArrived():
            return ShipmentArrived(event)
        case _:
            assert_never(event)


# Events after which what a screen shows from the store may have changed.
DATA_CHANGING = (PullFinished, PushFinished, OrdersUpdated, PaymentArrived, ShipmentArrived)
