"""Asking the warehouse to ship (issue 12 part 2, КА 1.1) against the in-process sandbox: the
outbox item of kind ``shipment`` writes an UNPOSTED РасходныйОрдерНаТовары linked to the order;
the warehouse posts it (stock and the order's reserve go down, the request reads as shipped) or
marks it for deletion (rejected); exactly once after a lost answer; 1C's refusal kept; other
configurations refuse in plain words."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from onec_sandbox.app import create_app
from onec_sandbox.publication import Publication
from onec_sandbox.state import SandboxState
from tests.sync.sandbox_kit import make_rig, new_client, save_invoice
from tui_crm.domain.models import SHIPMENT_MARK
from tui_crm.domain.shipment import RequestState
from tui_crm.sync.profile import load_profile

WAREHOUSE_ORDER = "Document_РасходныйОрдерНаТовары"
ORDER_TYPE = "StandardODATA.Document_ЗаказПокупателя"
SALE = "Document_РеализацияТоваровУслуг"


#: Per configuration: the request's document set, its link to the order and the link's type
#: (None: a plain reference), as the bundled profiles say (docs/shipment.md).
REQUEST = {
    "ka1": (WAREHOUSE_ORDER, "ДокументПередачи", ORDER_TYPE),
    "ut11": (SALE, "ЗаказКлиента", "StandardODATA.Document_ЗаказКлиента"),
    "bp3": (SALE, "СчетНаОплатуПокупателю_Key", None),
}


async def _pushed_invoice(config: str = "ka1", **kw):
    if config != "ka1":
        kw.setdefault("state", SandboxState.seeded(products=40, warehouses=2, seed=1, config=config))
        kw.setdefault("profile", load_profile(config))
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


@pytest.mark.parametrize("config", ["ut11", "bp3"])
async def test_sale_based_request_is_unposted_linked_to_the_order_and_counts_once(config: str) -> None:
    """УТ 11 and БП 3: the request is an unposted РеализацияТоваровУслуг linked to the order /
    invoice, with the order line's price and a proportional amount; the warehouse posts it
    (stock goes down) and the request reads as shipped — the one document is never counted
    twice (as a sale and as a request)."""
    entity, link, link_type = REQUEST[config]
    rig, iid = await _pushed_invoice(config)
    try:
        rec = rig.store.get_invoice(iid)
        assert rec is not None
        first = rec.invoice.lines[0]
        rid, refused = rig.store.request_shipment(iid, {1: Decimal(2)})
        assert refused is None and rid is not None
        result = await rig.service.push_now()
        assert result is not None and result.pushed == [("shipment", rid)], result
        doc = rig.state.objects[entity][rid]
        assert doc["Posted"] is False and doc["Комментарий"].startswith(SHIPMENT_MARK)
        assert doc[link] == iid and doc.get(f"{link}_Type") == link_type
        assert doc["Склад_Key"] == rec.invoice.warehouse_id
        [row] = doc["Товары"]
        assert (row["Номенклатура_Key"], Decimal(str(row["Количество"]))) == (first.product_id, Decimal(2))
        assert Decimal(str(row["Цена"])) == first.price
        assert Decimal(str(row["Сумма"])) == (rec.invoice.effective_lines[0].amount * 2 / 3).quantize(Decimal("0.01"))
        [req] = rig.store.shipment_requests(iid)
        assert req.state is RequestState.IN_ACCOUNTING and req.number == doc["Number"]

        # The warehouse types more than it holds: 1C refuses to post, stock never goes negative.
        wire = {k: float(v) if isinstance(v, Decimal) else v for k, v in row.items() if k != "Ref_Key"}
        await rig.clerk.update(entity, rid, {"Товары": [{**wire, "Количество": 100000}]})
        with pytest.raises(Exception, match="Недостаточно товара"):
            await rig.clerk.post_document(entity, rid)
        assert rig.state.objects[entity][rid]["Posted"] is False
        await rig.clerk.update(entity, rid, {"Товары": [wire]})

        await rig.clerk.post_document(entity, rid)
        assert await rig.service.jobs.shipment_requests([iid]) == [iid]
        await rig.service.jobs.shipments([iid])
        [req] = rig.store.shipment_requests(iid)
        assert req.state is RequestState.SHIPPED
        # the posted sale is both a shipment and the request: the larger counts, not the sum
        [sale] = [s for s in rig.store.invoice_shipments(iid) if s.id == rid]
        assert sale.posted
        amounts = [line.amount for line in rec.invoice.effective_lines]
        [progress] = rig.store.order_progress([iid])
        assert abs(progress.shipped_share - amounts[0] * 2 / 3 / sum(amounts)) < Decimal("0.001")
    finally:
        await rig.aclose()


async def test_ut11_request_writes_off_the_orders_reserve() -> None:
    """УТ 11: Reserve ("post") sets ВариантОбеспечения = СоСклада on every line and posts the
    order (ТоварыКОтгрузке.ВРезерве by ДокументОтгрузки = the order); posting the request writes
    the shipped part off."""
    rig, iid = await _pushed_invoice("ut11")
    try:
        order = rig.state.objects["Document_ЗаказКлиента"][iid]
        assert {r["ВариантОбеспечения"] for r in order["Товары"]} == {"КОбеспечению"}
        assert rig.store.request_reserve(iid, "post") is None
        await rig.service.push_now()
        order = rig.state.objects["Document_ЗаказКлиента"][iid]
        assert order["Posted"] is True and {r["ВариантОбеспечения"] for r in order["Товары"]} == {"СоСклада"}
        rec = rig.store.get_invoice(iid)
        assert rec is not None and rec.posted
        product = rec.invoice.lines[0].product_id
        assert rig.store.order_reserves(iid) == {line.product_id: Decimal(3) for line in rec.invoice.lines}
        rid, _ = rig.store.request_shipment(iid, {1: Decimal(1)})
        await rig.service.push_now()
        await rig.clerk.post_document(SALE, rid)
        await rig.service.jobs.order_reserves([iid])
        assert rig.store.order_reserves(iid)[product] == Decimal(2)
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


@pytest.mark.parametrize("config", ["ka1", "ut11", "bp3"])
async def test_a_lost_answer_never_makes_a_second_document(config: str) -> None:
    entity, link, _type = REQUEST[config]
    rig, iid = await _pushed_invoice(config)
    try:
        rid, _ = rig.store.request_shipment(iid, {2: Decimal(1)})
        rig.faults.configure({"reset": True, "only": entity, "drop_next": 1})
        first = await rig.service.push_now()
        assert first is not None and not first.pushed
        assert rid in rig.state.objects[entity]        # 1C wrote it; the answer was lost
        [req] = rig.store.shipment_requests(iid)
        assert req.state is RequestState.QUEUED and req.item is not None
        rig.store.outbox_retry(req.item.id)
        again = await rig.service.push_now()
        assert again is not None and again.pushed == [("shipment", rid)], again
        linked = [d for d in rig.state.objects[entity].values() if d.get(link) == iid]
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


def test_every_bundled_profile_maps_the_shipment_request() -> None:
    assert load_profile("ka1")["shipment_request"].entity == WAREHOUSE_ORDER
    assert load_profile("ut11")["shipment_request"].entity == SALE
    assert load_profile("bp3")["shipment_request"].entity == SALE


async def test_bp3_a_sale_of_services_counts_its_lines_as_shipped() -> None:
    """БП 3 keeps a sale's service lines in `Услуги` (`Товары` empty in a sale of services; a
    real answer: tests/fixtures/onec/bp3_Document_РеализацияТоваровУслуг.json). An accountant's
    sale from the invoice with one line in each table part: both lines read as shipped, numbered
    apart, and the order is fully shipped."""
    rig, iid = await _pushed_invoice("bp3")
    try:
        rec = rig.store.get_invoice(iid)
        assert rec is not None
        bill = rig.state.objects["Document_СчетНаОплатуПокупателю"][iid]
        head = {k: bill[k] for k in ("Организация_Key", "Контрагент_Key", "ДоговорКонтрагента_Key", "Склад_Key")}
        goods, service = rec.invoice.lines

        def row(line, n: int) -> dict:
            return {"LineNumber": str(n), "Номенклатура_Key": line.product_id, "Количество": float(line.quantity),
                    "Цена": float(line.price), "Сумма": float(line.price * line.quantity)}

        sale = await rig.clerk.create(SALE, {
            **head, "Date": "2026-11-30T10:00:00", "ВидОперации": "Товары", "СчетНаОплатуПокупателю_Key": iid,
            "Товары": [row(goods, 1)], "Услуги": [row(service, 1)]})
        await rig.clerk.post_document(SALE, sale["Ref_Key"])
        await rig.service.jobs.shipments([iid])
        [shipped] = rig.store.invoice_shipments(iid)
        assert shipped.posted
        assert [(sl.line_no, sl.product_id, sl.quantity) for sl in shipped.lines] == [
            (1, goods.product_id, goods.quantity), (2, service.product_id, service.quantity)]
        [progress] = rig.store.order_progress([iid])
        assert progress.shipped_share == 1
    finally:
        await rig.aclose()
