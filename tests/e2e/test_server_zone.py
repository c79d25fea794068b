"""Dates are shown and typed as 1C shows them, in the 1C server's zone (`accounting.server_timezone`):
the store keeps UTC, so without converting back an order 1C dated 4 December 01:30 in Vladivostok
(3 December 15:30 UTC) was listed on 3 December, and a date typed in `invoice add` was taken as
UTC midnight."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from onec_sandbox.server import start_in_thread
from onec_sandbox.state import SandboxState
from tests.clock import TestClock
from tests.sync.sandbox_kit import ORDER
from tui_crm.store import Store


@pytest.fixture
def sandbox():
    running = start_in_thread(SandboxState.seeded(products=30, warehouses=2, seed=3), base="demo")
    yield running
    running.stop()


def cli(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    config = tmp / "crm.toml"
    config.write_text('[accounting]\nserver_timezone = "Asia/Vladivostok"\n', encoding="utf-8")
    env = {**os.environ, "TUI_CRM_CONFIG": str(config), "PYTHONIOENCODING": "utf-8",
           "XDG_DATA_HOME": str(tmp / "data"), "TUI_CRM_LANG": "en"}
    return subprocess.run([sys.executable, "-m", "tui_crm.cli", *args], capture_output=True, text=True,
                          timeout=90, env=env)


def _seen_at(path: Path) -> datetime:
    store = Store.open(path, clock=TestClock())
    try:
        seen = store.get_meta("orders_seen_at")
    finally:
        store.close()
    assert seen
    return datetime.fromisoformat(seen)


def test_dates_are_shown_and_typed_in_the_servers_zone(sandbox, tmp_path: Path) -> None:
    store = ["--store", str(tmp_path / "crm.duckdb")]
    st = [*store, "--url", sandbox.base_url]
    pulled = cli(tmp_path, "sync", "--once", "--quiet", *st)
    assert pulled.returncode == 0, pulled.stderr
    client = cli(tmp_path, "client", "add", *store, "--name", "ООО «Восток»", "--inn", "7736050003",
                 "--kpp", "773601001", "--json")
    assert client.returncode == 0, client.stderr
    warehouse = next(w for w in sandbox.state.objects["Catalog_Склады"].values() if not w.get("IsFolder"))
    product = next(p for p in sandbox.state.objects["Catalog_Номенклатура"].values()
                   if not p.get("IsFolder") and not p.get("Услуга"))
    made = cli(tmp_path, "invoice", "add", *store, "--client", "7736050003",
               "--warehouse", warehouse["Description"], "--line", f"{product['Code']}:1",
               "--date", "2026-12-05", "--json")
    assert made.returncode == 0, made.stderr
    added = json.loads(made.stdout)
    assert added["date"].startswith("2026-12-05 "), added       # as typed, not UTC midnight
    pushed = cli(tmp_path, "sync", "--once", "--quiet", *st)
    assert pushed.returncode == 0, pushed.stderr
    assert sandbox.state.objects[ORDER][added["id"]]["Date"].startswith("2026-12-05T")

    # An order an accountant makes in 1C for that client at 01:30 server time on the day the CLI
    # last looked (its own clock, kept in the store: the pull looks two days back from it).
    day = _seen_at(tmp_path / "crm.duckdb").replace(tzinfo=UTC).astimezone(ZoneInfo("Asia/Vladivostok")).date()
    when = f"{day.isoformat()}T01:30:00"
    ours = copy.deepcopy(sandbox.state.objects[ORDER][added["id"]])
    ref = str(uuid.uuid4())
    sandbox.state.put(ORDER, {**ours, "Ref_Key": ref, "Date": when,
                              "Number": sandbox.state.next_number(ORDER, when, "ТД")})
    number = sandbox.state.objects[ORDER][ref]["Number"]
    again = cli(tmp_path, "sync", "--once", "--quiet", *st)
    assert again.returncode == 0, again.stderr
    answer = cli(tmp_path, "status", number, "--json", *store)
    assert answer.returncode == 0, answer.stderr
    found = [i for i in json.loads(answer.stdout)["invoices"] if i["number"] == number]
    assert found and found[0]["date"] == f"{day.isoformat()} 01:30:00", found
