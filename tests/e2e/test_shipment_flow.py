"""Issue 12 part 2, over real loopback, in each configuration the CRM speaks (the sandbox and the
profile of the same name): invoice → reserve (per-line reserved figures appear; БП 3 keeps no
reserves and says so in plain words) → shipment request for part of the lines (the form, its
checks, the confirmation; Esc sends nothing) → the clerk posts it with `post-shipment` → the
Shipment tab shows it shipped and the reserve written off."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from textual.widgets import Input, Static

from onec_sandbox import cli as sandbox_cli
from onec_sandbox.faults import Faults
from onec_sandbox.server import RunningSandbox, start_in_thread
from onec_sandbox.state import SandboxState
from tests.clock import TestClock
from tests.e2e.test_operator_flow import wait_for
from tests.sync.sandbox_kit import new_client, save_invoice
from tui_crm.app import CrmApp
from tui_crm.config import AccountingSettings
from tui_crm.domain.shipment import RequestState
from tui_crm.i18n import set_language
from tui_crm.screens.order import OrderScreen
from tui_crm.screens.shipment_request import ShipmentRequestScreen
from tui_crm.store import Store
from tui_crm.sync.service import SyncService
from tui_crm.widgets.columns import FitTable
from tui_crm.widgets.confirm import ConfirmModal

WAREHOUSE_ORDER = "Document_РасходныйОрдерНаТовары"
SALE = "Document_РеализацияТоваровУслуг"
#: configuration → (the request's document set, its link to the order)
REQUEST = {"ka1": (WAREHOUSE_ORDER, "ДокументПередачи"), "ut11": (SALE, "ЗаказКлиента"),
           "bp3": (SALE, "СчетНаОплатуПокупателю_Key")}


@pytest.fixture(params=list(REQUEST))
def sandbox(request: pytest.FixtureRequest) -> Iterator[RunningSandbox]:
    running = start_in_thread(SandboxState.seeded(products=40, warehouses=2, seed=5, config=request.param))
    try:
        yield running
    finally:
        running.stop()


def _clerk(sandbox: RunningSandbox, *argv: str) -> int:
    """The clerk's command line, as a person would type it (`tui-crm sandbox …`)."""
    args = sandbox_cli.build_parser().parse_args([*argv, "--url", sandbox.base_url])
    return sandbox_cli.run(args)


def _cells(table: FitTable, key: str) -> list[str]:
    col = [c.key.value for c in table.columns.values()].index(key)
    return [str(table.get_row_at(i)[col]).strip() for i in range(table.row_count)]


async def test_reserve_then_ship_part_then_the_warehouse_posts_it(sandbox: RunningSandbox, tmp_path: Path) -> None:
    set_language("en")
    store = Store.open(tmp_path / "crm.duckdb", clock=TestClock())
    config = sandbox.state.config.name
    keeps_reserves = config != "bp3"
    service = SyncService.from_settings(store, AccountingSettings(url=sandbox.base_url, timeout=10, profile=config))
    app = CrmApp(store, service, pull_seconds=600, live_seconds=1, language="en", reserve_policy="post")
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for(pilot, lambda: store.last_success() is not None, "the first pull")
            client = new_client()
            store.save_client(client, queue=True)
            iid = save_invoice(store, client.id, lines=2, qty="2")
            app.push_now()
            await wait_for(pilot, lambda: store.get_invoice(iid).number, "the 1C number")  # type: ignore[union-attr]
            number = store.get_invoice(iid).number  # type: ignore[union-attr]
            await app.push_screen(OrderScreen(store, iid))
            state_line = "not asked" if keeps_reserves else "not kept in this accounting configuration"
            await wait_for(pilot, lambda: state_line in str(app.screen.query_one("#res-state", Static).render()),
                           "the order view")
            items = app.screen.query_one("#ord-items", FitTable)

            await pilot.press("v")
            if keeps_reserves:
                # Reserve: posted in accounting, reserved per line.
                await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal), "the reserve confirmation")
                await pilot.press("y")
                await wait_for(pilot, lambda: _cells(items, "reserved") == ["2", "2"], "reserved per line")
            else:
                # БП 3 keeps no reserves: the key says so, nothing is queued, Reserved shows "—".
                await wait_for(pilot, lambda: any("keeps no reserves" in n.message for n in app._notifications),
                               "the plain refusal")
                assert isinstance(app.screen, OrderScreen) and store.reserve_request(iid) is None
                assert _cells(items, "reserved") == ["—", "—"]

            # The form; Esc leaves it and nothing is queued.
            await pilot.press("s")
            await wait_for(pilot, lambda: isinstance(app.screen, ShipmentRequestScreen), "the request form")
            assert [w.value for w in app.screen.query(".sr-qty").results(Input)] == ["2", "2"]  # what is left
            await pilot.press("escape")
            await wait_for(pilot, lambda: isinstance(app.screen, OrderScreen), "back in the order")
            assert store.shipment_requests(iid) == []

            # Part of the lines: line 1 only. A bad quantity is refused in plain words first.
            await pilot.press("s")
            await wait_for(pilot, lambda: isinstance(app.screen, ShipmentRequestScreen), "the request form")
            await pilot.press("down", "backspace", "5")
            await pilot.press("f2")
            await pilot.pause()
            assert isinstance(app.screen, ShipmentRequestScreen)   # no confirmation for a bad request
            problem = str(app.screen.query_one("#sr-problem", Static).render())
            assert problem == "Line 2: More than is left to ship on this line (2)."
            await pilot.press("backspace", "0", "f2")
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal), "the request confirmation")
            await pilot.press("escape")            # "Back": still nothing queued
            await wait_for(pilot, lambda: isinstance(app.screen, ShipmentRequestScreen), "back in the form")
            assert store.shipment_requests(iid) == []
            await pilot.press("f2")
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal), "the request confirmation")
            await pilot.press("y")
            await wait_for(pilot, lambda: isinstance(app.screen, OrderScreen), "back in the order")
            in_accounting = [RequestState.IN_ACCOUNTING]
            await wait_for(pilot, lambda: [r.state for r in store.shipment_requests(iid)] == in_accounting,
                           "the request in accounting")
            [req] = store.shipment_requests(iid)
            assert [(rl.line_no, rl.quantity) for rl in req.lines] == [(1, Decimal(2))]

            await pilot.press("3")
            requests = app.screen.query_one("#ord-requests", FitTable)
            await wait_for(pilot, lambda: _cells(requests, "state") == ["in accounting, not posted"], "the state")
            lines = app.screen.query_one("#ord-ship-lines", FitTable)
            assert _cells(lines, "requested") == ["2", "0"] and _cells(lines, "shipped") == ["0", "0"]

            # The warehouse posts it (the clerk's CLI); the live job shows it shipped.
            assert _clerk(sandbox, "post-shipment", number) == 0
            await wait_for(pilot, lambda: _cells(requests, "state") == ["posted = shipped"], "shipped on screen")
            await wait_for(pilot, lambda: _cells(lines, "shipped") == ["2", "0"], "shipped per line")
            assert _cells(lines, "requested") == ["0", "0"]
            assert "Partially shipped" in str(app.screen.query_one("#ord-shipped").render())
            # The goods did leave: the documents part never says "nothing shipped". КА 1.1's request is a
            # warehouse order, never a sales document; УТ 11's and БП 3's is the sale itself, listed once
            # the pull brings it (until then the line points at the request, as on КА 1.1).
            def empty_text() -> str:
                return str(app.screen.query_one("#ship-empty", Static).render())
            assert "Nothing shipped" not in empty_text()
            if config == "ka1":
                assert "shipment requests above" in empty_text()
            else:
                docs = app.screen.query_one("#ord-shipments", FitTable)
                await wait_for(pilot, lambda: _cells(docs, "qty") == ["2"], "the posted sale listed")
                assert empty_text() == ""
            # The release wrote the order's reserve off: line 1 holds nothing reserved any more.
            if keeps_reserves:
                await wait_for(pilot, lambda: _cells(items, "reserved") == ["0", "2"], "reserve written off")
            # The posted request is one document, counted once whatever lists it.
            assert _cells(lines, "shipped") == ["2", "0"]
            # Nothing is left waiting: the clerk refuses (its message is in tests/sandbox).
            assert _clerk(sandbox, "post-shipment", number) == 1
    finally:
        store.close()


@pytest.mark.parametrize("config", list(REQUEST))
async def test_a_dropped_answer_over_loopback_leaves_one_document(config: str, tmp_path: Path) -> None:
    """The real server commits the request's document and drops the answer; the retry adopts it."""
    entity, link = REQUEST[config]
    faults = Faults(only=entity.removeprefix("Document_"), drop_next=1)
    state = SandboxState.seeded(products=40, warehouses=2, seed=5, config=config)
    running = start_in_thread(state, faults=faults)
    store = Store.open(tmp_path / "crm.duckdb", clock=TestClock())
    service = SyncService.from_settings(store, AccountingSettings(url=running.base_url, timeout=10, profile=config))
    try:
        await service.pull_now()
        client = new_client()
        store.save_client(client, queue=True)
        iid = save_invoice(store, client.id, lines=2, qty="2")
        await service.push_now()
        rid, refused = store.request_shipment(iid, {2: Decimal(1)})
        assert refused is None and rid is not None
        first = await service.push_now()
        assert first is not None and not first.pushed
        assert rid in state.objects[entity]          # committed; the answer never came
        [req] = store.shipment_requests(iid)
        assert req.state is RequestState.QUEUED and req.item is not None
        assert store.outbox_retry(req.item.id)
        again = await service.push_now()
        assert again is not None and again.pushed == [("shipment", rid)]
        linked = [d for d in state.objects[entity].values() if d.get(link) == iid]
        assert len(linked) == 1 and not linked[0]["Posted"]
        assert store.shipment_requests(iid)[0].state is RequestState.IN_ACCOUNTING
    finally:
        await service.aclose()
        store.close()
        running.stop()
