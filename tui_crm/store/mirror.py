"""The accounting mirror: one writer (stage + MERGE) for the pull, seeds and benchmarks, and the
reads the screens make.

The pull streams its pages into the stage tables; everyone else hands typed rows to
`write_mirror`, which stages them the same way. `apply_mirror_stages` then replaces the mirror in
one transaction, so a failed pull leaves the previous mirror exactly as it was.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

import duckdb

from tui_crm.domain.invoice import InvoiceLine
from tui_crm.domain.vat import VatRate
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
UNIT_COLUMNS = (("id", "VARCHAR"), ("owner_id", "VARCHAR"), ("name", "VARCHAR"), ("factor", "DECIMAL(10,3)"))
# Prices and stock are staged as they come (several rows per pair) and reduced by the merge.
STAGE_PRICE_COLUMNS = (
    ("price_type_id", "VARCHAR"),
    ("product_id", "VARCHAR"),
    ("has_variant", "BOOLEAN"),
    ("price", "DECIMAL(15,2)"),
    ("unit_id", "VARCHAR"),
    ("period", "TIMESTAMP"),
)
STAGE_STOCK_COLUMNS = (
    ("warehouse_id", "VARCHAR"),
    ("product_id", "VARCHAR"),
    ("on_hand", "DECIMAL(15,3)"),
    ("reserved", "DECIMAL(15,3)"),
)
MIRROR_STAGES = {
    "stage_m_warehouses": WAREHOUSE_COLUMNS,
    "stage_m_price_types": PRICE_TYPE_COLUMNS,
    "stage_m_units": UNIT_COLUMNS,
    "stage_m_products": PRODUCT_COLUMNS,
    "stage_m_prices": STAGE_PRICE_COLUMNS,
    "stage_m_stock": STAGE_STOCK_COLUMNS,
}

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


def _merge_keyed(cur: duckdb.DuckDBPyConnection, table: str, stage: str,
                 columns: Sequence[tuple[str, str]], also: Sequence[str] = ()) -> None:
    """Make `table` equal to the stage (keyed by id) with one MERGE; rows whose DataVersion did
    not change stay untouched, unless one of the columns ``also`` differs (values the CRM derives,
    not 1C: a БП 3 product's rate, which the same kind of rate gives by the day)."""
    names = [n for n, _ in columns]
    updates = ", ".join(f"{n} = s.{n}" for n in names if n != "id")
    changed = " OR ".join(f"t.{n} IS DISTINCT FROM s.{n}" for n in ("data_version", *also))
    cur.execute(
        f"MERGE INTO {table} t USING (SELECT DISTINCT ON (id) * FROM {stage}) s ON t.id = s.id "
        f"WHEN MATCHED AND ({changed}) THEN UPDATE SET {updates} "
        f"WHEN NOT MATCHED THEN INSERT ({', '.join(names)}) VALUES ({', '.join('s.' + n for n in names)}) "
        "WHEN NOT MATCHED BY SOURCE THEN DELETE"
    )


class WarehouseRow(NamedTuple):
    """A warehouse as accounting has it (WAREHOUSE_COLUMNS order)."""

    id: str
    code: str
    name: str
    is_folder: bool = False
    deletion_mark: bool = False
    data_version: str = ""


class PriceTypeRow(NamedTuple):
    """A price type as accounting has it (PRICE_TYPE_COLUMNS order)."""

    id: str
    code: str
    name: str
    includes_vat: bool = True
    currency_id: str | None = None
    deletion_mark: bool = False
    data_version: str = ""


class UnitRow(NamedTuple):
    """A unit of a product (UNIT_COLUMNS order)."""

    id: str
    owner_id: str | None
    name: str
    factor: Decimal = Decimal(1)


class ProductRow(NamedTuple):
    """A product as accounting has it (PRODUCT_COLUMNS order); `unit_name` is filled from the
    units of the same write when `unit_id` names one."""

    id: str
    code: str
    article: str
    name: str
    full_name: str
    unit_id: str | None
    unit_name: str
    vat_rate: str
    is_service: bool = False
    deletion_mark: bool = False
    data_version: str = ""


class PriceRow(NamedTuple):
    """One price of a product in a price type; of several rows for the same pair the one without
    a variant (characteristic) and then the latest period wins."""

    price_type_id: str
    product_id: str
    price: Decimal
    unit_id: str | None = None
    period: datetime | None = None
    has_variant: bool = False


class StockRow(NamedTuple):
    """Free-stock figures of a product on a warehouse; rows for the same pair are summed."""

    warehouse_id: str
    product_id: str
    on_hand: Decimal
    reserved: Decimal = Decimal(0)


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

    def invoice_line(self, quantity: Decimal, discount_pct: Decimal = Decimal(0)) -> InvoiceLine:
        """The invoice line this product makes at its current price (the invoice screen's picker
        and `tui-crm invoice add` alike); an unknown 1C VAT rate counts as НДС20."""
        if self.price is None:
            raise ValueError(f"{self.name} has no price in this price type")
        try:
            rate = VatRate.from_onec(self.vat_rate)
        except ValueError:
            rate = VatRate.НДС20
        return InvoiceLine(self.product_id, self.code, self.name, self.unit, quantity, self.price,
                           discount_pct, rate)


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

    # -- the mirror writer ------------------------------------------------------------------
    # One way to write the product mirror: rows go into TEMP stage tables (the pull streams its
    # pages there; `write_mirror` puts typed rows there), then `apply_mirror_stages` makes the
    # mirror equal to the stages in one transaction. Stage tables are per DuckDB connection, so
    # all three steps must run on the same thread (the pull uses its writer thread).
    def create_mirror_stages(self) -> None:
        cur = self.db.cursor()
        for name, cols in MIRROR_STAGES.items():
            cur.execute(f"CREATE OR REPLACE TEMP TABLE {name} ({', '.join(f'{n} {t}' for n, t in cols)})")

    def drop_mirror_stages(self) -> None:
        cur = self.db.cursor()
        for name in MIRROR_STAGES:
            cur.execute(f"DROP TABLE IF EXISTS {name}")

    def staged_warehouse_ids(self) -> list[str]:
        """Warehouses staged so far that hold stock (not folders, not deleted), by id."""
        return [r[0] for r in self.db.cursor().execute(
            "SELECT id FROM stage_m_warehouses WHERE NOT is_folder AND NOT deletion_mark ORDER BY id"
        ).fetchall()]

    def catalogue_sizes(self, staged: bool = False) -> dict[str, int]:
        """Rows per guarded catalogue (warehouses, price types, products): in the mirror, or with
        ``staged`` in the stage tables a pull filled (distinct ids, as the merge keeps them). The
        sync engine compares the two before it applies a pull (`tui_crm.sync.guards`)."""
        cur = self.db.cursor()
        out: dict[str, int] = {}
        for name in ("warehouses", "price_types", "products"):
            table = f"stage_m_{name}" if staged else name
            row = cur.execute(f"SELECT count(DISTINCT id) FROM {table}").fetchone()
            out[name] = int(row[0]) if row else 0
        return out

    def apply_mirror_stages(self, now: datetime, counts: Mapping[str, int]) -> int:
        """Merge all stages into the mirror in one transaction and rebuild the picker table;
        returns the rows the mirror now holds (products + prices + stock). A failure leaves the
        previous mirror exactly as it was. `counts` are accounting's catalog sizes (meta
        `count:<catalog>`, compared by the sync engine to skip unchanged catalogs)."""
        with self.db.transaction() as cur:
            cur.execute(
                "UPDATE stage_m_products SET unit_name = u.name FROM stage_m_units u "
                "WHERE u.id = stage_m_products.unit_id"
            )
            _merge_keyed(cur, "warehouses", "stage_m_warehouses", WAREHOUSE_COLUMNS)
            _merge_keyed(cur, "price_types", "stage_m_price_types", PRICE_TYPE_COLUMNS)
            cur.execute(
                "MERGE INTO units t USING (SELECT DISTINCT ON (id) * FROM stage_m_units) s ON t.id = s.id "
                "WHEN MATCHED AND (t.name IS DISTINCT FROM s.name OR t.factor IS DISTINCT FROM s.factor "
                "OR t.owner_id IS DISTINCT FROM s.owner_id) THEN UPDATE SET name = s.name, factor = s.factor, "
                "owner_id = s.owner_id WHEN NOT MATCHED THEN INSERT VALUES (s.id, s.owner_id, s.name, s.factor) "
                "WHEN NOT MATCHED BY SOURCE THEN DELETE"
            )
            _merge_keyed(cur, "products", "stage_m_products", PRODUCT_COLUMNS, also=("vat_rate",))
            cur.execute(
                "UPDATE products SET search = lower(concat_ws(' ', code, article, name)) "
                "WHERE search IS DISTINCT FROM lower(concat_ws(' ', code, article, name))"
            )
            cur.execute("DELETE FROM prices")
            cur.execute(
                "INSERT INTO prices SELECT DISTINCT ON (price_type_id, product_id) price_type_id, product_id, "
                "price, unit_id, period FROM stage_m_prices "
                "ORDER BY price_type_id, product_id, has_variant, period DESC"
            )
            cur.execute("DELETE FROM stock")
            cur.execute(
                "INSERT INTO stock SELECT warehouse_id, product_id, sum(on_hand), sum(reserved) "
                "FROM stage_m_stock GROUP BY warehouse_id, product_id"
            )
            self.rebuild_picker(cur)
            self.set_meta(cur, "mirror_pulled_at", now.isoformat())
            for key, value in counts.items():
                self.set_meta(cur, f"count:{key}", str(value))
            row = cur.execute(
                "SELECT (SELECT count(*) FROM products) + (SELECT count(*) FROM prices) "
                "+ (SELECT count(*) FROM stock)"
            ).fetchone()
        self.drop_mirror_stages()
        return int(row[0]) if row else 0

    def write_mirror(
        self,
        *,
        warehouses: Sequence[WarehouseRow] = (),
        price_types: Sequence[PriceTypeRow] = (),
        units: Sequence[UnitRow] = (),
        products: Sequence[ProductRow] = (),
        prices: Sequence[PriceRow] = (),
        stock: Sequence[StockRow] = (),
        counts: Mapping[str, int] | None = None,
    ) -> int:
        """Replace the whole product mirror with these rows, through the pull's own stages and
        merge (seeds, benchmarks and tests write the mirror exactly as production does)."""
        self.create_mirror_stages()
        try:
            cur = self.db.cursor()
            bulk_insert(cur, "stage_m_warehouses", WAREHOUSE_COLUMNS, warehouses)
            bulk_insert(cur, "stage_m_price_types", PRICE_TYPE_COLUMNS, price_types)
            bulk_insert(cur, "stage_m_units", UNIT_COLUMNS, units)
            bulk_insert(cur, "stage_m_products", PRODUCT_COLUMNS, products)
            bulk_insert(cur, "stage_m_prices", STAGE_PRICE_COLUMNS,
                        [(p.price_type_id, p.product_id, p.has_variant, p.price, p.unit_id, p.period)
                         for p in prices])
            bulk_insert(cur, "stage_m_stock", STAGE_STOCK_COLUMNS, stock)
            return self.apply_mirror_stages(self.clock(), counts if counts is not None
                                            else {"product": len(products)})
        finally:
            self.drop_mirror_stages()

    def rebuild_picker(self, cur: duckdb.DuckDBPyConnection) -> None:
        """Recompute the denormalised picker table (one row per warehouse x product), written in
        (warehouse, name, code) order: `picker_search` reads the first rows of an empty search in
        table order, and a warehouse's rows together let its filter skip the others' row groups.

        Built warehouse by warehouse from the products prepared once (search key and rank by
        name, code in a TEMP table): the key is computed 100k times, not once per picker row, and
        each warehouse sorts its own 100k rows by an integer instead of one sort of 1M rows by
        text (bench/sync.py: 5.2 → ~1.5 s of the first pull's final transaction on 100k × 10)."""
        cur.execute("DELETE FROM picker")
        cur.execute(
            "CREATE OR REPLACE TEMP TABLE picker_products AS "
            "SELECT id, code, article, name, unit_name, vat_rate, {search} AS search, "
            "row_number() OVER (ORDER BY name, code) AS rank "
            "FROM products WHERE NOT deletion_mark".format(search=search_key_sql("search"))
        )
        warehouses = [r[0] for r in cur.execute(
            "SELECT id FROM warehouses WHERE NOT is_folder AND NOT deletion_mark ORDER BY id").fetchall()]
        for warehouse_id in warehouses:
            cur.execute(
                """
                INSERT INTO picker
                SELECT ?, p.id, p.code, p.article, p.name, p.unit_name, p.vat_rate, p.search,
                       coalesce(s.on_hand, 0), coalesce(s.reserved, 0),
                       coalesce(s.on_hand, 0) - coalesce(s.reserved, 0)
                FROM picker_products p
                LEFT JOIN (
                    SELECT product_id, sum(on_hand) AS on_hand, sum(reserved) AS reserved
                    FROM stock WHERE warehouse_id = ? GROUP BY product_id
                ) s ON s.product_id = p.id
                ORDER BY p.rank
                """,
                [warehouse_id, warehouse_id],
            )
        cur.execute("DROP TABLE IF EXISTS picker_products")

    # -- live rows: figures of the products on screen, between two full writes ---------------
    def update_live_stock(
        self, cur: duckdb.DuckDBPyConnection, warehouse_id: str, product_ids: Sequence[str],
        rows: Mapping[str, tuple[Decimal, Decimal]],
    ) -> list[str]:
        """Replace stock of these products on one warehouse (absent = zero) and their picker rows.
        Returns the ids whose figures changed."""
        ids = list(dict.fromkeys(product_ids))
        if not ids:
            return []
        old = {
            r[0]: (r[1], r[2]) for r in cur.execute(
                "SELECT product_id, sum(on_hand), sum(reserved) FROM stock WHERE warehouse_id = ? "
                "AND product_id IN (SELECT unnest(?::VARCHAR[])) GROUP BY product_id", [warehouse_id, ids],
            ).fetchall()
        }
        zero = (Decimal(0), Decimal(0))
        changed = [i for i in ids if old.get(i, zero) != rows.get(i, zero)]
        if not changed:
            return []
        cur.execute(
            "DELETE FROM stock WHERE warehouse_id = ? AND product_id IN (SELECT unnest(?::VARCHAR[]))",
            [warehouse_id, changed],
        )
        new_rows = [(warehouse_id, i, *rows[i]) for i in changed if i in rows]
        if new_rows:
            bulk_insert(cur, "stock", STAGE_STOCK_COLUMNS, new_rows)
        for i in changed:
            on_hand, reserved = rows.get(i, zero)
            cur.execute(
                "UPDATE picker SET on_hand = ?, reserved = ?, free_stock = ? WHERE warehouse_id = ? AND product_id = ?",
                [on_hand, reserved, on_hand - reserved, warehouse_id, i],
            )
        return changed

    def update_live_prices(
        self, cur: duckdb.DuckDBPyConnection, price_type_id: str, product_ids: Sequence[str],
        rows: Mapping[str, tuple[Decimal, str | None, datetime | None]],
    ) -> list[str]:
        """Replace prices of these products in one price type (absent = no price)."""
        ids = list(dict.fromkeys(product_ids))
        if not ids:
            return []
        old = {
            r[0]: r[1] for r in cur.execute(
                "SELECT product_id, price FROM prices WHERE price_type_id = ? "
                "AND product_id IN (SELECT unnest(?::VARCHAR[]))", [price_type_id, ids],
            ).fetchall()
        }
        changed = [i for i in ids if old.get(i) != (rows[i][0] if i in rows else None)]
        if not changed:
            return []
        cur.execute(
            "DELETE FROM prices WHERE price_type_id = ? AND product_id IN (SELECT unnest(?::VARCHAR[]))",
            [price_type_id, changed],
        )
        for i in changed:
            if i in rows:
                price, unit, period = rows[i]
                cur.execute("INSERT INTO prices VALUES (?, ?, ?, ?, ?)", [price_type_id, i, price, unit, period])
        return changed

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
    def close_interrupted_runs(self) -> int:
        """Runs left open by a process that died (kill -9, power loss) are closed as failed, so
        the sync log never shows "running…" forever. Only safe when this process holds the file,
        which opening it guarantees (DuckDB locks it against other processes). Looked for first,
        so that an open with no such run writes nothing (and waits for no block check)."""
        found = self.db.cursor().execute("SELECT count(*) FROM sync_runs WHERE finished_at IS NULL").fetchone()
        if not found or not found[0]:
            return 0
        with self.db.transaction() as cur:
            rows = cur.execute(
                "UPDATE sync_runs SET finished_at = started_at, ok = FALSE, error = ? "
                "WHERE finished_at IS NULL RETURNING id",
                ["interrupted: the program stopped before this run finished"],
            ).fetchall()
        return len(rows)

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

    def mirror_counts(self) -> dict[str, int]:
        cur = self.db.cursor()
        counts: dict[str, int] = {}
        for table in ("warehouses", "price_types", "products", "prices", "stock", "picker"):
            row = cur.execute(f"SELECT count(*) FROM {table}").fetchone()
            counts[table] = int(row[0]) if row else 0
        return counts
