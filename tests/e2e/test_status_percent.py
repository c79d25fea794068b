"""`tui-crm status` asking accounting rounds paid % as the store does: 1C's halves away from zero
(it rounded them to even: 49.00 of 400.00 showed 12.2 %, the store 12.3 %). Real sandbox over
loopback; the order and its payment made by the clerk through OData."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from decimal import Decimal

import pytest

from onec_sandbox.server import start_in_thread
from onec_sandbox.state import SandboxState
from tests.sync.sandbox_kit import ORDER, clerk_pay
from tui_crm.config import AccountingSettings, Settings
from tui_crm.status_cmd import from_accounting
from tui_crm.sync.odata import ODataClient


@pytest.fixture
def sandbox() -> Iterator[object]:
    running = start_in_thread(SandboxState.seeded(products=5, warehouses=1, seed=3), base="demo")
    yield running
    running.stop()


def test_paid_pct_from_accounting_rounds_a_half_away_from_zero(sandbox) -> None:
    st = sandbox.state
    cp = next(iter(st.objects["Catalog_Контрагенты"].values()))
    org = next(iter(st.objects["Catalog_Организации"].values()))
    rub = next(iter(st.objects["Catalog_Валюты"].values()))
    wh = next(iter(st.objects["Catalog_Склады"].values()))
    product = next(p for p in st.objects["Catalog_Номенклатура"].values() if not p.get("IsFolder"))
    ref = str(uuid.uuid4())
    body = {"Ref_Key": ref, "Контрагент_Key": cp["Ref_Key"],
            "ДоговорКонтрагента_Key": cp["ОсновнойДоговорКонтрагента_Key"],
            "Организация_Key": org["Ref_Key"], "ВалютаДокумента_Key": rub["Ref_Key"], "СуммаДокумента": 400,
            "СуммаВключаетНДС": True, "СкладГруппа": wh["Ref_Key"], "СкладГруппа_Type": "StandardODATA.Catalog_Склады",
            "Товары": [{"LineNumber": "1", "Номенклатура_Key": product["Ref_Key"], "Количество": 4,
                        "Коэффициент": 1, "Цена": 100, "Сумма": 400, "СтавкаНДС": "НДС20", "СуммаНДС": 66.67}]}

    async def make() -> None:
        clerk = ODataClient(sandbox.base_url)
        try:
            await clerk.create(ORDER, body)
            await clerk_pay(clerk, ref, Decimal("49.00"))   # 12.25 %
        finally:
            await clerk.aclose()

    asyncio.run(make())
    number = st.objects[ORDER][ref]["Number"]
    answer = asyncio.run(from_accounting(Settings(accounting=AccountingSettings(url=sandbox.base_url)), number))
    assert [(i["number"], i["total"], i["paid_pct"]) for i in answer["invoices"]] == [(number, "400.00", "12.3")]
