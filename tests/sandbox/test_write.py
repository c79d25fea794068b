"""Writes and posting: strict КА 1.1 rules (keys, LineNumber, If-Match, posting registers)."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from onec_sandbox.state import SandboxState

from .conftest import error_code, get_json, url

ORDER = "Document_ЗаказПокупателя"
ORDER_T = "StandardODATA.Document_ЗаказПокупателя"


def order_body(refs, lines=((0, 2, "100.00"), (1, 1, "55.50")), **over):
    rows = []
    total = Decimal(0)
    for i, (pi, q, price) in enumerate(lines, start=1):
        p = refs["prods"][pi]
        s = Decimal(price) * q
        total += s
        rows.append({"LineNumber": str(i), "Номенклатура_Key": p["Ref_Key"],
                     "ЕдиницаИзмерения_Key": p["ЕдиницаХраненияОстатков_Key"], "Коэффициент": 1,
                     "Количество": q, "Цена": float(price), "Сумма": float(s),
                     "СтавкаНДС": p["СтавкаНДС"], "СуммаНДС": 0})
    body = {"Ref_Key": str(uuid.uuid4()), "Date": "2026-03-01T10:00:00",
            "Организация_Key": refs["org"], "Контрагент_Key": refs["cp"],
            "ДоговорКонтрагента_Key": refs["contract"], "ВалютаДокумента_Key": refs["rub"],
            "ТипЦен_Key": refs["pt"], "СкладГруппа": refs["wh"],
            "СкладГруппа_Type": "StandardODATA.Catalog_Склады", "СуммаВключаетНДС": True,
            "СуммаДокумента": float(total), "Товары": rows}
    body.update(over)
    return body


async def create(client, set_name, body):
    r = await client.post(url(set_name), json=body)
    assert r.status_code == 201, r.text
    return r.json()


async def test_create_catalog_with_client_key(client):
    key = str(uuid.uuid4())
    body = {"Ref_Key": key, "Description": "ООО «Новый клиент»", "ИНН": "7707083893",
            "КПП": "770701001", "ЮрФизЛицо": "ЮрЛицо"}
    r = await client.post(url("Catalog_Контрагенты"), json=body)
    assert r.status_code == 201
    from urllib.parse import unquote
    assert unquote(r.headers["location"]).endswith(f"Catalog_Контрагенты(guid'{key}')")
    data = r.json()
    assert data["odata.metadata"].endswith("#Catalog_Контрагенты/@Element")
    assert data["Ref_Key"] == key and data["DataVersion"] and len(data["Code"]) == 9
    again = await client.post(url("Catalog_Контрагенты"), json=body)
    assert again.status_code == 400 and error_code(again) == "15"
    got = await get_json(client, f"Catalog_Контрагенты(guid'{key}')")
    assert got["ИНН"] == "7707083893"


async def test_create_bad_values(client):
    r = await client.post(url("Catalog_Контрагенты"), json={"ЮрФизЛицо": "Марсианин"})
    assert r.status_code == 400 and error_code(r) == "4"
    r = await client.post(url("Catalog_Контрагенты"), json={"ГоловнойКонтрагент_Key": "xyz"})
    assert r.status_code == 400 and error_code(r) == "4"
    r = await client.post(url("Catalog_ДоговорыКонтрагентов"), json={"Description": "без владельца"})
    assert r.status_code == 500 and error_code(r) == "-1"


async def test_document_autonumber_and_shape(client, refs):
    a = await create(client, ORDER, order_body(refs))
    b = await create(client, ORDER, order_body(refs))
    assert a["Number"] == "ТД000000001" and b["Number"] == "ТД000000002"
    assert a["Posted"] is False and a["Date"] == "2026-03-01T10:00:00"
    row = a["Товары"][0]
    assert row["LineNumber"] == "1" and row["Ref_Key"] == a["Ref_Key"]
    assert row["Количество"] == 2 and row["Сумма"] == 200
    assert a["КратностьВзаиморасчетов"] == "0"  # Int64 as string
    assert a["ДокументОснование_Type"] == "StandardODATA.Undefined"


async def test_rows_need_line_number(client, refs):
    body = order_body(refs)
    del body["Товары"][1]["LineNumber"]
    r = await client.post(url(ORDER), json=body)
    assert r.status_code == 500 and error_code(r) == "-1"


async def test_table_part_collection(client, refs):
    a = await create(client, ORDER, order_body(refs))
    rows = (await get_json(client, f"{ORDER}_Товары",
                           **{"$filter": f"Ref_Key eq guid'{a['Ref_Key']}'"}))["value"]
    assert [r["LineNumber"] for r in rows] == ["1", "2"]
    r = await client.post(url(f"{ORDER}_Товары"), json=rows[0])
    assert r.status_code == 400 and error_code(r) == "13"


async def test_patch_partial_and_table_part_whole(client, refs):
    a = await create(client, ORDER, order_body(refs))
    r = await client.patch(url(f"{ORDER}(guid'{a['Ref_Key']}')"), json={"Комментарий": "из CRM"})
    assert r.status_code == 200
    b = r.json()
    assert b["Комментарий"] == "из CRM" and b["Товары"] == a["Товары"]
    assert b["DataVersion"] != a["DataVersion"] and b["Number"] == a["Number"]
    one = order_body(refs, lines=((2, 3, "10"),))["Товары"]
    b2 = (await client.patch(url(f"{ORDER}(guid'{a['Ref_Key']}')"), json={"Товары": one})).json()
    assert len(b2["Товары"]) == 1 and b2["Товары"][0]["Количество"] == 3
    bad = [{"Номенклатура_Key": one[0]["Номенклатура_Key"], "Количество": 1}]
    r = await client.patch(url(f"{ORDER}(guid'{a['Ref_Key']}')"), json={"Товары": bad})
    assert r.status_code == 500 and error_code(r) == "-1"


async def test_if_match(client, refs):
    a = await create(client, ORDER, order_body(refs))
    u = url(f"{ORDER}(guid'{a['Ref_Key']}')")
    r = await client.patch(u, json={"Комментарий": "1"}, headers={"If-Match": a["DataVersion"]})
    assert r.status_code == 200
    r = await client.patch(u, json={"Комментарий": "2"}, headers={"If-Match": a["DataVersion"]})
    assert r.status_code == 412
    r = await client.delete(u, headers={"If-Match": a["DataVersion"]})
    assert r.status_code == 412


async def test_if_match_ignored_like_field_bases(state, refs):
    """`--ignore-if-match`: a stale version is carried out, as live 1C bases were found to do."""
    import httpx

    from onec_sandbox.app import create_app

    from .conftest import BASE

    app = create_app(state, base="demo", ignore_if_match=True)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
        a = await create(client, ORDER, order_body(refs))
        u = url(f"{ORDER}(guid'{a['Ref_Key']}')")
        r = await client.patch(u, json={"Комментарий": "1"}, headers={"If-Match": a["DataVersion"]})
        assert r.status_code == 200
        r = await client.patch(u, json={"Комментарий": "2"}, headers={"If-Match": a["DataVersion"]})
        assert r.status_code == 200 and r.json()["Комментарий"] == "2"
        r = await client.delete(u, headers={"If-Match": a["DataVersion"]})
        assert r.status_code == 204


def test_serve_has_the_ignore_if_match_switch() -> None:
    from onec_sandbox.cli import build_parser

    args = build_parser().parse_args(["serve", "--memory", "--ignore-if-match"])
    assert args.ignore_if_match is True
    assert build_parser().parse_args(["serve", "--memory"]).ignore_if_match is False


async def test_delete_is_physical_and_mark(client, refs):
    a = await create(client, ORDER, order_body(refs))
    u = url(f"{ORDER}(guid'{a['Ref_Key']}')")
    m = (await client.patch(u, json={"DeletionMark": True})).json()
    assert m["DeletionMark"] is True
    r = await client.post(url(f"{ORDER}(guid'{a['Ref_Key']}')/Post"))
    assert r.status_code == 500 and error_code(r) == "-1"
    assert (await client.delete(u)).status_code == 204
    r = await client.get(u)
    assert r.status_code == 404 and error_code(r) == "9"


async def reserve_rows(client, order_ref):
    return (await get_json(client, "AccumulationRegister_ТоварыВРезервеНаСкладах/Balance", Condition=(
        f"ДокументРезерва eq cast(guid'{order_ref}','Document_ЗаказПокупателя')")))["value"]


async def test_post_order_reserves_and_unpost(client, refs):
    a = await create(client, ORDER, order_body(refs))
    r = await client.post(url(f"{ORDER}(guid'{a['Ref_Key']}')/Post"),
                          params=None)
    assert r.status_code == 200, r.text
    got = await get_json(client, f"{ORDER}(guid'{a['Ref_Key']}')")
    assert got["Posted"] is True and got["DataVersion"] != a["DataVersion"]
    rows = await reserve_rows(client, a["Ref_Key"])
    assert sorted(r["КоличествоBalance"] for r in rows) == [1, 2]
    assert all(r["ДокументРезерва_Type"] == ORDER_T and r["Склад_Key"] == refs["wh"] for r in rows)
    posted = await get_json(client, ORDER, **{"$filter": "Posted eq true"})
    assert [d["Ref_Key"] for d in posted["value"]] == [a["Ref_Key"]]
    assert (await client.post(url(f"{ORDER}(guid'{a['Ref_Key']}')/Unpost"))).status_code == 200
    assert await reserve_rows(client, a["Ref_Key"]) == []
    assert (await get_json(client, f"{ORDER}(guid'{a['Ref_Key']}')"))["Posted"] is False


@pytest.mark.parametrize("change", ["no_party", "unknown_product", "no_rows", "foreign_contract"])
async def test_post_order_failures(client, refs, state, change):
    body = order_body(refs)
    if change == "no_party":
        del body["Контрагент_Key"]
    elif change == "unknown_product":
        body["Товары"][0]["Номенклатура_Key"] = str(uuid.uuid4())
    elif change == "no_rows":
        body["Товары"] = []
    else:
        other = list(state.objects["Catalog_Контрагенты"].values())[1]
        body["ДоговорКонтрагента_Key"] = other["ОсновнойДоговорКонтрагента_Key"]
    a = await create(client, ORDER, body)
    r = await client.post(url(f"{ORDER}(guid'{a['Ref_Key']}')/Post"))
    assert r.status_code == 500 and error_code(r) == "-1"
    msg = r.json()["odata.error"]["message"]["value"]
    assert any(ch in msg for ch in "абвгдеёжзийклмнопрстуфхцчшщыэюя")
    assert (await get_json(client, f"{ORDER}(guid'{a['Ref_Key']}')"))["Posted"] is False


async def test_invoice_not_postable_composite_party(client, refs):
    order = await create(client, ORDER, order_body(refs))
    body = order_body(refs)
    del body["Контрагент_Key"], body["СкладГруппа"], body["СкладГруппа_Type"]
    body.update({"Контрагент": refs["cp"], "Контрагент_Type": "StandardODATA.Catalog_Контрагенты",
                 "ЗаказПокупателя_Key": order["Ref_Key"], "Склад_Key": refs["wh"]})
    inv = await create(client, "Document_СчетНаОплатуПокупателю", body)
    assert inv["Контрагент"] == refs["cp"] and "Контрагент_Key" not in inv
    r = await client.post(url(f"Document_СчетНаОплатуПокупателю(guid'{inv['Ref_Key']}')/Post"))
    assert r.status_code == 400 and error_code(r) == "11"
    found = await get_json(client, "Document_СчетНаОплатуПокупателю", **{
        "$filter": f"Контрагент eq cast(guid'{refs['cp']}','Catalog_Контрагенты')"})
    assert len(found["value"]) == 1
    bare = await get_json(client, "Document_СчетНаОплатуПокупателю",
                          **{"$filter": f"Контрагент eq guid'{refs['cp']}'"})
    assert bare["value"] == []
    r = await client.post(url("Document_СчетНаОплатуПокупателю"),
                          json={"Контрагент": refs["cp"]})  # composite without its _Type
    assert r.status_code == 400 and error_code(r) == "4"


def sale_body(refs, order, qty=None):
    rows = []
    for r in order["Товары"]:
        rows.append({**{k: r[k] for k in ("LineNumber", "Номенклатура_Key", "ЕдиницаИзмерения_Key",
                                          "Цена", "Сумма", "СтавкаНДС")},
                     "Количество": qty if qty is not None else r["Количество"],
                     "ЗаказПокупателя_Key": order["Ref_Key"]})
    return {"Date": "2026-03-02T10:00:00", "Организация_Key": refs["org"],
            "Контрагент_Key": refs["cp"], "ДоговорКонтрагента_Key": refs["contract"],
            "Склад_Key": refs["wh"], "Сделка": order["Ref_Key"], "Сделка_Type": ORDER_T,
            "СуммаДокумента": order["СуммаДокумента"], "Товары": rows}


async def stock_of(client, wh, prod):
    rows = (await get_json(client, "AccumulationRegister_ТоварыНаСкладах/Balance", Condition=(
        f"Склад_Key eq guid'{wh}' and Номенклатура_Key eq guid'{prod}'")))["value"]
    return rows[0]["КоличествоBalance"] if rows else 0


async def test_sale_decreases_stock_and_reserve(client, refs):
    order = await create(client, ORDER, order_body(refs))
    await client.post(url(f"{ORDER}(guid'{order['Ref_Key']}')/Post"))
    p0 = refs["prods"][0]["Ref_Key"]
    before = await stock_of(client, refs["wh"], p0)
    sale = await create(client, "Document_РеализацияТоваровУслуг", sale_body(refs, order))
    r = await client.post(url(f"Document_РеализацияТоваровУслуг(guid'{sale['Ref_Key']}')/Post"))
    assert r.status_code == 200, r.text
    assert await stock_of(client, refs["wh"], p0) == before - 2
    assert await reserve_rows(client, order["Ref_Key"]) == []
    debt = (await get_json(client, "AccumulationRegister_ВзаиморасчетыСКонтрагентами/Balance",
                           Condition=f"Сделка eq cast(guid'{order['Ref_Key']}','{ORDER}')"))["value"]
    assert debt[0]["СуммаВзаиморасчетовBalance"] == order["СуммаДокумента"]
    # found by the shipment query the CRM uses
    ships = await get_json(client, "Document_РеализацияТоваровУслуг", **{
        "$filter": f"Posted eq true and Сделка eq cast(guid'{order['Ref_Key']}','{ORDER}')"})
    assert len(ships["value"]) == 1
    await client.post(url(f"Document_РеализацияТоваровУслуг(guid'{sale['Ref_Key']}')/Unpost"))
    assert await stock_of(client, refs["wh"], p0) == before


async def test_sale_cannot_go_negative(client, refs):
    order = await create(client, ORDER, order_body(refs))
    p0 = refs["prods"][0]["Ref_Key"]
    before = await stock_of(client, refs["wh"], p0)
    sale = await create(client, "Document_РеализацияТоваровУслуг",
                        sale_body(refs, order, qty=before + 1))
    r = await client.post(url(f"Document_РеализацияТоваровУслуг(guid'{sale['Ref_Key']}')/Post"))
    assert r.status_code == 500 and error_code(r) == "-1"
    assert "Недостаточно" in r.json()["odata.error"]["message"]["value"]
    assert await stock_of(client, refs["wh"], p0) == before
    body = sale_body(refs, order)
    del body["Сделка"], body["Сделка_Type"]  # contract settles ПоЗаказам: deal required
    sale2 = await create(client, "Document_РеализацияТоваровУслуг", body)
    r = await client.post(url(f"Document_РеализацияТоваровУслуг(guid'{sale2['Ref_Key']}')/Post"))
    assert r.status_code == 500


@pytest.mark.parametrize("set_name", ["Document_ПлатежноеПоручениеВходящее",
                                      "Document_ПриходныйКассовыйОрдер"])
async def test_payment_settles_order(client, refs, set_name):
    order = await create(client, ORDER, order_body(refs))
    party = ({"Контрагент_Key": refs["cp"]} if "Платежное" in set_name else
             {"Контрагент": refs["cp"], "Контрагент_Type": "StandardODATA.Catalog_Контрагенты"})
    row = {"LineNumber": "1", "ДоговорКонтрагента_Key": refs["contract"],
           "Сделка": order["Ref_Key"], "Сделка_Type": ORDER_T, "СуммаПлатежа": 100.5,
           "СуммаВзаиморасчетов": 100.5}
    pay = await create(client, set_name, {"Date": "2026-03-03T09:00:00", "ВидОперации": "ОплатаПокупателя",
                                          "Организация_Key": refs["org"], **party,
                                          "СуммаДокумента": 100.5, "РасшифровкаПлатежа": [row]})
    assert pay["РасшифровкаПлатежа"][0]["Сделка"] == order["Ref_Key"]
    r = await client.post(url(f"{set_name}(guid'{pay['Ref_Key']}')/Post"))
    assert r.status_code == 200, r.text
    found = await get_json(client, set_name, **{"$filter": (
        f"Posted eq true and РасшифровкаПлатежа/any(d: d/Сделка eq cast(guid'{order['Ref_Key']}',"
        f"'{ORDER}'))")})
    assert [d["Ref_Key"] for d in found["value"]] == [pay["Ref_Key"]]
    bal = (await get_json(client, "AccumulationRegister_ВзаиморасчетыСКонтрагентами/Balance",
                          Condition=f"Контрагент_Key eq guid'{refs['cp']}'"))["value"]
    assert bal[0]["СуммаВзаиморасчетовBalance"] == -100.5
    # without the deal the ПоЗаказам contract refuses to post
    row2 = {**row, "Сделка": "", "Сделка_Type": ""}
    pay2 = await create(client, set_name, {"Организация_Key": refs["org"], **party,
                                           "РасшифровкаПлатежа": [row2]})
    r = await client.post(url(f"{set_name}(guid'{pay2['Ref_Key']}')/Post"))
    assert r.status_code == 500 and error_code(r) == "-1"


async def test_price_change_and_receipt(client, refs):
    p = refs["prods"][0]
    doc = await create(client, "Document_УстановкаЦенНоменклатуры", {
        "Date": "2026-03-05T00:00:00", "Товары": [{
            "LineNumber": "1", "Номенклатура_Key": p["Ref_Key"], "ТипЦен_Key": refs["pt"],
            "Цена": 123.455, "Валюта_Key": refs["rub"]}]})
    assert doc["Товары"][0]["Цена"] == 123.46  # ROUND_HALF_UP to 2 places
    await client.post(url(f"Document_УстановкаЦенНоменклатуры(guid'{doc['Ref_Key']}')/Post"))
    cond = f"Номенклатура_Key eq guid'{p['Ref_Key']}' and ТипЦен_Key eq guid'{refs['pt']}'"
    now = (await get_json(client, "InformationRegister_ЦеныНоменклатуры_RecordType/SliceLast",
                          Condition=cond))["value"]
    assert now[0]["Цена"] == 123.46 and now[0]["Period"] == "2026-03-05T00:00:00"
    before = (await get_json(client, "InformationRegister_ЦеныНоменклатуры_RecordType/SliceLast",
                             Condition=cond, Period="datetime'2026-03-04T23:59:59'"))["value"]
    assert before[0]["Цена"] != 123.46
    q0 = await stock_of(client, refs["wh"], p["Ref_Key"])
    rec = await create(client, "Document_ОприходованиеТоваров", {
        "Организация_Key": refs["org"], "Склад_Key": refs["wh"],
        "Товары": [{"LineNumber": "1", "Номенклатура_Key": p["Ref_Key"], "Количество": 10}]})
    await client.post(url(f"Document_ОприходованиеТоваров(guid'{rec['Ref_Key']}')/Post"))
    assert await stock_of(client, refs["wh"], p["Ref_Key"]) == q0 + 10


async def test_contact_information(client, refs):
    body = {"Объект": refs["cp"], "Объект_Type": "StandardODATA.Catalog_Контрагенты",
            "Тип": "Телефон", "Вид": "Мобильный", "Вид_Type": "Edm.String",
            "Представление": "+7 (900) 000-00-00"}
    r = await client.post(url("InformationRegister_КонтактнаяИнформация"), json=body)
    assert r.status_code == 201, r.text
    r = await client.post(url("InformationRegister_КонтактнаяИнформация"), json=body)
    assert r.status_code == 400 and error_code(r) == "15"
    rows = (await get_json(client, "InformationRegister_КонтактнаяИнформация", **{
        "$filter": f"Объект eq cast(guid'{refs['cp']}','Catalog_Контрагенты') and Тип eq 'Телефон'"}))[
        "value"]
    assert "+7 (900) 000-00-00" in {r["Представление"] for r in rows}


async def test_expand_on_document(client, refs):
    a = await create(client, ORDER, order_body(refs))
    data = await get_json(client, ORDER, **{"$filter": f"Ref_Key eq guid'{a['Ref_Key']}'",
                                            "$expand": "Контрагент",
                                            "$select": "Ref_Key,Контрагент_Key,Товары/Количество"})
    d = data["value"][0]
    assert d["Контрагент"]["Ref_Key"] == refs["cp"]
    assert set(d["Товары"][0]) == {"Ref_Key", "LineNumber", "Количество"}


def test_persistence_and_reset(tmp_path):
    p = tmp_path / "base.sqlite"
    st = SandboxState.seeded(products=30, path=p)
    prod = next(r for r in st.objects["Catalog_Номенклатура"].values() if not r["IsFolder"])
    new = dict(prod, Description="Изменено")
    st.put("Catalog_Номенклатура", new)
    gone = next(iter(st.objects["Catalog_Контрагенты"]))
    st.delete("Catalog_Контрагенты", gone)
    st.commit()
    dv = new["DataVersion"]
    st.close()
    again = SandboxState.seeded(products=30, path=p)
    assert again.get("Catalog_Номенклатура", prod["Ref_Key"])["Description"] == "Изменено"
    assert again.get("Catalog_Номенклатура", prod["Ref_Key"])["DataVersion"] == dv
    assert again.get("Catalog_Контрагенты", gone) is None
    assert again.new_data_version() != dv
    again.close()
    fresh = SandboxState.seeded(products=30, path=p, reset=True)
    assert fresh.get("Catalog_Номенклатура", prod["Ref_Key"])["Description"] != "Изменено"
    assert fresh.get("Catalog_Контрагенты", gone) is not None
    fresh.close()


async def test_persisted_posting_survives_restart(tmp_path, refs):
    import httpx

    from onec_sandbox.app import create_app
    p = tmp_path / "b.sqlite"
    st = SandboxState.seeded(products=60, warehouses=3, seed=7, path=p)
    app = create_app(st)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://t/demo/odata/standard.odata/") as c:
        order = await create(c, ORDER, order_body(refs))
        await c.post(url(f"{ORDER}(guid'{order['Ref_Key']}')/Post"))
    st.close()
    st2 = SandboxState.open(p)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(st2)),
                                 base_url="http://t/demo/odata/standard.odata/") as c:
        assert (await get_json(c, f"{ORDER}(guid'{order['Ref_Key']}')"))["Posted"] is True
        assert len(await reserve_rows(c, order["Ref_Key"])) == 2
        nxt = await create(c, ORDER, order_body(refs))
        assert nxt["Number"] == "ТД000000002"
    st2.close()


async def test_deletion_mark_unposts_and_put_replaces(client, refs):
    a = await create(client, ORDER, order_body(refs))
    u = url(f"{ORDER}(guid'{a['Ref_Key']}')")
    await client.post(url(f"{ORDER}(guid'{a['Ref_Key']}')/Post"))
    assert len(await reserve_rows(client, a["Ref_Key"])) == 2
    m = (await client.patch(u, json={"DeletionMark": True})).json()
    assert m["Posted"] is False and await reserve_rows(client, a["Ref_Key"]) == []
    body = order_body(refs, lines=((0, 1, "10"),), Комментарий="PUT")
    body.pop("Ref_Key")
    r = await client.put(u, json=body)
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["DeletionMark"] is False and got["Комментарий"] == "PUT"
    assert len(got["Товары"]) == 1 and got["Number"] == a["Number"]


async def test_patch_posted_document_reposts(client, refs):
    a = await create(client, ORDER, order_body(refs))
    await client.post(url(f"{ORDER}(guid'{a['Ref_Key']}')/Post"))
    rows = order_body(refs, lines=((0, 5, "10"),))["Товары"]
    r = await client.patch(url(f"{ORDER}(guid'{a['Ref_Key']}')"), json={"Товары": rows})
    assert r.status_code == 200 and r.json()["Posted"] is True
    assert [x["КоличествоBalance"] for x in await reserve_rows(client, a["Ref_Key"])] == [5]
    bad = [dict(rows[0], Номенклатура_Key=str(uuid.uuid4()))]
    r = await client.patch(url(f"{ORDER}(guid'{a['Ref_Key']}')"), json={"Товары": bad})
    assert r.status_code == 500 and error_code(r) == "-1"
    got = await get_json(client, f"{ORDER}(guid'{a['Ref_Key']}')")
    assert got["Товары"][0]["Количество"] == 5  # the failed write changed nothing
    assert [x["КоличествоBalance"] for x in await reserve_rows(client, a["Ref_Key"])] == [5]


async def test_balance_at_a_past_period(client, refs):
    p = refs["prods"][0]["Ref_Key"]
    cond = f"Склад_Key eq guid'{refs['wh']}' and Номенклатура_Key eq guid'{p}'"
    before = (await get_json(client, "AccumulationRegister_ТоварыНаСкладах/Balance",
                             Condition=cond))["value"][0]["КоличествоBalance"]
    rec = await create(client, "Document_ОприходованиеТоваров", {
        "Date": "2026-06-01T12:00:00", "Организация_Key": refs["org"], "Склад_Key": refs["wh"],
        "Товары": [{"LineNumber": "1", "Номенклатура_Key": p, "Количество": 4}]})
    await client.post(url(f"Document_ОприходованиеТоваров(guid'{rec['Ref_Key']}')/Post"))

    async def at(period):
        rows = (await get_json(client, "AccumulationRegister_ТоварыНаСкладах/Balance",
                               Condition=cond, Period=f"datetime'{period}'"))["value"]
        return rows[0]["КоличествоBalance"]
    assert await at("2026-05-31T23:59:59") == before
    assert await at("2026-06-01T23:59:59") == before + 4


async def test_metadata_and_service_root(client):
    r = await client.get("$metadata")
    assert r.status_code == 200 and "application/xml" in r.headers["content-type"]
    assert 'EntitySet Name="Catalog_Номенклатура"' in r.text
    root = await get_json(client, "")
    assert {"name": "Document_ЗаказПокупателя", "url": "Document_ЗаказПокупателя"} in root["value"]


async def test_not_found_and_bad_keys(client):
    r = await client.get(url("Catalog_Склады(guid'nonsense')"))
    assert r.status_code == 400 and error_code(r) == "4"
    r = await client.get(url("Catalog_Склады(42)"))
    assert r.status_code == 400 and error_code(r) == "7"
    r = await client.post(url(f"{ORDER}(guid'{uuid.uuid4()}')/Post"))
    assert r.status_code == 404 and error_code(r) == "9"
    r = await client.post(url("Catalog_Склады"), content=b"{not json")
    assert r.status_code == 400 and error_code(r) == "2"
