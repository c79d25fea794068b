"""Snapshots of the main flow (docs/architecture.md §1) on a seeded store with a frozen clock, no network.

invoice new → picker with a search typed → line added → saved (queued) → posted and locked →
partly paid → paid → shipped; the main steps again in Russian. Each test starts a fresh app on
the state the previous step leaves (set in the store as the sync would), so a failure names the
step that changed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.clock import TestClock
from tests.seed import (
    CLIENT_ID,
    INVOICE_ID,
    add_payment,
    add_shipment,
    mark_posted,
    screen_app,
    seed_client,
    seed_invoice,
    seed_store,
    settle,
)
from tui_crm.screens.invoice import InvoiceScreen
from tui_crm.screens.order import OrderScreen
from tui_crm.store import Store

SIZE = (110, 32)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "crm.duckdb", clock=TestClock())
    seed_store(s)
    seed_client(s)
    yield s
    s.close()


def new_invoice_app(store: Store, lang: str = "en"):
    return screen_app(store, lambda s: InvoiceScreen(s, None, client_id=CLIENT_ID), lang=lang)


def invoice_app(store: Store, lang: str = "en"):
    return screen_app(store, lambda s: InvoiceScreen(s, INVOICE_ID), lang=lang)


def order_app(store: Store, lang: str = "en"):
    return screen_app(store, lambda s: OrderScreen(s, INVOICE_ID), lang=lang)


def on_tab(tab: str):
    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.click(f"#--content-tab-{tab}")
        await settle(pilot)

    return run_before


async def add_milk_line(pilot) -> None:
    """a → type “молоко” → second row (6 free) → quantity 8, above free stock → back."""
    await settle(pilot)
    await pilot.press("a")
    await settle(pilot)
    await pilot.press(*"молоко")
    await settle(pilot)
    await pilot.press("down", "down", "enter")
    await settle(pilot)
    await pilot.press("backspace", "8", "enter")
    await settle(pilot)
    await pilot.press("escape")
    await settle(pilot)


def paid_in_part(store: Store) -> None:
    seed_invoice(store)
    mark_posted(store)
    add_payment(store, "ПП-000041", "1500.00", day=29)
    add_payment(store, "ПКО-000007", "500.00", kind="cash", day=30)


def paid_in_full(store: Store) -> None:
    paid_in_part(store)
    add_payment(store, "ПП-000044", "2017.50", day=30)


def shipped(store: Store) -> None:
    paid_in_full(store)
    add_shipment(store, "РТ-000015", ((1, "10"), (3, "4")), day=30)
    add_shipment(store, "РТ-000016", ((6, "2.5"),), day=30)


# -- 1..5: invoice ------------------------------------------------------------------------------
def test_flow_1_invoice_new(snap_compare, store: Store) -> None:
    assert snap_compare(new_invoice_app(store), terminal_size=SIZE, run_before=settle)


def test_flow_2_picker_search_typed(snap_compare, store: Store) -> None:
    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        await pilot.press(*"мол")
        await settle(pilot)

    assert snap_compare(new_invoice_app(store), terminal_size=SIZE, run_before=run_before)


def test_flow_3_line_added(snap_compare, store: Store) -> None:
    assert snap_compare(new_invoice_app(store), terminal_size=SIZE, run_before=add_milk_line)


def test_flow_4_saved_queued(snap_compare, store: Store) -> None:
    async def run_before(pilot) -> None:
        await add_milk_line(pilot)
        await pilot.press("f2")
        await settle(pilot)

    assert snap_compare(new_invoice_app(store), terminal_size=SIZE, run_before=run_before)


def test_flow_5_posted_and_locked(snap_compare, store: Store) -> None:
    seed_invoice(store)
    mark_posted(store)
    assert snap_compare(invoice_app(store), terminal_size=SIZE, run_before=settle)


# -- 6..8: order view ---------------------------------------------------------------------------
def test_flow_6_partly_paid(snap_compare, store: Store) -> None:
    paid_in_part(store)
    assert snap_compare(order_app(store), terminal_size=SIZE, run_before=on_tab("payment"))


def test_flow_7_paid(snap_compare, store: Store) -> None:
    paid_in_full(store)
    assert snap_compare(order_app(store), terminal_size=SIZE, run_before=on_tab("payment"))


def test_flow_8_shipped(snap_compare, store: Store) -> None:
    shipped(store)
    assert snap_compare(order_app(store), terminal_size=SIZE, run_before=on_tab("shipment"))


def test_order_items_partly_shipped(snap_compare, store: Store) -> None:
    paid_in_part(store)
    add_shipment(store, "РТ-000015", ((1, "10"), (3, "2")), day=30)
    assert snap_compare(order_app(store), terminal_size=SIZE, run_before=settle)


# -- the same flow in Russian ------------------------------------------------------------------
def test_flow_ru_invoice_line_added(snap_compare, store: Store) -> None:
    assert snap_compare(new_invoice_app(store, "ru"), terminal_size=SIZE, run_before=add_milk_line)


def test_flow_ru_picker(snap_compare, store: Store) -> None:
    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        await pilot.press(*"кофе")
        await settle(pilot)

    assert snap_compare(new_invoice_app(store, "ru"), terminal_size=SIZE, run_before=run_before)


def test_flow_ru_posted_and_locked(snap_compare, store: Store) -> None:
    seed_invoice(store, document_discount="5")
    mark_posted(store)
    assert snap_compare(invoice_app(store, "ru"), terminal_size=SIZE, run_before=settle)


def test_flow_ru_partly_paid(snap_compare, store: Store) -> None:
    paid_in_part(store)
    assert snap_compare(order_app(store, "ru"), terminal_size=SIZE, run_before=on_tab("payment"))


def test_flow_ru_shipped(snap_compare, store: Store) -> None:
    shipped(store)
    assert snap_compare(order_app(store, "ru"), terminal_size=SIZE, run_before=on_tab("shipment"))
