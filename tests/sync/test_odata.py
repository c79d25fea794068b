"""ODataClient against httpx.MockTransport handlers that answer like 1C.

Why: the sandbox is built separately; these tests pin the client's own behaviour on the wire
(exact query strings, %20, Cyrillic paths, UTF-8 Basic auth) and on every failure shape 1C and
the web servers in front of it produce (odata.error JSON/XML, HTML with 200, timeouts, dropped
connections), using verbatim bodies from 1C's documentation and real servers (docs/onec-odata-notes.md §4).
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable
from urllib.parse import quote, unquote

import httpx
import pytest

from tui_crm.sync.odata import (
    AuthError,
    BusinessError,
    Conflict,
    KeyExists,
    NotFound,
    NotODataResponse,
    ODataClient,
    ODataError,
    Unreachable,
    and_,
    eq,
    lit_bool,
    lit_str,
    virtual_table_query,
)

BASE = "http://1c.local/base/odata/standard.odata/"
G1 = "41aa6331-954f-11e3-814b-005056c00008"
PASSWORD = "s3cr3t-Пароль"
META = BASE + "$metadata#"

Handler = Callable[[httpx.Request], httpx.Response]


def make_client(handler: Handler, **kw: object) -> ODataClient:
    kw.setdefault("backoff", 0.0)
    return ODataClient(BASE, transport=httpx.MockTransport(handler), **kw)  # type: ignore[arg-type]


def collection(entity: str, rows: list[dict]) -> httpx.Response:
    return httpx.Response(
        200,
        json={"odata.metadata": META + entity, "value": rows},
        headers={"Content-Type": "application/json;odata=minimalmetadata;charset=utf-8"},
    )


def odata_error(status: int, code: str, message: str) -> httpx.Response:
    body = {"odata.error": {"code": code, "message": {"lang": "ru", "value": message}}}
    return httpx.Response(
        status,
        content=json.dumps(body, ensure_ascii=False).encode("utf-8"),
        headers={"Content-Type": "application/json;charset=utf-8"},
    )


def raw_query(request: httpx.Request) -> str:
    return request.url.query.decode("ascii")


# --- paging & encoding -----------------------------------------------------------------------


def keyset_rows(rows: list[dict], q: httpx.QueryParams) -> list[dict]:
    """What 1C answers to ``$filter=Ref_Key gt guid'…'`` + ``$top`` (rows are in key order)."""
    flt = q.get("$filter", "")
    if flt.startswith("Ref_Key gt guid'"):
        after = flt[len("Ref_Key gt guid'"):-1]
        rows = [r for r in rows if r["Ref_Key"] > after]
    skip = int(q.get("$skip", "0"))
    return rows[skip : skip + int(q["$top"])]


async def test_paging_three_pages_short_last_by_key_set() -> None:
    seen: list[str] = []
    rows = [{"Ref_Key": f"00000000-0000-0000-0000-{i:012d}", "LineNumber": str(i)} for i in range(7)]

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(raw_query(request))
        assert "$inlinecount" not in request.url.params
        return collection("Catalog_Номенклатура", keyset_rows(rows, request.url.params))

    async with make_client(handler, page_size=3) as client:
        pages = [p async for p in client.iter_pages("Catalog_Номенклатура", select="Ref_Key,Code")]
    assert [len(p) for p in pages] == [3, 3, 1]
    assert seen == [
        "$select=Ref_Key,Code&$orderby=Ref_Key&$top=3&allowedOnly=true&$format=json",
        "$select=Ref_Key,Code&$filter=Ref_Key%20gt%20guid'00000000-0000-0000-0000-000000000002'"
        "&$orderby=Ref_Key&$top=3&allowedOnly=true&$format=json",
        "$select=Ref_Key,Code&$filter=Ref_Key%20gt%20guid'00000000-0000-0000-0000-000000000005'"
        "&$orderby=Ref_Key&$top=3&allowedOnly=true&$format=json",
    ]
    assert client.stats.requests == 3


@pytest.mark.parametrize("server", ["refuses", "ignores"])
async def test_key_set_paging_falls_back_to_skip(server: str) -> None:
    """A server that refuses ``Ref_Key gt`` (an error answer) or ignores it (the page repeats)
    is paged by ``$skip`` from that page on, and later reads start with ``$skip`` at once."""
    seen: list[str] = []
    rows = [{"Ref_Key": f"00000000-0000-0000-0000-{i:012d}"} for i in range(5)]

    def handler(request: httpx.Request) -> httpx.Response:
        q = request.url.params
        seen.append(raw_query(request))
        if "gt" in q.get("$filter", "") and server == "refuses":
            return odata_error(400, "14", "Ошибка разбора параметра запроса")
        skip = int(q.get("$skip", "0"))
        return collection("Catalog_X", rows[skip : skip + int(q["$top"])])

    async with make_client(handler, page_size=2) as client:
        assert [r["Ref_Key"][-1] for r in await client.get_all("Catalog_X")] == list("01234")
        assert not client.keyset
        seen.clear()
        assert len(await client.get_all("Catalog_X")) == 5
    assert all("gt" not in s for s in seen) and len(seen) == 3
async def test_paging_exact_multiple_needs_one_empty_page_and_get_all() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        skip = int(request.url.params.get("$skip", "0"))
        return collection("Catalog_X", [{"n": i} for i in range(4)][skip : skip + 2])

    async with make_client(handler) as client:
        rows = await client.get_all("Catalog_X", page_size=2, orderby="Code desc")
    assert [r["n"] for r in rows] == [0, 1, 2, 3]
    assert calls == 3


async def test_prepared_queries_page_only_when_paged() -> None:
    """`pages(query)` / `get_all(query)`: the one paging loop, driven by a prepared Query."""
    from tui_crm.sync.queries import Query

    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(raw_query(request))
        skip = int(request.url.params.get("$skip", "0"))
        top = int(request.url.params.get("$top", "100"))
        return collection("Catalog_X", [{"n": i} for i in range(3)][skip : skip + top])

    paged = Query("Catalog_X", ("Ref_Key", "Code"), "Code eq 'A'", "Ref_Key", paged=True)
    register = Query("AccumulationRegister_X/Balance()", ("Количество",), extra={"Condition": "x eq 1"})
    async with make_client(handler, page_size=2) as client:
        assert [len(p) async for p in client.pages(paged)] == [2, 1]
        assert [r["n"] for r in await client.get_all(register)] == [0, 1, 2]
    assert seen == [
        "$select=Ref_Key,Code&$filter=Code%20eq%20'A'&$orderby=Ref_Key&$top=2&allowedOnly=true&$format=json",
        "$select=Ref_Key,Code&$filter=Code%20eq%20'A'&$orderby=Ref_Key&$top=2&$skip=2&allowedOnly=true"
        "&$format=json",
        "$select=%D0%9A%D0%BE%D0%BB%D0%B8%D1%87%D0%B5%D1%81%D1%82%D0%B2%D0%BE&Condition=x%20eq%201&allowedOnly=true"
        "&$format=json",
    ]


async def test_paging_refuses_server_that_ignores_top() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return collection("Catalog_X", [{"n": i} for i in range(10)])

    async with make_client(handler) as client:
        with pytest.raises(ODataError, match="ignored paging"):
            await client.get_all("Catalog_X", page_size=3)


async def test_inlinecount_refused() -> None:
    async with make_client(lambda r: collection("Catalog_X", [])) as client:
        with pytest.raises(ValueError):
            await client.get_page("Catalog_X", extra={"$inlinecount": "allpages"})


async def test_url_encoding_spaces_quotes_and_cyrillic() -> None:
    captured: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        captured.append(request)
        return collection("Catalog_Контрагенты", [])

    flt = and_(eq("Description", lit_str("O'Brien & Co+1 #2?")), eq("DeletionMark", lit_bool(False)))
    async with make_client(handler) as client:
        await client.get_page("Catalog_Контрагенты", filter=flt, top=5)
    req = captured[0]
    raw = req.url.raw_path.decode("ascii")
    path, _, query = raw.partition("?")
    assert path == ("/base/odata/standard.odata/"
                    "Catalog_%D0%9A%D0%BE%D0%BD%D1%82%D1%80%D0%B0%D0%B3%D0%B5%D0%BD%D1%82%D1%8B")
    assert "+" not in query  # '+' would be read by 1C as a literal plus, not a space
    assert "%20" in query
    assert "%2B1" in query and "%26" in query and "%23" in query and "%3F" in query
    assert "$format=json" in query
    # Decodes back to exactly the filter we built
    params = dict(p.split("=", 1) for p in query.split("&"))
    assert unquote(params["$filter"]) == flt
    assert req.headers["Accept"] == "application/json"
    assert unquote(path).endswith("Catalog_Контрагенты")


async def test_virtual_table_with_condition_in_query() -> None:
    captured: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        captured.append(request.url.raw_path.decode("ascii"))
        return collection("AccumulationRegister_ТоварыНаСкладах_Balance", [{"КоличествоBalance": 5}])

    from datetime import datetime

    path, extra = virtual_table_query(
        "AccumulationRegister_ТоварыНаСкладах", "Balance",
        Period=datetime(2024, 3, 20, 23, 59, 59), Condition=f"Склад_Key eq guid'{G1}'",
    )
    async with make_client(handler) as client:
        rows = await client.get_all(path, orderby=None, extra=extra)
    assert rows == [{"КоличествоBalance": 5}]
    raw = unquote(captured[0])
    assert raw.endswith(
        "AccumulationRegister_ТоварыНаСкладах/Balance(Period=datetime'2024-03-20T23:59:59')"
        f"?Condition=Склад_Key eq guid'{G1}'&allowedOnly=true&$format=json"
    )
    assert "$top" not in raw


async def test_count_bare_number_and_int64_strings() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.raw_path.decode().split("?")[0].endswith("/Catalog_X/$count")
        assert unquote(request.url.params["$filter"]) == "DeletionMark eq false"
        return httpx.Response(200, text="19", headers={"Content-Type": "text/plain;charset=utf-8"})

    async with make_client(handler) as client:
        assert await client.count("Catalog_X", eq("DeletionMark", lit_bool(False))) == 19


async def test_count_html_is_not_odata() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="<html><body>Login</body></html>",
                              headers={"Content-Type": "text/html"})

    async with make_client(handler) as client:
        with pytest.raises(NotODataResponse):
            await client.count("Catalog_X")


@pytest.mark.parametrize("body", ["²", "１２", "٣", "9" * 5000, "-1", "1e3", ""],
                         ids=["superscript", "fullwidth", "arabic-indic", "5000-digits", "negative", "exp", "empty"])
async def test_count_that_is_not_an_ascii_int64_is_not_odata(body: str) -> None:
    # "²".isdigit() is True and int("²") raises ValueError; "１２" passed as 12; 5000 digits
    # raised ValueError (int's digit limit) instead of a typed answer error.
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text=body, headers={"Content-Type": "text/plain;charset=utf-8"})

    async with make_client(handler) as client:
        with pytest.raises(NotODataResponse):
            await client.count("Catalog_X")


# --- auth & secrets --------------------------------------------------------------------------


async def test_basic_auth_utf8_cyrillic_login() -> None:
    headers: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        headers.append(request.headers["Authorization"])
        return collection("Catalog_X", [])

    async with make_client(handler, username="Администратор", password="") as client:
        await client.get_page("Catalog_X")
    expected = base64.b64encode("Администратор:".encode()).decode("ascii")
    assert headers == [f"Basic {expected}"]
    assert expected.startswith("0JDQtNC80LjQvdC40YHRgtGA0LDRgtC+0YA6")  # as seen in public code


async def test_password_never_in_repr_or_errors(caplog: pytest.LogCaptureFixture) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return odata_error(401, "20", "Нарушение прав доступа!")

    caplog.set_level(logging.DEBUG, logger="tui_crm.sync.odata")
    client = ODataClient(
        "http://Администратор:" + PASSWORD + "@1c.local/base/odata/standard.odata",
        transport=httpx.MockTransport(handler), backoff=0,
    )
    assert PASSWORD not in repr(client)
    assert "Администратор" not in repr(client)
    assert client.base_url == BASE
    with pytest.raises(AuthError) as ei:
        await client.get_page("Catalog_X")
    exc = ei.value
    for text in (str(exc), repr(exc), exc.url or "", caplog.text):
        assert PASSWORD not in text
        assert base64.b64encode(PASSWORD.encode()).decode() not in text
    assert exc.code == "20" and exc.status == 401
    assert "Нарушение прав доступа!" in str(exc)
    await client.aclose()


async def test_unreachable_error_has_no_credentials() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    async with make_client(handler, username="admin", password=PASSWORD, retries=0) as client:
        with pytest.raises(Unreachable) as ei:
            await client.get_page("Catalog_X")
    assert PASSWORD not in str(ei.value) and "admin" not in str(ei.value)
    assert "1c.local" in str(ei.value)
    assert ei.value.maybe_applied is False


def test_tls_verification_on_by_default() -> None:
    client = ODataClient("https://1c.example/base/odata/standard.odata/")
    # httpx keeps the SSL context on the transport's pool
    ctx = client._http._transport._pool._ssl_context  # type: ignore[attr-defined]
    import ssl

    assert ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname is True


# --- error bodies ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("response", "exc_type", "code"),
    [
        (odata_error(404, "9", "Экземпляр сущности не найден по переданному ключу."), NotFound, "9"),
        (odata_error(400, "6", "Неверный адрес ресурса"), NotFound, "6"),
        (odata_error(400, "15", "Запись с таким ключом уже существует"), KeyExists, "15"),
        (odata_error(500, "-1", "Не удалось провести документ: недостаточно товара"), BusinessError, "-1"),
        (odata_error(400, "13", "Cоздание строк табличной части напрямую не поддерживается"), BusinessError, "13"),
        (odata_error(412, "-1", "Версия объекта изменилась"), Conflict, "-1"),
        (httpx.Response(412), Conflict, None),
        (httpx.Response(401, text="Unauthorized"), AuthError, None),
        (httpx.Response(403, html="<html>Forbidden</html>"), AuthError, None),
        (odata_error(400, "20", "Нарушение прав доступа"), AuthError, "20"),
        (httpx.Response(404), NotFound, None),
    ],
)
async def test_error_mapping(response: httpx.Response, exc_type: type, code: str | None) -> None:
    async with make_client(lambda r: response, retries=0) as client:
        with pytest.raises(exc_type) as ei:
            await client.get_page("Catalog_X")
    assert ei.value.code == code
    assert ei.value.status == response.status_code
    assert ei.value.url is not None and ei.value.url.startswith(BASE)


async def test_business_error_carries_1c_russian_message() -> None:
    msg = "Произошла внутренняя ошибка OData сервиса. Дополнительные сведения можно найти в технологическом журнале."
    async with make_client(lambda r: odata_error(500, "-1", msg)) as client:
        with pytest.raises(BusinessError) as ei:
            await client.post_document("Document_ЗаказПокупателя", G1)
    assert ei.value.message == msg
    assert msg in str(ei.value)
    assert "refused" in str(ei.value)


async def test_xml_error_body_official_example() -> None:
    body = (
        '<m:error xmlns:m="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata">\n'
        " <m:code>9</m:code>\n"
        ' <m:message>Экземпляр сущности "НакладнаяОтгрузки" не найден по переданному ключу.</m:message>\n'
        "</m:error>"
    )

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, content=body.encode(), headers={"Content-Type": "application/xml"})

    async with make_client(handler) as client:
        with pytest.raises(NotFound) as ei:
            await client.get_page("Document_НакладнаяОтгрузки")
        assert ei.value.code == "9"
        assert ei.value.message == 'Экземпляр сущности "НакладнаяОтгрузки" не найден по переданному ключу.'
        # get_entity turns "no such object" into None
        assert await client.get_entity("Document_НакладнаяОтгрузки", G1) is None


async def test_xml_error_fragment_on_unpost() -> None:
    body = "<m:code>-1</m:code>\n<m:message>Error running processor — ‘ОбработкаУдаленияПроведения'</m:message>"
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        assert request.method == "POST"
        assert request.url.raw_path.decode().split("?")[0].endswith(f"(guid'{G1}')/Unpost")
        return httpx.Response(500, content=body.encode(), headers={"Content-Type": "application/xml"})

    async with make_client(handler, retries=3) as client:
        with pytest.raises(BusinessError) as ei:
            await client.unpost_document("Document_ЗаказПокупателя", G1)
    assert ei.value.code == "-1"
    assert "ОбработкаУдаленияПроведения" in (ei.value.message or "")
    assert calls == 1  # POST is never retried


async def test_get_entity_unknown_entity_still_raises() -> None:
    async with make_client(lambda r: odata_error(404, "6", "Сущность не найдена")) as client:
        with pytest.raises(NotFound):
            await client.get_entity("Catalog_Нет", G1)


async def test_get_entity_ok() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert unquote(request.url.raw_path.decode()).split("?")[0].endswith(f"Catalog_Контрагенты(guid'{G1}')")
        assert request.url.params["$select"] == "Ref_Key,ИНН"
        return httpx.Response(200, json={"odata.metadata": META + "Catalog_Контрагенты/@Element",
                                         "Ref_Key": G1, "ИНН": "7701234567"})

    async with make_client(handler) as client:
        ent = await client.get_entity("Catalog_Контрагенты", G1, select=["Ref_Key", "ИНН"])
    assert ent == {"odata.metadata": META + "Catalog_Контрагенты/@Element", "Ref_Key": G1, "ИНН": "7701234567"}


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200, html="<!DOCTYPE html><html><body>Apache: It works!</body></html>"),
        httpx.Response(200, text="<html><head><title>1C</title></head></html>",
                       headers={"Content-Type": "application/octet-stream"}),
        httpx.Response(200, text="OK", headers={"Content-Type": "text/plain"}),
        httpx.Response(200, json={"something": "else"}),
        httpx.Response(200, json=[1, 2, 3]),
        httpx.Response(200, content=b"{not json", headers={"Content-Type": "application/json"}),
    ],
)
async def test_not_odata_even_with_200(response: httpx.Response) -> None:
    async with make_client(lambda r: response) as client:
        with pytest.raises(NotODataResponse) as ei:
            await client.get_page("Catalog_X")
    assert "check the publication / web server" in str(ei.value)


async def test_get_page_requires_value_list() -> None:
    resp = httpx.Response(200, json={"odata.metadata": META + "Catalog_X/@Element", "Ref_Key": G1})
    async with make_client(lambda r: resp) as client:
        with pytest.raises(NotODataResponse) as ei:
            await client.get_page("Catalog_X")
    assert "check the publication / web server" in str(ei.value)


async def test_html_500_from_web_server_is_not_odata() -> None:
    resp = httpx.Response(500, html="<html><body>Internal Server Error</body></html>")
    async with make_client(lambda r: resp, retries=0) as client:
        with pytest.raises(NotODataResponse):
            await client.get_page("Catalog_X")


# --- retries ---------------------------------------------------------------------------------


async def test_timeout_becomes_unreachable_after_retries() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        raise httpx.ReadTimeout("timed out", request=request)

    async with make_client(handler, retries=2) as client:
        with pytest.raises(Unreachable) as ei:
            await client.get_page("Catalog_X")
    assert calls == 3
    assert client.stats.requests == 3 and client.stats.retries == 2
    assert "did not answer in time" in str(ei.value)
    assert "3 attempts" in str(ei.value)
    assert ei.value.maybe_applied is True


async def test_get_recovers_after_dropped_connection_and_503() -> None:
    answers: list[object] = [
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.Response(503, text="Service Unavailable"),
        None,
    ]

    def handler(request: httpx.Request) -> httpx.Response:
        a = answers.pop(0)
        if isinstance(a, Exception):
            raise a
        if isinstance(a, httpx.Response):
            return a
        return collection("Catalog_X", [{"Ref_Key": G1}])

    async with make_client(handler, retries=2) as client:
        assert await client.get_page("Catalog_X") == [{"Ref_Key": G1}]
    assert client.stats.retries == 2


async def test_get_retries_500_minus_one_but_not_client_errors() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return odata_error(500, "-1", "Ошибка СУБД") if calls == 1 else collection("Catalog_X", [])

    async with make_client(handler, retries=2) as client:
        assert await client.get_page("Catalog_X") == []
    assert calls == 2

    calls = 0

    def bad(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return odata_error(400, "14", "Ошибка разбора параметра запроса")

    async with make_client(bad, retries=2) as client:
        with pytest.raises(BusinessError):
            await client.get_page("Catalog_X")
    assert calls == 1


async def test_gateway_errors_are_unreachable() -> None:
    async with make_client(lambda r: httpx.Response(502, html="<html>Bad Gateway</html>"), retries=1) as client:
        with pytest.raises(Unreachable) as ei:
            await client.get_page("Catalog_X")
    assert ei.value.status == 502


@pytest.mark.parametrize("method", ["create", "update", "delete", "post"])
async def test_writes_not_retried(method: str) -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        raise httpx.ReadTimeout("timed out", request=request)

    async with make_client(handler, retries=5) as client:
        with pytest.raises(Unreachable) as ei:
            if method == "create":
                await client.create("Catalog_X", {"Description": "a"})
            elif method == "update":
                await client.update("Catalog_X", G1, {"Description": "a"})
            elif method == "delete":
                await client.delete("Catalog_X", G1)
            else:
                await client.post_document("Document_X", G1)
    assert calls == 1
    assert ei.value.maybe_applied is True


async def test_create_retried_only_when_caller_says_idempotent() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(201, json={"odata.metadata": META + "Catalog_X/@Element", "Ref_Key": G1})

    async with make_client(handler, retries=2) as client:
        assert (await client.create("Catalog_X", {"Ref_Key": G1}, idempotent=True))["Ref_Key"] == G1
    assert calls == 2


# --- writes ----------------------------------------------------------------------------------


async def test_create_sends_utf8_json_and_returns_entity() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.method == "POST"
        assert unquote(request.url.raw_path.decode()) == "/base/odata/standard.odata/Catalog_Контрагенты?$format=json"
        assert request.headers["Content-Type"].startswith("application/json")
        body = json.loads(request.content.decode("utf-8"))
        assert body == {"Description": "ООО «Рога и копыта»", "ИНН": "7701234567"}
        return httpx.Response(
            201,
            json={"odata.metadata": META + "Catalog_Контрагенты/@Element", "Ref_Key": G1,
                  "DataVersion": "AAAACgAAAAA=", **body},
            headers={"Location": (BASE + f"Catalog_Контрагенты(guid'{G1}')").encode("utf-8")},
        )

    async with make_client(handler) as client:
        ent = await client.create("Catalog_Контрагенты", {"Description": "ООО «Рога и копыта»", "ИНН": "7701234567"})
    assert ent["Ref_Key"] == G1 and ent["DataVersion"] == "AAAACgAAAAA="


async def test_create_key_exists() -> None:
    async with make_client(lambda r: odata_error(400, "15", "Ключ уже существует")) as client:
        with pytest.raises(KeyExists):
            await client.create("Catalog_X", {"Ref_Key": G1})


async def test_update_sends_if_match_and_maps_412() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.headers.get("If-Match") == "stale":
            return httpx.Response(412)
        return httpx.Response(200, json={"odata.metadata": META + "Catalog_X/@Element",
                                         "Ref_Key": G1, "DataVersion": "new"})

    async with make_client(handler) as client:
        out = await client.update("Catalog_X", G1, {"Description": "b"}, if_match="AAAACgAAAAA=")
        assert out["DataVersion"] == "new"
        with pytest.raises(Conflict):
            await client.update("Catalog_X", G1, {"Description": "b"}, if_match="stale")
    assert seen[0].method == "PATCH"
    assert seen[0].headers["If-Match"] == "AAAACgAAAAA="
    assert unquote(seen[0].url.raw_path.decode()).endswith(f"Catalog_X(guid'{G1}')?$format=json")


async def test_update_204_and_delete() -> None:
    methods: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        methods.append(request.method)
        return httpx.Response(204)

    async with make_client(handler) as client:
        assert await client.update("Catalog_X", G1, {"DeletionMark": True}) == {}
        assert await client.delete("Catalog_X", G1, if_match="v") is None
    assert methods == ["PATCH", "DELETE"]


async def test_post_document_url() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(unquote(request.url.raw_path.decode()))
        return httpx.Response(200, json={"odata.metadata": META})

    async with make_client(handler) as client:
        await client.post_document("Document_ЗаказПокупателя", G1)
        await client.post_document("Document_ЗаказПокупателя", G1, operational=True)
    assert seen == [
        f"/base/odata/standard.odata/Document_ЗаказПокупателя(guid'{G1}')/Post?PostingModeOperational=false&$format=json",
        f"/base/odata/standard.odata/Document_ЗаказПокупателя(guid'{G1}')/Post?PostingModeOperational=true&$format=json",
    ]


async def test_post_document_html_200_is_error() -> None:
    async with make_client(lambda r: httpx.Response(200, html="<html>login</html>")) as client:
        with pytest.raises(NotODataResponse):
            await client.post_document("Document_X", G1)


async def test_write_paths_validated() -> None:
    async with make_client(lambda r: httpx.Response(204)) as client:
        with pytest.raises(ValueError):
            await client.update("Catalog_X", "x') or true", {})
        with pytest.raises(ValueError):
            await client.create("Catalog_X/../$metadata", {})
        with pytest.raises(ValueError):
            await client.get_page("http://evil/x")
    assert client.stats.requests == 0


async def test_debug_log_has_method_path_status(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="tui_crm.sync.odata")
    async with make_client(lambda r: collection("Catalog_X", []), username="u", password=PASSWORD) as client:
        await client.get_page("Catalog_X")
    rec = [r for r in caplog.records if r.name == "tui_crm.sync.odata"]
    assert rec and "GET" in rec[0].getMessage() and "200" in rec[0].getMessage()
    assert "/base/odata/standard.odata/Catalog_X" in rec[0].getMessage()
    assert PASSWORD not in caplog.text


async def test_stats_count_bytes_and_seconds() -> None:
    async with make_client(lambda r: collection("Catalog_X", [{"a": 1}])) as client:
        await client.get_page("Catalog_X")
        snap = client.stats.snapshot()
        client.stats.reset()
    assert snap.requests == 1 and snap.bytes > 0 and snap.seconds >= 0 and snap.by_method == {"GET": 1}
    assert client.stats.requests == 0


async def test_redirect_to_login_page_is_not_odata() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(302, headers={"Location": "https://sso.example/login?next=x"})

    async with make_client(handler) as client:
        with pytest.raises(NotODataResponse) as ei:
            await client.post_document("Document_X", G1)
    assert calls == 1
    assert "sso.example" in str(ei.value) and ei.value.status == 302


# -- the strict decoder: plain json everywhere, a repeated key refused at the top level ---------

@pytest.mark.parametrize("text", [
    "{}", " {\r\n} ", '{"a":1}', '{ "value" : [ {"Ref_Key": "x", "n": 1.50} ], "odata.metadata": "m" }',
    '{"a": [1, {"b": 2, "b": 3}]}', "[1, 2]", '"x"', "1e5", "null", '{"\\u0430": "\\"}\\\\"}',
])
@pytest.mark.parametrize("entity", [False, True], ids=["page", "entity"])
def test_loads_strict_reads_what_json_reads(text: str, entity: bool) -> None:
    from tui_crm.sync.odata.client import loads_strict

    assert loads_strict(text, entity=entity) == json.loads(text)


@pytest.mark.parametrize("text", [
    '{"a":1,}', '{"a":1} x', '{"a" 1}', "{,}", '{"a":}', '{"a":1', '{"a":1 "b":2}', "{'a':1}",
    '{"a":"\x01"}', '{"a":[1,]}', "",
])
@pytest.mark.parametrize("entity", [False, True], ids=["page", "entity"])
def test_loads_strict_refuses_what_json_refuses(text: str, entity: bool) -> None:
    from tui_crm.sync.odata.client import loads_strict

    with pytest.raises(ValueError):
        json.loads(text)
    with pytest.raises(ValueError):
        loads_strict(text, entity=entity)


@pytest.mark.parametrize("text,key", [
    ('{"value": [], "value": [{"Ref_Key": "x"}]}', "value"),
    ('{"Ref_Key": "a", "Description": "x", "Ref_Key": "b"}', "Ref_Key"),   # one object's answer
    ('{"\\u0061": 1, "a": 2}', "a"),                                        # the same key, escaped
    ('{"Ref_Key": "a", "Товары": [{"n": 1, "n": 2}], "Ref_Key": "b"}', "Ref_Key"),  # besides a nested one
    ('{"a": {"b": 1}, "c": 2, "a": {"b": 1}}', "a"),                          # the repeat is an object
])
@pytest.mark.parametrize("entity", [False, True], ids=["page", "entity"])
def test_loads_strict_refuses_a_repeated_top_level_key(text: str, key: str, entity: bool) -> None:
    from tui_crm.sync.odata.client import _DuplicateKey, loads_strict

    with pytest.raises(_DuplicateKey) as caught:
        loads_strict(text, entity=entity)
    assert caught.value.key == key


async def test_a_write_or_read_by_key_answering_a_repeated_key_is_malformed() -> None:
    """One object's answer (a create's, a read by key) is decoded the cheaper way
    (`loads_strict(entity=True)`): a repeated top-level key is still refused, as in a page."""
    from tui_crm.sync.odata import MalformedAnswer

    body = b'{"Ref_Key": "%s", "Number": "1", "Ref_Key": "%s"}' % (G1.encode(), G1.encode())

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(201 if request.method == "POST" else 200, content=body,
                              headers={"Content-Type": "application/json;odata=minimalmetadata;charset=utf-8"})

    async with make_client(handler) as client:
        with pytest.raises(MalformedAnswer):
            await client.create("Document_X", {"Ref_Key": G1})
        with pytest.raises(MalformedAnswer):
            await client.get_entity("Document_X", G1)


async def test_request_urls_are_the_ones_httpx_joins_from_the_base_also_when_kept() -> None:
    """The client keeps the request URLs it parsed (`ODataClient._absolute`: a push writes to a
    few entity sets again and again): each is what httpx joins from the base and the encoded
    relative URL, for Cyrillic paths, keys and queries, the first time and the next."""
    seen: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.raw_path)
        if request.method == "GET":
            return collection("Catalog_Контрагенты", [])
        return httpx.Response(200 if request.method != "POST" else 201, json={"Ref_Key": G1},
                              headers={"Content-Type": "application/json;charset=utf-8"})

    client = make_client(handler)
    try:
        for _ in range(2):
            await client.create("Catalog_Контрагенты", {"Description": "ООО «Ромашка»"})
            await client.update("Catalog_Контрагенты", G1, {"Description": "ООО «Ромашка»"})
            await client.get_all("Catalog_Контрагенты", filter="ИНН eq '7707083893' and DeletionMark eq false")
    finally:
        await client.aclose()
    joined = httpx.AsyncClient(base_url=BASE)
    rels = [client._url("Catalog_Контрагенты", None),
            client._url(f"Catalog_Контрагенты(guid'{G1}')", None)]
    expected = [joined.build_request("GET", rel).url.raw_path for rel in rels]
    assert seen[:2] == expected and seen[3:5] == expected
    assert seen[2] == seen[5] and b"%D0%98%D0%9D%D0%9D%20eq%20" in seen[2]
    assert seen[2].startswith(httpx.URL(BASE).raw_path + quote("Catalog_Контрагенты").encode())
    await joined.aclose()
