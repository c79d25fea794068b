"""One writer thread per sync service, so stage tables live on one DuckDB cursor.

Why: DuckDB TEMP tables belong to one connection, and `Database.cursor()` is per thread. The
mirror pull streams pages into TEMP stage tables while it fetches and merges them into the real
tables at the end in one transaction; all of that must run on the same thread. Running DuckDB
work off the event loop also keeps the TUI responsive (DuckDB releases the GIL).
"""

from __future__ import annotations

import asyncio
import functools
import os
import tempfile
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from typing import Any, TypeVar

import duckdb

from tui_crm.store import Store
from tui_crm.store.mirror import bulk_insert
from tui_crm.sync.columns import NULL, csv_text

T = TypeVar("T")

# Below this many rows the list-parameter path is cheaper than a temporary CSV file.
_CSV_THRESHOLD = 2000
# The longest record the CSV reader accepts (bytes): a few texts at `parse.TEXT_MAX` characters
# of up to 4 bytes each fit.
_MAX_LINE = 64 * 1024 * 1024


class StoreWriter:
    """Runs store work on one dedicated thread (and therefore one DuckDB cursor)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="crm-sync-writer")
        self._tmp = tempfile.mkdtemp(prefix="tui-crm-stage-")

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, functools.partial(fn, *args))

    def cursor(self) -> duckdb.DuckDBPyConnection:
        return self.store.db.cursor()

    def grouped(self) -> GroupWriter:
        """A view of this writer whose `run` commits small writes together (see `GroupWriter`)."""
        return GroupWriter(self)

    def stage(self, table: str, columns: Sequence[tuple[str, str]], rows: Sequence[Sequence[Any]]) -> None:
        """Append rows to a stage table (call through `run`)."""
        if not rows:
            return
        cur = self.cursor()
        if len(rows) < _CSV_THRESHOLD:
            bulk_insert(cur, table, columns, rows)
            return
        self._read_csv(cur, table, columns, [[csv_text(v) for v in row] for row in rows])

    def stage_columns(self, table: str, columns: Sequence[tuple[str, str]], cols: Sequence[Sequence[str]]) -> None:
        """Append rows given as columns of CSV text (`columns.PageConverter` output)."""
        if not cols or not cols[0]:
            return
        self._read_csv(self.cursor(), table, columns, zip(*cols, strict=True))

    def _read_csv(self, cur: duckdb.DuckDBPyConnection, table: str, columns: Sequence[tuple[str, str]],
                  rows: Any) -> None:
        # A temporary CSV file read by DuckDB beats list parameters ~2x for big pages (both are
        # C loops; read_csv casts text to DECIMAL/TIMESTAMP/BOOLEAN in parallel). The fields are
        # finished by `csv_text` (quoted, quotes doubled; NULL unquoted and empty), so a record is
        # just the fields joined; the file is removed whether or not DuckDB accepts it.
        path = os.path.join(self._tmp, f"{table}.csv")
        spec = ", ".join(f"'{name}': '{typ}'" for name, typ in columns)
        try:
            text = "\n".join(map(",".join, rows))   # one C loop per page, no call per record
            with open(path, "w", encoding="utf-8", newline="") as fh:
                fh.write(text + "\n" if text else "")
            cur.execute(
                f"INSERT INTO {table} SELECT * FROM read_csv(?, header = false, columns = {{{spec}}}, "
                f"delim = ',', quote = '\"', escape = '\"', new_line = '\\n', nullstr = '{NULL}', "
                f"allow_quoted_nulls = false, auto_detect = false, strict_mode = true, "
                f"max_line_size = {_MAX_LINE})",
                [path],
            )
        finally:
            with suppress(OSError):
                os.unlink(path)

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        with suppress(OSError):
            os.rmdir(self._tmp)



class _Job:
    __slots__ = ("call", "future")

    def __init__(self, call: Callable[[], Any], future: asyncio.Future[Any]) -> None:
        self.call = call
        self.future = future


class GroupWriter:
    """`StoreWriter.run` with group commit, for the push's many small writes.

    Why: every DuckDB commit syncs the file (~10 ms on the project machine), and one pushed invoice
    records a dozen small facts (steps, refs, states). Writes asked for while the writer thread is
    busy wait in a queue; the next turn of the thread runs all of them in one transaction
    (`Database.group`). Each caller still gets its answer only after its write is committed, so
    a push never sends its next request before the step it depends on is on disk. If anything in
    a group fails, the group is rolled back and its writes are run again one by one, so each
    caller sees its own result or error, as with `StoreWriter.run`.
    """

    #: Writes left for later (`later`) held back from the writer's turns until this many wait.
    HOLD = 16

    def __init__(self, writer: StoreWriter) -> None:
        self.writer = writer
        self.store = writer.store
        self._queue: list[_Job] = []
        self._held: list[_Job] = []   # `later` writes: go with the queue at `flush`, or HOLD of them
        self._lock = threading.Lock()
        self._flush_pending = False
        self.commits = 0   # transactions committed (benchmarks)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        job = _Job(functools.partial(fn, *args), loop.create_future())
        with self._lock:
            self._queue.append(job)
        self.kick()
        return await job.future

    def later(self, fn: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        """Hold a write that nobody waits for now: it commits when `HOLD` such writes wait, or
        at `flush` — all of them in one transaction, where the store's batched writes
        (`Database.batched`) of all of them are one statement each.

        For a write whose caller goes on without needing it on disk — in practice the outcome of
        a pushed item, after its last request: sixteen items' outcomes then cost one commit and
        one UPDATE of each table instead of a commit and three or four statements each (a DuckDB
        point write costs ~1.5-4 ms of CPU, one of 16 rows about the same). The returned future
        settles when it is committed (or carries its error); whoever started the work `flush`es
        and waits for all of them before it reports (`Pusher.run`). `run` and `kick` do not take
        held writes, and reads through `StoreWriter.run` do not see them: `flush` first when
        they must."""
        loop = asyncio.get_running_loop()
        job = _Job(functools.partial(fn, *args), loop.create_future())
        with self._lock:
            self._held.append(job)
            full = len(self._held) >= self.HOLD
        if full:
            self.flush()
        return job.future

    def flush(self) -> None:
        """Start a turn of the writer for every held write (`later`) and what is queued."""
        with self._lock:
            self._queue.extend(self._held)
            self._held = []
        self.kick()

    def kick(self) -> None:
        """Start a turn of the writer for what is queued, unless one is already due. A job the
        writer thread runs after this call (a read through `StoreWriter.run`) sees every write
        queued before it: the thread takes its jobs in order."""
        with self._lock:
            start = bool(self._queue) and not self._flush_pending
            if start:
                self._flush_pending = True
        if start:
            loop = asyncio.get_running_loop()
            loop.run_in_executor(self.writer._pool, self._flush, loop)

    def _flush(self, loop: asyncio.AbstractEventLoop) -> None:
        """On the writer thread: take every queued write and commit them as one."""
        with self._lock:
            jobs, self._queue = self._queue, []
            self._flush_pending = False
        results: list[tuple[_Job, Any, BaseException | None]] = []
        try:
            with self.store.db.group():
                results = [(job, job.call(), None) for job in jobs]
        except Exception:  # noqa: BLE001 - rolled back: run each alone so each gets its own outcome
            results = [self._alone(job) for job in jobs]
        else:
            self.commits += 1
        loop.call_soon_threadsafe(_settle, results)

    def _alone(self, job: _Job) -> tuple[_Job, Any, BaseException | None]:
        try:
            value = job.call()
        except Exception as exc:  # noqa: BLE001 - handed to the caller
            return job, None, exc
        self.commits += 1
        return job, value, None


def _settle(results: list[tuple[_Job, Any, BaseException | None]]) -> None:
    for job, value, exc in results:
        if job.future.cancelled():
            continue
        if exc is not None:
            job.future.set_exception(exc)
        else:
            job.future.set_result(value)
