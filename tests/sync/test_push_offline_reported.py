"""A push that finds accounting gone says so at once: the run is in the sync log and the screens
get `PushFinished(offline=…)` (the status bar turns offline and counts what waits), instead of
"online, all sent" until the next pull a minute later. Real sandbox over loopback, stopped."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from onec_sandbox.server import RunningSandbox, start_in_thread
from onec_sandbox.state import SandboxState
from tests.sync.sandbox_kit import new_client
from tui_crm.store import Store
from tui_crm.sync.events import PushFinished
from tui_crm.sync.odata import ODataClient
from tui_crm.sync.service import SyncService

DATE = datetime(2026, 11, 30, 10, 0)


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    running = start_in_thread(SandboxState.seeded(products=20, warehouses=1, seed=4))
    try:
        yield running
    finally:
        running.stop()


async def test_a_push_that_finds_accounting_unreachable_is_reported_and_recorded(
        sandbox: RunningSandbox, tmp_path: Path) -> None:
    store = Store.open(tmp_path / "crm.duckdb", clock=lambda: DATE)
    service = SyncService(store, ODataClient(sandbox.base_url, retries=1, backoff=0.0), clock=lambda: DATE)
    events: list[object] = []
    service.subscribe(events.append)
    try:
        await service.pull_now()
        assert service.online
        store.save_client(new_client("ООО «Связь»", inn="7736050003"), queue=True)
        sandbox.stop()  # accounting goes away with a client waiting to be sent
        result = await service.push_now()
        assert result is not None and result.offline
        assert not service.online
        finished = [e for e in events if isinstance(e, PushFinished)]
        assert len(finished) == 1 and finished[0].offline == result.offline
        push_run = store.recent_runs()[0]
        assert (push_run.job, push_run.ok, push_run.error) == ("push", False, result.offline)
        assert store.outbox_count() == 1
    finally:
        await service.aclose()
        store.close()
