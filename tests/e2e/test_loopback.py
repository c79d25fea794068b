"""End to end over real loopback HTTP: the sandbox in a thread, the CRM's sync and TUI against it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import DataTable

from onec_sandbox.server import RunningSandbox, start_in_thread
from onec_sandbox.state import SandboxState
from tests.clock import TestClock
from tui_crm.app import CrmApp
from tui_crm.config import AccountingSettings
from tui_crm.screens.products import ProductsScreen
from tui_crm.store import Store
from tui_crm.sync.service import SyncService, client_from_settings


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    running = start_in_thread(SandboxState.seeded(products=80, warehouses=3, seed=5), port=0, base="demo")
    try:
        yield running
    finally:
        running.stop()


def test_sync_command_pulls_over_loopback(sandbox: RunningSandbox, tmp_path: Path) -> None:
    store_path = tmp_path / "crm.duckdb"
    env = {**os.environ, "TUI_CRM_CONFIG": str(tmp_path / "none.toml")}
    proc = subprocess.run(
        [sys.executable, "-m", "tui_crm.cli", "sync", "--once", "--url", sandbox.base_url,
         "--store", str(store_path)],
        capture_output=True, text=True, timeout=120, env=env,
    )
    assert proc.returncode == 0, proc.stderr
    assert "pulled" in proc.stdout
    store = Store.open(store_path, clock=TestClock())
    try:
        assert store.mirror_counts()["warehouses"] == 3
        assert store.last_success() is not None
    finally:
        store.close()


def test_sync_command_reports_unreachable_accounting(tmp_path: Path) -> None:
    env = {**os.environ, "TUI_CRM_CONFIG": str(tmp_path / "none.toml")}
    proc = subprocess.run(
        [sys.executable, "-m", "tui_crm.cli", "sync", "--once", "--url",
         "http://127.0.0.1:9/demo/odata/standard.odata/", "--store", str(tmp_path / "crm.duckdb")],
        capture_output=True, text=True, timeout=120, env=env,
    )
    assert proc.returncode == 1
    assert "pull failed" in proc.stderr


async def test_tui_shows_products_from_the_sandbox_and_filters(sandbox: RunningSandbox, tmp_path: Path) -> None:
    store = Store.open(tmp_path / "crm.duckdb", clock=TestClock())
    service = SyncService(store, client_from_settings(AccountingSettings(url=sandbox.base_url, timeout=10)))
    app = CrmApp(store, service, pull_seconds=3600)
    try:
        async with app.run_test(size=(110, 30)) as pilot:
            if not isinstance(app.screen, ProductsScreen):  # the home screen may be another one
                await app.push_screen(ProductsScreen(store))
                await pilot.pause()
            table = app.screen.query_one("#products", DataTable)
            for _ in range(100):  # the first pull runs from the scheduler; wait for it, bounded
                await pilot.pause(0.1)
                if table.row_count:
                    break
            assert table.row_count > 0
            assert app.sync_view.online is True and app.sync_view.last_success is not None
            first_name = str(table.get_row_at(0)[1])
            word = first_name.split()[0]
            await pilot.press(*word.lower())
            for _ in range(50):
                await pilot.pause(0.05)
                await app.workers.wait_for_complete()
                names = [str(table.get_row_at(i)[1]) for i in range(table.row_count)]
                if names and all(word.lower() in n.lower() for n in names):
                    break
            assert names and all(word.lower() in n.lower() for n in names)
    finally:
        store.close()
