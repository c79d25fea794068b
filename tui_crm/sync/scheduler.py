"""Periodic sync on APScheduler's AsyncIOScheduler, on the caller's event loop.

Jobs are thin: they only hand a coroutine to `spawn` (in the TUI, a Textual worker; headless,
a plain task). `max_instances=1, coalesce=True` plus the service's own lock mean runs never overlap.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from tui_crm.sync.service import SyncService

Spawn = Callable[[Callable[[], Awaitable[object]]], object]


def _default_spawn(factory: Callable[[], Awaitable[object]]) -> object:
    return asyncio.ensure_future(factory())


def create_scheduler(
    service: SyncService,
    *,
    pull_seconds: float,
    spawn: Spawn | None = None,
    first_run_in: float = 0.1,
) -> AsyncIOScheduler:
    """A started-on-demand scheduler with the mirror pull job; call `.start()` inside the loop."""
    logging.getLogger("apscheduler").propagate = True
    run = spawn or _default_spawn
    scheduler = AsyncIOScheduler()

    async def pull_job() -> None:
        run(service.pull_now)

    scheduler.add_job(
        pull_job,
        "interval",
        seconds=pull_seconds,
        id="pull",
        max_instances=1,
        coalesce=True,
        next_run_time=datetime.now() + timedelta(seconds=first_run_in),
    )
    return scheduler
