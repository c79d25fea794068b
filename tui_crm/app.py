"""The Textual application: screens on top of the store, sync running on the same event loop.

The app owns navigation (which screen opens what), the global keys, the command palette's
providers, F1 help and the status bar's figures. Sync events arrive from `SyncService` as plain
objects and are turned into a Textual message here (STYLE.md 3).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.command import CommandPalette
from textual.message import Message
from textual.screen import Screen

from tui_crm.domain.money import format_money
from tui_crm.i18n import language, localize_bindings, register, set_language, tr
from tui_crm.screens.clients import ClientsScreen
from tui_crm.screens.commands import (
    AppProvider,
    ClientsProvider,
    LookupProvider,
    ScreenProvider,
    ThemeProvider,
)
from tui_crm.screens.products import ProductsScreen
from tui_crm.store import Store
from tui_crm.sync.scheduler import create_scheduler
from tui_crm.sync.service import PullFinished, PullStarted, SyncService
from tui_crm.widgets.status_bar import StatusBar, SyncView

log = logging.getLogger("tui_crm.app")

register({
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
    "notify.pushed": {"en": "{what} is in accounting", "ru": "{what}: передано в учёт"},
    "notify.push_failed": {"en": "Accounting refused {what}: {error}", "ru": "Учёт не принял {what}: {error}"},
    "notify.title_payment": {"en": "Payment", "ru": "Оплата"},
    "notify.title_shipment": {"en": "Shipment", "ru": "Отгрузка"},
    "notify.title_sync": {"en": "Sync", "ru": "Обмен"},
    "sys.theme": {"en": "Theme", "ru": "Тема"},
    "sys.theme_help": {"en": "Change the colour theme", "ru": "Сменить цветовую тему"},
    "sys.quit": {"en": "Quit", "ru": "Выход"},
    "sys.quit_help": {"en": "Quit tui-crm", "ru": "Закрыть tui-crm"},
    "sys.keys": {"en": "Keys panel", "ru": "Панель клавиш"},
    "sys.keys_help": {"en": "Show or hide the keys of the focused widget",
                      "ru": "Показать или скрыть клавиши текущего поля"},
    "sys.screenshot": {"en": "Screenshot", "ru": "Снимок экрана"},
    "sys.screenshot_help": {"en": "Save an SVG screenshot of the screen", "ru": "Сохранить снимок экрана в SVG"},
    "lookup.placeholder": {
        "en": "Go to an invoice or a client: number, name, phone or ИНН…",
        "ru": "Перейти к счёту или клиенту: номер, название, телефон, ИНН…",
    },
    "palette.placeholder": {"en": "Search for commands…", "ru": "Поиск команд…"},
})


@dataclass
class SyncEventArrived(Message):
    """A plain sync event, carried onto Textual's message queue."""

    event: object


@dataclass
class Announced(Message):
    """A toast worked out in a worker (it needed a store read)."""

    text: str
    title: str
    severity: str


@dataclass
class OutboxCounted(Message):
    """How many items wait to go to accounting, counted in a worker."""

    count: int


class CrmApp(App[None]):
    """tui-crm. `service=None` runs on the mirror alone (offline, or in snapshot tests)."""

    TITLE = "tui-crm"
    # Textual's system commands are served by AppProvider (translated, one discovery order).
    COMMANDS = {ScreenProvider, AppProvider, ClientsProvider, LookupProvider, ThemeProvider}  # noqa: RUF012
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1,question_mark", "help", tr("bind.help"), id="app.help"),
        Binding("ctrl+p,f12", "command_palette", tr("bind.palette"), show=False, id="app.palette",
                priority=True),
        Binding("f4,ctrl+k", "lookup", tr("bind.lookup"), id="app.lookup"),
        Binding("f5,ctrl+r", "sync_now", tr("bind.refresh"), show=False, id="app.sync"),
        Binding("f6", "sync_log", tr("bind.sync_log"), show=False, id="app.sync_log"),
        Binding("f8", "products", tr("bind.products"), show=False, id="app.products"),
        Binding("f10,ctrl+q", "quit", tr("bind.quit"), id="app.quit", priority=True),
    ]

    def __init__(
        self,
        store: Store,
        service: SyncService | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
        pull_seconds: float = 60.0,
        live_seconds: float = 3.0,
        autosync: bool = True,
        live_clock: bool = True,
        theme: str | None = None,
        home: str = "clients",
        language: str | None = None,
    ) -> None:
        if language is not None:  # else whatever cli.py set from ui.language / the locale
            set_language(language)
        super().__init__()
        self.store = store
        self.service = service
        self.clock = clock or store.clock
        self.live_clock = live_clock
        self._pull_seconds = pull_seconds
        self._live_seconds = live_seconds
        self._autosync = autosync and service is not None
        self._scheduler = None
        self._theme_name = theme
        self._home = home
        self.sync_view = SyncView(online=None if service else False, last_success=store.last_success())
        localize_bindings(self._bindings)

    def on_mount(self) -> None:
        if self._theme_name and self._theme_name in self.available_themes:
            self.theme = self._theme_name
        if self.service is not None:
            self.service.subscribe(lambda event: self.post_message(SyncEventArrived(event)))
        self.push_screen(ProductsScreen(self.store) if self._home == "products" else ClientsScreen(self.store))
        self.outbox_changed()
        if self._autosync and self.service is not None:
            self._scheduler = create_scheduler(
                self.service, pull_seconds=self._pull_seconds, live_seconds=self._live_seconds,
                spawn=self._spawn_sync,
            )
            self._scheduler.start()

    def _spawn_sync(self, factory: Callable[[], object]) -> object:
        return self.run_worker(factory(), group="sync", exit_on_error=False)  # type: ignore[arg-type]

    async def on_unmount(self) -> None:
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        if self.service is not None:
            await self.service.aclose()

    # -- screens in the interface language ------------------------------------------------------
    def push_screen(self, screen: Any, *args: Any, **kwargs: Any) -> Any:
        """Every screen's keys are re-labelled in the current language (i18n.localize_bindings)."""
        if isinstance(screen, Screen):
            localize_bindings(screen._bindings)
        return super().push_screen(screen, *args, **kwargs)

    def switch_screen(self, screen: Any) -> Any:
        if isinstance(screen, Screen):
            localize_bindings(screen._bindings)
        return super().switch_screen(screen)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Textual's own commands, worded in the interface language."""
        yield SystemCommand(tr("sys.theme"), tr("sys.theme_help"), self.action_change_theme)
        yield SystemCommand(tr("sys.quit"), tr("sys.quit_help"), self.action_quit)
        if screen.query("HelpPanel"):
            yield SystemCommand(tr("sys.keys"), tr("sys.keys_help"), self.action_hide_help_panel)
        else:
            yield SystemCommand(tr("sys.keys"), tr("sys.keys_help"), self.action_show_help_panel)
        yield SystemCommand(
            tr("sys.screenshot"), tr("sys.screenshot_help"),
            lambda: self.set_timer(0.1, self.deliver_screenshot),
        )

    # -- status bar ---------------------------------------------------------------------------
    def _set_view(self, view: SyncView) -> None:
        self.sync_view = view
        for screen in self.screen_stack:
            for bar in screen.query(StatusBar):
                bar.view = view

    def outbox_changed(self) -> None:
        """Something was queued or sent: recount the outbox for the status bar."""
        self._count_outbox()

    @work(thread=True, exclusive=True, group="outbox-count", exit_on_error=False)
    def _count_outbox(self) -> None:
        self.post_message(OutboxCounted(self.store.outbox_count()))

    @on(OutboxCounted)
    def _outbox_counted(self, message: OutboxCounted) -> None:
        self._set_view(replace(self.sync_view, outbox=message.count))

    # -- sync events --------------------------------------------------------------------------
    def on_sync_event_arrived(self, message: SyncEventArrived) -> None:
        event = message.event
        if isinstance(event, PullStarted):
            self._set_view(replace(self.sync_view, running=True))
        elif isinstance(event, PullFinished):
            was_failing = self.sync_view.error is not None
            online = self.service.online if self.service is not None else None
            if event.ok:
                self._set_view(replace(self.sync_view, online=True, running=False, last_success=event.at, error=None))
                self._refresh_screens()
            else:
                self._set_view(replace(self.sync_view, online=online, running=False, error=event.error))
                if not was_failing:
                    self.notify(tr("notify.pull_failed", error=event.error), severity="error", timeout=8)
            self.outbox_changed()
        else:
            self._other_event(event)

    def _other_event(self, event: object) -> None:
        """Events of the sync engine beyond pulls, matched by class name so this file keeps
        working with an engine that lacks some of them (PaymentArrived, ShipmentArrived,
        PushFinished, OrdersUpdated, LiveRowsUpdated — screens that show live rows subscribe to
        those themselves)."""
        name = type(event).__name__
        if name in ("PaymentArrived", "ShipmentArrived", "PushFinished"):
            self._describe_event(event)
        if name == "PushFinished":
            offline = getattr(event, "offline", None)
            if offline:
                self._set_view(replace(self.sync_view, online=False))
            self.outbox_changed()
        if name in ("PaymentArrived", "ShipmentArrived", "PushFinished", "OrdersUpdated"):
            self._refresh_screens()

    @work(thread=True, group="announce", exit_on_error=False)
    def _describe_event(self, event: object) -> None:
        """Read what a toast needs (invoice number, client name) off the UI thread."""
        name = type(event).__name__
        store: Any = self.store
        lang = language()
        if name in ("PaymentArrived", "ShipmentArrived"):
            invoice_id = str(getattr(event, "invoice_id", ""))
            record = store.get_invoice(invoice_id) if invoice_id else None
            number = (record.number if record is not None else "") or "—"
            client = store.client_name(record.invoice.client_id) if record is not None else ""
            if name == "PaymentArrived":
                amount = getattr(event, "amount", None)
                shown = format_money(amount, lang) if isinstance(amount, Decimal) else str(amount or "")  # type: ignore[arg-type]
                text = tr("notify.payment", amount=shown, number=number, client=client)
                self.post_message(Announced(text, tr("notify.title_payment"), "information"))
            else:
                doc = str(getattr(event, "number", "") or "")
                text = tr("notify.shipment", doc=doc, number=number, client=client)
                self.post_message(Announced(text, tr("notify.title_shipment"), "information"))
            return
        for kind, object_id in getattr(event, "pushed", ()):
            label = store.outbox_object_label(kind, object_id)
            what = tr(f"what.push_{kind}", label=label)
            self.post_message(Announced(tr("notify.pushed", what=what), tr("notify.title_sync"), "information"))
        for kind, object_id, error in getattr(event, "failed", ()):
            label = store.outbox_object_label(kind, object_id)
            what = tr(f"what.push_{kind}", label=label)
            self.post_message(
                Announced(tr("notify.push_failed", what=what, error=error), tr("notify.title_sync"), "error")
            )

    @on(Announced)
    def _announced(self, message: Announced) -> None:
        timeout = 10 if message.severity == "error" else 8
        self.notify(message.text, title=message.title, severity=message.severity,  # type: ignore[arg-type]
                    markup=False, timeout=timeout)

    def _refresh_screens(self, *, live: bool = False) -> None:
        for screen in self.screen_stack:
            refresh = getattr(screen, "refresh_live" if live else "refresh_data", None)
            if refresh is not None:
                refresh()

    # -- actions: sync ------------------------------------------------------------------------
    def action_sync_now(self) -> None:
        if self.service is not None:
            self.run_worker(self.service.pull_now(), group="sync", exit_on_error=False)

    def push_now(self) -> None:
        """Ask the sync engine to send the outbox now (when it can)."""
        push = getattr(self.service, "push_now", None) if self.service is not None else None
        if push is not None:
            self.run_worker(push(), group="sync-push", exit_on_error=False)

    # -- actions: navigation ------------------------------------------------------------------
    def action_help(self) -> None:
        from tui_crm.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def action_command_palette(self) -> None:
        if self.use_command_palette and not CommandPalette.is_open(self):
            self.push_screen(CommandPalette(id="--command-palette", placeholder=tr("palette.placeholder")))

    def action_lookup(self) -> None:
        """Quick lookup: the palette with only the invoice/client search."""
        if not CommandPalette.is_open(self):
            self.push_screen(
                CommandPalette(providers=[LookupProvider], placeholder=tr("lookup.placeholder"),
                               id="--command-palette")
            )

    def action_clients(self) -> None:
        """Back to the clients list (the home screen), keeping cards with unsaved edits asked."""
        for index, screen in enumerate(self.screen_stack):
            if isinstance(screen, ClientsScreen):
                while len(self.screen_stack) > index + 1:
                    top = self.screen_stack[-1]
                    if getattr(top, "dirty", False):
                        top.action_close()  # type: ignore[attr-defined]
                        return
                    self.pop_screen()
                return
        self.push_screen(ClientsScreen(self.store))

    def action_products(self) -> None:
        if not isinstance(self.screen, ProductsScreen):
            self.push_screen(ProductsScreen(self.store))

    def action_new_client(self) -> None:
        from tui_crm.screens.client_card import ClientCardScreen

        self.push_screen(ClientCardScreen(self.store, None))

    def open_client(self, client_id: str) -> None:
        from tui_crm.screens.client_card import ClientCardScreen

        self.push_screen(ClientCardScreen(self.store, client_id))

    def action_sync_log(self) -> None:
        from tui_crm.screens.sync_log import SyncLogScreen

        if not isinstance(self.screen, SyncLogScreen):
            self.push_screen(SyncLogScreen(self.store))

    def open_invoice(self, invoice_id: str, *, posted: bool = False) -> None:
        """A posted order opens read-only in the order view (tabs Items/Payment/Shipment),
        a draft in the invoice editor."""
        if posted:
            from tui_crm.screens.order import OrderScreen

            self.push_screen(OrderScreen(self.store, invoice_id))
        else:
            from tui_crm.screens.invoice import InvoiceScreen

            self.push_screen(InvoiceScreen(self.store, invoice_id, None))

    def new_invoice(self, client_id: str | None) -> None:
        from tui_crm.screens.invoice import InvoiceScreen

        self.push_screen(InvoiceScreen(self.store, None, client_id))

    def open_lookup_hit(self, kind: str, object_id: str, posted: bool = False) -> None:
        if kind == "invoice":
            self.open_invoice(object_id, posted=posted)
        else:
            self.open_client(object_id)
