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
