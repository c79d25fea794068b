"""The Textual application: screens on top of the store, sync running on the same event loop.

`CrmApp` is the `HostApp` (host.py: services, the engine's events as typed messages, the one path
to each piece of sync work, the status bar's figures) plus what only the full program has: the
global keys, the command palette's providers, F1 help, the home screen and the scheduler that
runs the sync jobs on this loop.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import replace
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import CSSPathType, SystemCommand
from textual.binding import Binding, BindingType
from textual.command import CommandPalette
from textual.screen import Screen
from textual.theme import Theme
from textual.widgets import DataTable, Input, Static

from tui_crm.config import save_ui_state
from tui_crm.domain.custom import CustomFieldSet
from tui_crm.host import HostApp
from tui_crm.i18n import (
    Translated,
    key_for,
    language,
    localize_bindings,
    register,
    set_language,
    tr,
)
from tui_crm.screens.base import HostedModal, HostedScreen
from tui_crm.screens.clients import ClientsScreen
from tui_crm.screens.commands import (
    AppProvider,
    ClientsProvider,
    CrmPalette,
    LookupProvider,
    ScreenProvider,
    ThemeProvider,
)
from tui_crm.store import Store
from tui_crm.widgets.columns import FitTable
from tui_crm.widgets.status_bar import SyncView

if TYPE_CHECKING:  # imported when the engine starts, after the first screen (bench/start.py)
    from apscheduler.schedulers.asyncio import AsyncIOScheduler
    from textual.worker import Worker

    from tui_crm.sync.service import SyncService

# The engine starts when the home screen painted its rows; at the latest this long after mount.
ENGINE_START_LATEST = 1.0
# ...and this long after the frame with the first rows was handed to Textual's writer thread:
# that thread needs the GIL to put the frame on the terminal, and the engine's imports (httpx,
# APScheduler: ~0.1 s of Python) held it, so the rows reached the terminal only after them
# (bench/start.py: RSS at the first painted row 121 MB with the engine made at once, 112 MB with
# it made after this pause). The loop is idle meanwhile; the first pull starts this much later.
ENGINE_START_AFTER_ROWS = 0.2

log = logging.getLogger("tui_crm.app")

register({
    "app.demo_hint": {"en": "Demo: accounting sandbox at {url}. F1 shows it again, with the clerk's commands.",
                      "ru": "Демо: песочница учёта — {url}. F1 покажет её снова, с командами бухгалтера."},
    "sys.theme": {"en": "Theme", "ru": "Тема"},
    "sys.theme_help": {"en": "Change the colour theme", "ru": "Сменить цветовую тему"},
    "sys.quit": {"en": "Quit", "ru": "Выход"},
    "sys.quit_help": {"en": "Quit tui-crm", "ru": "Закрыть tui-crm"},
    "app.quit_unsaved_title": {"en": "Unsaved changes", "ru": "Несохранённые изменения"},
    "app.quit_unsaved_text": {
        "en": "{n} open screen(s) have unsaved changes. Quit and lose them?",
        "ru": "Несохранённые изменения на открытых экранах: {n}. Выйти и потерять их?",
    },
    "app.quit_discard": {"en": "Quit without saving", "ru": "Выйти без сохранения"},
    "app.quit_keep": {"en": "Keep editing", "ru": "Продолжить"},
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
    # One command switches to the other language; its title names that language in itself,
    # so an operator who cannot read the current one still finds it.
    "sys.language": {"en": "Язык интерфейса: русский", "ru": "Interface language: English"},
    "sys.language_help": {"en": "Switch the interface to Russian (remembered for next time)",
                          "ru": "Переключить интерфейс на английский (запоминается)"},
    "sys.not_saved": {"en": "Could not remember the choice: {error}",
                      "ru": "Не удалось запомнить выбор: {error}"},
})


def relabel(screen: Screen[object]) -> None:
    """Put a screen's fixed texts into the current language: key labels (footer, F1), catalog
    strings in labels and placeholders, the screen's title, table headers and tab names. What a
    screen paints from data (and catalog strings formatted with figures) is repainted by its
    `refresh_data()`."""
    localize_bindings(screen._bindings)
    for widget in screen.walk_children():
        localize_bindings(widget._bindings)
    title = screen.title
    title_key = key_for(title) if title else None
    for static in screen.query(Static):
        content = static.content
        if isinstance(content, Translated):
            if content == title:  # Textual keeps a screen's title as a plain str: its label knows the key
                title_key = content.i18n_key
            static.update(tr(content.i18n_key))
    if title_key is not None:
        screen.title = tr(title_key)
    for field in screen.query(Input):
        if isinstance(field.placeholder, Translated):
            field.placeholder = tr(field.placeholder.i18n_key)
    for fit in screen.query(FitTable):
        # A FitTable re-adds its columns from its spec whenever the layout changes: the spec is
        # what must change, by each label's own key (a reverse look-up of "Client" is ambiguous).
        fit.set_columns([replace(col, label=tr(col.label.i18n_key)) if isinstance(col.label, Translated) else col
                         for col in fit.spec])
    for table in screen.query(DataTable):
        if isinstance(table, FitTable):
            continue
        for column in table.ordered_columns:
            key = key_for(column.label.plain)
            if key is not None:
                column.label = Text(tr(key), style=column.label.style, justify=column.label.justify)
        table._clear_caches()  # the header's cells are cached by row, column and style only
        table.refresh()
    from textual.widgets import Tab  # not at start: the home screen has no tabs

    for tab in screen.query(Tab):
        key = key_for(tab.label.plain)
        if key is not None:
            tab.label = tr(key)


class CrmApp(HostApp):
    """tui-crm. `service=None` runs on the mirror alone (offline, or in snapshot tests)."""

    TITLE = "tui-crm"
    # The home screen's stylesheet is read with the app's: a screen's CSS_PATH read at its first
    # push makes Textual parse every stylesheet loaded so far again, from scratch (~10 ms of the
    # cold start, bench/start.py). Its rules all start with `ClientsScreen`, and a screen's
    # stylesheet stays loaded for the app's life anyway, so nothing else changes.
    CSS_PATH: ClassVar[CSSPathType | None] = [HostApp.APP_TCSS, Path(__file__).parent / "screens" / "clients.tcss"]
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
        live_seconds: float = 1.0,
        autosync: bool = True,
        live_clock: bool = True,
        theme: str | None = None,
        home: str = "clients",
        language: str | None = None,
        demo_url: str | None = None,
        ui_state: Path | None = None,
        custom_fields: CustomFieldSet | None = None,
        reserve_policy: str = "request",
        engine: Callable[[], SyncService] | None = None,
        started: Callable[[], None] | None = None,
    ) -> None:
        """``engine``: instead of ``service``, how to create it — called once the home screen
        painted its first rows (`first_rows_shown`), so the sync stack (httpx, APScheduler, the
        jobs) is neither imported nor built before the operator sees the list. Pass the
        profile's ``custom_fields`` with it: the first screens need them before the engine.
        ``started``: called once, when the home screen painted its first rows (at the latest
        ENGINE_START_LATEST after mount); `tui-crm run` resumes the garbage collector then."""
        if language is not None:  # else whatever cli.py set from ui.language / the locale
            set_language(language)
        super().__init__(store, service, clock=clock, live_clock=live_clock, custom_fields=custom_fields,
                         reserve_policy=reserve_policy,
                         sync_view=SyncView(online=None, last_success=store.last_success())
                         if service is None and engine is not None else None)
        self._engine = engine if service is None else None
        self._started = started
        self._pull_seconds = pull_seconds
        self._live_seconds = live_seconds
        self._autosync = autosync
        self._scheduler: AsyncIOScheduler | None = None
        self._theme_name = theme
        self._home = home
        self.demo_url = demo_url  # `tui-crm demo`: the sandbox's URL, shown in F1 help
        self._ui_state = ui_state  # where the theme and language chosen here are remembered
        localize_bindings(self._bindings)

    def on_mount(self) -> None:
        # HostApp.on_mount (engine subscription, outbox count) runs too: Textual calls the
        # on_mount of every class in the MRO, so it is not called from here.
        if self._theme_name and self._theme_name in self.available_themes:
            self.theme = self._theme_name
        # Subscribed after the start-up theme is set: only the operator's choices are saved
        # (from the palette's "Theme: …" commands or Textual's theme picker alike).
        # Textual publishes the change on the next turn of the loop: subscribe after that one.
        self.call_next(self.theme_changed_signal.subscribe, self, self._theme_chosen)
        if self._home == "products":
            from tui_crm.screens.products import ProductsScreen

            self.push_screen(ProductsScreen(self.store))
        else:
            self.push_screen(ClientsScreen(self.store))
        if self.service is not None:
            self._start_sync()
        if self._engine is not None or self._started is not None:
            self.set_timer(ENGINE_START_LATEST, self._start_engine)  # should the list never load
        if self.demo_url:
            self.notify(tr("app.demo_hint", url=self.demo_url), timeout=12)

    def first_rows_shown(self) -> None:
        self._now_started()
        if self._engine is not None:
            self.set_timer(ENGINE_START_AFTER_ROWS, self._start_engine)

    def _now_started(self) -> None:
        started, self._started = self._started, None
        if started is not None:
            started()

    def _start_engine(self) -> None:
        """Create the engine (once) and start its jobs."""
        self._now_started()
        engine, self._engine = self._engine, None
        if engine is None or not self.is_running:
            return
        try:
            service = engine()
        except Exception as exc:  # said in words; the CRM goes on with the local data
            log.exception("sync engine did not start")
            from tui_crm.sync.runs import describe

            said = describe(exc)   # in the interface language, as the sync says its errors
            self._set_view(replace(self.sync_view, online=False, error=said))
            self.notify(tr("notify.engine_failed", error=said), severity="error", timeout=10, markup=False)
            return
        self.attach_service(service)
        self._start_sync()

    def _start_sync(self) -> None:
        if not self._autosync or self.service is None:
            return
        from tui_crm.sync.scheduler import create_scheduler

        self._scheduler = create_scheduler(
            self.service, pull_seconds=self._pull_seconds, live_seconds=self._live_seconds,
            spawn=self._spawn_sync,
        )
        self._scheduler.start()

    def _spawn_sync(self, factory: Callable[[], Awaitable[object]]) -> object:
        # The coroutine is made when the worker runs, not before: a tick that lands while the app
        # quits gets a worker cancelled before it starts, and a coroutine made for it up front
        # was never awaited ("RuntimeWarning: coroutine 'SyncService.live_tick' was never
        # awaited" on the terminal after F10).
        async def work() -> object:
            return await factory()

        # typed here: through Textual's WorkType union mypy infers the worker's result as Never
        worker: Worker[object] = self.run_worker(work, group="sync", exit_on_error=False)
        return worker

    async def on_unmount(self) -> None:
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        if self.service is not None:
            await self.service.aclose()

    def _theme_chosen(self, theme: Theme) -> None:
        self._remember(theme=theme.name)

    def _remember(self, *, theme: str | None = None, language: str | None = None) -> None:
        if self._ui_state is None:
            return
        problem = save_ui_state(self._ui_state, theme=theme, language=language)
        if problem is not None:
            self.notify(tr("sys.not_saved", error=problem), severity="warning")

    def switch_language(self, lang: str) -> None:
        """Speak `lang` ("en" | "ru") from now on, on every screen of the stack, and remember it."""
        set_language(lang)
        self._remember(language=language())
        localize_bindings(self._bindings)
        for screen in self.screen_stack:
            relabel(screen)
            if isinstance(screen, HostedScreen | HostedModal):
                screen.refresh_data()
        self.refresh_bindings()

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Textual's own commands, worded in the interface language."""
        yield SystemCommand(tr("sys.theme"), tr("sys.theme_help"), self.action_change_theme)
        other = "en" if language() == "ru" else "ru"
        yield SystemCommand(tr("sys.language"), tr("sys.language_help"), partial(self.switch_language, other))
        yield SystemCommand(tr("sys.quit"), tr("sys.quit_help"), self.action_quit)
        if screen.query("HelpPanel"):
            yield SystemCommand(tr("sys.keys"), tr("sys.keys_help"), self.action_hide_help_panel)
        else:
            yield SystemCommand(tr("sys.keys"), tr("sys.keys_help"), self.action_show_help_panel)
        yield SystemCommand(
            tr("sys.screenshot"), tr("sys.screenshot_help"),
            lambda: self.set_timer(0.1, self.deliver_screenshot),
        )

    # -- actions ------------------------------------------------------------------------------
    def action_sync_now(self) -> None:
        self.pull_now()

    def action_help(self) -> None:
        from tui_crm.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen, demo_url=self.demo_url))

    def action_command_palette(self) -> None:
        # Textual types `is_open(app: App[object])`, and App is invariant in its result type: no
        # App[None] fits (Textual's typing gap)
        if self.use_command_palette and not CommandPalette.is_open(self):  # type: ignore[arg-type]
            self.push_screen(CrmPalette(id="--command-palette", placeholder=tr("palette.placeholder")))

    def action_lookup(self) -> None:
        """Quick lookup: the palette with only the invoice/client search."""
        if not CommandPalette.is_open(self):  # type: ignore[arg-type]  # App[object]: as above
            self.push_screen(
                CrmPalette(providers=[LookupProvider], placeholder=tr("lookup.placeholder"),
                               id="--command-palette")
            )

    async def action_quit(self) -> None:
        """Quit; a stray Ctrl+Q/F10 never loses typed work: when any screen on the stack holds
        unsaved edits (an invoice, a client card), the operator is asked first and the safe
        answer (keep editing) has the focus."""
        dirty = [s for s in self.screen_stack if isinstance(s, HostedScreen) and s.has_unsaved_changes()]
        if not dirty:
            self.exit()
            return
        from tui_crm.widgets.confirm import Choice, ConfirmModal

        if isinstance(self.screen, ConfirmModal):  # already asking
            return

        def chosen(quit_anyway: bool | None) -> None:
            if quit_anyway:
                self.exit()

        self.push_screen(
            ConfirmModal(tr("app.quit_unsaved_text", n=len(dirty)), title=tr("app.quit_unsaved_title"),
                         choices=[Choice(True, tr("app.quit_discard"), "d"),
                                  Choice(False, tr("app.quit_keep"), "c")]),
            chosen,
        )

    def action_clients(self) -> None:
        """Back to the clients list (the home screen); a screen with unsaved edits is asked."""
        for index, screen in enumerate(self.screen_stack):
            if isinstance(screen, ClientsScreen):
                while len(self.screen_stack) > index + 1:
                    top = self.screen_stack[-1]
                    if isinstance(top, HostedScreen) and top.has_unsaved_changes():
                        top.action_close()
                        return
                    self.pop_screen()
                return
        self.push_screen(ClientsScreen(self.store))

    def action_products(self) -> None:
        from tui_crm.screens.products import ProductsScreen

        if not isinstance(self.screen, ProductsScreen):
            self.push_screen(ProductsScreen(self.store))

    def action_new_client(self) -> None:
        self.open_client(None)

    def action_sync_log(self) -> None:
        self.open_sync_log()
