"""УТ 11's idle cycle (issue 13: ≤ 5 requests with open orders), against the ut11 sandbox over
real loopback and a real store: what one idle cycle asks 1C, request by request, with 5, 20 and 50
open orders; that a payment or a sale the accountant posts in 1C reaches the client's debt and the
order the next cycle; that what moves no balance (an unposted payment, a rejected shipment
request) reaches the order within the rotation's bound; that an order deleted in 1C is noticed;
and that the orders' settlement objects (Catalog_ОбъектыРасчетов) are asked for once, not on
every read. No timing is asserted: requests are counted.
"""

from __future__ import annotations

import argparse
import asyncio
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import unquote

import httpx
import pytest

from onec_sandbox import cli as sandbox_cli
from onec_sandbox.configs.ut11 import settlement_key
from onec_sandbox.server import RunningSandbox, start_in_thread
from onec_sandbox.state import SandboxState
from tests.clock import TestClock
from tests.sync.sandbox_kit import new_client, save_invoice
from tui_crm.domain.shipment import RequestState
from tui_crm.store import Store
from tui_crm.sync.odata import ODataClient
from tui_crm.sync.profile import load_profile
from tui_crm.sync.service import PaymentArrived, ShipmentArrived, SyncService

P = load_profile("ut11")
ORDER = "Document_ЗаказКлиента"
SETTLEMENT = "Catalog_ОбъектыРасчетов"
BANK = "Document_ПоступлениеБезналичныхДенежныхСредств"
CASH = "Document_ПриходныйКассовыйОрдер"
SALE = "Document_РеализацияТоваровУслуг"
DOCUMENTS = (BANK, CASH, SALE)
PROBES_AND_DEBT = sorted(["Catalog_Контрагенты", "Catalog_Номенклатура",
                          "AccumulationRegister_РасчетыСКлиентами", ORDER])


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    running = start_in_thread(SandboxState.seeded(products=40, warehouses=2, seed=5, config="ut11"))
    try:
        yield running
    finally:
        running.stop()


class Recording(httpx.AsyncHTTPTransport):
    """The real loopback transport, noting each request's decoded URL."""

    def __init__(self, seen: list[str]) -> None:
        super().__init__()
        self.seen = seen

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(unquote(str(request.url)))
        return await super().handle_async_request(request)


class Ut11:
    """A store and a ut11 service on the sandbox, with the URLs the service sends."""

    def __init__(self, sandbox: RunningSandbox) -> None:
        self.sandbox = sandbox
        self.seen: list[str] = []
        self.store = Store.open(None, clock=TestClock())
        self.service = SyncService(self.store, ODataClient(sandbox.base_url, retries=1, backoff=0.0,
                                                           transport=Recording(self.seen)), profile=P)
        self.events: list[object] = []
        self.service.subscribe(self.events.append)
        self.client_id = ""

    async def cycle(self) -> list[str]:
        """One pull cycle; the URLs it sent."""
        self.seen.clear()
        assert await self.service.pull_now() is not None, self.service.last_error
        assert self.service.last_cycle_requests == len(self.seen)
        return list(self.seen)

    async def open_orders(self, n: int, *, read: bool = True) -> list[str]:
        """``n`` more orders of one client pushed to 1C and (``read``) read back by a cycle
        (open: unpaid, unshipped)."""
        if not self.client_id:
            client = new_client()
            self.store.save_client(client, queue=True)
            self.client_id = client.id
        ids = [save_invoice(self.store, self.client_id, lines=1, qty="1") for _ in range(n)]
        while self.store.outbox_items():
            result = await self.service.push_now()
            assert result is not None and not result.failed and not result.offline, result
        if read:
            await self.cycle()         # the new open orders are read in full once
        return ids

    def debt(self) -> Decimal | None:
        shown = self.store.get_client(self.client_id)
        return None if shown is None else shown.debt

    def number(self, iid: str) -> str:
        record = self.store.get_invoice(iid)
        assert record is not None and record.number
        return record.number

    async def aclose(self) -> None:
        await self.service.aclose()
        self.store.close()


def clerk(sandbox: RunningSandbox, *argv: str) -> int:
    """The accountant's action in 1C (`tui-crm sandbox pay|ship|post …`), over OData."""
    parser = argparse.ArgumentParser()
    sandbox_cli.add_arguments(parser)
    return sandbox_cli.run(parser.parse_args([argv[0], "--url", sandbox.base_url, *argv[1:]]))


def entity(url: str) -> str:
    return url.split("standard.odata/", 1)[1].split("?", 1)[0].split("(", 1)[0].split("/", 1)[0]


def orders_in(url: str, ids: list[str]) -> set[str]:
    """The orders a document read asks about: by id (sales) or by settlement object (payments)."""
    return {i for i in ids if i in url or settlement_key(i) in url}


@pytest.fixture
async def ut11(sandbox: RunningSandbox) -> Any:
    rig = Ut11(sandbox)
    try:
        await rig.cycle()
        yield rig
    finally:
        await rig.aclose()


async def test_a_ut11_idle_cycle_is_five_requests_with_5_20_and_50_open_orders(ut11: Ut11) -> None:
    ids: list[str] = []
    for total, bound in ((5, 3), (20, 6), (50, 16)):
        ids += await ut11.open_orders(total - len(ids))
        assert len(ut11.store.open_orders()) == total
        reads: dict[str, set[str]] = {e: set() for e in DOCUMENTS}
        # bound = Σ over kinds of ⌈open / batch⌉: payments 20 orders a read (by the settlement
        # objects' keys), sales 5 (a composite cast per order)
        for _ in range(bound):
            urls = await ut11.cycle()
            kinds = [entity(u) for u in urls]
            # 2 $count probes, the debt (РасчетыСКлиентами by analytics key), orders made in 1C
            # with the sweep of open orders riding along, and ONE document read: the turn's. No
            # settlement object is asked for: the store keeps them.
            assert len(urls) == 5, (total, kinds)
            assert sorted(kinds[:4]) == PROBES_AND_DEBT, kinds
            assert kinds[4] in DOCUMENTS
            reads[kinds[4]] |= orders_in(urls[4], ids)
        # within the bound every kind of document of every open order was read once
        assert all(found == set(ids) for found in reads.values()), (total, {k: len(v) for k, v in reads.items()})
    assert not [e for e in ut11.events if isinstance(e, PaymentArrived | ShipmentArrived)]


async def test_a_payment_and_a_sale_posted_in_1c_reach_the_debt_and_the_order_next_cycle(ut11: Ut11) -> None:
    ids = await ut11.open_orders(3)
    await ut11.cycle()
    target = ut11.store.get_invoice(ids[1])
    assert target is not None and target.number and ut11.debt() == 0
    sb = ut11.sandbox
    assert await asyncio.to_thread(clerk, sb, "post", target.number) == 0
    assert await asyncio.to_thread(clerk, sb, "ship", target.number) == 0
    await ut11.cycle()
    assert ut11.debt() == target.total
    assert [s.number for s in ut11.store.invoice_shipments(ids[1]) if s.posted]
    assert [e.invoice_id for e in ut11.events if isinstance(e, ShipmentArrived)] == [ids[1]]

    part = (target.total * Decimal("0.4")).quantize(Decimal("0.01"))     # the order stays open
    assert await asyncio.to_thread(clerk, sb, "pay", target.number, "--amount", str(part)) == 0
    await ut11.cycle()
    assert ut11.debt() == target.total - part
    assert [(p.kind, p.amount, p.posted) for p in ut11.store.invoice_payments(ids[1])] == [("bank", part, True)]
    assert [(e.invoice_id, e.amount) for e in ut11.events if isinstance(e, PaymentArrived)] == [(ids[1], part)]
    rest = target.total - part
    assert await asyncio.to_thread(clerk, sb, "pay", target.number, "--amount", str(rest), "--cash") == 0
    await ut11.cycle()
    assert ut11.debt() == 0
    assert sorted((p.kind, p.amount) for p in ut11.store.invoice_payments(ids[1])) == [("bank", part), ("cash", rest)]
    # paid and shipped: no longer open; the two others are quiet again — five requests, and
    # nothing arrives twice
    assert len(ut11.store.open_orders()) == 2
    before = len(ut11.events)
    assert len(await ut11.cycle()) == 5
    assert not [e for e in ut11.events[before:] if isinstance(e, PaymentArrived | ShipmentArrived)]


async def test_an_unposted_payment_reaches_the_order_within_the_rotation_and_its_posting_next_cycle(
        ut11: Ut11) -> None:
    """An unposted payment moves no РасчетыСКлиентами balance: the rotation reads it within
    Σ kinds ⌈open / batch⌉ cycles (3 here), and its posting moves the debt the very next cycle."""
    ids = await ut11.open_orders(2)
    await ut11.cycle()
    od = ODataClient(ut11.sandbox.base_url, retries=1, backoff=0.0)
    try:
        order = await od.get_entity(ORDER, ids[0])
        assert order is not None
        ref = str(uuid.uuid4())
        amount = Decimal("70.00")
        await od.create(BANK, {
            "Ref_Key": ref, "ХозяйственнаяОперация": "ПоступлениеОплатыОтКлиента",
            "Организация_Key": order["Организация_Key"], "Контрагент": order["Контрагент_Key"],
            "Контрагент_Type": "StandardODATA.Catalog_Контрагенты", "Валюта_Key": order["Валюта_Key"],
            "СуммаДокумента": float(amount),
            "РасшифровкаПлатежа": [{"LineNumber": "1", "Партнер_Key": order["Партнер_Key"],
                                    "ОбъектРасчетов_Key": settlement_key(ids[0]), "Сумма": float(amount),
                                    "СуммаВзаиморасчетов": float(amount)}]})     # saved, not posted
        shown = []
        for _ in range(3):
            assert len(await ut11.cycle()) == 5
            shown = [(p.id, p.amount, p.posted) for p in ut11.store.invoice_payments(ids[0])]
            if shown:
                break
        assert shown == [(ref, amount, False)]
        assert ut11.debt() == 0                          # an unposted payment is no settlement

        await od.post_document(BANK, ref)                # posted: the client's balance moves
        await ut11.cycle()
        assert ut11.debt() == -amount
        assert [(p.id, p.posted) for p in ut11.store.invoice_payments(ids[0])] == [(ref, True)]
    finally:
        await od.aclose()


async def test_an_order_deleted_in_1c_is_noticed_by_the_sweep(ut11: Ut11) -> None:
    ids = await ut11.open_orders(25)
    od = ODataClient(ut11.sandbox.base_url, retries=1, backoff=0.0)
    try:
        await od.delete(ORDER, ids[-1])
    finally:
        await od.aclose()
    for _ in range(2):      # 25 open orders, 20 states per sweep
        assert len(await ut11.cycle()) <= 5
    gone = ut11.store.get_invoice(ids[-1])
    assert gone is not None and gone.deletion_mark


async def test_shipment_requests_come_with_the_sales_read_and_cost_no_request_of_their_own(ut11: Ut11) -> None:
    """УТ 11's shipment request is an unposted sale of the order: the warehouse posting it moves
    the client's balance (read the next cycle), rejecting it (a deletion mark) moves nothing and
    comes with the rotation's sales read (≤ 3 cycles here); waiting requests add no request."""
    ids = await ut11.open_orders(2)
    numbers = [ut11.number(i) for i in ids]
    for iid, number in zip(ids, numbers, strict=True):
        assert await asyncio.to_thread(clerk, ut11.sandbox, "post", number) == 0
        rid, refused = ut11.store.request_shipment(iid, {1: Decimal(1)})
        assert refused is None and rid is not None
    result = await ut11.service.push_now()
    assert result is not None and not result.failed, result
    await ut11.cycle()
    assert [r.state for i in ids for r in ut11.store.shipment_requests(i)] == [RequestState.IN_ACCOUNTING] * 2
    assert len(await ut11.cycle()) == 5          # two requests waiting: still five

    assert await asyncio.to_thread(clerk, ut11.sandbox, "post-shipment", numbers[0]) == 0
    assert await asyncio.to_thread(clerk, ut11.sandbox, "reject-shipment", numbers[1]) == 0
    await ut11.cycle()
    [shipped] = ut11.store.shipment_requests(ids[0])
    assert shipped.state is RequestState.SHIPPED      # the next cycle: its sale moved the balance
    for _ in range(3):
        [rejected] = ut11.store.shipment_requests(ids[1])
        if rejected.state is RequestState.REJECTED:
            break
        assert len(await ut11.cycle()) == 5
    assert rejected.state is RequestState.REJECTED


# -- the settlement objects the store keeps (Catalog_ОбъектыРасчетов) ------------------------------

async def test_the_second_read_of_the_same_orders_payments_asks_for_no_settlement_object(ut11: Ut11) -> None:
    ids = await ut11.open_orders(3)              # their first read found their objects
    assert ut11.store.settlement_objects(ids) == {settlement_key(i): i for i in ids}
    ut11.seen.clear()
    res = await ut11.service.jobs.payments(ids)
    assert not res.error and [entity(u) for u in ut11.seen] == [BANK, CASH]
    # a new order's object is found (and kept), the known ones are not asked for again
    [new] = await ut11.open_orders(1, read=False)
    ut11.seen.clear()
    await ut11.service.jobs.payments([*ids, new])
    asked = [u for u in ut11.seen if entity(u) == SETTLEMENT]
    assert len(asked) == 1 and new in asked[0] and not orders_in(asked[0], ids)
    assert ut11.store.settlement_objects([new]) == {settlement_key(new): new}
    ut11.seen.clear()
    await ut11.service.jobs.payments([new])
    assert SETTLEMENT not in [entity(u) for u in ut11.seen]


async def test_an_order_without_a_settlement_object_yet_is_asked_again_and_found_later(ut11: Ut11) -> None:
    [iid] = await ut11.open_orders(1)
    key = settlement_key(iid)
    kept = ut11.sandbox.state.get(SETTLEMENT, key)
    assert kept is not None
    ut11.store.db.cursor().execute("DELETE FROM settlement_objects")
    ut11.sandbox.state.delete(SETTLEMENT, key)     # 1C has made none for it (yet)
    for _ in range(2):
        ut11.seen.clear()
        await ut11.service.jobs.payments([iid])
        assert SETTLEMENT in [entity(u) for u in ut11.seen]     # asked each time: none known
    assert ut11.store.settlement_objects([iid]) == {}
    ut11.sandbox.state.put(SETTLEMENT, kept)
    await ut11.service.jobs.payments([iid])
    assert ut11.store.settlement_objects([iid]) == {key: iid}


async def test_a_malformed_settlement_object_row_is_quarantined_and_the_rest_applies(ut11: Ut11) -> None:
    ids = await ut11.open_orders(2)
    ut11.store.db.cursor().execute("DELETE FROM settlement_objects")
    bad = dict(ut11.sandbox.state.get(SETTLEMENT, settlement_key(ids[0])) or {})
    assert bad
    bad["Ref_Key"] = "not-a-guid\x1b]52;c;aGk=\x07"           # hostile: not a key, with an escape
    ut11.sandbox.state.put(SETTLEMENT, bad)
    res = await ut11.service.jobs.payments(ids)
    assert [b for b in res.skipped if b.entity == SETTLEMENT], res.skipped
    assert res.error is not None and f"malformed row(s) from accounting, the rest applied: {SETTLEMENT}" in res.error
    # the good rows applied: both orders' real objects are kept, the bad one is not
    assert ut11.store.settlement_objects(ids) == {settlement_key(i): i for i in ids}


async def test_an_order_with_two_settlement_objects_keeps_both_and_gets_the_payments_of_each(ut11: Ut11) -> None:
    [iid] = await ut11.open_orders(1, read=False)
    first = ut11.sandbox.state.get(SETTLEMENT, settlement_key(iid))
    assert first is not None
    second = {**first, "Ref_Key": str(uuid.uuid4())}
    ut11.sandbox.state.put(SETTLEMENT, second)
    od = ODataClient(ut11.sandbox.base_url, retries=1, backoff=0.0)
    try:
        order = await od.get_entity(ORDER, iid)
        assert order is not None
        refs = []
        for obj, amount in ((first["Ref_Key"], 10), (second["Ref_Key"], 20)):
            ref = str(uuid.uuid4())
            await od.create(BANK, {
                "Ref_Key": ref, "ХозяйственнаяОперация": "ПоступлениеОплатыОтКлиента",
                "Организация_Key": order["Организация_Key"], "Контрагент": order["Контрагент_Key"],
                "Контрагент_Type": "StandardODATA.Catalog_Контрагенты", "Валюта_Key": order["Валюта_Key"],
                "СуммаДокумента": amount,
                "РасшифровкаПлатежа": [{"LineNumber": "1", "Партнер_Key": order["Партнер_Key"],
                                        "ОбъектРасчетов_Key": obj, "Сумма": amount, "СуммаВзаиморасчетов": amount}]})
            await od.post_document(BANK, ref)
            refs.append(ref)
    finally:
        await od.aclose()
    await ut11.cycle()                 # the new order, read in full: both objects, both payments
    assert ut11.store.settlement_objects([iid]) == {first["Ref_Key"]: iid, second["Ref_Key"]: iid}
    assert sorted((p.id, p.amount) for p in ut11.store.invoice_payments(iid)) == sorted(
        [(refs[0], Decimal(10)), (refs[1], Decimal(20))])
    ut11.seen.clear()
    await ut11.service.jobs.payments([iid])
    assert SETTLEMENT not in [entity(u) for u in ut11.seen]


async def test_without_a_job_a_malformed_settlement_object_row_is_left_out(ut11: Ut11) -> None:
    """`tui-crm status` answering from 1C (the store held by a running TUI) reads the objects
    with no job to quarantine into: a hostile row used to raise out of the command; it is left
    out and the good ones answer."""
    from tui_crm.sync.jobs import settlement_links

    ids = await ut11.open_orders(2)
    bad = dict(ut11.sandbox.state.get(SETTLEMENT, settlement_key(ids[0])) or {})
    assert bad
    bad["Ref_Key"] = "not-a-guid\x1b]52;c;aGk=\x07"
    ut11.sandbox.state.put(SETTLEMENT, bad)
    od = ODataClient(ut11.sandbox.base_url, retries=1, backoff=0.0)
    try:
        links = await settlement_links(od, P, ids)
    finally:
        await od.aclose()
    assert links == {settlement_key(i): i for i in ids}
