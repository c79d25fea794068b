"""Sync over real HTTP against the sandbox on loopback: `tui-crm sync` and `tui-crm status` as
subprocesses, and kill -9 of a push between steps followed by a restart that loses nothing and
duplicates nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest

from onec_sandbox.server import start_in_thread
from onec_sandbox.state import SandboxState
from tests.clock import TestClock
from tests.sync.sandbox_kit import ORDER, new_client, new_invoice
from tui_crm.domain.models import SyncState
from tui_crm.store import Store

CP = "Catalog_Контрагенты"
BILL = "Document_СчетНаОплатуПокупателю"
CONTRACT = "Catalog_ДоговорыКонтрагентов"


def tui_crm(*args: str, url: str, store: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TUI_CRM_CONFIG": str(store.parent / "none.toml"), "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([sys.executable, "-m", "tui_crm.cli", *args, "--url", url, "--store", str(store)],
                          capture_output=True, text=True, timeout=timeout, env=env)


def start_sync(url: str, store: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "TUI_CRM_CONFIG": str(store.parent / "none.toml"), "PYTHONIOENCODING": "utf-8"}
    return subprocess.Popen([sys.executable, "-m", "tui_crm.cli", "sync", "--once", "--quiet", "--url", url,
                             "--store", str(store)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


@pytest.fixture
def sandbox():
    state = SandboxState.seeded(products=30, warehouses=2, seed=3)
    running = start_in_thread(state, base="demo")
    yield running
    running.stop()


def test_sync_once_pull_push_and_status_over_loopback(sandbox, tmp_path: Path) -> None:
    path = tmp_path / "crm.duckdb"
    done = tui_crm("sync", "--once", url=sandbox.base_url, store=path)
    assert done.returncode == 0, done.stderr
    assert "pulled" in done.stdout
    store = Store.open(path, clock=TestClock())
    client = new_client("ООО «Петля»", inn="7736050003")
    store.save_client(client, queue=True)
    iid, inv = new_invoice(store, client.id)
    store.save_invoice(iid, inv, date=datetime(2026, 11, 30, 10, 0))
    store.close()
    done = tui_crm("sync", "--once", url=sandbox.base_url, store=path)
    assert done.returncode == 0, done.stderr
    assert "pushed 2" in done.stdout
    number = sandbox.state.objects[ORDER][iid]["Number"]
    answer = tui_crm("status", number, "--json", url=sandbox.base_url, store=path)
    data = json.loads(answer.stdout)
    assert data["source"] == "store" and data["invoices"][0]["number"] == number
    assert data["invoices"][0]["paid_pct"] == "0.0"
    text = tui_crm("status", "Петля", url=sandbox.base_url, store=path).stdout
    assert number in text and "Петля" in text
    # while another process (a TUI) holds the store, status asks accounting and says so
    holder = Store.open(path, clock=TestClock())
    try:
        locked = tui_crm("sync", "--once", url=sandbox.base_url, store=path)
        assert locked.returncode == 2 and "in use by another tui-crm" in locked.stderr
        answer = tui_crm("status", number, "--json", url=sandbox.base_url, store=path)
        data = json.loads(answer.stdout)
        assert data["source"] == "accounting" and data["invoices"][0]["number"] == number
        text = tui_crm("status", number, url=sandbox.base_url, store=path).stdout
        assert "answering from accounting directly" in text
    finally:
        holder.close()


def _wait_for(cond: Callable[[], bool], proc: subprocess.Popen[str], timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.005)
    return False


@pytest.mark.parametrize("kill_point", ["contract", "first order", "first bill"])
def test_kill_9_between_push_steps_loses_and_duplicates_nothing(sandbox, tmp_path: Path, kill_point: str) -> None:
    path = tmp_path / "crm.duckdb"
    assert tui_crm("sync", "--once", "--no-push", url=sandbox.base_url, store=path).returncode == 0
    store = Store.open(path, clock=TestClock())
    client = new_client("ООО «Килл»", inn="7736050003")
    store.save_client(client, queue=True)
    ids = []
    for n in range(3):
        iid, inv = new_invoice(store, client.id)
        store.save_invoice(iid, inv, date=datetime(2026, 11, 30, 10, n))
        ids.append(iid)
    store.close()
    st = sandbox.state
    conditions = {
        "counterparty": lambda: client.id in st.objects[CP],
        "contract": lambda: any(c["Owner_Key"] == client.id for c in st.objects[CONTRACT].values()),
        "first order": lambda: ids[0] in st.objects[ORDER],
        "first bill": lambda: len(st.objects[BILL]) >= 1,
        "second order": lambda: ids[1] in st.objects[ORDER],
    }
    sandbox.faults.configure({"latency_ms": 60})
    proc = start_sync(sandbox.base_url, path)
    try:
        reached = _wait_for(conditions[kill_point], proc)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert reached, f"never reached {kill_point}: {proc.stderr.read() if proc.stderr else ''}"
    sandbox.faults.configure({"reset": True})
    again = tui_crm("sync", "--once", url=sandbox.base_url, store=path)
    assert again.returncode == 0, again.stderr + again.stdout

    assert Counter(o["Description"] for o in st.objects[CP].values())["ООО «Килл»"] == 1
    assert sum(1 for c in st.objects[CONTRACT].values() if c["Owner_Key"] == client.id) == 1
    assert set(ids) <= set(st.objects[ORDER]) and len(st.objects[ORDER]) == 3
    assert sorted(b["ЗаказПокупателя_Key"] for b in st.objects[BILL].values()) == sorted(ids)
    assert Counter(c["Тип"] for c in st.contacts.values() if c["Объект"] == client.id) == Counter(
        {"Телефон": 1, "АдресЭлектроннойПочты": 1, "Адрес": 1})
    store = Store.open(path, clock=TestClock())
    try:
        assert store.outbox_count() == 0
        for iid in ids:
            rec = store.get_invoice(iid)
            assert rec is not None and rec.sync_state is SyncState.IN_ACCOUNTING
            assert rec.number == st.objects[ORDER][iid]["Number"]
    finally:
        store.close()
