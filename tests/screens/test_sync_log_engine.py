"""Sync-log retry and discard go through the sync engine: driven by keys against a sandbox
that refuses, then accepts, pushes (in process, with network-like faults)."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.seed import screen_app, settle
from tests.sync.sandbox_kit import make_rig, new_client
from tui_crm.domain.models import SyncState
from tui_crm.screens.sync_log import SyncLogScreen

SIZE = (120, 36)


async def _fail_until_given_up(rig, now: list[datetime]) -> None:
    """Push until the engine gives the items up (failed), moving the clock past each backoff."""
    for _ in range(12):
        await rig.service.push_now()
        waiting = rig.store.outbox_items(("pending",))
        if not waiting:
            return
        now[0] = max(item.next_attempt_at for item in waiting) + timedelta(seconds=1)
    raise AssertionError("the engine never gave up")


async def test_retry_and_discard_by_keys_call_the_engine() -> None:
    now = [datetime(2026, 11, 30, 12, 0)]
    rig = make_rig(clock=lambda: now[0])
    try:
        await rig.service.pull_now()
        first, second = new_client("ООО «Первый»"), new_client("ООО «Второй»", inn="7736207543")
        rig.store.save_client(first, queue=True, now=now[0])
        rig.store.save_client(second, queue=True, now=now[0])
        rig.faults.configure({"error_rate": 1.0})
        await _fail_until_given_up(rig, now)
        assert [i.state for i in rig.store.outbox_items()] == ["failed", "failed"]
        rig.faults.configure({"reset": True})  # accounting is back

        app = screen_app(rig.store, SyncLogScreen, service=rig.service)
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await settle(pilot)
            await pilot.press("tab")  # to the outbox; the first failed item is under the cursor
            await settle(pilot)
            await pilot.press("r")
            for _ in range(100):  # the engine re-queues it and pushes at once
                await settle(pilot)
                record = rig.store.get_client(first.id)
                if record is not None and record.sync_state is SyncState.IN_ACCOUNTING:
                    break
            record = rig.store.get_client(first.id)
            assert record is not None and record.sync_state is SyncState.IN_ACCOUNTING
            assert first.id in rig.state.objects["Catalog_Контрагенты"]
            toasts = [n.message for n in app._notifications]
            assert any(t.startswith("Will be sent again now: ") for t in toasts), toasts

            await pilot.press("x")
            await settle(pilot)
            await pilot.press("n")  # changed my mind: nothing happens
            await settle(pilot)
            assert [i.object_id for i in rig.store.outbox_items()] == [second.id]
            await pilot.press("x")
            await settle(pilot)
            await pilot.press("y")
            for _ in range(50):
                await settle(pilot)
                if not rig.store.outbox_items():
                    break
            assert rig.store.outbox_items() == []
            assert second.id not in rig.state.objects["Catalog_Контрагенты"]
            assert app.screen.query_one("#sl-outbox").row_count == 0
            empty = app.screen.query_one("#sl-outbox-empty")
            assert empty.display and "empty" in str(empty.render())
    finally:
        await rig.aclose()
