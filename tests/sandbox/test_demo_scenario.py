"""Issue 3's done-when scenario, step by step over OData only, with the balances 1C would show.

Create an order by POST with a client-chosen Ref_Key, post it, pay 40 % by bank, pay the rest in
cash, ship it; after each step the documents and registers read back in 1C's JSON shape.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from .conftest import get_json, url
from .test_write import ORDER, ORDER_T, order_body

BALANCE_STOCK = "AccumulationRegister_ТоварыНаСкладах/Balance"
BALANCE_RESERVE = "AccumulationRegister_ТоварыВРезервеНаСкладах/Balance"
BALANCE_SETTLE = "AccumulationRegister_ВзаиморасчетыСКонтрагентами/Balance"


async def _qty(client, register: str, wh: str, product: str) -> Decimal:
    rows = (await get_json(client, register, Condition=(
        f"Склад_Key eq guid'{wh}' and Номенклатура_Key eq guid'{product}'")))["value"]
    return sum((Decimal(str(r["КоличествоBalance"])) for r in rows), Decimal(0))


async def _debt(client, cp: str, order_ref: str) -> Decimal:
    rows = (await get_json(client, BALANCE_SETTLE, Condition=f"Контрагент_Key eq guid'{cp}'"))["value"]
    return sum((Decimal(str(r["СуммаВзаиморасчетовBalance"])) for r in rows
                if r.get("Сделка") == order_ref), Decimal(0))


async def test_order_post_pay_40_bank_rest_cash_ship(client, refs) -> None:
    wh = refs["wh"]
    products = [refs["prods"][0]["Ref_Key"], refs["prods"][1]["Ref_Key"]]
    stock0 = [await _qty(client, BALANCE_STOCK, wh, p) for p in products]
    reserve0 = [await _qty(client, BALANCE_RESERVE, wh, p) for p in products]

    # 1. POST with our own key: 1C honours it and numbers the document.
    key = str(uuid.uuid4())
    r = await client.post(url(ORDER), json=order_body(refs, Ref_Key=key))
    assert r.status_code == 201, r.text
    order = r.json()
    assert order["Ref_Key"] == key and order["Number"] and order["Posted"] is False
    assert order["Товары"][0]["LineNumber"] == "1"  # Int64 as a string
    total = Decimal(str(order["СуммаДокумента"]))
    assert total == Decimal("255.50")

    # 2. Post: reserves appear, stock on hand is unchanged.
    r = await client.post(url(f"{ORDER}(guid'{key}')/Post", PostingModeOperational="false"))
    assert r.status_code == 200, r.text
    assert (await get_json(client, f"{ORDER}(guid'{key}')"))["Posted"] is True
    assert [await _qty(client, BALANCE_RESERVE, wh, p) for p in products] == [reserve0[0] + 2, reserve0[1] + 1]
    assert [await _qty(client, BALANCE_STOCK, wh, p) for p in products] == stock0

    async def pay(set_name: str, amount: Decimal, party: dict) -> str:
        row = {"LineNumber": "1", "ДоговорКонтрагента_Key": refs["contract"], "Сделка": key,
               "Сделка_Type": ORDER_T, "СуммаПлатежа": float(amount), "СуммаВзаиморасчетов": float(amount)}
        r = await client.post(url(set_name), json={
            "Ref_Key": str(uuid.uuid4()), "ВидОперации": "ОплатаПокупателя", "Организация_Key": refs["org"],
            **party, "СуммаДокумента": float(amount), "РасшифровкаПлатежа": [row]})
        assert r.status_code == 201, r.text
        ref = r.json()["Ref_Key"]
        r = await client.post(url(f"{set_name}(guid'{ref}')/Post"))
        assert r.status_code == 200, r.text
        return ref

    # 3. 40 % by bank, 4. the rest in cash: settlements against the order go to zero.
    debt0 = await _debt(client, refs["cp"], key)
    bank = (total * Decimal("0.4")).quantize(Decimal("0.01"))
    await pay("Document_ПлатежноеПоручениеВходящее", bank, {"Контрагент_Key": refs["cp"]})
    assert await _debt(client, refs["cp"], key) == debt0 - bank
    await pay("Document_ПриходныйКассовыйОрдер", total - bank,
              {"Контрагент": refs["cp"], "Контрагент_Type": "StandardODATA.Catalog_Контрагенты"})
    assert await _debt(client, refs["cp"], key) == debt0 - total
    paid = await get_json(client, "Document_ПлатежноеПоручениеВходящее", **{"$filter": (
        f"Posted eq true and РасшифровкаПлатежа/any(d: d/Сделка eq cast(guid'{key}','{ORDER}'))")})
    assert len(paid["value"]) == 1 and paid["odata.metadata"].endswith("#Document_ПлатежноеПоручениеВходящее")

    # 5. Ship everything: stock decreases by the ordered quantities and the reserve is released.
    lines = [{"LineNumber": t["LineNumber"], "Номенклатура_Key": t["Номенклатура_Key"],
              "ЕдиницаИзмерения_Key": t["ЕдиницаИзмерения_Key"], "Коэффициент": 1,
              "Количество": t["Количество"], "Цена": t["Цена"], "Сумма": t["Сумма"],
              "СтавкаНДС": t["СтавкаНДС"], "ЗаказПокупателя_Key": key, "Склад_Key": wh}
             for t in order["Товары"]]
    r = await client.post(url("Document_РеализацияТоваровУслуг"), json={
        "Ref_Key": str(uuid.uuid4()), "Организация_Key": refs["org"], "Контрагент_Key": refs["cp"],
        "ДоговорКонтрагента_Key": refs["contract"], "Сделка": key, "Сделка_Type": ORDER_T,
        "СуммаДокумента": float(total), "Товары": lines})
    assert r.status_code == 201, r.text
    sale = r.json()["Ref_Key"]
    r = await client.post(url(f"Document_РеализацияТоваровУслуг(guid'{sale}')/Post"))
    assert r.status_code == 200, r.text
    assert [await _qty(client, BALANCE_STOCK, wh, p) for p in products] == [stock0[0] - 2, stock0[1] - 1]
    assert [await _qty(client, BALANCE_RESERVE, wh, p) for p in products] == reserve0
