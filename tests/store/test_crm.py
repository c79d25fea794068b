"""CRM tables: clients with duplicate checks, invoices with lines, the outbox."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from tests.clock import TestClock
from tui_crm.domain.invoice import Invoice, InvoiceLine
from tui_crm.domain.models import Client, SyncState
from tui_crm.domain.validation import ClientKind
from tui_crm.domain.vat import VatRate
from tui_crm.store import Store

C1 = "d0000000-0000-0000-0000-000000000001"
C2 = "d0000000-0000-0000-0000-000000000002"
INV = "e0000000-0000-0000-0000-000000000001"


def _client(id_: str = C1, **kw: object) -> Client:
    base = {"id": id_, "kind": ClientKind.LEGAL_ENTITY, "name": "ООО «Ромашка»",
            "full_name": "Общество «Ромашка»", "inn": "7707083893", "kpp": "773601001",
            "phones": ("+7 (912) 345-67-89",), "email": "info@romashka.ru"}
    base.update(kw)
    return Client(**base)  # type: ignore[arg-type]


def test_client_save_find_and_queue() -> None:
    store = Store.open(None, clock=TestClock())
    store.save_client(_client())
    rec = store.get_client(C1)
    assert rec is not None and rec.sync_state is SyncState.LOCAL_ONLY and rec.client.kpp == "773601001"
    assert [r.id for r in store.client_rows("ромаш")] == [C1]
    assert [r.id for r in store.client_rows("912 345")] == [C1]
    assert [r.id for r in store.client_rows("7707083893")] == [C1]
    assert store.client_rows("'; DROP TABLE clients; --") == []
    store.save_client(_client(), queue=True)
    assert store.get_client(C1).sync_state is SyncState.QUEUED  # type: ignore[union-attr]
    store.save_client(_client(comment="second save"), queue=True)
    items = store.outbox_items()
    assert [(i.kind, i.object_id, i.action) for i in items] == [("client", C1, "create")]


def test_duplicates_by_inn_and_phone() -> None:
    store = Store.open(None, clock=TestClock())
    store.save_client(_client())
    hits = store.find_duplicates(inn="7707083893", exclude_id=C2)
    assert [(h.id, h.reason, h.source) for h in hits] == [(C1, "inn", "crm")]
    hits = store.find_duplicates(phones=("8 912 345 67 89",), exclude_id=C2)
    assert [(h.id, h.reason) for h in hits] == [(C1, "phone")]
    assert store.find_duplicates(inn="7707083893", exclude_id=C1) == []


def test_invoice_roundtrip_and_posted_lock() -> None:
    store = Store.open(None, clock=TestClock())
    store.save_client(_client())
    inv = Invoice(
        lines=(InvoiceLine("p1", "00-1", "Молоко", "л", Decimal("3"), Decimal("89.90"), Decimal("5"), VatRate.НДС10),),
        client_id=C1, warehouse_id="w", price_type_id="pt", document_discount_pct=Decimal("10"),
    )
    store.save_invoice(INV, inv, date=datetime(2026, 11, 30, 10, 0))
    rec = store.get_invoice(INV)
    assert rec is not None and rec.sync_state is SyncState.QUEUED
    assert rec.total == inv.total and rec.invoice.lines[0].quantity == Decimal("3.000")
    assert [s.id for s in store.list_invoices(client_id=C1)] == [INV]
    assert store.outbox_count() == 1
    with store.transaction() as cur:
        cur.execute("UPDATE invoices SET posted = TRUE WHERE id = ?", [INV])
    with pytest.raises(PermissionError, match="posted"):
        store.save_invoice(INV, inv, date=datetime(2026, 11, 30, 10, 0))


def test_outbox_retry_and_discard_are_one_pair_with_guards() -> None:
    """Retry/discard act on failed or pending items only; retry queues the object again and
    clears its push error; discard leaves a never-pushed object local only, error cleared."""
    store = Store.open(None, clock=TestClock())
    store.save_client(_client(), queue=True)
    (item,) = store.claim_outbox()
    store.outbox_failed(item.id, "1C says no")
    rec = store.get_client(C1)
    assert rec is not None and rec.sync_state is SyncState.FAILED and rec.sync_error == "1C says no"
    assert store.outbox_retry(item.id)
    rec = store.get_client(C1)
    assert rec is not None and rec.sync_state is SyncState.QUEUED and rec.sync_error is None
    (claimed,) = store.claim_outbox()
    assert not store.outbox_retry(claimed.id) and not store.outbox_discard(claimed.id)  # being sent
    store.outbox_failed(claimed.id, "still no")
    assert store.outbox_discard(claimed.id)
    rec = store.get_client(C1)
    assert rec is not None and rec.sync_state is SyncState.LOCAL_ONLY and rec.sync_error is None
    assert not store.outbox_retry(claimed.id) and not store.outbox_discard(claimed.id)  # discarded
