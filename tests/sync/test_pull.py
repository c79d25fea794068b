"""The mirror pull against the sandbox, in-process through httpx.ASGITransport."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from onec_sandbox.app import create_app
from onec_sandbox.state import SandboxState
from tests.clock import TestClock
from tui_crm.store import Store
from tui_crm.sync.odata import ODataClient, ODataError
from tui_crm.sync.pull import pull_mirror

BASE = "http://sandbox.test/demo/odata/standard.odata/"


def _client(app, page_size: int = 25) -> ODataClient:
    return ODataClient(BASE, transport=httpx.ASGITransport(app=app), page_size=page_size, retries=0)


@pytest.fixture
def state() -> SandboxState:
    return SandboxState.seeded(products=60, warehouses=3, seed=3)


async def test_pull_fills_the_mirror_and_picker(state: SandboxState) -> None:
    store = Store.open(None, clock=TestClock())
    async with _client(create_app(state)) as client:
        result = await pull_mirror(client, store)
    counts = store.mirror_counts()
    assert counts["warehouses"] == 3 and counts["price_types"] == 2
    assert counts["products"] >= 50  # the catalog's groups are not products
    assert counts["picker"] == counts["products"] * 3
    assert result.requests >= 7 and result.rows >= sum(  # rows read, incl. units and groups
        counts[t] for t in ("warehouses", "price_types", "products", "prices", "stock")
    )
    wh = store.warehouses()[0]
    pt = store.price_types()[0]
    rows = store.picker_search(wh.id, pt.id, "")
    assert rows and all(isinstance(r.free_stock, Decimal) for r in rows)
    assert any(r.price is not None and r.price > 0 for r in rows)
    assert any(r.free_stock > 0 for r in rows)
    runs = store.recent_runs()
    assert runs[0].ok and runs[0].job in ("pull", "mirror") and runs[0].requests == result.requests


async def test_pull_pages_with_a_small_page_size(state: SandboxState) -> None:
    store_small, store_big = Store.open(None, clock=TestClock()), Store.open(None, clock=TestClock())
    async with _client(create_app(state), page_size=7) as small, _client(create_app(state), 1000) as big:
        await pull_mirror(small, store_small)
        await pull_mirror(big, store_big)
        assert small.stats.requests > big.stats.requests
    assert store_small.mirror_counts() == store_big.mirror_counts()


async def test_failed_pull_keeps_previous_mirror_and_records_error(state: SandboxState) -> None:
    store = Store.open(None, clock=TestClock())
    async with _client(create_app(state)) as client:
        await pull_mirror(client, store)
    before = store.mirror_counts()

    def broken(request: httpx.Request) -> httpx.Response:
        if "Balance" in request.url.path:
            return httpx.Response(200, text="<html><body>Login</body></html>",
                                  headers={"Content-Type": "text/html"})
        return httpx.Response(503)

    async with ODataClient(BASE, transport=httpx.MockTransport(broken), retries=0) as client:
        with pytest.raises(ODataError):
            await pull_mirror(client, store)
    assert store.mirror_counts() == before
    last = store.recent_runs()[0]
    assert last.ok is False and last.error


async def test_hostile_row_is_quarantined_and_the_rest_applied(state: SandboxState) -> None:
    store = Store.open(None, clock=TestClock())
    async with _client(create_app(state)) as client:
        await pull_mirror(client, store)
    before = store.mirror_counts()
    real = create_app(state)

    async def tamper(scope, receive, send):
        if "Catalog_Номенклатура" not in scope.get("path", ""):
            return await real(scope, receive, send)

        async def send_tampered(message):
            if message["type"] == "http.response.body" and message.get("body"):
                message = dict(message)
                evil = b"x'; DROP TABLE products; --"
                message["body"] = message["body"].replace(b'"Ref_Key": "', b'"Ref_Key": "' + evil, 1)
                message["body"] = message["body"].replace(b'"Ref_Key":"', b'"Ref_Key":"' + evil, 1)
            await send(message)

        headers_sent = False

        async def send_fix(message):
            nonlocal headers_sent
            if message["type"] == "http.response.start":
                message = dict(message)
                message["headers"] = [(k, v) for k, v in message["headers"] if k.lower() != b"content-length"]
            await send_tampered(message)

        return await real(scope, receive, send_fix)

    async with _client(tamper) as client:
        result = await pull_mirror(client, store)
    after = store.mirror_counts()
    assert result.skipped >= 1
    assert before["products"] - result.skipped <= after["products"] < before["products"]
    run = store.recent_runs()[0]
    assert run.ok and "malformed" in (run.error or "") and "Ref_Key x'; DROP TABLE" in (run.error or "")


def _spoiling(app, path_part: str, spoil):
    """ASGI middleware: the JSON answers whose path contains path_part go through spoil(rows)."""
    import json

    async def wrapped(scope, receive, send):
        if path_part not in scope.get("path", ""):
            return await app(scope, receive, send)
        start: dict = {}
        body = bytearray()

        async def capture(message):
            if message["type"] == "http.response.start":
                start.update(message)
                return
            body.extend(message.get("body", b""))
            if not message.get("more_body"):
                data = json.loads(bytes(body))
                spoil(data["value"])
                out = json.dumps(data, ensure_ascii=False).encode()
                headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
                await send({**start, "headers": [*headers, (b"content-length", str(len(out)).encode())]})
                await send({"type": "http.response.body", "body": out})

        return await app(scope, receive, capture)

    return wrapped


@pytest.mark.parametrize(("path_part", "field", "value", "reason"), [
    ("ТоварыНаСкладах", "Номенклатура_Key", "b65362d3-c822-4e7f-87b8-3cd7e2916f5'",
     "Номенклатура_Key is not a reference"),
    ("ТоварыНаСкладах", "КоличествоBalance", True, "КоличествоBalance is not a number: True"),
    ("ТоварыНаСкладах", "КоличествоBalance", "1e400", "КоличествоBalance is out of range"),
    ("ЦеныНоменклатуры", "Цена", 10**13, "Цена is out of range"),
    ("Номенклатура", "Description", "Кофе\x00; DROP TABLE products", "Description contains control characters"),
    ("Номенклатура", "НаименованиеПолное", 1.5, "НаименованиеПолное is not text: 1.5"),
    ("Номенклатура", "Description", "Кофе\x1b[2J", "Description contains control characters"),
])
async def test_malformed_row_in_a_big_page_is_quarantined_with_the_reason(
        path_part: str, field: str, value: object, reason: str) -> None:
    big = SandboxState.seeded(products=3000, warehouses=2, seed=5)
    store = Store.open(None, clock=TestClock())
    async with _client(create_app(big), page_size=5000) as client:
        await pull_mirror(client, store)
    before = store.mirror_counts()
    assert before["stock"] > 2000
    spoiled: list[int] = []

    def spoil(rows: list[dict]) -> None:
        i = next(i for i in range(len(rows) // 2, len(rows)) if not rows[i].get("IsFolder"))
        rows[i][field] = value
        spoiled.append(len(rows))

    async with _client(_spoiling(create_app(big), path_part, spoil), page_size=5000) as client:
        result = await pull_mirror(client, store)
    assert max(spoiled) > 1000
    assert result.skipped == len(spoiled)                  # one row per spoiled page, the rest applied
    assert 0 < sum(store.mirror_counts().values()) <= sum(before.values())
    last = store.recent_runs()[0]
    assert last.ok and "malformed" in (last.error or "") and reason in (last.error or "")
