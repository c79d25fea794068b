"""A crash (kill -9, power cut) right after a store upgrade: the next start must open the file
offline. DuckDB replays its write-ahead log at open and binds the logged statements again;
migration 5's ALTER … USING needs `list_value`, and DuckDB used to *download* the extension that
holds it, so offline the store could not be opened at all (found by the soak test)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from tests.clock import TestClock
from tui_crm.store import Store
from tui_crm.store.db import load_migrations


def _run(code: str) -> None:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr


def test_an_upgrade_left_in_the_log_by_a_crash_replays_offline(tmp_path: Path) -> None:
    path = tmp_path / "crm.duckdb"
    # Apply the migrations the way an older start did, then die before DuckDB folds the log
    # into the file: the ALTER TABLE of migration 5 waits in crm.duckdb.wal.
    versions = [m.version for m in load_migrations()]
    assert 5 in versions
    _run(f"""
        import os, duckdb
        from tui_crm.store.db import load_migrations
        con = duckdb.connect({str(path)!r})
        con.execute("PRAGMA disable_checkpoint_on_shutdown")
        con.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
                    " applied_at TIMESTAMP NOT NULL)")
        for m in load_migrations():
            con.execute(m.sql)
            con.execute("INSERT INTO schema_migrations VALUES (?, ?, now())", [m.version, m.name])
        os._exit(0)
    """)
    assert (tmp_path / "crm.duckdb.wal").stat().st_size > 0
    store = Store.open(path, clock=TestClock())
    try:
        assert store.db.schema_version == versions[-1]
    finally:
        store.close()

