"""The outbox as the push job sees it: claim due items, record steps, finish, fail, retry.

Why steps are stored: an update of a sent order, a reservation and a shipment request are several
requests; each completed one is recorded in its own transaction, so a process killed between two
requests resumes at the next one. A create (client, invoice) records none since the sixth push
round: every key it writes under is known without one, and each create looks its key up first
on a retry (docs/architecture.md §3, "Push"), so nothing is created twice. Old steps
("counterparty", "contract", "order") found in a store are still resumed from.

States: pending → sending → done | failed | conflict | discarded. A ``sending`` item found at
start-up was interrupted (crash, kill -9) and is claimed again like a pending one. A ``conflict``
item waits for the operator's choice (store/conflicts.py); it is never claimed or retried as is.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import duckdb

from tui_crm.domain.models import SyncState
from tui_crm.store.conflicts import close_conflicts
from tui_crm.store.crm import (
    CLIENT_COLS,
    INVOICE_COLS,
    ClientRecord,
    InvoiceRecord,
    OutboxItem,
    client_from_row,
    invoice_from_rows,
)
from tui_crm.store.db import Clock, Database, unique_runs

_ITEM_COLS = (
    "id, kind, object_id, action, state, attempts, next_attempt_at, step, last_error, created_at, updated_at"
)
_TABLE_OF = {"client": "clients", "invoice": "invoices"}


#: Bodies kept per object in `sent_bodies`: an answer is lost, not a history.
SENT_BODIES_KEPT = 4


def _wire_number(value: object) -> float:
    """A Decimal in a body is kept as the number it went out as (1C's JSON has no Decimal)."""
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"not JSON: {type(value).__name__}")


def _json_object(text: str | None) -> dict[str, Any]:
    """A stored JSON object column ({} when empty or unreadable)."""
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


@dataclass(frozen=True)
class InvoicePushStart:
    """What `OutboxStore.invoice_push_start` reads: the invoice, its lines as sent to 1C
    (`CrmStore.invoice_lines_effective`), the refs an earlier attempt recorded (contract,
    organization, invoice document), its custom fields, its client and the client's remembered
    contract."""

    record: InvoiceRecord
    lines: list[tuple[Any, ...]]
    refs: tuple[str | None, str | None, str | None]
    custom: dict[str, Any]
    client: ClientRecord | None
    client_contract: str | None


_LINE_COLS = "line_no, product_id, code, name, unit, quantity, price, discount_pct, vat_rate, amount, vat"


def _push_start(row: tuple[Any, ...], lines: list[tuple[Any, ...]]) -> InvoicePushStart:
    """An invoice's push start from its row (`INVOICE_COLS`, then contract, organization and
    custom fields) and its lines (`_LINE_COLS`, by line number), without its client."""
    n = len(INVOICE_COLS.split(","))
    head = row[:n]
    contract_id, organization, custom_text = row[n:n + 3]
    record = invoice_from_rows(head, [(r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8]) for r in lines])
    return InvoicePushStart(
        record=record,
        lines=[(r[0], r[1], r[5], r[6], r[7], r[9], r[8], r[10]) for r in lines],
        refs=(contract_id, organization, head[12]),
        custom=_json_object(custom_text),
        client=None,
        client_contract=None,
    )


def _keeps_queued(kind: str, item: str = "$item", obj: str = "$id", state: str = "$state") -> str:
    """The SQL of a pushed object's new sync state (parameters ``$state``, ``$item``, ``$id``):
    ``$state`` — unless a save after item ``$item`` was claimed queued a newer item for the object,
    which then keeps the state that save gave it. Items are numbered in order, so only rows after
    ``$item`` are looked at (DuckDB skips the older row groups by their min/max)."""
    return (f"CASE WHEN {item}::BIGINT IS NOT NULL AND EXISTS (SELECT 1 FROM outbox o WHERE o.id > {item} "
            f"AND o.kind = '{kind}' AND o.object_id = {obj} AND o.state = 'pending') THEN sync_state ELSE {state} END")


def _outbox_done_rows(cur: duckdb.DuckDBPyConnection, rows: list[tuple[int, datetime]]) -> None:
    """`OutboxStore.outbox_done` (without conflicts) of the rows (item id, now): one statement."""
    if len(rows) == 1:
        cur.execute("UPDATE outbox SET state = 'done', step = 'done', last_error = NULL, updated_at = ? "
                    "WHERE id = ?", [rows[0][1], rows[0][0]])
        return
    for run in unique_runs(rows, lambda r: r[0]):
        cur.execute("UPDATE outbox SET state = 'done', step = 'done', last_error = NULL, updated_at = v.at "
                    "FROM (SELECT unnest(?::BIGINT[]) AS id, unnest(?::TIMESTAMP[]) AS at) v WHERE outbox.id = v.id",
                    [[r[0] for r in run], [r[1] for r in run]])


def _client_done_rows(cur: duckdb.DuckDBPyConnection,
                      rows: list[tuple[str, int | None, str | None, str | None, datetime]]) -> None:
    """`OutboxStore.client_push_done` of the rows (client id, item id, code, DataVersion, now)."""
    if len(rows) == 1:
        client_id, item_id, code, version, now = rows[0]
        cur.execute(f"UPDATE clients SET sync_state = {_keeps_queued('client')}, sync_error = NULL, "
                    "accounting_code = coalesce($code, accounting_code), "
                    "data_version = coalesce($version, data_version), "
                    "base_version = coalesce($version, data_version), updated_at = $now WHERE id = $id",
                    {"state": SyncState.IN_ACCOUNTING.value, "item": item_id, "code": code, "version": version,
                     "now": now, "id": client_id})
        return
    for run in unique_runs(rows, lambda r: r[0]):
        cols = list(zip(*run, strict=True))
        state = _keeps_queued("client", "v.v_item", "clients.id", "v.v_state")
        cur.execute(f"UPDATE clients SET sync_state = {state}, sync_error = NULL, "
                    "accounting_code = coalesce(v.v_code, accounting_code), "
                    "data_version = coalesce(v.v_version, data_version), "
                    "base_version = coalesce(v.v_version, data_version), updated_at = v.v_at "
                    "FROM (SELECT unnest($id::VARCHAR[]) AS v_id, unnest($item::BIGINT[]) AS v_item, "
                    "unnest($code::VARCHAR[]) AS v_code, unnest($version::VARCHAR[]) AS v_version, "
                    "unnest($now::TIMESTAMP[]) AS v_at, $state AS v_state) v WHERE clients.id = v.v_id",
                    {"id": list(cols[0]), "item": list(cols[1]), "code": list(cols[2]), "version": list(cols[3]),
                     "now": list(cols[4]), "state": SyncState.IN_ACCOUNTING.value})


def _invoice_done_rows(cur: duckdb.DuckDBPyConnection, rows: list[tuple[Any, ...]]) -> None:
    """`OutboxStore.invoice_push_done` of the rows (invoice id, item id, bill id, contract,
    organization, number, DataVersion, posted, deletion mark, bill number, now)."""
    if len(rows) == 1:
        (invoice_id, item_id, bill_id, contract_id, organization_id, number, version, posted, deleted,
         bill_number, now) = rows[0]
        cur.execute(
            f"UPDATE invoices SET sync_state = {_keeps_queued('invoice')}, sync_error = NULL, "
            "bill_id = coalesce($bill, bill_id), contract_id = coalesce($contract, contract_id), "
            "organization_id = coalesce($org, organization_id), number = coalesce($number, number), "
            "data_version = coalesce($version, data_version), posted = coalesce($posted, posted), "
            "deletion_mark = coalesce($deleted, deletion_mark), base_version = coalesce($version, data_version), "
            "bill_number = coalesce($bill_number, bill_number), checked_at = $now, updated_at = $now "
            "WHERE id = $id",
            {"state": SyncState.IN_ACCOUNTING.value, "item": item_id, "bill": bill_id,
             "contract": contract_id, "org": organization_id, "number": number,
             "version": version, "posted": posted, "deleted": deleted, "bill_number": bill_number, "now": now,
             "id": invoice_id})
        return
    for run in unique_runs(rows, lambda r: r[0]):
        cols = [list(c) for c in zip(*run, strict=True)]
        cur.execute(
            f"UPDATE invoices SET sync_state = {_keeps_queued('invoice', 'v.v_item', 'invoices.id', 'v.v_state')}, "
            "sync_error = NULL, bill_id = coalesce(v.v_bill, bill_id), "
            "contract_id = coalesce(v.v_contract, contract_id), "
            "organization_id = coalesce(v.v_org, organization_id), number = coalesce(v.v_number, number), "
            "data_version = coalesce(v.v_version, data_version), posted = coalesce(v.v_posted, posted), "
            "deletion_mark = coalesce(v.v_deleted, deletion_mark), base_version = coalesce(v.v_version, data_version), "
            "bill_number = coalesce(v.v_bill_number, bill_number), checked_at = v.v_at, updated_at = v.v_at "
            "FROM (SELECT unnest($id::VARCHAR[]) AS v_id, unnest($item::BIGINT[]) AS v_item, "
            "unnest($bill::VARCHAR[]) AS v_bill, unnest($contract::VARCHAR[]) AS v_contract, "
            "unnest($org::VARCHAR[]) AS v_org, unnest($number::VARCHAR[]) AS v_number, "
            "unnest($version::VARCHAR[]) AS v_version, unnest($posted::BOOLEAN[]) AS v_posted, "
            "unnest($deleted::BOOLEAN[]) AS v_deleted, unnest($bill_number::VARCHAR[]) AS v_bill_number, "
            "unnest($now::TIMESTAMP[]) AS v_at, $state AS v_state) v WHERE invoices.id = v.v_id",
            {"id": cols[0], "item": cols[1], "bill": cols[2], "contract": cols[3], "org": cols[4],
             "number": cols[5], "version": cols[6], "posted": cols[7], "deleted": cols[8], "bill_number": cols[9],
             "now": cols[10], "state": SyncState.IN_ACCOUNTING.value})


def _contacts_rows(cur: duckdb.DuckDBPyConnection,
                   rows: list[tuple[str, dict[str, str], dict[str, str]]]) -> None:
    """`OutboxStore.contacts_written` of the rows (owner, values to INSERT, values to INSERT OR
    REPLACE): one statement of each verb for all owners."""
    for run in unique_runs(rows, lambda r: r[0]):
        for verb in ("INSERT", "INSERT OR REPLACE"):
            triples = [(owner, k, v) for owner, fresh, known in run
                       for k, v in (fresh if verb == "INSERT" else known).items()]
            if triples:
                cur.execute(f"{verb} INTO contact_seen SELECT unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), "
                            "unnest(?::VARCHAR[]), NULL",
                            [[t[0] for t in triples], [t[1] for t in triples], [t[2] for t in triples]])


def _trim_sent(cur: duckdb.DuckDBPyConnection, entity: str, key: str, seq: int, text: str) -> None:
    """After body ``text`` went in as (entity, key)'s newest, ``seq``: the same body kept before is
    dropped (kept once, as the newest), and the oldest beyond `SENT_BODIES_KEPT` by rank, not by
    number (a repeat leaves a gap)."""
    kept = cur.execute("SELECT seq, body FROM sent_bodies WHERE entity = ? AND object_key = ? AND seq < ? "
                       "ORDER BY seq", [entity, key, seq]).fetchall()
    others = [int(s) for s, b in kept if b != text]
    drop = [int(s) for s, b in kept if b == text] + others[:max(0, len(others) - (SENT_BODIES_KEPT - 1))]
    if drop:
        cur.execute("DELETE FROM sent_bodies WHERE entity = ? AND object_key = ? "
                    "AND seq IN (SELECT unnest(?::BIGINT[]))", [entity, key, drop])


class OutboxStore:
    """Claiming and marking outbox items; mixed into `Store`."""

    db: Database
    clock: Clock

    def remember_sent(self, entity: str, key: str, body: dict[str, Any]) -> None:
        """Keep `body` as one of the last bodies written to 1C's object (entity, key), before the
        request goes out (see `sent_bodies` in schema.sql). The same body sent again (a retry
        after a 5xx, a resumed step) is kept once, as the newest: repeats must not push out an
        earlier body whose answer was lost — 1C may still hold that one."""
        text = json.dumps(body, ensure_ascii=False, default=_wire_number)
        with self.db.transaction() as cur:
            # The body goes in as the newest first, in one statement; what is kept is read only
            # when something was (the first body of an object, the push's usual case, is one
            # statement; four before the fourth round, two before this): the same body is
            # dropped to be kept once as the newest, and the oldest beyond the newest few by
            # rank, not by number (a repeat leaves a gap).
            row = cur.execute("INSERT INTO sent_bodies SELECT ?, ?, coalesce(max(seq), 0) + 1, ? FROM sent_bodies "
                              "WHERE entity = ? AND object_key = ? RETURNING seq",
                              [entity, key, text, entity, key]).fetchone()
            seq = int(row[0]) if row else 1
            if seq > 1:
                _trim_sent(cur, entity, key, seq, text)

    def remember_sent_many(self, entity: str, bodies: list[tuple[str, dict[str, Any]]]) -> None:
        """`remember_sent` of many objects of ``entity`` (each key once): one statement puts every
        body in as its object's newest; only objects that had bodies kept already are then read
        and trimmed as `remember_sent` does. For the bodies a push knows at its claim (the
        orders of claimed invoices), kept in the claim's commit instead of one commit each."""
        if not bodies:
            return
        texts = [json.dumps(body, ensure_ascii=False, default=_wire_number) for _key, body in bodies]
        with self.db.transaction() as cur:
            rows = cur.execute(
                "INSERT INTO sent_bodies SELECT v.e, v.k, coalesce((SELECT max(s.seq) FROM sent_bodies s "
                "WHERE s.entity = v.e AND s.object_key = v.k), 0) + 1, v.b FROM (SELECT ?::VARCHAR AS e, "
                "unnest(?::VARCHAR[]) AS k, unnest(?::VARCHAR[]) AS b) v RETURNING object_key, seq",
                [entity, [k for k, _b in bodies], texts]).fetchall()
            text_of = {k: t for (k, _b), t in zip(bodies, texts, strict=True)}
            for key, seq in rows:
                if int(seq) > 1:
                    _trim_sent(cur, entity, str(key), int(seq), text_of[str(key)])

    def sent_bodies(self, entity: str, key: str) -> list[dict[str, Any]]:
        """The last bodies written to (entity, key), oldest first ([] when none or unreadable)."""
        rows = self.db.cursor().execute(
            "SELECT body FROM sent_bodies WHERE entity = ? AND object_key = ? ORDER BY seq",
            [entity, key]).fetchall()
        out: list[dict[str, Any]] = []
        for (text,) in rows:
            try:
                body = json.loads(text)
            except ValueError:
                continue
            if isinstance(body, dict):
                out.append(body)
        return out

    if TYPE_CHECKING:  # provided by CrmStore in `Store`
        def enqueue(
            self, cur: duckdb.DuckDBPyConnection, kind: str, object_id: str, action: str, now: datetime
        ) -> None: ...

    def claim_outbox(self, now: datetime | None = None, limit: int = 50) -> list[OutboxItem]:
        """Due items (pending and interrupted ones), oldest first, marked ``sending``.

        Clients come before invoices of the same age; the push job additionally pushes an
        invoice's client first when it is not yet in accounting.
        """
        now = now or self.clock()
        with self.db.transaction() as cur:
            rows = cur.execute(
                f"SELECT {_ITEM_COLS} FROM outbox WHERE (state = 'pending' AND next_attempt_at <= ?) "
                "OR state = 'sending' ORDER BY CASE kind WHEN 'client' THEN 0 ELSE 1 END, id LIMIT ?",
                [now, limit],
            ).fetchall()
            ids = [r[0] for r in rows]
            if ids:
                cur.execute(
                    "UPDATE outbox SET state = 'sending', attempts = attempts + 1, claimed_at = ?, "
                    "updated_at = ? WHERE id IN (SELECT unnest(?::BIGINT[]))",
                    [now, now, ids],
                )
        items = [OutboxItem(*r) for r in rows]
        return [
            OutboxItem(i.id, i.kind, i.object_id, i.action, "sending", i.attempts + 1, i.next_attempt_at,
                       i.step, i.last_error, i.created_at, now)
            for i in items
        ]

    def claim_outbox_for(self, kind: str, object_id: str, now: datetime | None = None) -> OutboxItem | None:
        """Claim the open item of one object (used to push a client right before its invoice)."""
        now = now or self.clock()
        with self.db.transaction() as cur:
            row = cur.execute(
                f"SELECT {_ITEM_COLS} FROM outbox WHERE kind = ? AND object_id = ? "
                "AND state IN ('pending', 'sending') ORDER BY id LIMIT 1",
                [kind, object_id],
            ).fetchone()
            if row is None:
                return None
            cur.execute(
                "UPDATE outbox SET state = 'sending', attempts = attempts + 1, claimed_at = ?, updated_at = ? "
                "WHERE id = ?",
                [now, now, row[0]],
            )
        i = OutboxItem(*row)
        return OutboxItem(i.id, i.kind, i.object_id, i.action, "sending", i.attempts + 1, i.next_attempt_at,
                          i.step, i.last_error, i.created_at, now)

    def outbox_clients(self, item_ids: list[int]) -> dict[int, str]:
        """The client each item belongs to (a client item: itself; an invoice, a reservation
        request and a shipment request: the invoice's client), so the push can keep one
        client's items in order while it sends others' at once: a reservation or shipment
        request waits for its invoice, which waits for its client, so all three share a lane."""
        if not item_ids:
            return {}
        rows = self.db.cursor().execute(
            "SELECT o.id, CASE WHEN o.kind = 'client' THEN o.object_id "
            "ELSE coalesce(i.client_id, o.object_id) END FROM outbox o "
            "LEFT JOIN shipment_requests r ON o.kind = 'shipment' AND r.id = o.object_id "
            "LEFT JOIN invoices i ON i.id = CASE o.kind WHEN 'invoice' THEN o.object_id "
            "WHEN 'reserve' THEN o.object_id WHEN 'shipment' THEN r.invoice_id END "
            "WHERE o.id IN (SELECT unnest(?::BIGINT[]))",
            [item_ids],
        ).fetchall()
        return {int(r[0]): str(r[1]) for r in rows}

    def outbox_item(self, item_id: int) -> OutboxItem | None:
        row = self.db.cursor().execute(f"SELECT {_ITEM_COLS} FROM outbox WHERE id = ?", [item_id]).fetchone()
        return OutboxItem(*row) if row else None

    def outbox_open_for(self, kind: str, object_id: str) -> OutboxItem | None:
        """The object's item that is still to be pushed (pending, sending, failed or waiting on a
        conflict), if any."""
        row = self.db.cursor().execute(
            f"SELECT {_ITEM_COLS} FROM outbox WHERE kind = ? AND object_id = ? "
            "AND state IN ('pending', 'sending', 'failed', 'conflict') ORDER BY id LIMIT 1",
            [kind, object_id],
        ).fetchone()
        return OutboxItem(*row) if row else None

    def outbox_step(self, item_id: int, step: str, now: datetime | None = None) -> None:
        """Record that a step of a multi-request push has completed (its own transaction)."""
        now = now or self.clock()
        with self.db.transaction() as cur:
            cur.execute("UPDATE outbox SET step = ?, updated_at = ? WHERE id = ?", [step, now, item_id])

    def outbox_done(self, item_id: int, now: datetime | None = None, *, conflicts: bool = True) -> None:
        """The item reached accounting; its object's open conflicts are closed as "sent".

        ``conflicts=False``: the caller knows the object has no open conflict (the push reads
        which objects have one with its claim, `open_conflict_objects`, and only its own
        `record_conflict` opens one): the conflicts table is not touched — one statement of
        ~0.6-1.5 ms fewer an item."""
        now = now or self.clock()
        if not conflicts:
            # with the other items' outcomes of the writer's group in one statement (`batched`)
            self.db.batched("outbox_done", _outbox_done_rows, (item_id, now))
            return
        with self.db.transaction() as cur:
            row = cur.execute(
                "UPDATE outbox SET state = 'done', step = 'done', last_error = NULL, updated_at = ? WHERE id = ? "
                "RETURNING kind, object_id",
                [now, item_id],
            ).fetchone()
            if row is not None:
                close_conflicts(cur, row[0], row[1], "sent", now)

    def open_conflict_objects(self) -> set[tuple[str, str]]:
        """(kind, object id) of every object with an open conflict: read once with a push's
        claim, so an item's outcome touches the conflicts table only when it can close one."""
        rows = self.db.cursor().execute(
            "SELECT DISTINCT kind, object_id FROM conflicts WHERE resolved_at IS NULL").fetchall()
        return {(str(k), str(o)) for k, o in rows}

    def outbox_later(self, item_id: int, error: str, next_attempt_at: datetime, now: datetime | None = None) -> None:
        """Accounting could not be reached: keep the item pending until ``next_attempt_at``."""
        now = now or self.clock()
        with self.db.transaction() as cur:
            row = cur.execute("SELECT kind, object_id FROM outbox WHERE id = ?", [item_id]).fetchone()
            cur.execute(
                "UPDATE outbox SET state = 'pending', last_error = ?, next_attempt_at = ?, updated_at = ? "
                "WHERE id = ?",
                [error, next_attempt_at, now, item_id],
            )
            if row is not None and row[0] in _TABLE_OF:
                cur.execute(
                    f"UPDATE {_TABLE_OF[row[0]]} SET sync_error = ? WHERE id = ?", [error, row[1]]
                )

    def outbox_failed(self, item_id: int, error: str, now: datetime | None = None) -> None:
        """Accounting refused the item: keep 1C's message, wait for the user (retry/discard)."""
        now = now or self.clock()
        with self.db.transaction() as cur:
            row = cur.execute("SELECT kind, object_id FROM outbox WHERE id = ?", [item_id]).fetchone()
            cur.execute(
                "UPDATE outbox SET state = 'failed', last_error = ?, updated_at = ? WHERE id = ?",
                [error, now, item_id],
            )
            # A reserve request is its own item: its failure is the request's, not the invoice's.
            if row is not None and row[0] in _TABLE_OF:
                cur.execute(
                    f"UPDATE {_TABLE_OF[row[0]]} SET sync_state = ?, sync_error = ?, updated_at = ? WHERE id = ?",
                    [SyncState.FAILED.value, error, now, row[1]],
                )

    def outbox_retry(self, item_id: int, now: datetime | None = None) -> bool:
        """User action: send a failed (or waiting) item again now.

        False, and nothing changes, when the item is not failed or pending (being sent, done,
        discarded). A failed object is queued again and its last push error cleared.
        """
        now = now or self.clock()
        with self.db.transaction() as cur:
            row = cur.execute(
                "UPDATE outbox SET state = 'pending', next_attempt_at = ?, updated_at = ? "
                "WHERE id = ? AND state IN ('failed', 'pending') RETURNING kind, object_id",
                [now, now, item_id],
            ).fetchone()
            if row is None:
                return False
            if row[0] in _TABLE_OF:
                cur.execute(
                    f"UPDATE {_TABLE_OF[row[0]]} SET sync_state = ?, sync_error = NULL, updated_at = ? "
                    "WHERE id = ? AND sync_state = ?",
                    [SyncState.QUEUED.value, now, row[1], SyncState.FAILED.value],
                )
        return True

    def outbox_discard(self, item_id: int, now: datetime | None = None) -> bool:
        """User action: give up on an item (False when it is not failed, pending or in conflict).

        The object stays in the CRM: in accounting if 1C has it (it has a number / code), local
        only otherwise (the user can queue it later). Only a queued or failed object changes
        state, and the error of the abandoned push is cleared.
        """
        now = now or self.clock()
        with self.db.transaction() as cur:
            row = cur.execute(
                "UPDATE outbox SET state = 'discarded', updated_at = ? "
                "WHERE id = ? AND state IN ('failed', 'pending', 'conflict') RETURNING kind, object_id",
                [now, item_id],
            ).fetchone()
            if row is None:
                return False
            close_conflicts(cur, row[0], row[1], "discarded", now)
            if row[0] in _TABLE_OF:
                table = _TABLE_OF[row[0]]
                number_col = "number" if table == "invoices" else "accounting_code"
                cur.execute(
                    f"UPDATE {table} SET sync_state = CASE WHEN {number_col} <> '' THEN ? ELSE ? END, "
                    "sync_error = NULL, updated_at = ? WHERE id = ? AND sync_state IN (?, ?)",
                    [SyncState.IN_ACCOUNTING.value, SyncState.LOCAL_ONLY.value, now, row[1],
                     SyncState.QUEUED.value, SyncState.FAILED.value],
                )
        return True

    def outbox_release(self, item_ids: list[int], next_attempt_at: datetime, now: datetime | None = None) -> None:
        """Give claimed items back untouched (accounting went down before their turn)."""
        if not item_ids:
            return
        now = now or self.clock()
        with self.db.transaction() as cur:
            cur.execute(
                "UPDATE outbox SET state = 'pending', attempts = greatest(attempts - 1, 0), next_attempt_at = ?, "
                "updated_at = ? WHERE state = 'sending' AND id IN (SELECT unnest(?::BIGINT[]))",
                [next_attempt_at, now, item_ids],
            )

    def request_reserve(self, invoice_id: str, mode: str, now: datetime | None = None) -> str | None:
        """Queue the reservation of an invoice's goods (``mode`` "post" or "request",
        docs/reservation.md). Returns why it cannot be done (plain words; nothing changes), or
        None when queued. A second request while one is open is the same request."""
        if mode not in ("post", "request"):
            raise ValueError(f"unknown reserve mode {mode!r}")
        now = now or self.clock()
        with self.db.transaction() as cur:
            row = cur.execute(
                "SELECT posted, deletion_mark, (SELECT count(*) FROM invoice_lines l WHERE l.invoice_id = i.id) "
                "FROM invoices i WHERE id = ?", [invoice_id]).fetchone()
            if row is None:
                return "the invoice is not in the CRM store"
            if row[0]:
                return "accounting has posted this order: its goods are reserved already"
            if row[1]:
                return "the order is marked for deletion in accounting"
            if not row[2]:
                return "the invoice has no lines to reserve"
            self.enqueue(cur, "reserve", invoice_id, mode, now)
            cur.execute("UPDATE outbox SET action = ? WHERE kind = 'reserve' AND object_id = ? "
                        "AND state = 'pending'", [mode, invoice_id])
        return None

    def reserve_request(self, invoice_id: str) -> OutboxItem | None:
        """The invoice's latest reservation request (any state but discarded), if any."""
        row = self.db.cursor().execute(
            f"SELECT {_ITEM_COLS} FROM outbox WHERE kind = 'reserve' AND object_id = ? "
            "AND state <> 'discarded' ORDER BY id DESC LIMIT 1", [invoice_id]).fetchone()
        return OutboxItem(*row) if row else None

    def queue_push(self, kind: str, object_id: str, action: str = "create", now: datetime | None = None) -> None:
        """Queue an object that was never queued (a draft client its invoice needs) and mark it
        queued, as saving it from its screen would."""
        now = now or self.clock()
        with self.db.transaction() as cur:
            self.enqueue(cur, kind, object_id, action, now)
            cur.execute(
                f"UPDATE {_TABLE_OF[kind]} SET sync_state = ? WHERE id = ?", [SyncState.QUEUED.value, object_id]
            )

    def pushed_client_version(self, client_id: str) -> str:
        """The counterparty's DataVersion as last written or read by the push ('' if unknown)."""
        row = self.db.cursor().execute("SELECT data_version FROM clients WHERE id = ?", [client_id]).fetchone()
        return str(row[0] or "") if row else ""

    def remember_pushed_client(self, client_id: str, code: str, data_version: str) -> None:
        """The counterparty is written (its contacts may still be to come): keep its 1C code and
        DataVersion."""
        with self.db.transaction() as cur:
            cur.execute(
                "UPDATE clients SET accounting_code = ?, data_version = ?, base_version = ? WHERE id = ?",
                [code, data_version, data_version, client_id]
            )

    def client_push_done(self, client_id: str, now: datetime | None = None, *,
                         written: tuple[str, str] | None = None, item_id: int | None = None) -> None:
        """The client's push is over: it is in accounting, based on the DataVersion its push
        recorded (`remember_pushed_client`, `set_base_version`) — or on ``written`` (1C code,
        DataVersion) as the counterparty's write this attempt answered, recorded here in the same
        statement (`remember_pushed_client` is then not needed). One statement for what was a
        read of the client, a read of that version and an update writing them back.

        ``item_id``: the outbox item whose push this is. A save of the client after that item was
        claimed queued a newer item (`_keeps_queued`): the client then stays as that save left it
        (queued), not "in accounting" — its last edit has not gone yet."""
        now = now or self.clock()
        code, version = written if written is not None else (None, None)
        # with the other clients' outcomes of the writer's group in one statement (`batched`)
        self.db.batched("client_push_done", _client_done_rows, (client_id, item_id, code, version, now))

    def invoice_push_done(self, invoice_id: str, *, bill_id: str | None, bill_number: str | None,
                          order: tuple[str, str, bool, bool] | None = None, contract_id: str | None = None,
                          organization_id: str | None = None, now: datetime | None = None,
                          item_id: int | None = None) -> None:
        """The invoice's push is over: it is in accounting, based on the order's state — ``order``
        (number, DataVersion, posted, deletion mark) as its create answered, or else as the push
        recorded it (`invoice_state_from_accounting`) — with its invoice document's key and
        number when it has one, and the contract and organization the order was written with
        (`invoice_refs`; a create no longer records them before its order's request: a resume
        computes them again). One statement for what was five (the refs, the order's state, a
        read of that state, an update writing it back).

        ``item_id``: as for `client_push_done` — an invoice saved again after its item was claimed
        stays queued, its edit still to go."""
        now = now or self.clock()
        number, version, posted, deleted = order if order is not None else (None, None, None, None)
        # with the other invoices' outcomes of the writer's group in one statement (`batched`)
        self.db.batched("invoice_push_done", _invoice_done_rows,
                        (invoice_id, item_id, bill_id, contract_id or None, organization_id or None, number, version,
                         posted, deleted, bill_number, now))

    def client_push_start(self, client_id: str) -> tuple[ClientRecord | None, dict[str, Any]]:
        """The client and its custom fields, as a client's push reads them before its first
        request: one statement on the one table (was `get_client` and `client_custom`)."""
        row = self.db.cursor().execute(f"SELECT {CLIENT_COLS}, custom FROM clients WHERE id = ?",
                                       [client_id]).fetchone()
        if row is None:
            return None, {}
        return client_from_row(tuple(row[:-1])), _json_object(row[-1])

    def invoice_push_start(self, invoice_id: str, *, client: bool = True) -> InvoicePushStart | None:
        """What an invoice's push reads of the store before its first request: the invoice (with
        its refs and custom fields), its lines, and — with ``client`` — its client with the
        client's remembered contract; one point read of each table. None when the invoice is not
        in the store. Was six reads, then two statements: the invoice joined with its client
        (DuckDB plans the join as a hash join over the clients table: ~2.5 ms on a bench store,
        against ~0.8 + ~0.7 for the two point reads) and its lines.

        ``client=False``: the caller knows the client needs no push (`invoice_clients_ready`, or
        it pushed it itself): ``client`` and ``client_contract`` are None, one read fewer."""
        cur = self.db.cursor()
        row = cur.execute(f"SELECT {INVOICE_COLS}, contract_id, organization_id, custom FROM invoices WHERE id = ?",
                          [invoice_id]).fetchone()
        if row is None:
            return None
        lines = cur.execute(
            f"SELECT {_LINE_COLS} FROM invoice_lines WHERE invoice_id = ? ORDER BY line_no", [invoice_id]).fetchall()
        got = _push_start(row, lines)
        if client and got.record.invoice.client_id:
            found, client_contract = self.invoice_push_client(got.record.invoice.client_id)
            return dataclasses.replace(got, client=found, client_contract=client_contract)
        return got

    def invoice_push_starts(self, invoice_ids: list[str]) -> dict[str, InvoicePushStart]:
        """`invoice_push_start(…, client=False)` of many invoices in two statements (the
        invoices, then all their lines), for the invoices a push claims: a statement costs
        ~0.6-1 ms of the writer thread whatever it reads, so two point reads per invoice
        (~2.6 ms on a bench store of 1000 invoices) become ~12 ms for 50. An invoice not in
        the store is not in the answer."""
        if not invoice_ids:
            return {}
        cur = self.db.cursor()
        rows = cur.execute(f"SELECT {INVOICE_COLS}, contract_id, organization_id, custom FROM invoices "
                           "WHERE id IN (SELECT unnest(?::VARCHAR[]))", [invoice_ids]).fetchall()
        lines: dict[str, list[tuple[Any, ...]]] = {str(r[0]): [] for r in rows}
        for line in cur.execute(f"SELECT invoice_id, {_LINE_COLS} FROM invoice_lines "
                                "WHERE invoice_id IN (SELECT unnest(?::VARCHAR[])) ORDER BY invoice_id, line_no",
                                [invoice_ids]).fetchall():
            lines[str(line[0])].append(line[1:])
        return {str(r[0]): _push_start(r, lines[str(r[0])]) for r in rows}

    def client_push_starts(self, client_ids: list[str]) -> dict[str, tuple[ClientRecord, dict[str, Any],
                                                                          dict[str, str]]]:
        """`client_push_start` and `contact_seen` of many clients in two statements (the clients,
        then all their contact values last seen), for the clients a push claims: two point reads
        per new client become two for the claim. A client not in the store is not in the answer."""
        if not client_ids:
            return {}
        cur = self.db.cursor()
        rows = cur.execute(f"SELECT {CLIENT_COLS}, custom FROM clients WHERE id IN (SELECT unnest(?::VARCHAR[]))",
                           [client_ids]).fetchall()
        seen: dict[str, dict[str, str]] = {str(r[0]): {} for r in rows}
        for owner, kind, value in cur.execute(
                "SELECT owner_id, kind, value FROM contact_seen WHERE owner_id IN (SELECT unnest(?::VARCHAR[]))",
                [client_ids]).fetchall():
            if str(owner) in seen:
                seen[str(owner)][str(kind)] = str(value)
        return {str(r[0]): (client_from_row(tuple(r[:-1])), _json_object(r[-1]), seen[str(r[0])]) for r in rows}

    def invoice_push_client(self, client_id: str) -> tuple[ClientRecord | None, str | None]:
        """An invoice's client as its push reads it (`invoice_push_start`): the client (None
        when the CRM has no such client) and its remembered contract."""
        row = self.db.cursor().execute(f"SELECT {CLIENT_COLS}, nullif(contract_id, '') FROM clients WHERE id = ?",
                                       [client_id]).fetchone()
        return (client_from_row(tuple(row[:-1])), row[-1]) if row is not None else (None, None)

    def invoice_clients_ready(self, invoice_ids: list[str]) -> dict[str, str | None]:
        """Of the invoices a push claimed, those whose client needs no push first, in one
        statement: no CRM client row (a counterparty only accounting has), a client in
        accounting, or one the CRM did not make (`Pusher._ensure_client`'s test) — each with
        its client's remembered contract. Their invoices' starts then skip the client's read."""
        if not invoice_ids:
            return {}
        rows = self.db.cursor().execute(
            "SELECT i.id, nullif(c.contract_id, '') FROM invoices i LEFT JOIN clients c ON c.id = i.client_id "
            "WHERE i.id IN (SELECT unnest(?::VARCHAR[])) AND coalesce(i.client_id, '') <> '' "
            "AND (c.id IS NULL OR c.sync_state = ? OR coalesce(c.origin, '') <> 'crm')",
            [invoice_ids, SyncState.IN_ACCOUNTING.value]).fetchall()
        return {str(r[0]): r[1] for r in rows}

    def invoice_push_batch(self, invoice_ids: list[str], organization_id: str | None,
                           contract_kind: str) -> dict[str, tuple[bool, str | None]]:
        """For the invoices a push claimed, in one statement: whether each has a reservation
        request (`reserve_request` is then read for it alone) and a sales contract of its client
        with ``organization_id`` of ``contract_kind`` in the mirror (`find_contract`; None
        without an organization). Was two reads per invoice, ~1.4 ms of the writer thread."""
        if not invoice_ids:
            return {}
        rows = self.db.cursor().execute(
            "SELECT i.id, EXISTS (SELECT 1 FROM outbox o WHERE o.kind = 'reserve' AND o.object_id = i.id "
            "AND o.state <> 'discarded'), CASE WHEN ?::VARCHAR IS NULL THEN NULL ELSE "
            "(SELECT k.id FROM contracts k WHERE k.counterparty_id = i.client_id AND k.organization_id = ? "
            "AND k.kind = ? AND NOT coalesce(k.deletion_mark, FALSE) ORDER BY k.name, k.id LIMIT 1) END "
            "FROM invoices i WHERE i.id IN (SELECT unnest(?::VARCHAR[]))",
            [organization_id, organization_id, contract_kind, invoice_ids]).fetchall()
        return {str(r[0]): (bool(r[1]), r[2]) for r in rows}

    def contacts_written(self, owner_id: str, values: dict[str, str], seen: Collection[str] | None = None) -> None:
        """The push wrote these contact values ({kind: value}, '' = no record) to the client's
        records: `set_contact_seen` of each.

        ``seen``: the kinds that had a row when the push read them (`contact_seen`, at the
        item's start). Only those can have one now — nothing else adds rows of a client's
        contacts, and the client's push reads them again at each attempt (a resume after kill -9,
        a retry) — so the others go in with a plain INSERT (~1.2 ms against ~2.8 for
        `INSERT OR REPLACE`, whose conflict check is what costs). None: any kind may have a row."""
        if not values:
            return
        fresh = {k: v for k, v in values.items() if seen is not None and k not in seen}
        known = {k: v for k, v in values.items() if k not in fresh}
        # with the other clients' values of the writer's group in one statement of each verb (`batched`)
        self.db.batched("contacts_written", _contacts_rows, (owner_id, fresh, known))

    def outbox_failed_items(self, limit: int = 100) -> list[OutboxItem]:
        rows = self.db.cursor().execute(
            f"SELECT {_ITEM_COLS} FROM outbox WHERE state = 'failed' ORDER BY id LIMIT ?", [limit]
        ).fetchall()
        return [OutboxItem(*r) for r in rows]


__all__ = ["OutboxStore"]
