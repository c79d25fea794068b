"""Fault injection and Basic auth: deterministic, and every fault looks like the real thing."""

from __future__ import annotations

import base64
import time
import uuid

import httpx
import pytest

from onec_sandbox.app import create_app
from onec_sandbox.faults import DroppedResponse, Faults

from .conftest import BASE, error_code, url


async def test_error_next_and_html(client, faults):
    faults.configure({"error_next": 1, "html_next": 1})
    r = await client.get(url("Catalog_Склады"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    r = await client.get(url("Catalog_Склады"))
    assert r.status_code == 500 and error_code(r) == "-1"
    r = await client.get(url("Catalog_Склады"))
    assert r.status_code == 200 and r.json()["value"]


async def test_error_rate_is_deterministic_with_seed(client, faults):
    def pattern():
        return [faults.decide("GET", "/demo/odata/standard.odata/Catalog_Склады")["error"]
                for _ in range(40)]
    faults.configure({"error_rate": 0.3, "seed": 42})
    a = pattern()
    faults.configure({"seed": 42})
    assert pattern() == a and 3 < sum(a) < 25
    faults.configure({"reset": True})
    assert not faults.active()


async def test_latency_and_hang(client, faults):
    faults.configure({"latency_ms": 50})
    t = time.perf_counter()
    assert (await client.get(url("Catalog_Валюты"))).status_code == 200
    assert time.perf_counter() - t >= 0.05
    faults.configure({"latency_ms": 0, "hang_next": 1, "hang_s": 0.3})
    import asyncio
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(client.get(url("Catalog_Валюты")), 0.1)


async def test_drop_after_commit(client, faults, state):
    faults.configure({"drop_next": 1})
    key = str(uuid.uuid4())
    with pytest.raises(httpx.TransportError) as exc:
        await client.post(url("Catalog_Контрагенты"), json={"Ref_Key": key, "Description": "X"})
    assert isinstance(exc.value, DroppedResponse)
    assert state.get("Catalog_Контрагенты", key) is not None  # the write was committed
    r = await client.post(url("Catalog_Контрагенты"), json={"Ref_Key": key, "Description": "X"})
    assert r.status_code == 400 and error_code(r) == "15"
    # reads are never dropped
    faults.configure({"drop_rate": 1.0})
    assert (await client.get(url("Catalog_Валюты"))).status_code == 200


async def test_only_filter_and_admin_endpoint(state):
    faults = Faults()
    app = create_app(state, faults=faults)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://sandbox.test") as c:
        r = await c.post("/demo/__admin__/faults", json={"error_rate": 1.0, "only": "Document_"})
        assert r.status_code == 200 and r.json()["error_rate"] == 1.0
        assert (await c.get("/demo/odata/standard.odata/" + url("Catalog_Валюты"))).status_code == 200
        r = await c.get("/demo/odata/standard.odata/" + url("Document_ЗаказПокупателя"))
        assert r.status_code == 500
        r = await c.post("/demo/__admin__/faults", json={"nonsense": 1})
        assert r.status_code == 400
        await c.post("/demo/__admin__/faults", json={"reset": True})
        r = await c.get("/demo/odata/standard.odata/" + url("Document_ЗаказПокупателя"))
        assert r.status_code == 200


@pytest.mark.parametrize("user,pwd,ok", [("Администратор", "пароль 1", True),
                                          ("Администратор", "wrong", False),
                                          ("admin", "пароль 1", False)])
async def test_basic_auth_utf8(state, user, pwd, ok):
    app = create_app(state, auth=("Администратор", "пароль 1"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE,
                                 auth=httpx.BasicAuth(user, pwd)) as c:
        r = await c.get(url("Catalog_Валюты"))
        assert (r.status_code == 200) is ok
        if not ok:
            assert r.status_code == 401 and "basic" in r.headers["www-authenticate"].lower()
    token = base64.b64encode("Администратор:пароль 1".encode()).decode()
    assert token.startswith("0JDQtNC80LjQvdC40YHRgtGA0LDRgtC+0YA6")


async def test_no_credentials_is_401(state):
    app = create_app(state, auth=("u", "p"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as c:
        assert (await c.get(url("Catalog_Валюты"))).status_code == 401


async def test_every_answer_tells_its_own_time(client, faults):
    """`Server-Timing: app;dur=<ms>` on answers and on injected faults alike (bench/operators.py
    reads it to tell the sandbox's own time from queueing and client delay)."""
    faults.configure({"error_next": 1})
    for status in (500, 200):
        r = await client.get(url("Catalog_Склады"))
        assert r.status_code == status
        name, _, dur = r.headers["server-timing"].partition(";dur=")
        assert name == "app" and float(dur) >= 0
