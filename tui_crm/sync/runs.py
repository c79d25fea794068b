"""One way to record a sync run in ``sync_runs``: job name, rows, requests, outcome, error.

Why one helper: the pull cycle, each pull job, the mirror pull and the push all used to open and
close their run rows in their own way (some on the writer thread, some not, one forgetting a
cancelled task). `recorded_run` times the body, counts the HTTP requests it made, and writes the
run whether the body succeeds, fails or is cancelled; the body fills in what it knows.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

from tui_crm.i18n import register, tr
from tui_crm.sync.odata import RequestStats
from tui_crm.sync.reach import error_words
from tui_crm.sync.writer import StoreWriter

register({"sync.stopped": {"en": "Stopped before it finished.", "ru": "Остановлено, не закончив."}})


def describe(exc: BaseException) -> str:
    """One plain line for the sync log and the status bar."""
    if isinstance(exc, asyncio.CancelledError):   # the cycle's deadline, or the CRM closing
        return tr("sync.stopped")
    said = error_words(exc)   # in the operator's language; a DNS failure as `tui-crm doctor` says it
    text = (said if said is not None else str(exc)).strip() or type(exc).__name__
    return text.splitlines()[0][:500]


@dataclass
class RunRecord:
    """What a body reports about its run; `recorded_run` fills ``requests``/``seconds`` and, on
    an exception, ``ok``/``error``."""

    job: str
    rows: int = 0                  # rows read from accounting (or items pushed)
    written: int | None = None     # rows written to the mirror, when the job knows
    requests: int = 0
    seconds: float = 0.0
    ok: bool = True
    error: str | None = None
    keep: bool = True              # False: leave no row (a push tick that found nothing to do)


@asynccontextmanager
async def recorded_run(
    writer: StoreWriter,
    job: str,
    clock: Callable[[], datetime],
    stats: RequestStats,
    *,
    record: bool = True,
    open_at_start: bool = True,
    into: RunRecord | None = None,
) -> AsyncIterator[RunRecord]:
    """Run the ``async with`` body as one recorded sync run and re-raise whatever it raises.

    ``open_at_start`` writes the row when the body starts (the sync log shows it as running);
    without it the row is written once, at the end, and only if the body left ``keep`` set.
    ``record=False`` measures the body but writes nothing (the live job's reads). ``into`` is a
    record (or a subclass with a job's own results) to fill instead of a new one.
    """
    store = writer.store
    run = into if into is not None else RunRecord(job)
    started_at = clock()
    started = time.perf_counter()
    before = stats.requests
    run_id = await writer.run(store.start_run, job, started_at) if record and open_at_start else None

    def finish() -> None:
        nonlocal run_id
        if not record or not (run.keep or run_id is not None):
            return
        if run_id is None:
            run_id = store.start_run(job, started_at)
        store.finish_run(run_id, ok=run.ok, rows_read=run.rows, rows_written=run.written,
                         requests=run.requests, error=run.error, finished_at=clock())

    try:
        yield run
    except BaseException as exc:
        run.ok = False
        run.error = run.error or describe(exc)
        run.requests = stats.requests - before
        run.seconds = time.perf_counter() - started
        # Written here, not through the writer: this also runs when the task is being cancelled.
        finish()
        raise
    run.requests = stats.requests - before
    run.seconds = time.perf_counter() - started
    await writer.run(finish)


__all__ = ["RunRecord", "describe", "recorded_run"]
