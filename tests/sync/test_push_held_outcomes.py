"""The push holds pushed items' outcomes and commits up to `GroupWriter.HOLD` of them together,
each table's rows in one statement (`Database.batched`): the rows written are the ones a
statement per item writes, and a process that dies while outcomes are held (kill -9 after 1C
answered, before the commit) leaves its items ``sending`` — the next process finds what it
made in 1C by its keys and ends each item once, creating nothing twice."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import datetime
from typing import Any
from urllib.parse import unquote

import httpx

from tests.sync.sandbox_kit import (
    ORDER,
    NetLikeTransport,
    make_rig,
    new_client,
    new_invoice,
    save_invoice,
)
from tui_crm.domain.models import SyncState
from tui_crm.store import Store
from tui_crm.sync.writer import GroupWriter

CP = "Catalog_Контрагенты"
BILL = "Document_СчетНаОплатуПокупателю"
CONTACTS = "InformationRegister_КонтактнаяИнформация"
CONTRACTS = "Catalog_ДоговорыКонтрагентов"
WHEN = datetime(2026, 11, 30, 10, 0)
_INVOICE_COLS = ("sync_state, sync_error, bill_id, contract_id, organization_id, number, data_version, posted, "
                 "deletion_mark, base_version, bill_number, checked_at")
_CLIENT_COLS = "sync_state, sync_error, accounting_code, data_version, base_version"


def _outcomes(store: Store, pairs: list[tuple[str, str]], items: dict[str, int], at: datetime) -> None:
    """The outcomes a push writes for each (client, invoice) it pushed."""
    for n, (cid, iid) in enumerate(pairs):
        store.contacts_written(cid, {"phone": f"+7 900 {n}", "email": ""}, seen=frozenset({"email"}))
        store.client_push_done(cid, written=(f"К-{n}", f"v{n}"), item_id=items[cid], now=at)
        store.outbox_done(items[cid], at, conflicts=False)
        store.invoice_push_done(iid, bill_id=f"b{n}", bill_number=f"С-{n}",
                                order=(f"З-{n}", f"dv{n}", n % 2 == 0, False),
                                contract_id=f"k{n}", organization_id="org", now=at, item_id=items[iid])
        store.outbox_done(items[iid], at, conflicts=False)


def _rows(store: Store, pairs: list[tuple[str, str]]) -> list[tuple[object, ...]]:
    cur = store.db.cursor()
    out: list[tuple[object, ...]] = []
    for cid, iid in pairs:
        out.append(cur.execute(f"SELECT {_CLIENT_COLS} FROM clients WHERE id = ?", [cid]).fetchone())
        out.append(cur.execute(f"SELECT {_INVOICE_COLS} FROM invoices WHERE id = ?", [iid]).fetchone())
        out.append(tuple(cur.execute("SELECT kind, value FROM contact_seen WHERE owner_id = ? ORDER BY kind",
                                     [cid]).fetchall()))
        out.append(tuple(cur.execute("SELECT state, step, last_error, updated_at FROM outbox WHERE kind IN "
                                     "('client', 'invoice') AND object_id IN (?, ?) AND state <> 'pending' "
                                     "ORDER BY kind", [cid, iid]).fetchall()))
    return out


async def test_outcomes_written_together_are_the_rows_written_one_by_one() -> None:
    """Four clients and their invoices: two pairs' outcomes in one group (one statement a
    table), two pairs' one by one; of each kind one was saved again after its claim and stays
    queued. The rows are the same, column by column."""
    rig = make_rig()
    try:
        await rig.service.pull_now()
        store = rig.store
        pairs: list[tuple[str, str]] = []
        for n in range(4):
            client = new_client(f"ООО «Пачка {n}»")
            store.save_client(client, queue=True, now=WHEN)
            iid, inv = new_invoice(store, client.id)
            store.save_invoice(iid, inv, date=WHEN, queue=True, now=WHEN)
            pairs.append((client.id, iid))
        items = {i.object_id: i.id for i in store.claim_outbox(WHEN, 50)}
        for cid, iid in (pairs[1], pairs[3]):   # saved again while their items are being pushed
            rec = store.get_client(cid)
            assert rec is not None
            store.save_client(replace(rec.client, name=rec.client.name + " правка"), queue=True, now=WHEN)
            got = store.get_invoice(iid)
            assert got is not None
            store.save_invoice(iid, replace(got.invoice, comment="правка"), date=WHEN, queue=True, now=WHEN)
        at = datetime(2026, 11, 30, 11, 0)
        with store.db.group():
            _outcomes(store, pairs[:2], items, at)
        _outcomes(store, pairs[2:], items, at)
        together, alone = _rows(store, pairs[:2]), _rows(store, pairs[2:])
        assert together == alone   # the same values went in for the n-th pair of each half
        assert together[0][2:] == ("К-0", "v0", "v0") and together[1][5] == "З-0"
        assert together[0][0] == SyncState.IN_ACCOUNTING.value and together[1][0] == SyncState.IN_ACCOUNTING.value
        assert together[4][0] == SyncState.QUEUED.value and together[5][0] == SyncState.QUEUED.value
    finally:
        await rig.aclose()


async def test_the_same_row_twice_in_one_group_ends_as_the_later_write_left_it() -> None:
    rig = make_rig()
    try:
        await rig.service.pull_now()
        store = rig.store
        client = new_client()
        store.save_client(client, queue=True, now=WHEN)
        iid, inv = new_invoice(store, client.id)
        store.save_invoice(iid, inv, date=WHEN, queue=True, now=WHEN)
        with store.db.group():
            store.invoice_push_done(iid, bill_id="b1", bill_number="1", order=("A", "v1", False, False))
            store.invoice_push_done(iid, bill_id=None, bill_number=None, order=("B", "v2", True, False))
            store.contacts_written(client.id, {"phone": "1"}, seen=frozenset())
            store.contacts_written(client.id, {"phone": "2"}, seen=frozenset({"phone"}))
        row = store.db.cursor().execute("SELECT number, data_version, posted, bill_id, bill_number FROM invoices "
                                        "WHERE id = ?", [iid]).fetchone()
        assert row == ("B", "v2", True, "b1", "1")
        assert store.contact_seen(client.id) == {"phone": "2"}
    finally:
        await rig.aclose()


async def test_a_process_killed_with_outcomes_held_ends_each_item_once_in_the_next() -> None:
    """Five new clients and their invoices pushed one item after another with every outcome
    held, then the process dies (its held writes never reach the store, as with kill -9): 1C has
    everything, the store still has the items ``sending``. A second process on the same store
    pushes them again: each counterparty, contract, contact record, order and invoice document
    exists once, and the store records them as 1C has them."""
    first = make_rig()
    await first.service.pull_now()
    store = first.store
    pairs: list[tuple[str, str]] = []
    for n in range(5):
        client = new_client(f"ООО «Держим {n}»", phone=f"+7 900 000-00-0{n}", email=f"h{n}@x.ru")
        store.save_client(client, queue=True, now=WHEN)
        iid, inv = new_invoice(store, client.id)
        store.save_invoice(iid, inv, date=WHEN, queue=True, now=WHEN)
        pairs.append((client.id, iid))
    pusher = first.service.pusher
    assert isinstance(pusher.writer, GroupWriter) and 2 * len(pairs) < GroupWriter.HOLD
    items = store.claim_outbox(WHEN, 50)
    by_object = {i.object_id: i for i in items}
    for cid, iid in pairs:
        assert await pusher.push_item(by_object[cid], settle_later=True) == "done"
        assert await pusher.push_item(by_object[iid], settle_later=True) == "done"
    # the process dies here: nothing held was committed
    assert {i.state for i in store.outbox_items(("pending", "sending"))} == {"sending"}
    assert len(store.outbox_items(("pending", "sending"))) == 2 * len(pairs)
    state = first.state
    assert {cid for cid, _ in pairs} <= set(state.objects[CP])
    assert {iid for _, iid in pairs} <= set(state.objects[ORDER])
    await first.service.client.aclose()
    first.service.writer.close()
    await first.clerk.aclose()

    second = make_rig(state=state, store=store)
    try:
        result = await second.service.push_now()
        assert result is not None and not result.failed and not result.conflicts
        assert store.outbox_count() == 0
        names = Counter(o["Description"] for o in state.objects[CP].values())
        bills = Counter(b["ЗаказПокупателя_Key"] for b in state.objects[BILL].values())
        for n, (cid, iid) in enumerate(pairs):
            assert names[f"ООО «Держим {n}»"] == 1
            assert len([c for c in state.objects[CONTRACTS].values() if c["Owner_Key"] == cid]) == 1
            kinds = Counter(c["Тип"] for c in state.contacts.values() if c["Объект"] == cid)
            assert kinds == Counter({"Телефон": 1, "АдресЭлектроннойПочты": 1, "Адрес": 1})
            assert bills[iid] == 1
            crec, irec = store.get_client(cid), store.get_invoice(iid)
            assert crec is not None and crec.sync_state is SyncState.IN_ACCOUNTING
            assert crec.accounting_code == state.objects[CP][cid]["Code"]
            assert irec is not None and irec.sync_state is SyncState.IN_ACCOUNTING
            assert irec.number == state.objects[ORDER][iid]["Number"]
        assert sum(1 for o in state.objects[ORDER] if o in {iid for _, iid in pairs}) == len(pairs)
    finally:
        await second.aclose()


class _OrderBodiesSeen(NetLikeTransport):
    """At each POST of an order: the bodies the store keeps for every order (`sent_bodies`)."""

    def __init__(self, app: Any, timeout: float = 5.0) -> None:
        super().__init__(app, timeout)
        self.store: Store | None = None
        self.invoices: list[str] = []
        self.kept_at_post: list[list[int]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and unquote(request.url.raw_path.decode("ascii")).split("?")[0].endswith(ORDER):
            assert self.store is not None
            self.kept_at_post.append([len(self.store.sent_bodies(ORDER, iid)) for iid in self.invoices])
        return await super().handle_async_request(request)


async def test_orders_of_clients_accounting_has_are_kept_with_the_claim_and_cost_no_commit_each() -> None:
    """Three invoices of a counterparty accounting has, with its contract mirrored: every order's
    body is in `sent_bodies` before the first order goes out (kept with the claim, in one
    statement), each is what 1C got, and the push commits twice — the claim, then the three
    outcomes — instead of once more per order before its POST."""
    rig = make_rig(transport_class=_OrderBodiesSeen, push_concurrency=1)
    try:
        await rig.service.pull_now()
        cp = sorted(rig.store.counterparty_ids())[0]
        org = rig.store.organization()
        assert org is not None and rig.store.find_contract(cp, org[0], "СПокупателем") is not None
        invoices = [save_invoice(rig.store, cp) for _ in range(3)]
        transport = rig.transport
        assert isinstance(transport, _OrderBodiesSeen)
        transport.store, transport.invoices = rig.store, invoices
        writer = rig.service.pusher.writer
        assert isinstance(writer, GroupWriter)
        before = writer.commits
        result = await rig.service.push_now()
        assert result is not None and len(result.pushed) == 3
        assert transport.kept_at_post == [[1, 1, 1]] * 3
        assert writer.commits - before == 2
        for iid in invoices:
            order = rig.state.objects[ORDER][iid]
            (kept,) = rig.store.sent_bodies(ORDER, iid)
            assert all(order[k] == v for k, v in kept.items() if not isinstance(v, (list, float)))
            assert rig.store.get_invoice(iid).sync_state is SyncState.IN_ACCOUNTING  # type: ignore[union-attr]
    finally:
        await rig.aclose()


class _ClientBodiesSeen(NetLikeTransport):
    """At each POST of a counterparty: the bodies the store keeps for every client (`sent_bodies`)."""

    def __init__(self, app: Any, timeout: float = 5.0) -> None:
        super().__init__(app, timeout)
        self.store: Store | None = None
        self.clients: list[str] = []
        self.kept_at_post: list[list[int]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and unquote(request.url.raw_path.decode("ascii")).split("?")[0].endswith(CP):
            assert self.store is not None
            self.kept_at_post.append([len(self.store.sent_bodies(CP, cid)) for cid in self.clients])
        return await super().handle_async_request(request)


async def test_new_clients_bodies_are_kept_with_the_claim_and_cost_no_commit_each() -> None:
    """Three new clients (КА 1.1: contacts in a register, not in the counterparty's body): every
    counterparty's body is in `sent_bodies` before the first counterparty goes out (kept with the
    claim, in one statement), each is what 1C got, and the push commits four times — the claim,
    then each client's outcome (held only before an invoice of another object, `_settle_later`)
    — instead of once more per client before its POST. A resume after a lost answer still finds
    the body kept (`test_push_sent_bodies`)."""
    rig = make_rig(transport_class=_ClientBodiesSeen, push_concurrency=1)
    try:
        await rig.service.pull_now()
        clients = [new_client(f"ООО «Новый {n}»", inn=inn)
                   for n, inn in enumerate(("7736050003", "7707083893", "7728168971"))]
        for client in clients:
            rig.store.save_client(client, queue=True)
        transport = rig.transport
        assert isinstance(transport, _ClientBodiesSeen)
        transport.store, transport.clients = rig.store, [c.id for c in clients]
        writer = rig.service.pusher.writer
        assert isinstance(writer, GroupWriter)
        before = writer.commits
        result = await rig.service.push_now()
        assert result is not None and len(result.pushed) == 3
        assert transport.kept_at_post == [[1, 1, 1]] * 3
        assert writer.commits - before == 4
        for client in clients:
            made = rig.state.objects[CP][client.id]
            (kept,) = rig.store.sent_bodies(CP, client.id)
            assert kept["Description"] == client.name == made["Description"]
            assert all(made[k] == v for k, v in kept.items() if not isinstance(v, (list, float)))
            assert rig.store.get_client(client.id).sync_state is SyncState.IN_ACCOUNTING  # type: ignore[union-attr]
    finally:
        await rig.aclose()
