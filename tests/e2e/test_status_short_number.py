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

import httpx
import pytest

from onec_sandbox.server import RunningSandbox, start_in_thread
from onec_sandbox.state import SandboxState
from tests.clock import TestClock
from tests.sync.sandbox_kit import new_client, save_invoice
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


def _hand_typed_copy(sandbox: RunningSandbox, order_set: str, ref: str, number: str) -> None:
    """A clerk in 1C copies an order and types its number by hand, short (`ТД-7`): 1C keeps it.
    Dated now by 1C (no Date sent), so the CRM's next pull picks it up as a new order."""
    base = sandbox.base_url.rstrip("/") + "/"
    with httpx.Client(base_url=base, timeout=30) as http:
        got = http.get(f"{order_set}(guid'{ref}')?$format=json")
        assert got.status_code == 200, got.text
        dropped = ("Ref_Key", "DataVersion", "Posted", "Date")
        body = {k: v for k, v in got.json().items() if not k.startswith("odata.") and "@" not in k and k not in dropped}
        for k, v in list(body.items()):
            if isinstance(v, list):
                body[k] = [{rk: rv for rk, rv in row.items() if rk != "Ref_Key"} for row in v]
        body["Number"] = number
        made = http.post(f"{order_set}?$format=json", json=body)
        assert made.status_code == 201, made.text
        assert made.json()["Number"] == number


@pytest.mark.parametrize("sandbox", ["ka1", "bp3"], indirect=True)
def test_status_from_accounting_finds_words_and_hand_typed_numbers_as_the_store(sandbox: RunningSandbox,
                                                                                tmp_path: Path) -> None:
    """Two answers that used to differ: a search mixing a client's name and a number ("Альфа 9":
    the store finds each word in the number or the client, 1C was asked the whole text as a
    name), and a number typed by hand in 1C with fewer than six digits (`ТД-7`: the store finds it
    by `ТД7` and `7`, 1C was asked only for numbers ending in six digits)."""
    config = sandbox.state.config.name
    ninth = CASES[config][0]
    letters = ninth[:2]
    (tmp_path / "none.toml").write_text(f'[accounting]\nprofile = "{config}"\n', encoding="utf-8")
    path = tmp_path / "crm.duckdb"
    assert cli(tmp_path, "sync", "--once", "--quiet", "--url", sandbox.base_url, "--store", str(path)).returncode == 0
    store = Store.open(path, clock=TestClock())
    try:
        client = new_client("ООО «Ромашка»")   # a CRM client: orders made in 1C for it are mirrored
        store.save_client(client, queue=True)
        for _ in range(12):
            save_invoice(store, client.id, lines=1, qty="1")
    finally:
        store.close()
    assert cli(tmp_path, "sync", "--once", "--quiet", "--url", sandbox.base_url, "--store", str(path)).returncode == 0
    order_set = load_profile(config)["order"].entity
    seventh = next(o for o in sandbox.state.objects[order_set].values() if o["Number"] == ninth[:-1] + "7")
    _hand_typed_copy(sandbox, order_set, seventh["Ref_Key"], f"{letters}-7")
    assert cli(tmp_path, "sync", "--once", "--quiet", "--url", sandbox.base_url, "--store", str(path)).returncode == 0

    word = "Ромашка"
    queries = (f"{letters}7", "7", f"{letters}-7", f"{letters.lower()}-07", f"{word} 9", f"9 {word.lower()}",
               f"{word} {letters}9", f"{word} {letters}-7", f"{word} 21", "Несуществующий 9")
    from_store = {q: found(tmp_path, q, path, sandbox.base_url, "store") for q in queries}
    seven = sorted([ninth[:-1] + "7", f"{letters}-7"])
    assert from_store[f"{letters}7"] == seven and from_store[f"{letters}-7"] == seven
    assert from_store[f"{word} 9"] == [ninth] == from_store[f"{word} {letters}9"]
    assert from_store[f"{word} 21"] == [] and from_store["Несуществующий 9"] == []
    holder = Store.open(path, clock=TestClock())   # like a running TUI
    try:
        from_accounting = {q: found(tmp_path, q, path, sandbox.base_url, "accounting") for q in queries}
    finally:
        holder.close()
    assert from_accounting == from_store
