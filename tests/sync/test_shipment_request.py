"""Asking the warehouse to ship (issue 12 part 2, КА 1.1) against the in-process sandbox: the
outbox item of kind ``shipment`` writes an UNPOSTED РасходныйОрдерНаТовары linked to the order;
the warehouse posts it (stock and the order's reserve go down, the request reads as shipped) or
marks it for deletion (rejected); exactly once after a lost answer; 1C's refusal kept; other
configurations refuse in plain words."""

from __future__ import annotations

from decimal import Decimal

import httpx

from onec_sandbox.app import create_app
from onec_sandbox.publication import Publication
from tests.sync.sandbox_kit import make_rig, new_client, save_invoice
from tui_crm.domain.models import SHIPMENT_MARK
from tui_crm.domain.shipment import RequestState
from tui_crm.sync.profile import load_profile

WAREHOUSE_ORDER = "Document_РасходныйОрдерНаТовары"
ORDER_TYPE = "StandardODATA.Document_ЗаказПокупателя"


async def _pushed_invoice(**kw):
    rig = make_rig(**kw)
    await rig.service.pull_now()
    client = new_client()
    rig.store.save_client(client, queue=True)
    iid = save_invoice(rig.store, client.id, lines=2, qty="3")
    result = await rig.service.push_now()
    assert result is not None and not result.failed
    return rig, iid


def _balance(rig, register: str, **dims: str) -> Decimal:
    reg = rig.state.acc[register]
    total = Decimal(0)
    for key, vals in reg.totals.items():
        if all(key[reg.cols.index(k)] == v for k, v in dims.items()):
            total += vals[0]
    return total


async def test_request_is_written_unposted_linked_to_the_order_then_posted_by_the_warehouse() -> None:
    rig, iid = await _pushed_invoice()
    try:
        rec = rig.store.get_invoice(iid)
        assert rec is not None
        first, second = rec.invoice.lines
        wh = rec.invoice.warehouse_id
        stock_before = _balance(rig, "ТоварыНаСкладах", Склад_Key=wh, Номенклатура_Key=first.product_id)
        rid, refused = rig.store.request_shipment(iid, {1: Decimal(2)})
        assert refused is None and rid is not None
        result = await rig.service.push_now()
        assert result is not None and result.pushed == [("shipment", rid)], result
        doc = rig.state.objects[WAREHOUSE_ORDER][rid]
        assert doc["Posted"] is False
        assert doc["ДокументПередачи"] == iid and doc["ДокументПередачи_Type"] == ORDER_TYPE
        assert doc["Склад_Key"] == wh and doc["ВидОперации"] == "РасходПоНакладной"
        assert doc["Комментарий"].startswith(SHIPMENT_MARK)
        assert [(r["Номенклатура_Key"], Decimal(str(r["Количество"]))) for r in doc["Товары"]] == [
            (first.product_id, Decimal(2))]
        assert doc["Товары"][0]["ДокументРезерва"] == iid
        [req] = rig.store.shipment_requests(iid)
        assert req.state is RequestState.IN_ACCOUNTING and req.number == doc["Number"]
        assert second.product_id not in {line.product_id for line in req.lines}

        # The warehouse posts it: the goods leave; the live job reads it as shipped.
        await rig.clerk.post_document(WAREHOUSE_ORDER, rid)
        assert sorted(await rig.service.jobs.shipment_requests([iid])) == [iid]
        [req] = rig.store.shipment_requests(iid)
        assert req.state is RequestState.SHIPPED
        assert rig.store.released_by_order(iid) == [{first.product_id: Decimal(2)}]
        assert _balance(rig, "ТоварыНаСкладах", Склад_Key=wh,
                        Номенклатура_Key=first.product_id) == stock_before - 2
        # Nothing changed since: a second read reports no change.
        assert await rig.service.jobs.shipment_requests([iid]) == []
    finally:
        await rig.aclose()


async def test_posting_writes_off_the_orders_reserve() -> None:
    rig, iid = await _pushed_invoice()
    try:
        assert rig.store.request_reserve(iid, "post") is None
        await rig.service.push_now()
        rec = rig.store.get_invoice(iid)
        assert rec is not None and rec.posted
        product = rec.invoice.lines[0].product_id
        assert _balance(rig, "ТоварыВРезервеНаСкладах", ДокументРезерва=iid, Номенклатура_Key=product) == 3
        rid, _ = rig.store.request_shipment(iid, {1: Decimal(1)})
        await rig.service.push_now()
        await rig.clerk.post_document(WAREHOUSE_ORDER, rid)
        assert _balance(rig, "ТоварыВРезервеНаСкладах", ДокументРезерва=iid, Номенклатура_Key=product) == 2
        await rig.service.jobs.order_reserves([iid])
        assert rig.store.order_reserves(iid)[product] == Decimal(2)
    finally:
        await rig.aclose()


async def test_rejected_by_the_warehouse_reads_as_rejected() -> None:
    rig, iid = await _pushed_invoice()
    try:
        rid, _ = rig.store.request_shipment(iid, {1: Decimal(3), 2: Decimal(1)})
        await rig.service.push_now()
        await rig.clerk.update(WAREHOUSE_ORDER, rid, {"DeletionMark": True})
        assert await rig.service.jobs.shipment_requests([iid]) == [iid]
        [req] = rig.store.shipment_requests(iid)
        assert req.state is RequestState.REJECTED and not req.state.open
        assert rig.store.released_by_order(iid) == []
    finally:
        await rig.aclose()


async def test_a_lost_answer_never_makes_a_second_document() -> None:
    rig, iid = await _pushed_invoice()
    try:
        rid, _ = rig.store.request_shipment(iid, {2: Decimal(1)})
        rig.faults.configure({"reset": True, "only": WAREHOUSE_ORDER, "drop_next": 1})
        first = await rig.service.push_now()
        assert first is not None and not first.pushed
        assert rid in rig.state.objects[WAREHOUSE_ORDER]        # 1C wrote it; the answer was lost
        [req] = rig.store.shipment_requests(iid)
        assert req.state is RequestState.QUEUED and req.item is not None
        rig.store.outbox_retry(req.item.id)
        again = await rig.service.push_now()
        assert again is not None and again.pushed == [("shipment", rid)], again
        linked = [d for d in rig.state.objects[WAREHOUSE_ORDER].values() if d.get("ДокументПередачи") == iid]
        assert len(linked) == 1
        [req] = rig.store.shipment_requests(iid)
        assert req.state is RequestState.IN_ACCOUNTING and req.number
    finally:
        await rig.aclose()


async def test_refusal_keeps_1c_message_and_a_retry_sends_it() -> None:
    rig, iid = await _pushed_invoice()
    try:
        # A base whose OData publication leaves the warehouse order out (a real setup mistake).
        schema = rig.state.config.schema
        unpublished = create_app(rig.state, faults=rig.faults,
                                 publication=Publication.parse([WAREHOUSE_ORDER], schema.entities))
        assert rig.transport is not None
        rig.transport.inner = httpx.ASGITransport(app=unpublished)
        rid, _ = rig.store.request_shipment(iid, {1: Decimal(1)})
        result = await rig.service.push_now()
        assert result is not None and result.failed and result.failed[0][:2] == ("shipment", rid)
        [req] = rig.store.shipment_requests(iid)
        assert req.state is RequestState.FAILED
        assert WAREHOUSE_ORDER in req.error                     # 1C's own words are kept
        assert rid not in rig.state.objects[WAREHOUSE_ORDER]
        # Published again; the operator retries from the sync log: written once.
        rig.transport.inner = httpx.ASGITransport(app=rig.app)
        assert req.item is not None and rig.store.outbox_retry(req.item.id)
        again = await rig.service.push_now()
        assert again is not None and again.pushed == [("shipment", rid)]
        assert rig.store.shipment_requests(iid)[0].state is RequestState.IN_ACCOUNTING
    finally:
        await rig.aclose()


async def test_the_store_refuses_in_plain_words() -> None:
    rig = make_rig()
    try:
        await rig.service.pull_now()
        client = new_client()
        rig.store.save_client(client, queue=False)
        iid = save_invoice(rig.store, client.id, lines=1)
        rid, why = rig.store.request_shipment(iid, {1: Decimal(1)})
        assert rid is None and why is not None and "accounting" in why   # not sent yet
        await rig.service.push_now()
        assert rig.store.request_shipment(iid, {1: Decimal(0)}) == (None, "no line has a quantity to ship")
        assert rig.store.request_shipment(iid, {5: Decimal(1)})[1] == "the order has no line 5"
        assert "more than" in (rig.store.request_shipment(iid, {1: Decimal(99)})[1] or "")
        assert rig.store.shipment_requests(iid) == []
    finally:
        await rig.aclose()


def test_only_ka1_maps_the_shipment_request() -> None:
    assert load_profile("ka1")["shipment_request"].present
    assert not load_profile("ut11")["shipment_request"].present
    assert not load_profile("bp3")["shipment_request"].present
