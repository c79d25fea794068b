"""The log says what changed (issue 11, item 15): no line per run of the 3-second live job or the
2-second push job, one line when the live refresh starts failing and one when it works again."""

from __future__ import annotations

import asyncio
import logging

import pytest

from tests.sync.sandbox_kit import make_rig


async def test_scheduled_ticks_leave_no_log_lines(caplog: pytest.LogCaptureFixture) -> None:
    from tui_crm.sync.scheduler import create_scheduler

    rig = make_rig()
    try:
        await rig.service.pull_now()
        wh, pt = rig.store.warehouses()[0].id, rig.store.price_types()[0].id
        rig.service.watch_products(wh, pt, [r.product_id for r in rig.store.picker_search(wh, pt, "", limit=5)])
        caplog.set_level(logging.INFO)
        caplog.clear()
        scheduler = create_scheduler(rig.service, pull_seconds=600, live_seconds=0.05, push_seconds=0.05,
                                     first_run_in=600)
        for job in scheduler.get_jobs():  # live and push now, pull not at all
            if job.id != "pull":
                job.modify(next_run_time=None)
        scheduler.start()
        for job_id in ("live", "push"):
            scheduler.get_job(job_id).resume()
        for _ in range(400):  # until the live job has run several times (no timing is asserted)
            if rig.service.live.ticks >= 4:
                break
            await asyncio.sleep(0.02)
        scheduler.shutdown(wait=False)
        assert rig.service.live.ticks >= 4
        # httpx's request lines are set to WARNING by the CLI's log setup (tui_crm.cli._setup_logging)
        lines = [f"{r.name}: {r.getMessage()}" for r in caplog.records
                 if r.levelno >= logging.INFO and r.name.split(".")[0] in ("apscheduler", "tui_crm")]
        assert lines == [], lines
    finally:
        await asyncio.sleep(0.05)
        await rig.aclose()


async def test_live_failures_are_logged_when_they_change(caplog: pytest.LogCaptureFixture) -> None:
    rig = make_rig(timeout=2.0)
    try:
        await rig.service.pull_now()
        wh, pt = rig.store.warehouses()[0].id, rig.store.price_types()[0].id
        rig.service.watch_products(wh, pt, [r.product_id for r in rig.store.picker_search(wh, pt, "", limit=5)])
        caplog.set_level(logging.INFO, logger="tui_crm")
        rig.faults.configure({"error_rate": 1.0})
        for _ in range(5):
            await rig.service.live_tick()
        assert rig.service.live.last_error
        failed = [r for r in caplog.records if "live refresh failed" in r.getMessage()]
        assert len(failed) == 1 and failed[0].levelno == logging.WARNING
        rig.faults.configure({"reset": True})
        for _ in range(3):
            await rig.service.live_tick()
        assert rig.service.live.last_error is None
        back = [r for r in caplog.records if "works again" in r.getMessage()]
        assert len(back) == 1
    finally:
        await rig.aclose()
