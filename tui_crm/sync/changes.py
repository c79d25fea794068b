"""The pull cycle's change detection: what to re-read from accounting, and what to leave alone.

Why apart from the engine: this is the part that makes an idle cycle cost a handful of requests
instead of a full re-read (docs/architecture.md §3, "Pull") — cheap ``$count`` probes and ages decide whether the
reference and the product mirror are re-read, and register balances plus a round-robin sweep
decide which open orders' documents are read. The engine (`SyncService`) only serialises cycles,
records them and reports them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from tui_crm.store import Store
from tui_crm.sync.events import OrdersUpdated, PaymentArrived, ShipmentArrived, SyncEvent
from tui_crm.sync.fields import MissingFields
from tui_crm.sync.guards import MAX_SHRINK_PERCENT, CatalogueShrink, Shrink
from tui_crm.sync.jobs import Jobs
from tui_crm.sync.odata import ODataClient
from tui_crm.sync.parts import EnginePart
from tui_crm.sync.profile import Profile
from tui_crm.sync.pull import Progress, pull_mirror
from tui_crm.sync.writer import StoreWriter

# How old the product mirror / counterparty reference may get before an idle cycle re-reads it
# in full even if the cheap $count probes saw no change (prices and stock of rows on screen are
# kept fresh by the live job meanwhile).
MIRROR_MAX_AGE = timedelta(minutes=30)
REFERENCE_MAX_AGE = timedelta(minutes=30)


def arrivals(now: datetime, payments: Sequence[Any], shipments: Sequence[Any]) -> list[SyncEvent]:
    """One `PaymentArrived` per new payment and one `ShipmentArrived` per new shipment."""
    events: list[SyncEvent] = [PaymentArrived(now, p.invoice_id, p.id, p.kind, p.number, p.amount)
                               for p in payments]
    events += [ShipmentArrived(now, s.invoice_id, s.id, s.number) for s in shipments]
    return events


class PullCycle(EnginePart):
    """One pull cycle's work: reference and mirror when they changed or aged, then documents."""

    def __init__(self, client: ODataClient, store: Store, profile: Profile, writer: StoreWriter, jobs: Jobs,
                 clock: Callable[[], datetime], emit: Callable[[SyncEvent], None], *,
                 mirror_max_age: timedelta = MIRROR_MAX_AGE, shrink_limit: float = MAX_SHRINK_PERCENT) -> None:
        super().__init__(client, store, profile, writer, jobs, clock, emit)
        self.mirror_max_age = mirror_max_age
        self.shrink_limit = shrink_limit

    def _stale(self, key: str, max_age: timedelta) -> bool:
        value = self.store.get_meta(key)
        if not value:
            return True
        try:
            return self.clock() - datetime.fromisoformat(value) > max_age
        except ValueError:
            return True

    async def run(self, full: bool, progress: Progress | None, *,
                  accept_shrink: bool = False) -> tuple[int, list[str]]:
        """Rows read and the parts that ran ("counterparties", "mirror", "documents").

        A refused catalogue (`CatalogueShrink`: the counterparties or the product mirror would
        shrink suspiciously) keeps its previous rows; the documents are still read, and the
        refusal is raised at the end so the cycle is recorded failed with the reason (the sync
        log, the status bar and the toast say it). ``accept_shrink`` lets a shrink through."""
        rows = 0
        refused: list[CatalogueShrink] = []
        ran: list[str] = []
        meta = self.store.get_meta
        need_ref = full or await self.writer.run(self._stale, "reference_pulled_at", REFERENCE_MAX_AGE)
        need_mirror = full or await self.writer.run(self._stale, "mirror_pulled_at", self.mirror_max_age)
        if not need_ref:
            need_ref = str(await self.jobs.count("counterparty")) != await self.writer.run(meta, "count:counterparty")
        if not need_mirror:
            need_mirror = str(await self.jobs.count("product")) != await self.writer.run(meta, "count:product")
        if not (full or accept_shrink):
            # A refusal that still stands (accounting's count unchanged since, and recent) is
            # reported again without re-reading the whole catalogue every cycle.
            for part, probe in (("counterparties", "counterparty"), ("mirror", "product")):
                if (part == "mirror" and need_mirror) or (part == "counterparties" and need_ref):
                    standing = await self._standing_refusal(part, probe)
                    if standing is not None:
                        refused.append(standing)
                        need_mirror = need_mirror and part != "mirror"
                        need_ref = need_ref and part != "counterparties"
        if need_ref:
            if progress is not None:
                progress("counterparties", 0, None)
            try:
                rows += (await self.jobs.reference(accept_shrink=accept_shrink)).rows
                ran.append("counterparties")
                await self._note_refusal("counterparties", None)
            except CatalogueShrink as exc:
                refused.append(exc)
                await self._note_refusal("counterparties", exc)
        if need_mirror:
            try:
                rows += (await pull_mirror(self.client, self.store, profile=self.profile, writer=self.writer,
                                           progress=progress, clock=self.clock, shrink_limit=self.shrink_limit,
                                           accept_shrink=accept_shrink)).rows
                ran.append("mirror")
                await self._note_refusal("mirror", None)
            except CatalogueShrink as exc:
                refused.append(exc)
                await self._note_refusal("mirror", exc)
        rows += await self.documents()
        ran.append("documents")
        if refused:
            if len(refused) == 1:
                raise refused[0]
            raise CatalogueShrink([s for r in refused for s in r.shrinks], self.shrink_limit)
        return rows, ran

    async def _note_refusal(self, part: str, exc: CatalogueShrink | None) -> None:
        """Remember a refused catalogue (meta ``refused:<part>``: when, accounting's count, what
        shrank), or forget it once the part applied."""
        value = "" if exc is None else json.dumps({
            "at": self.clock().isoformat(), "counts": exc.counts, "limit": exc.limit,
            "shrinks": [[s.catalogue, s.before, s.after] for s in exc.shrinks]})

        def write() -> None:
            if value or self.store.get_meta(f"refused:{part}"):
                with self.store.transaction() as cur:
                    self.store.set_meta(cur, f"refused:{part}", value)

        await self.writer.run(write)

    async def _standing_refusal(self, part: str, probe: str) -> CatalogueShrink | None:
        """The refusal of ``part`` if it still stands: recorded less than ``mirror_max_age`` ago
        and accounting's ``$count`` of ``probe`` unchanged since (one request)."""
        raw = await self.writer.run(self.store.get_meta, f"refused:{part}")
        if not raw:
            return None
        try:
            data = json.loads(raw)
            at = datetime.fromisoformat(data["at"])
            count = int(data["counts"][probe])
            shrinks = [Shrink(str(c), int(b), int(a)) for c, b, a in data["shrinks"]]
            limit = float(data["limit"])
        except (ValueError, KeyError, TypeError):
            return None
        if self.clock() - at > self.mirror_max_age or await self.jobs.count(probe) != count:
            await self._note_refusal(part, None)   # stale: the part is read (and judged) again
            return None
        return CatalogueShrink(shrinks, limit, {probe: count})

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

        Idle: 2 ``$count`` probes (in `run`) + orders made in 1C + debt by deal + reserves
        by order + one sweep request = 6 requests for any number of open orders.

        БП 3 and УТ 11 (``[debt] watch = "client"``: no per-order register) — see `_by_client`:
        2 probes + debt + orders made in 1C with the sweep + one rotating document read = 5.
        """
        p = self.profile
        rows = 0
        now = self.clock()
        open_ids = [i for i, _ in await self.writer.run(self.store.open_orders)]
        debt = await self.jobs.debt()
        if debt is not None:
            rows += debt.rows
        balances = debt.balances if debt is not None else None
        missing = MissingFields()   # what the register reads below lack (the jobs note their own)
        reserves = await self.jobs.reserves_by_order(missing) if open_ids and balances is not None else None
        by_order = p.enums.get("settlement", {}).get("by_order", "")
        watched: set[str] = set()
        snapshot: dict[str, list[str]] = {}
        watch_key = "watch:orders"
        by_client = p["debt"].options.get("watch") == "client"
        if balances is not None and reserves is not None:
            watched = await self.writer.run(self.store.settled_by_order, open_ids, by_order)
            snapshot = {i: [str(balances.get(i, 0)), str(reserves.get(i, 0))] for i in open_ids if i in watched}
        elif by_client and debt is not None and debt.debts is not None:
            watch_key = "watch:clients"
            snapshot = await self.writer.run(self._by_client, open_ids, debt.debts)
            watched = set(snapshot)
        previous = await self.writer.run(self._snapshot, watch_key)
        moved = [i for i in open_ids if i not in watched or previous.get(i) != snapshot.get(i)]
        quiet = [i for i in open_ids if i not in moved]
        sweep = self.sweep(quiet, (-len(moved)) % p.ids_per_request or (0 if moved else p.ids_per_request),
                           await self.writer.run(self.store.get_meta, "watch:sweep"))
        # watched by client: one kind of document of the next quiet orders, in turn (what moves
        # no balance)
        turn, turned = (await self._rotation(quiet)) if watch_key == "watch:clients" else (None, None)

        res = await self.jobs.orders(moved + sweep)
        rows += res.rows
        if res.changed:
            self.emit(OrdersUpdated(self.clock(), tuple(res.changed)))
        # (orders, the one kind to read or None for all): the moved orders in full; the turn's
        # orders ride along when they fit in the same requests, else they are one read of their own
        reads: list[tuple[list[str], str | None]] = []
        if moved:
            every = list(dict.fromkeys(moved + (turn[1] if turn is not None else [])))
            fits = len(every) <= self._batch()
            reads.append((every if fits else moved, None))
            if turn is not None and not fits:
                reads.append((turn[1], turn[0]))
        elif turn is not None:
            reads.append((turn[1], turn[0]))
        requested: list[str] = []
        for ids, only in reads:
            pay = await self.jobs.payments(ids, only=only) if only != "shipment" else None
            ship = await self.jobs.shipments(ids) if only in (None, "shipment") else None
            rows += (pay.rows if pay is not None else 0) + (ship.rows if ship is not None else 0)
            for event in arrivals(self.clock(), pay.new_payments if pay is not None else [],
                                  ship.new_shipments if ship is not None else []):
                self.emit(event)
            requested += ship.requests_changed if ship is not None else []
        # The CRM's shipment requests: the warehouse posts or rejects them in accounting. БП 3,
        # УТ 11: a request is a sale, read with the sales above — posting or unposting it moves the
        # client's balance (its order is read that cycle), a rejection (deletion mark of an
        # unposted one) moves nothing and comes with the rotation's sales read.
        if open_ids and not (watch_key == "watch:clients" and self.jobs.requests_ride_with_shipments()):
            requested += await self.jobs.shipment_requests(open_ids, missing)
        requested = list(dict.fromkeys(requested))
        await self.jobs.note_missing("reserves", missing)
        if requested:
            self.emit(OrdersUpdated(self.clock(), tuple(requested)))

        def save() -> None:
            with self.store.transaction() as cur:
                self.store.set_meta(cur, watch_key, json.dumps(snapshot, sort_keys=True))
                if by_client and watch_key != "watch:clients":
                    # the balances could not be read: the next cycle that can starts afresh
                    self.store.set_meta(cur, "watch:clients", "{}")
                if sweep:
                    self.store.set_meta(cur, "watch:sweep", sweep[-1])
                if turned is not None:
                    self.store.set_meta(cur, "watch:turn", str(turned))
                self.store.mark_checked(cur, quiet, now)

        await self.writer.run(save)
        return rows

    def _by_client(self, open_ids: Sequence[str], debts: Mapping[str, Decimal]) -> dict[str, list[str]]:
        """Per open order, its client and that client's balance as read now (БП 3: 62.01 + 62.02;
        УТ 11: РасчетыСКлиентами.Сумма summed over the client's analytics keys).

        Why this vouches for an order whose entry is unchanged since the last cycle: posting a
        payment (bank or cash) moves the client's 62.01 or 62.02 by its sum, posting a sale moves
        62.01 (or 62.02, by the advance it uses up), and unposting, re-posting with another sum or
        marking for deletion (which unposts) moves it back or again — in a real БП 3 as in the
        sandbox. УТ 11: the three documents write РасчетыСКлиентами (a sale raises `Сумма`, a
        receipt lowers it; RegisterRecords in the 11.5 dump), the sandbox likewise. So a posted
        document of the order's client that the CRM has not read changes the client's balance,
        and the order is read in full (as `documents` reads a new order). What it cannot vouch
        for — an unposted payment or sale, a posted one re-pointed to another order of the same
        client for the same sum, a payment and a sale of the same sum for the client within one
        cycle — is read by the rotation (`_rotation`) within a bounded number of cycles. An
        order without a client in the store is not vouched for (read every cycle)."""
        return {i: [client, str(debts.get(client, Decimal(0)))]
                for i, client in self.store.invoice_clients(open_ids).items()}

    async def _rotation(self, quiet: Sequence[str]) -> tuple[tuple[str, list[str]] | None, int | None]:
        """The document read whose turn it is, and the turn to save: ``(key, order ids)`` for one
        kind of document (bank payments, cash payments, sales) of one batch of the quiet orders
        (as many as one read of that kind carries, `_kind_batch`; id order), taking turns so that
        each kind of each batch is read once in Σ over kinds of ⌈quiet / batch⌉ cycles (БП 3: 3
        for up to 20 open orders; УТ 11.5: 1 + 1 + 4 = 6, the sales' link being composite while
        payments go by the settlement objects' plain keys, kept in the store). None when none is
        quiet."""
        p = self.profile
        kinds = [k for k in ("bank_payment", "cash_payment", "shipment") if p[k].present]
        if not quiet or not kinds:
            return None, None
        ordered = sorted(quiet)
        per_kind = {k: [ordered[n:n + self._kind_batch(k)] for n in range(0, len(ordered), self._kind_batch(k))]
                    for k in kinds}
        # kinds interleaved: each kind's first batch, then each kind's second one, …
        slots = [(k, per_kind[k][n]) for n in range(max(len(b) for b in per_kind.values()))
                 for k in kinds if n < len(per_kind[k])]
        try:
            turn = int(await self.writer.run(self.store.get_meta, "watch:turn") or 0)
        except ValueError:
            turn = 0
        slot = turn % len(slots)
        return slots[slot], slot + 1

    def _kind_batch(self, kind: str) -> int:
        """How many orders one read of ``kind`` carries: a composite link takes a cast per id
        (`casts_per_request`). УТ 11.5's payments point at settlement objects, a plain key: with
        the objects kept in the store (`Jobs._settlement_links`) one read carries 20 orders."""
        p = self.profile
        c = p[kind]
        composite = c.type_of(c.f("order")) if kind == "shipment" else c.line_type_of(c.lf("order"))
        return p.casts_per_request if composite else p.ids_per_request

    def _batch(self) -> int:
        """How many orders one read of every kind carries (the smallest `_kind_batch`)."""
        p = self.profile
        return min([self._kind_batch(k) for k in ("bank_payment", "cash_payment", "shipment") if p[k].present],
                   default=p.ids_per_request)

    def _snapshot(self, key: str = "watch:orders") -> dict[str, list[str]]:
        """The register balances per watched order as saved by the previous cycle."""
        try:
            value = json.loads(self.store.get_meta(key) or "{}")
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    @staticmethod
    def sweep(ids: Sequence[str], size: int, after: str | None) -> list[str]:
        """The next ``size`` ids after ``after`` in id order, wrapping around (round robin)."""
        if size <= 0 or not ids:
            return []
        ordered = sorted(ids)
        if len(ordered) <= size:
            return ordered
        start = next((n for n, i in enumerate(ordered) if after is not None and i > after), 0)
        return (ordered[start:] + ordered[:start])[:size]


__all__ = ["MIRROR_MAX_AGE", "REFERENCE_MAX_AGE", "PullCycle", "arrivals"]
