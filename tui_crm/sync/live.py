"""The live job: stock and prices of the rows on screen, and the state, payments and shipments of
the orders on screen, refreshed every few seconds.

Why apart from the engine: its cost must grow with what the operator sees, not with the catalog
(docs/architecture.md §3, "Live rows") — it asks for exactly the watched product ids (Balance/SliceLast with
a ``Condition`` on those refs, in batches) and the watched orders, and nothing else.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from tui_crm.store import OrderState, Store
from tui_crm.sync import parse, queries
from tui_crm.sync.changes import arrivals
from tui_crm.sync.events import LiveRowsUpdated, OrdersUpdated, SyncEvent
from tui_crm.sync.fields import MissingFields
from tui_crm.sync.jobs import Jobs
from tui_crm.sync.odata import AuthError, NotODataResponse, ODataClient, Unreachable
from tui_crm.sync.parts import EnginePart
from tui_crm.sync.profile import Profile, batches
from tui_crm.sync.pull import stock_account_refs
from tui_crm.sync.runs import describe
from tui_crm.sync.writer import StoreWriter

log = logging.getLogger("tui_crm.sync")


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


def is_connectivity(exc: BaseException) -> bool:
    """True when ``exc`` says accounting cannot be used at all (down, not OData, refused login)."""
    return isinstance(exc, Unreachable | NotODataResponse | AuthError)


class LiveJob(EnginePart):
    """What is on screen, and one refresh of it per tick (ticks never overlap)."""

    def __init__(self, client: ODataClient, store: Store, profile: Profile, writer: StoreWriter, jobs: Jobs,
                 clock: Callable[[], datetime], emit: Callable[[SyncEvent], None],
                 reachable: Callable[[bool], None]) -> None:
        super().__init__(client, store, profile, writer, jobs, clock, emit)
        self.reachable = reachable   # tells the engine whether accounting answered
        self.stats = LiveStats()
        self._watch = _Watch()
        self._lock = asyncio.Lock()
        self._stock_accounts: list[str] | None = None   # БП 3: Ref_Keys of the stock accounts, read once
        # Fields the profile selects that live rows lack: each reported once while the CRM runs
        # (a tick runs every second), in the log and on a sync log line of the job "live".
        self.missing = MissingFields()
        self._noted = 0
        self._bad_reasons: set[str] = set()   # malformed rows' reasons, each logged once

    # -- what is on screen -------------------------------------------------------------------
    def watch_products(self, warehouse_id: str | None, price_type_id: str | None, product_ids: Sequence[str]) -> None:
        self._watch.warehouse_id = warehouse_id
        self._watch.price_type_id = price_type_id
        self._watch.product_ids = tuple(dict.fromkeys(product_ids))

    def unwatch_products(self) -> None:
        self._watch.product_ids = ()

    def watch_orders(self, invoice_ids: Sequence[str]) -> None:
        self._watch.order_ids = tuple(dict.fromkeys(invoice_ids))

    def unwatch_orders(self) -> None:
        self._watch.order_ids = ()

    @property
    def watched(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return self._watch.product_ids, self._watch.order_ids

    # -- the tick ----------------------------------------------------------------------------
    async def tick(self, *, rows: bool = True, orders: bool = True) -> None:
        """Refresh the rows (``rows``) and orders (``orders``) on screen; requests ∝ rows on
        screen, not catalog size. The scheduler runs the two at different cadences: rows every
        ``sync.live_seconds`` (prices and stock change under a typing operator), orders every
        few seconds (a payment toast can wait; an order costs five requests)."""
        w = self._watch
        rows = rows and bool(w.product_ids and w.warehouse_id)
        orders = orders and bool(w.order_ids)
        if not (rows or orders):
            return
        if self._lock.locked():
            return
        async with self._lock:
            before = self.client.stats.requests
            try:
                if rows and w.warehouse_id:
                    await self._products(w.warehouse_id, w.price_type_id, w.product_ids)
                if orders:
                    await self._orders(w.order_ids)
            except Exception as exc:  # noqa: BLE001 - any failure goes to stats.last_error; the next tick retries
                error = describe(exc)
                if is_connectivity(exc):
                    self.reachable(False)
                # The log says what changed, not every tick's outcome (a tick runs every second).
                if error != self.stats.last_error:
                    log.warning("live refresh failed: %s", error)
                self.stats.last_error = error
            else:
                if self.stats.last_error is not None:
                    log.info("live refresh works again")
                self.stats.last_error = None
            if len(self.missing.seen) > self._noted:
                self._noted = len(self.missing.seen)
                await self.jobs.note_missing("live", self.missing)
            self.stats.ticks += 1
            self.stats.requests += self.client.stats.requests - before
            self.stats.last_at = self.clock()

    def _quarantined(self, exc: parse.BadData, row: Any, ids: Sequence[str]) -> set[str]:
        """A malformed row left out of this tick (logged once per reason): the watched ids it
        names, or all of ``ids`` when it names none of them (it may be any of them)."""
        if exc.reason not in self._bad_reasons:
            self._bad_reasons.add(exc.reason)
            log.warning("live refresh quarantined a malformed %s row (Ref_Key %s): %s",
                        exc.entity, exc.key or "unknown", exc.reason)
        values = {v.lower() for v in (row.values() if isinstance(row, dict) else ()) if isinstance(v, str)}
        named = {i for i in ids if i.lower() in values}
        return named or set(ids)

    async def _get(self, q: queries.Query) -> list[Any]:
        return self.missing.rows(q.path, q.select, await self.client.get_all(q))

    async def _products(self, warehouse_id: str, price_type_id: str | None, product_ids: Sequence[str]) -> None:
        p = self.profile
        stock: dict[str, list[Decimal]] = {}
        prices: dict[str, tuple[Decimal, str | None, datetime | None]] = {}
        variant_only: set[str] = set()
        if self._stock_accounts is None:
            self._stock_accounts = await stock_account_refs(self.client, p)
        # Products a malformed row may concern keep what the store has (a row left out would read
        # as "no stock" / "no price"); the row is quarantined, the others apply. It used to end
        # the tick, every tick, so no row on screen was refreshed while that product was shown.
        keep_stock: set[str] = set()
        keep_prices: set[str] = set()
        for chunk in batches(product_ids, p.ids_per_request):
            for r in await self._get(queries.stock(p, warehouse_id, chunk, accounts=self._stock_accounts)):
                try:
                    _wh, prod, qty, reserved = parse.stock_row(p, r)
                except parse.BadData as exc:
                    keep_stock |= self._quarantined(exc, r, chunk)
                    continue
                s = stock.setdefault(prod, [Decimal(0), Decimal(0)])
                s[0] += qty
                s[1] += reserved
            reserves = queries.reserves(p, warehouse_id, chunk)
            if reserves is not None:
                for r in await self._get(reserves):
                    try:
                        _wh, prod, qty, _ = parse.stock_row(p, r, "reserves")
                    except parse.BadData as exc:
                        keep_stock |= self._quarantined(exc, r, chunk)
                        continue
                    stock.setdefault(prod, [Decimal(0), Decimal(0)])[1] += qty
            if price_type_id:
                for r in await self._get(queries.prices(p, price_type_id, chunk)):
                    try:
                        _pt, prod, has_variant, price, unit, period = parse.price_row(p, r)
                    except parse.BadData as exc:
                        keep_prices |= self._quarantined(exc, r, chunk)
                        continue
                    if has_variant and prod in prices and prod not in variant_only:
                        continue
                    if not has_variant or prod not in prices:
                        prices[prod] = (price, unit, period)
                        if has_variant:
                            variant_only.add(prod)
                        else:
                            variant_only.discard(prod)
        self.reachable(True)

        def write() -> list[str]:
            with self.store.transaction() as cur:
                changed = self.store.update_live_stock(
                    cur, warehouse_id, [i for i in product_ids if i not in keep_stock],
                    {k: (v[0], v[1]) for k, v in stock.items() if k not in keep_stock})
                if price_type_id:
                    changed += self.store.update_live_prices(
                        cur, price_type_id, [i for i in product_ids if i not in keep_prices],
                        {k: v for k, v in prices.items() if k not in keep_prices})
            return list(dict.fromkeys(changed))

        changed = await self.writer.run(write)
        if changed:
            self.emit(LiveRowsUpdated(self.clock(), warehouse_id, price_type_id, tuple(changed)))

    async def _orders(self, order_ids: Sequence[str]) -> None:
        p = self.profile
        in_accounting = await self.writer.run(self.store.invoice_ids_in_accounting)
        ids = [i for i in order_ids if i in in_accounting]
        if not ids:
            return
        states: list[OrderState] = []
        bad: set[str] = set()
        for q in queries.orders_by_id(p, ids):
            for r in await self._get(q):
                try:
                    states.append(parse.order_state(p, r))
                except parse.BadData as exc:
                    bad |= self._quarantined(exc, r, ids)
        now = self.clock()
        # an order whose row was quarantined is not "gone from accounting": left as it was
        checked = [i for i in ids if i not in bad]

        def write() -> list[str]:
            with self.store.transaction() as cur:
                return self.store.apply_order_states(cur, states, checked, now)

        changed = await self.writer.run(write)
        changed += [i for i in await self.jobs.order_reserves(ids, self.missing) if i not in changed]
        changed += [i for i in await self.jobs.shipment_requests(ids, self.missing) if i not in changed]
        if changed:
            self.emit(OrdersUpdated(now, tuple(changed)))
        pay = await self.jobs.payments(ids, record=False, missing=self.missing)
        ship = await self.jobs.shipments(ids, record=False, missing=self.missing)
        self.reachable(True)
        for event in arrivals(self.clock(), pay.new_payments, ship.new_shipments):
            self.emit(event)


__all__ = ["LiveJob", "LiveStats", "is_connectivity"]
