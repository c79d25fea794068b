"""Quick actions from a shell over real loopback: `tui-crm client add` and `tui-crm invoice add`
queue through the same validation and outbox as the screens, and `tui-crm sync --once` puts
them into the sandbox. Bad input is one plain line per problem, a documented exit code, and no
change to the store."""

from __future__ import annotations

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
from tests.sync.sandbox_kit import ORDER
from tui_crm.store import Store

CP = "Catalog_Контрагенты"


def env_for(tmp: Path) -> dict[str, str]:
    # A data folder of its own: no running demo of the machine's user is found.
    return {**os.environ, "TUI_CRM_CONFIG": str(tmp / "none.toml"), "PYTHONIOENCODING": "utf-8",
            "XDG_DATA_HOME": str(tmp / "data"), "TUI_CRM_LANG": "en"}


def cli(tmp: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tui_crm.cli", *args], capture_output=True, text=True,
                          timeout=90, env=env_for(tmp), input=stdin)


@pytest.fixture
def sandbox():
    running = start_in_thread(SandboxState.seeded(products=30, warehouses=2, seed=3), base="demo")
    yield running
    running.stop()


def outbox_size(path: Path) -> int:
    store = Store.open(path, clock=TestClock())
    try:
        return store.outbox_count()
    finally:
        store.close()


def test_client_add_and_invoice_add_then_sync_once_reach_the_sandbox(sandbox, tmp_path: Path) -> None:
    path = tmp_path / "crm.duckdb"
    st = ["--store", str(path)]
    pulled = cli(tmp_path, "sync", "--once", "--quiet", "--url", sandbox.base_url, *st)
    assert pulled.returncode == 0, pulled.stderr
    store = Store.open(path, clock=TestClock())
    try:
        warehouse = store.warehouses()[1]
        rows = [r for r in store.picker_search(warehouse.id, store.price_types()[0].id, "", limit=10)
                if r.price is not None][:2]
        cp_id, cp_inn, cp_name = store.db.cursor().execute(
            "SELECT id, inn, name FROM counterparties WHERE inn <> '' ORDER BY name LIMIT 1").fetchone()
    finally:
        store.close()

    made = cli(tmp_path, "client", "add", *st, "--name", "ООО «Из шелла»", "--inn", "7736050003", "--kpp",
               "773601001", "--phone", "8 (912) 000-11-22", "--email", "a@b.ru", "--json")
    assert made.returncode == 0, made.stderr
    client = json.loads(made.stdout)
    assert client["phones"] == ["+79120001122"] and client["sync_state"] == "queued"

    inv = cli(tmp_path, "invoice", "add", *st, "--client", "ооо «из шелла»", "--warehouse", warehouse.name,
              "--line", f"{rows[0].code}:2", "--line", f"{rows[1].code}:1,5:10", "--discount", "3",
              "--comment", "из шелла", "--json")
    assert inv.returncode == 0, inv.stderr
    first = json.loads(inv.stdout)
    assert first["client_id"] == client["id"] and first["warehouse"] == warehouse.name
    assert [(x["code"], Decimal(x["quantity"]), Decimal(x["discount"])) for x in first["lines"]] == [
        (rows[0].code, 2, 0), (rows[1].code, Decimal("1.5"), 10)]
    assert Decimal(first["discount"]) == 3 and first["comment"] == "из шелла"

    # --json - : the fields as a JSON object on stdin; a counterparty from accounting by its ИНН
    body = {"client": cp_inn, "warehouse": warehouse.id, "lines": [{"code": rows[0].code, "qty": 3}]}
    second = cli(tmp_path, "invoice", "add", *st, "--json", "-", stdin=json.dumps(body))
    assert second.returncode == 0, second.stderr
    second_answer = json.loads(second.stdout)
    assert second_answer["client_id"] == cp_id and second_answer["client"] == cp_name

    text = cli(tmp_path, "invoice", "add", *st, "--client", cp_inn, "--warehouse", warehouse.name,
               "--line", f"{rows[1].code}:1")
    assert text.returncode == 0 and "saved" in text.stdout and "queued for accounting" in text.stdout

    pushed = cli(tmp_path, "sync", "--once", "--quiet", "--url", sandbox.base_url, *st)
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr
    orders = sandbox.state.objects[ORDER]
    assert first["id"] in orders and second_answer["id"] in orders
    assert client["id"] in sandbox.state.objects[CP]
    order = orders[first["id"]]
    assert order["Контрагент_Key"] == client["id"] and len(order["Товары"]) == 2
    assert orders[second_answer["id"]]["Контрагент_Key"] == cp_id
    store = Store.open(path, clock=TestClock())
    try:
        record = store.get_invoice(first["id"])
        assert record is not None and record.number  # 1C's number came back
        assert str(record.invoice.total) == first["total"]
    finally:
        store.close()


def test_bad_input_is_refused_with_plain_words_and_changes_nothing(sandbox, tmp_path: Path) -> None:
    path = tmp_path / "crm.duckdb"
    st = ["--store", str(path)]
    assert cli(tmp_path, "sync", "--once", "--quiet", "--url", sandbox.base_url, *st).returncode == 0
    store = Store.open(path, clock=TestClock())
    try:
        warehouse = store.warehouses()[0].name
        code = store.picker_search(store.warehouses()[0].id, None, "", limit=1)[0].code
        cp_name = store.db.cursor().execute("SELECT name FROM counterparties ORDER BY name LIMIT 1").fetchone()[0]
    finally:
        store.close()
    before = outbox_size(path)
    cases = [
        (("client", "add", "--name", "ООО Х", "--inn", "7736050004", "--kpp", "773601001"), 1, "--inn:"),
        (("client", "add", "--name", "ООО Х", "--inn", "7736050003"), 1, "--kpp:"),
        (("client", "add", "--name", "Пётр", "--kind", "person", "--phone", "позвонить"), 1, "--phone:"),
        (("client", "add", "--name", "X", "--kind", "alien"), 2, "--kind"),
        # control characters 1C's text must not hold: the pull quarantines such a row (the
        # counterparty, or the order, whose posting and lock the CRM then never learns)
        (("client", "add", "--name", "a\x1b[31mred\x07", "--kind", "individual"), 1,
         "--name: contains control characters"),
        (("client", "add", "--name", "Ок", "--kind", "individual", "--address", "ул. \x08Мира"), 1,
         "--address: contains control characters"),
        (("invoice", "add", "--client", cp_name, "--warehouse", warehouse, "--line", f"{code}:1",
          "--comment", "по звонку\x1b[2J"), 1, "--comment: contains control characters"),
        (("invoice", "add", "--client", "Нет Такого", "--warehouse", warehouse, "--line", f"{code}:1"), 1,
         "no client is named"),
        (("invoice", "add", "--client", cp_name, "--warehouse", "Луна", "--line", f"{code}:1"), 1,
         "no warehouse 'Луна'"),
        (("invoice", "add", "--client", cp_name, "--warehouse", warehouse, "--line", "НЕТ-КОДА:1"), 1,
         "no product with code or article 'НЕТ-КОДА'"),
        (("invoice", "add", "--client", cp_name, "--warehouse", warehouse, "--line", f"{code}:0"), 1, "line 1"),
        (("invoice", "add", "--client", cp_name, "--warehouse", warehouse, "--line", f"{code}:1:150"), 1,
         "line 1"),
        (("invoice", "add", "--client", cp_name, "--warehouse", warehouse, "--line", f"{code}"), 2,
         "is not CODE:QTY"),
        (("invoice", "add", "--client", cp_name, "--warehouse", warehouse, "--line", f"{code}:1",
          "--discount", "abc"), 1, "--discount:"),
        (("invoice", "add", "--client", cp_name, "--warehouse", warehouse, "--line", f"{code}:1",
          "--date", "31.12.9999"), 1, "--date: 1C keeps dates up to 31.12.3999 only."),
        (("invoice", "add", "--warehouse", warehouse), 2, "--client is required"),
        (("invoice", "add", "--json", str(tmp_path / "missing.json")), 2, "cannot read"),
    ]
    for args, code_expected, words in cases:
        done = cli(tmp_path, *args, *st)
        assert done.returncode == code_expected, (args, done.stdout, done.stderr)
        assert words in done.stderr, (args, done.stderr)
        assert "Traceback" not in done.stderr and done.stdout == ""
    bad_json = cli(tmp_path, "client", "add", *st, "--json", "-", stdin="{not json")
    assert bad_json.returncode == 2 and "not valid JSON" in bad_json.stderr
    deep = cli(tmp_path, "invoice", "add", *st, "--json", "-", stdin="[" * 100_000 + "]" * 100_000)
    assert deep.returncode == 2 and "Traceback" not in deep.stderr, deep.stderr  # was RecursionError, exit 1
    assert deep.stderr.strip() == ("tui-crm invoice add: stdin is not valid JSON: "
                                   "arrays or objects nested too deep to read")
    assert outbox_size(path) == before  # nothing was queued
    missing = cli(tmp_path, "client", "add", "--name", "X", "--store", str(tmp_path / "typo.duckdb"))
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    assert not (tmp_path / "typo.duckdb").exists()
    # a duplicate warns (like the card) and --unique refuses it
    made = cli(tmp_path, "client", "add", *st, "--name", "Дубль", "--kind", "individual", "--phone",
               "+7 999 111-22-33")
    assert made.returncode == 0
    again = cli(tmp_path, "client", "add", *st, "--name", "Дубль 2", "--kind", "individual", "--phone",
                "89991112233")
    assert again.returncode == 0 and "warning: the same phone is already held by Дубль" in again.stderr
    refused = cli(tmp_path, "client", "add", *st, "--name", "Дубль 3", "--kind", "individual", "--phone",
                  "89991112233", "--unique")
    assert refused.returncode == 1 and "not saved (--unique)" in refused.stderr
    # two clients of one name: the name is ambiguous, the id or ИНН is asked for, nothing written
    twin = cli(tmp_path, "client", "add", *st, "--name", "Дубль", "--kind", "individual", "--json")
    assert twin.returncode == 0
    before = outbox_size(path)
    ambiguous = cli(tmp_path, "invoice", "add", *st, "--client", "дубль", "--warehouse", warehouse,
                    "--line", f"{code}:1")
    assert ambiguous.returncode == 1 and "'дубль' names 2 clients" in ambiguous.stderr
    assert json.loads(twin.stdout)["id"] in ambiguous.stderr
    assert outbox_size(path) == before
    by_id = cli(tmp_path, "invoice", "add", *st, "--client", json.loads(twin.stdout)["id"], "--warehouse",
                warehouse, "--line", f"{code}:1")
    assert by_id.returncode == 0, by_id.stderr
