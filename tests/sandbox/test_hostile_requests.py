"""Hostile requests get a 4xx `odata.error`, never a 500 (issue 9, item 8).

Before: 1000 `or` terms, 400 nested parentheses, 5000 `not` and JSON nested 100k deep ended in
a RecursionError answered 500 / code -1, which the CRM retries as a transient failure; a 50 MB
body was read whole, `1e999` and NaN were taken as numbers, and a property the entity does not
have was dropped without a word. Each case here asserts the status and the 1C error shape.
"""

from __future__ import annotations

import json
import uuid
from urllib.parse import quote

import httpx
import pytest

from onec_sandbox import expr as X
from onec_sandbox.app import create_app
from onec_sandbox.body import MAX_BODY
from onec_sandbox.server import start_in_thread

from .conftest import BASE, get_json, url

STOCK = "AccumulationRegister_ТоварыНаСкладах"


def assert_odata_error(r: httpx.Response, status: int, code: str) -> str:
    """The answer is `status` with a 1C `odata.error` body of `code`; returns the message."""
    assert r.status_code == status, (r.status_code, r.text[:300])
    assert r.headers["content-type"].startswith("application/json")
    err = r.json()["odata.error"]
    assert err["code"] == code, err
    assert err["message"]["lang"] == "ru" and err["message"]["value"]
    return err["message"]["value"]


def filter_url(path: str, flt: str, **params: str) -> str:
    return url(path, **{"$filter": flt}, **params)


# ---- $filter / Condition / $orderby --------------------------------------------------------

HOSTILE_FILTERS = {
    "1000 or terms": "Code eq '1'" + " or Code eq '1'" * 1000,
    "400 nested parentheses": "(" * 400 + "Code eq '1'" + ")" * 400,
    "5000 not": "not " * 5000 + "(Code eq '1')",
    "function tower": "substringof(" * 200 + "'a'" + ", Description)" * 200,
    "long add chain": "Code eq '1'" + " add 1" * 300,
    "33 KB text": "Description eq '" + "x" * 33_000 + "'",
}


@pytest.mark.parametrize("flt", HOSTILE_FILTERS.values(), ids=HOSTILE_FILTERS.keys())
async def test_hostile_filter_is_a_400_code_14(client, flt):
    r = await client.get(filter_url("Catalog_Склады", flt))
    assert_odata_error(r, 400, "14")


async def test_hostile_condition_of_a_virtual_table_is_a_400(client):
    cond = "(" * 400 + "Склад_Key eq guid'00000000-0000-0000-0000-000000000000'" + ")" * 400
    r = await client.get(url(f"{STOCK}/Balance(Condition='{cond}')"))
    assert_odata_error(r, 400, "14")
    cond = " or ".join(["1 eq 1"] * 1000)
    r = await client.get(url(f"{STOCK}/Balance", Condition=cond))
    assert_odata_error(r, 400, "14")


async def test_hostile_orderby_is_a_400(client):
    r = await client.get(url("Catalog_Склады", **{"$orderby": ", ".join(["Code"] * 500)}))
    assert_odata_error(r, 400, "14")
    r = await client.get(url("Catalog_Склады", **{"$orderby": "(" * 400 + "Code" + ")" * 400}))
    assert_odata_error(r, 400, "14")


async def test_filters_within_the_bounds_still_work(client, state):
    """The limits leave room: 60 nested parentheses, 200 `or` terms (the CRM sends 20)."""
    codes = sorted(w["Code"] for w in state.objects["Catalog_Склады"].values())
    deep = "(" * 60 + f"Code eq '{codes[0]}'" + ")" * 60
    got = await get_json(client, "Catalog_Склады", **{"$filter": deep})
    assert [w["Code"] for w in got["value"]] == [codes[0]]
    many = " or ".join([f"Code eq 'нет-{i}'" for i in range(199)] + [f"Code eq '{codes[1]}'"])
    got = await get_json(client, "Catalog_Склады", **{"$filter": many})
    assert [w["Code"] for w in got["value"]] == [codes[1]]


def test_long_and_or_chains_keep_their_meaning():
    """and/or chains are built as balanced trees: same truth table as left to right."""
    scope = X.Scope({"A": X.FieldType("i"), "B": X.FieldType("i")})
    rows = [{"A": a, "B": b} for a in range(4) for b in range(4)]
    for text, want in [
        (" or ".join(f"A eq {i}" for i in (1, 3)) + " and B eq 2",
         lambda r: r["A"] == 1 or (r["A"] == 3 and r["B"] == 2)),
        ("A eq 0 and B eq 0 or A eq 1 and B eq 1 or A eq 2 and B eq 2",
         lambda r: r["A"] == r["B"] and r["A"] < 3),
        ("not (A eq 0 or A eq 1 or A eq 2) and B ge 1", lambda r: r["A"] == 3 and r["B"] >= 1),
        ("A sub 1 sub 1 eq 0", lambda r: r["A"] == 2),
    ]:
        pred = X.compile_filter(text, scope)
        assert [pred(r) for r in rows] == [want(r) for r in rows], text
    chain = X.parse(" or ".join(["A eq 1"] * 250))  # 499 operators, just under the bound
    assert X.tree_height(chain) <= 12


# ---- bodies --------------------------------------------------------------------------------

async def counterparties(client) -> int:
    return len((await get_json(client, "Catalog_Контрагенты"))["value"])


async def test_json_nested_100k_deep_is_a_400(client):
    before = await counterparties(client)
    body = "[" * 100_000 + "]" * 100_000
    r = await client.post(url("Catalog_Контрагенты"), content=body,
                          headers={"content-type": "application/json"})
    assert_odata_error(r, 400, "2")
    body = '{"Description": "x", "Комментарий": ' + '{"a": ' * 100_000 + "1" + "}" * 100_001
    r = await client.post(url("Catalog_Контрагенты"), content=body,
                          headers={"content-type": "application/json"})
    assert_odata_error(r, 400, "2")
    assert await counterparties(client) == before


async def test_json_nested_past_the_bound_is_a_400(client):
    body = {"Description": "x", "Комментарий": json.loads("[" * 40 + "]" * 40)}
    r = await client.post(url("Catalog_Контрагенты"), json=body)
    assert_odata_error(r, 400, "2")


@pytest.mark.parametrize("number", ["1e999", "-1e999", "NaN", "Infinity", "-Infinity", "1" * 400])
async def test_non_finite_numbers_are_a_400(client, state, number):
    before = await counterparties(client)
    ref = next(iter(state.objects["Catalog_ТипыЦенНоменклатуры"]))
    raw = ('{"Description": "Тест", "ПроцентСкидкиНаценки": ' + number + "}")
    r = await client.patch(url(f"Catalog_ТипыЦенНоменклатуры(guid'{ref}')"), content=raw,
                           headers={"content-type": "application/json"})
    assert_odata_error(r, 400, "4")
    assert state.objects["Catalog_ТипыЦенНоменклатуры"][ref]["Description"] != "Тест"
    raw = '{"Description": "Тест", "Комментарий": ' + number + "}"
    r = await client.post(url("Catalog_Контрагенты"), content=raw,
                          headers={"content-type": "application/json"})
    assert_odata_error(r, 400, "4")
    assert await counterparties(client) == before


@pytest.mark.parametrize("number", ["1e999", "Infinity", "NaN", "9223372036854775808", "1.5"])
async def test_an_int64_property_takes_only_an_int64(client, state, refs, number):
    """Before: `1e999` was stored in an Int64 (201) and `Infinity` ended in a 500."""
    before = len(state.objects["Document_ЗаказПокупателя"])
    raw = (f'{{"Организация_Key": "{refs["org"]}", "Контрагент_Key": "{refs["cp"]}", '
           f'"КратностьВзаиморасчетов": {number}}}')
    r = await client.post(url("Document_ЗаказПокупателя"), content=raw.encode(),
                          headers={"content-type": "application/json"})
    assert_odata_error(r, 400, "4")
    assert len(state.objects["Document_ЗаказПокупателя"]) == before


async def test_numbers_out_of_range_are_a_400(client, state):
    ref = next(iter(state.objects["Catalog_ТипыЦенНоменклатуры"]))
    for value in ("1e300", "12345678901234567890123456789.5"):
        raw = '{"ПроцентСкидкиНаценки": ' + value + "}"
        r = await client.patch(url(f"Catalog_ТипыЦенНоменклатуры(guid'{ref}')"), content=raw,
                               headers={"content-type": "application/json"})
        assert_odata_error(r, 400, "4")


async def test_body_over_the_limit_is_a_413_by_content_length(client):
    before = await counterparties(client)
    body = b'{"Description": "' + b"x" * (MAX_BODY + 1) + b'"}'
    r = await client.post(url("Catalog_Контрагенты"), content=body,
                          headers={"content-type": "application/json"})
    assert_odata_error(r, 413, "2")
    assert await counterparties(client) == before


async def test_body_over_the_limit_is_a_413_while_streaming(client):
    """No Content-Length (chunked): the body is counted as it arrives."""
    sent = {"chunks": 0}

    async def chunks():
        yield b'{"Description": "'
        for _ in range(20):  # 20 MB in 1 MB pieces
            sent["chunks"] += 1
            yield b"x" * (1024 * 1024)
        yield b'"}'

    r = await client.post(url("Catalog_Контрагенты"), content=chunks(),
                          headers={"content-type": "application/json"})
    assert "content-length" not in r.request.headers
    assert_odata_error(r, 413, "2")


async def test_bad_content_length_is_a_400(state):
    """A Content-Length that is no number (httpx would not send one; raw ASGI can)."""
    app = create_app(state)
    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": b"{}", "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/demo/odata/standard.odata/Catalog_Склады",
             "raw_path": "/demo/odata/standard.odata/Catalog_Склады".encode(), "query_string": b"",
             "headers": [(b"content-length", b"lots"), (b"content-type", b"application/json")],
             "http_version": "1.1", "scheme": "http", "server": ("test", 80), "root_path": ""}
    await app(scope, receive, send)
    assert sent[0]["status"] == 400
    assert json.loads(sent[1]["body"])["odata.error"]["code"] == "2"


# ---- unknown properties --------------------------------------------------------------------

async def test_unknown_property_in_post_is_refused(client):
    before = await counterparties(client)
    r = await client.post(url("Catalog_Контрагенты"),
                          json={"Description": "ООО «Опечатка»", "Наименоване": "x"})
    message = assert_odata_error(r, 400, "10")
    assert "Наименоване" in message
    assert await counterparties(client) == before


async def test_unknown_property_in_patch_is_refused(client, state):
    ref = next(iter(state.objects["Catalog_Контрагенты"]))
    old = state.objects["Catalog_Контрагенты"][ref]["Description"]
    r = await client.patch(url(f"Catalog_Контрагенты(guid'{ref}')"),
                           json={"Description": "Новое", "ИННН": "1"})
    assert_odata_error(r, 400, "10")
    assert state.objects["Catalog_Контрагенты"][ref]["Description"] == old


async def test_unknown_property_in_a_table_part_row_is_refused(client, refs):
    body = {"Организация_Key": refs["org"], "Контрагент_Key": refs["cp"],
            "ДоговорКонтрагента_Key": refs["contract"], "СкладГруппа": refs["wh"],
            "СкладГруппа_Type": "StandardODATA.Catalog_Склады",
            "Товары": [{"LineNumber": "1", "Номенклатура_Key": refs["prods"][0]["Ref_Key"],
                        "Количество": 1, "Цена": 10, "Сумма": 10, "Скидка": 5}]}
    r = await client.post(url("Document_ЗаказПокупателя"), json=body)
    message = assert_odata_error(r, 400, "10")
    assert "Скидка" in message


async def test_unknown_property_in_a_contact_record_is_refused(client, refs):
    r = await client.post(url("InformationRegister_КонтактнаяИнформация"),
                          json={"Объект": refs["cp"], "Объект_Type": "StandardODATA.Catalog_Контрагенты",
                                "Тип": "Телефон", "Представление": "+7", "Телефон": "+7"})
    assert_odata_error(r, 400, "10")


async def test_odata_annotations_are_not_properties(client):
    """1C's own examples send `odata.metadata` and `X@odata.type` in a body."""
    key = str(uuid.uuid4())
    r = await client.post(url("Catalog_Контрагенты"), json={
        "odata.metadata": BASE + "$metadata#Catalog_Контрагенты/@Element",
        "Ref_Key": key, "Description": "ООО «Аннотации»",
        "КонтактнаяИнформация@odata.type": "Collection(StandardODATA.X)",
        "Description____Presentation": "ООО «Аннотации»"})
    assert r.status_code == 201, r.text


async def test_like_1c_unknown_properties_can_be_ignored(state):
    """`strict_properties=False`: what 1C's documentation says it does (ignored)."""
    app = create_app(state, strict_properties=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as c:
        r = await c.post(url("Catalog_Контрагенты"), json={"Description": "X", "ПолеКоторогоНет": 1})
        assert r.status_code == 201 and "ПолеКоторогоНет" not in r.json()


# ---- over loopback -------------------------------------------------------------------------

def test_over_loopback_hostile_requests_get_4xx(state):
    with start_in_thread(state) as sb, httpx.Client(base_url=sb.base_url, timeout=60) as c:
        r = c.get("Catalog_Склады?$format=json&$filter="
                  + quote(" or ".join(["1 eq 1"] * 1000), safe=""))
        assert_odata_error(r, 400, "14")
        r = c.get("Catalog_Склады?$format=json&$filter=" + quote("not " * 3000 + "true", safe=""))
        assert_odata_error(r, 400, "14")
        r = c.post("Catalog_Контрагенты?$format=json", content="[" * 100_000,
                   headers={"content-type": "application/json"})
        assert_odata_error(r, 400, "2")
        r = c.post("Catalog_Контрагенты?$format=json", content=b"x" * (MAX_BODY + 1),
                   headers={"content-type": "application/json"})
        assert_odata_error(r, 413, "2")
        # the server is still fine
        assert c.get("Catalog_Склады?$format=json").status_code == 200
