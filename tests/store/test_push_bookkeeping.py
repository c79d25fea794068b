"""The push's one-statement bookkeeping (store/outbox.py) leaves the store as the statements it
replaced did: the outcome of a client / an invoice, the contact values written, the reads before
an invoice's first request."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from tests.clock import TestClock
from tui_crm.domain.invoice import Invoice, InvoiceLine
from tui_crm.domain.models import Client, SyncState
from tui_crm.domain.validation import ClientKind
from tui_crm.domain.vat import VatRate
from tui_crm.store import Store

C1 = "d0000000-0000-0000-0000-000000000001"
INV = "e0000000-0000-0000-0000-000000000001"


def _store() -> Store:
    store = Store.open(None, clock=TestClock())
    store.save_client(Client(id=C1, kind=ClientKind.LEGAL_ENTITY, name="ООО «Ромашка»", full_name="",
                             inn="7707083893", kpp="773601001"), queue=True, custom={"segment": "опт"})
    inv = Invoice(lines=(InvoiceLine("p1", "00-1", "Молоко", "л", Decimal("3"), Decimal("89.90"), Decimal("5"),
                                     VatRate.НДС10),),
                  client_id=C1, warehouse_id="w", price_type_id="pt")
    store.save_invoice(INV, inv, date=datetime(2026, 11, 30, 10, 0), queue=True)
    store.set_custom("invoice", INV, {"priority": 2})
    return store


def test_client_push_done_is_in_accounting_on_the_version_its_push_recorded() -> None:
    store = _store()
    store.remember_pushed_client(C1, "00-7", "v1")
    store.client_push_done(C1)
    rec = store.get_client(C1)
    assert rec is not None and rec.sync_state is SyncState.IN_ACCOUNTING and rec.accounting_code == "00-7"
    assert store.base_version("client", C1) == "v1" and store.pushed_client_version(C1) == "v1"


def test_invoice_push_done_keeps_the_order_state_and_adds_the_document() -> None:
    store = _store()
    store.invoice_state_from_accounting(INV, number="СЧ-1", data_version="v3", posted=False, deletion_mark=False,
                                        written=True)
    store.invoice_push_done(INV, bill_id="b1", bill_number="Б-1")
    rec = store.get_invoice(INV)
    assert rec is not None and rec.sync_state is SyncState.IN_ACCOUNTING and rec.number == "СЧ-1"
    assert store.invoice_accounting_state(INV) == ("СЧ-1", "v3", False)
    assert store.base_version("invoice", INV) == "v3" and store.invoice_refs(INV)[2] == "b1"
    store.invoice_push_done(INV, bill_id=None, bill_number=None)   # a later push keeps the document
    assert store.invoice_refs(INV)[2] == "b1"


def test_contacts_written_is_set_contact_seen_of_each() -> None:
    store = _store()
    store.set_contact_seen(C1, "phone", "+7 1")
    store.contacts_written(C1, {"phone": "+7 2", "email": "", "address": "Москва"})
    store.contacts_written(C1, {})
    assert store.contact_seen(C1) == {"phone": "+7 2", "email": "", "address": "Москва"}


def test_invoice_push_start_reads_refs_custom_and_the_clients_contract() -> None:
    store = _store()
    got = store.invoice_push_start(INV)
    assert got is not None
    assert (got.refs, got.custom, got.client_contract) == ((None, None, None), {"priority": 2}, None)
    store.invoice_push_refs(INV, contract_id="k1", organization_id="o1", bill_id="b1")
    store.set_client_contract(C1, "k0")
    got = store.invoice_push_start(INV)
    assert got is not None
    assert (got.refs, got.custom, got.client_contract) == (("k1", "o1", "b1"), {"priority": 2}, "k0")
    assert store.invoice_push_start("missing") is None


def test_invoice_push_start_is_the_reads_it_replaced() -> None:
    """Two statements, the same answers as the reads before them: the invoice and its lines
    (`get_invoice`, `invoice_lines_effective`) and the client."""
    store = _store()
    first = InvoiceLine("p1", "00-1", "Молоко", "л", Decimal("3"), Decimal("89.90"), Decimal("5"), VatRate.НДС10)
    second = InvoiceLine("p2", "00-2", "Кефир", "шт", Decimal("2"), Decimal("10"), Decimal(0), VatRate.НДС20)
    store.save_invoice(INV, Invoice(lines=(first, second), client_id=C1, warehouse_id="w", price_type_id="pt",
                                    document_discount_pct=Decimal(2)),
                       date=datetime(2026, 11, 30, 10, 0), queue=True)
    got = store.invoice_push_start(INV)
    assert got is not None
    assert got.record == store.get_invoice(INV) and len(got.record.invoice.lines) == 2
    assert got.lines == store.invoice_lines_effective(INV)
    assert got.client == store.get_client(C1)


def test_invoice_push_batch_is_reserve_request_and_find_contract_of_each() -> None:
    """The claimed invoices' reservation requests and their clients' mirrored contracts, in one
    statement: what `reserve_request` and `find_contract` say of each."""
    store = _store()
    other = "e0000000-0000-0000-0000-000000000002"
    store.save_invoice(other, Invoice(lines=(InvoiceLine("p1", "00-1", "Молоко", "л", Decimal("1"), Decimal("1"),
                                                         Decimal(0), VatRate.НДС10),),
                                      client_id="cp-2", warehouse_id="w", price_type_id="pt"),
                       date=datetime(2026, 11, 30, 10, 0), queue=True)
    assert store.invoice_push_batch([INV, other], "o1", "sale") == {INV: (False, None), other: (False, None)}
    with store.transaction() as cur:
        for key, name in (("k2", "Б"), ("k1", "А")):
            store.remember_contract(cur, (key, C1, "o1", name, "sale", "", "", None, False))
        store.remember_contract(cur, ("k0", C1, "o2", "0", "sale", "", "", None, False))
        store.remember_contract(cur, ("k3", "cp-2", "o1", "0", "purchase", "", "", None, False))
    assert store.request_reserve(INV, "request") is None
    got = store.invoice_push_batch([INV, other, "missing"], "o1", "sale")
    assert got == {INV: (True, "k1"), other: (False, None)}
    assert got[INV][1] == store.find_contract(C1, "o1", "sale") and store.reserve_request(INV) is not None
    assert store.find_contract("cp-2", "o1", "sale") is None and store.reserve_request(other) is None
    assert store.invoice_push_batch([INV], None, "sale") == {INV: (True, None)}   # no organization: no contract
    assert store.invoice_push_batch([], "o1", "sale") == {}


def test_invoice_push_done_with_the_orders_state_is_the_two_writes_it_replaced() -> None:
    """The order's state folded into the outcome (`order=`) leaves the invoice as recording the
    state first (`invoice_state_from_accounting`, written) and the outcome after it did."""
    two, one = _store(), _store()
    two.invoice_state_from_accounting(INV, number="СЧ-1", data_version="v3", posted=False, deletion_mark=False,
                                      written=True)
    two.invoice_push_done(INV, bill_id="b1", bill_number="Б-1")
    one.invoice_push_done(INV, bill_id="b1", bill_number="Б-1", order=("СЧ-1", "v3", False, False))
    for store in (two, one):
        rec = store.get_invoice(INV)
        assert rec is not None and rec.sync_state is SyncState.IN_ACCOUNTING and rec.number == "СЧ-1"
        assert store.invoice_accounting_state(INV) == ("СЧ-1", "v3", False)
        assert store.base_version("invoice", INV) == "v3" and store.invoice_refs(INV)[2] == "b1"


def test_client_push_start_is_get_client_and_client_custom() -> None:
    store = _store()
    assert store.client_push_start(C1) == (store.get_client(C1), store.client_custom(C1))
    assert store.client_push_start(C1)[1] == {"segment": "опт"}
    assert store.client_push_start("missing") == (None, {})
