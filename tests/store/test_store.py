"""Store: migrations, refusal of newer files, locking, mirror replacement and picker search."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from tests.clock import TestClock
from tui_crm.store import SchemaTooNew, Store, StoreError, StoreLocked
from tui_crm.store.db import load_migrations
from tui_crm.store.mirror import PriceRow, PriceTypeRow, ProductRow, StockRow, WarehouseRow

WH = "11111111-1111-1111-1111-111111111111"
PT = "22222222-2222-2222-2222-222222222222"
P1 = "33333333-3333-3333-3333-333333333331"
P2 = "33333333-3333-3333-3333-333333333332"


def _fill(store: Store) -> None:
    store.write_mirror(
        warehouses=[WarehouseRow(WH, "000000001", "Основной склад", data_version="v1")],
        price_types=[PriceTypeRow(PT, "000000001", "Оптовая", data_version="v1")],
        products=[
            ProductRow(P1, "00-00000001", "MLK-1", "Молоко 3,2% 1 л", "", None, "шт", "НДС10", data_version="a"),
            ProductRow(P2, "00-00000002", "CF-250", "Кофе молотый 250 г", "", None, "шт", "НДС20", data_version="b"),
        ],
        prices=[PriceRow(PT, P1, Decimal("89.90"))],
        stock=[StockRow(WH, P1, Decimal("10"), Decimal("2.5")), StockRow(WH, P2, Decimal("0"))],
    )


def test_migrations_apply_and_record_version(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "crm.duckdb", clock=TestClock())
    latest = load_migrations()[-1].version
    assert store.schema_version == latest
    store.close()
    # Reopening applies nothing new and keeps the version.
    store = Store.open(tmp_path / "crm.duckdb", clock=TestClock())
    assert store.schema_version == latest
    store.close()


def test_newer_file_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "crm.duckdb"
    Store.open(path, clock=TestClock()).close()
    con = duckdb.connect(str(path))
    con.execute("INSERT INTO schema_migrations VALUES (999, 'from the future', now())")
    con.close()
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(SchemaTooNew, match="Upgrade tui-crm"):
        Store.open(path, clock=TestClock())
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_newer_file_with_a_crash_log_is_refused_and_both_left_untouched(tmp_path: Path) -> None:
    """The store is opened once, read-write, and looked at before anything is written — except
    when a crash left a write-ahead log, which a read-write open would fold into the file: then
    the look is made on a read-only probe first (store/db.py `_open_existing`)."""
    path = tmp_path / "crm.duckdb"
    wal = tmp_path / "crm.duckdb.wal"
    Store.open(path, clock=TestClock()).close()
    code = (
        "import os, duckdb\n"
        f"con = duckdb.connect({str(path)!r})\n"
        "con.execute('PRAGMA disable_checkpoint_on_shutdown')\n"
        "con.execute(\"INSERT INTO schema_migrations VALUES (999, 'from the future', now())\")\n"
        "os._exit(0)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert wal.stat().st_size > 0
    before = (hashlib.sha256(path.read_bytes()).hexdigest(), hashlib.sha256(wal.read_bytes()).hexdigest())
    with pytest.raises(SchemaTooNew, match="Upgrade tui-crm"):
        Store.open(path, clock=TestClock())
    assert (hashlib.sha256(path.read_bytes()).hexdigest(), hashlib.sha256(wal.read_bytes()).hexdigest()) == before


def test_an_open_that_refuses_nothing_writes_no_log(tmp_path: Path) -> None:
    """Reopening an up-to-date file changes nothing in it: the single read-write open is safe to
    make before the looks because it writes nothing until a migration or a write."""
    path = tmp_path / "crm.duckdb"
    Store.open(path, clock=TestClock()).close()
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    Store.open(path, clock=TestClock()).close()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert not (tmp_path / "crm.duckdb.wal").exists()


@pytest.mark.parametrize("content", [b"", b"x" * 5000])
def test_an_empty_or_foreign_file_is_refused_and_left_untouched(tmp_path: Path, content: bytes) -> None:
    """A read-write open would make a new database of an empty file: it is looked at read-only."""
    path = tmp_path / "crm.duckdb"
    path.write_bytes(content)
    with pytest.raises(StoreError, match="not a CRM data file"):
        Store.open(path, clock=TestClock())
    assert path.read_bytes() == content


def test_second_process_gets_a_plain_message(tmp_path: Path) -> None:
    path = tmp_path / "crm.duckdb"
    store = Store.open(path, clock=TestClock())
    try:
        code = (
            "import sys\n"
            "from tui_crm.store import Store, StoreLocked\n"
            "try:\n"
            f"    Store.open({str(path)!r})\n"
            "except StoreLocked as e:\n"
            "    print(e); sys.exit(3)\n"
        )
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
        assert proc.returncode == 3, proc.stderr
        assert "in use by another tui-crm" in proc.stdout
    finally:
        store.close()
    assert StoreLocked  # the class is part of the public API


def test_picker_search_by_words_code_and_article(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "crm.duckdb", clock=TestClock())
    _fill(store)
    rows = store.picker_search(WH, PT, "")
    assert [r.name for r in rows] == ["Кофе молотый 250 г", "Молоко 3,2% 1 л"]
    milk = store.picker_search(WH, PT, "МОЛОКО 1")[0]
    assert milk.free_stock == Decimal("7.500") and milk.price == Decimal("89.90")
    assert [r.code for r in store.picker_search(WH, PT, "cf-250")] == ["00-00000002"]
    assert store.picker_search(WH, PT, "00000002")[0].price is None
    # User text is a parameter, never SQL.
    assert store.picker_search(WH, PT, "' OR 1=1 --") == []


def test_failed_mirror_write_leaves_mirror_intact(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store.open(tmp_path / "crm.duckdb", clock=TestClock())
    _fill(store)

    def broken(cur: object) -> None:
        raise RuntimeError("disk full while rebuilding the picker")

    monkeypatch.setattr(store, "rebuild_picker", broken)
    with pytest.raises(RuntimeError):
        store.write_mirror(products=[])  # the merge deleted every product before the failure
    monkeypatch.undo()
    assert store.mirror_counts()["products"] == 2
    assert len(store.picker_search(WH, PT, "")) == 2


def test_sync_runs_record_last_success(tmp_path: Path) -> None:
    store = Store.open(None, clock=TestClock())
    assert store.last_success() is None
    run = store.start_run("pull")
    store.finish_run(run, ok=False, error="accounting is unreachable")
    assert store.last_success() is None
    run = store.start_run("pull")
    store.finish_run(run, ok=True, rows_read=5, requests=3)
    assert store.last_success() is not None
    runs = store.recent_runs()
    assert [r.ok for r in runs] == [True, False]
    assert runs[1].error == "accounting is unreachable"


def test_a_run_left_open_by_a_dead_process_is_closed_as_interrupted(tmp_path: Path) -> None:
    """After kill -9 mid-pull the sync log must not show "running…" forever."""
    path = tmp_path / "crm.duckdb"
    store = Store.open(path, clock=TestClock())
    run = store.start_run("pull")
    done = store.start_run("push")
    store.finish_run(done, ok=True)
    store.close()  # as if the process died: the pull run was never finished
    store = Store.open(path, clock=TestClock())
    try:
        runs = {r.id: r for r in store.recent_runs(10)}
        assert runs[run].ok is False and runs[run].finished_at is not None
        assert "interrupted" in (runs[run].error or "")
        assert runs[done].ok is True and runs[done].error is None
    finally:
        store.close()


def test_close_interrupts_a_read_still_running_in_another_thread(tmp_path: Path) -> None:
    """A worker the app left behind while quitting may still be reading: DuckDB refuses to close a
    busy connection ("connection is busy"); close interrupts that read and the file is free."""
    store = Store.open(tmp_path / "crm.duckdb", clock=TestClock())
    started, outcome = threading.Event(), []

    def long_read() -> None:
        cur = store.db.cursor()
        started.set()
        try:
            cur.execute("SELECT count(*) FROM range(20000000000) t(i) WHERE i % 7 = 3").fetchall()
            outcome.append("finished")
        except duckdb.Error as exc:
            outcome.append(type(exc).__name__)

    worker = threading.Thread(target=long_read)
    worker.start()
    started.wait(5)
    time.sleep(0.2)          # the read is under way
    store.close()
    worker.join(10)
    assert not worker.is_alive() and outcome and outcome[0] != "finished"
    Store.open(tmp_path / "crm.duckdb", clock=TestClock()).close()   # the file is free again
