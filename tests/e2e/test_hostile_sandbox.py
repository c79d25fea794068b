"""The CRM's pull against the sandbox's `--hostile` seed over real HTTP on loopback.

The hostile seed puts the corpus of `onec_sandbox.hostile` (markup, escape sequences, CR, VT,
NUL, bidi, emoji, 10k-character strings) into names, full names, comments and ИНН. Text 1C
allows must reach the mirror literally; a row the CRM refuses by its documented rule (a C0
control other than TAB/LF/VT/FF/CR, or DEL: NUL, ESC, BEL never reach the store; see
`tui_crm/sync/parse.py`) is quarantined — skipped with entity and Ref_Key — and the rest of
the pull applies.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from onec_sandbox.hostile import CORPUS
from onec_sandbox.server import RunningSandbox, start_in_thread
from onec_sandbox.state import SandboxState
from tests.clock import TestClock
from tui_crm.store import Store
from tui_crm.sync.odata import ODataClient
from tui_crm.sync.pull import pull_mirror

PRODUCTS = "Catalog_Номенклатура"
UNITS = "Catalog_ЕдиницыИзмерения"
PARTIES = "Catalog_Контрагенты"
#: What the CRM refuses in text from accounting (its documented rule, tui_crm/sync/parse.py).
REFUSED = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
#: Corpus entries 1C allows and the CRM must keep exactly (CR, VT, long names among them).
ALLOWED = [(label, text) for label, text in CORPUS if not REFUSED.search(text)]


def refused(rec: dict, *fields: str) -> bool:
    return any(isinstance(rec.get(f), str) and REFUSED.search(rec[f]) for f in fields)


@pytest.fixture
def sandbox():
    state = SandboxState.seeded(products=60, warehouses=3, seed=5, hostile=True)
    running = start_in_thread(state, base="demo")
    yield running
    running.stop()


def rows(store: Store, sql: str) -> list[tuple]:
    return store.db.cursor().execute(sql).fetchall()


def test_the_corpus_has_what_the_test_needs() -> None:
    labels = {label for label, _ in ALLOWED}
    assert {"carriage-return", "crlf", "vertical-tab", "long", "long-word", "markup-close",
            "markup-click", "bidi-override", "emoji"} <= labels
    assert {"nul", "ansi-clear", "bell"}.isdisjoint(labels)


async def test_mirror_pull_of_the_hostile_seed_over_loopback(
        sandbox: RunningSandbox, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    st = sandbox.state
    products = {k: p for k, p in st.objects[PRODUCTS].items() if not p["IsFolder"]}
    units = st.objects[UNITS]
    bad_products = {k for k, p in products.items() if refused(p, "Description", "НаименованиеПолное")}
    bad_units = {k for k, u in units.items() if refused(u, "Description")}
    assert bad_products and bad_units  # the seed does carry rows the CRM must refuse

    store = Store.open(tmp_path / "crm.duckdb", clock=TestClock())
    client = ODataClient(sandbox.base_url, timeout=60.0)
    caplog.set_level(logging.WARNING)
    try:
        result = await pull_mirror(client, store)
        # the pull succeeded and quarantined exactly the rows with refused characters
        assert result.skipped == len(bad_products) + len(bad_units)
        logged = set(re.findall(r"quarantined a malformed \S+ row \(Ref_Key ([0-9a-f-]{36})\)", caplog.text))
        assert logged == bad_products | bad_units
        mirror = {r[0]: (r[1], r[2]) for r in rows(store, "SELECT id, name, full_name FROM products")}
        assert set(products) - bad_products <= set(mirror)
        assert not bad_products & set(mirror)
        # every kept row holds its text exactly (the CRM trims outer blanks of every text)
        for key in set(products) - bad_products:
            p = products[key]
            assert mirror[key] == (p["Description"].strip(), p["НаименованиеПолное"].strip()), key
        full_names = {full for _name, full in mirror.values()}
        missing = [label for label, text in ALLOWED if text.strip() not in full_names]
        assert not missing
        assert "Первая строка\rвторая" in full_names and "Верт\x0bтаб" in full_names
        assert "Очень длинное наименование " + "я" * 10_000 in full_names
        warehouses = {r[0] for r in rows(store, "SELECT name FROM warehouses")}
        assert {"Основной склад", "Склад [/]", "[@click=app.quit]Нажми[/] меня"} == warehouses
        price_types = {r[0] for r in rows(store, "SELECT name FROM price_types")}
        assert price_types == {"Оптовая", "[@click=app.quit]Нажми[/] меня"}
        unit_names = {r[0] for r in rows(store, "SELECT name FROM units")}
        assert {u["Description"].strip() for k, u in units.items() if k not in bad_units} == unit_names
    finally:
        await client.aclose()
        store.close()


def tui_crm(*args: str, url: str, store: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TUI_CRM_CONFIG": str(store.parent / "none.toml"), "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([sys.executable, "-m", "tui_crm.cli", *args, "--url", url, "--store", str(store)],
                          capture_output=True, text=True, timeout=300, env=env)


def test_sync_once_of_the_hostile_seed_over_loopback(sandbox: RunningSandbox, tmp_path: Path) -> None:
    st = sandbox.state
    parties = st.objects[PARTIES]
    bad = {k for k, c in parties.items()
           if refused(c, "Description", "НаименованиеПолное", "ИНН", "КПП", "Комментарий")}
    path = tmp_path / "crm.duckdb"
    done = tui_crm("sync", "--once", url=sandbox.base_url, store=path)
    assert done.returncode == 0, done.stdout + done.stderr
    store = Store.open(path, clock=TestClock())
    try:
        got = {r[0]: r[1:] for r in rows(store, "SELECT id, name, full_name, inn, kpp FROM counterparties")}
        assert set(parties) - bad <= set(got) and not bad & set(got)
        for key in set(parties) - bad:
            c = parties[key]
            assert got[key] == tuple(c[f].strip() for f in ("Description", "НаименованиеПолное", "ИНН", "КПП"))
        assert rows(store, "SELECT count(*) FROM products")[0][0] > 0
    finally:
        store.close()
