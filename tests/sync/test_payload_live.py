"""The live job (rows on screen, every second) with one malformed row in 1C's answer, against the
ka1 sandbox behind a loopback proxy that spoils that row, and a DuckDB file.

The row used to end the tick (`BadData`), every tick: no row on screen was refreshed while that
product was shown. Now the row is quarantined (logged once), the product it names keeps what
the store has, and the other rows apply.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from onec_sandbox.server import RunningSandbox, start_in_thread
from onec_sandbox.state import SandboxState
from tests.clock import TestClock
from tests.sync.loopback import Answer, Seen, loopback
from tui_crm.store import Store
from tui_crm.sync.odata import ODataClient
from tui_crm.sync.profile import load_profile
from tui_crm.sync.service import SyncService


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    running = start_in_thread(SandboxState.seeded(products=40, warehouses=1, seed=5, config="ka1"))
    try:
        yield running
    finally:
        running.stop()


async def test_a_malformed_stock_row_leaves_its_product_as_it_was_and_the_rest_refresh(
        sandbox: RunningSandbox, tmp_path: Any) -> None:
    spoil: dict[str, str] = {}   # the product whose stock row 1C sends broken

    def serve(seen: Seen) -> Answer:
        query = "&".join(f"{quote(k, safe='$')}={quote(v, safe='')}" for k, v in seen.query.items())
        got = httpx.get(f"{sandbox.base_url}{quote(seen.path)}?{query}", timeout=10)
        body = got.content
        if spoil and "ТоварыНаСкладах/Balance" in seen.path and got.status_code == 200:
            data = json.loads(body)
            for row in data["value"]:
                if row.get("Номенклатура_Key") == spoil["product"]:
                    row["КоличествоBalance"] = True
            body = json.dumps(data, ensure_ascii=False).encode()
        return Answer(got.status_code, body, got.headers.get("content-type", "application/json"))

    store = Store.open(str(tmp_path / "crm.duckdb"), clock=TestClock())
    with loopback(serve) as box:
        service = SyncService(store, ODataClient(box.url, retries=0, backoff=0.0), profile=load_profile("ka1"))
        clerk = ODataClient(sandbox.base_url, retries=1, backoff=0.0)
        try:
            assert await service.pull_now() is not None, service.last_error
            wh = store.warehouses()[0].id
            pt = store.price_types()[0].id
            rows = [r for r in store.picker_search(wh, pt, "", limit=10) if r.on_hand > 0][:3]
            assert len(rows) == 3
            bad, good = rows[0], rows[1]
            service.watch_products(wh, pt, [r.product_id for r in rows])
            spoil["product"] = bad.product_id
            org = store.organization()
            assert org is not None
            receipt = str(uuid.uuid4())   # the warehouse receives 7 of both
            await clerk.create("Document_ОприходованиеТоваров", {
                "Ref_Key": receipt, "Организация_Key": org[0], "Склад_Key": wh,
                "Товары": [{"LineNumber": str(n), "Номенклатура_Key": r.product_id, "Количество": 7,
                            "Коэффициент": 1, "Цена": 1, "Сумма": 7} for n, r in enumerate((bad, good), 1)]})
            await clerk.post_document("Document_ОприходованиеТоваров", receipt)
            await service.live_tick()
            fresh = {r.product_id: r for r in store.picker_search(wh, pt, "", limit=10)}
            assert fresh[good.product_id].on_hand == good.on_hand + Decimal(7)   # was: the tick failed
            assert fresh[bad.product_id].on_hand == bad.on_hand                   # kept, not zeroed
            assert service.live.last_error is None
        finally:
            await clerk.aclose()
            await service.aclose()
            store.close()
