"""Issue 12 (reserve): the order view's reserve line and Reserved column, and the confirmation
before the CRM posts an order, at 80×24 and 120×36 in English and Russian."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from tests.clock import TestClock
from tests.seed import (
    CLIENT_ID,
    INVOICE_ID,
    add_shipment,
    mark_posted,
    screen_app,
    seed_client,
    seed_invoice,
    seed_store,
    settle,
)
from tui_crm.screens.order import OrderScreen
from tui_crm.store import Store

SIZES = {"80x24": (80, 24), "120x36": (120, 36)}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "crm.duckdb", clock=TestClock())
    seed_store(s)
    seed_client(s)
    seed_invoice(s)
    yield s
    s.close()


def reserved(store: Store) -> None:
    """Reserved by the CRM (its request done), accounting posted it, part of it shipped."""
    assert CLIENT_ID
    item = store.outbox_open_for("invoice", INVOICE_ID)
    if item is not None:
        store.outbox_done(item.id)
    store.invoice_pushed(INVOICE_ID, number="КА-000123", data_version="1", posted=False)
    assert store.request_reserve(INVOICE_ID, "post") is None
    req = store.reserve_request(INVOICE_ID)
    assert req is not None
    store.outbox_done(req.id)
    mark_posted(store)
    lines = store.get_invoice(INVOICE_ID).invoice.lines  # type: ignore[union-attr]
    with store.transaction() as cur:
        store.set_order_reserves(cur, INVOICE_ID, {
            line.product_id: line.quantity - (Decimal(2) if n == 0 else Decimal(0))
            for n, line in enumerate(lines)})
    add_shipment(store, "РТ-000015", ((1, "2"),), day=30)


@pytest.mark.parametrize("lang", ["en", "ru"])
@pytest.mark.parametrize("size", sorted(SIZES))
def test_order_items_reserved(snap_compare, store: Store, size: str, lang: str) -> None:
    reserved(store)
    app = screen_app(store, lambda s: OrderScreen(s, INVOICE_ID), lang=lang, reserve_policy="post")
    assert snap_compare(app, terminal_size=SIZES[size], run_before=settle)


@pytest.mark.parametrize("lang", ["en", "ru"])
@pytest.mark.parametrize("size", sorted(SIZES))
def test_reserve_confirmation(snap_compare, store: Store, size: str, lang: str) -> None:
    mark_posted(store)
    store.invoice_pushed(INVOICE_ID, number="КА-000123", data_version="1", posted=False)

    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)

    app = screen_app(store, lambda s: OrderScreen(s, INVOICE_ID), lang=lang, reserve_policy="post")
    assert snap_compare(app, terminal_size=SIZES[size], run_before=run_before)


@pytest.mark.parametrize("lang", ["en", "ru"])
@pytest.mark.parametrize("size", sorted(SIZES))
def test_order_items_without_reserves(snap_compare, store: Store, size: str, lang: str) -> None:
    """БП 3 keeps no reserves: the reserve line says so and Reserved shows "—", not 0."""
    from tui_crm.config import AccountingSettings
    from tui_crm.sync.service import SyncService

    store.invoice_pushed(INVOICE_ID, number="БС-000123", data_version="1", posted=False)
    service = SyncService.from_settings(store, AccountingSettings(url="http://127.0.0.1:9/x/", profile="bp3"))
    app = screen_app(store, lambda s: OrderScreen(s, INVOICE_ID), lang=lang, service=service)
    assert snap_compare(app, terminal_size=SIZES[size], run_before=settle)
