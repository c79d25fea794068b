"""Requests a real 1C server survives (issue 10, part 5): key-set paging of catalogs with a
`$skip` fallback, registers paged by key set inside their `Condition`, the contact register
filtered and paged, no retry of deterministic 1C errors, a longer timeout for heavy reads, a cap
on the bytes of one answer, `allowedOnly=true` on reads, and the 1C server's time zone.

Against the sandbox in process (reads, pulls, pushes) or a real loopback socket
(`tests/sync/loopback.py`) where the test needs an answer the sandbox does not give.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import httpx
import pytest

from onec_sandbox.app import create_app
from onec_sandbox.state import SandboxState
from tests.clock import TestClock
from tests.sync.loopback import Answer, Seen, loopback
from tests.sync.sandbox_kit import ORDER, make_rig, new_client, save_invoice
from tui_crm.config import ConfigError, load
from tui_crm.store import Store
from tui_crm.sync import queries
from tui_crm.sync.odata import (
    BusinessError,
    ODataClient,
    TooLarge,
    Unreachable,
    parse_date,
    set_server_timezone,
)
from tui_crm.sync.profile import load_profile
from tui_crm.sync.pull import pull_mirror

BASE = "http://sandbox.test/demo/odata/standard.odata/"


class Recording(httpx.AsyncBaseTransport):
    """The sandbox app in process; every request URL (decoded) is kept."""

    def __init__(self, app: object) -> None:
        self.inner = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        self.urls: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.urls.append(unquote(str(request.url))[len(BASE):])
        return await self.inner.handle_async_request(request)


def odata_error(code: str, message: str, status: int = 500) -> Answer:
    body = {"odata.error": {"code": code, "message": {"lang": "ru", "value": message}}}
    return Answer(status, json.dumps(body, ensure_ascii=False).encode())


def rows_answer(rows: list[dict]) -> Answer:
    return Answer(200, json.dumps({"odata.metadata": "x", "value": rows}, ensure_ascii=False).encode())


# -- paging ----------------------------------------------------------------------------------

async def test_pull_pages_catalogs_and_registers_by_key_set_and_mirrors_the_same() -> None:
    """Small pages: catalogs ask `Ref_Key gt guid'…'` (never `$skip`), stock and prices ask
    `Номенклатура_Key gt guid'…'` inside the virtual table's Condition; the mirror equals the
    one a single-page read gives, row for row."""
    state = SandboxState.seeded(products=60, warehouses=3, seed=3)
    paged, whole = Store.open(None, clock=TestClock()), Store.open(None, clock=TestClock())
    rec = Recording(create_app(state))
    async with ODataClient(BASE, transport=rec, page_size=7, retries=0) as client:
        await pull_mirror(client, paged)
    async with ODataClient(BASE, transport=httpx.ASGITransport(app=create_app(state)), page_size=10_000,
                           retries=0) as client:
        await pull_mirror(client, whole)
    assert not [u for u in rec.urls if "$skip" in u]
    catalog_pages = [u for u in rec.urls if u.startswith("Catalog_Номенклатура?")]
    assert len(catalog_pages) > 5 and all("Ref_Key gt guid'" in u for u in catalog_pages[1:])
    for register in ("AccumulationRegister_ТоварыНаСкладах/Balance", "InformationRegister_ЦеныНоменклатуры"):
        reads = [u for u in rec.urls if u.startswith(register)]
        assert len(reads) > 4, register
        assert sum("Номенклатура_Key gt guid'" in u.split("?")[0] for u in reads) >= len(reads) - 3, register
        assert all("$orderby=Номенклатура_Key" in u for u in reads)
    query = "SELECT * FROM {} ORDER BY ALL"
    for table in ("products", "prices", "stock", "picker"):
        assert paged.db.cursor().execute(query.format(table)).fetchall() == \
            whole.db.cursor().execute(query.format(table)).fetchall(), table


def test_only_whole_register_reads_are_paged_and_heavy() -> None:
    p = load_profile("ka1")
    wh, pid = "3e37eb3e-4650-4f12-b0cd-bfd7fe0937fb", "152c5f7f-8a7e-4a36-b2a5-2bbd3a0d4b8b"
    whole = queries.stock(p, wh)
    assert whole.heavy and whole.page_key == "Номенклатура_Key"
    assert f"Номенклатура_Key gt guid'{pid}'" in whole.path_after(pid)
    assert whole.path_after(None) == whole.path
    live = queries.stock(p, wh, [pid])     # the live job: a few products, one light request
    assert not live.heavy and live.page_key is None
    assert queries.prices(p, wh).page_key == "Номенклатура_Key"
    bp3 = queries.stock(load_profile("bp3"), wh)   # composite subconto: no key-set, still heavy
    assert bp3.heavy and bp3.page_key is None


async def test_register_of_one_product_filling_a_page_is_read_in_one_request() -> None:
    """A full page of one single key cannot be cut: the read falls back to one unpaged GET."""
    one = "152c5f7f-8a7e-4a36-b2a5-2bbd3a0d4b8b"
    rows = [{"Номенклатура_Key": one, "Склад_Key": f"00000000-0000-0000-0000-{i:012d}", "КоличествоBalance": 1}
            for i in range(5)]

    def serve(seen: Seen) -> Answer:
        return rows_answer(rows[: int(seen.query["$top"])] if "$top" in seen.query else rows)

    q = queries.stock(load_profile("ka1"))
    with loopback(serve) as lb:
        async with ODataClient(lb.url, page_size=3, retries=0) as client:
            got = await client.get_all(q)
    assert len(got) == 5
    assert ["$top" in s.query for s in lb.seen] == [True, False]


async def test_contact_register_is_filtered_by_type_and_paged() -> None:
    rig = make_rig()
    rec = Recording(rig.app)
    try:
        async with ODataClient(BASE, transport=rec, page_size=5, retries=0) as client:
            rows = await client.get_all(queries.contacts(load_profile("ka1")))  # type: ignore[arg-type]
        reads = [u for u in rec.urls if u.startswith("InformationRegister_КонтактнаяИнформация")]
        assert len(reads) > 2 and len(rows) > 5
        assert all("Тип eq 'Телефон'" in u and "$orderby=Объект,Тип,Вид" in u and "$top=5" in u for u in reads)
        assert {r["Тип"] for r in rows} <= {"Телефон", "АдресЭлектроннойПочты", "Адрес"}
        assert len({json.dumps(r, sort_keys=True) for r in rows}) == len(rows)   # no row twice
    finally:
        await rig.aclose()


# -- retries -----------------------------------------------------------------------------------

async def test_a_deterministic_1c_error_is_not_repeated() -> None:
    """500 / code -1 from 1C's own code (here a field the base does not have) fails the same way
    every time: one request, not three."""
    def serve(seen: Seen) -> Answer:
        return odata_error("-1", "Поле объекта не обнаружено (Комментарий)")

    with loopback(serve) as lb:
        async with ODataClient(lb.url, retries=2, backoff=0.0) as client:
            with pytest.raises(BusinessError, match="Поле объекта не обнаружено"):
                await client.get_page("Catalog_Контрагенты")
    assert len(lb.seen) == 1


async def test_a_lock_conflict_is_retried_but_not_when_it_repeats_the_same() -> None:
    calls = 0

    def flaky(seen: Seen) -> Answer:
        nonlocal calls
        calls += 1
        return odata_error("-1", "Конфликт блокировок при выполнении транзакции") if calls == 1 else rows_answer([])

    with loopback(flaky) as lb:
        async with ODataClient(lb.url, retries=2, backoff=0.0) as client:
            assert await client.get_page("Catalog_X") == []
    assert len(lb.seen) == 2

    with loopback(lambda s: odata_error("-1", "Превышено максимальное время ожидания блокировки")) as lb:
        async with ODataClient(lb.url, retries=3, backoff=0.0) as client:
            with pytest.raises(BusinessError):
                await client.get_page("Catalog_X")
    assert len(lb.seen) == 2     # the same error twice: not passing, stop


async def test_gateway_errors_are_still_retried() -> None:
    with loopback(lambda s: Answer(503, b"<html>busy</html>", "text/html")) as lb:
        async with ODataClient(lb.url, retries=2, backoff=0.0) as client:
            with pytest.raises(Unreachable):
                await client.get_page("Catalog_X")
    assert len(lb.seen) == 3


# -- timeouts, size, allowedOnly -----------------------------------------------------------------

async def test_heavy_reads_wait_longer() -> None:
    seen: dict[str, float] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen[unquote(request.url.path).rsplit("/", 1)[-1].split("(")[0]] = request.extensions["timeout"]["read"]
        return httpx.Response(200, json={"value": []})

    p = load_profile("ka1")
    async with ODataClient(BASE, transport=httpx.MockTransport(handler), timeout=30, heavy_timeout=900) as client:
        await client.get_all(queries.stock(p, "3e37eb3e-4650-4f12-b0cd-bfd7fe0937fb"))
        await client.get_all(queries.catalog(p, "warehouse"))
        await client.get_all(queries.catalog(p, "product"))
    assert seen == {"Balance": 900, "Catalog_Склады": 30, "Catalog_Номенклатура": 30}


@pytest.mark.parametrize("chunks", [1, 40])
async def test_an_answer_over_the_cap_stops_with_a_clear_message(chunks: int) -> None:
    body = json.dumps({"value": [{"Description": "х" * 500} for _ in range(400)]}, ensure_ascii=False).encode()
    with loopback(lambda s: Answer(200, body, chunks=chunks)) as lb:
        async with ODataClient(lb.url, max_page_bytes=100_000, retries=2, backoff=0.0) as client:
            with pytest.raises(TooLarge) as ei:
                await client.get_page("Catalog_Номенклатура")
    assert "accounting.max_page_mb" in str(ei.value) and "page_size" in str(ei.value)
    assert len(lb.seen) == 1          # not retried: the same bytes would come again


async def test_reads_carry_allowed_only_and_writes_do_not() -> None:
    def serve(seen: Seen) -> Answer:
        if seen.path.endswith("$count"):
            return Answer(200, b"3", "text/plain;charset=utf-8")
        return rows_answer([]) if seen.method == "GET" else Answer(201, b'{"Ref_Key": "x"}')

    with loopback(serve) as lb:
        async with ODataClient(lb.url) as client:
            await client.get_page("Catalog_Контрагенты")
            await client.count("Catalog_Контрагенты")
            await client.create("Catalog_Контрагенты", {"Description": "Тест"})
    assert [(s.method, s.query.get("allowedOnly")) for s in lb.seen] == [
        ("GET", "true"), ("GET", "true"), ("POST", None)]


# -- the 1C server's time zone -------------------------------------------------------------------

@pytest.fixture
def moscow():
    old = set_server_timezone(ZoneInfo("Europe/Moscow"))
    yield
    set_server_timezone(old)


def test_1c_wall_times_are_read_in_the_server_zone(moscow: None) -> None:
    assert parse_date("2024-03-20T12:30:00") == datetime(2024, 3, 20, 9, 30)   # MSK = UTC+3
    assert parse_date("2024-03-20T12:30:00+05:00") == datetime(2024, 3, 20, 7, 30)
    assert parse_date("0001-01-01T00:00:00") is None
    flt = queries.orders_since(load_profile("ka1"), datetime(2024, 3, 19, 21, 0)).filter or ""
    assert "Date ge datetime'2024-03-20T00:00:00'" in flt


async def test_a_pushed_invoice_is_dated_in_the_server_zone(moscow: None) -> None:
    rig = make_rig()
    try:
        assert await rig.service.pull_now() is not None, rig.service.last_error
        client = new_client()
        rig.store.save_client(client, queue=True)
        iid = save_invoice(rig.store, client.id)          # dated 2026-11-30 10:00 UTC
        assert await rig.service.push_now() is not None
        assert rig.state.objects[ORDER][iid]["Date"] == "2026-11-30T13:00:00"
    finally:
        await rig.aclose()


@pytest.mark.parametrize(("text", "ok"), [("Europe/Moscow", True), ("Asia/Yekaterinburg", True), ("", True),
                                          ("Moscow", False), ("Europe/../etc", False), ("UTC+3", False)])
def test_server_timezone_setting_is_checked(tmp_path: Path, text: str, ok: bool) -> None:
    path = tmp_path / "config.toml"
    path.write_text(f'[accounting]\nserver_timezone = "{text}"\nheavy_timeout = 600\nmax_page_mb = 16\n',
                    encoding="utf-8")
    if ok:
        acc = load(path).accounting
        assert (acc.server_timezone, acc.heavy_timeout, acc.max_page_mb) == (text, 600.0, 16.0)
    else:
        with pytest.raises(ConfigError, match=r"accounting\.server_timezone.*IANA"):
            load(path)


@pytest.mark.parametrize(("key", "value"), [("heavy_timeout", "nan"), ("heavy_timeout", "0"),
                                            ("max_page_mb", "inf"), ("max_page_mb", "0.1")])
def test_new_numbers_are_bounded(tmp_path: Path, key: str, value: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(f"[accounting]\n{key} = {value}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=f"accounting.{key}"):
        load(path)
