"""recorded_run: the one way a sync job leaves its row in sync_runs, whatever happens to it."""

from __future__ import annotations

import asyncio

import pytest

from tests.clock import TestClock
from tui_crm.store import Store
from tui_crm.sync.odata import RequestStats
from tui_crm.sync.runs import recorded_run
from tui_crm.sync.writer import StoreWriter


def _rig() -> tuple[Store, StoreWriter, RequestStats]:
    store = Store.open(None, clock=TestClock())
    return store, StoreWriter(store), RequestStats()


async def test_success_records_rows_requests_and_rows_written() -> None:
    store, writer, stats = _rig()
    try:
        async with recorded_run(writer, "mirror", store.clock, stats) as run:
            (running,) = store.recent_runs()
            assert running.job == "mirror" and running.finished_at is None  # visible while it runs
            stats.requests += 3
            run.rows, run.written = 7, 11
        assert run.requests == 3 and run.ok
        (done,) = store.recent_runs()
        assert (done.ok, done.rows_read, done.requests, done.error) == (True, 7, 3, None)
        written = store.db.cursor().execute("SELECT rows_written FROM sync_runs").fetchone()
        assert written == (11,)
    finally:
        writer.close()


async def test_failure_and_cancel_are_recorded_and_propagate() -> None:
    store, writer, stats = _rig()
    try:
        with pytest.raises(RuntimeError):
            async with recorded_run(writer, "orders", store.clock, stats) as run:
                stats.requests += 1
                raise RuntimeError("Accounting (1C) is unreachable.\nsecond line")
        assert run.error == "Accounting (1C) is unreachable." and run.requests == 1

        async def body() -> None:
            async with recorded_run(writer, "pull", store.clock, stats):
                await asyncio.sleep(10)

        task = asyncio.ensure_future(body())
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        cancelled, failed = store.recent_runs()
        assert (failed.job, failed.ok, failed.error) == ("orders", False, "Accounting (1C) is unreachable.")
        assert cancelled.job == "pull" and cancelled.ok is False and cancelled.finished_at is not None
    finally:
        writer.close()


async def test_a_run_opened_at_the_end_can_leave_no_trace() -> None:
    store, writer, stats = _rig()
    try:
        async with recorded_run(writer, "push", store.clock, stats, open_at_start=False) as run:
            assert store.recent_runs() == []
            run.keep = False  # nothing was due
        assert store.recent_runs() == []
        async with recorded_run(writer, "push", store.clock, stats, open_at_start=False) as run:
            run.rows, run.ok, run.error = 1, False, "invoice x: refused"
        (pushed,) = store.recent_runs()
        assert (pushed.job, pushed.ok, pushed.rows_read, pushed.error) == ("push", False, 1, "invoice x: refused")
        async with recorded_run(writer, "payments", store.clock, stats, record=False):
            pass
        assert len(store.recent_runs()) == 1
    finally:
        writer.close()
