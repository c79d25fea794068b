"""Edit conflicts: an accounting object changed since the CRM copy was based on it.

Why the CRM compares DataVersion itself: the vendor says a stale ``If-Match`` gets 412, but live
bases were found to ignore the header (docs/onec-odata-notes.md, "Conflicts"). So before each
PATCH the push reads 1C's DataVersion and compares it with ``base_version``, the version the CRM
copy is based on. When they differ and the fields the CRM would write differ too, the push does
not write: it records a conflict here (1C's object now, the CRM's body, the field differences),
and the outbox item waits in state ``conflict`` until the operator chooses:

* keep 1C's version — the CRM copy takes 1C's values, the item is discarded;
* apply ours — ``base_version`` becomes the version the operator saw, the item is sent again
  (the push re-reads DataVersion first, so a still newer edit is a new conflict);
* edit — saving the object again re-queues the item, and the push compares once more.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import duckdb

from tui_crm.domain.models import SyncState
from tui_crm.store.accounting import phone_keys
from tui_crm.store.db import Clock, Database

_TABLE_OF = {"client": "clients", "invoice": "invoices"}
_COLS = ("id, outbox_id, kind, object_id, seen_version, their_version, theirs, ours, diffs, created_at, "
         "resolved_at, resolution")


@dataclass(frozen=True)
class FieldDiff:
    """One field that differs: its CRM name (``name``, ``inn``, ``quantity`` …), the order line
    (``None`` for a header field) and both values as text."""

    field: str
    line: int | None
    ours: str
    theirs: str


@dataclass(frozen=True)
class ConflictRecord:
    id: int
    outbox_id: int
    kind: str                 # client | invoice
    object_id: str
    seen_version: str
    their_version: str
    theirs: dict[str, Any]
    ours: dict[str, Any]
    diffs: tuple[FieldDiff, ...]
    created_at: datetime
    resolved_at: datetime | None
    resolution: str | None


def _record(row: Sequence[Any]) -> ConflictRecord:
    diffs = tuple(FieldDiff(str(d["field"]), d.get("line"), str(d["ours"]), str(d["theirs"]))
                  for d in json.loads(row[8]))
    return ConflictRecord(int(row[0]), int(row[1]), str(row[2]), str(row[3]), str(row[4]), str(row[5]),
                          json.loads(row[6]), json.loads(row[7]), diffs, row[9], row[10], row[11])


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=lambda v: str(v) if isinstance(v, Decimal) else repr(v))


def close_conflicts(cur: duckdb.DuckDBPyConnection, kind: str, object_id: str, resolution: str,
                    now: datetime) -> None:
    """Close the object's open conflict(s) with ``resolution``."""
    cur.execute("UPDATE conflicts SET resolved_at = ?, resolution = ? WHERE kind = ? AND object_id = ? "
                "AND resolved_at IS NULL", [now, resolution, kind, object_id])


class ConflictStore:
    """Recording and resolving edit conflicts; mixed into `Store`."""

    db: Database
    clock: Clock

    def base_version(self, kind: str, object_id: str) -> str:
        """The DataVersion the CRM copy is based on ('' when unknown)."""
        row = self.db.cursor().execute(
            f"SELECT coalesce(nullif(base_version, ''), data_version) FROM {_TABLE_OF[kind]} WHERE id = ?",
            [object_id],
        ).fetchone()
        return str(row[0] or "") if row else ""

    def set_base_version(self, kind: str, object_id: str, data_version: str) -> None:
        """The CRM wrote the object (or took 1C's version): its copy is based on ``data_version``."""
        with self.db.transaction() as cur:
            cur.execute(f"UPDATE {_TABLE_OF[kind]} SET base_version = ?, data_version = ? WHERE id = ?",
                        [data_version, data_version, object_id])

    def contact_seen(self, owner_id: str) -> dict[str, str]:
        """{kind: value} the CRM last wrote to (or took from) a client's contact records."""
        rows = self.db.cursor().execute(
            "SELECT kind, value FROM contact_seen WHERE owner_id = ?", [owner_id]).fetchall()
        return {str(k): str(v) for k, v in rows}

    def set_contact_seen(self, owner_id: str, kind: str, value: str) -> None:
        """The CRM wrote ``value`` ('' = no record) to the client's contact record of ``kind``."""
        with self.db.transaction() as cur:
            cur.execute("INSERT OR REPLACE INTO contact_seen VALUES (?, ?, ?, NULL)", [owner_id, kind, value])

    def offer_contacts(self, owner_id: str, theirs: dict[str, str]) -> None:
        """1C's values of the records in an open conflict (become the values seen when the
        operator chooses, whichever way)."""
        with self.db.transaction() as cur:
            for kind, value in theirs.items():
                cur.execute("UPDATE contact_seen SET offered = ? WHERE owner_id = ? AND kind = ?",
                            [value, owner_id, kind])

    def ref_name(self, ref: str) -> str | None:
        """The name of a 1C key the CRM knows (product, warehouse, price type, client, contract,
        organization, currency), for showing a conflict's values in words."""
        row = self.db.cursor().execute(
            "SELECT name FROM (SELECT id, name FROM products UNION ALL SELECT id, name FROM warehouses "
            "UNION ALL SELECT id, name FROM price_types UNION ALL SELECT id, name FROM clients "
            "UNION ALL SELECT id, name FROM counterparties UNION ALL SELECT id, name FROM contracts "
            "UNION ALL SELECT id, name FROM organizations UNION ALL SELECT id, name FROM currencies) "
            "WHERE id = ? AND name <> '' LIMIT 1", [ref],
        ).fetchone()
        return str(row[0]) if row else None

    def record_conflict(
        self, item_id: int, kind: str, object_id: str, *, seen_version: str, their_version: str,
        theirs: dict[str, Any], ours: dict[str, Any], diffs: Sequence[FieldDiff], message: str,
        now: datetime | None = None,
    ) -> int:
        """Keep both versions and the differences; the item and the object wait for the operator."""
        now = now or self.clock()
        with self.db.transaction() as cur:
            close_conflicts(cur, kind, object_id, "superseded", now)
            row = cur.execute(
                "INSERT INTO conflicts (outbox_id, kind, object_id, seen_version, their_version, theirs, ours, "
                "diffs, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                [item_id, kind, object_id, seen_version, their_version, _json(theirs), _json(ours),
                 _json([{"field": d.field, "line": d.line, "ours": d.ours, "theirs": d.theirs} for d in diffs]),
                 now],
            ).fetchone()
            cur.execute("UPDATE outbox SET state = 'conflict', last_error = ?, updated_at = ? WHERE id = ?",
                        [message, now, item_id])
            cur.execute(f"UPDATE {_TABLE_OF[kind]} SET sync_state = ?, sync_error = ?, updated_at = ? WHERE id = ?",
                        [SyncState.CONFLICT.value, message, now, object_id])
        assert row is not None
        return int(row[0])

    def open_conflict(self, kind: str, object_id: str) -> ConflictRecord | None:
        """The object's conflict that waits for the operator, if any."""
        row = self.db.cursor().execute(
            f"SELECT {_COLS} FROM conflicts WHERE kind = ? AND object_id = ? AND resolved_at IS NULL "
            "ORDER BY id DESC LIMIT 1", [kind, object_id],
        ).fetchone()
        return _record(row) if row else None

    def conflict(self, conflict_id: int) -> ConflictRecord | None:
        row = self.db.cursor().execute(f"SELECT {_COLS} FROM conflicts WHERE id = ?", [conflict_id]).fetchone()
        return _record(row) if row else None

    def conflict_of_item(self, item_id: int) -> ConflictRecord | None:
        """The open conflict an outbox item waits on."""
        row = self.db.cursor().execute(
            f"SELECT {_COLS} FROM conflicts WHERE outbox_id = ? AND resolved_at IS NULL ORDER BY id DESC LIMIT 1",
            [item_id],
        ).fetchone()
        return _record(row) if row else None

    def _open(self, cur: duckdb.DuckDBPyConnection, conflict_id: int) -> tuple[str, str, str, int] | None:
        """(kind, object id, their version, outbox id) of an open conflict whose item still waits on it."""
        row = cur.execute(
            "SELECT c.kind, c.object_id, c.their_version, c.outbox_id FROM conflicts c "
            "JOIN outbox o ON o.id = c.outbox_id WHERE c.id = ? AND c.resolved_at IS NULL "
            "AND o.state = 'conflict'", [conflict_id],
        ).fetchone()
        return (str(row[0]), str(row[1]), str(row[2]), int(row[3])) if row else None

    def conflict_apply_ours(self, conflict_id: int, now: datetime | None = None) -> bool:
        """Operator: write the CRM's version over 1C's. The copy is now based on the version the
        operator saw; the item is due now (the push re-reads DataVersion before writing).
        False, and nothing changes, when the conflict is no longer open."""
        now = now or self.clock()
        with self.db.transaction() as cur:
            found = self._open(cur, conflict_id)
            if found is None:
                return False
            kind, object_id, their_version, item_id = found
            cur.execute(f"UPDATE {_TABLE_OF[kind]} SET base_version = ?, sync_state = ?, sync_error = NULL, "
                        "updated_at = ? WHERE id = ?", [their_version, SyncState.QUEUED.value, now, object_id])
            cur.execute("UPDATE outbox SET state = 'pending', last_error = NULL, next_attempt_at = ?, updated_at = ? "
                        "WHERE id = ?", [now, now, item_id])
            cur.execute("UPDATE conflicts SET resolved_at = ?, resolution = 'ours' WHERE id = ?", [now, conflict_id])
            # contact records have no DataVersion: the values the operator saw are the base now
            cur.execute("UPDATE contact_seen SET value = offered, offered = NULL WHERE owner_id = ? "
                        "AND offered IS NOT NULL", [object_id])
        return True

    def _keep_theirs(self, cur: duckdb.DuckDBPyConnection, conflict_id: int, data_version: str,
                     now: datetime) -> tuple[str, str] | None:
        found = self._open(cur, conflict_id)
        if found is None:
            return None
        kind, object_id, _, item_id = found
        cur.execute(f"UPDATE {_TABLE_OF[kind]} SET base_version = ?, data_version = ?, sync_state = ?, "
                    "sync_error = NULL, updated_at = ? WHERE id = ?",
                    [data_version, data_version, SyncState.IN_ACCOUNTING.value, now, object_id])
        cur.execute("UPDATE outbox SET state = 'discarded', updated_at = ? WHERE id = ?", [now, item_id])
        cur.execute("UPDATE conflicts SET resolved_at = ?, resolution = 'theirs' WHERE id = ?", [now, conflict_id])
        return kind, object_id

    def conflict_keep_theirs_client(
        self, conflict_id: int, *, name: str, full_name: str, inn: str, kpp: str, comment: str | None,
        code: str, data_version: str, now: datetime | None = None,
    ) -> bool:
        """Operator: drop the CRM's change; the client takes accounting's values as read just now
        (contact details stay as the CRM has them). False when the conflict is no longer open."""
        now = now or self.clock()
        with self.db.transaction() as cur:
            found = self._keep_theirs(cur, conflict_id, data_version, now)
            if found is None:
                return False
            cur.execute(
                "UPDATE clients SET name = ?, full_name = ?, inn = ?, kpp = ?, comment = coalesce(?, comment), "
                "accounting_code = coalesce(nullif(?, ''), accounting_code) WHERE id = ?",
                [name, full_name, inn, kpp, comment, code, found[1]],
            )
            # 1C's contact details shown in the conflict (КА 1.1's register records) are taken too.
            offered = dict(cur.execute("SELECT kind, offered FROM contact_seen WHERE owner_id = ? "
                                       "AND offered IS NOT NULL", [found[1]]).fetchall())
            if "email" in offered or "address" in offered:
                cur.execute("UPDATE clients SET email = coalesce(?, email), address = coalesce(?, address) "
                            "WHERE id = ?", [offered.get("email"), offered.get("address"), found[1]])
            if "phone" in offered:
                phones = [p.strip() for p in str(offered["phone"]).split(",") if p.strip()]
                cur.execute("UPDATE clients SET phones = ?, phone_keys = ? WHERE id = ?",
                            [phones, phone_keys(phones), found[1]])
            cur.execute("UPDATE contact_seen SET value = offered, offered = NULL WHERE owner_id = ? "
                        "AND offered IS NOT NULL", [found[1]])
            # The type-to-filter key, as `crm.client_search_text` builds it.
            cur.execute(
                "UPDATE clients SET search = lower(concat_ws(' ', nullif(name, ''), nullif(full_name, ''), "
                "nullif(inn, ''), nullif(email, ''))) WHERE id = ?", [found[1]],
            )
        return True

    def conflict_keep_theirs_invoice(
        self, conflict_id: int, *, number: str, posted: bool, comment: str, warehouse_id: str | None,
        price_type_id: str | None, amount_includes_vat: bool, total: Decimal,
        lines: Sequence[tuple[Any, ...]], data_version: str, now: datetime | None = None,
    ) -> bool:
        """Operator: drop the CRM's change; the invoice takes the order as accounting has it now.
        ``lines`` are (product, qty, price, discount %, amount, vat rate, vat) as
        `parse.order_full` gives them (1C's discount is the line's whole discount, so the
        invoice's document discount becomes 0). False when the conflict is no longer open."""
        now = now or self.clock()
        with self.db.transaction() as cur:
            found = self._keep_theirs(cur, conflict_id, data_version, now)
            if found is None:
                return False
            iid = found[1]
            vat_total = sum((Decimal(line[6]) for line in lines), Decimal(0))
            cur.execute(
                "UPDATE invoices SET number = ?, posted = ?, comment = ?, warehouse_id = coalesce(?, warehouse_id), "
                "price_type_id = coalesce(?, price_type_id), amount_includes_vat = ?, doc_discount_pct = 0, "
                "total = ?, vat_total = ?, checked_at = ? WHERE id = ?",
                [number, posted, comment, warehouse_id, price_type_id, amount_includes_vat, total, vat_total, now,
                 iid],
            )
            known = {r[0]: (r[1], r[2], r[3]) for r in cur.execute(
                "SELECT product_id, code, name, unit FROM invoice_lines WHERE invoice_id = ?", [iid]).fetchall()}
            names = {r[0]: (r[1], r[2], r[3]) for r in cur.execute(
                "SELECT id, code, name, unit_name FROM products WHERE id IN (SELECT unnest(?::VARCHAR[]))",
                [[line[0] for line in lines]]).fetchall()}
            cur.execute("DELETE FROM invoice_lines WHERE invoice_id = ?", [iid])
            for n, (product, qty, price, disc, amount, rate, vat) in enumerate(lines, start=1):
                code, name, unit = names.get(product) or known.get(product) or ("", "", "")
                cur.execute("INSERT INTO invoice_lines VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            [iid, n, product, code, name, unit, qty, price, disc, amount, rate or "БезНДС", vat])
        return True


__all__ = ["ConflictRecord", "ConflictStore", "FieldDiff", "close_conflicts"]
