"""Reads and small writes the invoice, order and sync screens need (mixed into `Store`).

Payments and shipments are facts from accounting (filled by the pull); the screens only read
them here and derive paid/shipped state through `tui_crm.domain.status`. The outbox retry and
discard live in `tui_crm.store.outbox` (the sync engine's `retry`/`discard` call them).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from tui_crm.store.accounting import PaymentRow, ShipmentLine, ShipmentRow
from tui_crm.store.crm import OutboxItem
from tui_crm.store.db import Clock, Database
from tui_crm.store.mirror import PickerRow, picker_terms
from tui_crm.store.search import word_start_needles


class OrdersStore:
    """Order-related reads; mixed into `Store`."""

    db: Database
    clock: Clock

    # -- names and references -----------------------------------------------------------------
    def client_name(self, client_id: str | None) -> str:
        """The client's name from the CRM, or from accounting's counterparties; '' if unknown."""
        if not client_id:
            return ""
        row = self.db.cursor().execute(
            "SELECT coalesce((SELECT name FROM clients WHERE id = ?), "
            "(SELECT name FROM counterparties WHERE id = ?), '')",
            [client_id, client_id],
        ).fetchone()
        return str(row[0]) if row else ""

    def price_type_includes_vat(self, price_type_id: str | None) -> bool:
        """`ЦенаВключаетНДС` of a price type (True when unknown, as in most КА 1.1 bases)."""
        if not price_type_id:
            return True
        row = self.db.cursor().execute(
            "SELECT includes_vat FROM price_types WHERE id = ?", [price_type_id]
        ).fetchone()
        return bool(row[0]) if row else True

    def picker_rows_for(
        self, warehouse_id: str | None, price_type_id: str | None, product_ids: Iterable[str]
    ) -> dict[str, PickerRow]:
        """Stock and price of the given products on one warehouse (rows on screen, invoice lines)."""
        ids = sorted(set(product_ids))
        if not ids or not warehouse_id:
            return {}
        rows = self.db.cursor().execute(
            """
            SELECT h.product_id, h.code, h.article, h.name, h.unit_name, h.vat_rate,
                   h.on_hand, h.reserved, h.free_stock, pr.price
            FROM picker h
            LEFT JOIN prices pr ON pr.product_id = h.product_id AND pr.price_type_id = ?
            WHERE h.warehouse_id = ? AND h.product_id IN (SELECT unnest(?::VARCHAR[]))
            """,
            [price_type_id, warehouse_id, ids],
        ).fetchall()
        return {r[0]: PickerRow(*r) for r in rows}

    def product_by_code(
        self, warehouse_id: str, price_type_id: str | None, code: str
    ) -> PickerRow | None:
        """The product whose code (else article) is exactly `code`, case aside, on one warehouse
        with its price: how a script names a product (`tui-crm invoice add --line CODE:QTY`)."""
        needle = code.strip().lower()
        if not needle:
            return None
        row = self.db.cursor().execute(
            """
            SELECT h.product_id, h.code, h.article, h.name, h.unit_name, h.vat_rate,
                   h.on_hand, h.reserved, h.free_stock, pr.price
            FROM picker h
            LEFT JOIN prices pr ON pr.product_id = h.product_id AND pr.price_type_id = ?
            WHERE h.warehouse_id = ? AND (lower(h.code) = ? OR lower(h.article) = ?)
            ORDER BY lower(h.code) = ? DESC, h.code LIMIT 1
            """,
            [price_type_id, warehouse_id, needle, needle, needle],
        ).fetchone()
        return PickerRow(*row) if row else None

    def picker_search(
        self, warehouse_id: str, price_type_id: str | None, text: str = "", limit: int = 50
    ) -> list[PickerRow]:
        """Products on one warehouse whose code, article or name contain every typed word: the
        one product search (the picker's keystroke path, the products screen, tests).

        Ranked by how the first typed word matches: 0 when the name or the code starts with it,
        1 when a word of the name, code or article starts with it (after a space, hyphen, slash,
        bracket or quote: `word_start_needles`), 2 for any other substring; within a rank
        by name, then code. So `сок` lists "Сок яблочный" before "Сахар-песок".

        One query with LIMIT on the denormalised picker table: the filter reads one column
        (`search`, the key of code, article and name), the rank is computed for the hits only
        and DuckDB keeps the best `limit` of them (a top-N, no full sort); prices are joined
        for those rows only. The empty text has no rank: the first `limit` rows in table order,
        which `rebuild_picker` writes sorted by (warehouse, name, code), so no sort at all.
        """
        terms = picker_terms(text)
        where = "".join(" AND contains(search, ?)" for _ in terms)
        rank_params: list[str] = []
        if terms:
            words = word_start_needles(terms[0])
            # search = key(code) ' ' key(article) ' ' key(name) (rebuild_picker), so the name's
            # key starts right after code and article: no per-row translate of the name.
            rank = (
                "CASE WHEN starts_with(search, ?) "
                "OR substr(search, length(code) + length(article) + 3, length(?)) = ? "
                "THEN 0 WHEN " + " OR ".join(["contains(search, ?)"] * len(words)) + " THEN 1 ELSE 2 END"
            )
            rank_params = [terms[0], terms[0], terms[0], *words]
            order = "ORDER BY rank, name, code "
        else:
            rank, order = "0", ""
        rows = self.db.cursor().execute(
            f"""
            WITH hits AS (
                SELECT product_id, code, article, name, unit_name, vat_rate,
                       on_hand, reserved, free_stock, {rank} AS rank
                FROM picker WHERE warehouse_id = ?{where} {order}LIMIT ?
            )
            SELECT h.product_id, h.code, h.article, h.name, h.unit_name, h.vat_rate,
                   h.on_hand, h.reserved, h.free_stock, pr.price
            FROM hits h
            LEFT JOIN prices pr ON pr.product_id = h.product_id AND pr.price_type_id = ?
            ORDER BY h.rank, h.name, h.code
            """,
            [*rank_params, warehouse_id, *terms, limit, price_type_id],
        ).fetchall()
        return [PickerRow(*r) for r in rows]

    # -- payments and shipments --------------------------------------------------------------
    def invoice_payments(self, invoice_id: str) -> list[PaymentRow]:
        rows = self.db.cursor().execute(
            "SELECT id, kind, number, date, invoice_id, amount, posted FROM payments WHERE invoice_id = ? "
            "ORDER BY date NULLS LAST, number, id",
            [invoice_id],
        ).fetchall()
        return [PaymentRow(*r) for r in rows]

    def payments_of(self, invoice_ids: Sequence[str]) -> list[PaymentRow]:
        """The stored payments of these invoices, in one query."""
        if not invoice_ids:
            return []
        rows = self.db.cursor().execute(
            "SELECT id, kind, number, date, invoice_id, amount, posted FROM payments "
            "WHERE invoice_id IN (SELECT unnest(?::VARCHAR[]))",
            [list(invoice_ids)],
        ).fetchall()
        return [PaymentRow(*r) for r in rows]

    def invoice_shipments(self, invoice_id: str) -> list[ShipmentRow]:
        """Shipments of an order with their lines, named as on the invoice (else as the product)."""
        cur = self.db.cursor()
        heads = cur.execute(
            "SELECT id, number, date, posted FROM shipments WHERE invoice_id = ? "
            "ORDER BY date NULLS LAST, number, id",
            [invoice_id],
        ).fetchall()
        lines: dict[str, list[ShipmentLine]] = {}
        for r in cur.execute(
            """
            SELECT sl.shipment_id, sl.line_no, sl.product_id,
                   coalesce(il.name, p.name, ''), coalesce(il.unit, p.unit_name, ''), sl.quantity
            FROM shipment_lines sl
            LEFT JOIN (SELECT product_id, any_value(name) AS name, any_value(unit) AS unit
                       FROM invoice_lines WHERE invoice_id = ? GROUP BY product_id) il
                   ON il.product_id = sl.product_id
            LEFT JOIN products p ON p.id = sl.product_id
            WHERE sl.invoice_id = ?
            ORDER BY sl.shipment_id, sl.line_no
            """,
            [invoice_id, invoice_id],
        ).fetchall():
            lines.setdefault(r[0], []).append(ShipmentLine(r[1], r[2], r[5], name=r[3], unit=r[4]))
        return [ShipmentRow(h[0], h[1], h[2], invoice_id, h[3], tuple(lines.get(h[0], ()))) for h in heads]

    # -- outbox -------------------------------------------------------------------------------
    def outbox_state(self, kind: str, object_id: str) -> OutboxItem | None:
        """The newest outbox row for an object (any state), to show push progress."""
        row = self.db.cursor().execute(
            "SELECT id, kind, object_id, action, state, attempts, next_attempt_at, step, last_error, "
            "created_at, updated_at FROM outbox WHERE kind = ? AND object_id = ? ORDER BY id DESC LIMIT 1",
            [kind, object_id],
        ).fetchone()
        return OutboxItem(*row) if row else None

    def order_reserves(self, invoice_id: str) -> dict[str, Decimal]:
        """Reserved quantity per product of an order, as accounting's reserve register last said."""
        rows = self.db.cursor().execute(
            "SELECT product_id, reserved FROM order_reserves WHERE invoice_id = ?", [invoice_id]).fetchall()
        return {str(r[0]): Decimal(r[1]) for r in rows}

    def set_order_reserves(self, cur: Any, invoice_id: str, reserved: Mapping[str, Decimal]) -> bool:
        """Replace an order's reserved quantities (in the caller's transaction); True if they changed."""
        before = {str(r[0]): Decimal(r[1]) for r in cur.execute(
            "SELECT product_id, reserved FROM order_reserves WHERE invoice_id = ?", [invoice_id]).fetchall()}
        after = {k: v for k, v in reserved.items() if v}
        if before == after:
            return False
        cur.execute("DELETE FROM order_reserves WHERE invoice_id = ?", [invoice_id])
        for product, qty in after.items():
            cur.execute("INSERT INTO order_reserves VALUES (?, ?, ?)", [invoice_id, product, qty])
        return True

    def outbox_object_label(self, kind: str, object_id: str) -> str:
        """A human name for an outbox row: the client's name, or the invoice's number/client."""
        cur = self.db.cursor()
        row: Any
        if kind == "client":
            row = cur.execute("SELECT name FROM clients WHERE id = ?", [object_id]).fetchone()
            return str(row[0]) if row else object_id
        if kind == "shipment":
            ref = cur.execute("SELECT invoice_id FROM shipment_requests WHERE id = ?", [object_id]).fetchone()
            if ref is None:
                return object_id
            object_id = str(ref[0])
        if kind in ("invoice", "reserve", "shipment"):
            row = cur.execute(
                "SELECT i.number, coalesce(c.name, cp.name, ''), i.total FROM invoices i "
                "LEFT JOIN clients c ON c.id = i.client_id "
                "LEFT JOIN counterparties cp ON cp.id = i.client_id WHERE i.id = ?",
                [object_id],
            ).fetchone()
            if row:
                return " ".join(x for x in (str(row[0] or ""), str(row[1] or "")) if x)
        return object_id


__all__ = ["OrdersStore"]
