"""`tui-crm status ТД9` while a TUI holds the store: the same orders from accounting as from the
store. 1C pads numbers (`ТД000000009`); the accounting answer used to ask
`substringof('ТД9', Number)`, which no padded number holds, so it found nothing. Real sandbox
over loopback, a real store file held by this process (DuckDB locks it against the CLI's)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from onec_sandbox.server import start_in_thread
from onec_sandbox.state import SandboxState
from tests.clock import TestClock
from tests.sync.sandbox_kit import ORDER, save_invoice
from tui_crm.store import Store


def cli(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUI_CRM_")}
    env.update({"TUI_CRM_CONFIG": str(tmp / "none.toml"), "PYTHONIOENCODING": "utf-8", "TUI_CRM_LANG": "en",
                "XDG_DATA_HOME": str(tmp / "data")})
    return subprocess.run([sys.executable, "-m", "tui_crm.cli", *args], capture_output=True, text=True,
                          timeout=120, env=env)


@pytest.fixture
def sandbox() -> Iterator[object]:
    running = start_in_thread(SandboxState.seeded(products=5, warehouses=1, seed=3), base="demo")
    yield running
    running.stop()


def found(tmp: Path, query: str, store: Path, url: str, source: str) -> list[str]:
    done = cli(tmp, "status", query, "--json", "--store", str(store), "--url", url)
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode in (0, 3), done.stderr
    if done.returncode == 3:
        return []
    answer = json.loads(done.stdout)
    assert answer["source"] == source
    return sorted(i["number"] for i in answer["invoices"])


def test_status_finds_a_short_number_from_accounting_as_from_the_store(sandbox, tmp_path: Path) -> None:
    path = tmp_path / "crm.duckdb"
    assert cli(tmp_path, "sync", "--once", "--quiet", "--url", sandbox.base_url, "--store", str(path)).returncode == 0
    store = Store.open(path, clock=TestClock())
    try:
        client_id = store.db.cursor().execute("SELECT id FROM counterparties ORDER BY name LIMIT 1").fetchone()[0]
        for _ in range(20):   # ТД000000001 … ТД000000020: ТД9 must find 9, not 19
            save_invoice(store, client_id, lines=1, qty="1")
    finally:
        store.close()
    pushed = cli(tmp_path, "sync", "--once", "--quiet", "--url", sandbox.base_url, "--store", str(path))
    assert pushed.returncode == 0, pushed.stderr
    numbers = sorted(o["Number"] for o in sandbox.state.objects[ORDER].values())
    assert numbers[8] == "ТД000000009" and len(numbers) == 20

    queries = ("ТД9", "тд 9", "ТД-09", "9", "ТД000000009", "ТД00000001", "000009", "ТД19", "ТД21", "Т9")
    from_store = {q: found(tmp_path, q, path, sandbox.base_url, "store") for q in queries}
    assert from_store["ТД9"] == from_store["ТД-09"] == ["ТД000000009"]
    assert from_store["тд 9"] == ["ТД000000009", "ТД000000019"]   # each word: "тд" and "9" inside
    assert from_store["ТД19"] == ["ТД000000019"] and from_store["ТД21"] == []
    holder = Store.open(path, clock=TestClock())   # like a running TUI
    try:
        from_accounting = {q: found(tmp_path, q, path, sandbox.base_url, "accounting") for q in queries}
    finally:
        holder.close()
    assert from_accounting == from_store
