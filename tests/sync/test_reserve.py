"""Reserving an invoice's goods from the CRM (issue 12, КА 1.1): the outbox item of kind
``reserve`` against the in-process sandbox — posted with each line placed on the warehouse
("post"), or marked for accounting ("request"); per-line reserved figures read back from the
reserve register; idempotent after a lost answer; 1C's refusal kept."""

from __future__ import annotations

from decimal import Decimal

from tests.sync.sandbox_kit import ORDER, clerk_post, make_rig, new_client, save_invoice
from tui_crm.sync.push import RESERVE_MARK

WAREHOUSE_TYPE = "StandardODATA.Catalog_Склады"


async def _pushed_invoice(**kw):
    rig = make_rig(**kw)
    await rig.service.pull_now()
    client = new_client()
    rig.store.save_client(client, queue=True)
    iid = save_invoice(rig.store, client.id, lines=2, qty="3")
    result = await rig.service.push_now()
    assert result is not None and not result.failed
    return rig, iid


def _reserved_in_sandbox(rig, iid: str) -> dict[str, Decimal]:
    reg = rig.state.acc["ТоварыВРезервеНаСкладах"]
    at = reg.cols.index("Номенклатура_Key")
    out: dict[str, Decimal] = {}
    for _date, _sign, dims, res in reg.movements.get(iid, []):
        out[dims[at]] = out.get(dims[at], Decimal(0)) + res[0]
    return out


async def test_post_places_lines_on_the_warehouse_posts_and_reads_reserved_per_line() -> None:
    rig, iid = await _pushed_invoice()
    try:
        assert rig.store.request_reserve(iid, "post") is None
        result = await rig.service.push_now()
        assert result is not None and result.pushed == [("reserve", iid)], result
        order = rig.state.objects[ORDER][iid]
        wh = rig.store.get_invoice(iid).invoice.warehouse_id
        assert order["Posted"] is True
        assert all(r["Размещение"] == wh and r["Размещение_Type"] == WAREHOUSE_TYPE for r in order["Товары"])
        rec = rig.store.get_invoice(iid)
        assert rec is not None and rec.posted   # the lock after posting holds
        products = [line.product_id for line in rec.invoice.lines]
        assert rig.store.order_reserves(iid) == {p: Decimal(3) for p in products} == _reserved_in_sandbox(rig, iid)
        assert rig.store.reserve_request(iid).state == "done"
        # Posted now: a second request is refused in plain words, nothing queued.
        assert "posted" in (rig.store.request_reserve(iid, "post") or "")
    finally:
        await rig.aclose()


async def test_request_marks_the_unposted_order_and_posts_nothing() -> None:
    rig, iid = await _pushed_invoice()
    try:
        assert rig.store.request_reserve(iid, "request") is None
        result = await rig.service.push_now()
        assert result is not None and result.pushed == [("reserve", iid)], result
        order = rig.state.objects[ORDER][iid]
        assert not order["Posted"]
        assert order["Комментарий"].startswith(RESERVE_MARK)
        assert _reserved_in_sandbox(rig, iid) == {}
        # Accounting posts it from its list; the live job then shows the reserve per line.
        await clerk_post(rig.clerk, iid)
        assert sorted(await rig.service.jobs.order_reserves([iid])) == [iid]
        assert set(rig.store.order_reserves(iid).values()) == {Decimal(3)}
    finally:
        await rig.aclose()


async def test_post_after_a_lost_answer_is_done_once() -> None:
    rig, iid = await _pushed_invoice()
    try:
        rig.store.request_reserve(iid, "post")
        rig.faults.configure({"reset": True, "only": "/Post", "drop_next": 1})
        first = await rig.service.push_now()
        assert first is not None and not first.pushed
        assert rig.state.objects[ORDER][iid]["Posted"] is True   # 1C did it; the answer was lost
        item = rig.store.reserve_request(iid)
        assert item is not None and item.state == "pending" and item.step == "written"
        rig.store.outbox_retry(item.id)
        again = await rig.service.push_now()
        assert again is not None and again.pushed == [("reserve", iid)]
        assert rig.store.reserve_request(iid).state == "done"
        assert set(_reserved_in_sandbox(rig, iid).values()) == {Decimal(3)}
    finally:
        await rig.aclose()


async def test_refusal_keeps_1c_message_and_the_invoice_stays_editable() -> None:
    rig, iid = await _pushed_invoice()
    try:
        rig.state.objects[ORDER][iid]["DeletionMark"] = True
        rig.store.request_reserve(iid, "post")
        result = await rig.service.push_now()
        assert result is not None and result.failed and result.failed[0][0] == "reserve"
        assert "marked" in (rig.store.reserve_request(iid).last_error or "")
        assert not rig.state.objects[ORDER][iid]["Posted"]
    finally:
        await rig.aclose()


async def test_request_for_an_invoice_not_yet_in_accounting_waits_for_it() -> None:
    rig = make_rig()
    try:
        await rig.service.pull_now()
        client = new_client()
        rig.store.save_client(client, queue=True)
        iid = save_invoice(rig.store, client.id, lines=1)
        assert rig.store.request_reserve(iid, "post") is None
        result = await rig.service.push_now()   # client, invoice, then the reserve — in order
        assert result is not None
        assert [k for k, _ in result.pushed] == ["client", "invoice", "reserve"], result
        assert rig.state.objects[ORDER][iid]["Posted"] is True
    finally:
        await rig.aclose()


async def test_ut11_request_marks_the_order_with_reserving_lines_and_accounting_posts_it() -> None:
    """УТ 11, policy "request": the unposted ЗаказКлиента gets #РЕЗЕРВ in its comment and every
    line ВариантОбеспечения = СоСклада, so accounting's posting reserves; nothing is posted by
    the CRM. Reserved per line then comes from ТоварыКОтгрузке.ВРезерве by ДокументОтгрузки."""
    from onec_sandbox.state import SandboxState
    from tui_crm.sync.profile import load_profile

    ut_order = "Document_ЗаказКлиента"
    rig, iid = await _pushed_invoice(state=SandboxState.seeded(products=40, warehouses=2, seed=1, config="ut11"),
                                     profile=load_profile("ut11"))
    try:
        assert {r["ВариантОбеспечения"] for r in rig.state.objects[ut_order][iid]["Товары"]} == {"КОбеспечению"}
        assert rig.store.request_reserve(iid, "request") is None
        result = await rig.service.push_now()
        assert result is not None and result.pushed == [("reserve", iid)], result
        order = rig.state.objects[ut_order][iid]
        assert not order["Posted"] and order["Комментарий"].startswith(RESERVE_MARK)
        assert {r["ВариантОбеспечения"] for r in order["Товары"]} == {"СоСклада"}
        await rig.clerk.post_document(ut_order, iid)
        assert sorted(await rig.service.jobs.order_reserves([iid])) == [iid]
        assert set(rig.store.order_reserves(iid).values()) == {Decimal(3)}
    finally:
        await rig.aclose()
