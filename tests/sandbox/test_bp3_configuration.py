"""The sandbox speaking БП 3.0 (`--config bp3`): its real names, stock as the balance of the
accounting register Хозрасчетный on 41.01 with the subconto in the order the accounting settings
(`--variant`) give, and what posting each document records: the invoice nothing, a shipment
41.01 and 62.01, a payment 62.01 up to the debt and 62.02 (an advance) beyond. Served
in-process (ASGI) or over loopback for the clerk."""

from __future__ import annotations

import argparse
import uuid
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from onec_sandbox import cli as sandbox_cli
from onec_sandbox.app import create_app
from onec_sandbox.configs import configuration, detect
from onec_sandbox.configs.bp3 import VARIANTS, variant_of
from onec_sandbox.server import start_in_thread
from onec_sandbox.state import SandboxState
from tests.sandbox.conftest import BASE, error_code, get_json, url

INVOICE = "Document_СчетНаОплатуПокупателю"
SALE = "Document_РеализацияТоваровУслуг"
BANK = "Document_ПоступлениеНаРасчетныйСчет"
T = "StandardODATA."


def test_bp3_metadata_has_the_names_of_the_real_configuration() -> None:
    bp3 = configuration("bp3")
    party = bp3.schema.entities["Catalog_Контрагенты"].fields
    # 3.0.198: the main contract is no longer an attribute (kept only as "Удалить…")
    assert "УдалитьОсновнойДоговорКонтрагента_Key" in party and "ОсновнойДоговорКонтрагента_Key" not in party
    assert "Комментарий" in party and "ЮридическоеФизическоеЛицо" in party
    goods = bp3.schema.entities[INVOICE].table_parts["Товары"]
    assert goods["Номенклатура"].kind == "c" and "Номенклатура_Key" not in goods and "ЕдиницаИзмерения_Key" not in goods
    rows = bp3.schema.entities[BANK].table_parts["РасшифровкаПлатежа"]
    assert rows["СчетНаОплату_Key"].target == INVOICE and "СуммаПлатежа" in rows
    assert bp3.schema.entities[SALE].fields["СчетНаОплатуПокупателю_Key"].target == INVOICE
    assert "Document_ЗаказПокупателя" not in bp3.schema.entities
    # КА 1.1 has a СчетНаОплатуПокупателю too: the chart of accounts is what tells БП 3 apart
    assert detect(["Catalog_Валюты", INVOICE, "ChartOfAccounts_Хозрасчетный"]) == "bp3"
    assert detect(["Document_ЗаказПокупателя", INVOICE]) == "ka1"


def _account(st: SandboxState, code: str) -> str:
    found = st.find_by("ChartOfAccounts_Хозрасчетный", "Code", code)
    assert found is not None
    return str(found["Ref_Key"])


def _balance_path(account: str, condition: str = "") -> str:
    cond = f"Condition='{condition}'," if condition else ""
    return f"AccountingRegister_Хозрасчетный/Balance({cond}AccountCondition='Account_Key eq guid''{account}''')"


@pytest.mark.parametrize(("variant", "types"), [
    ("warehouses", ["Catalog_Номенклатура", "Catalog_Склады", None]),
    ("batches", ["Catalog_Номенклатура", "Document_ОприходованиеТоваров", "Catalog_Склады"]),
    ("no-warehouses", ["Catalog_Номенклатура", None, None]),
])
async def test_stock_subconto_follow_the_accounting_settings(variant: str, types: list[str | None]) -> None:
    st = SandboxState.seeded(products=20, warehouses=2, seed=4, config="bp3", variant=variant)
    app = create_app(st, base="demo")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as c:
        rows = (await get_json(c, _balance_path(_account(st, "41.01"))))["value"]
        assert rows
        for row in rows:
            assert row["Account_Key"] == _account(st, "41.01") and Decimal(str(row["КоличествоBalance"])) > 0
            assert [row[f"ExtDimension{n}_Type"] for n in (1, 2, 3)] == [
                T + t if t else "StandardODATA.Undefined" for t in types]
        # an account with nothing on it, and AccountCondition on an accumulation register
        assert (await get_json(c, _balance_path(_account(st, "62.01"))))["value"] == []
        ka1 = create_app(SandboxState.seeded(products=5, warehouses=1, seed=4), base="demo")
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=ka1), base_url=BASE) as k:
            r = await k.get(url("AccumulationRegister_ТоварыНаСкладах/Balance(AccountCondition='x')"))
            assert r.status_code == 400 and error_code(r) == "12"


def test_a_variant_the_configuration_lacks_is_refused_and_a_data_file_keeps_its_own(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "bp3.sqlite"
    assert sandbox_cli.main(["seed", "--config", "bp3", "--variant", "sideways", "--data", str(data)]) == 2
    err = capsys.readouterr().err
    assert "no variant 'sideways'" in err and "warehouses, batches, no-warehouses" in err
    assert not data.exists()
    assert sandbox_cli.main(["seed", "--config", "bp3", "--variant", "batches", "--data", str(data),
                             "--products", "10", "--warehouses", "1"]) == 0
    again = SandboxState.open(data, config="bp3")
    try:
        assert variant_of(again) == "batches"
        keys = list(again.acc["Хозрасчетный"].totals)
        assert keys and all(k[7] == T + "Catalog_Склады" for k in keys)  # ExtDimension3_Type
    finally:
        again.close()
    assert set(VARIANTS) == {"warehouses", "batches", "no-warehouses"}


@pytest.fixture
def bp3() -> SandboxState:
    return SandboxState.seeded(products=30, warehouses=2, seed=5, config="bp3")


@pytest.fixture
async def client(bp3: SandboxState):
    app = create_app(bp3, base="demo")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as c:
        yield c


def _stock(st: SandboxState, item: str, wh: str) -> Decimal:
    """Quantity of `item` on `wh` on 41.01 (warehouse second, the default settings)."""
    acc = _account(st, "41.01")
    return sum((v[1] for k, v in st.acc["Хозрасчетный"].totals.items()
                if k[0] == acc and k[2] == item and k[4] == wh), Decimal(0))


def _balance(st: SandboxState, code: str) -> Decimal:
    acc = _account(st, code)
    return sum((v[0] for k, v in st.acc["Хозрасчетный"].totals.items() if k[0] == acc), Decimal(0))


async def _invoice(client: httpx.AsyncClient, st: SandboxState, qty: int) -> dict:
    """POST an invoice for one product in stock on the first warehouse, with a sales contract."""
    org = next(iter(st.objects["Catalog_Организации"].values()))["Ref_Key"]
    contract = next(iter(st.objects["Catalog_ДоговорыКонтрагентов"].values()))
    wh = min(st.objects["Catalog_Склады"].values(), key=lambda w: w["Code"])["Ref_Key"]
    item = next(p["Ref_Key"] for p in st.objects["Catalog_Номенклатура"].values()
                if not p["IsFolder"] and _stock(st, p["Ref_Key"], wh) >= qty + 1)
    body = {"Ref_Key": str(uuid.uuid4()), "Организация_Key": org, "Контрагент_Key": contract["Owner_Key"],
            "ДоговорКонтрагента_Key": contract["Ref_Key"], "Склад_Key": wh, "СуммаВключаетНДС": True,
            "СуммаДокумента": 100 * qty,
            "Товары": [{"LineNumber": "1", "Номенклатура": item, "Номенклатура_Type": T + "Catalog_Номенклатура",
                        "Количество": qty, "Цена": 100, "Сумма": 100 * qty, "СтавкаНДС": "НДС20",
                        "СуммаНДС": round(100 * qty / 6, 2)}]}
    r = await client.post(url(INVOICE), json=body)
    assert r.status_code == 201, r.text
    return body


async def test_invoice_posting_records_nothing_and_a_shipment_moves_41_and_62(client, bp3: SandboxState) -> None:
    inv = await _invoice(client, bp3, 3)
    moves_before = {k: list(v) for k, v in bp3.acc["Хозрасчетный"].totals.items()}
    r = await client.post(url(f"{INVOICE}(guid'{inv['Ref_Key']}')/Post"))
    assert r.status_code == 200, r.text
    assert bp3.objects[INVOICE][inv["Ref_Key"]]["Posted"] is True
    assert {k: list(v) for k, v in bp3.acc["Хозрасчетный"].totals.items()} == moves_before

    item, wh = inv["Товары"][0]["Номенклатура"], inv["Склад_Key"]
    on_hand = _stock(bp3, item, wh)
    sale = {"Ref_Key": str(uuid.uuid4()), "ВидОперации": "Товары", "Организация_Key": inv["Организация_Key"],
            "Контрагент_Key": inv["Контрагент_Key"], "ДоговорКонтрагента_Key": inv["ДоговорКонтрагента_Key"],
            "Склад_Key": wh, "СчетНаОплатуПокупателю_Key": inv["Ref_Key"], "СуммаВключаетНДС": True,
            "Товары": [{"LineNumber": "1", "Номенклатура_Key": item, "Количество": 2, "Цена": 100, "Сумма": 200,
                        "СтавкаНДС": "НДС20", "СуммаНДС": 33.33}]}
    assert (await client.post(url(SALE), json=sale)).status_code == 201
    r = await client.post(url(f"{SALE}(guid'{sale['Ref_Key']}')/Post"))
    assert r.status_code == 200, r.text
    assert _stock(bp3, item, wh) == on_hand - 2
    assert _balance(bp3, "62.01") == Decimal("200.00")
    assert _balance(bp3, "90.01.1") == Decimal("-200.00") and _balance(bp3, "68.02") == Decimal("-33.33")
    found = (await get_json(client, SALE, **{"$filter": f"СчетНаОплатуПокупателю_Key eq guid'{inv['Ref_Key']}'",
                                             "$select": "Ref_Key"}))["value"]
    assert [f["Ref_Key"] for f in found] == [sale["Ref_Key"]]

    # more than the warehouse holds: refused with 1C's words, nothing moves
    totals = {k: list(v) for k, v in bp3.acc["Хозрасчетный"].totals.items()}
    big = {**sale, "Ref_Key": str(uuid.uuid4()),
           "Товары": [{**sale["Товары"][0], "Количество": float(on_hand + 5)}]}
    assert (await client.post(url(SALE), json=big)).status_code == 201
    r = await client.post(url(f"{SALE}(guid'{big['Ref_Key']}')/Post"))
    assert r.status_code == 500 and error_code(r) == "-1"
    assert "Недостаточно товара" in r.json()["odata.error"]["message"]["value"]
    assert {k: list(v) for k, v in bp3.acc["Хозрасчетный"].totals.items()} == totals

    # unposting the shipment puts the goods back
    assert (await client.post(url(f"{SALE}(guid'{sale['Ref_Key']}')/Unpost"))).status_code == 200
    assert _stock(bp3, item, wh) == on_hand and _balance(bp3, "62.01") == 0


async def test_a_bank_payment_before_the_sale_is_an_advance_on_62_02(client, bp3: SandboxState) -> None:
    inv = await _invoice(client, bp3, 1)
    pay = {"Ref_Key": str(uuid.uuid4()), "ВидОперации": "ОплатаПокупателя", "Организация_Key": inv["Организация_Key"],
           "Контрагент": inv["Контрагент_Key"], "Контрагент_Type": T + "Catalog_Контрагенты", "СуммаДокумента": 40,
           "РасшифровкаПлатежа": [{"LineNumber": "1", "ДоговорКонтрагента_Key": inv["ДоговорКонтрагента_Key"],
                                   "СчетНаОплату_Key": inv["Ref_Key"], "СуммаПлатежа": 40}]}
    assert (await client.post(url(BANK), json=pay)).status_code == 201
    assert (await client.post(url(f"{BANK}(guid'{pay['Ref_Key']}')/Post"))).status_code == 200
    # nothing shipped yet, so nothing owed: the payment is an advance received (Kt 62.02)
    assert _balance(bp3, "51") == Decimal("40.00") and _balance(bp3, "62.01") == 0
    assert _balance(bp3, "62.02") == Decimal("-40.00")
    found = (await get_json(client, BANK, **{
        "$filter": f"РасшифровкаПлатежа/any(d: d/СчетНаОплату_Key eq guid'{inv['Ref_Key']}')",
        "$select": "Ref_Key"}))["value"]
    assert [f["Ref_Key"] for f in found] == [pay["Ref_Key"]]
    # a row naming an invoice that does not exist is refused
    bad = {**pay, "Ref_Key": str(uuid.uuid4()),
           "РасшифровкаПлатежа": [{**pay["РасшифровкаПлатежа"][0], "СчетНаОплату_Key": str(uuid.uuid4())}]}
    assert (await client.post(url(BANK), json=bad)).status_code == 201
    r = await client.post(url(f"{BANK}(guid'{bad['Ref_Key']}')/Post"))
    assert r.status_code == 500 and "счет на оплату не найден" in r.json()["odata.error"]["message"]["value"]
    # the КА 1.1 name of the row's link does not exist in БП 3
    r = await client.post(url(BANK), json={**pay, "Ref_Key": str(uuid.uuid4()),
                                           "РасшифровкаПлатежа": [{"LineNumber": "1", "Сделка_Key": inv["Ref_Key"]}]})
    assert r.status_code == 400 and error_code(r) == "10"


def _clerk(base_url: str, *argv: str) -> int:
    parser = argparse.ArgumentParser()
    sandbox_cli.add_arguments(parser)
    return sandbox_cli.run(parser.parse_args([argv[0], "--url", base_url, *argv[1:]]))


async def test_the_clerk_posts_pays_and_ships_an_invoice_on_a_base_without_warehouse_accounting(
        capsys: pytest.CaptureFixture[str]) -> None:
    st = SandboxState.seeded(products=30, warehouses=2, seed=6, config="bp3", variant="no-warehouses")
    running = start_in_thread(st)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(st, base="demo")),
                                     base_url=BASE) as c:
            acc = _account(st, "41.01")
            item, qty = next((k[2], v[1]) for k, v in st.acc["Хозрасчетный"].totals.items()
                             if k[0] == acc and v[1] >= 4)
            org = next(iter(st.objects["Catalog_Организации"].values()))["Ref_Key"]
            contract = next(iter(st.objects["Catalog_ДоговорыКонтрагентов"].values()))
            wh = next(iter(st.objects["Catalog_Склады"].values()))["Ref_Key"]
            inv = {"Ref_Key": str(uuid.uuid4()), "Организация_Key": org, "Контрагент_Key": contract["Owner_Key"],
                   "ДоговорКонтрагента_Key": contract["Ref_Key"], "Склад_Key": wh, "СуммаВключаетНДС": True,
                   "СуммаДокумента": 400, "Товары": [{
                       "LineNumber": "1", "Номенклатура": item, "Номенклатура_Type": T + "Catalog_Номенклатура",
                       "Количество": 4, "Цена": 100, "Сумма": 400, "СтавкаНДС": "НДС20", "СуммаНДС": 66.67}]}
            assert (await c.post(url(INVOICE), json=inv)).status_code == 201
        number = st.objects[INVOICE][inv["Ref_Key"]]["Number"]
        base = running.base_url
        assert _clerk(base, "post", number) == 0
        assert _clerk(base, "pay", number, "--amount", "160") == 0
        assert _clerk(base, "pay", number, "--amount", "240", "--cash") == 0
        assert _clerk(base, "ship", number, "--line", "1", "--qty", "1") == 0
        assert _clerk(base, "ship", number) == 0
        assert _clerk(base, "ship", number) == 1  # nothing left to ship: a plain message
        capsys.readouterr()
        assert _clerk(base, "orders") == 0
        listed = capsys.readouterr().out
        assert number in listed and "400.00 100%" in listed and listed.rstrip().endswith("100%")
        left = sum((v[1] for k, v in st.acc["Хозрасчетный"].totals.items() if k[0] == acc and k[2] == item),
                   Decimal(0))
        assert left == qty - 4
    finally:
        running.stop()
