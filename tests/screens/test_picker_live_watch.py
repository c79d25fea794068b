"""The picker keeps live only the rows on screen (issue 13): the live job's requests follow what
the operator sees (3 requests per 20 rows), not the search's LIMIT of 50 rows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.clock import TestClock
from tests.seed import PRICE_TYPES, WAREHOUSES, screen_app, seed_store, settle
from tui_crm.screens.picker import PickerScreen, PickerTable
from tui_crm.store import Store
from tui_crm.sync.odata import ODataClient
from tui_crm.sync.service import SyncService


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "crm.duckdb", clock=TestClock())
    seed_store(s)
    yield s
    s.close()


async def test_picker_watches_the_rows_in_its_scroll_window(store: Store) -> None:
    # A real engine that is never asked to run: only what it is told to watch is looked at.
    service = SyncService(store, ODataClient("http://127.0.0.1:9/base/odata/standard.odata/"))
    app = screen_app(store, lambda s: PickerScreen(s, WAREHOUSES[0][0], PRICE_TYPES[0][0]), service=service)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            picker = app.screen
            assert isinstance(picker, PickerScreen)
            table = picker.query_one("#picker-table", PickerTable)
            rows = [picker._product_at(i) for i in range(table.row_count)]
            watched, _ = service.watched
            assert 0 < len(watched) < len(rows), "only the rows that fit are watched"
            assert list(watched) == rows[: len(watched)]
            assert service.live_job._watch.warehouse_id == WAREHOUSES[0][0]

            await pilot.press("down")        # into the list, then down to its last row: it scrolls
            await pilot.press(*["down"] * len(rows))
            await pilot.wait_for_scheduled_animations()
            await settle(pilot)
            watched_after, _ = service.watched
            assert rows[-1] in watched_after and rows[0] not in watched_after
            assert len(watched_after) == len(watched)

            await pilot.press("escape")      # closed: nothing is watched any more
            await settle(pilot)
            assert service.watched[0] == ()
    finally:
        await service.aclose()
