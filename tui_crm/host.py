"""What every screen may rely on: the typed host of the screens.

`HostApp` holds the services (store, sync engine, clock), turns the engine's plain events into
typed Textual messages (`tui_crm.messages`) for itself and every screen on the stack, keeps the
status bar's figures, and gives screens exactly one path to each piece of sync work: `pull_now`,
`push_now`, `retry`, `discard` (all through the engine), and the rows to keep live
(`watch_products`). `CrmApp` (app.py) adds the global keys, the palette and the scheduler; tests
host single screens in a bare `HostApp`.

Screens reach it through `HostedScreen.host` (screens/base.py), a typed accessor: a renamed
method is a type error, never a silent no-op.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Literal

from textual import events, on, work
from textual.app import App, CSSPathType
from textual.binding import Binding
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widgets import Input

from tui_crm import messages
from tui_crm.domain.custom import CustomFieldSet
from tui_crm.domain.money import format_money
from tui_crm.i18n import localize_bindings, register, tr
from tui_crm.store import Store
from tui_crm.widgets.hold import HoldsKeys, KeyHold, TypedAheadTarget
from tui_crm.widgets.keys import FOCUS_MOVES, as_key, field_binding, meta_digits_as_alt
from tui_crm.widgets.money import ui_lang
from tui_crm.widgets.search import ResultList, SearchBox
from tui_crm.widgets.status_bar import StatusBar, SyncView
from tui_crm.widgets.text import clean, short

if TYPE_CHECKING:  # the events come with the engine, after the first list (messages.message_for)
    from textual.dom import DOMNode
    from textual.widget import Widget

    from tui_crm.sync.events import PaymentArrived, PushFinished, ShipmentArrived, SyncEvent
    from tui_crm.sync.service import SyncService

log = logging.getLogger("tui_crm.app")

register({
    "paste.first_line": {
        "en": "Only the first line was pasted: this field holds one line ({n} more line(s) not pasted).",
        "ru": "Вставлена только первая строка: поле однострочное (не вставлено строк: {n}).",
    },
    "paste.cut": {
        "en": "The paste was cut to fit: this field holds at most {limit} characters ({n} not pasted).",
        "ru": "Вставка обрезана: в поле помещается не больше {limit} символов (не вставлено: {n}).",
    },
    "notify.payment": {
        "en": "Payment {amount} arrived for invoice {number} ({client})",
        "ru": "Поступила оплата {amount} по счёту {number} ({client})",
    },
    "notify.shipment": {
        "en": "Shipment {doc} made for invoice {number} ({client})",
        "ru": "Отгрузка {doc} по счёту {number} ({client})",
    },
    "what.push_client": {"en": "Client «{label}»", "ru": "Клиент «{label}»"},
    "what.push_invoice": {"en": "Invoice {label}", "ru": "Счёт {label}"},
    "what.push_reserve": {"en": "Reservation of order {label}", "ru": "Резерв по заказу {label}"},
    "what.push_shipment": {"en": "Shipment request for order {label}", "ru": "Заявка на отгрузку по заказу {label}"},
    "notify.pushed": {"en": "{what} is in accounting", "ru": "{what}: передано в учёт"},
    "notify.push_failed": {"en": "Accounting refused {what}: {error}", "ru": "Учёт не принял {what}: {error}"},
    "notify.push_conflict": {
        "en": "{what} was changed in accounting meanwhile; nothing was written. Compare and choose (F11).",
        "ru": "{what}: изменено в учёте за это время; ничего не записано. Сравните и выберите (F11).",
    },
    "notify.title_payment": {"en": "Payment", "ru": "Оплата"},
    "notify.title_shipment": {"en": "Shipment", "ru": "Отгрузка"},
    "notify.title_sync": {"en": "Sync", "ru": "Обмен"},
    "notify.offline_action": {
        "en": "Not connected to accounting: {what} will happen once it is configured and reachable.",
        "ru": "Нет связи с учётом: {what} — когда связь будет настроена и доступна.",
    },
    "what.sync_now": {"en": "sync", "ru": "обмен"},
    "what.retry": {"en": "retry", "ru": "повтор отправки"},
    "what.discard": {"en": "discard", "ru": "отмена отправки"},
    "what.conflict": {"en": "your choice", "ru": "ваш выбор"},
})

Severity = Literal["information", "warning", "error"]
TOAST_LIMIT = 300  # characters of a toast's text; what 1C quotes beyond that is cut


@dataclass
class _EngineEvent(Message):
    """A plain engine event on the app's queue, before it is fanned out as a typed message."""

    event: SyncEvent


@dataclass
class Announced(Message):
    """A toast worked out in a worker (it needed a store read)."""

    text: str
    title: str
    severity: Severity


@dataclass
class OutboxCounted(Message):
    """How many items wait to go to accounting, counted in a worker."""

    count: int


@dataclass
class OutboxActed(Message):
    """The engine answered a retry or discard of one outbox item."""

    action: Literal["retry", "discard"]
    item_id: int
    ok: bool


@dataclass
class ConflictActed(Message):
    """The engine answered the operator's choice on a conflict (keep 1C's / apply ours)."""

    choice: Literal["theirs", "ours"]
    conflict_id: int
    ok: bool


@dataclass(frozen=True)
class _ProductWatch:
    warehouse_id: str
    price_type_id: str | None
    product_ids: tuple[str, ...]


meta_digits_as_alt()

class HostApp(App[None], HoldsKeys):
    """The services and the engine wiring every screen needs. `service=None`: offline."""

    # Classes shared by several screens; absolute, so subclasses elsewhere (tests) find it too.
    APP_TCSS = Path(__file__).with_name("app.tcss")
    CSS_PATH: ClassVar[CSSPathType | None] = APP_TCSS

    def __init__(
        self,
        store: Store,
        service: SyncService | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
        live_clock: bool = True,
        sync_view: SyncView | None = None,
        custom_fields: CustomFieldSet | None = None,
        reserve_policy: str = "request",
    ) -> None:
        super().__init__()
        self.store = store
        # `[orders] reserve` (config.RESERVE_POLICIES): whether the CRM posts orders to reserve.
        self.reserve_policy = reserve_policy
        self.service = service
        # The profile's company-specific fields (client card, invoice header, clients filter).
        self.custom_fields = custom_fields or (service.profile.field_set() if service else CustomFieldSet())
        self.clock: Callable[[], datetime] = clock or store.clock
        self.live_clock = live_clock
        self.sync_view = sync_view or SyncView(
            online=None if service else False, last_success=store.last_success())
        self._product_watches: dict[int, _ProductWatch] = {}
        self._order_watch: list[str] = []
        self._unsubscribe: Callable[[], None] | None = None
        self._priority_keys: frozenset[str] | None = None  # keys never held (`_priority_key`)
        # Keys typed behind a Tab or an Enter that has not taken effect yet (widgets/hold.py).
        self.key_hold = KeyHold(self, self._route_key)

    def attach_service(self, service: SyncService) -> None:
        """The engine, when it is created after the first screen was painted (`CrmApp(engine=…)`,
        cli start-up): subscribe to it and hand it what the screens already watch."""
        self.service = service
        self._unsubscribe = service.subscribe(self._engine_event)
        self._apply_watches()
        if self._order_watch:
            service.watch_orders(self._order_watch)

    def first_rows_shown(self) -> None:
        """A home screen (clients, products) painted its first rows. `CrmApp` starts the sync
        engine then, so importing and creating it never delays the first screen."""

    @property
    def keeps_reserves(self) -> bool:
        """False when the accounting configuration keeps no reserves at all (БП 3: the profile
        maps no reserves register), so over-stock warnings say so instead of "may not reserve".
        Offline (no service) nothing is known, and the usual wording stays."""
        return self.service is None or self.service.profile["reserves"].present

    @property
    def sends_shipment_requests(self) -> bool:
        """True when the accounting configuration's profile maps a shipment request (КА 1.1:
        the warehouse order, docs/shipment.md). Offline (no service) a request may still be
        queued: the push refuses it in plain words if the configuration turns out to have none."""
        return self.service is None or self.service.profile["shipment_request"].present

    # -- screens in the interface language ------------------------------------------------------
    def push_screen(self, screen, *args, **kwargs):
        """Every screen's keys are re-labelled in the current language (i18n.localize_bindings)."""
        if isinstance(screen, Screen):
            localize_bindings(screen._bindings)
        return super().push_screen(screen, *args, **kwargs)

    def switch_screen(self, screen):
        if isinstance(screen, Screen):
            localize_bindings(screen._bindings)
        return super().switch_screen(screen)

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = True) -> None:
        """Every toast is plain text: our catalog strings carry no markup, and what they quote —
        1C's error messages, names, numbers — must never be parsed as markup or reach the
        terminal as control sequences (widgets/text.py). Screens' `notify` comes here too."""
        text = clean(message, one_line=False)
        if len(text) > TOAST_LIMIT:  # a 10 000-character 1C message would cover the screen
            text = text[:TOAST_LIMIT - 1] + "…"  # (the sync log keeps the whole of it)
        super().notify(text, title=short(title, 80), severity=severity, timeout=timeout, markup=False)

    def paste_for_input(self, field: Input, text: str) -> str:
        """What of a paste a one-line field takes, the operator told what it did not: the first
        line (by design: a name, a search, a quantity), cut to the field's `max_length` (Textual
        would refuse a longer paste whole). A TextArea is no Input: it takes every line."""
        lines = text.splitlines()
        first = lines[0] if lines else ""
        rest = sum(1 for line in lines[1:] if line.strip())
        if rest:
            self.notify(tr("paste.first_line", n=rest), severity="warning", markup=False)
        if field.max_length:
            room = max(0, field.max_length - len(field.value) + len(field.selected_text))
            if len(first) > room:
                self.notify(tr("paste.cut", limit=field.max_length, n=len(first) - room),
                            severity="warning", markup=False)
                first = first[:room]
        return first

    def _priority_key(self, event: events.Key) -> bool:
        """A key the app binds with priority (quit, the palette): it runs at once, never held behind
        a Tab or an Enter (widgets/hold.py), so a hold can never trap the operator. A screen's own
        priority keys (the card's Alt+1 / Alt+2) do wait, in the order typed: a tab switch typed
        after some text must not move the focus before that text has reached its field."""
        if self._priority_keys is None:
            self._priority_keys = frozenset(
                b.key for b in Binding.make_bindings(self.BINDINGS) if b.priority)
        return event.key in self._priority_keys

    async def on_event(self, event: events.Event) -> None:
        """Input from the terminal, before any widget sees it.

        - Alt keys (ESC-prefixed over SSH/tmux) only ever trigger bindings, never type text.
        - Pasted text is data too: an Input draws its value as it is, so escape sequences and
          control characters in a paste are cleaned before any widget gets it (lines and tabs
          kept apart: an Input takes the first line, cut to its length limit, and the operator
          is told what was left out, `paste_for_input`; a TextArea takes every line; a tab
          becomes a space).
        - Keys typed behind a Tab or an Enter that has not taken effect yet wait for it, in the
          order typed (`key_hold`, widgets/hold.py); the priority keys never wait.
        - A text field's own keys (Backspace, arrows, Enter…) run in the order typed, also when a
          burst of keys arrives in one read (widgets/keys.py, `field_binding`)."""
        if isinstance(event, events.Paste) and not event.is_forwarded:
            # a terminal (and tmux) sends a pasted line break as a carriage return
            lines = event.text.replace("\r\n", "\n").replace("\r", "\n")
            event.text = clean(lines, one_line=False).replace("\t", " ")
            if isinstance(self.focused, Input):
                event.text = self.paste_for_input(self.focused, event.text)
        event = as_key(event)
        if isinstance(event, events.Key) and not event.is_forwarded:
            if not self._priority_key(event) and self.key_hold.take(event):
                return
            await self._route_key(event)
            return
        await super().on_event(event)

    async def _route_key(self, event: events.Key) -> None:
        """A key as typed, to the widget focused now: a Tab in a field moves on behind the keys
        typed before it, a field's own key runs in its queue, the rest as Textual routes it. The
        keys typed after an Enter that opens a dialog (the picker's search box and list, the
        quantity dialog's own Enter) wait in `key_hold` until the Enter has been handled."""
        focused = self.focused
        if self._queue_focus_move(focused, event):
            return
        own = field_binding(self.screen, focused, event)
        if own is not None and focused is not None:
            # behind the keys typed before it, in the field's own queue (widgets/keys.py)
            self.app_focus = True
            if isinstance(focused, SearchBox) and own.binding.action == "submit" and focused.holds_after_enter:
                # the keys after it are for what the Enter leads to (the quantity dialog): they
                # wait until the box's screen has handled it (`SearchBox.release`)
                self.key_hold.hold(focused, keep_if_gone=False)
            elif isinstance(self.screen, TypedAheadTarget) and own.binding.action == "submit":
                # the quantity dialog's Enter: what follows is for the screen it returns to
                # (the next search), once the dialog has gone (`release_after_enter`)
                self.key_hold.hold(focused, keep_if_gone=True)
            focused.call_later(self.run_action, own.binding.action, own.node)
            return
        if isinstance(focused, ResultList) and focused.holds_after_enter:
            if event.key == "enter":
                # the list's Enter (an `Entered` message from the list's own queue): the keys after
                # it are for the dialog it opens, and wait until its screen has handled it
                # (`ResultList.release`)
                self.key_hold.hold(focused, keep_if_gone=False)
            else:
                active = self.screen.active_bindings.get(event.key)
                if active is not None and active.node is focused and active.enabled and not active.binding.priority:
                    # the list's own cursor keys run in its queue too, ahead of an Enter typed after
                    # them: as bindings they ran only once the key had bubbled up to the app, after
                    # the Enter had added the row they were moving from (↓ ⏎ in one read)
                    self.app_focus = True
                    focused.call_later(self.run_action, active.binding.action, active.node)
                    return
        await super().on_event(event)

    def _queue_focus_move(self, focused: Widget | None, event: events.Key) -> bool:
        """Tab / Shift+Tab in a text field, in a burst ("ООО Ромашка", Tab, "7707083893"), and any
        other key bound to a focus move (`FOCUS_MOVES`: the shipment form's ↓ / ↑): the screen's
        focus move is a binding that runs only once the key has bubbled up from the field, and the
        keys typed after it were by then handed to the same field. So the move runs in the field's
        own queue, behind the keys typed before it, and the keys typed after it wait until the
        focus has moved (`key_hold`); then they go to the next field."""
        if not isinstance(focused, Input):
            return False  # a TextArea may take Tab itself (tab_behavior="indent")
        move = self._focus_move(event.key)
        if move is None:
            return False
        self.key_hold.hold(focused, keep_if_gone=True)
        focused.call_later(self._move_focus, focused, *move)
        return True

    def _focus_move(self, key: str) -> tuple[str, DOMNode] | None:
        """The focus move `key` runs on this screen, if that is what it runs: the active binding
        (Tab: the app's focus_next), else the screen's own — an Input's ↓ is first its scroll
        binding, which it skips when it has nothing to scroll, so the screen's ↓ is what runs."""
        own = self._screen_focus_moves(type(self.screen))
        if key not in ("tab", "shift+tab") and key not in own:
            return None  # every other key, on every keystroke: no binding lookup on that path
        active = self.screen.active_bindings.get(key)
        if active is not None and active.enabled and active.binding.action in FOCUS_MOVES:
            return active.binding.action, active.node
        return (own[key], self.screen) if key in own else None

    @staticmethod
    @functools.cache
    def _screen_focus_moves(screen_type: type[Screen]) -> dict[str, str]:
        """Key → action of a screen class's own focus-move bindings (parsed once per class)."""
        return {b.key: b.action for b in Binding.make_bindings(screen_type.BINDINGS) if b.action in FOCUS_MOVES}

    async def _move_focus(self, field: Widget, action: str, node: DOMNode) -> None:
        try:
            await self.run_action(action, node)
        finally:
            self.key_hold.release(field)

    # -- the engine's events ------------------------------------------------------------------
    def on_mount(self) -> None:
        if self.service is not None:
            self._unsubscribe = self.service.subscribe(self._engine_event)
        self.outbox_changed()

    async def on_unmount(self) -> None:  # async: CrmApp's override awaits the engine's close
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def _engine_event(self, event: SyncEvent) -> None:
        """The engine's callback (on this loop or a worker thread): onto the app's queue."""
        self.post_message(_EngineEvent(event))

    @on(_EngineEvent)
    def _fan_out(self, message: _EngineEvent) -> None:
        """One typed message per recipient: the app itself, then every screen on the stack."""
        self.post_message(messages.message_for(message.event))
        for screen in self.screen_stack:
            screen.post_message(messages.message_for(message.event))

    @on(messages.PullStarted)
    def _pull_started(self, _message: messages.PullStarted) -> None:
        self._set_view(replace(self.sync_view, running=True))

    @on(messages.PullFinished)
    def _pull_finished(self, message: messages.PullFinished) -> None:
        event = message.event
        was_failing = self.sync_view.error is not None
        if event.ok:
            self._set_view(replace(self.sync_view, online=True, running=False, last_success=event.at, error=None))
        else:
            online = self.service.online if self.service is not None else None
            self._set_view(replace(self.sync_view, online=online, running=False, error=event.error))
            if not was_failing:
                self.notify(tr("notify.pull_failed", error=event.error), severity="error", timeout=8,
                            markup=False)
        self.outbox_changed()

    @on(messages.PushFinished)
    def _push_finished(self, message: messages.PushFinished) -> None:
        if message.event.offline:
            self._set_view(replace(self.sync_view, online=False))
        self.outbox_changed()
        self._announce_push(message.event)

    @on(messages.PaymentArrived)
    @on(messages.ShipmentArrived)
    def _arrived(self, message: messages.PaymentArrived | messages.ShipmentArrived) -> None:
        self._announce_arrival(message.event)

    @work(thread=True, group="announce", exit_on_error=False)
    def _announce_arrival(self, event: PaymentArrived | ShipmentArrived) -> None:
        """Read what a payment/shipment toast needs (invoice number, client) off the UI thread."""
        from tui_crm.sync.events import PaymentArrived  # loaded by then: the engine sent it

        record = self.store.get_invoice(event.invoice_id)
        number = (record.number if record is not None else "") or "—"
        client = self.store.client_name(record.invoice.client_id) if record is not None else ""
        if isinstance(event, PaymentArrived):
            amount = format_money(event.amount, ui_lang())
            text = tr("notify.payment", amount=amount, number=number, client=client)
            self.post_message(Announced(text, tr("notify.title_payment"), "information"))
        else:
            text = tr("notify.shipment", doc=event.number, number=number, client=client)
            self.post_message(Announced(text, tr("notify.title_shipment"), "information"))

    @work(thread=True, group="announce", exit_on_error=False)
    def _announce_push(self, event: PushFinished) -> None:
        for kind, object_id in event.pushed:
            what = tr(f"what.push_{kind}", label=self.store.outbox_object_label(kind, object_id))
            self.post_message(Announced(tr("notify.pushed", what=what), tr("notify.title_sync"), "information"))
        for kind, object_id, error in event.failed:
            what = tr(f"what.push_{kind}", label=self.store.outbox_object_label(kind, object_id))
            self.post_message(
                Announced(tr("notify.push_failed", what=what, error=error), tr("notify.title_sync"), "error"))
        for kind, object_id in event.conflicts:
            what = tr(f"what.push_{kind}", label=self.store.outbox_object_label(kind, object_id))
            self.post_message(Announced(tr("notify.push_conflict", what=what), tr("notify.title_sync"), "warning"))

    @on(Announced)
    def _announced(self, message: Announced) -> None:
        timeout = 10 if message.severity == "error" else 8
        self.notify(message.text, title=message.title, severity=message.severity, markup=False, timeout=timeout)

    # -- status bar ---------------------------------------------------------------------------
    def _set_view(self, view: SyncView) -> None:
        self.sync_view = view
        for screen in self.screen_stack:
            for bar in screen.query(StatusBar):
                bar.view = view

    def outbox_changed(self) -> None:
        """Something was queued, sent, retried or discarded: recount the outbox for the bar."""
        self._count_outbox()

    @work(thread=True, exclusive=True, group="outbox-count", exit_on_error=False)
    def _count_outbox(self) -> None:
        self.post_message(OutboxCounted(self.store.outbox_count()))

    @on(OutboxCounted)
    def _outbox_counted(self, message: OutboxCounted) -> None:
        self._set_view(replace(self.sync_view, outbox=message.count))

    # -- sync work: one path each, through the engine -----------------------------------------
    def pull_now(self) -> None:
        """"Sync now": one pull cycle (skipped by the engine if one is running)."""
        if self.service is None:
            self.notify(tr("notify.offline_action", what=tr("what.sync_now")), severity="warning", markup=False)
            return
        self.run_worker(self.service.pull_now(), group="sync", exit_on_error=False)

    def push_now(self) -> None:
        """Send the outbox now rather than at the push job's next tick (no-op offline)."""
        if self.service is not None:
            self.run_worker(self.service.push_now(), group="sync-push", exit_on_error=False)

    def retry(self, item_id: int) -> None:
        """Send a failed outbox item again; the answer comes back as `OutboxActed`."""
        self._outbox_act("retry", item_id)

    def discard(self, item_id: int) -> None:
        """Give up on an outbox item (the object stays in the CRM); answer as `OutboxActed`."""
        self._outbox_act("discard", item_id)

    def _outbox_act(self, action: Literal["retry", "discard"], item_id: int) -> None:
        service = self.service
        if service is None:
            what = tr("what.retry" if action == "retry" else "what.discard")
            self.notify(tr("notify.offline_action", what=what), severity="warning", markup=False)
            return

        async def act() -> None:
            ok = await (service.retry(item_id) if action == "retry" else service.discard(item_id))
            for target in (self, *self.screen_stack):
                target.post_message(OutboxActed(action, item_id, ok))

        self.run_worker(act(), group="outbox-act", exit_on_error=False)

    @on(OutboxActed)
    def _outbox_acted(self, _message: OutboxActed) -> None:
        self.outbox_changed()

    def keep_theirs(self, conflict_id: int) -> None:
        """Conflict: keep accounting's version (read now), drop the CRM's change; answer as `ConflictActed`."""
        self._conflict_act("theirs", conflict_id)

    def apply_ours(self, conflict_id: int) -> None:
        """Conflict: write the CRM's version over accounting's (DataVersion re-read first)."""
        self._conflict_act("ours", conflict_id)

    def _conflict_act(self, choice: Literal["theirs", "ours"], conflict_id: int) -> None:
        service = self.service
        if service is None:
            self.notify(tr("notify.offline_action", what=tr("what.conflict")), severity="warning", markup=False)
            return

        async def act() -> None:
            ok = await (service.keep_theirs(conflict_id) if choice == "theirs" else service.apply_ours(conflict_id))
            for target in (self, *self.screen_stack):
                target.post_message(ConflictActed(choice, conflict_id, ok))

        self.run_worker(act(), group="conflict-act", exit_on_error=False)

    @on(ConflictActed)
    def _conflict_acted(self, _message: ConflictActed) -> None:
        self.outbox_changed()

    def open_conflict(self, kind: str, object_id: str) -> None:
        """Both versions of an object accounting changed meanwhile, side by side, to choose."""
        from tui_crm.screens.conflict import ConflictScreen

        self.push_screen(ConflictScreen(self.store, kind, object_id))

    # -- live rows ----------------------------------------------------------------------------
    def watch_products(self, owner: object, warehouse_id: str | None, price_type_id: str | None,
                       product_ids: list[str] | tuple[str, ...]) -> None:
        """Rows `owner` (a screen) shows now; the engine keeps the union of all owners' rows on
        the newest owner's warehouse and price type live. Empty ids or no warehouse: unwatch."""
        key = id(owner)
        if warehouse_id is None or not product_ids:
            self._product_watches.pop(key, None)
        else:
            self._product_watches.pop(key, None)  # re-insert: the newest owner decides the warehouse
            self._product_watches[key] = _ProductWatch(warehouse_id, price_type_id, tuple(product_ids))
        self._apply_watches()

    def unwatch_products(self, owner: object) -> None:
        self._product_watches.pop(id(owner), None)
        self._apply_watches()

    def _apply_watches(self) -> None:
        if self.service is None:
            return
        if not self._product_watches:
            self.service.unwatch_products()
            return
        newest = list(self._product_watches.values())[-1]
        ids: dict[str, None] = {}
        for watch in self._product_watches.values():
            if (watch.warehouse_id, watch.price_type_id) == (newest.warehouse_id, newest.price_type_id):
                ids.update(dict.fromkeys(watch.product_ids))
        self.service.watch_products(newest.warehouse_id, newest.price_type_id, list(ids))

    def watch_orders(self, invoice_ids: list[str]) -> None:
        self._order_watch = list(invoice_ids)
        if self.service is not None:
            self.service.watch_orders(invoice_ids)

    def unwatch_orders(self) -> None:
        self._order_watch = []
        if self.service is not None:
            self.service.unwatch_orders()

    # -- navigation shared by screens ---------------------------------------------------------
    def open_client(self, client_id: str | None) -> None:
        """The client card (`None`: a new client)."""
        from tui_crm.screens.client_card import ClientCardScreen

        self.push_screen(ClientCardScreen(self.store, client_id))

    def open_invoice(self, invoice_id: str, *, posted: bool = False) -> None:
        """A posted order opens read-only in the order view, a draft in the invoice editor."""
        if posted:
            from tui_crm.screens.order import OrderScreen

            self.push_screen(OrderScreen(self.store, invoice_id))
        else:
            from tui_crm.screens.invoice import InvoiceScreen

            self.push_screen(InvoiceScreen(self.store, invoice_id, None))

    def new_invoice(self, client_id: str | None) -> None:
        from tui_crm.screens.invoice import InvoiceScreen

        self.push_screen(InvoiceScreen(self.store, None, client_id))

    def open_sync_log(self) -> None:
        from tui_crm.screens.sync_log import SyncLogScreen

        if not isinstance(self.screen, SyncLogScreen):
            self.push_screen(SyncLogScreen(self.store))

    def open_lookup_hit(self, kind: str, object_id: str, posted: bool = False) -> None:
        if kind == "invoice":
            self.open_invoice(object_id, posted=posted)
        else:
            self.open_client(object_id)
