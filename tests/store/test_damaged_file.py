"""A store file damaged in the middle (issue 9): DuckDB checksums every block, and the CRM reads
its own tables once at open, so a damaged block is reported plainly at start and by `status` and
`sync` (exit code 2), the file left untouched, instead of a traceback later or a silent problem."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.clock import TestClock
from tests.seed import seeded_store
from tui_crm.store import Store, StoreDamaged
from tui_crm.store.db import UNCHECKED_AT_OPEN, check_blocks


def _store_with_crm_rows(path: Path) -> None:
    store = seeded_store(path)
    store.close()


def _block_of(path: Path, table: str) -> int:
    """The file offset of a block holding data of ``table`` (DuckDB: a 12 KiB header, then
    blocks of ``block_size`` bytes)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        size_row = con.execute("SELECT block_size FROM pragma_database_size()").fetchone()
        ids = con.execute(f"SELECT DISTINCT block_id FROM pragma_storage_info('{table}') WHERE block_id >= 0 "
                          "ORDER BY block_id").fetchall()
    finally:
        con.close()
    assert size_row is not None and ids, f"{table} has no data block"
    return 3 * 4096 + int(ids[0][0]) * int(size_row[0])


def _spoil(path: Path, offset: int) -> None:
    with path.open("r+b") as f:
        f.seek(offset + 64)          # past the block's checksum: its payload no longer matches it
        f.write(b"\xa5" * 512)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("table", ["clients", "invoice_lines", "outbox", "sync_runs"])
def test_a_damaged_block_is_reported_at_open_and_the_file_left_untouched(tmp_path: Path, table: str) -> None:
    path = tmp_path / "crm.duckdb"
    _store_with_crm_rows(path)
    offset = _block_of(path, table)
    assert 3 * 4096 < offset < path.stat().st_size       # a data block, not the file's headers
    _spoil(path, offset)
    before = _digest(path)
    with pytest.raises(StoreDamaged) as caught:
        Store.open(path, clock=TestClock())
    text = str(caught.value)
    assert text.startswith(f"The store file is damaged: {path} (table ")
    assert f"mv '{path}' '{path}.damaged'" in text and "rebuilds the mirror from accounting" in text
    assert "CRM rows in the damaged file: " in text and " invoices" in text
    assert _digest(path) == before                       # refused before anything was written
    # Moved aside, a new file opens.
    path.rename(tmp_path / "crm.duckdb.damaged")
    Store.open(path, clock=TestClock()).close()


def test_an_intact_file_opens_and_the_check_reads_every_crm_table(tmp_path: Path) -> None:
    path = tmp_path / "crm.duckdb"
    _store_with_crm_rows(path)
    con = duckdb.connect(str(path), read_only=True)
    try:
        read = set(check_blocks(con, path))
    finally:
        con.close()
    assert {"clients", "invoices", "invoice_lines", "outbox", "sync_runs", "meta", "counterparties"} <= read
    assert not read & UNCHECKED_AT_OPEN
    Store.open(path, clock=TestClock()).close()


@pytest.mark.parametrize("table", ["clients", "sync_runs"])
def test_a_check_left_running_at_open_refuses_every_write_and_the_file_is_left_untouched(
        tmp_path: Path, table: str) -> None:
    """`tui-crm run` opens the store with ``check_later`` (the block check on its own thread while
    Textual is imported, issue 13): the damage is still said, and nothing is written first."""
    path = tmp_path / "crm.duckdb"
    _store_with_crm_rows(path)
    _spoil(path, _block_of(path, table))
    before = _digest(path)
    try:
        store = Store.open(path, clock=TestClock(), check_later=True)
    except StoreDamaged:  # the open's own read met the damaged block: said as damage all the same
        assert _digest(path) == before
        return
    try:
        with pytest.raises(StoreDamaged, match="The store file is damaged"), store.transaction() as cur:
            cur.execute("DELETE FROM meta")
        with pytest.raises(StoreDamaged):
            store.wait_checked()
    finally:
        store.close()
    assert _digest(path) == before


def test_a_check_left_running_on_an_intact_file_passes(tmp_path: Path) -> None:
    path = tmp_path / "crm.duckdb"
    _store_with_crm_rows(path)
    store = Store.open(path, clock=TestClock(), check_later=True)
    try:
        store.wait_checked()
        assert store.client_rows("")
    finally:
        store.close()


@pytest.mark.parametrize("command", [["status", "Ромашка"], ["sync", "--once", "--url", "http://127.0.0.1:9/x/"],
                                     ["run"]])
def test_status_and_sync_say_damaged_with_exit_code_2(tmp_path: Path, command: list[str]) -> None:
    path = tmp_path / "crm.duckdb"
    _store_with_crm_rows(path)
    _spoil(path, _block_of(path, "clients"))
    done = subprocess.run([sys.executable, "-m", "tui_crm.cli", *command, "--store", str(path),
                           "--config", str(tmp_path / "none.toml")],
                          capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert done.returncode == 2, done.stderr
    assert "The store file is damaged" in done.stderr and "Traceback" not in done.stderr


def test_the_check_lists_empty_tables_as_read_and_scans_only_tables_with_rows(tmp_path: Path) -> None:
    """An empty table has no data blocks to verify: it is counted as read, not scanned (cold
    start, bench/start.py); a table with rows is still scanned in full."""
    path = tmp_path / "crm.duckdb"
    Store.open(path, clock=TestClock()).close()   # a new file: the CRM's tables exist, empty
    con = duckdb.connect(str(path))
    try:
        read = set(check_blocks(con, path))
        assert {"clients", "invoices", "outbox", "meta"} <= read and not read & UNCHECKED_AT_OPEN
        sizes = dict(con.execute("SELECT table_name, estimated_size FROM duckdb_tables() "
                                 "WHERE schema_name = 'main'").fetchall())
        assert sizes["clients"] == 0 and sizes["schema_migrations"] > 0
    finally:
        con.close()
