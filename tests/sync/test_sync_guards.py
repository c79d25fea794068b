"""Guards of the pull (issue 9): a catalogue that would shrink suspiciously is refused and the
previous mirror kept; a page whose JSON repeats a key is refused instead of read as "empty"."""

from __future__ import annotations

import re

import httpx
import pytest

from onec_sandbox.app import create_app
from onec_sandbox.state import SandboxState
from tests.sync.sandbox_kit import BASE, make_rig
from tui_crm.sync.events import PullFinished, SyncEvent
from tui_crm.sync.guards import MIN_DROP, check_shrink
from tui_crm.sync.odata import MalformedAnswer, ODataClient

PRODUCTS = "Catalog_Номенклатура"
COUNTERPARTIES = "Catalog_Контрагенты"


def _items(state: SandboxState, entity: str) -> list[str]:
    return [k for k, r in state.objects[entity].items() if not r.get("IsFolder")]


def test_the_rule() -> None:
    assert check_shrink({"products": 40}, {"products": 0}) != []             # emptied
    assert check_shrink({"products": 2}, {"products": 0}) != []              # emptied, however small
    assert check_shrink({"products": 40}, {"products": 19}) != []            # more than half gone
    assert check_shrink({"products": 40}, {"products": 20}) == []            # exactly half: allowed
    assert check_shrink({"products": 40}, {"products": 19}, 60) == []        # a looser limit
    assert check_shrink({"warehouses": 3}, {"warehouses": 1}) == []          # a small clean-up
    assert check_shrink({"products": 0}, {"products": 0}) == []              # a new base
    assert check_shrink({"products": 10}, {"products": 10 - MIN_DROP + 1}) == []
    with pytest.raises(ValueError):
        check_shrink({}, {}, 0)


async def test_an_emptied_product_catalogue_is_refused_and_the_mirror_kept() -> None:
    rig = make_rig(products=40, seed=3)
    events: list[SyncEvent] = []
    rig.service.subscribe(events.append)
    try:
        assert await rig.service.pull_now(full=True) is not None, rig.service.last_error
        before = rig.store.mirror_counts()
        for key in _items(rig.state, PRODUCTS):
            del rig.state.objects[PRODUCTS][key]
        rig.state.bump(PRODUCTS)
        assert await rig.service.pull_now(full=True) is None
        assert rig.store.mirror_counts() == before                       # the previous mirror kept
        reason = rig.service.last_error or ""
        assert reason.startswith("Refused to apply the pull: accounting now lists fewer rows (products 40 → 0)")
        assert "tui-crm sync --once --accept-shrink" in reason
        runs = rig.store.recent_runs()
        pull = next(r for r in runs if r.job == "pull")
        mirror = next(r for r in runs if r.job == "mirror")
        assert pull.ok is False and pull.error == reason                  # the sync log (F6) says why
        assert mirror.ok is False and mirror.error == reason
        assert any(r.job == "orders" and r.ok for r in runs)              # the documents were still read
        finished = [e for e in events if isinstance(e, PullFinished)][-1]
        assert finished.ok is False and finished.error == reason          # the event the toast words
        # The operator's override: the catalogue really shrank.
        assert await rig.service.pull_now(accept_shrink=True) is not None, rig.service.last_error
        assert rig.store.mirror_counts()["products"] == 0
    finally:
        await rig.aclose()


async def test_a_catalogue_cut_by_more_than_the_limit_is_refused_unless_the_limit_allows_it() -> None:
    rig = make_rig(products=40, seed=3, shrink_limit=80.0)
    try:
        assert await rig.service.pull_now(full=True) is not None, rig.service.last_error
        keys = _items(rig.state, PRODUCTS)
        for key in keys[: len(keys) * 3 // 4]:                            # 75 % gone: within 80 %
            del rig.state.objects[PRODUCTS][key]
        rig.state.bump(PRODUCTS)
        assert await rig.service.pull_now(full=True) is not None, rig.service.last_error
        assert rig.store.mirror_counts()["products"] == len(keys) - len(keys) * 3 // 4
    finally:
        await rig.aclose()


async def test_a_counterparty_catalogue_that_empties_is_refused() -> None:
    rig = make_rig(products=10, seed=3)
    try:
        assert await rig.service.pull_now(full=True) is not None, rig.service.last_error
        cur = rig.store.db.cursor()
        before = cur.execute("SELECT count(*) FROM counterparties").fetchone()
        assert before is not None and before[0] > 0
        rig.state.objects[COUNTERPARTIES].clear()
        rig.state.bump(COUNTERPARTIES)
        assert await rig.service.pull_now(full=True) is None
        assert "counterparties" in (rig.service.last_error or "")
        assert cur.execute("SELECT count(*) FROM counterparties").fetchone() == before
        run = next(r for r in rig.store.recent_runs() if r.job == "counterparties")
        assert run.ok is False and "Refused to apply the pull" in (run.error or "")
    finally:
        await rig.aclose()


class TwoValues(httpx.AsyncBaseTransport):
    """In front of the sandbox: the product catalogue's pages gain a second, empty ``"value"``."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.on = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if not (self.on and PRODUCTS in request.url.path and "$count" not in request.url.path):
            return response
        body = (await response.aread()).decode("utf-8")
        body = re.sub(r"\}\s*$", ', "value": []}', body)
        return httpx.Response(response.status_code, headers={"content-type": "application/json"},
                              content=body.encode("utf-8"), request=request)


async def test_a_page_with_two_value_keys_is_malformed_not_empty() -> None:
    state = SandboxState.seeded(products=20, warehouses=2, seed=3)
    spoiled = TwoValues(httpx.ASGITransport(app=create_app(state)))
    async with ODataClient(BASE, transport=spoiled, retries=0) as client:
        assert len(await client.get_all(PRODUCTS)) > 0
        spoiled.on = True
        with pytest.raises(MalformedAnswer, match="the key 'value' appears twice"):
            await client.get_all(PRODUCTS)


async def test_a_pull_meeting_two_value_keys_keeps_the_mirror() -> None:
    rig = make_rig(products=20, seed=3)
    spoiled = TwoValues(rig.client._http._transport)
    rig.client._http._transport = spoiled
    try:
        assert await rig.service.pull_now(full=True) is not None, rig.service.last_error
        before = rig.store.mirror_counts()
        spoiled.on = True
        assert await rig.service.pull_now(full=True) is None
        assert "appears twice" in (rig.service.last_error or "")
        assert rig.store.mirror_counts() == before
    finally:
        await rig.aclose()


class Counting(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.paths: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        return await self.inner.handle_async_request(request)


async def test_a_standing_refusal_is_reported_again_without_rereading_the_catalogue() -> None:
    rig = make_rig(products=40, seed=3)
    counting = Counting(rig.client._http._transport)
    rig.client._http._transport = counting
    try:
        assert await rig.service.pull_now(full=True) is not None, rig.service.last_error
        saved = {k: rig.state.objects[PRODUCTS].pop(k) for k in _items(rig.state, PRODUCTS)}
        rig.state.bump(PRODUCTS)
        assert await rig.service.pull_now(full=True) is None
        reason = rig.service.last_error
        counting.paths.clear()
        assert await rig.service.pull_now() is None                    # the idle cycle: still refused
        assert rig.service.last_error == reason
        reads = [p for p in counting.paths if p.endswith(PRODUCTS)]
        assert reads == []                                             # one $count, no re-read
        assert any(p.endswith(f"{PRODUCTS}/$count") for p in counting.paths)
        rig.state.objects[PRODUCTS].update(saved)                      # accounting is whole again
        rig.state.bump(PRODUCTS)
        assert await rig.service.pull_now() is not None, rig.service.last_error
        assert rig.store.mirror_counts()["products"] == len(saved)    # the kept mirror, and no error
        assert rig.service.last_error is None
    finally:
        await rig.aclose()
