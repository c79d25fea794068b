"""The products screen keeps live only the rows on screen, like the picker (issue 13): the live
job's requests follow the rows in the table's scroll window, not the search's LIMIT of 200 rows.
A re-read after a live change keeps the operator where they were (scroll and cursor)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from tests.clock import TestClock
from tests.seed import PRICE_TYPES, WAREHOUSES, screen_app, settle
from tui_crm.screens.products import ProductsScreen
from tui_crm.store import PriceRow, PriceTypeRow, ProductRow, StockRow, Store, WarehouseRow
from tui_crm.sync.odata import ODataClient
from tui_crm.sync.service import SyncService
from tui_crm.widgets.columns import FitTable

PRODUCTS = 60   # more than an 80x24 screen shows


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "crm.duckdb", clock=TestClock())
    ids = [f"c0000000-0000-0000-0000-{n:012d}" for n in range(1, PRODUCTS + 1)]
    s.write_mirror(
        warehouses=[WarehouseRow(i, f"0{n}", name, data_version="1") for n, (i, name) in enumerate(WAREHOUSES, 1)],
        price_types=[PriceTypeRow(i, f"0{n}", name, data_version="1") for n, (i, name) in enumerate(PRICE_TYPES, 1)],
        products=[ProductRow(pid, f"00-{n:08d}", "", f"Товар {n:03d}", "", None, "шт", "НДС20", data_version="1")
                  for n, pid in enumerate(ids, 1)],
        prices=[PriceRow(PRICE_TYPES[0][0], pid, Decimal("10.00")) for pid in ids],
        stock=[StockRow(WAREHOUSES[0][0], pid, Decimal(5)) for pid in ids],
    )
    yield s
    s.close()


async def test_products_watch_the_rows_in_their_scroll_window(store: Store) -> None:
    # A real engine that is never asked to run: only what it is told to watch is looked at.
    service = SyncService(store, ODataClient("http://127.0.0.1:9/base/odata/standard.odata/"))
    app = screen_app(store, ProductsScreen, service=service)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, ProductsScreen)
            table = screen.query_one("#products", FitTable)
            rows = [str(table.coordinate_to_cell_key((i, 0)).row_key.value) for i in range(table.row_count)]
            assert len(rows) == PRODUCTS
            watched, _ = service.watched
            assert 0 < len(watched) < len(rows), "only the rows that fit are watched"
            assert list(watched) == rows[: len(watched)]
            assert service.live_job._watch.warehouse_id == WAREHOUSES[0][0]

            table.focus()                    # down to the list's last row: it scrolls
            await pilot.press(*["down"] * len(rows))
            await pilot.wait_for_scheduled_animations()
            await settle(pilot)
            watched_after, _ = service.watched
            assert rows[-1] in watched_after and rows[0] not in watched_after
            assert len(watched_after) == len(watched)

            # The live job changed a row on screen: the re-read keeps the scroll, the cursor (here
            # in the middle of the window) and the watched rows, and shows the new figure.
            await pilot.press(*["up"] * (len(watched) // 2))
            await settle(pilot)
            assert service.watched[0] == watched_after, "moving the cursor inside the window scrolls nothing"
            scrolled, cursor = table.scroll_y, table.cursor_row
            with store.db.transaction() as cur:
                assert store.update_live_stock(cur, WAREHOUSES[0][0], [rows[-1]],
                                               {rows[-1]: (Decimal(99), Decimal(0))}) == [rows[-1]]
            screen.live_rows_changed()
            await settle(pilot)
            assert (table.scroll_y, table.cursor_row) == (scrolled, cursor)
            assert service.watched[0] == watched_after
            assert "99" in str(table.get_cell(rows[-1], "free"))

            await pilot.press("escape")      # closed: nothing is watched any more
            await settle(pilot)
            assert not isinstance(app.screen, ProductsScreen)
            assert service.watched[0] == ()
    finally:
        await service.aclose()
