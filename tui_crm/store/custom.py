"""Company-specific data: the items of 1C catalogs that reference custom fields point to, the
custom values of clients, and the clients list's filter by a custom field (all SQL here)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb

from tui_crm.domain.custom import CustomFilter, FieldKind
from tui_crm.store.accounting import _replace_all
from tui_crm.store.db import Database

CUSTOM_ITEM_COLUMNS = (("id", "VARCHAR"), ("catalog", "VARCHAR"), ("code", "VARCHAR"), ("name", "VARCHAR"),
                       ("deletion_mark", "BOOLEAN"))
_COMPARE = {"=": "=", ">": ">", "<": "<"}  # the only operators that reach SQL


@dataclass(frozen=True)
class CustomItem:
    """One item of a 1C catalog a reference field points to."""

    id: str
    catalog: str
    code: str
    name: str


def filter_sql(flt: CustomFilter, column: str = "custom") -> tuple[str, list[Any]]:
    """A WHERE fragment (and its parameters) for a custom-field filter on a JSON column."""
    assert column in ("custom", "t.custom")
    path = f"$.{flt.spec.name}"
    op = _COMPARE[flt.op]
    spec = flt.spec
    if spec.kind is FieldKind.YES_NO:
        return f"coalesce(json_extract_string({column}, ?), 'false') = ?", [path, "true" if flt.value else "false"]
    if spec.kind is FieldKind.NUMBER:
        return f"TRY_CAST(json_extract_string({column}, ?) AS DECIMAL(38, 6)) {op} ?", [path, flt.value]
    if spec.kind is FieldKind.DATE:
        return f"TRY_CAST(json_extract_string({column}, ?) AS DATE) {op} ?", [path, flt.value]
    if spec.kind is FieldKind.REFERENCE:
        return (f"json_extract_string({column}, ?) IN (SELECT id FROM custom_items WHERE catalog = ? "
                "AND contains(lower(name), ?))", [path, spec.catalog, flt.value])
    return f"contains(lower(coalesce(json_extract_string({column}, ?), '')), ?)", [path, flt.value]


class CustomStore:
    """Custom catalog items and custom values; mixed into `Store`."""

    db: Database

    def replace_custom_items(self, cur: duckdb.DuckDBPyConnection, rows: Sequence[Sequence[Any]]) -> None:
        """Make the items mirror equal to ``rows`` (CUSTOM_ITEM_COLUMNS order), in the caller's
        transaction."""
        _replace_all(cur, "custom_items", CUSTOM_ITEM_COLUMNS, rows)

    def custom_items(self, catalog: str, text: str = "", limit: int = 50) -> list[CustomItem]:
        """Items of one catalog whose name or code holds ``text`` (case aside), by name."""
        rows = self.db.cursor().execute(
            "SELECT id, catalog, code, name FROM custom_items WHERE catalog = ? AND NOT deletion_mark "
            "AND (contains(lower(name), ?) OR contains(lower(code), ?)) ORDER BY lower(name), id LIMIT ?",
            [catalog, text.strip().lower(), text.strip().lower(), limit],
        ).fetchall()
        return [CustomItem(*r) for r in rows]

    def custom_item_names(self, ids: Iterable[str]) -> dict[str, str]:
        """Names of items by id (ids not in the mirror are absent)."""
        wanted = [i for i in ids if i]
        if not wanted:
            return {}
        rows = self.db.cursor().execute(
            "SELECT id, name FROM custom_items WHERE id IN (SELECT unnest(?::VARCHAR[]))", [wanted]
        ).fetchall()
        return {r[0]: r[1] for r in rows}

    def client_custom_values(self, client_id: str) -> dict[str, Any]:
        """The custom values of a CRM client, or of an accounting counterparty not adopted yet."""
        cur = self.db.cursor()
        row = cur.execute("SELECT custom FROM clients WHERE id = ?", [client_id]).fetchone()
        if row is None:
            row = cur.execute("SELECT custom FROM counterparties WHERE id = ?", [client_id]).fetchone()
        return _load(row[0] if row else None)

    def invoice_custom_values(self, invoice_id: str) -> dict[str, Any]:
        row = self.db.cursor().execute("SELECT custom FROM invoices WHERE id = ?", [invoice_id]).fetchone()
        return _load(row[0] if row else None)

    @staticmethod
    def write_custom(cur: duckdb.DuckDBPyConnection, table: str, object_id: str, values: Mapping[str, Any]) -> None:
        """Merge ``values`` into a client's or invoice's custom JSON, in the caller's transaction."""
        assert table in ("clients", "invoices")
        row = cur.execute(f"SELECT custom FROM {table} WHERE id = ?", [object_id]).fetchone()
        merged = {**_load(row[0] if row else None), **values}
        cur.execute(f"UPDATE {table} SET custom = ? WHERE id = ?",
                    [json.dumps(merged, ensure_ascii=False, sort_keys=True), object_id])


def _load(raw: object) -> dict[str, Any]:
    if not isinstance(raw, str) or not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
