"""Issue 12, part 1 (КА 1.1), over real loopback: an invoice in accounting → the operator presses
Reserve on the order view, confirms → the CRM posts the order with each line placed on the
warehouse → the Items tab shows the reserved quantity per line, read from the reserve register,
and the invoice is locked. Cancelling the confirmation sends nothing."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from textual.widgets import Static

from onec_sandbox.server import RunningSandbox, start_in_thread
from onec_sandbox.state import SandboxState
from tests.clock import TestClock
from tests.e2e.test_operator_flow import wait_for
from tests.sync.sandbox_kit import new_client, save_invoice
from tui_crm.app import CrmApp
from tui_crm.config import AccountingSettings
from tui_crm.i18n import set_language
from tui_crm.screens.order import OrderScreen
from tui_crm.store import Store
from tui_crm.sync.service import SyncService
from tui_crm.widgets.columns import FitTable
from tui_crm.widgets.confirm import ConfirmModal


@pytest.fixture(params=["ka1", "ut11"])
def sandbox(request: pytest.FixtureRequest) -> Iterator[RunningSandbox]:
    """КА 1.1 (posting places the lines on the warehouse) and УТ 11 (posting with every line's
    ВариантОбеспечения = СоСклада); БП 3 keeps no reserves: tests/e2e/test_shipment_flow.py."""
    running = start_in_thread(SandboxState.seeded(products=40, warehouses=2, seed=5, config=request.param))
    try:
        yield running
    finally:
        running.stop()


async def test_invoice_reserve_confirmed_shows_reserved_per_line(sandbox: RunningSandbox, tmp_path: Path) -> None:
    set_language("en")
    store = Store.open(tmp_path / "crm.duckdb", clock=TestClock())
    service = SyncService.from_settings(store, AccountingSettings(url=sandbox.base_url, timeout=10,
                                                                              profile=sandbox.state.config.name))
    app = CrmApp(store, service, pull_seconds=600, live_seconds=1, language="en", reserve_policy="post")
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            await wait_for(pilot, lambda: store.last_success() is not None, "the first pull")
            client = new_client()
            store.save_client(client, queue=True)
            iid = save_invoice(store, client.id, lines=2, qty="2")
            app.push_now()
            await wait_for(pilot, lambda: store.get_invoice(iid).number, "the 1C number")  # type: ignore[union-attr]
            await app.push_screen(OrderScreen(store, iid))
            await wait_for(pilot, lambda: "not asked" in str(app.screen.query_one("#res-state", Static).render()),
                           "the reserve state")

            # Cancel: nothing is queued, nothing posted.
            await pilot.press("v")
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal), "the confirmation")
            await pilot.press("escape")
            await wait_for(pilot, lambda: isinstance(app.screen, OrderScreen), "back in the order")
            assert store.reserve_request(iid) is None

            # Confirm: posted in accounting, reserved figures per line appear.
            await pilot.press("v")
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal), "the confirmation")
            await pilot.press("y")
            await wait_for(pilot, lambda: store.get_invoice(iid).posted, "the order posted")  # type: ignore[union-attr]
            table = app.screen.query_one("#ord-items", FitTable)
            col = [c.key.value for c in table.columns.values()].index("reserved")

            def reserved_cells() -> list[str]:
                return [str(table.get_row_at(i)[col]).strip() for i in range(table.row_count)]

            await wait_for(pilot, lambda: reserved_cells() == ["2", "2"], "reserved per line on screen")
            assert set(store.order_reserves(iid).values()) == {Decimal(2)}
            await wait_for(pilot, lambda: "reserved" in str(app.screen.query_one("#res-state", Static).render()),
                           "the reserve state done")
            item = store.reserve_request(iid)
            assert item is not None and item.state == "done" and item.action == "post"
    finally:
        store.close()
