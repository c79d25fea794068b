"""Fixtures for sandbox conformance tests: a small seeded base served in-process."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest

from onec_sandbox.app import create_app
from onec_sandbox.faults import Faults
from onec_sandbox.schema import EMPTY_REF
from onec_sandbox.state import SandboxState

BASE = "http://sandbox.test/demo/odata/standard.odata/"


def url(path: str, **params: str) -> str:
    """Build a URL the way 1C wants it: spaces as %20, `$format=json` by default."""
    params.setdefault("$format", "json")
    qs = "&".join(f"{quote(k, safe='$')}={quote(str(v), safe='')}" for k, v in params.items())
    return f"{path}?{qs}"


@pytest.fixture(scope="session")
def seeded_template() -> SandboxState:
    return SandboxState.seeded(products=60, warehouses=3, seed=7)


@pytest.fixture
def state() -> SandboxState:
    return SandboxState.seeded(products=60, warehouses=3, seed=7)


@pytest.fixture
def faults() -> Faults:
    return Faults()


@pytest.fixture
async def client(state, faults):
    app = create_app(state, base="demo", faults=faults)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as c:
        yield c


async def get_json(client: httpx.AsyncClient, path: str, **params: str) -> dict:
    r = await client.get(url(path, **params))
    assert r.status_code == 200, r.text
    return r.json()


def error_code(r: httpx.Response) -> str:
    return r.json()["odata.error"]["code"]


@pytest.fixture
def refs(state):
    first = lambda s: next(iter(state.objects[s].values()))  # noqa: E731
    cp = first("Catalog_Контрагенты")
    prods = [p for p in state.objects["Catalog_Номенклатура"].values() if not p["IsFolder"]]
    wh = state.find_by("Catalog_Склады", "Description", "Основной склад")
    stock = state.acc["ТоварыНаСкладах"].totals
    in_stock = [p for p in prods
                if stock.get((wh["Ref_Key"], p["Ref_Key"], EMPTY_REF, EMPTY_REF, EMPTY_REF),
                             [0])[0] >= 5]
    return {"org": first("Catalog_Организации")["Ref_Key"], "cp": cp["Ref_Key"],
            "contract": cp["ОсновнойДоговорКонтрагента_Key"], "wh": wh["Ref_Key"],
            "rub": first("Catalog_Валюты")["Ref_Key"], "prods": in_stock,
            "pt": state.find_by("Catalog_ТипыЦенНоменклатуры", "Description", "Оптовая")["Ref_Key"]}
