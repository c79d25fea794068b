"""Text from accounting is shown as plain text: never markup, never terminal control.

A warehouse or product name typed in 1C reaches every operator's mirror; before, `[/]` in a
warehouse name ended the invoice screen with a MarkupError, and escape sequences would have
reached the terminal (OSC 52 writes the operator's clipboard)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import DataTable, Select

from tests.clock import TestClock
from tests.seed import (
    CLIENT_ID,
    INVOICE_ID,
    WAREHOUSES,
    screen_app,
    seed_client,
    seed_invoice,
    seed_store,
    settle,
)
from tui_crm.screens.invoice import InvoiceScreen
from tui_crm.screens.picker import PickerScreen
from tui_crm.store import Store
from tui_crm.widgets.text import clean

SIZE = (110, 32)
HOSTILE_WAREHOUSE = "Склад [/] [@click=app.quit]x[/] \x1b[2J"
HOSTILE_PRODUCT = "\x1b]52;c;SGVsbG8=\x07Сок [b]жирный[/b]\r\nвторая строка \u202eтекст"


def test_clean_removes_terminal_control_and_keeps_the_rest() -> None:
    assert clean("\x1b]52;c;SGVsbG8=\x07Сок") == "Сок"
    assert clean("\x1b[31mRED\x1b[0m") == "RED"
    assert clean("\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\") == "link"
    assert clean("a\rb\x0bc\x00d") == "a␍b␋c␀d"
    assert clean("ab\u202eCBA") == "abCBA"
    assert clean("[/] [@click=app.quit]x[/]") == "[/] [@click=app.quit]x[/]"
    assert clean("🍏 e\u0301 " + "я" * 10_000) == "🍏 e\u0301 " + "я" * 10_000
    assert clean("line 1\r\nline 2\tend\x07", one_line=False) == "line 1\nline 2\tend␇"
    assert clean(None) == ""


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "crm.duckdb", clock=TestClock())
    seed_store(s)
    seed_client(s)
    seed_invoice(s)
    with s.transaction() as cur:  # as a pull would have written them from 1C
        cur.execute("UPDATE warehouses SET name = ? WHERE id = ?", [HOSTILE_WAREHOUSE, WAREHOUSES[0][0]])
        product = cur.execute("SELECT product_id FROM invoice_lines WHERE invoice_id = ? ORDER BY line_no LIMIT 1",
                              [INVOICE_ID]).fetchone()[0]
        cur.execute("UPDATE picker SET name = ?, search = 'сок hostile' WHERE product_id = ?",
                    [HOSTILE_PRODUCT, product])
    yield s
    s.close()


async def test_names_from_accounting_on_invoice_picker_and_toasts(store: Store) -> None:
    app = screen_app(store, lambda s: InvoiceScreen(s, INVOICE_ID, CLIENT_ID))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        invoice = app.screen
        assert isinstance(invoice, InvoiceScreen)
        select = invoice.query_one("#inv-warehouse", Select)
        shown = [str(prompt) for prompt, _value in select._options]
        assert clean(HOSTILE_WAREHOUSE) in shown
        await pilot.press("a")
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, PickerScreen)
        title = str(picker.query_one("#picker-title").render())
        assert clean(HOSTILE_WAREHOUSE) in title and "\x1b" not in title
        await pilot.press(*"hostile")
        await settle(pilot)
        table = picker.query_one("#picker-table", DataTable)
        assert table.row_count == 1
        assert str(table.get_row_at(0)[1]) == clean(HOSTILE_PRODUCT)
        app.notify("1C: [/] \x1b]52;c;SGk=\x07 ошибка", title="[b]")
        await settle(pilot)
        assert app._notifications and list(app._notifications)[-1].message == "1C: [/]  ошибка"
        assert app.is_running
