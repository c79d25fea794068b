"""Basic auth guards every request of a sandbox started with --user/--password (issue 9, item 7).

Before: any URL path containing `/__admin__/` skipped auth (an OData request with that text in a
virtual table's Condition read data without a login), and the admin faults route was open to
anyone, so an unauthenticated client could switch faults on. Now the admin route is an exact
path prefix of the base and needs the same login as the data.
"""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest

from onec_sandbox.app import create_app
from onec_sandbox.faults import Faults, is_admin_path
from onec_sandbox.server import start_in_thread

from .conftest import url

ROOT = "http://sandbox.test"
ODATA = "/demo/odata/standard.odata/"
LOGIN = ("Администратор", "пароль 1")
STOCK = "AccumulationRegister_ТоварыНаСкладах"

#: OData requests that carry the admin text somewhere other than the admin route's prefix.
SNEAKY = [
    ODATA + f"{STOCK}/Balance(Condition='Склад_Key eq ''/__admin__/''')?$format=json",
    ODATA + "Catalog_Склады/__admin__/faults?$format=json",
    ODATA + "Catalog_Склады?$format=json&$filter=" + quote("Description eq '/__admin__/'", safe=""),
    "/other/__admin__/faults",
    "/__admin__/faults",
    "/demo/odata/__admin__/faults",
]


@pytest.fixture
async def locked(state):
    faults = Faults()
    app = create_app(state, base="demo", faults=faults, auth=LOGIN)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=ROOT) as c:
        yield c, faults


@pytest.mark.parametrize("path", SNEAKY)
async def test_admin_text_in_a_path_or_query_does_not_skip_auth(locked, path):
    c, _faults = locked
    r = await c.get(path)
    assert r.status_code == 401, (path, r.status_code, r.text[:200])
    assert "basic" in r.headers["www-authenticate"].lower()


async def test_admin_route_needs_the_login_when_auth_is_on(locked):
    c, faults = locked
    r = await c.post("/demo/__admin__/faults", json={"error_rate": 1.0})
    assert r.status_code == 401
    assert faults.error_rate == 0.0  # nothing changed
    assert (await c.get("/demo/__admin__/faults")).status_code == 401
    r = await c.post("/demo/__admin__/faults", json={"error_rate": 1.0},
                     auth=httpx.BasicAuth("Администратор", "wrong"))
    assert r.status_code == 401 and faults.error_rate == 0.0
    r = await c.post("/demo/__admin__/faults", json={"html_next": 1},
                     auth=httpx.BasicAuth(*LOGIN))
    assert r.status_code == 200 and r.json()["html_next"] == 1 and faults.html_next == 1


async def test_data_with_the_login_still_works(locked):
    c, _faults = locked
    r = await c.get(ODATA + url("Catalog_Склады"), auth=httpx.BasicAuth(*LOGIN))
    assert r.status_code == 200 and r.json()["value"]


async def test_admin_route_is_open_without_auth(state):
    faults = Faults()
    app = create_app(state, faults=faults)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=ROOT) as c:
        r = await c.post("/demo/__admin__/faults", json={"error_next": 2})
        assert r.status_code == 200 and faults.error_next == 2


async def test_faults_spare_only_the_real_admin_route(state):
    """The fault switch is exempt by the exact prefix too: an OData path with the text is hit."""
    faults = Faults(error_next=1)
    app = create_app(state, faults=faults)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=ROOT) as c:
        r = await c.get(SNEAKY[0])
        assert r.status_code == 500 and r.json()["odata.error"]["code"] == "-1"
        assert faults.error_next == 0
        faults.configure({"error_next": 1})
        assert (await c.get("/demo/__admin__/faults")).status_code == 200
        assert faults.error_next == 1


def test_is_admin_path_is_an_exact_prefix():
    assert is_admin_path("/demo/__admin__/faults", "demo")
    assert not is_admin_path("/demo/odata/standard.odata/X(Condition='/__admin__/')", "demo")
    assert not is_admin_path("/other/__admin__/faults", "demo")
    assert not is_admin_path("/demox/__admin__/faults", "demo")


def test_over_loopback_the_admin_route_needs_the_login(state):
    with start_in_thread(state, auth=LOGIN) as sb, httpx.Client(base_url=sb.root_url) as c:
        assert c.post("/demo/__admin__/faults", json={"error_rate": 1.0}).status_code == 401
        assert sb.faults.error_rate == 0.0
        assert c.get(SNEAKY[0]).status_code == 401
        r = c.post("/demo/__admin__/faults", json={"latency_ms": 1}, auth=httpx.BasicAuth(*LOGIN))
        assert r.status_code == 200 and sb.faults.latency_ms == 1
