"""The Textual application: screens on top of the store, sync running on the same event loop."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from textual.app import App
from textual.binding import Binding
from textual.message import Message

from tui_crm.i18n import tr
from tui_crm.screens.products import ProductsScreen
from tui_crm.store import Store, utcnow
from tui_crm.sync.scheduler import create_scheduler
from tui_crm.sync.service import PullFinished, PullStarted, SyncEvent, SyncService
from tui_crm.widgets.status_bar import StatusBar, SyncView

log = logging.getLogger("tui_crm.app")


@dataclass
class SyncEventArrived(Message):
    """A plain sync event, carried onto Textual's message queue."""

    event: SyncEvent


class CrmApp(App[None]):
    """tui-crm. `service=None` runs on the mirror alone (offline, or in snapshot tests)."""

    TITLE = "tui-crm"
    BINDINGS = [
        Binding("f10,ctrl+q", "quit", tr("bind.quit"), id="app.quit", priority=True),
    ]

    def __init__(
        self,
        store: Store,
        service: SyncService | None = None,
        *,
        clock: Callable[[], datetime] = utcnow,
        pull_seconds: float = 60.0,
        autosync: bool = True,
        live_clock: bool = True,
        theme: str | None = None,
    ) -> None:
        super().__init__()
        self.store = store
        self.service = service
        self.clock = clock
        self.live_clock = live_clock
        self._pull_seconds = pull_seconds
        self._autosync = autosync and service is not None
        self._scheduler = None
        self._theme_name = theme
        self.sync_view = SyncView(online=None if service else False, last_success=store.last_success())

    def on_mount(self) -> None:
        if self._theme_name and self._theme_name in self.available_themes:
            self.theme = self._theme_name
        if self.service is not None:
            self.service.subscribe(lambda event: self.post_message(SyncEventArrived(event)))
        self.push_screen(ProductsScreen(self.store))
        if self._autosync and self.service is not None:
            self._scheduler = create_scheduler(
                self.service, pull_seconds=self._pull_seconds, spawn=self._spawn_sync
            )
            self._scheduler.start()

    def _spawn_sync(self, factory: Callable[[], object]) -> object:
        return self.run_worker(factory(), group="sync", exit_on_error=False)  # type: ignore[arg-type]

    async def on_unmount(self) -> None:
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        if self.service is not None:
            await self.service.aclose()

    def _set_view(self, view: SyncView) -> None:
        self.sync_view = view
        for screen in self.screen_stack:
            for bar in screen.query(StatusBar):
                bar.view = view

    def on_sync_event_arrived(self, message: SyncEventArrived) -> None:
        event = message.event
        if isinstance(event, PullStarted):
            self._set_view(replace(self.sync_view, running=True))
        elif isinstance(event, PullFinished):
            was_failing = self.sync_view.error is not None
            online = self.service.online if self.service is not None else None
            if event.ok:
                self._set_view(SyncView(online=True, running=False, last_success=event.at))
                for screen in self.screen_stack:
                    refresh = getattr(screen, "refresh_data", None)
                    if refresh is not None:
                        refresh()
            else:
                self._set_view(replace(self.sync_view, online=online, running=False, error=event.error))
                if not was_failing:
                    self.notify(tr("notify.pull_failed", error=event.error), severity="error", timeout=8)

    def action_sync_now(self) -> None:
        if self.service is not None:
            self.run_worker(self.service.pull_now(), group="sync", exit_on_error=False)
