"""Hostile data and a hostile server (issue 9, items 3 and 4): text 1C allows reaches the mirror
exactly, and a paging loop or a pull cycle that would never end fails in bounded time."""

from __future__ import annotations

import glob
import os
import tempfile

import duckdb
import pytest

from onec_sandbox.state import SandboxState
from tests.clock import TestClock
from tests.sync.sandbox_kit import make_rig
from tui_crm.store import Store
from tui_crm.sync.columns import csv_text
from tui_crm.sync.writer import StoreWriter

PRODUCTS = "Catalog_Номенклатура"

# (name, full name): everything 1C lets an accountant type or paste into a product's texts.
HOSTILE = [
    ("Кофе\rзерно", "Кофе\rзерно полное"),
    ("Чай\r\nлист", "Чай\r\nлист\r\nполное"),
    ("Сахар\x0bрафинад", "Сахар\x0bрафинад\x0cформ"),
    ('Вода "Родник" 0,5', 'Вода ""Родник"" \\"0,5\\"'),
    ("Соль\\N", "\\N"),
    ("Мёд; липовый, 1 кг", "Мёд;липовый;\t1 кг"),
    ("Перец молотый", "Перец " + "о" * 10_000),
]


def _spoil_products(state: SandboxState) -> dict[str, tuple[str, str]]:
    rows = [r for r in state.objects[PRODUCTS].values() if not r.get("IsFolder")]
    out = {}
    for row, (name, full) in zip(rows, HOSTILE, strict=False):
        row["Description"] = name
        row["НаименованиеПолное"] = full
        out[row["Ref_Key"]] = (name, full)
    return out


def _stage_leftovers() -> list[str]:
    return glob.glob(os.path.join(tempfile.gettempdir(), "tui-crm-stage-*", "*.csv"))


async def test_text_1c_allows_reaches_the_mirror_exactly() -> None:
    state = SandboxState.seeded(products=40, warehouses=2, seed=9)
    want = _spoil_products(state)
    rig = make_rig(state=state)
    try:
        result = await rig.service.pull_now(full=True)
        assert result is not None, rig.service.last_error
        got = {r[0]: (r[1], r[2]) for r in rig.store.db.cursor().execute(
            "SELECT id, name, full_name FROM products WHERE id IN (SELECT unnest(?))", [list(want)]).fetchall()}
        assert got == want
        wh = rig.store.warehouses()[0].id
        pt = rig.store.price_types()[0].id
        names = {r.name for r in rig.store.picker_search(wh, pt, "", limit=200)}
        assert {name for name, _ in HOSTILE} <= names
        hit = rig.store.picker_search(wh, pt, "родник")
        assert [r.name for r in hit] == ['Вода "Родник" 0,5']
        assert not _stage_leftovers()
    finally:
        await rig.aclose()


def test_stage_carries_any_text_and_leaves_no_file_behind() -> None:
    texts = ["a\rb", "\r", "\n", "a\r\nb", "\x0b", '"', '""', "\\", "\\N", "", ",", ";", "\t",
             "\x00", "\x01", "\x1b[31m", "я" * 1_000_000, "ё" * 1_000_000, "NULL", " x "]
    store = Store.open(None, clock=TestClock())
    w = StoreWriter(store)
    try:
        cur = w.cursor()
        cur.execute("CREATE TEMP TABLE stage_t (i INTEGER, s VARCHAR, d DECIMAL(15, 2))")
        cols = [("i", "INTEGER"), ("s", "VARCHAR"), ("d", "DECIMAL(15, 2)")]
        values = [*texts, None]
        w.stage_columns("stage_t", cols, [[csv_text(i) for i in range(len(values))],
                                          [csv_text(t) for t in values], [csv_text(None)] * len(values)])
        got = dict(cur.execute("SELECT i, s FROM stage_t").fetchall())
        assert [got[i] for i in range(len(values))] == values
        with pytest.raises(duckdb.Error):   # a value DuckDB refuses: the error, and no CSV left
            w.stage_columns("stage_t", cols, [[csv_text(1)], [csv_text("x")], [csv_text("not a number")]])
        assert os.listdir(w._tmp) == []
    finally:
        w.close()
        store.close()
