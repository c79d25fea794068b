"""Snapshots of invoice states beside the main flow: document discount and stock warning,
failed push with 1C's message, the line form refusing garbage, unsaved changes on escape."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.clock import TestClock
from tests.seed import (
    CLIENT_ID,
    INVOICE_ID,
    screen_app,
    seed_client,
    seed_invoice,
    seed_store,
    settle,
)
from tui_crm.screens.invoice import InvoiceScreen
from tui_crm.store import Store

SIZE = (110, 32)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "crm.duckdb", clock=TestClock())
    seed_store(s)
    seed_client(s)
    yield s
    s.close()


def invoice_app(store: Store):
    return screen_app(store, lambda s: InvoiceScreen(s, INVOICE_ID, CLIENT_ID))


def test_invoice_document_discount_and_stock_warning(snap_compare, store: Store) -> None:
    seed_invoice(store, document_discount="5")
    assert snap_compare(invoice_app(store), terminal_size=SIZE, run_before=settle)


def test_invoice_push_failed_with_1c_message(snap_compare, store: Store) -> None:
    seed_invoice(store, sync_state="failed",
                 sync_error="Поле \"Договор контрагента\" не заполнено (Документ.ЗаказПокупателя)")
    assert snap_compare(invoice_app(store), terminal_size=SIZE, run_before=settle)


def test_invoice_line_form_refuses_garbage(snap_compare, store: Store) -> None:
    seed_invoice(store)

    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        await pilot.press(*"1,2345")  # replaces the selected value
        await settle(pilot)

    assert snap_compare(invoice_app(store), terminal_size=SIZE, run_before=run_before)


def test_invoice_escape_with_unsaved_changes(snap_compare, store: Store) -> None:
    seed_invoice(store)

    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("delete")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)

    assert snap_compare(invoice_app(store), terminal_size=SIZE, run_before=run_before)
