"""Group commit of the push's small writes (`GroupWriter`): writes asked for at once commit in one
transaction, each caller gets its own answer, and one failing write neither loses the others nor
leaves half of itself behind."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.clock import TestClock
from tui_crm.store import Store
from tui_crm.sync.writer import StoreWriter


def _put(store: Store, key: str, value: str) -> str:
    with store.db.transaction() as cur:
        cur.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", [key, value])
    return key


def _put_then_fail(store: Store, key: str) -> None:
    with store.db.transaction() as cur:
        cur.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, 'half')", [key])
        raise RuntimeError("refused")


def _meta(store: Store, key: str) -> str | None:
    row = store.db.cursor().execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
    return row[0] if row else None


async def test_writes_at_once_share_a_commit_and_a_failure_spoils_none_of_the_others(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "crm.duckdb", clock=TestClock())
    writer = StoreWriter(store)
    group = writer.grouped()
    try:
        keys = await asyncio.gather(*(group.run(_put, store, f"g{n}", str(n)) for n in range(20)))
        assert keys == [f"g{n}" for n in range(20)]
        assert [_meta(store, f"g{n}") for n in range(20)] == [str(n) for n in range(20)]
        assert group.commits < 20                      # they shared commits

        outcomes = await asyncio.gather(group.run(_put, store, "a", "1"), group.run(_put_then_fail, store, "b"),
                                        group.run(_put, store, "c", "3"), return_exceptions=True)
        assert outcomes[0] == "a" and outcomes[2] == "c"
        assert isinstance(outcomes[1], RuntimeError)
        assert (_meta(store, "a"), _meta(store, "b"), _meta(store, "c")) == ("1", None, "3")
        with pytest.raises(RuntimeError, match="refused"):
            await group.run(_put_then_fail, store, "d")
        assert _meta(store, "d") is None
    finally:
        writer.close()
        store.close()
