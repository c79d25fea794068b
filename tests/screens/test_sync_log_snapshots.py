"""Snapshots of the sync log: runs with 1C's error, outbox with a failed and a pending push."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.clock import TestClock
from tests.seed import screen_app, seed_client, seed_store, seed_sync_log, settle
from tui_crm.screens.sync_log import SyncLogScreen
from tui_crm.store import Store

SIZE = (110, 32)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "crm.duckdb", clock=TestClock())
    seed_store(s)
    seed_client(s)
    seed_sync_log(s)
    yield s
    s.close()


def test_sync_log_outbox_failed_item(snap_compare, store: Store) -> None:
    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("tab")
        await settle(pilot)

    assert snap_compare(screen_app(store, SyncLogScreen), terminal_size=SIZE, run_before=run_before)


def test_sync_log_full_error_viewer_ru(snap_compare, store: Store) -> None:
    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("tab", "enter")
        await settle(pilot)

    assert snap_compare(screen_app(store, SyncLogScreen, lang="ru"), terminal_size=SIZE, run_before=run_before)
