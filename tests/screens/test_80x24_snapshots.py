"""Every screen at 80×24, the size operators get over SSH (issue 11: "80×24 is a first-class size").

The full app (`CrmApp`: global keys, footer with F1 help and quit) on a seeded store with a frozen
clock, no network; each screen is opened the way the operator opens it. The invoice, the order
and the clients list are also checked in Russian, whose words are longer. What each snapshot
must show is said in its docstring; `test_layout_80x24.py` checks the same facts as text.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.clock import TestClock
from tests.seed import (
    CLIENT_ROMASHKA,
    FROZEN_NOW,
    INVOICE_ID,
    add_payment,
    add_shipment,
    mark_posted,
    seed_clients,
    seed_invoice,
    seed_store,
    seed_sync_log,
    settle,
)
from tui_crm.app import CrmApp
from tui_crm.i18n import set_language
from tui_crm.store import Store

SIZE = (80, 24)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "crm.duckdb", clock=TestClock())
    seed_store(s)
    seed_clients(s)
    yield s
    s.close()


def make_app(store: Store, lang: str = "en", home: str = "clients") -> CrmApp:
    set_language(lang)
    return CrmApp(store, None, clock=lambda: FROZEN_NOW, live_clock=False, home=home)


def shipped_in_part(store: Store) -> None:
    seed_invoice(store, document_discount="5")
    mark_posted(store)
    add_payment(store, "ПП-000041", "1500.00", day=29)
    add_shipment(store, "РТ-000015", ((1, "10"), (3, "2")), day=30)


def opened(open_it, *keys: str):
    async def run_before(pilot) -> None:
        await settle(pilot)
        open_it(pilot.app)
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)

    return run_before


def new_invoice(app: CrmApp) -> None:
    app.new_invoice(CLIENT_ROMASHKA)


def the_invoice(app: CrmApp) -> None:
    app.open_invoice(INVOICE_ID)


def the_order(app: CrmApp) -> None:
    app.open_invoice(INVOICE_ID, posted=True)


def the_card(app: CrmApp) -> None:
    app.open_client(CLIENT_ROMASHKA)


def nothing(app: CrmApp) -> None:
    """The home screen as it opens."""


# -- clients ------------------------------------------------------------------------------------
def test_clients_list_80x24(snap_compare, store: Store) -> None:
    """Name, debt and state; F1 help and quit in the footer."""
    assert snap_compare(make_app(store), terminal_size=SIZE, run_before=opened(nothing))


def test_clients_list_80x24_ru(snap_compare, store: Store) -> None:
    assert snap_compare(make_app(store, "ru"), terminal_size=SIZE, run_before=opened(nothing))


def test_client_card_80x24(snap_compare, store: Store) -> None:
    assert snap_compare(make_app(store), terminal_size=SIZE, run_before=opened(the_card))


def test_client_card_invoices_tab_80x24(snap_compare, store: Store) -> None:
    assert snap_compare(make_app(store), terminal_size=SIZE, run_before=opened(the_card, "ctrl+pagedown"))


def test_client_card_80x24_ru(snap_compare, store: Store) -> None:
    assert snap_compare(make_app(store, "ru"), terminal_size=SIZE, run_before=opened(the_card))


# -- invoice ------------------------------------------------------------------------------------
def test_invoice_new_80x24(snap_compare, store: Store) -> None:
    assert snap_compare(make_app(store), terminal_size=SIZE, run_before=opened(new_invoice))


def test_invoice_80x24(snap_compare, store: Store) -> None:
    """Three lines: amounts whole, VAT shown, totals and the comment field visible."""
    seed_invoice(store, document_discount="5")
    assert snap_compare(make_app(store), terminal_size=SIZE, run_before=opened(the_invoice))


def test_invoice_80x24_ru(snap_compare, store: Store) -> None:
    seed_invoice(store, document_discount="5")
    assert snap_compare(make_app(store, "ru"), terminal_size=SIZE, run_before=opened(the_invoice))


def test_invoice_discard_dialog_80x24_ru(snap_compare, store: Store) -> None:
    """The unsaved-changes dialog's keys are whole in Russian (item 13: `esc продол`)."""
    seed_invoice(store)

    async def run_before(pilot) -> None:
        await opened(the_invoice)(pilot)
        await pilot.press("delete")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)

    assert snap_compare(make_app(store, "ru"), terminal_size=SIZE, run_before=run_before)


def test_picker_80x24(snap_compare, store: Store) -> None:
    """Price, free stock and unit on every row."""
    async def run_before(pilot) -> None:
        await opened(new_invoice, "a")(pilot)
        await pilot.press(*"мол")
        await settle(pilot)

    assert snap_compare(make_app(store), terminal_size=SIZE, run_before=run_before)


# -- order --------------------------------------------------------------------------------------
def test_order_items_80x24(snap_compare, store: Store) -> None:
    """Amounts whole, VAT and Shipped kept."""
    shipped_in_part(store)
    assert snap_compare(make_app(store), terminal_size=SIZE, run_before=opened(the_order))


def test_order_items_80x24_ru(snap_compare, store: Store) -> None:
    shipped_in_part(store)
    assert snap_compare(make_app(store, "ru"), terminal_size=SIZE, run_before=opened(the_order))


def test_order_payment_80x24_ru(snap_compare, store: Store) -> None:
    shipped_in_part(store)

    async def run_before(pilot) -> None:
        await opened(the_order)(pilot)
        await pilot.click("#--content-tab-payment")
        await settle(pilot)

    assert snap_compare(make_app(store, "ru"), terminal_size=SIZE, run_before=run_before)


def test_order_shipment_80x24(snap_compare, store: Store) -> None:
    shipped_in_part(store)

    async def run_before(pilot) -> None:
        await opened(the_order)(pilot)
        await pilot.click("#--content-tab-shipment")
        await settle(pilot)

    assert snap_compare(make_app(store), terminal_size=SIZE, run_before=run_before)


# -- products, sync log, help -------------------------------------------------------------------
def test_products_80x24(snap_compare, store: Store) -> None:
    """Price, free stock and unit; a title; F1 and quit."""
    assert snap_compare(make_app(store, home="products"), terminal_size=SIZE, run_before=opened(nothing))


def test_sync_log_80x24_ru(snap_compare, store: Store) -> None:
    """Job names translated, the state header whole."""
    seed_sync_log(store)
    assert snap_compare(make_app(store, "ru"), terminal_size=SIZE, run_before=opened(nothing, "f6"))


def test_sync_log_outbox_80x24(snap_compare, store: Store) -> None:
    seed_sync_log(store)
    assert snap_compare(make_app(store), terminal_size=SIZE, run_before=opened(nothing, "f6", "tab"))


def test_sync_log_empty_outbox_80x24_ru(snap_compare, tmp_path: Path) -> None:
    """Item 13: the empty-outbox message whole, not `Исхо`."""
    bare = Store.open(tmp_path / "bare.duckdb", clock=TestClock())
    try:
        seed_store(bare)
        assert snap_compare(make_app(bare, "ru"), terminal_size=SIZE, run_before=opened(nothing, "f6", "tab"))
    finally:
        bare.close()


def test_card_discard_dialog_80x24_ru(snap_compare, store: Store) -> None:
    """Item 13: the discard dialog's answers whole in Russian (was `esc продол`)."""
    async def run_before(pilot) -> None:
        await opened(the_card)(pilot)
        await pilot.press("end", "x", "escape")
        await settle(pilot)

    assert snap_compare(make_app(store, "ru"), terminal_size=SIZE, run_before=run_before)


def test_help_80x24(snap_compare, store: Store) -> None:
    assert snap_compare(make_app(store), terminal_size=SIZE, run_before=opened(the_card, "f1"))
