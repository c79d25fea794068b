"""БП 3's idle cycle (issue 13: ≤ 5 requests with open orders), against the bp3 sandbox over real
loopback and a real store: what one idle cycle asks 1C, request by request; that a payment or a
sale the accountant enters in 1C still reaches the client's debt and the invoice in the next
cycle; and that what moves no balance (an unposted payment) reaches the invoice within the
rotation's bound (3 cycles for up to 20 open orders). No timing is asserted: requests are counted.
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
from onec_sandbox.server import RunningSandbox, start_in_thread
from onec_sandbox.state import SandboxState
from tests.clock import TestClock
from tests.sync.sandbox_kit import new_client, save_invoice
from tui_crm.domain.shipment import RequestState
from tui_crm.store import Store
from tui_crm.sync.odata import ODataClient
from tui_crm.sync.profile import load_profile
from tui_crm.sync.service import PaymentArrived, ShipmentArrived, SyncService

P = load_profile("bp3")
BANK = "Document_ПоступлениеНаРасчетныйСчет"
CASH = "Document_ПриходныйКассовыйОрдер"
SALE = "Document_РеализацияТоваровУслуг"
DOCUMENTS = (BANK, CASH, SALE)


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    running = start_in_thread(SandboxState.seeded(products=40, warehouses=2, seed=7, config="bp3"))
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


class Bp3:
    """A store and a bp3 service on the sandbox, with the URLs the service sends."""

    def __init__(self, sandbox: RunningSandbox) -> None:
        self.sandbox = sandbox
        self.seen: list[str] = []
        self.store = Store.open(None, clock=TestClock())
        self.service = SyncService(self.store, ODataClient(sandbox.base_url, retries=1, backoff=0.0,
                                                           transport=Recording(self.seen)), profile=P)
        self.events: list[object] = []
        self.service.subscribe(self.events.append)

    async def cycle(self) -> list[str]:
        """One pull cycle; the URLs it sent."""
        self.seen.clear()
        assert await self.service.pull_now() is not None, self.service.last_error
        assert self.service.last_cycle_requests == len(self.seen)
        return list(self.seen)

    async def open_orders(self, n: int) -> tuple[str, list[str]]:
        """A new client with ``n`` invoices pushed to 1C and read back (open: unpaid, unshipped)."""
        client = new_client()
        self.store.save_client(client, queue=True)
        ids = [save_invoice(self.store, client.id, lines=1, qty="1") for _ in range(n)]
        while self.store.outbox_items():
            result = await self.service.push_now()
            assert result is not None and not result.failed and not result.offline, result
        await self.cycle()             # the new open orders are read in full once
        assert len(self.store.open_orders()) == n
        return client.id, ids

    def debt(self, client_id: str) -> Decimal | None:
        shown = self.store.get_client(client_id)
        return None if shown is None else shown.debt

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


@pytest.fixture
async def bp3(sandbox: RunningSandbox) -> Any:
    rig = Bp3(sandbox)
    try:
        await rig.cycle()
        yield rig
    finally:
        await rig.aclose()


async def test_a_bp3_idle_cycle_is_five_requests_and_takes_each_document_kind_in_turn(bp3: Bp3) -> None:
    _, ids = await bp3.open_orders(21)        # two batches of ≤ 20: six turns
    reads: dict[str, set[str]] = {e: set() for e in DOCUMENTS}
    for _ in range(6):
        urls = await bp3.cycle()
        kinds = [entity(u) for u in urls]
        # 2 $count probes, the debt (62.01 + 62.02 balance), orders made in 1C with the sweep
        # of open orders riding along, and ONE document read: the turn's
        assert len(urls) == 5, kinds
        assert sorted(kinds[:4]) == sorted(["Catalog_Контрагенты", "Catalog_Номенклатура",
                                            "AccountingRegister_Хозрасчетный", "Document_СчетНаОплатуПокупателю"])
        assert kinds[4] in DOCUMENTS
        reads[kinds[4]] |= {i for i in ids if i in urls[4]}
    # in 3 kinds × 2 batches = 6 cycles every kind of document of every open order was read once
    assert all(found == set(ids) for found in reads.values()), {k: len(v) for k, v in reads.items()}
    assert not [e for e in bp3.events if isinstance(e, PaymentArrived | ShipmentArrived)]


async def test_a_payment_and_a_sale_entered_in_1c_reach_the_debt_and_the_invoice_next_cycle(bp3: Bp3) -> None:
    client_id, ids = await bp3.open_orders(3)
    await bp3.cycle()
    target = bp3.store.get_invoice(ids[1])
    assert target is not None and target.number and bp3.debt(client_id) == 0
    sb = bp3.sandbox
    assert await asyncio.to_thread(clerk, sb, "post", target.number) == 0
    assert await asyncio.to_thread(clerk, sb, "ship", target.number) == 0
    await bp3.cycle()
    assert bp3.debt(client_id) == target.total
    assert [s.number for s in bp3.store.invoice_shipments(ids[1]) if s.posted]
    assert [e.invoice_id for e in bp3.events if isinstance(e, ShipmentArrived)] == [ids[1]]

    # the accountant enters a bank payment by hand: one cycle later the debt and the invoice show it
    part = (target.total * Decimal("0.4")).quantize(Decimal("0.01"))     # the invoice stays open
    assert await asyncio.to_thread(clerk, sb, "pay", target.number, "--amount", str(part)) == 0
    await bp3.cycle()
    assert bp3.debt(client_id) == target.total - part
    assert [(p.kind, p.amount, p.posted) for p in bp3.store.invoice_payments(ids[1])] == [("bank", part, True)]
    assert [(e.invoice_id, e.amount) for e in bp3.events if isinstance(e, PaymentArrived)] == [(ids[1], part)]
    # and by cash, more than is owed: the rest is an advance (a negative debt), the bank one kept
    rest = target.total - part + Decimal("50.00")
    assert await asyncio.to_thread(clerk, sb, "pay", target.number, "--amount", str(rest), "--cash") == 0
    await bp3.cycle()
    assert bp3.debt(client_id) == Decimal("-50.00")
    assert sorted((p.kind, p.amount) for p in bp3.store.invoice_payments(ids[1])) == [("bank", part), ("cash", rest)]
    # paid and shipped: no longer open; the two others are quiet again — five requests, and
    # nothing arrives twice
    assert len(bp3.store.open_orders()) == 2
    before = len(bp3.events)
    assert len(await bp3.cycle()) == 5
    assert not [e for e in bp3.events[before:] if isinstance(e, PaymentArrived | ShipmentArrived)]


async def test_a_payment_that_moves_no_balance_reaches_the_invoice_within_three_cycles(bp3: Bp3) -> None:
    """An unposted payment moves no 62 balance: the rotation reads it within kinds × batches
    cycles (3 here), and its later posting moves the debt the very next cycle."""
    client_id, ids = await bp3.open_orders(2)
    await bp3.cycle()
    target = bp3.store.get_invoice(ids[0])
    assert target is not None and target.number
    clerk_od = ODataClient(bp3.sandbox.base_url, retries=1, backoff=0.0)
    try:
        order = await clerk_od.get_entity("Document_СчетНаОплатуПокупателю", ids[0])
        assert order is not None
        ref = str(uuid.uuid4())
        amount = Decimal("70.00")
        row = {"LineNumber": "1", "ДоговорКонтрагента_Key": order["ДоговорКонтрагента_Key"], "СчетНаОплату_Key": ids[0],
               "СуммаПлатежа": float(amount), "СуммаВзаиморасчетов": float(amount),
               "СпособПогашенияЗадолженности": "Автоматически"}
        await clerk_od.create(BANK, {
            "Ref_Key": ref, "ВидОперации": "ОплатаПокупателя", "Организация_Key": order["Организация_Key"],
            "Контрагент": client_id, "Контрагент_Type": "StandardODATA.Catalog_Контрагенты",
            "ВалютаДокумента_Key": order["ВалютаДокумента_Key"], "СуммаДокумента": float(amount),
            "РасшифровкаПлатежа": [row]})            # saved, not posted
        shown = []
        for _ in range(3):
            assert len(await bp3.cycle()) == 5
            shown = [(p.id, p.amount, p.posted) for p in bp3.store.invoice_payments(ids[0])]
            if shown:
                break
        assert shown == [(ref, amount, False)]
        assert bp3.debt(client_id) == 0                  # an unposted payment is no settlement

        await clerk_od.post_document(BANK, ref)          # posted: 62.02 (an advance) moves at once
        await bp3.cycle()
        assert bp3.debt(client_id) == -amount
        assert [(p.id, p.posted) for p in bp3.store.invoice_payments(ids[0])] == [(ref, True)]
    finally:
        await clerk_od.aclose()


async def test_shipment_requests_come_with_the_sales_read_and_cost_no_request_of_their_own(bp3: Bp3) -> None:
    """БП 3's shipment request is a sale linked to the invoice: the warehouse posting it moves the
    client's balance (read the next cycle), rejecting it (a deletion mark) moves nothing and comes
    with the rotation's sales read (≤ 3 cycles here); waiting requests add no request a cycle."""
    _, ids = await bp3.open_orders(2)
    numbers = []
    for iid in ids:
        record = bp3.store.get_invoice(iid)
        assert record is not None and record.number
        numbers.append(record.number)
        assert await asyncio.to_thread(clerk, bp3.sandbox, "post", record.number) == 0
        rid, refused = bp3.store.request_shipment(iid, {1: Decimal(1)})
        assert refused is None and rid is not None
    result = await bp3.service.push_now()
    assert result is not None and not result.failed, result
    await bp3.cycle()
    assert [r.state for i in ids for r in bp3.store.shipment_requests(i)] == [RequestState.IN_ACCOUNTING] * 2
    assert len(await bp3.cycle()) == 5          # two requests waiting: still five

    assert await asyncio.to_thread(clerk, bp3.sandbox, "post-shipment", numbers[0]) == 0
    assert await asyncio.to_thread(clerk, bp3.sandbox, "reject-shipment", numbers[1]) == 0
    await bp3.cycle()
    [shipped] = bp3.store.shipment_requests(ids[0])
    assert shipped.state is RequestState.SHIPPED      # the next cycle: its sale moved 62.01
    for _ in range(3):
        [rejected] = bp3.store.shipment_requests(ids[1])
        if rejected.state is RequestState.REJECTED:
            break
        assert len(await bp3.cycle()) == 5
    assert rejected.state is RequestState.REJECTED
