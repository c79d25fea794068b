"""Shipped % of `tui-crm status` and the lists: by amount, never litres + pieces + kilograms (issue 11, item 8)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

from tests.clock import TestClock
from tests.seed import INVOICE_ID, add_shipment, mark_posted, seed_client, seed_invoice, seed_store
from tui_crm.status_cmd import from_store, render
from tui_crm.store import Store


def test_status_shipped_pct_is_by_amount_with_mixed_units(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "crm.duckdb", clock=TestClock())
    seed_store(store)
    seed_client(store)
    # 10 l of milk (899.00), 4 pcs of coffee (1 396.00), 2.5 kg of cheese (1 722.50): 4 017.50
    seed_invoice(store, number="КА-000123")
    mark_posted(store)
    assert store.order_progress([INVOICE_ID])[0].shipped_pct == Decimal("0.0")
    add_shipment(store, "РТ-000015", ((1, "10"),))  # all the milk: 10 of 16.5 "units" was 60.6 %
    progress = store.order_progress([INVOICE_ID])[0]
    assert progress.shipped_pct == Decimal("22.4")  # 899.00 / 4 017.50
    add_shipment(store, "РТ-000016", ((6, "1"), (3, "4")))  # 1 kg of cheese (689.00), all the coffee
    assert store.order_progress([INVOICE_ID])[0].shipped_pct == Decimal("74.3")  # 2 984.00 / 4 017.50
    answer = from_store(store, "КА-000123", datetime(2026, 12, 1, 12, 0))
    assert [o["shipped_pct"] for o in answer["invoices"]] == ["74.3"]
    assert "74%" in render(answer)
    add_shipment(store, "РТ-000017", ((6, "1.5"),))
    assert store.order_progress([INVOICE_ID])[0].shipped_pct == Decimal("100.0")
    store.close()


def test_posted_shipment_requests_count_as_shipped_like_the_order_view(tmp_path) -> None:
    """A posted warehouse order of the CRM's request ships its quantities; the sale of the same
    goods is not added on top (the larger per product counts), a rejected one counts nothing."""
    from decimal import Decimal as D

    from tests.clock import TestClock
    from tests.seed import (
        INVOICE_ID,
        add_shipment,
        mark_posted,
        seed_client,
        seed_invoice,
        seed_store,
    )
    from tui_crm.store import ShipmentRequestState, Store

    store = Store.open(tmp_path / "crm.duckdb", clock=TestClock())
    try:
        seed_store(store)
        seed_client(store)
        seed_invoice(store, lines=((1, "10"), (3, "4")))
        mark_posted(store)

        def share() -> D:
            [o] = store.order_progress([INVOICE_ID])
            return o.shipped_share

        assert share() == 0
        rid, _ = store.request_shipment(INVOICE_ID, {1: D(10)})
        gone, _ = store.request_shipment(INVOICE_ID, {2: D(4)})
        assert rid and gone
        with store.transaction() as cur:
            store.apply_shipment_request_states(cur, [ShipmentRequestState(rid, "ТД1", True, False),
                                                      ShipmentRequestState(gone, "ТД2", False, True)],
                                                store.clock())
        line1 = share()
        assert 0 < line1 < 1
        add_shipment(store, "РТ-1", ((1, "10"),))     # the sale of the same goods: not twice
        assert share() == line1
    finally:
        store.close()


def test_paid_and_shipped_pct_round_a_half_alike_away_from_zero() -> None:
    """paid % rounded halves to even (12.25 → 12.2) while shipped % rounded them up (→ 12.3); 1C
    rounds halves away from zero, and one invoice's two figures follow one rule."""
    from tui_crm.store.accounting import OrderProgress

    o = OrderProgress("i", "ТД000000001", "", datetime(2026, 11, 30), Decimal("400.00"), Decimal("49.00"), True,
                      "in_accounting", None, shipped_share=Decimal("0.1225"))
    assert o.shipped_pct == Decimal("12.3")
    assert o.paid_pct == Decimal("12.3")
    o = OrderProgress("i", "ТД000000001", "", datetime(2026, 11, 30), Decimal("400.00"), Decimal("49.40"), True,
                      "in_accounting", None, shipped_share=Decimal("0.1235"))
    assert (o.paid_pct, o.shipped_pct) == (Decimal("12.4"), Decimal("12.4"))


def test_status_shows_a_half_percent_rounded_away_from_zero() -> None:
    """`status` prints whole percents; f"{x:.0f}" rounded 12.5 % to 12 % (halves to even), the
    order view and 1C to 13 %."""
    answer = {"source": "store", "clients": [], "invoices": [{
        "number": "ТД000000001", "client": "Ромашка ООО", "total": "400.00", "paid_pct": "12.5",
        "shipped_pct": "62.5", "posted": True, "sync_state": "in_accounting", "age": "live"}]}
    text = render(answer)
    assert "13%" in text and "63%" in text
    assert "12%" not in text and "62%" not in text


def test_status_amounts_follow_the_language_and_1c_rounding() -> None:
    """Amounts in `status` are written as on the screens: "163 258,17" in Russian (it printed a
    point in either language) and a half kopeck rounded away from zero (f"{x:,.2f}" rounded it to even)."""
    from tui_crm.i18n import set_language

    answer = {"source": "store", "invoices": [], "clients": [{
        "name": "Ромашка ООО", "inn": "7707083893", "debt": "163258.165", "sync_state": "in_accounting"}]}
    try:
        set_language("ru")
        assert "163 258,17" in render(answer)
        set_language("en")
        assert "163 258.17" in render(answer)
    finally:
        set_language("en")
