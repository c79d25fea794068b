"""Shipment requests the operator sends from the order view (docs/shipment.md); mixed into `Store`.

A request is a row of ``shipment_requests`` with its lines, and an outbox item of kind
``shipment`` whose ``object_id`` is the request's id — also the Ref_Key of the document the push
writes in accounting, so a retry finds it instead of writing a second one. What accounting last
said about that document (number, posted, marked for deletion) is kept on the row; the request's
state shown on screen is derived from both by `tui_crm.domain.shipment.request_state`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from tui_crm.domain.shipment import RequestState, request_state
from tui_crm.store.crm import OutboxItem
from tui_crm.store.db import Clock, Database

if TYPE_CHECKING:
    import duckdb


@dataclass(frozen=True, slots=True)
class ShipmentRequestLine:
    line_no: int
    product_id: str
    quantity: Decimal


@dataclass(frozen=True, slots=True)
class ShipmentRequest:
    id: str
    invoice_id: str
    created_at: datetime
    number: str
    posted: bool
    deletion_mark: bool
    in_accounting: bool
    lines: tuple[ShipmentRequestLine, ...]
    item: OutboxItem | None      # its latest outbox item (None once it is gone)

    @property
    def state(self) -> RequestState:
        return request_state(self.item.state if self.item else None, in_accounting=self.in_accounting,
                             posted=self.posted, deletion_mark=self.deletion_mark)

    @property
    def error(self) -> str:
        """1C's message (or the push's reason) when the request failed; '' otherwise."""
        return (self.item.last_error or "") if self.item is not None and self.item.state == "failed" else ""


@dataclass(frozen=True, slots=True)
class ShipmentRequestState:
    """What accounting says about one request's document (read by the pull and the live job)."""

    id: str
    number: str
    posted: bool
    deletion_mark: bool


_ITEM_COLS = "id, kind, object_id, action, state, attempts, next_attempt_at, step, last_error, created_at, updated_at"


class ShipmentStore:
    """Shipment requests: queue, read, and record accounting's answer; mixed into `Store`."""

    db: Database
    clock: Clock

    if TYPE_CHECKING:
        def enqueue(
            self, cur: duckdb.DuckDBPyConnection, kind: str, object_id: str, action: str, now: datetime
        ) -> None: ...

    def request_shipment(self, invoice_id: str, quantities: Mapping[int, Decimal],
                         now: datetime | None = None) -> tuple[str | None, str | None]:
        """Queue a shipment request of the given quantity per order line (1-based line numbers
        of the invoice's lines; lines left out are not requested). Returns (request id, None),
        or (None, why not in plain words) with nothing changed. The form has validated the
        quantities against what is left; this re-checks what could have changed since."""
        now = now or self.clock()
        wanted = {n: q for n, q in quantities.items() if q > 0}
        with self.db.transaction() as cur:
            # Requests the warehouse has not answered yet count against the order too: a form
            # opened before the last request was in (a quick second `s`, a busy store) showed
            # the whole order as left, and the warehouse was asked for it twice. Read inside the
            # write transaction (this thread's cursor, under the one writer's lock): read before
            # it, a request another thread made meanwhile passed the same check.
            asked: dict[int, Decimal] = {}
            for req in self.shipment_requests(invoice_id):
                if req.state.open:
                    for rl in req.lines:
                        asked[rl.line_no] = asked.get(rl.line_no, Decimal(0)) + rl.quantity
            row = cur.execute("SELECT number, deletion_mark FROM invoices WHERE id = ?", [invoice_id]).fetchone()
            if row is None:
                return None, "the invoice is not in the CRM store"
            if not row[0]:
                return None, "the order is not in accounting yet: send the invoice first"
            if row[1]:
                return None, "the order is marked for deletion in accounting"
            if not wanted:
                return None, "no line has a quantity to ship"
            lines = {int(r[0]): (str(r[1]), Decimal(r[2])) for r in cur.execute(
                "SELECT line_no, product_id, quantity FROM invoice_lines WHERE invoice_id = ? ORDER BY line_no",
                [invoice_id]).fetchall()}
            numbered = {n: lines[k] for n, k in enumerate(sorted(lines), start=1)}
            for n, q in wanted.items():
                if n not in numbered:
                    return None, f"the order has no line {n}"
                if q < 0 or q > numbered[n][1]:
                    return None, f"line {n}: more than was ordered"
                if n in asked and q + asked[n] > numbered[n][1]:
                    return None, (f"line {n}: {asked[n].normalize():f} of {numbered[n][1].normalize():f} "
                                  "ordered is already asked for in a request the warehouse has not "
                                  "answered yet")
            rid = str(uuid.uuid4())
            cur.execute("INSERT INTO shipment_requests (id, invoice_id, created_at) VALUES (?, ?, ?)",
                        [rid, invoice_id, now])
            for n, q in sorted(wanted.items()):
                cur.execute("INSERT INTO shipment_request_lines VALUES (?, ?, ?, ?)", [rid, n, numbered[n][0], q])
            self.enqueue(cur, "shipment", rid, "create", now)
        return rid, None

    def shipment_requests(self, invoice_id: str) -> list[ShipmentRequest]:
        """The invoice's requests, oldest first, without those the operator discarded before
        accounting had them."""
        cur = self.db.cursor()
        rows = cur.execute(
            "SELECT id, invoice_id, created_at, number, posted, deletion_mark, in_accounting "
            "FROM shipment_requests WHERE invoice_id = ? ORDER BY created_at, id", [invoice_id]).fetchall()
        out: list[ShipmentRequest] = []
        for r in rows:
            rid = str(r[0])
            lines = tuple(ShipmentRequestLine(int(x[0]), str(x[1]), Decimal(x[2])) for x in cur.execute(
                "SELECT line_no, product_id, quantity FROM shipment_request_lines WHERE request_id = ? "
                "ORDER BY line_no", [rid]).fetchall())
            irow = cur.execute(f"SELECT {_ITEM_COLS} FROM outbox WHERE kind = 'shipment' AND object_id = ? "
                               "ORDER BY id DESC LIMIT 1", [rid]).fetchone()
            item = OutboxItem(*irow) if irow else None
            if item is not None and item.state == "discarded" and not r[6]:
                continue
            out.append(ShipmentRequest(rid, str(r[1]), r[2], str(r[3] or ""), bool(r[4]), bool(r[5]), bool(r[6]),
                                       lines, item))
        return out

    def shipment_request(self, request_id: str) -> tuple[str, list[ShipmentRequestLine]] | None:
        """(invoice id, lines) of one request, for the push."""
        cur = self.db.cursor()
        row = cur.execute("SELECT invoice_id FROM shipment_requests WHERE id = ?", [request_id]).fetchone()
        if row is None:
            return None
        lines = [ShipmentRequestLine(int(x[0]), str(x[1]), Decimal(x[2])) for x in cur.execute(
            "SELECT line_no, product_id, quantity FROM shipment_request_lines WHERE request_id = ? ORDER BY line_no",
            [request_id]).fetchall()]
        return str(row[0]), lines

    def orders_with_shipment_requests(self, invoice_ids: Sequence[str] | None = None) -> list[str]:
        """Orders (of those given, or all) with a request accounting may still answer: the
        pull and the live job read these orders' warehouse orders."""
        cur = self.db.cursor()
        rows = cur.execute(
            "SELECT DISTINCT invoice_id FROM shipment_requests WHERE NOT deletion_mark ORDER BY invoice_id"
        ).fetchall()
        found = [str(r[0]) for r in rows]
        if invoice_ids is None:
            return found
        wanted = set(invoice_ids)
        return [i for i in found if i in wanted]

    def apply_shipment_request_states(self, cur: Any, states: Sequence[ShipmentRequestState],
                                      now: datetime) -> list[str]:
        """Record what accounting says about requests' documents (in the caller's transaction).
        Returns the orders whose requests changed."""
        changed: list[str] = []
        for s in states:
            row = cur.execute("SELECT invoice_id, number, posted, deletion_mark, in_accounting "
                              "FROM shipment_requests WHERE id = ?", [s.id]).fetchone()
            if row is None:
                continue
            if (str(row[1] or ""), bool(row[2]), bool(row[3]), bool(row[4])) != (s.number, s.posted, s.deletion_mark,
                                                                              True):
                cur.execute("UPDATE shipment_requests SET number = ?, posted = ?, deletion_mark = ?, "
                            "in_accounting = TRUE, checked_at = ? WHERE id = ?",
                            [s.number, s.posted, s.deletion_mark, now, s.id])
                if str(row[0]) not in changed:
                    changed.append(str(row[0]))
            else:
                cur.execute("UPDATE shipment_requests SET checked_at = ? WHERE id = ?", [now, s.id])
        return changed

    def released_by_order(self, invoice_id: str) -> list[dict[str, Decimal]]:
        """Per posted request of the order: quantity per product (what the warehouse released)."""
        rows = self.db.cursor().execute(
            "SELECT r.id, l.product_id, l.quantity FROM shipment_requests r "
            "JOIN shipment_request_lines l ON l.request_id = r.id "
            "WHERE r.invoice_id = ? AND r.posted AND NOT r.deletion_mark ORDER BY r.id, l.line_no",
            [invoice_id]).fetchall()
        docs: dict[str, dict[str, Decimal]] = {}
        for rid, product, qty in rows:
            doc = docs.setdefault(str(rid), {})
            doc[str(product)] = doc.get(str(product), Decimal(0)) + Decimal(qty)
        return list(docs.values())


__all__ = ["ShipmentRequest", "ShipmentRequestLine", "ShipmentRequestState", "ShipmentStore"]
