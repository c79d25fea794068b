"""The status bar every screen shows: online/offline, age of the data, what sync is doing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from tui_crm.i18n import format_age, tr
from tui_crm.widgets.text import clean

STALE_AFTER_SECONDS = 300


@dataclass(frozen=True)
class SyncView:
    """What the bar needs to know, filled by the app from sync events and the store."""

    online: bool | None = None
    running: bool = False
    last_success: datetime | None = None
    error: str | None = None
    outbox: int | None = None  # items waiting to go to accounting; None = not counted yet


class StatusBar(Static):
    """One line at the bottom; recomputes the age every second from an injectable clock."""

    DEFAULT_CSS = """
    StatusBar { height: 1; background: $panel; color: $text; padding: 0 1; }
    """

    view: reactive[SyncView] = reactive(SyncView, always_update=True)

    def __init__(self, clock: Callable[[], datetime], *, tick: bool = True, view: SyncView | None = None,
                 **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._clock = clock
        self._tick = tick
        self._initial = view

    def on_mount(self) -> None:
        if self._initial is not None:
            self.view = self._initial
        if self._tick:
            self.set_interval(1.0, self.refresh_text)
        self.refresh_text()

    def watch_view(self, _view: SyncView) -> None:
        self.refresh_text()

    def refresh_text(self) -> None:
        self.update(self.render_text())

    def render_text(self) -> Text:
        v = self.view
        text = Text()
        if v.online is None:
            text.append("◌ " + tr("status.connecting"), style="bold")
        elif v.online:
            text.append("● " + tr("status.online"), style="bold green")
        else:
            text.append("○ " + tr("status.offline"), style="bold red")
        text.append("  │  ")
        if v.last_success is None:
            text.append(tr("status.never"))
        else:
            age = (self._clock() - v.last_success).total_seconds()
            stale = age > STALE_AFTER_SECONDS or (v.error is not None)
            text.append(tr("status.age", age=format_age(age)), style="bold yellow" if stale else "")
            if stale:
                text.append(f" ({tr('status.stale')})", style="bold yellow")
        if v.outbox is not None:
            text.append("  │  ")
            if v.outbox:
                text.append("⇡ " + tr("status.outbox", n=v.outbox), style="bold")
            else:
                text.append("⇡ " + tr("status.outbox_empty"), style="dim")
        if v.running:
            text.append("  │  " + tr("status.syncing"), style="italic")
        elif v.error:
            text.append("  │  ")
            text.append(tr("status.error", error=clean(v.error)), style="red")  # 1C's message: no control
        return text
