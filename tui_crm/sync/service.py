"""The sync engine's front door: one object the TUI and the headless `sync` command share.

It owns the OData client, the profile and the store writer; runs the pull cycle, the outbox push
and the live-rows job without overlap (one lock each); tracks whether accounting is reachable;
and reports through plain events to subscribers. It never touches a widget (DESIGN.md §2).

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
import json
import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx

from tui_crm.config import AccountingSettings
from tui_crm.store import Store
from tui_crm.store.crm import OutboxItem
from tui_crm.store.mirror import SyncRun
from tui_crm.sync import parse, queries
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
from tui_crm.sync.jobs import Jobs
from tui_crm.sync.odata import AuthError, NotODataResponse, ODataClient, Unreachable
from tui_crm.sync.profile import Profile, batches, load_profile
from tui_crm.sync.pull import Progress, PullResult, describe, pull_mirror
from tui_crm.sync.push import Pusher, PushResult
from tui_crm.sync.writer import StoreWriter

log = logging.getLogger("tui_crm.sync")

# How old the product mirror / counterparty reference may get before an idle cycle re-reads it
# in full even if the cheap $count probes saw no change (prices and stock of rows on screen are
# kept fresh by the live job meanwhile).
MIRROR_MAX_AGE = timedelta(minutes=30)
REFERENCE_MAX_AGE = timedelta(minutes=30)


@dataclass
class LiveStats:
    ticks: int = 0
    requests: int = 0
    last_error: str | None = None
    last_at: datetime | None = None


@dataclass
class _Watch:
    warehouse_id: str | None = None
    price_type_id: str | None = None
    product_ids: tuple[str, ...] = ()
    order_ids: tuple[str, ...] = ()


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
    ) -> None:
        self.store = store
        self.client = client
        self.profile = profile or load_profile("ka1")
        self.clock = clock or store.clock  # one "now" per process: the store's
        self.online: bool | None = None  # None: not tried yet
        self.last_error: str | None = None
        self.running = False
        self.mirror_max_age = mirror_max_age
        self.live = LiveStats()
        self.last_cycle_requests: int | None = None
        self.writer = StoreWriter(store)
        self.jobs = Jobs(client, store, self.profile, self.writer, self.clock)
        self.pusher = Pusher(client, store, self.profile, self.writer, clock=self.clock, rng=rng)
        self._lock = asyncio.Lock()          # the pull cycle
        self._push_lock = asyncio.Lock()
        self._live_lock = asyncio.Lock()
        self._subscribers: list[Subscriber] = []
        self._watch = _Watch()
        self._push_task: asyncio.Task[Any] | None = None

    @classmethod
    def from_settings(cls, store: Store, acc: AccountingSettings, *, base_dir: Any = None,
                      transport: httpx.AsyncBaseTransport | None = None, **kw: Any) -> SyncService:
        """Service for configured accounting: client, and the profile named by accounting.profile."""
        profile = load_profile(acc.profile, base_dir=base_dir)
        return cls(store, client_from_settings(acc, transport), profile=profile, **kw)

    # -- events ----------------------------------------------------------------------------------
    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback)

    def _emit(self, event: SyncEvent) -> None:
        for callback in list(self._subscribers):
            try:
                callback(event)
            except Exception:  # a broken subscriber must not break sync
                log.exception("sync subscriber failed")

    def _note_failure(self, exc: BaseException) -> None:
        self.online = not _is_connectivity(exc)
        self.last_error = describe(exc)

    # -- the pull cycle --------------------------------------------------------------------------
    async def pull_now(self, full: bool = False, progress: Progress | None = None) -> PullResult | None:
        """One pull cycle; if one is already running, do nothing and return None.

        Idle cost: two ``$count`` probes, orders made in 1C since the last look (one), debt by
        client and deal (one), reserves by order (one, when orders are open) and one sweep of
        order states — six requests however many orders are open (see `documents`). The product
        mirror and the counterparties are re-read only when first needed, when a probe sees a
        change, when they are older than ``mirror_max_age``, or when ``full`` is asked for.
        """
        if self._lock.locked():
            return None
        async with self._lock:
            self.running = True
            self._emit(PullStarted(self.clock()))
            started = time.perf_counter()
            before = self.client.stats.requests
            run_id = await self.writer.run(self.store.start_run, "pull", self.clock())
            try:
                rows, jobs = await self._cycle(full, progress)
            except Exception as exc:
                self._note_failure(exc)
                requests = self.client.stats.requests - before
                await self.writer.run(lambda: self.store.finish_run(
                    run_id, ok=False, requests=requests, error=self.last_error, finished_at=self.clock()))
                self._emit(PullFinished(ok=False, at=self.clock(), error=self.last_error, requests=requests))
                return None
            finally:
                self.running = False
            requests = self.client.stats.requests - before
            self.last_cycle_requests = requests
            await self.writer.run(lambda: self.store.finish_run(
                run_id, ok=True, rows_read=rows, requests=requests, finished_at=self.clock()))
            await self.writer.run(self.store.prune_runs)
            self.online = True
            self.last_error = None
            result = PullResult(rows=rows, requests=requests, seconds=time.perf_counter() - started)
            self._emit(PullFinished(ok=True, at=self.clock(), rows=rows, requests=requests,
                                    seconds=result.seconds, jobs=tuple(jobs)))
            return result

    def _meta(self, key: str) -> str | None:
        row = self.store.db.cursor().execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return row[0] if row else None

    def _stale(self, key: str, max_age: timedelta) -> bool:
        value = self._meta(key)
        if not value:
            return True
        try:
            return self.clock() - datetime.fromisoformat(value) > max_age
        except ValueError:
            return True

    async def _cycle(self, full: bool, progress: Progress | None) -> tuple[int, list[str]]:
        rows = 0
        ran: list[str] = []
        need_ref = full or await self.writer.run(self._stale, "reference_pulled_at", REFERENCE_MAX_AGE)
        need_mirror = full or await self.writer.run(self._stale, "mirror_pulled_at", self.mirror_max_age)
        if not need_ref:
            need_ref = str(await self.jobs.count("counterparty")) != await self.writer.run(self._meta, "count:counterparty")
        if not need_mirror:
            need_mirror = str(await self.jobs.count("product")) != await self.writer.run(self._meta, "count:product")
        if need_ref:
            if progress is not None:
                progress("counterparties", 0, None)
            rows += (await self.jobs.reference()).rows
            ran.append("counterparties")
        if need_mirror:
            rows += (await pull_mirror(self.client, self.store, profile=self.profile, writer=self.writer,
                                       progress=progress, clock=self.clock)).rows
            ran.append("mirror")
        rows += await self.documents()
        ran.append("documents")
        return rows, ran

    async def documents(self) -> int:
        """Our orders' state, orders made in 1C for our clients, payments and shipments of open
        orders, debt. Emits OrdersUpdated / PaymentArrived / ShipmentArrived.

        The cost does not grow with the number of open orders when nothing changed. Why it is
        still correct (КА 1.1; what the sandbox implements the same way):

        * Every posted payment or shipment against an order moves the order's remaining
          settlement in ``ВзаиморасчетыСКонтрагентами`` (dimension ``Сделка``) — for contracts
          settled by order, which is what the CRM creates and what it checks in the mirror. The
          debt is read by client AND deal anyway (one request), so the per-order balance is free.
        * Posting, unposting, deletion-marking (which unposts) and shipping an order move its
          reserve in ``ТоварыВРезервеНаСкладах`` (dimension ``ДокументРезерва``): one request.
        * Both are read BEFORE any document, and the snapshot is saved only after the documents
          of the orders that moved were read and written: a payment posted in between is either
          already in what we read, or moves the balance again for the next cycle. A payment
          exactly offset by a shipment in the same cycle still moves the reserve.
        * What no register shows — an unposted order's number or deletion mark, an edit of an
          unposted document — is caught by a sweep: each cycle re-reads the state of the next
          ``ids_per_request`` open orders (one request), and orders dated in the look-back window
          come with the "orders made in 1C" request anyway.
        * Orders the registers cannot vouch for (contract not settled by order or unknown, a
          base without the deal/reserve dimensions, the first cycle, a newly open order) are
          read in full every cycle, as before.

        Idle: 2 ``$count`` probes (in ``_cycle``) + orders made in 1C + debt by deal + reserves
        by order + one sweep request = 6 requests for any number of open orders.
        """
        p = self.profile
        rows = 0
        now = self.clock()
        open_ids = [i for i, _ in await self.writer.run(self.store.open_orders)]
        debt = await self.jobs.debt()
        if debt is not None:
            rows += debt.rows
        balances = debt.balances if debt is not None else None
        reserves = await self.jobs.reserves_by_order() if open_ids and balances is not None else None
        by_order = p.enums.get("settlement", {}).get("by_order", "")
        watched: set[str] = set()
        if balances is not None and reserves is not None:
            watched = await self.writer.run(self.store.settled_by_order, open_ids, by_order)
        snapshot = {i: [str(balances.get(i, 0)), str(reserves.get(i, 0))]
                    for i in open_ids if i in watched} if balances is not None and reserves is not None else {}
        previous = await self.writer.run(self._watch_snapshot)
        moved = [i for i in open_ids if i not in watched or previous.get(i) != snapshot.get(i)]
        quiet = [i for i in open_ids if i not in moved]
        sweep = self._sweep(quiet, (-len(moved)) % p.ids_per_request or (0 if moved else p.ids_per_request),
                            await self.writer.run(self._meta, "watch:sweep"))

        res = await self.jobs.orders(moved + sweep)
        rows += res.rows
        if res.changed:
            self._emit(OrdersUpdated(self.clock(), tuple(res.changed)))
        if moved:
            pay = await self.jobs.payments(moved)
            ship = await self.jobs.shipments(moved)
            rows += pay.rows + ship.rows
            self._emit_arrivals(pay.new_payments, ship.new_shipments)

        def save() -> None:
            with self.store.transaction() as cur:
                self.store.set_meta(cur, "watch:orders", json.dumps(snapshot, sort_keys=True))
                if sweep:
                    self.store.set_meta(cur, "watch:sweep", sweep[-1])
                self.store.mark_checked(cur, quiet, now)

        await self.writer.run(save)
        return rows

    def _watch_snapshot(self) -> dict[str, list[str]]:
        try:
            value = json.loads(self._meta("watch:orders") or "{}")
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    @staticmethod
    def _sweep(ids: Sequence[str], size: int, after: str | None) -> list[str]:
        """The next ``size`` ids after ``after`` in id order, wrapping around (round robin)."""
        if size <= 0 or not ids:
            return []
        ordered = sorted(ids)
        if len(ordered) <= size:
            return ordered
        start = next((n for n, i in enumerate(ordered) if after is not None and i > after), 0)
        return (ordered[start:] + ordered[:start])[:size]

    def _emit_arrivals(self, payments: Sequence[Any], shipments: Sequence[Any]) -> None:
        now = self.clock()
        for p in payments:
            self._emit(PaymentArrived(now, p.invoice_id, p.id, p.kind, p.number, p.amount))
        for s in shipments:
            self._emit(ShipmentArrived(now, s.invoice_id, s.id, s.number))

    # -- push ------------------------------------------------------------------------------------
    async def push_now(self, limit: int = 50) -> PushResult | None:
        """Push what is due in the outbox; None if a push is already running."""
        if self._push_lock.locked():
            return None
        async with self._push_lock:
            try:
                result = await self.pusher.run(limit)
            except Exception as exc:  # store trouble, a bug: report, never kill the scheduler
                log.exception("push failed")
                self._note_failure(exc)
                return None
            if result.offline:
                self.online = False
                self.last_error = result.offline
            elif result.pushed:
                self.online = True
            if result.attempted:
                self._emit(PushFinished(self.clock(), tuple(result.pushed), tuple(result.failed), result.offline))
                await self.writer.run(self._record_push, result)
            return result

    def _record_push(self, result: PushResult) -> None:
        run = self.store.start_run("push", self.clock())
        error = result.offline or ("; ".join(f"{k} {i}: {m}" for k, i, m in result.failed)[:500] or None)
        self.store.finish_run(run, ok=not result.failed and not result.offline, rows_read=len(result.pushed),
                              requests=result.requests, error=error, finished_at=self.clock())

    def push_soon(self) -> None:
        """Start a push in the background (no-op if one is running)."""
        if self._push_task is None or self._push_task.done():
            self._push_task = asyncio.ensure_future(self.push_now())

    async def retry(self, item_id: int) -> bool:
        """Outbox screen: send a failed item again now."""
        ok = await self.writer.run(self.store.outbox_retry, item_id)
        if ok:
            self.push_soon()
        return ok

    async def discard(self, item_id: int) -> bool:
        """Outbox screen: give up on an item (the object stays in the CRM)."""
        return await self.writer.run(self.store.outbox_discard, item_id)

    def sync_log(self, limit: int = 50) -> tuple[list[SyncRun], list[OutboxItem]]:
        """Recent runs (newest first) and open outbox items (pending, sending, failed)."""
        return self.store.recent_runs(limit), self.store.outbox_items()

    # -- live rows -------------------------------------------------------------------------------
    def watch_products(self, warehouse_id: str | None, price_type_id: str | None, product_ids: Sequence[str]) -> None:
        """The rows now on screen (picker, invoice lines); replaces the previous set."""
        self._watch.warehouse_id = warehouse_id
        self._watch.price_type_id = price_type_id
        self._watch.product_ids = tuple(dict.fromkeys(product_ids))

    def unwatch_products(self) -> None:
        self._watch.product_ids = ()

    def watch_orders(self, invoice_ids: Sequence[str]) -> None:
        """Orders on screen: their state, payments and shipments are refreshed by the live job."""
        self._watch.order_ids = tuple(dict.fromkeys(invoice_ids))

    def unwatch_orders(self) -> None:
        self._watch.order_ids = ()

    def unwatch(self) -> None:
        self.unwatch_products()
        self.unwatch_orders()

    @property
    def watched(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return self._watch.product_ids, self._watch.order_ids

    async def live_tick(self) -> None:
        """Refresh the rows and orders on screen; requests ∝ rows on screen, not catalog size."""
        w = self._watch
        if not (w.product_ids and w.warehouse_id) and not w.order_ids:
            return
        if self._live_lock.locked():
            return
        async with self._live_lock:
            before = self.client.stats.requests
            try:
                if w.product_ids and w.warehouse_id:
                    await self._live_products(w.warehouse_id, w.price_type_id, w.product_ids)
                if w.order_ids:
                    await self._live_orders(w.order_ids)
            except Exception as exc:
                self.live.last_error = describe(exc)
                if _is_connectivity(exc):
                    self.online = False
                log.info("live refresh failed: %s", self.live.last_error)
            else:
                self.live.last_error = None
            self.live.ticks += 1
            self.live.requests += self.client.stats.requests - before
            self.live.last_at = self.clock()

    async def _live_products(self, warehouse_id: str, price_type_id: str | None, product_ids: Sequence[str]) -> None:
        p = self.profile
        stock: dict[str, list[Decimal]] = {}
        prices: dict[str, tuple[Decimal, str | None, datetime | None]] = {}
        variant_only: set[str] = set()
        for chunk in batches(product_ids, p.ids_per_request):
            for r in await self.client.get_all(queries.stock(p, warehouse_id, chunk)):
                _wh, prod, qty, reserved = parse.stock_row(p, r)
                s = stock.setdefault(prod, [Decimal(0), Decimal(0)])
                s[0] += qty
                s[1] += reserved
            if p["reserves"].present:
                for r in await self.client.get_all(queries.reserves(p, warehouse_id, chunk)):
                    _wh, prod, qty, _ = parse.stock_row(p, r, "reserves")
                    stock.setdefault(prod, [Decimal(0), Decimal(0)])[1] += qty
            if price_type_id:
                for r in await self.client.get_all(queries.prices(p, price_type_id, chunk)):
                    _pt, prod, has_variant, price, unit, period = parse.price_row(p, r)
                    if has_variant and prod in prices and prod not in variant_only:
                        continue
                    if not has_variant or prod not in prices:
                        prices[prod] = (price, unit, period)
                        if has_variant:
                            variant_only.add(prod)
                        else:
                            variant_only.discard(prod)
        self.online = True

        def write() -> list[str]:
            with self.store.transaction() as cur:
                changed = self.store.update_live_stock(
                    cur, warehouse_id, list(product_ids), {k: (v[0], v[1]) for k, v in stock.items()})
                if price_type_id:
                    changed += self.store.update_live_prices(cur, price_type_id, list(product_ids), prices)
            return list(dict.fromkeys(changed))

        changed = await self.writer.run(write)
        if changed:
            self._emit(LiveRowsUpdated(self.clock(), warehouse_id, price_type_id, tuple(changed)))

    async def _live_orders(self, order_ids: Sequence[str]) -> None:
        p = self.profile
        ids = [i for i in order_ids]
        in_accounting = await self.writer.run(self.store.invoice_ids_in_accounting)
        ids = [i for i in ids if i in in_accounting]
        if not ids:
            return
        states = []
        for q in queries.orders_by_id(p, ids):
            states.extend(parse.order_state(p, r) for r in await self.client.get_all(q))
        now = self.clock()

        def write() -> list[str]:
            with self.store.transaction() as cur:
                return self.store.apply_order_states(cur, states, ids, now)

        changed = await self.writer.run(write)
        if changed:
            self._emit(OrdersUpdated(now, tuple(changed)))
        pay = await self.jobs.payments(ids, record=False)
        ship = await self.jobs.shipments(ids, record=False)
        self.online = True
        self._emit_arrivals(pay.new_payments, ship.new_shipments)

    # -- lifecycle -------------------------------------------------------------------------------
    async def aclose(self) -> None:
        if self._push_task is not None and not self._push_task.done():
            self._push_task.cancel()
        await self.client.aclose()
        self.writer.close()


def _is_connectivity(exc: BaseException) -> bool:
    return isinstance(exc, Unreachable | NotODataResponse | AuthError)


__all__ = [
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
