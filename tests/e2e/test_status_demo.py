"""`tui-crm status` with a running demo (issue 11, item 2), over real loopback: without --store it
finds the demo's store; with the demo's --store while a TUI holds it, it asks the demo's sandbox
without a --url; the accounting answer names the client and carries shipped % like the store's;
clients that only accounting has are found (by name and by phone)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from onec_sandbox.server import start_in_thread
from onec_sandbox.state import SandboxState
from tests.clock import TestClock
from tests.sync.sandbox_kit import ORDER, clerk_ship
from tui_crm import running_demo
from tui_crm.store import Store
from tui_crm.sync.odata import ODataClient


def env_for(tmp: Path) -> dict[str, str]:
    env = {**os.environ, "TUI_CRM_CONFIG": str(tmp / "none.toml"), "PYTHONIOENCODING": "utf-8",
           "XDG_DATA_HOME": str(tmp / "data"), "TUI_CRM_LANG": "en"}
    for name in ("TUI_CRM_STORE", "TUI_CRM_URL"):
        env.pop(name, None)
    return env


def cli(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tui_crm.cli", *args], capture_output=True, text=True,
                          timeout=90, env=env_for(tmp))


@pytest.fixture
def sandbox():
    running = start_in_thread(SandboxState.seeded(products=30, warehouses=2, seed=3), base="demo")
    yield running
    running.stop()


def test_status_finds_the_running_demo_and_answers_alike_from_accounting(
    sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    folder = running_demo.demo_folder()
    assert str(folder).startswith(str(tmp_path))
    folder.mkdir(parents=True)
    store_path = folder / "crm.duckdb"
    st = ["--store", str(store_path)]
    assert cli(tmp_path, "sync", "--once", "--quiet", "--url", sandbox.base_url, *st).returncode == 0
    store = Store.open(store_path, clock=TestClock())
    try:
        cp_id, cp_name, cp_inn, phones = store.db.cursor().execute(
            "SELECT id, name, inn, phones FROM counterparties WHERE inn <> '' AND len(phones) > 0 "
            "ORDER BY name LIMIT 1").fetchone()
        warehouse = store.warehouses()[0]
        code = next(r.code for r in store.picker_search(warehouse.id, store.price_types()[0].id, "", limit=20)
                    if r.price is not None and r.free_stock >= 4)
    finally:
        store.close()
    made = cli(tmp_path, "invoice", "add", *st, "--client", cp_inn, "--warehouse", warehouse.name,
               "--line", f"{code}:4", "--json")
    assert made.returncode == 0, made.stderr
    invoice_id = json.loads(made.stdout)["id"]
    assert cli(tmp_path, "sync", "--once", "--quiet", "--url", sandbox.base_url, *st).returncode == 0
    number = sandbox.state.objects[ORDER][invoice_id]["Number"]

    async def ship_half() -> None:
        clerk = ODataClient(sandbox.base_url)
        try:
            await clerk_ship(clerk, invoice_id, Decimal("0.5"))
        finally:
            await clerk.aclose()

    asyncio.run(ship_half())
    assert cli(tmp_path, "sync", "--once", "--quiet", "--url", sandbox.base_url, *st).returncode == 0

    # No demo running: the default store does not exist, which is an error (never a new empty file).
    none = cli(tmp_path, "status", cp_name)
    assert none.returncode == 2 and "does not exist" in none.stderr
    assert not (running_demo.demo_folder().parent / "crm.duckdb").exists()

    running_demo.write(folder, sandbox.base_url, store_path)  # as `tui-crm demo` does while it runs
    try:
        # 1. no --store: the demo's store; a client only accounting has, by name and by phone
        found = cli(tmp_path, "status", cp_name, "--json")
        assert found.returncode == 0, found.stderr
        data = json.loads(found.stdout)
        assert data["source"] == "store"
        assert [(c["id"], c["phones"]) for c in data["clients"]] == [(cp_id, phones)]
        assert data["invoices"][0]["number"] == number and data["invoices"][0]["client"] == cp_name
        from_store = data["invoices"][0]
        d = phones[0][2:]
        by_phone = cli(tmp_path, "status", f"{d[3:6]}-{d[6:8]}-{d[8:]}", "--json")
        assert by_phone.returncode == 0 and json.loads(by_phone.stdout)["clients"][0]["id"] == cp_id
        text = cli(tmp_path, "status", number)
        assert text.returncode == 0 and cp_name in text.stdout and "50%" in text.stdout
        assert "running demo" in text.stderr

        # 2. a TUI holds the demo's store: --store of the demo, no --url, asks the demo's sandbox
        holder = Store.open(store_path, clock=TestClock())
        try:
            live = cli(tmp_path, "status", number, "--json", *st)
            assert live.returncode == 0, live.stderr
            answer = json.loads(live.stdout)
            assert answer["source"] == "accounting"
            inv = answer["invoices"][0]
            assert inv["number"] == number and inv["client"] == cp_name  # named, as the text shows
            assert inv["shipped_pct"] == from_store["shipped_pct"] == "50.0"
            shown = cli(tmp_path, "status", number, *st)
            assert shown.returncode == 0 and cp_name in shown.stdout and "50%" in shown.stdout
        finally:
            holder.close()
    finally:
        running_demo.clear(folder)
    # the demo is gone: its store named explicitly still works, and a mistyped one is an error
    assert cli(tmp_path, "status", cp_name, *st).returncode == 0
    typo = cli(tmp_path, "status", cp_name, "--store", str(folder / "crm.duckbd"))
    assert typo.returncode == 2 and not (folder / "crm.duckbd").exists()


def test_a_demo_file_left_by_a_killed_demo_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    folder = running_demo.demo_folder()
    folder.mkdir(parents=True)
    (folder / running_demo.FILE_NAME).write_text(
        json.dumps({"url": "http://127.0.0.1:9/demo/", "store": str(folder / "crm.duckdb"), "pid": 2 ** 22 + 7}),
        encoding="utf-8")
    assert running_demo.find() is None
    (folder / running_demo.FILE_NAME).write_text("{broken", encoding="utf-8")
    assert running_demo.find() is None
    running_demo.write(folder, "http://127.0.0.1:9/demo/", folder / "crm.duckdb")
    assert running_demo.find() == running_demo.RunningDemo("http://127.0.0.1:9/demo/", folder / "crm.duckdb",
                                                           os.getpid())
    assert running_demo.for_store(folder / "crm.duckdb") is not None
    assert running_demo.for_store(tmp_path / "other.duckdb") is None


def test_config_mentions_the_demo_folder(tmp_path: Path) -> None:
    done = cli(tmp_path, "config")
    assert done.returncode == 0
    line = next(x for x in done.stdout.splitlines() if x.startswith("demo folder"))
    assert str(tmp_path / "data" / "tui-crm" / "demo") in line and "not running now" in line
