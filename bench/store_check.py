"""What the damaged-block check costs at `Store.open` on a 100k-product store (issue 9, item 5).

DuckDB verifies a block's checksum when it loads it, so the only way to notice a damaged block
at open is to read it. This prints, on one store file (100k products × 2 warehouses, 2 price
types, the CRM rows of the screen seed): `Store.open` with the check as shipped (every table but
the four big mirror tables, `UNCHECKED_AT_OPEN`) and without it, the check alone on an open
connection, and a read of every table (what checking the mirror too would cost). Medians.

Not a test. Run: `.venv/bin/python bench/store_check.py [--products N] [--runs N]`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.clock import TestClock
from tests.seed import seed_clients
from tui_crm.store import Store, db
from tui_crm.store.db import check_blocks
from tui_crm.store.mirror import PriceRow, PriceTypeRow, ProductRow, StockRow, WarehouseRow


def build(path: Path, products: int) -> None:
    store = Store.open(path, clock=TestClock())
    wh = [WarehouseRow(str(uuid.uuid4()), str(n), f"Склад {n}") for n in (1, 2)]
    pt = [PriceTypeRow(str(uuid.uuid4()), str(n), f"Цена {n}") for n in (1, 2)]
    rows = [ProductRow(str(uuid.uuid4()), f"{i:08d}", f"ART-{i}", f"Товар номер {i} в каталоге",
                       f"Товар номер {i} в каталоге, полное наименование", None, "шт", "НДС20")
            for i in range(products)]
    store.write_mirror(warehouses=wh, price_types=pt, products=rows,
                       prices=[PriceRow(t.id, p.id, Decimal("100.50")) for t in pt for p in rows],
                       stock=[StockRow(w.id, p.id, Decimal(7)) for w in wh for p in rows])
    seed_clients(store)
    store.close()


def timed(fn, runs: int) -> float:
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        out.append(time.perf_counter() - started)
    return statistics.median(out)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--products", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "crm.duckdb"
        build(path, args.products)

        con = db.connect(str(path), read_only=True)
        try:
            print(f"store: {args.products} products, {path.stat().st_size / 1e6:.0f} MB; median of {args.runs}")
            print(f"check as shipped (mirror tables skipped) "
                  f"{timed(lambda: check_blocks(con, path), args.runs):7.3f} s")
            print(f"check of every table                     "
                  f"{timed(lambda: check_blocks(con, path, frozenset()), args.runs):7.3f} s")
        finally:
            con.close()
        print(f"Store.open with the check                {timed(lambda: Store.open(path).close(), args.runs):7.3f} s")
        shipped = db.check_blocks
        db.check_blocks = lambda con, path, skip=frozenset(): []   # type: ignore[assignment]
        try:
            print(f"Store.open without it                    "
                  f"{timed(lambda: Store.open(path).close(), args.runs):7.3f} s")
        finally:
            db.check_blocks = shipped

if __name__ == "__main__":
    main()
