"""Clients and invoices the operator works with, and the outbox that carries them to accounting.

Saving and queueing happen in one transaction: a saved invoice is always either local only or
in the outbox, never "saved but forgotten". Totals are computed by `tui_crm.domain`, never here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import duckdb

from tui_crm.domain.invoice import Invoice, InvoiceLine
from tui_crm.domain.models import Client, SyncState
from tui_crm.domain.validation import ClientKind, phone_search_key
from tui_crm.domain.vat import VatRate
from tui_crm.store.accounting import phone_keys
from tui_crm.store.custom import CustomStore
from tui_crm.store.db import Clock, Database


@dataclass(frozen=True)
class ClientRecord:
    """A client as stored: the domain object plus where it stands with accounting."""

    client: Client
    origin: str
    sync_state: SyncState
    sync_error: str | None
    accounting_code: str
    debt: Decimal | None
    created_at: datetime
    updated_at: datetime

    @property
    def id(self) -> str:
        return self.client.id


@dataclass(frozen=True)
class DuplicateHit:
    """An existing client (CRM or accounting) with the same ИНН or phone."""

    id: str
    name: str
    inn: str
    reason: str          # "inn" | "phone"
    source: str          # "crm" | "accounting"


@dataclass(frozen=True)
class InvoiceRecord:
    id: str
    invoice: Invoice
    date: datetime
    number: str
    posted: bool
    deletion_mark: bool
    data_version: str
    bill_id: str | None
    origin: str
    sync_state: SyncState
    sync_error: str | None
    created_at: datetime
    updated_at: datetime
    total: Decimal = Decimal(0)
    vat_total: Decimal = Decimal(0)


@dataclass(frozen=True)
class InvoiceSummary:
    id: str
    client_id: str
    client_name: str
    date: datetime
    number: str
    total: Decimal
    posted: bool
    sync_state: SyncState
    paid: Decimal = Decimal(0)


@dataclass(frozen=True)
class OutboxItem:
    id: int
    kind: str
    object_id: str
    action: str
    state: str
    attempts: int
    next_attempt_at: datetime
    step: str
    last_error: str | None
    created_at: datetime
    updated_at: datetime


CLIENT_COLS = (
    "id, kind, name, full_name, inn, kpp, phones, email, address, comment, origin, sync_state, "
    "sync_error, accounting_code, debt, created_at, updated_at"
)


#: An invoice's columns as `invoice_from_rows` reads them (prefix each with ``i.`` through
#: `prefixed` in a join).
INVOICE_COLS = (
    "id, client_id, warehouse_id, price_type_id, date, comment, amount_includes_vat, doc_discount_pct, number, "
    "posted, deletion_mark, data_version, bill_id, origin, sync_state, sync_error, created_at, updated_at, "
    "total, vat_total"
)
#: A line's columns as `invoice_from_rows` reads them.
INVOICE_LINE_COLS = "product_id, code, name, unit, quantity, price, discount_pct, vat_rate"


def prefixed(cols: str, alias: str) -> str:
    """``a, b`` → ``x.a, x.b``: a column list of this module for a query that joins tables."""
    return ", ".join(f"{alias}.{c.strip()}" for c in cols.split(","))


def invoice_from_rows(r: Sequence[Any], line_rows: Sequence[Sequence[Any]]) -> InvoiceRecord:
    """An `InvoiceRecord` from a row of `INVOICE_COLS` and its lines' rows of `INVOICE_LINE_COLS`."""
    lines = tuple(
        InvoiceLine(product_id=row[0], code=row[1], name=row[2], unit=row[3], quantity=row[4], price=row[5],
                    discount_pct=row[6], vat_rate=VatRate(row[7]))
        for row in line_rows
    )
    invoice = Invoice(
        lines=lines, amount_includes_vat=r[6], document_discount_pct=r[7], client_id=r[1],
        warehouse_id=r[2], price_type_id=r[3], comment=r[5],
    )
    return InvoiceRecord(
        id=r[0], invoice=invoice, date=r[4], number=r[8], posted=r[9], deletion_mark=r[10],
        data_version=r[11], bill_id=r[12], origin=r[13], sync_state=SyncState(r[14]),
        sync_error=r[15], created_at=r[16], updated_at=r[17], total=r[18], vat_total=r[19],
    )


# A re-saved object in these states is already in accounting: its push is an update.
_IN_ACCOUNTING = (SyncState.IN_ACCOUNTING.value, SyncState.CONFLICT.value)


def client_from_row(r: tuple[Any, ...]) -> ClientRecord:
    client = Client(
        id=r[0], kind=ClientKind(r[1]), name=r[2], full_name=r[3], inn=r[4], kpp=r[5],
        phones=tuple(r[6] or ()), email=r[7], address=r[8], comment=r[9],
    )
    return ClientRecord(client, r[10], SyncState(r[11]), r[12], r[13], r[14], r[15], r[16])


def client_search_text(c: Client) -> str:
    return " ".join(x for x in (c.name, c.full_name, c.inn, c.email) if x).lower()


class CrmStore:
    """Clients, invoices and the outbox; mixed into `Store`."""

    db: Database
    clock: Clock

    # -- clients ------------------------------------------------------------------------------
    def save_client(self, client: Client, *, queue: bool = False, now: datetime | None = None,
                    custom: Mapping[str, Any] | None = None) -> None:
        """Insert or update a client; `queue=True` also puts it in the outbox (same transaction);
        `custom` (JSON-safe values by field name) is merged into its company-specific fields."""
        now = now or self.clock()
        keys = phone_keys(client.phones)
        with self.db.transaction() as cur:
            existed = cur.execute("SELECT sync_state FROM clients WHERE id = ?", [client.id]).fetchone()
            cur.execute(
                f"""
                INSERT INTO clients ({CLIENT_COLS.replace(', debt', '')}, phone_keys, search)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'crm', ?, NULL, '', ?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET
                    kind = excluded.kind, name = excluded.name, full_name = excluded.full_name,
                    inn = excluded.inn, kpp = excluded.kpp, phones = excluded.phones,
                    email = excluded.email, address = excluded.address, comment = excluded.comment,
                    phone_keys = excluded.phone_keys, search = excluded.search,
                    updated_at = excluded.updated_at
                """,
                [client.id, client.kind.value, client.name, client.full_name, client.inn, client.kpp,
                 list(client.phones), client.email, client.address, client.comment,
                 SyncState.LOCAL_ONLY.value, now, now, keys, client_search_text(client)],
            )
            if custom:
                CustomStore.write_custom(cur, "clients", client.id, custom)
            taken_over = existed is None and self._take_over(cur, client.id)
            if queue:
                in_accounting = taken_over or (existed is not None and existed[0] in _IN_ACCOUNTING)
                self.enqueue(cur, "client", client.id, "update" if in_accounting else "create", now)
                self._set_state(cur, "clients", client.id, SyncState.QUEUED, None, now)

    @staticmethod
    def _take_over(cur: duckdb.DuckDBPyConnection, client_id: str) -> bool:
        """A first save of a counterparty only accounting had: the CRM copy is based on the version
        the mirror read (its DataVersion and 1C code), so the push writes it as an update of that
        version. An edit made in 1C since is still a conflict; the operator's own edit is not. The
        debt accounting keeps for it comes along, so the card and the list keep showing it."""
        row = cur.execute("SELECT code, data_version, debt FROM counterparties WHERE id = ?", [client_id]).fetchone()
        if row is None:
            return False
        cur.execute("UPDATE clients SET accounting_code = ?, data_version = ?, base_version = ?, debt = ? WHERE id = ?",
                    [row[0], row[1], row[1], row[2], client_id])
        return True

    def get_client(self, client_id: str) -> ClientRecord | None:
        row = self.db.cursor().execute(f"SELECT {CLIENT_COLS} FROM clients WHERE id = ?", [client_id]).fetchone()
        return client_from_row(row) if row else None

    def find_duplicates(
        self, *, inn: str = "", phones: tuple[str, ...] = (), exclude_id: str | None = None
    ) -> list[DuplicateHit]:
        """Clients in the CRM or counterparties in accounting with the same ИНН or a phone."""
        hits: list[DuplicateHit] = []
        cur = self.db.cursor()
        if inn:
            for r in cur.execute(
                "SELECT id, name, inn FROM clients WHERE inn = ? AND id IS DISTINCT FROM ? ORDER BY name",
                [inn, exclude_id],
            ).fetchall():
                hits.append(DuplicateHit(r[0], r[1], r[2], "inn", "crm"))
            for r in cur.execute(
                "SELECT id, name, inn FROM counterparties WHERE inn = ? AND NOT deletion_mark "
                "AND id IS DISTINCT FROM ? AND id NOT IN (SELECT id FROM clients) ORDER BY name",
                [inn, exclude_id],
            ).fetchall():
                hits.append(DuplicateHit(r[0], r[1], r[2], "inn", "accounting"))
        seen = {h.id for h in hits}
        for phone in phones:
            key = phone_search_key(phone)
            if len(key) < 10:
                continue
            for r in cur.execute(
                "SELECT id, name, inn FROM clients WHERE contains(phone_keys, ?) AND id IS DISTINCT FROM ? "
                "ORDER BY name",
                [key[-10:], exclude_id],
            ).fetchall():
                if r[0] not in seen:
                    seen.add(r[0])
                    hits.append(DuplicateHit(r[0], r[1], r[2], "phone", "crm"))
            for r in cur.execute(
                "SELECT id, name, inn FROM counterparties WHERE contains(phone_keys, ?) AND NOT deletion_mark "
                "AND NOT is_folder AND id IS DISTINCT FROM ? AND id NOT IN (SELECT id FROM clients) ORDER BY name",
                [key[-10:], exclude_id],
            ).fetchall():
                if r[0] not in seen:
                    seen.add(r[0])
                    hits.append(DuplicateHit(r[0], r[1], r[2], "phone", "accounting"))
        return hits

    # -- invoices -----------------------------------------------------------------------------
    def save_invoice(
        self,
        invoice_id: str,
        invoice: Invoice,
        *,
        date: datetime,
        queue: bool = True,
        now: datetime | None = None,
        custom: Mapping[str, Any] | None = None,
    ) -> None:
        """Store header and lines (the effective lines, document discount folded in) and queue;
        `custom` (JSON-safe values by field name) is merged into its company-specific fields."""
        if invoice.client_id is None:
            raise ValueError("an invoice needs a client")
        now = now or self.clock()
        with self.db.transaction() as cur:
            existed = cur.execute(
                "SELECT posted, sync_state FROM invoices WHERE id = ?", [invoice_id]
            ).fetchone()
            if existed is not None and existed[0]:
                raise PermissionError("accounting has posted this order; it can no longer be edited")
            cur.execute(
                """
                INSERT INTO invoices (id, client_id, warehouse_id, price_type_id, date, comment,
                    amount_includes_vat, doc_discount_pct, total, vat_total, sync_state, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET
                    client_id = excluded.client_id, warehouse_id = excluded.warehouse_id,
                    price_type_id = excluded.price_type_id, date = excluded.date,
                    comment = excluded.comment, amount_includes_vat = excluded.amount_includes_vat,
                    doc_discount_pct = excluded.doc_discount_pct, total = excluded.total,
                    vat_total = excluded.vat_total, updated_at = excluded.updated_at
                """,
                [invoice_id, invoice.client_id, invoice.warehouse_id, invoice.price_type_id, date,
                 invoice.comment, invoice.amount_includes_vat, invoice.document_discount_pct,
                 invoice.total, invoice.vat_total, SyncState.LOCAL_ONLY.value, now, now],
            )
            cur.execute("DELETE FROM invoice_lines WHERE invoice_id = ?", [invoice_id])
            for n, line in enumerate(invoice.lines, start=1):
                cur.execute(
                    "INSERT INTO invoice_lines VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [invoice_id, n, line.product_id, line.code, line.name, line.unit, line.quantity,
                     line.price, line.discount_pct,
                     line.with_document_discount(invoice.document_discount_pct).amount,
                     line.vat_rate.value,
                     line.with_document_discount(invoice.document_discount_pct).vat(invoice.amount_includes_vat)],
                )
            if custom:
                CustomStore.write_custom(cur, "invoices", invoice_id, custom)
            if queue:
                in_accounting = existed is not None and existed[1] in _IN_ACCOUNTING
                self.enqueue(cur, "invoice", invoice_id, "update" if in_accounting else "create", now)
                self._set_state(cur, "invoices", invoice_id, SyncState.QUEUED, None, now)

    def get_invoice(self, invoice_id: str) -> InvoiceRecord | None:
        cur = self.db.cursor()
        r = cur.execute(f"SELECT {INVOICE_COLS} FROM invoices WHERE id = ?", [invoice_id]).fetchone()
        if r is None:
            return None
        return invoice_from_rows(r, cur.execute(
            f"SELECT {INVOICE_LINE_COLS} FROM invoice_lines WHERE invoice_id = ? ORDER BY line_no",
            [invoice_id]).fetchall())

    def invoice_lines_effective(self, invoice_id: str) -> list[tuple[Any, ...]]:
        """Stored lines with the amounts and VAT as sent to 1C (document discount folded in)."""
        return self.db.cursor().execute(
            "SELECT line_no, product_id, quantity, price, discount_pct, amount, vat_rate, vat "
            "FROM invoice_lines WHERE invoice_id = ? ORDER BY line_no",
            [invoice_id],
        ).fetchall()

    def list_invoices(self, *, client_id: str | None = None, limit: int = 200) -> list[InvoiceSummary]:
        sql = (
            "SELECT i.id, i.client_id, coalesce(c.name, cp.name, ''), i.date, i.number, i.total, i.posted, "
            "i.sync_state, coalesce((SELECT sum(p.amount) FROM payments p WHERE p.invoice_id = i.id "
            "AND p.posted), 0) FROM invoices i LEFT JOIN clients c ON c.id = i.client_id "
            "LEFT JOIN counterparties cp ON cp.id = i.client_id"
        )
        params: list[Any] = []
        if client_id is not None:
            sql += " WHERE i.client_id = ?"
            params.append(client_id)
        sql += " ORDER BY i.date DESC, i.id LIMIT ?"
        params.append(limit)
        return [
            InvoiceSummary(r[0], r[1], r[2], r[3], r[4], r[5], r[6], SyncState(r[7]), r[8])
            for r in self.db.cursor().execute(sql, params).fetchall()
        ]

    # -- outbox -------------------------------------------------------------------------------
    def enqueue(
        self, cur: duckdb.DuckDBPyConnection, kind: str, object_id: str, action: str, now: datetime
    ) -> None:
        """Queue a push; an object already waiting keeps one pending item (the latest state wins).

        An item waiting on a conflict is due again too: the push compares DataVersion once more
        and records a new conflict with the edited values unless they now agree with 1C's."""
        pending = cur.execute(
            "SELECT id, action FROM outbox WHERE kind = ? AND object_id = ? "
            "AND state IN ('pending', 'failed', 'conflict')",
            [kind, object_id],
        ).fetchone()
        if pending is not None:
            keep_action = "create" if pending[1] == "create" else action
            cur.execute(
                "UPDATE outbox SET action = ?, state = 'pending', next_attempt_at = ?, updated_at = ? WHERE id = ?",
                [keep_action, now, now, pending[0]],
            )
            return
        cur.execute(
            "INSERT INTO outbox (kind, object_id, action, next_attempt_at, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [kind, object_id, action, now, now, now],
        )

    def outbox_items(self, states: tuple[str, ...] = ("pending", "sending", "failed", "conflict")) -> list[OutboxItem]:
        marks = ", ".join("?" for _ in states)
        rows = self.db.cursor().execute(
            "SELECT id, kind, object_id, action, state, attempts, next_attempt_at, step, last_error, "
            f"created_at, updated_at FROM outbox WHERE state IN ({marks}) ORDER BY id",
            list(states),
        ).fetchall()
        return [OutboxItem(*r) for r in rows]

    def outbox_count(self) -> int:
        row = self.db.cursor().execute(
            "SELECT count(*) FROM outbox WHERE state IN ('pending', 'sending', 'failed', 'conflict')"
        ).fetchone()
        return int(row[0]) if row else 0

    def _set_state(
        self,
        cur: duckdb.DuckDBPyConnection,
        table: str,
        object_id: str,
        state: SyncState,
        error: str | None,
        now: datetime,
    ) -> None:
        assert table in ("clients", "invoices")
        cur.execute(
            f"UPDATE {table} SET sync_state = ?, sync_error = ?, updated_at = ? WHERE id = ?",
            [state.value, error, now, object_id],
        )


__all__ = [
    "ClientRecord",
    "CrmStore",
    "DuplicateHit",
    "InvoiceRecord",
    "InvoiceSummary",
    "OutboxItem",
]
