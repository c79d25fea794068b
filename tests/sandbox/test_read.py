"""Read surface: JSON shapes, $filter language, paging, counts, virtual tables, errors."""

from __future__ import annotations

import pytest

from onec_sandbox.schema import EMPTY_REF

from .conftest import error_code, get_json, url


async def products(client, n=5):
    return (await get_json(client, "Catalog_Номенклатура", **{
        "$filter": "IsFolder eq false", "$top": str(n), "$orderby": "Code"}))["value"]


async def test_collection_shape(client):
    data = await get_json(client, "Catalog_Склады")
    assert data["odata.metadata"].endswith("/demo/odata/standard.odata/$metadata#Catalog_Склады")
    names = [w["Description"] for w in data["value"]]
    assert names == ["Основной склад", "Склад Юг", "Розничный магазин"]
    w = data["value"][0]
    assert list(w)[:7] == ["Ref_Key", "DataVersion", "DeletionMark", "Parent_Key", "IsFolder",
                           "Code", "Description"]
    assert list(w)[-2:] == ["Predefined", "PredefinedDataName"]
    assert w["Parent_Key"] == EMPTY_REF and w["DeletionMark"] is False


async def test_accept_header_instead_of_format(client):
    r = await client.get("Catalog_Валюты", headers={"Accept": "application/json"})
    assert r.status_code == 200 and r.json()["value"][0]["Code"] == "643"
    r = await client.get("Catalog_Валюты")
    assert r.status_code == 406 and error_code(r) == "3"


async def test_product_fields_and_types(client):
    p = (await products(client, 1))[0]
    assert len(p["Code"]) == 11 and p["Code"].isdigit()  # КА 1.1 prefixes no code: `00000000101`
    assert p["СтавкаНДС"] in ("НДС20", "НДС10")
    assert p["IsFolder"] is False and p["Parent_Key"] != EMPTY_REF
    unit = await get_json(client, f"Catalog_ЕдиницыИзмерения(guid'{p['ЕдиницаХраненияОстатков_Key']}')")
    assert unit["odata.metadata"].endswith("#Catalog_ЕдиницыИзмерения/@Element")
    # two owner types in КА 1.1 (Номенклатура, НоменклатурныеГруппы): the composite shape
    assert (unit["Owner"], unit["Owner_Type"]) == (p["Ref_Key"], "StandardODATA.Catalog_Номенклатура")
    assert "Owner_Key" not in unit
    assert unit["Description"] in ("шт", "кг", "л", "упак")
    assert unit["ПорогОкругления"] == "0"  # Int64 → string


async def test_single_entity_and_not_found(client):
    p = (await products(client, 1))[0]
    one = await get_json(client, f"Catalog_Номенклатура(guid'{p['Ref_Key']}')")
    assert one["Ref_Key"] == p["Ref_Key"] and "value" not in one
    r = await client.get(url("Catalog_Номенклатура(guid'00000000-0000-0000-0000-000000000001')"))
    assert r.status_code == 404 and error_code(r) == "9"


async def test_select(client):
    data = await get_json(client, "Catalog_Номенклатура", **{"$select": "Ref_Key,Description",
                                                              "$top": "2"})
    assert all(set(v) == {"Ref_Key", "Description"} for v in data["value"])
    r = await client.get(url("Catalog_Номенклатура", **{"$select": "Ref_Key,Нету"}))
    assert r.status_code == 400 and error_code(r) == "10"


@pytest.mark.parametrize("flt,check", [
    ("СтавкаНДС eq 'НДС10'", lambda v: v["СтавкаНДС"] == "НДС10"),
    ("СтавкаНДС ne 'НДС10' and IsFolder eq false", lambda v: v["СтавкаНДС"] == "НДС20"),
    ("Code gt '00000000120'", lambda v: v["Code"] > "00000000120"),
    ("Code le '00000000105' and Code ge '00000000102'",
     lambda v: "00000000102" <= v["Code"] <= "00000000105"),
    ("not (IsFolder eq false)", lambda v: v["IsFolder"] is True),
    ("substringof('МОЛОКО', Description)", lambda v: "молоко" in v["Description"].lower()),
    ("startswith(Description, 'Кофе')", lambda v: v["Description"].startswith("Кофе")),
    ("endswith(Description, ' л')", lambda v: v["Description"].endswith(" л")),
    ("IsFolder eq true or DeletionMark eq true", lambda v: v["IsFolder"]),
])
async def test_filter_operators(client, flt, check):
    data = await get_json(client, "Catalog_Номенклатура", **{"$filter": flt})
    assert data["value"], flt
    assert all(check(v) for v in data["value"])


async def test_filter_string_escape_and_guid(client, state):
    rec = next(iter(state.objects["Catalog_Номенклатура"].values()))
    rec["Description"] = "Кофе «Д'Артаньян»"
    state.bump("Catalog_Номенклатура")
    data = await get_json(client, "Catalog_Номенклатура",
                          **{"$filter": "Description eq 'Кофе «Д''Артаньян»'"})
    assert [v["Ref_Key"] for v in data["value"]] == [rec["Ref_Key"]]
    data = await get_json(client, "Catalog_Номенклатура",
                          **{"$filter": f"Ref_Key eq guid'{rec['Ref_Key']}'"})
    assert len(data["value"]) == 1


async def test_filter_navigation_and_composite(client, state):
    cp = next(iter(state.objects["Catalog_Контрагенты"].values()))
    data = await get_json(client, "Catalog_ДоговорыКонтрагентов",
                          **{"$filter": f"Owner/ИНН eq '{cp['ИНН']}'"})
    assert [d["Owner_Key"] for d in data["value"]] == [cp["Ref_Key"]]
    wholesale = state.find_by("Catalog_ТипыЦенНоменклатуры", "Description", "Оптовая")
    # composite ТипЦен: a bare guid never matches, cast() does
    bare = await get_json(client, "Catalog_ДоговорыКонтрагентов",
                          **{"$filter": f"ТипЦен eq guid'{wholesale['Ref_Key']}'"})
    assert bare["value"] == []
    cast = await get_json(client, "Catalog_ДоговорыКонтрагентов", **{
        "$filter": f"ТипЦен eq cast(guid'{wholesale['Ref_Key']}','Catalog_ТипыЦенНоменклатуры')"})
    assert len(cast["value"]) == 40


async def test_filter_errors(client):
    for flt, code in [("Description eq", "14"), ("Нету eq 1", "10"), ("tolower(Description) eq 'x'",
                      "14"), ("(Code eq '1'", "14")]:
        r = await client.get(url("Catalog_Номенклатура", **{"$filter": flt}))
        assert r.status_code == 400 and error_code(r) == code, (flt, r.text)


async def test_plus_is_not_a_space(client):
    r = await client.get("Catalog_Номенклатура?$format=json&$filter=IsFolder+eq+false")
    assert r.status_code == 400 and error_code(r) == "14"
    assert "%20" in r.json()["odata.error"]["message"]["value"]


async def test_paging_orderby(client):
    full = (await get_json(client, "Catalog_Номенклатура", **{"$orderby": "Description desc, Code"}))[
        "value"]
    assert [v["Description"] for v in full] == sorted((v["Description"] for v in full), reverse=True)
    page = (await get_json(client, "Catalog_Номенклатура", **{
        "$orderby": "Description desc, Code", "$skip": "10", "$top": "5"}))["value"]
    assert [v["Ref_Key"] for v in page] == [v["Ref_Key"] for v in full[10:15]]
    r = await client.get(url("Catalog_Номенклатура", **{"$top": "x"}))
    assert r.status_code == 400 and error_code(r) == "14"


async def test_count_and_inlinecount(client):
    r = await client.get(url("Catalog_Номенклатура/$count", **{"$filter": "IsFolder eq false"}))
    assert r.status_code == 200 and r.text == "60"
    data = await get_json(client, "Catalog_Номенклатура", **{
        "$filter": "IsFolder eq false", "$inlinecount": "allpages", "$top": "5", "$skip": "3"})
    assert data["odata.count"] == "60"
    assert len(data["value"]) == 60  # like 1C: $inlinecount switches $top/$skip off


async def test_unknown_entity_and_option(client):
    r = await client.get(url("Catalog_Товары"))
    assert r.status_code == 400 and error_code(r) == "6"
    assert r.json()["odata.error"]["message"]["lang"] == "ru"
    r = await client.get(url("AccumulationRegister_ТоварыНаСкладах_Balance"))
    assert error_code(r) == "6"
    r = await client.get(url("Catalog_Склады", **{"$bogus": "1"}))
    assert r.status_code == 400 and error_code(r) == "14"


async def test_balance_condition_inline_and_query(client, state):
    ps = await products(client, 10)
    wh = (await get_json(client, "Catalog_Склады"))["value"][0]["Ref_Key"]
    cond = f"Склад_Key eq guid'{wh}' and (" + " or ".join(
        f"Номенклатура_Key eq guid'{p['Ref_Key']}'" for p in ps) + ")"
    inline = await get_json(client, f"AccumulationRegister_ТоварыНаСкладах/Balance("
                                    f"Period=datetime'2099-01-01T00:00:00',Condition='{cond}')")
    rows = inline["value"]
    assert rows and all(r["Склад_Key"] == wh for r in rows)
    assert {r["Номенклатура_Key"] for r in rows} <= {p["Ref_Key"] for p in ps}
    assert set(rows[0]) == {"Склад_Key", "Номенклатура_Key", "ХарактеристикаНоменклатуры_Key",
                            "СерияНоменклатуры_Key", "Качество_Key", "КоличествоBalance"}
    assert all(r["КоличествоBalance"] > 0 for r in rows)
    viaq = await get_json(client, "AccumulationRegister_ТоварыНаСкладах/Balance",
                          Condition=cond, Period="datetime'2099-01-01T00:00:00'")
    assert viaq["value"] == rows
    # matches the in-memory totals
    reg = state.acc["ТоварыНаСкладах"]
    for r in rows:
        key = (r["Склад_Key"], r["Номенклатура_Key"], EMPTY_REF, EMPTY_REF, EMPTY_REF)
        assert float(reg.totals[key][0]) == pytest.approx(r["КоличествоBalance"])
    # before the seed date nothing is there only if movements exist; seed is an opening balance
    dims = await get_json(client, "AccumulationRegister_ТоварыНаСкладах/Balance(Dimensions='Склад')")
    assert {tuple(sorted(r)) for r in dims["value"]} == {("КоличествоBalance", "Склад_Key")}
    assert len(dims["value"]) == 3


async def test_balance_paging_orderby(client):
    full = (await get_json(client, "AccumulationRegister_ТоварыНаСкладах/Balance()", **{
        "$orderby": "Номенклатура_Key,Склад_Key"}))["value"]
    got = []
    skip = 0
    while True:
        page = (await get_json(client, "AccumulationRegister_ТоварыНаСкладах/Balance()", **{
            "$orderby": "Номенклатура_Key,Склад_Key", "$top": "17", "$skip": str(skip)}))["value"]
        got += page
        if len(page) < 17:
            break
        skip += 17
    assert got == full and len(full) > 100


async def test_slicelast(client, state):
    p = (await products(client, 1))[0]
    rows = (await get_json(
        client, f"InformationRegister_ЦеныНоменклатуры_RecordType/SliceLast("
                f"Condition='Номенклатура_Key eq guid'{p['Ref_Key']}'')"))["value"]
    assert len(rows) == 2
    assert set(rows[0]) == {"Period", "ТипЦен_Key", "Номенклатура_Key",
                            "ХарактеристикаНоменклатуры_Key", "Цена", "Валюта_Key",
                            "ЕдиницаИзмерения_Key", "ПроцентСкидкиНаценки", "СпособРасчетаЦены"}
    types = {t["Ref_Key"]: t["Description"] for t in
             (await get_json(client, "Catalog_ТипыЦенНоменклатуры"))["value"]}
    by = {types[r["ТипЦен_Key"]]: r["Цена"] for r in rows}
    assert by["Розничная"] > by["Оптовая"] > 0
    old = (await get_json(client, "InformationRegister_ЦеныНоменклатуры_RecordType/SliceLast("
                                  "Period=datetime'2020-01-01T00:00:00')"))["value"]
    assert old == []
    # a $filter applies after the virtual table
    flt = (await get_json(client, "InformationRegister_ЦеныНоменклатуры_RecordType/SliceLast()",
                          **{"$filter": f"Номенклатура_Key eq guid'{p['Ref_Key']}'",
                             "$select": "Цена"}))["value"]
    assert sorted(r["Цена"] for r in flt) == sorted(by.values())


async def test_other_catalogs(client):
    org = (await get_json(client, "Catalog_Организации"))["value"]
    assert len(org) == 1 and org[0]["Префикс"] == "ТД"
    assert [v["Description"] for v in (await get_json(client, "Catalog_ТипыЦенНоменклатуры"))[
        "value"]] == ["Оптовая", "Розничная"]
    cps = (await get_json(client, "Catalog_Контрагенты"))["value"]
    from onec_sandbox.seed import inn_valid
    assert len(cps) == 40 and all(inn_valid(c["ИНН"]) for c in cps)
    assert any(c["Description"].startswith("ИП ") for c in cps)
    assert any(c["Description"].startswith("ООО ") for c in cps)


async def test_expand(client):
    data = await get_json(client, "Catalog_ДоговорыКонтрагентов",
                          **{"$expand": "Owner", "$top": "1"})
    d = data["value"][0]
    assert d["Owner"]["Ref_Key"] == d["Owner_Key"]


async def test_filter_datetime_and_arith(client):
    data = await get_json(client, "Catalog_ДоговорыКонтрагентов", **{
        "$filter": "Дата ge datetime'2024-12-01T00:00:00' and year(Дата) eq 2024"})
    assert len(data["value"]) == 40
    data = await get_json(client, "InformationRegister_ЦеныНоменклатуры_RecordType/SliceLast()",
                          **{"$filter": "Цена mul 2 gt 1000"})
    assert all(r["Цена"] * 2 > 1000 for r in data["value"])


def test_seed_is_deterministic_and_scales():
    from onec_sandbox.seed import product_names
    from onec_sandbox.state import SandboxState
    a = SandboxState.seeded(products=50, warehouses=4, seed=3)
    b = SandboxState.seeded(products=50, warehouses=4, seed=3)
    assert list(a.objects["Catalog_Номенклатура"]) == list(b.objects["Catalog_Номенклатура"])
    assert a.acc["ТоварыНаСкладах"].totals == b.acc["ТоварыНаСкладах"].totals
    names = [n for _, n in product_names(20_000)]
    assert len(set(names)) == 20_000
