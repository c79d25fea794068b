"""Periodic sync on APScheduler's AsyncIOScheduler, on the caller's event loop.

Three jobs, each a thin hand-off of a service coroutine to `spawn` (in the TUI, a Textual worker;
headless, a plain task):
* ``pull`` every ``pull_seconds`` — the pull cycle (probes, mirror/counterparties when needed, our
  orders' state, orders made in 1C, payments, shipments, debt);
* ``push`` every ``push_seconds`` — the outbox (costs no request while it is empty);
* ``live`` every ``live_seconds`` — stock and prices of the rows on screen (no request while nothing
  is watched; 3 requests per 20 rows);
* ``live-orders`` every ``live_orders_seconds`` — state, payments and shipments of the orders on
  screen (5 requests per order view; a toast a few seconds later is fine).

``max_instances=1, coalesce=True`` plus the service's own lock per job mean runs of a job never
overlap; a slow pull never delays a push or a live refresh.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from tui_crm.sync.service import SyncService

Spawn = Callable[[Callable[[], Awaitable[object]]], object]

DEFAULT_PUSH_SECONDS = 2.0
DEFAULT_LIVE_SECONDS = 1.0          # rows on screen: a change in accounting painted within ~2 s
DEFAULT_LIVE_ORDERS_SECONDS = 3.0


def _default_spawn(factory: Callable[[], Awaitable[object]]) -> object:
    return asyncio.ensure_future(factory())


def create_scheduler(
    service: SyncService,
    *,
    pull_seconds: float,
    spawn: Spawn | None = None,
    first_run_in: float = 0.1,
    live_seconds: float = DEFAULT_LIVE_SECONDS,
    push_seconds: float = DEFAULT_PUSH_SECONDS,
    live_orders_seconds: float = DEFAULT_LIVE_ORDERS_SECONDS,
) -> AsyncIOScheduler:
    """A scheduler with the pull, push and live jobs; call `.start()` inside the loop."""
    logging.getLogger("apscheduler").propagate = True
    # APScheduler logs every run of every job at INFO ("Running job …", "… executed
    # successfully"): with push every 2 s and live every second that is most of the log. Its
    # warnings (a missed or skipped run) and errors still go through.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    run = spawn or _default_spawn
    scheduler = AsyncIOScheduler()
    now = datetime.now()

    def job(name: str, factory: Callable[[], Awaitable[object]], seconds: float, first: float) -> None:
        async def tick() -> None:
            run(factory)

        scheduler.add_job(
            tick, "interval", seconds=seconds, id=name, max_instances=1, coalesce=True,
            misfire_grace_time=max(1, int(seconds)), next_run_time=now + timedelta(seconds=first),
        )

    job("pull", service.pull_now, pull_seconds, first_run_in)
    job("push", service.push_now, push_seconds, first_run_in + 0.05)
    job("live", lambda: service.live_tick(orders=False), live_seconds, first_run_in + 0.1)
    job("live-orders", lambda: service.live_tick(rows=False), max(live_seconds, live_orders_seconds),
        first_run_in + 0.15)
    return scheduler
