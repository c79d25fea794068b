"""One base for every screen: the typed host accessor, the status bar, and the engine's messages.

`HostedScreen` (full screens) and `HostedModal` (modal screens) give:

* `self.host`: the app as `HostApp` (typed; screens never look a service up by name);
* `status_bar()`: the bar every full screen shows, on the host's clock and sync figures;
* `refresh_data()`: called after anything that may change what the screen shows from the store
  (a pull, a push, an order's state, a payment or shipment arriving, an outbox retry/discard);
* `live_rows_changed()`: called when the live job wrote new stock or prices of watched rows.

Both hooks are no-ops here; a screen overrides the ones it needs. The engine's messages reach
every screen on the stack (host.py), so a screen under a modal stays current too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar, cast

from textual import on
from textual.message_pump import MessagePump
from textual.screen import Screen

from tui_crm import messages
from tui_crm.host import OutboxActed
from tui_crm.widgets.dialog import CrmModal
from tui_crm.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from tui_crm.host import HostApp

ResultT = TypeVar("ResultT")


class _Hosted(MessagePump):
    """The part both screen kinds share. A MessagePump, so that Textual's metaclass collects its
    @on handlers; in the MRO it sits before Screen/CrmModal (which are MessagePumps too)."""

    @property
    def host(self) -> HostApp:
        """The app, typed: store, engine, clock, and the one path to each piece of sync work."""
        return cast("HostApp", self.app)

    def status_bar(self) -> StatusBar:
        host = self.host
        return StatusBar(host.clock, tick=host.live_clock, view=host.sync_view)

    def has_unsaved_changes(self) -> bool:
        """True while leaving would lose something typed (the app then asks before closing)."""
        return False

    def refresh_data(self) -> None:
        """What this screen shows from the store may have changed: re-read it (override)."""

    def help_notes(self) -> list[tuple[str, str]]:
        """(title, text) sections F1 help adds below this screen's keys (override)."""
        return []

    def live_rows_changed(self) -> None:
        """The live job wrote new stock/prices of watched rows: repaint them (override)."""

    @on(messages.PullFinished)
    def _hosted_pull_finished(self, message: messages.PullFinished) -> None:
        if message.event.ok:
            self.refresh_data()

    @on(messages.PushFinished)
    @on(messages.OrdersUpdated)
    @on(messages.PaymentArrived)
    @on(messages.ShipmentArrived)
    @on(OutboxActed)
    def _hosted_data_changed(self, _message: object) -> None:
        self.refresh_data()

    @on(messages.LiveRowsUpdated)
    def _hosted_live_rows(self, _message: messages.LiveRowsUpdated) -> None:
        self.live_rows_changed()


class HostedScreen(_Hosted, Screen[ResultT]):
    """A full screen of the CRM."""

    def action_close(self) -> None:
        """Leave the screen (screens with unsaved edits override this to ask first)."""
        self.dismiss()


class HostedModal(_Hosted, CrmModal[ResultT]):
    """A modal screen of the CRM (picker, dialogs that need the host); `CrmModal` gives it its
    footer and keeps toasts off a dialog's box."""
