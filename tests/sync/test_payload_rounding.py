"""Money the CRM computes for 1C is rounded as 1C rounds (`Окр(x, 2)`: halves away from zero,
`tui_crm.domain.money.round_money`), never by Python's default half-to-even; against the ut11
sandbox over real loopback and a DuckDB file.

A price 1C keeps with more places than the CRM's 2 (a changed configuration's Number(15,3)) is
read as 1C shows it with 2: 10.125 → 10.13, where quantize alone made 10.12.

A shipment request ships part of an order line: its amount is the line's amount in proportion to
the quantity. 2.17 for 2 pieces, 1 shipped, is 1.085: 1C makes 1.09, `Decimal.quantize` without
a rounding mode made 1.08.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from onec_sandbox.server import RunningSandbox, start_in_thread
from onec_sandbox.state import SandboxState
from tests.clock import TestClock
from tests.sync.sandbox_kit import new_client, new_invoice
from tui_crm.store import Store
from tui_crm.sync.odata import ODataClient
from tui_crm.sync.profile import load_profile
from tui_crm.sync.service import SyncService

SALE = "Document_РеализацияТоваровУслуг"


@pytest.fixture(params=["ut11"])
def sandbox(request: pytest.FixtureRequest) -> Iterator[RunningSandbox]:
    running = start_in_thread(SandboxState.seeded(products=10, warehouses=1, seed=5, config=request.param))
    try:
        yield running
    finally:
        running.stop()


@pytest.mark.parametrize("sandbox", ["ka1"], indirect=True)
async def test_a_price_with_more_places_is_read_rounded_half_away_from_zero(
        sandbox: RunningSandbox, tmp_path: Any) -> None:
    reg = sandbox.state.prices
    keys = sorted(reg.records)[:2]
    for key, price in zip(keys, ("10.125", "-0.005"), strict=True):
        reg.records[key][-1]["Цена"] = Decimal(price)
    store = Store.open(str(tmp_path / "crm.duckdb"), clock=TestClock())
    service = SyncService(store, ODataClient(sandbox.base_url, retries=1, backoff=0.0), profile=load_profile("ka1"))
    try:
        assert await service.pull_now() is not None, service.last_error
        product = reg.dims.index("Номенклатура_Key")
        kind = reg.dims.index("ТипЦен_Key")
        got = [store.db.cursor().execute("SELECT price FROM prices WHERE product_id = ? AND price_type_id = ?",
                                         [key[product], key[kind]]).fetchone() for key in keys]
        assert got == [(Decimal("10.13"),), (Decimal("-0.01"),)]   # was 10.12 and 0.00 (half to even)
    finally:
        await service.aclose()
        store.close()


async def test_a_partial_shipment_requests_amount_is_rounded_half_away_from_zero(
        sandbox: RunningSandbox, tmp_path: Any) -> None:
    store = Store.open(str(tmp_path / "crm.duckdb"), clock=TestClock())
    service = SyncService(store, ODataClient(sandbox.base_url, retries=1, backoff=0.0), profile=load_profile("ut11"))
    try:
        assert await service.pull_now() is not None, service.last_error
        client = new_client()
        store.save_client(client, queue=True)
        iid, inv = new_invoice(store, client.id, lines=1, qty="2")
        line = replace(inv.lines[0], price=Decimal("1.14"), discount_pct=Decimal("5"))
        inv = replace(inv, lines=(line,))
        assert inv.effective_lines[0].amount == Decimal("2.17")   # 2 × 1.14 − 5 %
        store.save_invoice(iid, inv, date=datetime(2026, 11, 30, 10, 0), queue=True)
        while store.outbox_items():
            result = await service.push_now()
            assert result is not None and not result.failed, result
        rid, refused = store.request_shipment(iid, {1: Decimal(1)})
        assert refused is None and rid is not None
        result = await service.push_now()
        assert result is not None and result.pushed == [("shipment", rid)], result
        [row] = sandbox.state.objects[SALE][rid]["Товары"]
        assert Decimal(str(row["Сумма"])) == Decimal("1.09")   # was 1.08 (half to even)
    finally:
        await service.aclose()
        store.close()
