"""What accounting says about clients and orders: counterparties, contracts, organization, the
state of our orders, payments and shipments against them, debt (live stock and prices: mirror.py).

Writes come as plain values from `tui_crm.sync`, inside the caller's transaction (one job = one
transaction). Pull writes never overwrite an invoice whose push is in flight: the push is the
authority on it until it completes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

import duckdb

from tui_crm.domain.models import SyncState
from tui_crm.domain.number import search_words
from tui_crm.domain.shipment import shipped_per_product
from tui_crm.domain.status import OrderedLine, percent, shipped_share
from tui_crm.domain.validation import phone_search_key
from tui_crm.store.db import Clock, Database
from tui_crm.store.mirror import bulk_insert
from tui_crm.store.search import short_number_match

DEBT_KEY_COLUMNS = (("id", "VARCHAR"), ("counterparty_id", "VARCHAR"))
COUNTERPARTY_COLUMNS = (
    ("id", "VARCHAR"), ("code", "VARCHAR"), ("name", "VARCHAR"), ("full_name", "VARCHAR"),
    ("inn", "VARCHAR"), ("kpp", "VARCHAR"), ("legal_form", "VARCHAR"), ("is_folder", "BOOLEAN"),
    ("deletion_mark", "BOOLEAN"), ("data_version", "VARCHAR"), ("phones", "VARCHAR[]"),
    ("email", "VARCHAR"), ("address", "VARCHAR"), ("comment", "VARCHAR"), ("custom", "VARCHAR"),
)
CONTRACT_COLUMNS = (
    ("id", "VARCHAR"), ("counterparty_id", "VARCHAR"), ("organization_id", "VARCHAR"), ("name", "VARCHAR"),
    ("kind", "VARCHAR"), ("settlement", "VARCHAR"), ("data_version", "VARCHAR"), ("currency_id", "VARCHAR"),
    ("deletion_mark", "BOOLEAN"),
)
ORGANIZATION_COLUMNS = (
    ("id", "VARCHAR"), ("name", "VARCHAR"), ("inn", "VARCHAR"), ("prefix", "VARCHAR"),
    ("data_version", "VARCHAR"), ("kpp", "VARCHAR"), ("full_name", "VARCHAR"), ("deletion_mark", "BOOLEAN"),
)
CURRENCY_COLUMNS = (("id", "VARCHAR"), ("code", "VARCHAR"), ("name", "VARCHAR"))


def phone_keys(phones: Iterable[str]) -> str:
    """The digits of each phone (national part of Russian numbers), space separated: what
    `contains(phone_keys, ?)` searches, for CRM clients and accounting's counterparties alike."""
    return " ".join(k for k in (phone_search_key(p) for p in phones) if k)


_IN_FLIGHT = "SELECT object_id FROM outbox WHERE kind = 'invoice' AND state IN ('pending', 'sending')"


@dataclass(frozen=True)
class OrderState:
    """The header facts of one order as accounting has them."""

    id: str
    number: str
    date: datetime | None
    posted: bool
    deletion_mark: bool
    data_version: str
    client_id: str | None = None
    total: Decimal | None = None
    contract_id: str | None = None
    custom: str = ""  # company-specific values accounting holds (JSON), "" when none were read


@dataclass(frozen=True)
class PaymentRow:
    """A payment document (bank or cash receipt) settled against one of our orders."""

    id: str
    kind: str            # bank | cash
    number: str
    date: datetime | None
    invoice_id: str
    amount: Decimal
    posted: bool


@dataclass(frozen=True)
class ShipmentLine:
    """One line of a shipment; `name` and `unit` are filled by the store's reads (from the
    invoice line, else the product), the pull leaves them blank."""

    line_no: int
    product_id: str
    quantity: Decimal
    name: str = ""
    unit: str = ""


@dataclass(frozen=True)
class ShipmentRow:
    """A shipment (РеализацияТоваровУслуг) made on the basis of one of our orders, with its lines."""

    id: str
    number: str
    date: datetime | None
    invoice_id: str
    posted: bool
    lines: tuple[ShipmentLine, ...] = ()


@dataclass(frozen=True)
class OrderProgress:
    """Paid and shipped shares of one invoice, for `tui-crm status` and the screens."""

    id: str
    number: str
    client_name: str
    date: datetime
    total: Decimal
    paid: Decimal
    posted: bool
    sync_state: str
    checked_at: datetime | None
    shipped_share: Decimal = Decimal(0)  # by amount, 0…1 (tui_crm.domain.status.shipped_share)

    @property
    def paid_pct(self) -> Decimal:
        """Paid % of the total, one decimal (tui_crm.domain.status.percent: halves away from zero)."""
        return Decimal(0) if not self.total else percent(self.paid / self.total)

    @property
    def shipped_pct(self) -> Decimal:
        """Shipped % by amount, one decimal (tui_crm.domain.status.percent: halves away from zero)."""
        return percent(self.shipped_share)


def _replace_all(cur: duckdb.DuckDBPyConnection, table: str, columns: Sequence[tuple[str, str]],
                 rows: Sequence[Sequence[Any]]) -> None:
    """Make a small keyed table equal to ``rows`` with one MERGE (unchanged rows untouched). A key
    that comes twice (an element read on two `$skip` pages, or twice in one answer) is taken once,
    as last read: two source rows for one key used to end the job with "duplicate key"."""
    rows = list({r[0]: r for r in rows}.values())
    stage = f"stage_{table}"
    cur.execute(f"CREATE OR REPLACE TEMP TABLE {stage} AS SELECT {', '.join(n for n, _ in columns)} "
                f"FROM {table} LIMIT 0")
    if rows:
        bulk_insert(cur, stage, columns, rows)
    names = [n for n, _ in columns]
    updates = ", ".join(f"{n} = s.{n}" for n in names if n != "id")
    diff = " OR ".join(f"t.{n} IS DISTINCT FROM s.{n}" for n in names if n != "id")
    cur.execute(
        f"MERGE INTO {table} t USING {stage} s ON t.id = s.id "
        f"WHEN MATCHED AND ({diff}) THEN UPDATE SET {updates} "
        f"WHEN NOT MATCHED THEN INSERT ({', '.join(names)}) VALUES ({', '.join('s.' + n for n in names)}) "
        "WHEN NOT MATCHED BY SOURCE THEN DELETE"
    )
    cur.execute(f"DROP TABLE {stage}")


def _posted_keys(cur: duckdb.DuckDBPyConnection, table: str, invoice_ids: Sequence[str]) -> set[tuple[str, str]]:
    """(document id, invoice id) of the posted payments or shipments of these invoices."""
    assert table in ("payments", "shipments")
    return {
        (r[0], r[1]) for r in cur.execute(
            f"SELECT id, invoice_id FROM {table} WHERE posted AND invoice_id IN (SELECT unnest(?::VARCHAR[]))",
            [list(invoice_ids)],
        ).fetchall()
    }


class AccountingStore:
    """Accounting-side facts about clients and orders; mixed into `Store`."""

    db: Database
    clock: Clock

    # -- reference data (one transaction per job, from the caller) ----------------------------
    def counterparty_count(self) -> int:
        """Counterparties in the mirror (the shrink guard compares a pull with it)."""
        row = self.db.cursor().execute("SELECT count(*) FROM counterparties").fetchone()
        return int(row[0]) if row else 0

    def replace_counterparties(self, cur: duckdb.DuckDBPyConnection, rows: Sequence[Sequence[Any]]) -> None:
        """Rows in COUNTERPARTY_COLUMNS order (phones a list); the phone search key is derived here,
        the same way as for CRM clients (`crm.phone_keys`)."""
        phones_at = [n for n, _ in COUNTERPARTY_COLUMNS].index("phones")
        keyed = [(*r, phone_keys(r[phones_at] or ())) for r in rows]
        _replace_all(cur, "counterparties", (*COUNTERPARTY_COLUMNS, ("phone_keys", "VARCHAR")), keyed)
        # CRM clients that accounting knows get its code and DataVersion (never their CRM fields).
        cur.execute(
            "UPDATE clients c SET accounting_code = cp.code, data_version = cp.data_version "
            "FROM counterparties cp WHERE cp.id = c.id AND (c.accounting_code IS DISTINCT FROM cp.code "
            "OR c.data_version IS DISTINCT FROM cp.data_version) "
            "AND c.id NOT IN (SELECT object_id FROM outbox WHERE kind = 'client' AND state IN ('pending', 'sending'))"
        )
        # Company-specific fields are exchanged both ways: what accounting holds now is shown on
        # the card, unless the operator's own edit is still waiting to be sent.
        cur.execute(
            "UPDATE clients c SET custom = json_merge_patch(coalesce(c.custom, '{}'), cp.custom)::VARCHAR "
            "FROM counterparties cp WHERE cp.id = c.id AND coalesce(cp.custom, '{}') <> '{}' "
            "AND json_merge_patch(coalesce(c.custom, '{}'), cp.custom)::VARCHAR IS DISTINCT FROM c.custom "
            "AND c.id NOT IN (SELECT object_id FROM outbox WHERE kind = 'client' AND state IN ('pending', 'sending'))"
        )

    def replace_contracts(self, cur: duckdb.DuckDBPyConnection, rows: Sequence[Sequence[Any]]) -> None:
        _replace_all(cur, "contracts", CONTRACT_COLUMNS, rows)

    def replace_organizations(self, cur: duckdb.DuckDBPyConnection, rows: Sequence[Sequence[Any]]) -> None:
        _replace_all(cur, "organizations", ORGANIZATION_COLUMNS, rows)

    def replace_currencies(self, cur: duckdb.DuckDBPyConnection, rows: Sequence[Sequence[Any]]) -> None:
        _replace_all(cur, "currencies", CURRENCY_COLUMNS, rows)

    def replace_debt_keys(self, cur: duckdb.DuckDBPyConnection, rows: Sequence[tuple[str, str]]) -> None:
        """УТ 11: every analytics key of the settlements register → its counterparty."""
        _replace_all(cur, "debt_keys", DEBT_KEY_COLUMNS, rows)

    def add_debt_keys(self, cur: duckdb.DuckDBPyConnection, rows: Sequence[tuple[str, str]]) -> None:
        """Keys read by id (made in 1C since the last reference pull)."""
        for key, party in rows:
            cur.execute("INSERT OR REPLACE INTO debt_keys VALUES (?, ?)", [key, party])

    def debt_key_map(self, keys: Iterable[str]) -> dict[str, str]:
        """{analytics key: counterparty} of the given keys that the store knows."""
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return {}
        found = self.db.cursor().execute(
            "SELECT id, counterparty_id FROM debt_keys WHERE list_contains(?, id)", [wanted]).fetchall()
        return {str(k): str(c) for k, c in found}

    def add_settlement_objects(self, cur: duckdb.DuckDBPyConnection, links: Mapping[str, str]) -> None:
        """УТ 11.5: {settlement object: order} as read from 1C (an object's order never changes)."""
        for key, order in links.items():
            cur.execute("INSERT OR REPLACE INTO settlement_objects VALUES (?, ?)", [key, order])

    def settlement_objects(self, order_ids: Iterable[str]) -> dict[str, str]:
        """{settlement object: order} the store knows for the given orders (one query)."""
        wanted = list(dict.fromkeys(order_ids))
        if not wanted:
            return {}
        found = self.db.cursor().execute(
            "SELECT id, order_id FROM settlement_objects WHERE list_contains(?, order_id)", [wanted]).fetchall()
        return {str(k): str(o) for k, o in found}

    def set_debts(self, cur: duckdb.DuckDBPyConnection, debts: Mapping[str, Decimal]) -> None:
        """Debt per counterparty (absent = no debt); copied onto CRM clients with the same id."""
        cur.execute("CREATE OR REPLACE TEMP TABLE stage_debt (id VARCHAR, debt DECIMAL(15,2))")
        if debts:
            bulk_insert(cur, "stage_debt", (("id", "VARCHAR"), ("debt", "DECIMAL(15,2)")), list(debts.items()))
        for table in ("counterparties", "clients"):
            cur.execute(
                f"UPDATE {table} t SET debt = coalesce(s.debt, 0) FROM (SELECT t2.id, d.debt FROM {table} t2 "
                f"LEFT JOIN stage_debt d ON d.id = t2.id) s WHERE s.id = t.id "
                "AND t.debt IS DISTINCT FROM coalesce(s.debt, 0)"
            )
        cur.execute("DROP TABLE stage_debt")

    def organization(self) -> tuple[str, str, str] | None:
        """(id, name, prefix) of the organization orders are written for (first by name)."""
        cur = self.db.cursor()
        row = cur.execute("SELECT value FROM meta WHERE key = 'organization_id'").fetchone()
        if row:
            found = cur.execute(
                "SELECT id, name, prefix FROM organizations WHERE id = ?", [row[0]]
            ).fetchone()
            if found:
                return found
        return cur.execute(
            "SELECT id, name, prefix FROM organizations WHERE NOT coalesce(deletion_mark, FALSE) "
            "ORDER BY name, id LIMIT 1"
        ).fetchone()

    def currency_id(self, code: str) -> str | None:
        row = self.db.cursor().execute(
            "SELECT id FROM currencies WHERE code = ? ORDER BY id LIMIT 1", [code]
        ).fetchone()
        return row[0] if row else None

    def find_contract(self, counterparty_id: str, organization_id: str, kind: str) -> str | None:
        """A sales contract of the counterparty with the organization: the counterparty's main one
        if it qualifies, else the first by name."""
        row = self.db.cursor().execute(
            "SELECT id FROM contracts WHERE counterparty_id = ? AND organization_id = ? AND kind = ? "
            "AND NOT coalesce(deletion_mark, FALSE) ORDER BY name, id LIMIT 1",
            [counterparty_id, organization_id, kind],
        ).fetchone()
        return row[0] if row else None

    def unit_factor(self, unit_id: str | None) -> Decimal:
        if not unit_id:
            return Decimal(1)
        row = self.db.cursor().execute("SELECT factor FROM units WHERE id = ?", [unit_id]).fetchone()
        return row[0] if row and row[0] else Decimal(1)

    def unit_factors(self, unit_ids: Iterable[str | None]) -> dict[str, Decimal]:
        """`unit_factor` of many units in one query (units without a factor: 1)."""
        ids = [u for u in dict.fromkeys(unit_ids) if u]
        if not ids:
            return {}
        rows = self.db.cursor().execute(
            "SELECT id, factor FROM units WHERE id IN (SELECT unnest(?::VARCHAR[]))", [ids]
        ).fetchall()
        found = {r[0]: r[1] for r in rows if r[1]}
        return {u: found.get(u, Decimal(1)) for u in ids}

    def product_units(self, product_ids: Iterable[str]) -> dict[str, str | None]:
        ids = list(dict.fromkeys(product_ids))
        if not ids:
            return {}
        rows = self.db.cursor().execute(
            "SELECT id, unit_id FROM products WHERE id IN (SELECT unnest(?::VARCHAR[]))", [ids]
        ).fetchall()
        return {r[0]: r[1] for r in rows}

    def service_ids(self, product_ids: Iterable[str]) -> set[str]:
        """Those of the products the mirror knows as services (1C's `Услуга` flag)."""
        ids = list(dict.fromkeys(product_ids))
        if not ids:
            return set()
        rows = self.db.cursor().execute(
            "SELECT id FROM products WHERE is_service AND id IN (SELECT unnest(?::VARCHAR[]))", [ids]
        ).fetchall()
        return {r[0] for r in rows}

    def product_names(self, product_ids: Iterable[str]) -> dict[str, str]:
        """{product: its name} of the given products the mirror knows."""
        ids = list(dict.fromkeys(product_ids))
        if not ids:
            return {}
        rows = self.db.cursor().execute(
            "SELECT id, name FROM products WHERE id IN (SELECT unnest(?::VARCHAR[]))", [ids]
        ).fetchall()
        return {r[0]: r[1] or "" for r in rows}

    def counterparty_ids(self) -> set[str]:
        return {r[0] for r in self.db.cursor().execute("SELECT id FROM counterparties").fetchall()}

    def known_client_ids(self) -> set[str]:
        """Clients whose orders we mirror: CRM clients and counterparties that are buyers of ours."""
        return {r[0] for r in self.db.cursor().execute("SELECT id FROM clients").fetchall()}

    # -- our orders ---------------------------------------------------------------------------
    def open_orders(self, limit: int = 2000) -> list[tuple[str, str]]:
        """(id, DataVersion) of orders in accounting whose state can still change: not deleted,
        and not yet both fully paid and fully shipped."""
        rows = self.db.cursor().execute(
            """
            SELECT i.id, i.data_version FROM invoices i
            WHERE i.number <> '' AND NOT i.deletion_mark AND (
                NOT i.posted
                OR coalesce((SELECT sum(p.amount) FROM payments p WHERE p.invoice_id = i.id AND p.posted), 0) < i.total
                OR coalesce((SELECT sum(least(coalesce(sh.q, 0), l.quantity)) FROM invoice_lines l
                     LEFT JOIN (SELECT sl.product_id, sum(sl.quantity) AS q FROM shipment_lines sl
                                JOIN shipments s ON s.id = sl.shipment_id AND s.invoice_id = sl.invoice_id
                                WHERE sl.invoice_id = i.id AND s.posted GROUP BY ALL) sh
                     ON sh.product_id = l.product_id
                     WHERE l.invoice_id = i.id), 0)
                   < coalesce((SELECT sum(quantity) FROM invoice_lines WHERE invoice_id = i.id), 0))
            ORDER BY i.date DESC, i.id LIMIT ?
            """,
            [limit],
        ).fetchall()
        return [(r[0], r[1]) for r in rows]

    def settled_by_order(self, invoice_ids: Sequence[str], settlement: str) -> set[str]:
        """Those of the orders whose contract, as mirrored, is settled by order (ВедениеВзаиморасчетов
        = ``settlement``): 1C fills the deal dimension of their settlements."""
        if not invoice_ids or not settlement:
            return set()
        return {r[0] for r in self.db.cursor().execute(
            "SELECT i.id FROM invoices i JOIN contracts c ON c.id = i.contract_id "
            "WHERE i.id IN (SELECT unnest(?::VARCHAR[])) AND c.settlement = ?", [list(invoice_ids), settlement],
        ).fetchall()}

    def invoice_clients(self, invoice_ids: Sequence[str]) -> dict[str, str]:
        """{invoice: its client} for those of the invoices that have one (one query; the БП 3
        idle cycle judges each open invoice by its client's balance)."""
        if not invoice_ids:
            return {}
        return {r[0]: r[1] for r in self.db.cursor().execute(
            "SELECT id, client_id FROM invoices WHERE id IN (SELECT unnest(?::VARCHAR[])) AND client_id <> ''",
            [list(invoice_ids)],
        ).fetchall() if r[1]}

    def remember_contract(self, cur: duckdb.DuckDBPyConnection, row: Sequence[Any], *, created: bool = False) -> None:
        """Put one contract (CONTRACT_COLUMNS order) into the mirror, e.g. right after creating it
        in accounting, so its settlement mode is known before the next reference pull.

        ``created``: the caller has just created it (1C answered 201 to its key), so the mirror
        can hold it only if a pull read it since — 1C's own row, which is kept: an INSERT unless
        the key is there (~1.4 ms) instead of `INSERT OR REPLACE` (~3 ms: its conflict check)."""
        names = [n for n, _ in CONTRACT_COLUMNS]
        if created:
            values = ", ".join(f"${n + 1}" for n in range(len(names)))
            cur.execute(f"INSERT INTO contracts ({', '.join(names)}) SELECT {values} "
                        "WHERE NOT EXISTS (SELECT 1 FROM contracts WHERE id = $1)", list(row))
            return
        cur.execute(
            f"INSERT OR REPLACE INTO contracts ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})", list(row)
        )

    def mark_checked(self, cur: duckdb.DuckDBPyConnection, invoice_ids: Sequence[str], now: datetime) -> None:
        """Accounting confirmed (through its registers) that payments and shipments are unchanged."""
        ids = list(dict.fromkeys(invoice_ids))
        if ids:
            self._checked(cur, ids, "payments_at", now)
            self._checked(cur, ids, "shipments_at", now)

    def invoice_ids_in_accounting(self) -> set[str]:
        return {r[0] for r in self.db.cursor().execute("SELECT id FROM invoices WHERE number <> ''").fetchall()}

    def all_invoice_ids(self) -> set[str]:
        return {r[0] for r in self.db.cursor().execute("SELECT id FROM invoices").fetchall()}

    def orders_to_take(self, states: Sequence[OrderState]) -> set[str]:
        """The orders made in 1C that `add_orders_from_accounting` would write: not in the store,
        or made in 1C with another DataVersion (ours and unchanged ones are skipped there)."""
        ids = list(dict.fromkeys(s.id for s in states))
        kept = {r[0]: (r[1], r[2]) for r in self.db.cursor().execute(
            "SELECT id, origin, data_version FROM invoices WHERE id IN (SELECT unnest(?::VARCHAR[]))", [ids],
        ).fetchall()} if ids else {}
        return {s.id for s in states
                if s.id not in kept or (kept[s.id][0] == "accounting" and kept[s.id][1] != s.data_version)}

    def apply_order_states(
        self, cur: duckdb.DuckDBPyConnection, states: Sequence[OrderState], checked: Iterable[str],
        now: datetime | None = None,
    ) -> list[str]:
        """Update number/posted/deletion mark/DataVersion of our orders where accounting's
        DataVersion differs; orders with a push in flight are left alone. ``checked`` are the ids
        asked for (an id asked for and not returned was deleted in accounting). Returns changed ids."""
        now = now or self.clock()
        in_flight = {r[0] for r in cur.execute(_IN_FLIGHT).fetchall()}
        changed: list[str] = []
        seen = set()
        for s in states:
            seen.add(s.id)
            if s.id in in_flight:
                continue
            row = cur.execute("SELECT data_version, posted, number FROM invoices WHERE id = ?", [s.id]).fetchone()
            if row is None:
                continue
            if row[0] != s.data_version or row[1] != s.posted or row[2] != s.number:
                cur.execute(
                    "UPDATE invoices SET number = ?, posted = ?, deletion_mark = ?, data_version = ?, "
                    "sync_state = CASE WHEN sync_state IN (?, ?) THEN sync_state ELSE ? END, checked_at = ? "
                    "WHERE id = ?",
                    [s.number, s.posted, s.deletion_mark, s.data_version, SyncState.FAILED.value,
                     SyncState.CONFLICT.value, SyncState.IN_ACCOUNTING.value, now, s.id],
                )
                if s.custom:  # the invoice shows what accounting holds now in its own fields
                    cur.execute("UPDATE invoices SET custom = json_merge_patch(coalesce(custom, '{}'), ?)::VARCHAR "
                                "WHERE id = ?", [s.custom, s.id])
                changed.append(s.id)
        ids = [i for i in checked if i not in in_flight]
        if ids:
            cur.execute(
                "UPDATE invoices SET checked_at = ? WHERE id IN (SELECT unnest(?::VARCHAR[]))", [now, ids]
            )
        gone = [i for i in ids if i not in seen]
        if gone:
            # Physically deleted in accounting: keep the CRM copy, flag it as deleted there.
            cur.execute(
                "UPDATE invoices SET deletion_mark = TRUE WHERE id IN (SELECT unnest(?::VARCHAR[])) "
                "AND NOT deletion_mark AND number <> ''",
                [gone],
            )
            changed.extend(gone)
        return changed

    def add_orders_from_accounting(
        self, cur: duckdb.DuckDBPyConnection,
        orders: Sequence[tuple[OrderState, str | None, str | None, bool, str, list[tuple[Any, ...]]]],
        now: datetime | None = None,
    ) -> list[str]:
        """Orders created in 1C for known clients: insert them (origin 'accounting') or refresh
        ones we made from 1C earlier when their DataVersion changed. Each item is (state,
        warehouse id, price type id, amount includes VAT, comment, lines (product, qty, price,
        discount %, amount, vat rate, vat))."""
        now = now or self.clock()
        added: list[str] = []
        for state, warehouse, price_type, incl_vat, comment, lines in orders:
            row = cur.execute("SELECT origin, data_version FROM invoices WHERE id = ?", [state.id]).fetchone()
            if row is not None and (row[0] != "accounting" or row[1] == state.data_version):
                continue
            cur.execute("DELETE FROM invoice_lines WHERE invoice_id = ?", [state.id])
            cur.execute("DELETE FROM invoices WHERE id = ?", [state.id])
            vat_total = sum((Decimal(line[6]) for line in lines), Decimal(0))
            cur.execute(
                "INSERT INTO invoices (id, client_id, warehouse_id, price_type_id, date, comment, amount_includes_vat, "
                "total, vat_total, number, posted, deletion_mark, data_version, base_version, origin, sync_state, "
                "created_at, updated_at, checked_at, contract_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'accounting', ?, ?, ?, ?, ?)",
                [state.id, state.client_id, warehouse, price_type, state.date or now, comment, incl_vat,
                 state.total or Decimal(0), vat_total, state.number, state.posted, state.deletion_mark,
                 state.data_version, state.data_version, SyncState.IN_ACCOUNTING.value, now, now, now,
                 state.contract_id],
            )
            names = {
                r[0]: (r[1], r[2], r[3]) for r in cur.execute(
                    "SELECT id, code, name, unit_name FROM products WHERE id IN (SELECT unnest(?::VARCHAR[]))",
                    [[line[0] for line in lines]],
                ).fetchall()
            }
            for n, (product, qty, price, disc, amount, rate, vat) in enumerate(lines, start=1):
                code, name, unit = names.get(product, ("", "", ""))
                cur.execute(
                    "INSERT INTO invoice_lines VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [state.id, n, product, code, name, unit, qty, price, disc, amount, rate or "БезНДС", vat],
                )
            added.append(state.id)
        return added

    # -- payments and shipments ---------------------------------------------------------------
    def replace_payments(
        self, cur: duckdb.DuckDBPyConnection, invoice_ids: Sequence[str], rows: Sequence[PaymentRow],
        now: datetime | None = None,
    ) -> list[PaymentRow]:
        """Make the payments of these invoices equal to ``rows``; returns payments not seen before
        (posted ones, for the "payment arrived" toast)."""
        now = now or self.clock()
        ids = list(dict.fromkeys(invoice_ids))
        if not ids:
            return []
        before = _posted_keys(cur, "payments", ids)
        # One row per document and invoice, the last one read (`parse.payments` has summed the
        # document's rows already): a payment settling orders of two batches of the read comes
        # with both, and used to be summed here — a client who paid 100 showed 200 paid.
        merged: dict[tuple[str, str], PaymentRow] = {(p.id, p.invoice_id): p for p in rows}
        current = {
            (r[0], r[1]): r for r in cur.execute(
                "SELECT id, invoice_id, kind, number, date, amount, posted FROM payments "
                "WHERE invoice_id IN (SELECT unnest(?::VARCHAR[]))", [ids],
            ).fetchall()
        }
        wanted = {k: (p.id, p.invoice_id, p.kind, p.number, p.date, p.amount, p.posted) for k, p in merged.items()}
        if current != wanted:
            cur.execute("DELETE FROM payments WHERE invoice_id IN (SELECT unnest(?::VARCHAR[]))", [ids])
            for p in merged.values():
                cur.execute(
                    "INSERT INTO payments (id, kind, number, date, invoice_id, amount, posted) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [p.id, p.kind, p.number, p.date, p.invoice_id, p.amount, p.posted],
                )
        self._checked(cur, ids, "payments_at", now)
        return [p for k, p in merged.items() if p.posted and k not in before]

    def replace_shipments(
        self, cur: duckdb.DuckDBPyConnection, invoice_ids: Sequence[str], rows: Sequence[ShipmentRow],
        now: datetime | None = None,
    ) -> list[ShipmentRow]:
        """Make the shipments of these invoices equal to ``rows``; returns new posted ones."""
        now = now or self.clock()
        ids = list(dict.fromkeys(invoice_ids))
        if not ids:
            return []
        before = _posted_keys(cur, "shipments", ids)
        current_heads = sorted(cur.execute(
            "SELECT id, number, date, invoice_id, posted FROM shipments "
            "WHERE invoice_id IN (SELECT unnest(?::VARCHAR[]))",
            [ids],
        ).fetchall())
        current_lines = sorted(cur.execute(
            "SELECT shipment_id, invoice_id, line_no, product_id, quantity FROM shipment_lines "
            "WHERE invoice_id IN (SELECT unnest(?::VARCHAR[]))", [ids],
        ).fetchall())
        # one shipment per document and invoice, the last one read (a document twice in an answer
        # used to end the job on the table's primary key)
        rows = list({(s.id, s.invoice_id): s for s in rows}.values())
        heads = sorted((s.id, s.number, s.date, s.invoice_id, s.posted) for s in rows)
        lines = sorted((s.id, s.invoice_id, sl.line_no, sl.product_id, sl.quantity) for s in rows for sl in s.lines)
        if heads != current_heads or lines != current_lines:
            cur.execute("DELETE FROM shipment_lines WHERE invoice_id IN (SELECT unnest(?::VARCHAR[]))", [ids])
            cur.execute("DELETE FROM shipments WHERE invoice_id IN (SELECT unnest(?::VARCHAR[]))", [ids])
            for h in heads:
                cur.execute(
                    "INSERT INTO shipments (id, number, date, invoice_id, posted) VALUES (?, ?, ?, ?, ?)", list(h)
                )
            for line in lines:
                cur.execute(
                    "INSERT INTO shipment_lines (shipment_id, invoice_id, line_no, product_id, quantity) "
                    "VALUES (?, ?, ?, ?, ?)", list(line),
                )
        self._checked(cur, ids, "shipments_at", now)
        return [s for s in rows if s.posted and (s.id, s.invoice_id) not in before]

    @staticmethod
    def _checked(cur: duckdb.DuckDBPyConnection, ids: Sequence[str], column: str, now: datetime) -> None:
        assert column in ("payments_at", "shipments_at")
        cur.execute(
            f"INSERT INTO order_checks (invoice_id, {column}) SELECT unnest(?::VARCHAR[]), ? "
            f"ON CONFLICT (invoice_id) DO UPDATE SET {column} = excluded.{column}",
            [list(ids), now],
        )

    # -- push bookkeeping ---------------------------------------------------------------------
    def client_custom(self, client_id: str) -> dict[str, Any]:
        row = self.db.cursor().execute("SELECT custom FROM clients WHERE id = ?", [client_id]).fetchone()
        return _load_json(row[0] if row else None)

    def invoice_custom(self, invoice_id: str) -> dict[str, Any]:
        row = self.db.cursor().execute("SELECT custom FROM invoices WHERE id = ?", [invoice_id]).fetchone()
        return _load_json(row[0] if row else None)

    def set_custom(self, kind: str, object_id: str, values: Mapping[str, Any]) -> None:
        """Set CRM custom fields of a client or an invoice (merged into its JSON column)."""
        table = {"client": "clients", "invoice": "invoices"}[kind]
        with self.db.transaction() as cur:
            row = cur.execute(f"SELECT custom FROM {table} WHERE id = ?", [object_id]).fetchone()
            if row is None:
                raise KeyError(object_id)
            merged = {**_load_json(row[0]), **values}
            cur.execute(
                f"UPDATE {table} SET custom = ? WHERE id = ?", [json.dumps(merged, ensure_ascii=False), object_id]
            )

    def counterparty_custom(self, counterparty_id: str) -> dict[str, Any]:
        row = self.db.cursor().execute("SELECT custom FROM counterparties WHERE id = ?", [counterparty_id]).fetchone()
        return _load_json(row[0] if row else None)

    def set_client_contract(self, client_id: str, contract_id: str) -> None:
        with self.db.transaction() as cur:
            cur.execute("UPDATE clients SET contract_id = ? WHERE id = ?", [contract_id, client_id])

    def client_contract(self, client_id: str) -> str | None:
        row = self.db.cursor().execute("SELECT contract_id FROM clients WHERE id = ?", [client_id]).fetchone()
        return row[0] if row else None

    def invoice_push_refs(self, invoice_id: str, *, contract_id: str | None = None, organization_id: str | None = None,
                          bill_id: str | None = None) -> None:
        """Remember refs chosen for a push before the request that uses them is sent."""
        with self.db.transaction() as cur:
            cur.execute(
                "UPDATE invoices SET contract_id = coalesce(?, contract_id), "
                "organization_id = coalesce(?, organization_id), bill_id = coalesce(?, bill_id) WHERE id = ?",
                [contract_id, organization_id, bill_id, invoice_id],
            )

    def invoice_refs(self, invoice_id: str) -> tuple[str | None, str | None, str | None]:
        row = self.db.cursor().execute(
            "SELECT contract_id, organization_id, bill_id FROM invoices WHERE id = ?", [invoice_id]
        ).fetchone()
        return (row[0], row[1], row[2]) if row else (None, None, None)

    def invoice_pushed(
        self, invoice_id: str, *, number: str, data_version: str, posted: bool, bill_number: str | None = None,
        now: datetime | None = None,
    ) -> None:
        now = now or self.clock()
        with self.db.transaction() as cur:
            cur.execute(
                "UPDATE invoices SET sync_state = ?, sync_error = NULL, number = ?, data_version = ?, posted = ?, "
                "base_version = ?, bill_number = coalesce(?, bill_number), checked_at = ?, updated_at = ? WHERE id = ?",
                [SyncState.IN_ACCOUNTING.value, number, data_version, posted, data_version, bill_number, now, now,
                 invoice_id],
            )

    def invoice_state_from_accounting(self, invoice_id: str, *, number: str, data_version: str, posted: bool,
                                      deletion_mark: bool, written: bool = False, now: datetime | None = None) -> None:
        """Record what accounting has (after a refused edit, or after our own write: ``written``,
        then the CRM copy is based on this version), without touching the CRM fields."""
        now = now or self.clock()
        with self.db.transaction() as cur:
            cur.execute(
                "UPDATE invoices SET number = ?, data_version = ?, posted = ?, deletion_mark = ?, checked_at = ?, "
                "base_version = CASE WHEN ? THEN ? ELSE base_version END WHERE id = ?",
                [number, data_version, posted, deletion_mark, now, written, data_version, invoice_id],
            )

    def invoice_accounting_state(self, invoice_id: str) -> tuple[str, str, bool] | None:
        """(number, DataVersion, posted) as last known."""
        row = self.db.cursor().execute(
            "SELECT number, data_version, posted FROM invoices WHERE id = ?", [invoice_id]
        ).fetchone()
        return (row[0], row[1], row[2]) if row else None

    # -- reads for status and screens ---------------------------------------------------------
    def order_progress(
        self, invoice_ids: Sequence[str] | None = None, text: str = "", limit: int = 20
    ) -> list[OrderProgress]:
        """Invoices with paid/shipped figures; filtered by ids or by number / client name / ИНН."""
        params: list[Any] = []
        where = []
        if invoice_ids is not None:
            where.append("i.id IN (SELECT unnest(?::VARCHAR[]))")
            params.append(list(invoice_ids))
        words = search_words(text.lower())
        for w in words:
            short_sql, short_params = short_number_match("i.number", w)
            where.append("(contains(lower(i.number), ?) OR contains(lower(coalesce(c.name, cp.name, '')), ?) "
                         f"OR coalesce(c.inn, cp.inn, '') = ? OR {short_sql})")
            params += [w, w, w, *short_params]
        sql = f"""
            SELECT i.id, i.number, coalesce(c.name, cp.name, ''), i.date, i.total,
                   coalesce((SELECT sum(p.amount) FROM payments p WHERE p.invoice_id = i.id AND p.posted), 0),
                   i.posted, i.sync_state,
                   coalesce(least(i.checked_at, oc.payments_at, oc.shipments_at), i.checked_at)
            FROM invoices i
            LEFT JOIN clients c ON c.id = i.client_id
            LEFT JOIN counterparties cp ON cp.id = i.client_id
            LEFT JOIN order_checks oc ON oc.invoice_id = i.id
            {"WHERE " + " AND ".join(where) if where else ""}
            ORDER BY i.date DESC, i.id LIMIT ?
        """
        params.append(limit)
        cur = self.db.cursor()
        found = [OrderProgress(*r) for r in cur.execute(sql, params).fetchall()]
        if not found:
            return found
        ids = [o.id for o in found]
        lines: dict[str, list[OrderedLine[str]]] = {}
        for invoice_id, product_id, quantity, amount in cur.execute(
            "SELECT invoice_id, product_id, quantity, amount FROM invoice_lines "
            "WHERE invoice_id IN (SELECT unnest(?::VARCHAR[])) ORDER BY invoice_id, line_no",
            [ids],
        ).fetchall():
            lines.setdefault(invoice_id, []).append(OrderedLine(product_id, quantity, amount))
        shipped: dict[str, dict[str, Decimal]] = {}
        for invoice_id, product_id, quantity in cur.execute(
            "SELECT sl.invoice_id, sl.product_id, sum(sl.quantity) FROM shipment_lines sl "
            "JOIN shipments s ON s.id = sl.shipment_id AND s.invoice_id = sl.invoice_id "
            "WHERE s.posted AND sl.invoice_id IN (SELECT unnest(?::VARCHAR[])) GROUP BY ALL",
            [ids],
        ).fetchall():
            shipped.setdefault(invoice_id, {})[product_id] = quantity
        # Posted shipment requests (docs/shipment.md) count as the order view counts them.
        released: dict[str, dict[str, dict[str, Decimal]]] = {}
        for invoice_id, request_id, product_id, quantity in cur.execute(
            "SELECT r.invoice_id, r.id, l.product_id, sum(l.quantity) FROM shipment_requests r "
            "JOIN shipment_request_lines l ON l.request_id = r.id "
            "WHERE r.posted AND NOT r.deletion_mark AND r.invoice_id IN (SELECT unnest(?::VARCHAR[])) GROUP BY ALL",
            [ids],
        ).fetchall():
            released.setdefault(invoice_id, {}).setdefault(request_id, {})[product_id] = quantity
        for invoice_id, docs in released.items():
            shipped[invoice_id] = shipped_per_product(shipped.get(invoice_id, {}), docs.values())
        return [
            replace(o, shipped_share=shipped_share(lines.get(o.id, []), shipped.get(o.id, {})))
            for o in found
        ]

    def prune_runs(self, keep: int = 5000) -> None:
        with self.db.transaction() as cur:
            cur.execute("DELETE FROM sync_runs WHERE id <= (SELECT max(id) FROM sync_runs) - ?", [keep])


def _load_json(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


__all__ = ["AccountingStore", "OrderProgress", "OrderState", "PaymentRow", "ShipmentLine", "ShipmentRow"]
