"""The picker table built warehouse by warehouse (issue 13, the first pull's final transaction)
holds exactly what the one-statement build held, in the same table order: (warehouse, name, code),
which an empty search reads without sorting."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from tests.clock import TestClock
from tui_crm.store import PriceTypeRow, ProductRow, StockRow, Store, WarehouseRow
from tui_crm.store.search import search_key_sql

# The build as it was: one INSERT … SELECT over warehouses × products, sorted by text.
REFERENCE = """
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
    ORDER BY w.id, p.name, p.code
"""


def test_picker_rows_and_order_match_the_one_statement_build(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "crm.duckdb", clock=TestClock())
    warehouses = [
        WarehouseRow("w2", "2", "Юг"), WarehouseRow("w1", "1", "Основной"),
        WarehouseRow("w3", "3", "Папка", is_folder=True), WarehouseRow("w4", "4", "Удалён", deletion_mark=True),
    ]
    names = ["Сок яблочный", "Ёжик «Щётка»", "Abc", "Сок яблочный", "Кофе", "Бумага"]
    products = [
        ProductRow(f"p{n}", f"00-{(n * 7) % 10:02d}", f"ART-{n}", name, name, None, "шт", "НДС20",
                   deletion_mark=(n == 4))
        for n, name in enumerate(names)
    ]
    stock = [
        StockRow("w1", "p0", Decimal("5"), Decimal("1")),
        StockRow("w1", "p0", Decimal("2")),            # two rows of one pair are summed
        StockRow("w2", "p1", Decimal("3.5"), Decimal("4")),
        StockRow("w3", "p2", Decimal("9")),            # a folder's stock is not in the picker
        StockRow("w1", "p9", Decimal("1")),            # stock of a product accounting no longer lists
    ]
    store.write_mirror(warehouses=warehouses, price_types=[PriceTypeRow("t1", "1", "Опт")],
                       products=products, stock=stock)
    cur = store.db.cursor()
    built = cur.execute("SELECT * FROM picker").fetchall()           # table order
    expected = cur.execute(REFERENCE.format(search=search_key_sql("p.search"))).fetchall()
    assert built == expected
    assert len(built) == 2 * 5                                       # 2 warehouses × 5 live products
    free = {(r[0], r[1]): r[10] for r in built}
    assert free["w1", "p0"] == Decimal("6") and free["w2", "p1"] == Decimal("-0.5")
    assert [r.product_id for r in store.picker_search("w1", None, "")] == [r[1] for r in expected if r[0] == "w1"]
    # the TEMP table of the build is gone; a second build gives the same table
    with store.db.transaction() as tx:
        store.rebuild_picker(tx)
    assert cur.execute("SELECT * FROM picker").fetchall() == expected
    store.close()
