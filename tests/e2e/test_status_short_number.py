"""`tui-crm status ТД9` while a TUI holds the store: the same orders from accounting as from the
store. 1C pads numbers (`ТД000000009` in КА 1.1, `ТД00-000009` in УТ 11 and БП 3); the accounting
answer used to ask `substringof('ТД9', Number)`, which no padded number holds, so it found
nothing. Real sandbox over loopback in each configuration, a real store file held by this
process (DuckDB locks it against the CLI's)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from onec_sandbox.server import RunningSandbox, start_in_thread
from onec_sandbox.state import SandboxState
from tests.clock import TestClock
from tests.sync.sandbox_kit import save_invoice
from tui_crm.store import Store
from tui_crm.sync.profile import load_profile


def cli(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUI_CRM_")}
    env.update({"TUI_CRM_CONFIG": str(tmp / "none.toml"), "PYTHONIOENCODING": "utf-8", "TUI_CRM_LANG": "en",
                "XDG_DATA_HOME": str(tmp / "data")})
    return subprocess.run([sys.executable, "-m", "tui_crm.cli", *args], capture_output=True, text=True,
                          timeout=120, env=env)


@pytest.fixture(params=["ka1", "ut11", "bp3"])
def sandbox(request: pytest.FixtureRequest) -> Iterator[RunningSandbox]:
    running = start_in_thread(SandboxState.seeded(products=5, warehouses=1, seed=3, config=request.param),
                              base="demo")
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


#: configuration → its 9th order's number, the queries asked, what the store finds for some
#: (the 20 orders of one organization, `ТД`/`БС`, numbered 1…20)
CASES = {
    "ka1": ("ТД000000009",
            ("ТД9", "тд 9", "ТД-09", "9", "ТД000000009", "ТД00000001", "000009", "ТД19", "ТД21", "Т9"),
            {"ТД9": ["ТД000000009"], "ТД-09": ["ТД000000009"], "тд 9": ["ТД000000009", "ТД000000019"],
             "ТД19": ["ТД000000019"], "ТД21": []}),
    "ut11": ("ТД00-000009",
             ("ТД9", "тд 9", "ТД-09", "9", "ТД00-000009", "тд00-09", "00-9", "ТД01-9", "ТД19", "ТД21"),
             {"ТД9": ["ТД00-000009"], "тд00-09": ["ТД00-000009"], "ТД-09": ["ТД00-000009"],
              "9": ["ТД00-000009", "ТД00-000019"], "ТД19": ["ТД00-000019"], "00-9": [], "ТД01-9": [],
              "ТД21": []}),
    "bp3": ("БС00-000009",
            ("БС9", "бс 9", "БС-09", "БС00-9", "БС00-000009", "БС00-00001", "00-9", "БС01-9", "БС19", "Б9"),
            {"БС9": ["БС00-000009"], "БС00-9": ["БС00-000009"], "БС-09": ["БС00-000009"],
             "БС19": ["БС00-000019"], "00-9": [], "БС01-9": []}),
}


def test_status_finds_a_short_number_from_accounting_as_from_the_store(sandbox: RunningSandbox,
                                                                       tmp_path: Path) -> None:
    config = sandbox.state.config.name
    ninth, queries, expected = CASES[config]
    (tmp_path / "none.toml").write_text(f'[accounting]\nprofile = "{config}"\n', encoding="utf-8")
    path = tmp_path / "crm.duckdb"
    assert cli(tmp_path, "sync", "--once", "--quiet", "--url", sandbox.base_url, "--store", str(path)).returncode == 0
    store = Store.open(path, clock=TestClock())
    try:
        client_id = store.db.cursor().execute("SELECT id FROM counterparties ORDER BY name LIMIT 1").fetchone()[0]
        for _ in range(20):   # …1 … …20: the short form of 9 must find 9, not 19
            save_invoice(store, client_id, lines=1, qty="1")
    finally:
        store.close()
    pushed = cli(tmp_path, "sync", "--once", "--quiet", "--url", sandbox.base_url, "--store", str(path))
    assert pushed.returncode == 0, pushed.stderr
    order_set = load_profile(config)["order"].entity
    numbers = sorted(o["Number"] for o in sandbox.state.objects[order_set].values())
    assert numbers[8] == ninth and len(numbers) == 20

    from_store = {q: found(tmp_path, q, path, sandbox.base_url, "store") for q in queries}
    for q, want in expected.items():
        assert from_store[q] == want, (q, from_store[q])
    holder = Store.open(path, clock=TestClock())   # like a running TUI
    try:
        from_accounting = {q: found(tmp_path, q, path, sandbox.base_url, "accounting") for q in queries}
    finally:
        holder.close()
    assert from_accounting == from_store

