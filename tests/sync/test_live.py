"""Live rows: the rows on screen are refreshed from accounting with requests proportional to
the rows, not the catalog; orders on screen get their payments and shipments."""

from __future__ import annotations

import uuid
from decimal import Decimal

from tests.sync.sandbox_kit import clerk_pay, clerk_post, make_rig, new_client, save_invoice
from tui_crm.sync.service import LiveRowsUpdated, PaymentArrived


async def test_watched_rows_follow_price_and_stock_changes() -> None:
    rig = make_rig(products=200, warehouses=3)
    events: list[object] = []
    try:
        await rig.service.pull_now()
        rig.service.subscribe(events.append)
        wh = rig.store.warehouses()[0].id
        pt = rig.store.price_types()[0].id
        rows = rig.store.picker_search(wh, pt, "", limit=10)
        ids = [r.product_id for r in rows]
        before = rig.client.stats.requests
        await rig.service.live_tick()                       # nothing watched: no request
        assert rig.client.stats.requests == before
        rig.service.watch_products(wh, pt, ids)
        await rig.service.live_tick()
        assert rig.client.stats.requests - before == 3      # stock, reserves, prices for 10 rows
        assert not events                                   # nothing changed yet
        target = rows[0]
        doc = str(uuid.uuid4())
        await rig.clerk.create("Document_УстановкаЦенНоменклатуры", {"Ref_Key": doc, "Товары": [{
            "LineNumber": "1", "Номенклатура_Key": target.product_id, "ТипЦен_Key": pt, "Цена": 999.99}]})
        await rig.clerk.post_document("Document_УстановкаЦенНоменклатуры", doc)
        receipt = str(uuid.uuid4())
        org = rig.store.organization()
        assert org is not None
        await rig.clerk.create("Document_ОприходованиеТоваров", {
            "Ref_Key": receipt, "Организация_Key": org[0], "Склад_Key": wh,
            "Товары": [{"LineNumber": "1", "Номенклатура_Key": rows[1].product_id, "Количество": 7,
                        "Коэффициент": 1, "Цена": 1, "Сумма": 7}]})
        await rig.clerk.post_document("Document_ОприходованиеТоваров", receipt)
        await rig.service.live_tick()
        updates = [e for e in events if isinstance(e, LiveRowsUpdated)]
        assert len(updates) == 1 and set(updates[0].product_ids) == {target.product_id, rows[1].product_id}
        fresh = {r.product_id: r for r in rig.store.picker_search(wh, pt, "", limit=10)}
        assert fresh[target.product_id].price == Decimal("999.99")
        assert fresh[rows[1].product_id].on_hand == rows[1].on_hand + 7
        # 45 rows on screen: three batches of 20 → 9 requests, whatever the catalog size
        many = [r.product_id for r in rig.store.picker_search(wh, pt, "", limit=45)]
        rig.service.watch_products(wh, pt, many)
        before = rig.client.stats.requests
        await rig.service.live_tick()
        assert rig.client.stats.requests - before == 9
        rig.service.unwatch()
        before = rig.client.stats.requests
        await rig.service.live_tick()
        assert rig.client.stats.requests == before
    finally:
        await rig.aclose()


async def test_rows_and_orders_ticks_ask_only_for_their_part() -> None:
    """The scheduler refreshes rows every second and orders every few seconds: a rows tick
    asks nothing about orders on screen, an orders tick nothing about rows."""
    rig = make_rig(products=60, warehouses=2)
    try:
        await rig.service.pull_now()
        client = new_client()
        rig.store.save_client(client, queue=True)
        iid = save_invoice(rig.store, client.id)
        await rig.service.push_now()
        wh = rig.store.warehouses()[0].id
        pt = rig.store.price_types()[0].id
        rig.service.watch_products(wh, pt, [r.product_id for r in rig.store.picker_search(wh, pt, "", limit=10)])
        rig.service.watch_orders([iid])
        before = rig.client.stats.requests
        await rig.service.live_tick(orders=False)
        assert rig.client.stats.requests - before == 3          # stock, reserves, prices
        before = rig.client.stats.requests
        await rig.service.live_tick(rows=False)
        orders_only = rig.client.stats.requests - before
        assert orders_only > 0
        before = rig.client.stats.requests
        await rig.service.live_tick()
        assert rig.client.stats.requests - before == 3 + orders_only
    finally:
        await rig.aclose()


async def test_watched_order_gets_its_payment_toast() -> None:
    rig = make_rig()
    events: list[object] = []
    try:
        await rig.service.pull_now()
        client = new_client()
        rig.store.save_client(client, queue=True)
        iid = save_invoice(rig.store, client.id)
        await rig.service.push_now()
        rig.service.subscribe(events.append)
        rig.service.watch_orders([iid])
        await clerk_post(rig.clerk, iid)
        await clerk_pay(rig.clerk, iid, Decimal("10.00"))
        await rig.service.live_tick()
        paid = [e for e in events if isinstance(e, PaymentArrived)]
        assert [(e.invoice_id, e.amount) for e in paid] == [(iid, Decimal("10.00"))]
        rec = rig.store.get_invoice(iid)
        assert rec is not None and rec.posted
        await rig.service.live_tick()
        assert len([e for e in events if isinstance(e, PaymentArrived)]) == 1
    finally:
        await rig.aclose()


async def test_scheduler_runs_the_three_jobs_without_overlap() -> None:
    import asyncio

    from tui_crm.sync.scheduler import create_scheduler

    rig = make_rig()
    try:
        scheduler = create_scheduler(rig.service, pull_seconds=60, live_seconds=0.5, push_seconds=0.2,
                                     first_run_in=0.01)
        assert {j.id for j in scheduler.get_jobs()} == {"pull", "push", "live", "live-orders"}
        assert all(j.max_instances == 1 and j.coalesce for j in scheduler.get_jobs())
        scheduler.start()
        client = new_client()
        rig.store.save_client(client, queue=True)
        for _ in range(100):
            await asyncio.sleep(0.05)
            rec = rig.store.get_client(client.id)
            if rec is not None and rec.sync_state.value == "in_accounting" and rig.store.mirror_counts()["products"]:
                break
        scheduler.shutdown(wait=False)
        assert rig.store.get_client(client.id).sync_state.value == "in_accounting"  # type: ignore[union-attr]
        assert rig.store.mirror_counts()["products"] == 40
    finally:
        await asyncio.sleep(0.05)
        await rig.aclose()
