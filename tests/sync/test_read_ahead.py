"""The full pull reads one step ahead: the next register's request goes out as soon as this one's
last answer has arrived, before that answer is decoded (issue 13, third round).

No timing here: the order of events is fixed by the event loop (the client lets an early
request start and be written out before it decodes the answer in hand)."""

from __future__ import annotations

from urllib.parse import unquote

import httpx
import pytest

from onec_sandbox.app import create_app
from onec_sandbox.state import SandboxState
from tests.clock import TestClock
from tests.sync.sandbox_kit import BASE
from tui_crm.store import Store
from tui_crm.sync.odata import ODataClient, ODataError
from tui_crm.sync.odata.client import last_hint
from tui_crm.sync.pull import pull_mirror

STOCK = "AccumulationRegister_ТоварыНаСкладах/"


class Log(httpx.AsyncBaseTransport):
    """In front of the sandbox: notes each request in ``events``; ``refuse`` answers the n-th
    request of a path with a 1C error (403, code 14: no rights)."""

    def __init__(self, inner: httpx.AsyncBaseTransport, events: list[tuple[str, str]]) -> None:
        self.inner = inner
        self.events = events
        self.refuse: tuple[str, int] | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        path = unquote(request.url.path).split("standard.odata/", 1)[-1]
        self.events.append(("request", path))
        if self.refuse and path.startswith(self.refuse[0]):
            seen = sum(1 for kind, p in self.events if kind == "request" and p.startswith(self.refuse[0]))
            if seen == self.refuse[1]:
                body = '{"odata.error": {"code": "14", "message": {"lang": "ru", "value": "Нет прав"}}}'
                return httpx.Response(403, headers={"content-type": "application/json"}, content=body.encode(),
                                      request=request)
        return await self.inner.handle_async_request(request)


def rig(events: list[tuple[str, str]]) -> tuple[Log, ODataClient, Store]:
    state = SandboxState.seeded(products=30, warehouses=3, seed=5)
    log = Log(httpx.ASGITransport(app=create_app(state)), events)
    client = ODataClient(BASE, transport=log, retries=0)
    return log, client, Store.open(None, clock=TestClock())


async def test_the_next_warehouse_is_asked_for_before_this_one_is_taken() -> None:
    events: list[tuple[str, str]] = []
    _log, client, store = rig(events)

    def progress(label: str, done: int, _total: int | None) -> None:
        events.append(("took", label))

    async with client:
        result = await pull_mirror(client, store, progress=progress)
    stock = [n for n, (kind, path) in enumerate(events) if kind == "request" and path.startswith(STOCK)]
    took = [n for n, (kind, label) in enumerate(events) if kind == "took" and label == "stock"]
    assert len(stock) == 3 and len(took) == 3          # one request and one page per warehouse
    # warehouse 2's request before warehouse 1's page was taken, warehouse 3's before warehouse 2's
    assert stock[1] < took[0] and stock[2] < took[1]
    assert result.skipped == 0
    assert store.mirror_counts()["warehouses"] == 3
    assert store.mirror_counts()["stock"] > 0


async def test_a_refused_read_ahead_fails_the_pull_and_keeps_the_mirror() -> None:
    events: list[tuple[str, str]] = []
    log, client, store = rig(events)
    async with client:
        await pull_mirror(client, store)
        before = store.mirror_counts()
        log.refuse = (STOCK, 3 + 2)         # the second warehouse of the second pull: read ahead
        with pytest.raises(ODataError, match="Нет прав"):
            await pull_mirror(client, store)
    assert store.mirror_counts() == before
    last = store.db.cursor().execute(
        "SELECT error FROM sync_runs WHERE job = 'mirror' ORDER BY id DESC LIMIT 1").fetchone()
    assert last is not None and last[0]


def test_last_hint_reads_the_bytes_not_the_texts() -> None:
    calls: list[int] = []

    def on_last() -> None:
        calls.append(1)

    unpaged = last_hint(on_last, None, 2)
    assert unpaged is not None
    unpaged(b"{}")
    assert len(calls) == 1
    paged = last_hint(on_last, "Ref_Key", 2)
    assert paged is not None
    paged(b'{"value":[{"Ref_Key":"a"},{"Ref_Key":"b"}]}')            # a full page: no hint
    assert len(calls) == 1
    paged(b'{"value":[{"Ref_Key":"a","Description":"\\"Ref_Key\\""}]}')   # a quoted name in a text
    assert len(calls) == 2
    assert last_hint(None, "Ref_Key", 2) is None


# -- within one read: a full page's next page is asked for before the page is decoded ----------

PRODUCTS = "Catalog_Номенклатура"


class Tail(httpx.AsyncBaseTransport):
    """In front of the sandbox: counts requests; with ``decoy`` each page of products ends with
    one more top-level member holding another ``Ref_Key``, so a guess read from the bytes' end
    is wrong and the early request must be dropped."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.requests = 0
        self.decoy = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        response = await self.inner.handle_async_request(request)
        if not (self.decoy and PRODUCTS in unquote(request.url.path)):
            return response
        body = (await response.aread()).decode("utf-8")
        body = body.rstrip()[:-1] + ', "x": {"Ref_Key": "00000000-0000-0000-0000-0000000000aa"}}'
        return httpx.Response(response.status_code, headers={"content-type": "application/json"},
                              content=body.encode("utf-8"), request=request)


@pytest.mark.parametrize("decoy", [False, True])
async def test_pages_read_early_are_the_pages_read_in_turn(decoy: bool) -> None:
    state = SandboxState.seeded(products=30, warehouses=1, seed=5)
    tail = Tail(httpx.ASGITransport(app=create_app(state)))
    async with ODataClient(BASE, transport=tail, retries=0) as plain:
        expected = await plain.get_all(PRODUCTS, select="Ref_Key,Description", page_size=7)
    one_by_one = tail.requests
    tail.requests = 0
    tail.decoy = decoy
    async with ODataClient(BASE, transport=tail, retries=0) as client:
        got = await client.get_all(PRODUCTS, select="Ref_Key,Description", page_size=7)
    assert got == expected and len(got) > 3 * 7 and len({r["Ref_Key"] for r in got}) == len(got)
    assert one_by_one == len(expected) // 7 + 1   # no request beyond the pages due
    if decoy:
        assert tail.requests > one_by_one    # each wrong guess cost one request, dropped
    else:
        assert tail.requests == one_by_one   # every early request was the one due


def test_tail_keys_reads_the_last_distinct_keys() -> None:
    from tui_crm.sync.odata.client import tail_keys

    a, b, c = ("aaaaaaaa-0000-0000-0000-00000000000" + x for x in "abc")
    body = f'{{"value":[{{"K": "{a}"}},{{"K" :"{b}"}},{{"K":"{c}","n":1}},{{"K":"{c}"}}]}}'.encode()
    assert tail_keys(body, "K", 1) == [c]
    assert tail_keys(body, "K", 2) == [c, b]
    assert tail_keys(body, "K", 3) == [c, b, a]
    assert tail_keys(body, "K", 4) is None
    assert tail_keys(b'{"value":[{"K":"not a guid"}]}', "K", 1) is None
    assert tail_keys(body.replace(c.encode(), c.upper().encode()), "K", 1) == [c]   # canonical form
