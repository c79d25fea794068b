"""Catalog codes as each configuration gives them reach the store, are shown as they are and find
what they name.

БП 3 codes its counterparties, warehouses and price types `00-000001` and its items
`00-00000001` (the infobase prefix, a dash, the counter; tests/sandbox/test_catalog_codes.py has
the metadata read), УТ 11 its items and partners `00-00000001`; КА 1.1 (no exchange) adds no prefix:
counterparties `000000001`, items `00000000001`.
The CRM names clients and products by code in exactly one way, the whole code as 1C shows it
(`tui-crm invoice add --client CODE --line CODE:QTY`: `Store.clients_named`,
`Store.product_by_code`), and the product search finds a code as typed (`Store.picker_search`);
none of them reads a code in short the way document numbers are read (`ТД1`), so a code with a
prefix and a dash must simply come through unchanged. Pulled from the real sandbox over loopback
into a real DuckDB store.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator

import pytest

from onec_sandbox.server import RunningSandbox, start_in_thread
from onec_sandbox.state import SandboxState
from tests.clock import TestClock
from tui_crm.store import Store
from tui_crm.sync.odata import ODataClient
from tui_crm.sync.profile import load_profile
from tui_crm.sync.service import SyncService

#: profile → (a counterparty's code form or None when the CRM's counterparty has no code,
#: a product's code form, a warehouse's code form)
FORMS: dict[str, tuple[re.Pattern[str] | None, re.Pattern[str], re.Pattern[str]]] = {
    "bp3": (re.compile(r"^00-\d{6}$"), re.compile(r"^00-\d{8}$"), re.compile(r"^00-\d{6}$")),
    "ut11": (None, re.compile(r"^00-\d{8}$"), re.compile(r"^\d{9}$")),
    "ka1": (re.compile(r"^\d{9}$"), re.compile(r"^\d{11}$"), re.compile(r"^\d{9}$")),
}


@pytest.fixture(scope="module", params=sorted(FORMS))
def pulled(request: pytest.FixtureRequest) -> Iterator[tuple[str, Store]]:
    profile = request.param
    running: RunningSandbox = start_in_thread(
        SandboxState.seeded(products=12, warehouses=2, seed=5, config=profile), base="demo")
    store = Store.open(None, clock=TestClock())
    service = SyncService(store, ODataClient(running.base_url, retries=1, backoff=0.0),
                          profile=load_profile(profile))
    try:
        async def pull() -> None:
            try:
                await service.pull_now(full=True)
            finally:
                await service.aclose()

        asyncio.run(pull())
        yield profile, store
    finally:
        store.close()
        running.stop()


def _rows(store: Store, sql: str) -> list[tuple]:
    return store.db.cursor().execute(sql).fetchall()


def test_codes_arrive_in_the_configurations_form(pulled) -> None:
    profile, store = pulled
    party_form, product_form, warehouse_form = FORMS[profile]
    products = [r[0] for r in _rows(store, "SELECT code FROM products")]
    warehouses = [r[0] for r in _rows(store, "SELECT code FROM warehouses")]
    assert products and all(product_form.match(c) for c in products), products[:3]
    assert warehouses and all(warehouse_form.match(c) for c in warehouses), warehouses
    if party_form is not None:
        parties = [r[0] for r in _rows(store, "SELECT code FROM counterparties WHERE NOT is_folder")]
        assert parties and all(party_form.match(c) for c in parties), parties[:3]


def test_a_client_is_named_by_its_whole_code(pulled) -> None:
    profile, store = pulled
    if FORMS[profile][0] is None:
        pytest.skip("УТ 11's Контрагенты have no code")
    code, cid = _rows(store, "SELECT code, id FROM counterparties WHERE NOT is_folder ORDER BY code DESC LIMIT 1")[0]
    assert [r.id for r in store.clients_named(code)] == [cid]
    assert [r.code for r in store.clients_named(code)] == [code]   # shown as 1C gives it
    # the bare counter is not the code: a script must not land on another client by it
    counter = code.rsplit("-", 1)[-1].lstrip("0")
    assert all(r.code != counter for r in store.clients_named(counter))


def test_a_product_is_found_by_its_whole_code_by_lookup_and_by_search(pulled) -> None:
    _profile, store = pulled
    wh = _rows(store, "SELECT id FROM warehouses ORDER BY code LIMIT 1")[0][0]
    pt = _rows(store, "SELECT id FROM price_types ORDER BY code LIMIT 1")[0][0]
    code, pid = _rows(store, f"SELECT code, product_id FROM picker WHERE warehouse_id = '{wh}' "
                             "ORDER BY code DESC LIMIT 1")[0]
    row = store.product_by_code(wh, pt, code)
    assert row is not None and (row.product_id, row.code) == (pid, code)
    assert store.product_by_code(wh, pt, f"  {code.lower()} ") is not None
    hits = store.picker_search(wh, pt, code)
    assert hits and (hits[0].product_id, hits[0].code) == (pid, code)
    # the counter alone (digits of the code, zeros and all) finds it too: the search is a substring
    assert pid in [h.product_id for h in store.picker_search(wh, pt, code.rsplit("-", 1)[-1])]
