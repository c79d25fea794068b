"""Hostile data and a hostile server (issue 9, items 3 and 4): text 1C allows reaches the mirror
exactly, and a paging loop or a pull cycle that would never end fails in bounded time."""

from __future__ import annotations

import asyncio
import os
import re
import time
from datetime import timedelta

import duckdb
import httpx
import pytest

from onec_sandbox.app import create_app
from onec_sandbox.state import SandboxState
from tests.clock import TestClock
from tests.sync.sandbox_kit import BASE, NetLikeTransport, make_rig
from tui_crm.store import Store
from tui_crm.sync.columns import csv_text
from tui_crm.sync.odata import ODataClient, PagingError
from tui_crm.sync.service import SyncService
from tui_crm.sync.writer import StoreWriter

PRODUCTS = "Catalog_Номенклатура"

# (name, full name): everything 1C lets an accountant type or paste into a product's texts.
HOSTILE = [
    ("Кофе\rзерно", "Кофе\rзерно полное"),
    ("Чай\r\nлист", "Чай\r\nлист\r\nполное"),
    ("Сахар\x0bрафинад", "Сахар\x0bрафинад\x0cформ"),
    ('Вода "Родник" 0,5', 'Вода ""Родник"" \\"0,5\\"'),
    ("Соль\\N", "\\N"),
    ("Мёд; липовый, 1 кг", "Мёд;липовый;\t1 кг"),
    ("Перец молотый", "Перец " + "о" * 10_000),
]


def _spoil_products(state: SandboxState) -> dict[str, tuple[str, str]]:
    rows = [r for r in state.objects[PRODUCTS].values() if not r.get("IsFolder")]
    out = {}
    for row, (name, full) in zip(rows, HOSTILE, strict=False):
        row["Description"] = name
        row["НаименованиеПолное"] = full
        out[row["Ref_Key"]] = (name, full)
    return out


async def test_text_1c_allows_reaches_the_mirror_exactly() -> None:
    state = SandboxState.seeded(products=40, warehouses=2, seed=9)
    want = _spoil_products(state)
    rig = make_rig(state=state)
    try:
        result = await rig.service.pull_now(full=True)
        assert result is not None, rig.service.last_error
        got = {r[0]: (r[1], r[2]) for r in rig.store.db.cursor().execute(
            "SELECT id, name, full_name FROM products WHERE id IN (SELECT unnest(?))", [list(want)]).fetchall()}
        assert got == want
        wh = rig.store.warehouses()[0].id
        pt = rig.store.price_types()[0].id
        names = {r.name for r in rig.store.picker_search(wh, pt, "", limit=200)}
        assert {name for name, _ in HOSTILE} <= names
        hit = rig.store.picker_search(wh, pt, "родник")
        assert [r.name for r in hit] == ['Вода "Родник" 0,5']
        assert os.listdir(rig.service.writer._tmp) == []   # no staged product data left behind
    finally:
        await rig.aclose()


def test_stage_carries_any_text_and_leaves_no_file_behind() -> None:
    texts = ["a\rb", "\r", "\n", "a\r\nb", "\x0b", '"', '""', "\\", "\\N", "", ",", ";", "\t",
             "\x00", "\x01", "\x1b[31m", "я" * 1_000_000, "ё" * 1_000_000, "NULL", " x "]
    store = Store.open(None, clock=TestClock())
    w = StoreWriter(store)
    try:
        cur = w.cursor()
        cur.execute("CREATE TEMP TABLE stage_t (i INTEGER, s VARCHAR, d DECIMAL(15, 2))")
        cols = [("i", "INTEGER"), ("s", "VARCHAR"), ("d", "DECIMAL(15, 2)")]
        values = [*texts, None]
        w.stage_columns("stage_t", cols, [[csv_text(i) for i in range(len(values))],
                                          [csv_text(t) for t in values], [csv_text(None)] * len(values)])
        got = dict(cur.execute("SELECT i, s FROM stage_t").fetchall())
        assert [got[i] for i in range(len(values))] == values
        with pytest.raises(duckdb.Error):   # a value DuckDB refuses: the error, and no CSV left
            w.stage_columns("stage_t", cols, [[csv_text(1)], [csv_text("x")], [csv_text("not a number")]])
        assert os.listdir(w._tmp) == []
    finally:
        w.close()
        store.close()


async def test_a_row_that_cannot_be_read_is_quarantined_and_the_rest_applied(
        caplog: pytest.LogCaptureFixture) -> None:
    state = SandboxState.seeded(products=40, warehouses=2, seed=9)
    rows = [r for r in state.objects[PRODUCTS].values() if not r.get("IsFolder")]
    bad, good = rows[0], rows[1]
    bad["Артикул"] = 1.5            # a number where 1C sends text: this row cannot be trusted
    rig = make_rig(state=state)
    try:
        assert await rig.service.pull_now(full=True) is not None, rig.service.last_error
        ids = {r[0] for r in rig.store.db.cursor().execute("SELECT id FROM products").fetchall()}
        assert good["Ref_Key"] in ids and bad["Ref_Key"] not in ids
        assert rig.store.mirror_counts()["products"] == len(rows) - 1
        mirror = next(r for r in rig.store.recent_runs() if r.job == "mirror")
        assert mirror.ok and mirror.error == (
            f"Skipped 1 malformed row(s) from accounting, the rest applied: {PRODUCTS} "
            f"(Ref_Key {bad['Ref_Key']}): Артикул is not text: 1.5")
        assert f"quarantined a malformed {PRODUCTS} row (Ref_Key {bad['Ref_Key']})" in caplog.text
    finally:
        await rig.aclose()


# -- a server whose paging never ends (issue 9, item 4) ---------------------------------------

class Wedged(httpx.AsyncBaseTransport):
    """In front of the sandbox: while ``mode`` is set, every GET of the product catalog ignores
    ``$skip`` ("skip": the same full page forever) or never answers ("hang")."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.mode: str | None = None
        self.requests = 0
        self.product_requests = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        if PRODUCTS in request.url.path:
            self.product_requests += 1
        if self.mode and PRODUCTS in request.url.path:
            if self.mode == "hang":
                await asyncio.sleep(3600)
            url = httpx.URL(re.sub(r"&\$skip=\d+", "", str(request.url)))
            request = httpx.Request(request.method, url, headers=request.headers)
        return await self.inner.handle_async_request(request)


def _service(state: SandboxState, **kw: object) -> tuple[SyncService, Wedged]:
    wedged = Wedged(NetLikeTransport(create_app(state), timeout=30.0))
    client = ODataClient(BASE, transport=wedged, page_size=10, retries=0, timeout=30.0)
    return SyncService(Store.open(None, clock=TestClock()), client, **kw), wedged  # type: ignore[arg-type]


async def test_a_server_that_ignores_skip_fails_the_pull_with_a_plain_error() -> None:
    state = SandboxState.seeded(products=40, warehouses=2, seed=4)
    service, wedged = _service(state)
    service.client.keyset = False    # `$skip` paging: the fallback for servers without key-set paging
    try:
        assert await service.pull_now(full=True) is not None, service.last_error
        before = service.store.mirror_counts()
        wedged.mode, wedged.product_requests = "skip", 0
        assert await asyncio.wait_for(service.pull_now(full=True), 20) is None
        assert "ignored paging ($skip=" in (service.last_error or "") and PRODUCTS in (service.last_error or "")
        assert wedged.product_requests <= 3              # stopped at the first repeated page
        assert service.store.mirror_counts() == before   # the previous mirror is kept
        run = service.store.recent_runs()[0]
        assert run.ok is False and "ignored paging" in (run.error or "")
        wedged.mode = None                               # accounting is healthy again
        assert await service.pull_now(full=True) is not None, service.last_error
        assert service.store.mirror_counts() == before
    finally:
        await service.aclose()
        service.store.close()


async def test_a_collection_past_the_page_cap_is_refused() -> None:
    state = SandboxState.seeded(products=40, warehouses=2, seed=4)
    async with ODataClient(BASE, transport=httpx.ASGITransport(app=create_app(state)), page_size=10,
                           max_pages=3) as client:
        assert len(await client.get_all(PRODUCTS, page_size=100)) > 30
        with pytest.raises(PagingError, match="more than 3 pages"):
            await client.get_all(PRODUCTS)


async def test_a_wedged_cycle_stops_at_its_deadline_and_frees_the_pull_lock() -> None:
    state = SandboxState.seeded(products=40, warehouses=2, seed=4)
    service, wedged = _service(state)
    try:
        assert await service.pull_now(full=True) is not None, service.last_error
        before = service.store.mirror_counts()
        # The healthy pulls run without the short deadline: on a loaded machine they may need more.
        service.cycle_deadline = timedelta(seconds=1)
        wedged.mode = "hang"
        started = time.perf_counter()
        assert await asyncio.wait_for(service.pull_now(full=True), 20) is None
        assert time.perf_counter() - started < 10
        assert service.last_error == ("The pull from accounting took longer than 1 s and was stopped; the "
                                      "previous data is kept and the next pull starts over.")
        assert not service.running and service.store.mirror_counts() == before
        runs = service.store.recent_runs()
        pull = next(r for r in runs if r.job == "pull")
        assert pull.ok is False and "took longer than 1 s" in (pull.error or "")
        mirror = next(r for r in runs if r.job == "mirror")
        assert mirror.ok is False and mirror.error == "Stopped before it finished."
        wedged.mode = None
        service.cycle_deadline = timedelta(minutes=10)
        assert await service.pull_now(full=True) is not None, service.last_error   # the lock is free
        assert service.store.mirror_counts() == before
    finally:
        await service.aclose()
        service.store.close()


class WedgedWrites(httpx.AsyncBaseTransport):
    """In front of the sandbox: while ``hang`` is set, every write is applied by the sandbox and
    then its answer never comes (a server that never finishes its answer; the client's read
    timeout is far away)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.hang = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if self.hang and request.method != "GET":
            await asyncio.sleep(3600)
        return response


async def test_a_wedged_push_stops_at_the_deadline_frees_the_push_lock_and_sends_once_later() -> None:
    from tests.sync.sandbox_kit import ORDER, new_client, save_invoice
    from tui_crm.sync.events import PushFinished, SyncEvent

    state = SandboxState.seeded(products=20, warehouses=2, seed=4)
    wedged = WedgedWrites(NetLikeTransport(create_app(state), timeout=30.0))
    client = ODataClient(BASE, transport=wedged, retries=0, timeout=30.0)
    service = SyncService(Store.open(None, clock=TestClock()), client)
    events: list[SyncEvent] = []
    service.subscribe(events.append)
    try:
        assert await service.pull_now(full=True) is not None, service.last_error
        customer = new_client()
        service.store.save_client(customer, queue=True)
        iid = save_invoice(service.store, customer.id)
        service.cycle_deadline = timedelta(seconds=1)
        wedged.hang = True
        started = time.perf_counter()
        result = await asyncio.wait_for(service.push_now(), 20)
        assert time.perf_counter() - started < 10
        reason = ("The push to accounting took longer than 1 s and was stopped; the items are sent again "
                  "on the next push.")
        assert result is not None and result.stopped and result.offline == reason
        assert not service._push_lock.locked() and service.last_error == reason
        push = next(r for r in service.store.recent_runs() if r.job == "push")
        assert push.ok is False and push.error == reason                   # the sync log says why
        finished = [e for e in events if isinstance(e, PushFinished)]
        assert finished and finished[-1].offline == reason                 # and the engine reports it
        wedged.hang = False
        service.cycle_deadline = timedelta(minutes=10)
        for _ in range(5):                                                 # the lock is free: it goes out
            done = await service.push_now()
            if done is not None and not done.attempted:
                break
        inv = service.store.get_invoice(iid)
        assert inv is not None and inv.number                              # it reached accounting ...
        orders = [o for o in state.objects[ORDER].values() if o.get("Контрагент_Key") == customer.id]
        assert [o["Ref_Key"] for o in orders] == [iid]                    # ... exactly once
        assert customer.id in state.objects["Catalog_Контрагенты"]
    finally:
        await service.aclose()
        service.store.close()


async def test_a_quarantined_row_is_noted_in_russian() -> None:
    """The sync log's note of a skipped row in the interface language: the 1C row key and field
    as sent, the rest in Russian (it read "Skipped 1 malformed row(s) from accounting …")."""
    from tui_crm.i18n import set_language

    state = SandboxState.seeded(products=40, warehouses=2, seed=9)
    rows = [r for r in state.objects[PRODUCTS].values() if not r.get("IsFolder")]
    rows[0]["Артикул"] = 1.5
    rows[1]["Description"] = "Кофе\x1b[31m"
    rig = make_rig(state=state)
    set_language("ru")
    try:
        assert await rig.service.pull_now(full=True) is not None, rig.service.last_error
        mirror = next(r for r in rig.store.recent_runs() if r.job == "mirror")
        assert mirror.ok, mirror.error
        first, second = sorted([rows[0], rows[1]], key=lambda r: r["Ref_Key"])
        reason = {rows[0]["Ref_Key"]: "Артикул — не текст: 1.5",
                  rows[1]["Ref_Key"]: "Description содержит управляющие символы"}
        assert mirror.error in [
            f"Пропущено испорченных строк из учёта: 2, остальное применено: {PRODUCTS} "
            f"(Ref_Key {r['Ref_Key']}): {reason[r['Ref_Key']]} и ещё 1" for r in (first, second)], mirror.error
    finally:
        set_language("en")
        await rig.aclose()
