"""Issue 12 part 2 (shipment requests): the request form, a refused quantity in it, and the
Shipment tab with requests in every state, at 80×24 and 120×36 in English and Russian."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from tests.clock import TestClock
from tests.seed import (
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
from tui_crm.store import ShipmentRequestState, Store

SIZES = {"80x24": (80, 24), "120x36": (120, 36)}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "crm.duckdb", clock=TestClock())
    seed_store(s)
    seed_client(s)
    seed_invoice(s)
    mark_posted(s)
    yield s
    s.close()


def _answered(store: Store, rid: str, number: str, *, posted: bool = False, deleted: bool = False) -> None:
    """The push wrote the request's document; accounting says what became of it."""
    req = next(r for r in store.shipment_requests(INVOICE_ID) if r.id == rid)
    assert req.item is not None
    store.outbox_done(req.item.id)
    with store.transaction() as cur:
        store.apply_shipment_request_states(cur, [ShipmentRequestState(rid, number, posted, deleted)],
                                            store.clock())


def requests_in_every_state(store: Store) -> None:
    """Shipped (posted by the warehouse), waiting in accounting, rejected, refused by 1C, queued."""
    add_shipment(store, "РТ-000015", ((1, "2"),), day=30)
    shipped, _ = store.request_shipment(INVOICE_ID, {1: Decimal(3)})
    waiting, _ = store.request_shipment(INVOICE_ID, {2: Decimal(1)})
    rejected, _ = store.request_shipment(INVOICE_ID, {2: Decimal(3)})
    failed, _ = store.request_shipment(INVOICE_ID, {3: Decimal("0.5")})
    queued, _ = store.request_shipment(INVOICE_ID, {3: Decimal(1)})
    assert shipped and waiting and rejected and failed and queued
    _answered(store, shipped, "ТД00000001", posted=True)
    _answered(store, waiting, "ТД00000002")
    _answered(store, rejected, "ТД00000003", deleted=True)
    item = next(r for r in store.shipment_requests(INVOICE_ID) if r.id == failed).item
    assert item is not None
    store.outbox_failed(item.id, "Сущность 'Document_РасходныйОрдерНаТовары' не найдена")


@pytest.mark.parametrize("lang", ["en", "ru"])
@pytest.mark.parametrize("size", sorted(SIZES))
def test_shipment_tab_with_requests(snap_compare, store: Store, size: str, lang: str) -> None:
    requests_in_every_state(store)

    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)

    app = screen_app(store, lambda s: OrderScreen(s, INVOICE_ID), lang=lang)
    assert snap_compare(app, terminal_size=SIZES[size], run_before=run_before)


@pytest.mark.parametrize("lang", ["en", "ru"])
@pytest.mark.parametrize("size", sorted(SIZES))
def test_shipment_request_form(snap_compare, store: Store, size: str, lang: str) -> None:
    add_shipment(store, "РТ-000015", ((1, "2"),), day=30)
    waiting, _ = store.request_shipment(INVOICE_ID, {2: Decimal(1)})
    assert waiting
    _answered(store, waiting, "ТД00000002")

    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)

    app = screen_app(store, lambda s: OrderScreen(s, INVOICE_ID), lang=lang)
    assert snap_compare(app, terminal_size=SIZES[size], run_before=run_before)


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_shipment_request_form_refuses_too_much(snap_compare, store: Store, lang: str) -> None:
    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        await pilot.press("down", "backspace", "backspace", "9", "9")
        await settle(pilot)

    app = screen_app(store, lambda s: OrderScreen(s, INVOICE_ID), lang=lang)
    assert snap_compare(app, terminal_size=SIZES["80x24"], run_before=run_before)


async def test_a_profile_without_shipment_requests_refuses_in_plain_words(store: Store, tmp_path: Path) -> None:
    """A (copied) profile that maps no shipment request: the key says so and nothing is queued
    or opened."""
    from tui_crm.config import AccountingSettings
    from tui_crm.sync.service import SyncService

    copy = tmp_path / "no-requests.toml"
    copy.write_text('extends = "ut11"\n[shipment_request]\nentity = ""\n', encoding="utf-8")
    service = SyncService.from_settings(store, AccountingSettings(url="http://127.0.0.1:9/x/", profile=str(copy)))
    app = screen_app(store, lambda s: OrderScreen(s, INVOICE_ID), service=service)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await pilot.press("s")
            await settle(pilot)
            assert isinstance(app.screen, OrderScreen)
            assert [n.message for n in app._notifications] == [
                "Shipment requests are not available for this accounting configuration yet."]
            assert store.shipment_requests(INVOICE_ID) == []
    finally:
        await service.aclose()
