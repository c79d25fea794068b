"""The accounting mirror: bulk replacement by the pull jobs, and the reads the screens make.

Writes come as plain tuples from `tui_crm.sync.pull`; every replacement runs inside the caller's
transaction so that a failed pull leaves the previous mirror exactly as it was.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import duckdb

from tui_crm.store.db import Clock, Database
from tui_crm.store.search import search_key, search_key_sql

# Column lists (name, DuckDB type) for each mirror table, in insertion order.
WAREHOUSE_COLUMNS = (
    ("id", "VARCHAR"),
    ("code", "VARCHAR"),
    ("name", "VARCHAR"),
    ("is_folder", "BOOLEAN"),
    ("deletion_mark", "BOOLEAN"),
    ("data_version", "VARCHAR"),
)
PRICE_TYPE_COLUMNS = (
    ("id", "VARCHAR"),
    ("code", "VARCHAR"),
    ("name", "VARCHAR"),
    ("includes_vat", "BOOLEAN"),
    ("currency_id", "VARCHAR"),
    ("deletion_mark", "BOOLEAN"),
    ("data_version", "VARCHAR"),
)
PRODUCT_COLUMNS = (
    ("id", "VARCHAR"),
    ("code", "VARCHAR"),
    ("article", "VARCHAR"),
    ("name", "VARCHAR"),
    ("full_name", "VARCHAR"),
    ("unit_id", "VARCHAR"),
    ("unit_name", "VARCHAR"),
    ("vat_rate", "VARCHAR"),
    ("is_service", "BOOLEAN"),
    ("deletion_mark", "BOOLEAN"),
    ("data_version", "VARCHAR"),
)
PRICE_COLUMNS = (
    ("price_type_id", "VARCHAR"),
    ("product_id", "VARCHAR"),
    ("price", "DECIMAL(15,2)"),
    ("unit_id", "VARCHAR"),
    ("period", "TIMESTAMP"),
)
STOCK_COLUMNS = (
    ("warehouse_id", "VARCHAR"),
    ("product_id", "VARCHAR"),
    ("on_hand", "DECIMAL(15,3)"),
    ("reserved", "DECIMAL(15,3)"),
)

_CHUNK = 50_000


def bulk_insert(
    cur: duckdb.DuckDBPyConnection,
    table: str,
    columns: Sequence[tuple[str, str]],
    rows: Sequence[Sequence[Any]],
) -> None:
    """Insert rows column-wise through list parameters (fast on DuckDB 2.x, no pyarrow needed).

    `table` and `columns` are our own constants, never user text; the values go in as parameters.
    """
    names = ", ".join(name for name, _ in columns)
    select = ", ".join(f"unnest(${i + 1}::{typ}[])" for i, (_, typ) in enumerate(columns))
    sql = f"INSERT INTO {table} ({names}) SELECT {select}"
    for start in range(0, len(rows), _CHUNK):
        chunk = rows[start : start + _CHUNK]
        cols = [list(col) for col in zip(*chunk, strict=True)]
        cur.execute(sql, cols)


def _replace_keyed(
    cur: duckdb.DuckDBPyConnection,
    table: str,
    columns: Sequence[tuple[str, str]],
    rows: Sequence[Sequence[Any]],
) -> None:
    """Make `table` equal to `rows` (keyed by id) with one MERGE: unchanged rows stay untouched."""
    stage = f"stage_{table}"
    cur.execute(f"CREATE OR REPLACE TEMP TABLE {stage} AS SELECT * FROM {table} LIMIT 0")
    bulk_insert(cur, stage, columns, rows)
    names = [name for name, _ in columns]
    updates = ", ".join(f"{n} = s.{n}" for n in names if n != "id")
    values = ", ".join(f"s.{n}" for n in names)
    cur.execute(
        f"MERGE INTO {table} t USING {stage} s ON t.id = s.id "
        f"WHEN MATCHED AND t.data_version IS DISTINCT FROM s.data_version THEN UPDATE SET {updates} "
        f"WHEN NOT MATCHED THEN INSERT ({', '.join(names)}) VALUES ({values}) "
        "WHEN NOT MATCHED BY SOURCE THEN DELETE"
    )
    cur.execute(f"DROP TABLE {stage}")


@dataclass(frozen=True)
class PickerRow:
    """One product as the picker and the products screen show it, for one warehouse."""

    product_id: str
    code: str
    article: str
    name: str
    unit: str
    vat_rate: str
    on_hand: Decimal
    reserved: Decimal
    free_stock: Decimal
    price: Decimal | None


@dataclass(frozen=True)
class NamedRef:
    id: str
    name: str


@dataclass(frozen=True)
class SyncRun:
    id: int
    job: str
    started_at: datetime
    finished_at: datetime | None
    ok: bool | None
    rows_read: int
    requests: int
    error: str | None


def search_terms(text: str, max_terms: int = 8) -> list[str]:
    """Lower-cased words of a search box; every word must occur (in any order)."""
    return [w for w in text.lower().split() if w][:max_terms]


def picker_terms(text: str, max_terms: int = 8) -> list[str]:
    """The typed words as picker search keys (see tui_crm.store.search)."""
    return [search_key(w) for w in search_terms(text, max_terms)]


class MirrorStore:
    """Mirror reads and writes; mixed into `Store`."""

    db: Database
    clock: Clock

    # -- writes (inside a transaction from Database.transaction()) ------------------------
    def replace_warehouses(self, cur: duckdb.DuckDBPyConnection, rows: Sequence[Sequence[Any]]) -> None:
        _replace_keyed(cur, "warehouses", WAREHOUSE_COLUMNS, rows)

    def replace_price_types(self, cur: duckdb.DuckDBPyConnection, rows: Sequence[Sequence[Any]]) -> None:
        _replace_keyed(cur, "price_types", PRICE_TYPE_COLUMNS, rows)

    def replace_products(self, cur: duckdb.DuckDBPyConnection, rows: Sequence[Sequence[Any]]) -> None:
        _replace_keyed(cur, "products", PRODUCT_COLUMNS, rows)
        cur.execute(
            "UPDATE products SET search = lower(concat_ws(' ', code, article, name)) "
            "WHERE search IS DISTINCT FROM lower(concat_ws(' ', code, article, name))"
        )

    def replace_prices(self, cur: duckdb.DuckDBPyConnection, rows: Sequence[Sequence[Any]]) -> None:
        cur.execute("DELETE FROM prices")
        bulk_insert(cur, "prices", PRICE_COLUMNS, rows)

    def replace_stock(self, cur: duckdb.DuckDBPyConnection, rows: Sequence[Sequence[Any]]) -> None:
        cur.execute("DELETE FROM stock")
        bulk_insert(cur, "stock", STOCK_COLUMNS, rows)

    def rebuild_picker(self, cur: duckdb.DuckDBPyConnection) -> None:
        """Recompute the denormalised picker table (one row per warehouse x product)."""
        cur.execute("DELETE FROM picker")
        cur.execute(
            """
            INSERT INTO picker
            SELECT w.id, p.id, p.code, p.article, p.name, p.unit_name, p.vat_rate, {search},
                   coalesce(s.on_hand, 0), coalesce(s.reserved, 0),
                   coalesce(s.on_hand, 0) - coalesce(s.reserved, 0)
            FROM warehouses w
            CROSS JOIN products p
            LEFT JOIN (
                SELECT warehouse_id, product_id, sum(on_hand) AS on_hand, sum(reserved) AS reserved
                FROM stock GROUP BY ALL
            ) s ON s.warehouse_id = w.id AND s.product_id = p.id
            WHERE NOT w.is_folder AND NOT w.deletion_mark AND NOT p.deletion_mark
            ORDER BY w.id, p.name
            """.format(search=search_key_sql("p.search"))
        )

    def get_meta(self, key: str) -> str | None:
        """A value of the ``meta`` key/value table (sync bookmarks, counts, pull times)."""
        row = self.db.cursor().execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return row[0] if row else None

    def set_meta(self, cur: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
        cur.execute(
            "INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [key, value],
        )

    # -- sync runs ---------------------------------------------------------------------------
    def start_run(self, job: str, started_at: datetime | None = None) -> int:
        with self.db.transaction() as cur:
            row = cur.execute(
                "INSERT INTO sync_runs (job, started_at) VALUES (?, ?) RETURNING id",
                [job, started_at or self.clock()],
            ).fetchone()
        assert row is not None
        return int(row[0])

    def finish_run(
        self,
        run_id: int,
        *,
        ok: bool,
        rows_read: int = 0,
        rows_written: int | None = None,
        requests: int = 0,
        error: str | None = None,
        finished_at: datetime | None = None,
    ) -> None:
        """Close a run; ``rows_written`` stays as it was when not given."""
        with self.db.transaction() as cur:
            cur.execute(
                "UPDATE sync_runs SET finished_at = ?, ok = ?, rows_read = ?, "
                "rows_written = coalesce(?, rows_written), requests = ?, error = ? WHERE id = ?",
                [finished_at or self.clock(), ok, rows_read, rows_written, requests, error, run_id],
            )

    def recent_runs(self, limit: int = 50) -> list[SyncRun]:
        rows = self.db.cursor().execute(
            "SELECT id, job, started_at, finished_at, ok, rows_read, requests, error "
            "FROM sync_runs ORDER BY id DESC LIMIT ?",
            [limit],
        ).fetchall()
        return [SyncRun(*r) for r in rows]

    def last_success(self, job: str = "pull") -> datetime | None:
        row = self.db.cursor().execute(
            "SELECT max(finished_at) FROM sync_runs WHERE job = ? AND ok", [job]
        ).fetchone()
        return row[0] if row else None

    # -- reads for screens -------------------------------------------------------------------
    def warehouses(self) -> list[NamedRef]:
        rows = self.db.cursor().execute(
            "SELECT id, name FROM warehouses WHERE NOT is_folder AND NOT deletion_mark ORDER BY name"
        ).fetchall()
        return [NamedRef(*r) for r in rows]

    def price_types(self) -> list[NamedRef]:
        rows = self.db.cursor().execute(
            "SELECT id, name FROM price_types WHERE NOT deletion_mark ORDER BY name"
        ).fetchall()
        return [NamedRef(*r) for r in rows]

    def search_products(
        self,
        warehouse_id: str,
        price_type_id: str | None,
        text: str = "",
        limit: int = 50,
    ) -> list[PickerRow]:
        """Products on one warehouse whose code, article or name contain every typed word.

        Reads the denormalised picker table, limits first and joins prices for the hits only.
        """
        terms = picker_terms(text)
        where = "".join(" AND contains(search, ?)" for _ in terms)
        params: list[Any] = [warehouse_id, *terms, limit, price_type_id]
        rows = self.db.cursor().execute(
            f"""
            WITH hits AS (
                SELECT product_id, code, article, name, unit_name, vat_rate,
                       on_hand, reserved, free_stock
                FROM picker WHERE warehouse_id = ?{where}
                ORDER BY name, code LIMIT ?
            )
            SELECT h.product_id, h.code, h.article, h.name, h.unit_name, h.vat_rate,
                   h.on_hand, h.reserved, h.free_stock, pr.price
            FROM hits h
            LEFT JOIN prices pr ON pr.product_id = h.product_id AND pr.price_type_id = ?
            ORDER BY h.name, h.code
            """,
            params,
        ).fetchall()
        return [PickerRow(*r) for r in rows]

    def mirror_counts(self) -> dict[str, int]:
        cur = self.db.cursor()
        counts: dict[str, int] = {}
        for table in ("warehouses", "price_types", "products", "prices", "stock", "picker"):
            row = cur.execute(f"SELECT count(*) FROM {table}").fetchone()
            counts[table] = int(row[0]) if row else 0
        return counts
