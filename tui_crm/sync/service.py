"""The sync engine's front door: one object the TUI and the headless `sync` command share.

It owns the OData client, runs pulls without overlap, tracks whether accounting is reachable
and reports through plain events to subscribers. It never touches a widget (DESIGN.md §2).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import httpx

from tui_crm.config import AccountingSettings
from tui_crm.store import Store, utcnow
from tui_crm.sync.odata import ODataClient
from tui_crm.sync.pull import PullResult, describe, pull_mirror

log = logging.getLogger("tui_crm.sync")


@dataclass(frozen=True)
class PullStarted:
    at: datetime


@dataclass(frozen=True)
class PullFinished:
    ok: bool
    at: datetime
    rows: int = 0
    requests: int = 0
    seconds: float = 0.0
    error: str | None = None


SyncEvent = PullStarted | PullFinished
Subscriber = Callable[[SyncEvent], None]


def client_from_settings(acc: AccountingSettings, transport: httpx.AsyncBaseTransport | None = None) -> ODataClient:
    """An OData client for the configured base; the password is read now and kept only in it."""
    return ODataClient(
        acc.url,
        username=acc.username or None,
        password=acc.password() if acc.username else None,
        timeout=acc.timeout,
        verify=acc.verify_tls,
        page_size=acc.page_size,
        transport=transport,
    )


class SyncService:
    """Runs sync jobs against one accounting base for one store; jobs never overlap."""

    def __init__(self, store: Store, client: ODataClient, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.store = store
        self.client = client
        self.clock = clock
        self.online: bool | None = None  # None: not tried yet
        self.last_error: str | None = None
        self.running = False
        self._lock = asyncio.Lock()
        self._subscribers: list[Subscriber] = []

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback)

    def _emit(self, event: SyncEvent) -> None:
        for callback in list(self._subscribers):
            try:
                callback(event)
            except Exception:  # a broken subscriber must not break sync
                log.exception("sync subscriber failed")

    async def pull_now(self) -> PullResult | None:
        """Pull the mirror now; if a pull is already running, do nothing and return None."""
        if self._lock.locked():
            return None
        async with self._lock:
            self.running = True
            self._emit(PullStarted(self.clock()))
            try:
                result = await pull_mirror(self.client, self.store, clock=self.clock)
            except Exception as exc:
                self.online = not _is_connectivity(exc)
                self.last_error = describe(exc)
                self._emit(PullFinished(ok=False, at=self.clock(), error=self.last_error))
                return None
            finally:
                self.running = False
            self.online = True
            self.last_error = None
            self._emit(
                PullFinished(ok=True, at=self.clock(), rows=result.rows, requests=result.requests,
                             seconds=result.seconds)
            )
            return result

    async def aclose(self) -> None:
        await self.client.aclose()


def _is_connectivity(exc: BaseException) -> bool:
    from tui_crm.sync.odata import NotODataResponse, Unreachable

    return isinstance(exc, Unreachable | NotODataResponse)
