"""Pull jobs beyond the product mirror: counterparties, organization, contracts, our orders'
state, orders made in 1C for our clients, payments and shipments of open orders, and debt.

Each job reads first, then writes in one store transaction, and is recorded in ``sync_runs``
(job name, rows, requests, error). A row that fails parsing (`parse.BadData`) is quarantined as in
the mirror pull: skipped, logged with entity, Ref_Key and reason, counted in
``JobResult.skipped`` and noted on the run in the sync log; the rest of the job applies.
Jobs are incremental where 1C allows: only open orders are asked about, and only their
DataVersion decides whether anything is written.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any, TypeVar

from tui_crm.store import Store
from tui_crm.store.accounting import OrderState, PaymentRow, ShipmentRow
from tui_crm.store.shipments import ShipmentRequestState
from tui_crm.sync import parse, queries
from tui_crm.sync.fields import MissingFields, entity_of
from tui_crm.sync.guards import MAX_SHRINK_PERCENT, CatalogueShrink, check_shrink
from tui_crm.sync.odata import NotFound, ODataClient
from tui_crm.sync.parse import BadData
from tui_crm.sync.profile import Profile
from tui_crm.sync.pull import account_refs, quarantine_note
from tui_crm.sync.runs import RunRecord, recorded_run
from tui_crm.sync.writer import StoreWriter

log = logging.getLogger("tui_crm.sync.jobs")

# Orders made in 1C are looked for from this long before the last successful look.
ORDERS_OVERLAP = timedelta(days=2)
ORDERS_FIRST_WINDOW = timedelta(days=30)

_T = TypeVar("_T")


@dataclass
class JobResult(RunRecord):
    """A pull job's run (rows, requests, outcome) and what it found."""

    changed: list[str] = field(default_factory=list)
    new_payments: list[PaymentRow] = field(default_factory=list)
    new_shipments: list[ShipmentRow] = field(default_factory=list)
    # Per order: remaining settlement (debt job) — None when this base cannot tell.
    balances: dict[str, Decimal] | None = None
    # Per counterparty: the debt as read now (debt job) — None when it was not read in full
    # (not published, or the balance or client field missing): then nothing may be judged by it.
    debts: dict[str, Decimal] | None = None
    # Orders whose shipment requests' state changed (the shipments job, БП 3 and УТ 11)
    requests_changed: list[str] = field(default_factory=list)
    skipped: list[BadData] = field(default_factory=list)   # malformed rows quarantined
    # fields the profile selects that rows lacked (reported once per entity and field per run;
    # a caller running several reads as one, the live job, passes its own)
    missing: MissingFields = field(default_factory=MissingFields)

    def each(self, entity: str, rows: Iterable[Any], read: Callable[[dict[str, Any]], _T]) -> list[_T]:
        """``read`` of every row that can be read; a row that cannot (`BadData`, or not a JSON
        object) is quarantined in ``skipped`` instead of failing the job."""
        out: list[_T] = []
        for r in rows:
            try:
                if not isinstance(r, dict):
                    raise BadData(entity, parse.why("not_object", value=repr(str(r)[:60])))
                out.append(read(r))
            except BadData as exc:
                # The same row can come with two requests (an order by id and in the window).
                if not any((b.entity, b.key, b.reason) == (exc.entity, exc.key, exc.reason) for b in self.skipped):
                    self.skipped.append(exc)
        return out

    def skipped_keys(self, entity: str) -> set[str | None]:
        """Ref_Keys (None: a row without one) of the quarantined rows of ``entity``."""
        return {b.key.lower() if b.key else None for b in self.skipped if b.entity == entity}


def _readable(rows: Iterable[Any], read: Callable[[dict[str, Any]], _T]) -> list[_T]:
    """``read`` of every row that can be read; the others are left out (no job to record them:
    `tui-crm status` answering from 1C, where one odd row must not end the command)."""
    out: list[_T] = []
    for r in rows:
        try:
            if isinstance(r, dict):
                out.append(read(r))
        except parse.BadData:
            continue
    return out


async def settlement_links(client: ODataClient, p: Profile, order_ids: Sequence[str],
                           missing: MissingFields | None = None,
                           into: JobResult | None = None) -> dict[str, str] | None:
    """УТ 11.5: {settlement object: order} for the orders, as 1C has them (payments point at the
    objects); None when the profile's payments point at orders directly. With ``into`` (a job's
    result) a row that cannot be read is quarantined there; without, it is left out. The pull
    jobs ask the store first (`Jobs._settlement_links`)."""
    if not p["settlement_object"].present:
        return None
    wanted = set(order_ids)
    entity = p["settlement_object"].entity
    links: dict[str, str] = {}
    for q in queries.settlement_objects(p, list(order_ids)):
        rows = await client.get_all(q)
        rows = missing.rows(q.path, q.select, rows) if missing is not None else rows
        for found in (into.each(entity, rows, lambda r: parse.settlement_object(p, r)) if into is not None
                      else _readable(rows, lambda r: parse.settlement_object(p, r))):
            if found is not None and found[1] in wanted:
                links[found[0]] = found[1]
    return links


class Jobs:
    """The pull jobs of one service: a client, a store (through its writer) and a profile."""

    def __init__(self, client: ODataClient, store: Store, profile: Profile, writer: StoreWriter,
                 clock: Callable[[], datetime] | None = None, *,
                 shrink_limit: float = MAX_SHRINK_PERCENT) -> None:
        self.client = client
        self.shrink_limit = shrink_limit
        self.store = store
        self.profile = profile
        self.writer = writer
        self.clock = clock or store.clock
        # БП 3: Ref_Keys of the debt accounts (62.01, 62.02), looked up by code once
        self._debt_accounts: list[str] | None = None
        # УТ 11.5: {Catalog_СтавкиНДС key: rate name}, read when an order made in 1C needs it
        self._vat_names: dict[str, str] | None = None

    async def _recorded(
        self, job: str, body: Callable[[JobResult], Awaitable[None]], *, record: bool = True,
        missing: MissingFields | None = None,
    ) -> JobResult:
        """Run a job body as one recorded sync run (unless ``record`` is False); errors propagate."""
        result = JobResult(job, missing=missing or MissingFields())
        async with recorded_run(self.writer, job, self.clock, self.client.stats, record=record, into=result):
            await body(result)
            if result.skipped:
                for bad in result.skipped:
                    what = "left out a" if isinstance(bad, parse.OtherSubconto) else "quarantined a malformed"
                    log.warning("%s %s row (Ref_Key %s): %s", what, bad.entity, bad.key or "unknown", bad.reason)
            notes = [quarantine_note(result.skipped) if result.skipped else None,
                     None if missing is not None else result.missing.note()]
            if any(notes):
                result.error = " ".join(n for n in notes if n)
        return result

    async def _get(self, missing: MissingFields, q: queries.Query) -> list[Any]:
        """All rows of ``q``, checked for the fields it selects (`MissingFields`, as the mirror)."""
        return missing.rows(q.path, q.select, await self.client.get_all(q))

    async def note_missing(self, job: str, missing: MissingFields) -> None:
        """A run row in the sync log saying which fields were missing, for reads that are not a
        recorded run of their own (the live job, the cycle's register reads); nothing when none."""
        note = missing.note()
        if note is None:
            return
        async with recorded_run(self.writer, job, self.clock, self.client.stats, open_at_start=False) as run:
            run.error = note

    # -- counts (cheap change probes for the idle cycle) ---------------------------------------
    async def count(self, key: str) -> int:
        return await self.client.count(self.profile[key].entity)

    # -- reference: organization, currencies, counterparties with contacts, contracts ----------
    async def reference(self, *, accept_shrink: bool = False) -> JobResult:
        """Organization, currencies, counterparties (with contacts) and contracts, replaced in one
        transaction; refused with `CatalogueShrink` when the counterparties would shrink
        suspiciously (unless ``accept_shrink``)."""
        p = self.profile

        async def body(res: JobResult) -> None:
            orgs = res.each(p["organization"].entity, await self._get(res.missing, queries.catalog(p, "organization")),
                            lambda r: parse.organization(p, r))
            currencies = (res.each(p["currency"].entity, await self._get(res.missing, queries.catalog(p, "currency")),
                                   lambda r: parse.currency(p, r))
                          if p["currency"].present else [])
            kinds: dict[str, str] = {}
            contacts: dict[str, list[parse.Contact]] = {}
            if p["contact"].present:
                kq = queries.contact_kinds(p)
                if kq is not None:
                    kinds = parse.contact_kind_map(p, await self._get(res.missing, kq))
                cq = queries.contacts(p)
                if cq is not None:
                    for c in res.each(p["contact"].entity, await self._get(res.missing, cq),
                                      lambda r: parse.contact(p, r, kinds)):
                        if c is not None:
                            contacts.setdefault(c.owner, []).append(c)
            extra = [cf.onec for cf in p.custom("client") if cf.pulls]
            counterparties = []
            raw_count = 0
            table_part = p["contact"].options.get("mode") == "table_part"
            cq_all = queries.catalog(p, "counterparty", extra_fields=extra)
            async for page in self.client.pages(cq_all):
                res.missing.rows(cq_all.path, cq_all.select, page)
                raw_count += len(page)

                def read(r: dict[str, Any]) -> tuple[Any, ...] | None:
                    cs = parse.contacts_from_table_part(p, r, kinds) if table_part else contacts.get(
                        str(r.get("Ref_Key", "")).lower(), [])
                    return parse.counterparty(p, r, cs)

                counterparties += [t for t in res.each(p["counterparty"].entity, page, read) if t is not None]
            contracts = []
            if p["contract"].present:
                contracts = [t for t in res.each(p["contract"].entity,
                                                 await self._get(res.missing, queries.catalog(p, "contract")),
                                                 lambda r: parse.contract(p, r)) if t is not None]
            debt_keys = await self._debt_keys(res)
            items: list[tuple[Any, ...]] = []
            for catalog in p.field_set().catalog_names():  # what reference custom fields point to
                rows = await self._get(res.missing, queries.custom_catalog(catalog))
                items += [t for t in res.each(catalog, rows, partial(parse.custom_item, catalog)) if t is not None]
            res.rows = len(orgs) + len(currencies) + len(counterparties) + len(contracts) + len(items)
            if not accept_shrink:
                before = await self.writer.run(self.store.counterparty_count)
                shrinks = check_shrink({"counterparties": before}, {"counterparties": len(counterparties)},
                                       self.shrink_limit)
                if shrinks:
                    raise CatalogueShrink(shrinks, self.shrink_limit, {"counterparty": raw_count})

            def write() -> None:
                with self.store.transaction() as cur:
                    self.store.replace_organizations(cur, orgs)
                    if currencies:
                        self.store.replace_currencies(cur, currencies)
                    self.store.replace_counterparties(cur, counterparties)
                    if p["contract"].present:
                        self.store.replace_contracts(cur, contracts)
                    self.store.replace_custom_items(cur, items)
                    if debt_keys is not None:
                        self.store.replace_debt_keys(cur, debt_keys)
                    self.store.set_meta(cur, "count:counterparty", str(raw_count))
                    self.store.set_meta(cur, "reference_pulled_at", self.clock().isoformat())

            await self.writer.run(write)

        return await self._recorded("counterparties", body)

    async def _debt_keys(self, res: JobResult) -> list[tuple[str, str]] | None:
        """УТ 11: every analytics key of the settlements register with its counterparty, paged
        by Ref_Key (two fields a row); None when the profile has no keys or 1C does not publish
        the catalog (the debt is then not shown, with a warning)."""
        p = self.profile
        if not (p["debt_key"].present and p["debt"].present):
            return None
        out: list[tuple[str, str]] = []
        try:
            kq = queries.catalog(p, "debt_key")
            async for page in self.client.pages(kq):
                res.missing.rows(kq.path, kq.select, page)
                out += [t for t in res.each(p["debt_key"].entity, page, lambda r: parse.debt_key(p, r))
                        if t is not None]
        except NotFound:
            log.warning("%s is not published; client debt is not shown", p["debt_key"].entity)
            return None
        return out

    async def _debts_by_key(self, res: JobResult, by_key: dict[str, Decimal]) -> dict[str, Decimal]:
        """Debt per counterparty from debt per analytics key: keys the store knows, then those it
        does not read by id (and kept); a key without a counterparty is noted, never guessed."""
        p = self.profile
        known = await self.writer.run(self.store.debt_key_map, list(by_key))
        unknown = [k for k in by_key if k not in known]
        found: list[tuple[str, str]] = []
        for q in queries.debt_keys_by_id(p, unknown):
            try:
                rows = await self._get(res.missing, q)
            except NotFound:
                log.warning("%s is not published; client debt is not shown", q.path)
                break
            found += [t for t in res.each(p["debt_key"].entity, rows, lambda r: parse.debt_key(p, r))
                      if t is not None]
        if found:
            def add() -> None:
                with self.store.transaction() as cur:
                    self.store.add_debt_keys(cur, found)

            await self.writer.run(add)
            known.update(found)
        debts: dict[str, Decimal] = {}
        for key, amount in by_key.items():
            party = known.get(key)
            if party is None:
                why = parse.why("no_counterparty", key=key, entity=p["debt_key"].entity)
                res.skipped.append(BadData(p["debt"].entity, why, {"Ref_Key": key}))
                continue
            debts[party] = debts.get(party, Decimal(0)) + amount
        return debts

    # -- our orders ----------------------------------------------------------------------------
    async def orders(self, open_ids: Sequence[str] | None = None) -> JobResult:
        """State of open orders (by id, compared by DataVersion) and orders made in 1C for our
        clients since the last look."""
        p = self.profile

        async def body(res: JobResult) -> None:
            ids = list(dict.fromkeys(open_ids if open_ids is not None else [
                i for i, _ in await self.writer.run(self.store.open_orders)]))
            now = self.clock()
            since_meta = await self.writer.run(self.store.get_meta, "orders_seen_at")
            since = (datetime.fromisoformat(since_meta) - ORDERS_OVERLAP) if since_meta else now - ORDERS_FIRST_WINDOW
            since = since.replace(hour=0, minute=0, second=0, microsecond=0)
            # Up to one request's worth of ids (the idle cycle's sweep) ride along with the look
            # for orders made in 1C: one request instead of two; more go by id in batches.
            along = ids if len(ids) <= p.ids_per_request else []
            states: list[OrderState] = []
            if not along:
                for q in queries.orders_by_id(p, ids):
                    states += res.each(p["order"].entity, await self._get(res.missing, q),
                                       lambda r: parse.order_state(p, r))
            known_clients = await self.writer.run(self.store.known_client_ids)
            ours = await self.writer.run(self.store.all_invoice_ids)
            made_in_1c = []
            asked = set(ids)
            in_window: list[OrderState] = []
            for full in res.each(p["order"].entity,
                                 await self._get(res.missing, queries.orders_since(p, since, also=along)),
                                 lambda r: parse.order_full(p, r)):
                state = full[0]
                if state.id in asked and along:
                    states.append(state)
                    continue
                if state.id in ours and state.id not in asked:
                    in_window.append(state)   # our order's state comes for free with this request
                if state.client_id in known_clients and (state.id not in ours or state.id not in asked):
                    made_in_1c.append(full)
            res.rows = len(states) + len(made_in_1c)
            # only the orders the store takes: lines of ours (and of unchanged ones) are not kept
            take = await self.writer.run(self.store.orders_to_take, [full[0] for full in made_in_1c])
            made_in_1c = await self._with_rates(res, [full for full in made_in_1c if full[0].id in take])
            # An order whose row was quarantined is not "gone from accounting": it is left as it
            # was (and, when the bad row has no readable Ref_Key, no order is judged gone).
            bad = res.skipped_keys(p["order"].entity)
            checked = [] if None in bad else [i for i in ids if i not in bad]

            def write() -> list[str]:
                with self.store.transaction() as cur:
                    changed = self.store.apply_order_states(cur, states, checked, now)
                    added = self.store.add_orders_from_accounting(cur, made_in_1c, now)
                    # After the refresh of 1C-made orders (which compares DataVersion itself).
                    changed += self.store.apply_order_states(cur, in_window, [s.id for s in in_window], now)
                    self.store.set_meta(cur, "orders_seen_at", now.isoformat())
                return list(dict.fromkeys(changed + added))

            res.changed = await self.writer.run(write)

        return await self._recorded("orders", body)

    async def _with_rates(self, res: JobResult, made: list[Any]) -> list[Any]:
        """Orders made in 1C with their lines' VAT rates named (`parse.order_rates`); an order
        with a rate the CRM cannot name is quarantined. УТ 11.5's rates are catalog references:
        the catalog is read when a line's key is not known yet (a rate added in 1C, such as 22 %
        in 2026, is found by the next read), so idle cycles without such orders ask nothing."""
        p = self.profile
        wanted = set().union(*(parse.vat_keys(full) for full in made))
        if p["vat_rate"].present and wanted and not wanted <= set(self._vat_names or {}):
            self._vat_names = parse.vat_rate_names(p, await self._get(res.missing, queries.catalog(p, "vat_rate")))
        names = self._vat_names if p["vat_rate"].present else None
        return res.each(p["order"].entity, [{"full": full} for full in made],
                        lambda r: parse.order_rates(p, r["full"], names))

    # -- payments and shipments of open orders --------------------------------------------------
    async def payments(self, order_ids: Sequence[str], *, record: bool = True,
                       missing: MissingFields | None = None, only: str | None = None) -> JobResult:
        """Payments (bank and cash) of the orders, made equal in the store to what 1C has.
        ``only`` ("bank_payment" or "cash_payment") reads that kind alone and keeps the stored
        payments of the other kind as they are (the idle cycle's rotation, `PullCycle.documents`)."""
        p = self.profile
        wanted = set(order_ids)
        keys = ("bank_payment", "cash_payment") if only is None else (only,)
        if only is not None and only not in ("bank_payment", "cash_payment"):
            raise ValueError(f"payments: {only!r} is not a payment kind")
        kept = {"bank" if k == "bank_payment" else "cash" for k in ("bank_payment", "cash_payment")
                if k not in keys}

        async def body(res: JobResult) -> None:
            if not wanted:
                return
            rows: list[PaymentRow] = []
            # УТ 11.5: payment rows point at settlement objects; find the orders' ones first
            links, new_links = await self._settlement_links(list(order_ids), res)
            link_ids = list(links) if links is not None else list(order_ids)
            for key in keys:
                def read(r: dict[str, Any], key: str = key) -> list[PaymentRow]:
                    return parse.payments(p, key, r, wanted, links)

                for q in queries.payments(p, key, link_ids) if link_ids else ():
                    for found in res.each(p[key].entity, await self._get(res.missing, q), read):
                        rows.extend(found)
            res.rows = len(rows)
            now = self.clock()

            def write() -> list[PaymentRow]:
                # the kind not read this time stays as stored (its rows are summed per order already)
                same = [r for r in self.store.payments_of(order_ids) if r.kind in kept] if kept else []
                with self.store.transaction() as cur:
                    if new_links:
                        self.store.add_settlement_objects(cur, new_links)
                    return self.store.replace_payments(cur, list(order_ids), rows + same, now)

            res.new_payments = await self.writer.run(write)
            res.changed = [r.invoice_id for r in res.new_payments]

        return await self._recorded("payments", body, record=record, missing=missing)

    async def _settlement_links(self, order_ids: Sequence[str],
                                res: JobResult) -> tuple[dict[str, str] | None, dict[str, str]]:
        """УТ 11.5: ({settlement object: order} for the orders, the links newly read from 1C);
        (None, {}) when the profile's payments point at orders directly.

        The store's links come first (an object's order never changes); 1C is asked only about
        the orders the store knows no object of — a new order, or one 1C had made none for yet
        (asked again next time). A row that cannot be read is quarantined like any other."""
        p = self.profile
        if not p["settlement_object"].present:
            return None, {}
        known = await self.writer.run(self.store.settlement_objects, order_ids)
        have = set(known.values())
        unknown = [i for i in dict.fromkeys(order_ids) if i not in have]
        found = (await settlement_links(self.client, p, unknown, res.missing, into=res) or {}) if unknown else {}
        return {**known, **found}, found

    def requests_ride_with_shipments(self) -> bool:
        """БП 3, УТ 11: the CRM's shipment request is a sale linked to the order like any sale (same
        entity, same link and state fields), so the shipments read answers for it too."""
        p = self.profile
        sh, sr = p["shipment"], p["shipment_request"]
        return (sh.present and sr.present and sh.entity == sr.entity
                and all(sh.has(k) and sr.has(k) and sh.f(k) == sr.f(k)
                        for k in ("id", "number", "posted", "deletion_mark", "order")))

    async def shipments(self, order_ids: Sequence[str], *, record: bool = True,
                        missing: MissingFields | None = None) -> JobResult:
        """Sales of the orders, made equal in the store to what 1C has; where the CRM's shipment
        requests are sales too (`requests_ride_with_shipments`), their state (number, posted,
        marked) is taken from the same rows: ``requests_changed`` lists the orders whose requests changed."""
        p = self.profile
        wanted = set(order_ids)
        with_requests = self.requests_ride_with_shipments()

        async def body(res: JobResult) -> None:
            if not wanted:
                return
            rows: list[ShipmentRow] = []
            states: list[ShipmentRequestState] = []
            for q in queries.shipments(p, list(order_ids)):
                got = await self._get(res.missing, q)
                rows += [s for s in res.each(p["shipment"].entity, got,
                                             lambda r: parse.shipment(p, r, wanted)) if s is not None]
                if with_requests:
                    states += res.each(p["shipment_request"].entity, got,
                                       lambda r: parse.shipment_request_state(p, r))
            res.rows = len(rows)
            now = self.clock()

            def write() -> tuple[list[ShipmentRow], list[str]]:
                with self.store.transaction() as cur:
                    new = self.store.replace_shipments(cur, list(order_ids), rows, now)
                    # requests unknown to the store (accountants' own sales) are skipped there
                    return new, self.store.apply_shipment_request_states(cur, states, now) if states else []

            res.new_shipments, res.requests_changed = await self.writer.run(write)
            res.changed = [s.invoice_id for s in res.new_shipments]

        return await self._recorded("shipments", body, record=record, missing=missing)

    # -- debt, and the registers that tell which open orders changed ----------------------------
    async def debt(self) -> JobResult | None:
        """Debt per client. Where the profile maps the settlement's deal (ka1: ``Сделка``), the
        same single request is made by client AND deal, and the result also carries each order's
        remaining settlement (``balances``) for the idle cycle's change detection."""
        p = self.profile
        first = queries.settlements(p) or queries.debt(p)
        if first is None:
            return None
        by_deal = p["debt"].has("order")
        by_account = queries.register_accounts(p, "debt") is not None   # БП 3: 62.01 and 62.02

        async def body(res: JobResult) -> None:
            debts: dict[str, Decimal] = {}
            balances: dict[str, Decimal] = {}
            q = first
            try:
                if by_account:
                    if self._debt_accounts is None:
                        self._debt_accounts = await account_refs(self.client, p, "debt")
                    q = queries.debt(p, self._debt_accounts) or first
                rows = await self._get(res.missing, q)
            except NotFound:
                log.warning("%s is not published; client debt is not shown", q.path)
                return
            lacking = {f for e, f in res.missing.seen if e == entity_of(q.path)}
            if lacking & {p["debt"].f("client"), p["debt"].f("amount")}:
                # the balance or its client is not in the rows: the debts shown stay as they were
                # (the run's note says which field), never replaced by zeros
                return
            found: list[tuple[str, Decimal] | None] = []
            if by_deal:
                for client, order, amount in res.each(p["debt"].entity, rows, lambda r: parse.settlement_row(p, r)):
                    if order is not None:
                        balances[order] = balances.get(order, Decimal(0)) + amount
                    found.append((client, amount) if client is not None else None)
            else:
                found = res.each(p["debt"].entity, rows, lambda r: parse.debt_row(p, r))
            for d in found:
                if d is not None:
                    debts[d[0]] = debts.get(d[0], Decimal(0)) + d[1]
            if p["debt_key"].present:   # УТ 11: the "client" above is an analytics key
                debts = await self._debts_by_key(res, debts)
            res.rows = len(debts)
            res.debts = debts
            if by_deal:
                res.balances = balances

            def write() -> None:
                with self.store.transaction() as cur:
                    self.store.set_debts(cur, debts)

            await self.writer.run(write)

        return await self._recorded("debt", body)

    async def _noting(self, job: str, missing: MissingFields | None,
                      read: Callable[[MissingFields], Awaitable[_T]]) -> _T:
        """Run `read`; the fields its rows lack go to ``missing`` (the caller's run) or, without
        one, to a sync log line of their own under ``job``."""
        own = MissingFields() if missing is None else missing
        out = await read(own)
        if missing is None:
            await self.note_missing(job, own)
        return out

    async def reserves_by_order(self, missing: MissingFields | None = None) -> dict[str, Decimal] | None:
        """See `_reserves_by_order` and `_noting`."""
        return await self._noting("reserves", missing, self._reserves_by_order)

    async def _reserves_by_order(self, missing: MissingFields) -> dict[str, Decimal] | None:
        """Reserved quantity per order document (one request), or None when this base cannot tell."""
        p = self.profile
        q = queries.reserves_by_order(p)
        if q is None:
            return None
        try:
            rows = await self._get(missing, q)
        except NotFound:
            log.warning("%s is not published; open orders are polled one by one", q.path)
            return None
        out: dict[str, Decimal] = {}
        for r in rows:
            order, qty = parse.reserve_of_order(p, r)
            if order is not None:
                out[order] = out.get(order, Decimal(0)) + qty
        return out

    async def order_reserves(self, order_ids: Sequence[str], missing: MissingFields | None = None) -> list[str]:
        """See `_order_reserves` and `_noting`."""
        return await self._noting("reserves", missing, lambda m: self._order_reserves(order_ids, m))

    async def _order_reserves(self, order_ids: Sequence[str], missing: MissingFields) -> list[str]:
        """Reserved quantity per product of the given orders, from the reserve register, into the
        store. Returns the orders whose figures changed ([] when the base cannot tell)."""
        p = self.profile
        found: dict[str, dict[str, Decimal]] = {i: {} for i in order_ids}
        for q in queries.reserves_of_orders(p, list(order_ids)):
            try:
                rows = await self._get(missing, q)
            except NotFound:
                log.warning("%s is not published; reserved quantities are not shown", q.path)
                return []
            for r in rows:
                order, product, qty = parse.reserve_of_order_line(p, r)
                if order in found and product:
                    found[order][product] = found[order].get(product, Decimal(0)) + qty

        def write() -> list[str]:
            with self.store.transaction() as cur:
                return [i for i, per in found.items() if self.store.set_order_reserves(cur, i, per)]

        return await self.writer.run(write) if found else []

    async def shipment_requests(self, order_ids: Sequence[str], missing: MissingFields | None = None) -> list[str]:
        """See `_shipment_requests` and `_noting`."""
        return await self._noting("shipment_requests", missing, lambda m: self._shipment_requests(order_ids, m))

    async def _shipment_requests(self, order_ids: Sequence[str], missing: MissingFields) -> list[str]:
        """What accounting says about the CRM's shipment requests of the given orders (those
        that have any): number, posted (shipped), marked for deletion (rejected), into the
        store. Returns the orders whose requests changed ([] when the base cannot tell)."""
        p = self.profile
        ids = await self.writer.run(lambda: self.store.orders_with_shipment_requests(order_ids))
        if not ids:
            return []
        states = []
        for q in queries.shipment_requests_of_orders(p, ids):
            try:
                rows = await self._get(missing, q)
            except NotFound:
                log.warning("%s is not published; shipment requests' states are not shown", q.path)
                return []
            states += [parse.shipment_request_state(p, r) for r in rows]
        now = self.clock()

        def write() -> list[str]:
            with self.store.transaction() as cur:
                return self.store.apply_shipment_request_states(cur, states, now)

        return await self.writer.run(write) if states else []


__all__ = ["JobResult", "Jobs"]
