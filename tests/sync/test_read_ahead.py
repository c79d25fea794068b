"""The full pull reads one step ahead: the next register's request goes out as soon as this one's
last answer has arrived, while that answer is decoded on a worker thread (issue 13, third round).

No timing here: the order of events is fixed by the event loop (the read-ahead task is queued
before the decoding thread's result can be), and every answer is decoded off the loop
(``decode_off_loop_bytes=0``) so the path of the big pages is the one under test."""

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
    client = ODataClient(BASE, transport=log, retries=0, decode_off_loop_bytes=0)
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
