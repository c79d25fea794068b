"""The sandbox speaks a chosen 1C configuration: КА 1.1 (`ka1`, the default) or УТ 11.5
(`ut11`), each with its own names, registers and posting rules; a data file keeps its
configuration; the clerk recognises it from the server."""

from __future__ import annotations

import uuid
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from onec_sandbox import cli as sandbox_cli
from onec_sandbox.app import create_app
from onec_sandbox.configs import configuration, detect
from onec_sandbox.configs.ut11 import settlement_key
from onec_sandbox.schema import EMPTY_REF
from onec_sandbox.state import ConfigurationMismatch, SandboxState
from tests.sandbox.conftest import BASE, error_code, get_json, url

ORDER = "Document_ЗаказКлиента"


def test_each_configuration_has_its_own_metadata() -> None:
    ka1, ut11 = configuration("ka1"), configuration("ut11")
    assert "Document_ЗаказПокупателя" in ka1.schema.entities and ORDER not in ka1.schema.entities
    assert ORDER in ut11.schema.entities and "Document_ЗаказПокупателя" not in ut11.schema.entities
    assert "Комментарий" not in ut11.schema.entities["Catalog_Контрагенты"].fields
    assert "ДополнительнаяИнформация" in ut11.schema.entities["Catalog_Контрагенты"].fields
    lines = ut11.schema.entities[ORDER].table_parts["Товары"]
    assert lines["СтавкаНДС_Key"].target == "Catalog_СтавкиНДС" and "СтавкаНДС" not in lines
    assert detect(["Catalog_Валюты", ORDER]) == "ut11"
    assert detect(["Document_ЗаказПокупателя"]) == "ka1"


def test_a_data_file_keeps_its_configuration(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "base.sqlite"
    assert sandbox_cli.main(["seed", "--config", "ut11", "--data", str(data), "--products", "10",
                             "--warehouses", "1"]) == 0
    assert "ut11" in capsys.readouterr().out
    again = SandboxState.open(data, config="ut11")
    try:
        assert len([p for p in again.objects["Catalog_Номенклатура"].values() if not p["IsFolder"]]) == 10
    finally:
        again.close()
    with pytest.raises(ConfigurationMismatch, match="holds a ut11 base, not ka1"):
        SandboxState.open(data)  # the default, ka1


@pytest.fixture
def ut11() -> SandboxState:
    return SandboxState.seeded(products=30, warehouses=2, seed=5, config="ut11")


@pytest.fixture
async def client(ut11: SandboxState):
    app = create_app(ut11, base="demo")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as c:
        yield c


async def _order(client: httpx.AsyncClient, st: SandboxState, lines: list[tuple[str, str, bool]],
                 status: str = "КОтгрузке") -> tuple[dict, str, list[str]]:
    """POST an order of `lines` (variant, qty, cancelled) on the first warehouse; returns the
    body, the warehouse and the products (each with stock there)."""
    party = next(iter(st.objects["Catalog_Контрагенты"].values()))
    agreement = next(iter(st.objects["Catalog_СоглашенияСКлиентами"].values()))
    org = next(iter(st.objects["Catalog_Организации"].values()))
    wh = next(iter(st.objects["Catalog_Склады"].values()))["Ref_Key"]
    stock = st.acc["ТоварыНаСкладах"]
    products = [k[0] for k, v in stock.totals.items() if k[2] == wh and v[0] >= 5][:len(lines)]
    body = {"Ref_Key": str(uuid.uuid4()), "Партнер_Key": party["Партнер_Key"],
            "Контрагент_Key": party["Ref_Key"], "Соглашение_Key": agreement["Ref_Key"],
            "Организация_Key": org["Ref_Key"], "Склад_Key": wh, "Статус": status,
            "Товары": [{"LineNumber": str(n), "Номенклатура_Key": p, "Количество": float(q),
                        "Цена": 10, "Сумма": 10 * float(q), "ВариантОбеспечения": variant,
                        "Отменено": cancelled}
                       for n, ((variant, q, cancelled), p) in enumerate(zip(lines, products, strict=True),
                                                                        start=1)]}
    r = await client.post(url(ORDER), json=body)
    assert r.status_code == 201, r.text
    return body, wh, products


async def test_ut11_order_posting_reserves_per_line_by_its_variant(client, ut11: SandboxState) -> None:
    body, wh, products = await _order(client, ut11, [("СоСклада", "3", False), ("Отгрузить", "2", False),
                                                      ("Требуется", "4", False), ("СоСклада", "1", True)])
    assert (await client.post(url(f"{ORDER}(guid'{body['Ref_Key']}')/Post"))).status_code == 200
    rows = (await get_json(client, "AccumulationRegister_ТоварыКОтгрузке/Balance"))["value"]
    got = {r["Номенклатура_Key"]: (Decimal(str(r["ВРезервеBalance"])), Decimal(str(r["КОтгрузкеBalance"])))
           for r in rows if r["ДокументОтгрузки"] == body["Ref_Key"]}
    # reserved from stock, released to ship now, no provision, a cancelled line: nothing
    assert got == {products[0]: (3, 0), products[1]: (0, 2)}
    assert all(r["Склад_Key"] == wh and r["ДокументОтгрузки_Type"] == "StandardODATA." + ORDER for r in rows)

    # a shipment by the order takes the goods from stock and from the order's reserve
    party = ut11.objects["Catalog_Контрагенты"][body["Контрагент_Key"]]
    stock_key = (products[0], EMPTY_REF, wh, EMPTY_REF, EMPTY_REF)
    before = ut11.acc["ТоварыНаСкладах"].balance_of(stock_key)[0]
    sale = {"Ref_Key": str(uuid.uuid4()), "Партнер_Key": party["Партнер_Key"],
            "Контрагент_Key": party["Ref_Key"], "Организация_Key": body["Организация_Key"],
            "Склад_Key": wh, "ЗаказКлиента": body["Ref_Key"],
            "ЗаказКлиента_Type": "StandardODATA." + ORDER,
            "Товары": [{"LineNumber": "1", "Номенклатура_Key": products[0], "Количество": 2}]}
    r = await client.post(url("Document_РеализацияТоваровУслуг"), json=sale)
    assert r.status_code == 201, r.text
    assert (await client.post(url(f"Document_РеализацияТоваровУслуг(guid'{sale['Ref_Key']}')/Post"))
            ).status_code == 200
    rows = (await get_json(client, "AccumulationRegister_ТоварыКОтгрузке/Balance",
                           Condition=f"Номенклатура_Key eq guid''{products[0]}''"))["value"]
    assert [Decimal(str(r["ВРезервеBalance"])) for r in rows] == [1]
    assert before - ut11.acc["ТоварыНаСкладах"].balance_of(stock_key)[0] == 2


async def test_an_order_not_agreed_reserves_nothing_and_one_without_agreement_is_refused(
        client, ut11: SandboxState) -> None:
    body, _wh, _p = await _order(client, ut11, [("СоСклада", "2", False)], status="НеСогласован")
    assert (await client.post(url(f"{ORDER}(guid'{body['Ref_Key']}')/Post"))).status_code == 200
    assert (await get_json(client, "AccumulationRegister_ТоварыКОтгрузке/Balance"))["value"] == []
    # writing a posted order re-posts it: without an agreement that is refused, nothing changes
    r = await client.patch(url(f"{ORDER}(guid'{body['Ref_Key']}')"), json={"Соглашение_Key": EMPTY_REF})
    assert r.status_code == 500 and "Соглашение" in r.json()["odata.error"]["message"]["value"]
    assert ut11.objects[ORDER][body["Ref_Key"]]["Соглашение_Key"] == body["Соглашение_Key"]


async def test_writing_an_order_makes_its_settlement_object_and_payments_point_at_it(
        client, ut11: SandboxState) -> None:
    body, _wh, _p = await _order(client, ut11, [("СоСклада", "1", False)])
    key = settlement_key(body["Ref_Key"])
    assert key != body["Ref_Key"]
    found = (await get_json(client, "Catalog_ОбъектыРасчетов", **{
        "$filter": f"Объект eq cast(guid'{body['Ref_Key']}','{ORDER}')"}))["value"]
    assert [f["Ref_Key"] for f in found] == [key]
    pay = {"Ref_Key": str(uuid.uuid4()), "Организация_Key": body["Организация_Key"],
           "Контрагент": body["Контрагент_Key"], "Контрагент_Type": "StandardODATA.Catalog_Контрагенты",
           "РасшифровкаПлатежа": [{"LineNumber": "1", "ОбъектРасчетов_Key": str(uuid.uuid4()), "Сумма": 5}]}
    r = await client.post(url("Document_ПоступлениеБезналичныхДенежныхСредств"), json=pay)
    assert r.status_code == 201
    r = await client.post(url(f"Document_ПоступлениеБезналичныхДенежныхСредств(guid'{pay['Ref_Key']}')/Post"))
    assert r.status_code == 500 and "объект расчетов не найден" in r.json()["odata.error"]["message"]["value"]
    # the 11.4 name of the row's link does not exist in 11.5
    bad = {**pay, "Ref_Key": str(uuid.uuid4()), "РасшифровкаПлатежа": [{"LineNumber": "1", "Заказ": "x"}]}
    r = await client.post(url("Document_ПоступлениеБезналичныхДенежныхСредств"), json=bad)
    assert r.status_code == 400 and error_code(r) == "10"
