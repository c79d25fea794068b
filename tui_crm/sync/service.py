"""The sync engine's front door: one object the TUI and the headless `sync` command share.

It owns the OData client, the profile and the store writer; runs the pull cycle, the outbox push
and the live-rows job without overlap (one lock each); records each run; tracks whether
accounting is reachable; and reports through plain events to subscribers. It never touches a
widget (docs/architecture.md §2). The work itself lives elsewhere: what a pull cycle re-reads in
`tui_crm.sync.changes`, the live job in `tui_crm.sync.live`, the jobs in `jobs`/`pull`/`push`.

API for the screens (all coroutine methods are safe to call from a Textual worker):
* ``watch_products(warehouse_id, price_type_id, product_ids)`` / ``unwatch_products()`` — rows
  on screen; the live job refreshes exactly those and emits `LiveRowsUpdated`;
* ``watch_orders(invoice_ids)`` / ``unwatch_orders()`` — orders on screen; the live job refreshes
  their state, payments and shipments and emits `OrdersUpdated`, `PaymentArrived`,
  `ShipmentArrived`; ``unwatch()`` clears both;
* ``push_now()`` after saving (or ``push_soon()`` from sync code), ``retry(item_id)``,
  ``discard(item_id)`` for the outbox screen, ``pull_now(full=...)`` for "sync now";
* ``sync_log()`` for the sync screen.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import ssl
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from tui_crm.config import AccountingSettings, ConfigError, SyncSettings
from tui_crm.i18n import number, register, tr
from tui_crm.store import Store
from tui_crm.store.crm import OutboxItem
from tui_crm.store.mirror import SyncRun
from tui_crm.sync.changes import MIRROR_MAX_AGE, PullCycle
from tui_crm.sync.events import (
    LiveRowsUpdated,
    OrdersUpdated,
    PaymentArrived,
    PullFinished,
    PullStarted,
    PushFinished,
    ShipmentArrived,
    Subscriber,
    SyncEvent,
)
from tui_crm.sync.guards import MAX_SHRINK_PERCENT
from tui_crm.sync.jobs import Jobs
from tui_crm.sync.live import LiveJob, LiveStats, is_connectivity
from tui_crm.sync.odata import ODataClient, set_server_timezone
from tui_crm.sync.profile import Profile, load_profile
from tui_crm.sync.pull import Progress, PullResult
from tui_crm.sync.push import PUSH_CONCURRENCY, Pusher, PushResult
from tui_crm.sync.runs import RunRecord, describe, recorded_run
from tui_crm.sync.writer import StoreWriter

# The longest one pull cycle may take before it is stopped and the pull lock freed: a full read
# of a 100k-product base takes well under a minute on loopback (BENCHMARKS.md), so ten minutes
# only ever stops a wedged cycle (a server that pages forever, or answers a byte at a time).
CYCLE_DEADLINE = timedelta(minutes=10)


class CycleDeadline(Exception):
    """A pull cycle ran past its deadline and was stopped; the previous mirror is kept."""


register({
    "sync.pull_deadline": {
        "en": "The pull from accounting took longer than {took} and was stopped; the previous data is kept and "
              "the next pull starts over.",
        "ru": "Загрузка из учёта шла дольше {took} и была остановлена; прежние данные сохранены, следующая "
              "загрузка начнётся заново.",
    },
    "sync.push_deadline": {
        "en": "The push to accounting took longer than {took} and was stopped; the items are sent again on the "
              "next push.",
        "ru": "Отправка в учёт шла дольше {took} и была остановлена; записи будут отправлены снова при "
              "следующей отправке.",
    },
    "sync.took.min": {"en": "{n} min", "ru": "{n} мин"},
    "sync.took.s": {"en": "{n} s", "ru": "{n} с"},
})


def _took(seconds: float) -> str:
    """A deadline as the sentences say it: "10 min", "1.5 s" ("1,5 с": a decimal comma in Russian)."""
    key, value = ("sync.took.min", seconds / 60) if seconds >= 60 else ("sync.took.s", seconds)
    return tr(key, n=number(value))


log = logging.getLogger("tui_crm.sync")


def client_from_settings(acc: AccountingSettings, transport: httpx.AsyncBaseTransport | None = None) -> ODataClient:
    """An OData client for the configured base; the password is read now and kept only in it.
    The 1C server's time zone (`accounting.server_timezone`, else this machine's) is set for the
    process: 1C's DateTime values are read and written in it."""
    set_server_timezone(ZoneInfo(acc.server_timezone) if acc.server_timezone else None)
    password = acc.password() if acc.username else None
    try:
        return ODataClient(
            acc.url,
            username=acc.username or None,
            password=password,
            timeout=acc.timeout,
            verify=acc.verify_tls,
            page_size=acc.page_size,
            max_pages=acc.max_pages,
            heavy_timeout=acc.heavy_timeout,
            max_page_bytes=int(acc.max_page_mb * 1024 * 1024),
            transport=transport,
        )
    except OSError as exc:  # SSL_CERT_FILE / SSL_CERT_DIR name a file that is missing or holds no certificate
        # (ssl.SSLError is an OSError): said with the file, not "[Errno 2] No such file or directory"
        path = os.environ.get("SSL_CERT_FILE") or os.environ.get("SSL_CERT_DIR") or "?"
        if isinstance(exc, FileNotFoundError):
            error = tr("config.ca_bundle.missing")
        else:   # OpenSSL's own reason, as sent
            error = (exc.reason if isinstance(exc, ssl.SSLError) else None) or exc.strerror or str(exc)
        raise ConfigError(tr("config.ca_bundle", path=path, error=error)) from exc


class SyncService:
    """Runs sync jobs against one accounting base for one store; jobs of a kind never overlap."""

    def __init__(
        self,
        store: Store,
        client: ODataClient,
        *,
        profile: Profile | None = None,
        clock: Callable[[], datetime] | None = None,
        rng: random.Random | None = None,
        mirror_max_age: timedelta = MIRROR_MAX_AGE,
        cycle_deadline: timedelta = CYCLE_DEADLINE,
        shrink_limit: float = MAX_SHRINK_PERCENT,
        push_concurrency: int = PUSH_CONCURRENCY,
    ) -> None:
        if not cycle_deadline.total_seconds() > 0:
            raise ValueError("cycle_deadline must be positive")
        self.store = store
        self.client = client
        self.profile = profile or load_profile("ka1")
        self.clock = clock or store.clock  # one "now" per process: the store's
        self.cycle_deadline = cycle_deadline
        self.online: bool | None = None  # None: not tried yet
        self.last_error: str | None = None
        self.running = False
        self.last_cycle_requests: int | None = None
        self.writer = StoreWriter(store)
        self.jobs = Jobs(client, store, self.profile, self.writer, self.clock, shrink_limit=shrink_limit)
        self.pusher = Pusher(client, store, self.profile, self.writer.grouped(), clock=self.clock, rng=rng,
                             concurrency=push_concurrency)
        self.cycle = PullCycle(client, store, self.profile, self.writer, self.jobs, self.clock, self._emit,
                               mirror_max_age=mirror_max_age, shrink_limit=shrink_limit)
        self.live_job = LiveJob(client, store, self.profile, self.writer, self.jobs, self.clock, self._emit,
                                self._reachable)
        self.live: LiveStats = self.live_job.stats
        self._lock = asyncio.Lock()          # the pull cycle
        self._push_lock = asyncio.Lock()
        self._subscribers: list[Subscriber] = []
        self._push_task: asyncio.Task[Any] | None = None

    @classmethod
    def from_settings(cls, store: Store, acc: AccountingSettings, *, base_dir: Any = None,
                      transport: httpx.AsyncBaseTransport | None = None, sync: SyncSettings | None = None,
                      profile: Profile | None = None, **kw: Any) -> SyncService:
        """Service for configured accounting: client, and the profile named by accounting.profile
        (or ``profile``, already loaded from it); ``sync`` gives the cycle deadline, the shrink
        limit and the push concurrency (`sync.*` in the config)."""
        profile = profile or load_profile(acc.profile, base_dir=base_dir)
        if sync is not None:
            kw.setdefault("cycle_deadline", timedelta(seconds=sync.cycle_deadline))
            kw.setdefault("shrink_limit", sync.max_shrink_percent)
            kw.setdefault("push_concurrency", sync.push_concurrency)
        return cls(store, client_from_settings(acc, transport), profile=profile, **kw)

    @property
    def mirror_max_age(self) -> timedelta:
        return self.cycle.mirror_max_age

    @mirror_max_age.setter
    def mirror_max_age(self, value: timedelta) -> None:
        self.cycle.mirror_max_age = value

    # -- events and state ------------------------------------------------------------------------
    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback)

    def _emit(self, event: SyncEvent) -> None:
        for callback in list(self._subscribers):
            try:
                callback(event)
            except Exception:  # a broken subscriber must not break sync
                log.exception("sync subscriber failed")

    def _reachable(self, online: bool) -> None:
        self.online = online

    def _note_failure(self, exc: BaseException) -> None:
        self.online = not is_connectivity(exc)
        self.last_error = describe(exc)

    # -- the pull cycle --------------------------------------------------------------------------
    async def pull_now(self, full: bool = False, progress: Progress | None = None, *,
                       accept_shrink: bool = False) -> PullResult | None:
        """One pull cycle; if one is already running, do nothing and return None.

        A catalogue that would shrink suspiciously is refused (the previous rows kept, the cycle
        reported failed with the reason, `tui_crm.sync.guards`); ``accept_shrink`` (the operator's
        ``tui-crm sync --once --accept-shrink``) applies it, and implies ``full``.

        Idle cost: two ``$count`` probes, orders made in 1C since the last look (one), debt by
        client and deal (one), reserves by order (one, when orders are open) and one sweep of
        order states — six requests however many orders are open (see `PullCycle.documents`).
        The product mirror and the counterparties are re-read only when first needed, when a
        probe sees a change, when they are older than ``mirror_max_age``, or when ``full`` is
        asked for.
        """
        if self._lock.locked():
            return None
        async with self._lock:
            self.running = True
            self._emit(PullStarted(self.clock()))
            run = RunRecord("pull")
            try:
                async with recorded_run(self.writer, "pull", self.clock, self.client.stats, into=run):
                    run.rows, jobs = await self._bounded_cycle(full or accept_shrink, progress, accept_shrink)
            except Exception as exc:  # noqa: BLE001 - report as PullFinished(ok=False), never kill the scheduler
                self._note_failure(exc)
                self._emit(PullFinished(ok=False, at=self.clock(), error=self.last_error, requests=run.requests))
                return None
            finally:
                self.running = False
            self.last_cycle_requests = run.requests
            await self.writer.run(self.store.prune_runs)
            self.online = True
            self.last_error = None
            result = PullResult(rows=run.rows, requests=run.requests, seconds=run.seconds)
            self._emit(PullFinished(ok=True, at=self.clock(), rows=run.rows, requests=run.requests,
                                    seconds=result.seconds, jobs=tuple(jobs)))
            return result

    async def _bounded_cycle(self, full: bool, progress: Progress | None,
                             accept_shrink: bool = False) -> tuple[int, list[str]]:
        """`PullCycle.run` under the cycle deadline: past it the cycle is cancelled (the request
        in flight with it, the mirror left as it was) and `CycleDeadline` says so plainly."""
        limit = self.cycle_deadline.total_seconds()
        try:
            async with asyncio.timeout(limit) as deadline:
                return await self.cycle.run(full, progress, accept_shrink=accept_shrink)
        except TimeoutError:
            if not deadline.expired():
                raise
            raise CycleDeadline(tr("sync.pull_deadline", took=_took(limit))) from None

    # -- push ------------------------------------------------------------------------------------
    async def push_now(self, limit: int = 50) -> PushResult | None:
        """Push what is due in the outbox; None if a push is already running.

        A run is recorded only when an item was attempted (or the push itself broke), so the
        every-few-seconds tick of an empty outbox leaves no trace in the sync log. An item that
        found accounting unreachable was attempted: its run is recorded and `PushFinished`
        (offline) tells the screens at once, not at the next pull, that accounting is gone and
        something waits to be sent.
        """
        if self._push_lock.locked():
            return None
        async with self._push_lock:
            try:
                async with recorded_run(self.writer, "push", self.clock, self.client.stats,
                                        open_at_start=False) as run:
                    result = await self._bounded_push(limit)
                    run.keep = bool(result.attempted or result.stopped or result.offline)
                    run.rows = len(result.pushed)
                    run.ok = not result.failed and not result.offline
                    run.error = result.offline or (
                        "; ".join(f"{k} {i}: {m}" for k, i, m in result.failed)[:500] or None)
            except Exception as exc:  # store trouble, a bug: report, never kill the scheduler
                log.exception("push failed")
                self._note_failure(exc)
                return None
            if result.offline:
                self.online = False
                self.last_error = result.offline
            elif result.pushed:
                self.online = True
            reserved = [oid for kind, oid in result.pushed if kind == "reserve"]
            if reserved:
                await self._reserves_after_push(reserved)
            shipped = [oid for kind, oid in result.pushed if kind == "shipment"]
            if shipped:
                orders = {req[0] for req in (self.store.shipment_request(r) for r in shipped) if req is not None}
                self._emit(OrdersUpdated(self.clock(), tuple(sorted(orders))))
            if result.attempted or result.stopped or result.offline:
                self._emit(PushFinished(self.clock(), tuple(result.pushed), tuple(result.failed), result.offline,
                                        tuple(result.conflicts)))
            return result

    async def _reserves_after_push(self, invoice_ids: list[str]) -> None:
        """Read the reserved quantities of orders just reserved, so the invoice shows them at once
        (else the next live tick or pull does)."""
        try:
            await self.jobs.order_reserves(invoice_ids)
        except Exception as exc:  # noqa: BLE001 - the reservation is done; its figures come later
            log.warning("reserved quantities not read yet: %s", describe(exc))
        self._emit(OrdersUpdated(self.clock(), tuple(invoice_ids)))

    async def _bounded_push(self, limit: int) -> PushResult:
        """`Pusher.run` under the cycle deadline: a request that never finishes (a server that
        answers a byte at a time never trips the read timeout) would otherwise hold the push lock
        for good. Past the deadline the push is stopped, the items it had claimed stay claimed
        and are taken again by the next push (which first looks each key up in accounting, so
        nothing is created twice), and the run says so in plain words."""
        limit_s = self.cycle_deadline.total_seconds()
        try:
            async with asyncio.timeout(limit_s) as deadline:
                return await self.pusher.run(limit)
        except TimeoutError:
            if not deadline.expired():
                raise
            return PushResult(stopped=True, offline=tr("sync.push_deadline", took=_took(limit_s)))

    def push_soon(self) -> None:
        """Start a push in the background (no-op if one is running)."""
        if self._push_task is None or self._push_task.done():
            self._push_task = asyncio.ensure_future(self.push_now())

    async def retry(self, item_id: int) -> bool:
        """Outbox screen: send a failed (or waiting) item again now; False if it cannot be."""
        ok = await self.writer.run(self.store.outbox_retry, item_id)
        if ok:
            self.push_soon()
        return ok

    async def discard(self, item_id: int) -> bool:
        """Outbox screen: give up on an item (the object stays in the CRM)."""
        return await self.writer.run(self.store.outbox_discard, item_id)

    async def keep_theirs(self, conflict_id: int) -> bool:
        """Conflict: keep accounting's version (read now) and drop the CRM's change; False when
        the conflict is no longer open or the object is gone from accounting."""
        return await self.pusher.keep_theirs(conflict_id)

    async def apply_ours(self, conflict_id: int) -> bool:
        """Conflict: write the CRM's version over accounting's; the push re-reads DataVersion first,
        so a still newer change in accounting is a new conflict. False when no longer open."""
        ok = await self.writer.run(self.store.conflict_apply_ours, conflict_id)
        if ok:
            self.push_soon()
        return ok

    def sync_log(self, limit: int = 50) -> tuple[list[SyncRun], list[OutboxItem]]:
        """Recent runs (newest first) and open outbox items (pending, sending, failed)."""
        return self.store.recent_runs(limit), self.store.outbox_items()

    # -- live rows -------------------------------------------------------------------------------
    def watch_products(self, warehouse_id: str | None, price_type_id: str | None, product_ids: Sequence[str]) -> None:
        """The rows now on screen (picker, invoice lines); replaces the previous set."""
        self.live_job.watch_products(warehouse_id, price_type_id, product_ids)

    def unwatch_products(self) -> None:
        self.live_job.unwatch_products()

    def watch_orders(self, invoice_ids: Sequence[str]) -> None:
        """Orders on screen: their state, payments and shipments are refreshed by the live job."""
        self.live_job.watch_orders(invoice_ids)

    def unwatch_orders(self) -> None:
        self.live_job.unwatch_orders()

    def unwatch(self) -> None:
        self.unwatch_products()
        self.unwatch_orders()

    @property
    def watched(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return self.live_job.watched

    async def live_tick(self, *, rows: bool = True, orders: bool = True) -> None:
        """Refresh the rows and orders on screen; requests ∝ rows on screen, not catalog size.
        ``rows=False`` / ``orders=False`` leave that part for its own tick (the scheduler's)."""
        await self.live_job.tick(rows=rows, orders=orders)

    # -- lifecycle -------------------------------------------------------------------------------
    async def aclose(self) -> None:
        if self._push_task is not None and not self._push_task.done():
            self._push_task.cancel()
        await self.client.aclose()
        self.writer.close()


__all__ = [
    "CYCLE_DEADLINE",
    "CycleDeadline",
    "LiveRowsUpdated",
    "LiveStats",
    "OrdersUpdated",
    "PaymentArrived",
    "PullFinished",
    "PullStarted",
    "PushFinished",
    "ShipmentArrived",
    "SyncEvent",
    "SyncService",
    "client_from_settings",
]
