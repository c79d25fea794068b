"""Live rows end to end, over real loopback: accounting changes a price and the free stock of a
product on screen, and the open picker and invoice repaint with no key pressed and no pull.

The CRM runs with a 10-minute pull interval, so only the live job (every 3 s, rows on screen
only) can bring the change. The clerk's actions go through the sandbox CLI over HTTP, as in the
demo. Waits are bounded polls; the figure printed is the observed delay (not asserted: the
machines are shared and noisy).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from textual.widgets import DataTable, Input

from onec_sandbox import cli as sandbox_cli
from onec_sandbox.server import RunningSandbox, start_in_thread
from onec_sandbox.state import SandboxState
from tests.clock import TestClock
from tui_crm.app import CrmApp
from tui_crm.config import AccountingSettings
from tui_crm.i18n import set_language
from tui_crm.screens.forms import QuantityScreen
from tui_crm.screens.invoice import InvoiceScreen
from tui_crm.screens.picker import PickerScreen
from tui_crm.store import Store
from tui_crm.sync.service import SyncService


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    running = start_in_thread(SandboxState.seeded(products=60, warehouses=2, seed=7))
    try:
        yield running
    finally:
        running.stop()


def clerk(sandbox: RunningSandbox, *argv: str) -> int:
    parser = argparse.ArgumentParser()
    sandbox_cli.add_arguments(parser)
    return sandbox_cli.run(parser.parse_args([argv[0], "--url", sandbox.base_url, *argv[1:]]))


async def wait_for(pilot, condition: Callable[[], object], what: str, seconds: float = 30.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.05)


def pulls(store: Store) -> int:
    return sum(1 for run in store.recent_runs(100) if run.job == "pull")


def cell(table: DataTable, row: int, column: int) -> str:
    return str(table.get_row_at(row)[column]).replace("\xa0", " ").strip()


async def test_price_and_stock_changed_in_accounting_repaint_picker_and_invoice(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    set_language("en")
    store = Store.open(tmp_path / "crm.duckdb", clock=TestClock())
    service = SyncService.from_settings(store, AccountingSettings(url=sandbox.base_url, timeout=10))
    app = CrmApp(store, service, pull_seconds=600, live_seconds=3, language="en")
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            await wait_for(pilot, lambda: store.last_success() is not None, "the first pull")
            warehouse = store.warehouses()[0]
            price_type = store.price_types()[0]
            app.new_invoice(None)
            await wait_for(pilot, lambda: isinstance(app.screen, InvoiceScreen), "the invoice editor")
            invoice = app.screen
            assert isinstance(invoice, InvoiceScreen)
            await wait_for(pilot, lambda: invoice.invoice.warehouse_id == warehouse.id, "the warehouse")
            await pilot.press("a")
            await wait_for(pilot, lambda: isinstance(app.screen, PickerScreen), "the picker")
            picker = app.screen
            assert isinstance(picker, PickerScreen)
            table = picker.query_one("#picker-table", DataTable)
            await wait_for(pilot, lambda: table.row_count > 0, "picker rows")
            row = next(i for i in range(table.row_count) if "—" not in cell(table, i, 3))
            code = cell(table, row, 0)
            await pilot.press(*code.lower())
            await wait_for(pilot, lambda: table.row_count == 1, f"the search for {code}")
            await pilot.press("enter")  # Enter in the search adds the highlighted row
            await wait_for(pilot, lambda: isinstance(app.screen, QuantityScreen), "the quantity form")
            app.screen.query_one("#qty-input", Input).value = "1"
            await pilot.press("enter")
            await wait_for(pilot, lambda: app.screen is picker and len(invoice.invoice.lines) == 1, "the line")
            line = invoice.invoice.lines[0]
            before_free = Decimal(cell(table, 0, 2).replace(" ", "").replace(",", ".") or "0")
            new_price = (line.price + Decimal("123.45")).quantize(Decimal("0.01"))
            pulls_before = pulls(store)

            # Accounting: a new price for the invoice's price type, and 7 more on the warehouse.
            started = time.monotonic()
            assert await asyncio.to_thread(
                clerk, sandbox, "price", code, "--type", price_type.name, "--price", str(new_price)) == 0
            assert await asyncio.to_thread(
                clerk, sandbox, "receive", code, "--warehouse", warehouse.name, "--qty", "7") == 0

            def picker_shows_new_figures() -> bool:
                free = Decimal(cell(table, 0, 2).replace(" ", "").replace(",", ".") or "0")
                price = cell(table, 0, 3).replace(" ", "").replace(",", ".")
                return free == before_free + 7 and price == str(new_price)

            await wait_for(pilot, picker_shows_new_figures, "the picker to repaint the live row")
            print(f"\nchange in accounting → painted on the picker: {time.monotonic() - started:.2f} s")
            await wait_for(pilot, lambda: (r := invoice.stock.get(line.product_id)) is not None
                           and r.price == new_price and r.free_stock == before_free + 7,
                           "the invoice under the picker to re-read its line")
            assert pulls(store) == pulls_before, "a pull ran: the live path was not what repainted"

            # Back in the invoice: the line keeps its price but says accounting changed it.
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is invoice, "back in the invoice")
            notes = str(invoice.query_one("#inv-notes").render())
            assert "Accounting changed the price of 1 line" in notes
            assert invoice.invoice.lines[0].price == line.price
            lines = invoice.query_one("#inv-lines", DataTable)
            assert cell(lines, 0, 9).replace(" ", "").replace(",", ".") == str(before_free + 7)
            await pilot.press("r")
            await wait_for(pilot, lambda: invoice.invoice.lines[0].price == new_price, "the re-price")
            assert invoice.dirty
            assert "Accounting changed the price" not in str(invoice.query_one("#inv-notes").render())
            assert pulls(store) == pulls_before
    finally:
        store.close()
