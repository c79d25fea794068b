"""Opening the CRM's DuckDB file: migrations, locking, one connection with a cursor per thread.

The TUI process owns its file for its lifetime (docs/architecture.md §4). DuckDB locks the file against
every other process, so a second open fails; we turn that into `StoreLocked` with plain words.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import duckdb

from tui_crm.i18n import register, tr

_MIGRATION_HEADER = re.compile(r"^-- migration: (\d+) (\S.*)$", re.MULTILINE)

_R = TypeVar("_R")


def unique_runs(rows: list[_R], key: Callable[[_R], object]) -> list[list[_R]]:
    """``rows`` cut, in order, into runs in which no key repeats: a batched write (`Database.batched`)
    of a row whose key is already in its run would read the row as it was before the batch and
    not as the earlier write left it — so the later write goes into the next statement."""
    runs: list[list[_R]] = [[]]
    seen: set[object] = set()
    for row in rows:
        k = key(row)
        if k in seen:
            runs.append([])
            seen = set()
        seen.add(k)
        runs[-1].append(row)
    return [r for r in runs if r]


class StoreError(Exception):
    """A problem with the CRM's local data file, worded for the operator."""


class SchemaTooNew(StoreError):
    """The file was written by a newer tui-crm; we refuse to touch it."""


class StoreLocked(StoreError):
    """Another process (usually a running tui-crm) holds the file."""


class StoreDamaged(StoreError):
    """A block of the file fails DuckDB's checksum: the file is damaged (disk, copy, crash)."""


# The big mirror tables (rebuilt from accounting on every full pull) are not read at open: on a
# 100k-product store reading them costs 0.3-0.5 s of the 0.4-0.6 s a full read takes, and
# losing them loses nothing accounting does not have. Everything else (the CRM's own rows, the
# outbox, the sync log, the small catalogues, meta) is read in full, which makes DuckDB check
# the checksum of every block they occupy (BENCHMARKS.md, "store check at open").
UNCHECKED_AT_OPEN = frozenset({"picker", "products", "prices", "stock"})
# The CRM's own rows, counted in the "damaged" message (what is at stake in the file).
_CRM_ROWS = ("clients", "invoices", "outbox")

# The store's refusals are read by the operator (the TUI's start, `tui-crm status`, `sync`, …),
# in the interface language at the time they are raised.
register({
    "store.rows.clients": {"en": "{n} clients", "ru": "клиентов: {n}"},
    "store.rows.invoices": {"en": "{n} invoices", "ru": "счетов: {n}"},
    "store.rows.outbox": {"en": "{n} outbox items", "ru": "в очереди: {n}"},
    "store.rows_unreadable.clients": {"en": "clients: unreadable", "ru": "клиенты: не прочитать"},
    "store.rows_unreadable.invoices": {"en": "invoices: unreadable", "ru": "счета: не прочитать"},
    "store.rows_unreadable.outbox": {"en": "outbox items: unreadable", "ru": "очередь: не прочитать"},
    "store.damaged": {
        "en": "The store file is damaged: {path} (table {table}: a block fails its checksum). Move it aside "
              "(mv '{path}' '{path}.damaged'); the CRM then starts with a new file and rebuilds the mirror "
              "from accounting. CRM rows in the damaged file: {counts} — those already sent are in "
              "accounting; keep the moved file for the rest.",
        "ru": "Файл данных повреждён: {path} (таблица {table}: блок не проходит проверку контрольной суммы). "
              "Переместите его (mv '{path}' '{path}.damaged'); CRM начнёт с нового файла и заново загрузит "
              "копию из учёта. Строк CRM в повреждённом файле: {counts} — уже отправленные есть в учёте; "
              "остальное сохраните в перемещённом файле."},
    "store.in_use": {
        "en": "The CRM data file {path} is in use by another tui-crm{who}. Close that program first, or point "
              "this one at another file with --store.",
        "ru": "Файл данных CRM {path} занят другой tui-crm{who}. Сначала закройте её или укажите этой другой "
              "файл через --store."},
    "store.in_use.pid": {"en": " (process {pid})", "ru": " (процесс {pid})"},
    "store.not_crm": {
        "en": "The file {path} is not a CRM data file (not a DuckDB database, or damaged). Check --store / "
              "TUI_CRM_STORE / store.path; the file was left untouched.",
        "ru": "Файл {path} — не файл данных CRM (не база DuckDB или повреждён). Проверьте --store / "
              "TUI_CRM_STORE / store.path; файл не тронут."},
    "store.read_only": {"en": "The CRM data file {path} cannot be opened for writing (permission denied).",
                        "ru": "Файл данных CRM {path} нельзя открыть для записи (нет прав)."},
    "store.too_new_duckdb": {
        "en": "The CRM data file {path} was written by a newer version of DuckDB/tui-crm and cannot be opened "
              "by this one. Upgrade tui-crm; the file was left untouched.",
        "ru": "Файл данных CRM {path} записан более новой версией DuckDB/tui-crm, эта открыть его не может. "
              "Обновите tui-crm; файл не тронут."},
    "store.cannot_open": {"en": "Cannot open the CRM data file {path}: {error}",
                          "ru": "Не открыть файл данных CRM {path}: {error}"},
    "store.too_new_schema": {
        "en": "The CRM data file {path} has schema version {found}, but this tui-crm knows versions up to "
              "{latest}. Upgrade tui-crm; the file was left untouched.",
        "ru": "У файла данных CRM {path} схема версии {found}, а эта tui-crm знает версии до {latest}. "
              "Обновите tui-crm; файл не тронут."},
    "store.is_folder": {"en": "The CRM data file {path} is a folder, not a file; point --store at a file.",
                        "ru": "Файл данных CRM {path} — это папка, а не файл; укажите в --store файл."},
    "store.no_folder": {"en": "Cannot create the folder {path} for the CRM data file: {error}",
                        "ru": "Не создать папку {path} для файла данных CRM: {error}"},
    "store.migration_failed": {"en": "Applying store migration {version} ({name}) failed: {error}",
                               "ru": "Не удалось обновить файл данных (миграция {version}, {name}): {error}"},
})


def _is_damage(exc: BaseException) -> bool:
    text = str(exc)
    return "Corrupt database file" in text or "checksum" in text.lower()


def check_blocks(con: duckdb.DuckDBPyConnection, path: Path,
                 skip: frozenset[str] = UNCHECKED_AT_OPEN) -> list[str]:
    """Read every column of every table (but ``skip``) once; DuckDB verifies each block's checksum
    as it loads it. Raises `StoreDamaged` naming the file; returns the tables read.

    The tables are listed by `duckdb_tables()` (information_schema, a view over it, cost 5-10 ms
    more), and one with no rows is not scanned: it has no data blocks to verify, and its scan
    in the statement below cost about as much planning as a full one (bench/start.py: 27 tables
    of a 100k store, 6 with rows: 13 -> 6 ms)."""
    tables = con.execute(
        "SELECT table_name, estimated_size FROM duckdb_tables() "
        "WHERE database_name = current_database() AND schema_name = 'main' AND NOT temporary "
        "ORDER BY table_name").fetchall()
    read = [str(t) for t, _rows in tables if t not in skip and '"' not in t]
    scan = [str(t) for t, rows in tables if t in read and rows]
    if not scan:
        return read
    # One statement hashing every row of every table (all columns: the row as a struct), so
    # DuckDB reads them in parallel; the names are ones DuckDB itself listed, never user text.
    try:
        con.execute("SELECT " + ", ".join(f'(SELECT min(hash(t)) FROM "{name}" t)' for name in scan)).fetchall()
    except duckdb.Error as exc:
        if not _is_damage(exc):
            raise
        for name in scan:   # which table: the message names it
            try:
                con.execute(f'SELECT min(hash(t)) FROM "{name}" t').fetchall()
            except duckdb.Error as inner:
                if _is_damage(inner):
                    raise _damaged(con, path, name) from exc
        raise _damaged(con, path, "?") from exc
    return read


def _damaged(con: duckdb.DuckDBPyConnection, path: Path, table: str) -> StoreDamaged:
    counts = []
    for name in _CRM_ROWS:
        try:
            row = con.execute(f'SELECT count(*) FROM "{name}"').fetchone()
            counts.append(tr(f"store.rows.{name}", n=row[0] if row else 0))
        except duckdb.Error:
            counts.append(str(tr(f"store.rows_unreadable.{name}")))
    return StoreDamaged(tr("store.damaged", path=path, table=table, counts=", ".join(counts)))


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def load_migrations() -> list[Migration]:
    """Split schema.sql into its numbered migrations, checking they are 1, 2, 3, … in order."""
    text = resources.files("tui_crm.store").joinpath("schema.sql").read_text(encoding="utf-8")
    headers = list(_MIGRATION_HEADER.finditer(text))
    migrations: list[Migration] = []
    for i, m in enumerate(headers):
        end = headers[i + 1].start() if i + 1 < len(headers) else len(text)
        migrations.append(Migration(int(m.group(1)), m.group(2).strip(), text[m.end() : end]))
    for expected, mig in enumerate(migrations, start=1):
        if mig.version != expected:
            raise StoreError(f"schema.sql: migration {mig.version} found where {expected} was expected")
    return migrations


def utcnow() -> datetime:
    """Naive UTC now: the store keeps every timestamp as naive UTC."""
    return datetime.now(UTC).replace(tzinfo=None)


Clock = Callable[[], datetime]
"""What "now" is for a process: naive UTC. Production uses `utcnow`; tests inject their own
(`Store.open(path, clock=...)`), and everything else (sync engine, app, status command) asks the
store for it, so one process has exactly one notion of now."""


def _friendly_open_error(path: Path, exc: Exception) -> StoreError:
    text = str(exc)
    if "Could not set lock" in text or "Conflicting lock" in text:
        pid = re.search(r"PID (\d+)", text)
        who = tr("store.in_use.pid", pid=pid.group(1)) if pid else ""
        return StoreLocked(tr("store.in_use", path=path, who=who))
    if "not a valid DuckDB database file" in text:
        return StoreError(tr("store.not_crm", path=path))
    if "Permission denied" in text or "Read-only file system" in text:
        return StoreError(tr("store.read_only", path=path))
    if "version number" in text or "Trying to read a database file" in text:
        return SchemaTooNew(tr("store.too_new_duckdb", path=path))
    return StoreError(tr("store.cannot_open", path=path, error=text))


def _recorded_version(con: duckdb.DuckDBPyConnection) -> int:
    # Asked directly: a look in information_schema first cost ~10 ms more at every start.
    try:
        row = con.execute("SELECT max(version) FROM main.schema_migrations").fetchone()
    except duckdb.CatalogException:  # a new file (or one that is not ours yet): nothing applied
        return 0
    return int(row[0]) if row and row[0] is not None else 0


def _open_existing(path: Path, latest: int, *, check_later: bool = False) -> tuple[duckdb.DuckDBPyConnection, bool]:
    """The read-write connection to an existing file, after the two looks that must come before
    anything is written to it: its schema is not newer than this tui-crm (`SchemaTooNew`), and its
    CRM tables' blocks pass their checksums (`StoreDamaged`). Either way a refused file is left
    exactly as it was.

    Opening read-write and only reading writes nothing to the file (no write-ahead log is made;
    tests/store/test_store.py checks the bytes), so one connection does for both — opening a
    read-only probe first and then the read-write connection cost ~60 ms of every start
    (BENCHMARKS.md, cold start). The exception is a write-ahead log left by a crash: a read-write
    open replays it into the file when it closes, so then the looks are made on a read-only probe
    first, as before. So is anything that does not start like a DuckDB file (an empty file,
    /dev/null): a read-write open would make a new database of it.

    ``check_later``: when the file's schema is the current one (nothing to migrate), the block
    check is left to the caller (`Database.check_in_background`); the second value says so."""
    if path.with_name(path.name + ".wal").exists() or not _looks_like_duckdb(path):
        _look_read_only(path, latest)
        try:
            return connect(str(path)), False
        except duckdb.Error as exc:
            raise _friendly_open_error(path, exc) from exc
    try:
        con = connect(str(path))
    except duckdb.Error as exc:
        raise _friendly_open_error(path, exc) from exc
    try:
        if check_later and _recorded_version(con) == latest:
            return con, True
        _look(con, path, latest)
    except duckdb.Error as exc:
        con.close()
        raise _friendly_open_error(path, exc) from exc
    except BaseException:
        con.close()
        raise
    return con, False


def _looks_like_duckdb(path: Path) -> bool:
    """A regular file with DuckDB's magic bytes where its header has them."""
    try:
        with path.open("rb") as f:
            head = f.read(12)
        return path.is_file() and head[8:12] == b"DUCK"
    except OSError:
        return False


def _look_read_only(path: Path, latest: int) -> None:
    try:
        probe = connect(str(path), read_only=True)
    except duckdb.Error as exc:
        raise _friendly_open_error(path, exc) from exc
    try:
        _look(probe, path, latest)
    finally:
        probe.close()


def _look(con: duckdb.DuckDBPyConnection, path: Path, latest: int) -> None:
    """Refuse a newer schema, then check the blocks (only reads)."""
    try:
        found = _recorded_version(con)
        if found <= latest:
            check_blocks(con, path)
    except duckdb.Error as exc:
        raise _damaged(con, path, "?") if _is_damage(exc) else _friendly_open_error(path, exc) from exc
    if found > latest:
        raise SchemaTooNew(tr("store.too_new_schema", path=path, found=found, latest=latest))


# Everything the store needs is linked into the DuckDB wheel. Replaying a write-ahead log after a
# crash binds the logged statements again, and DuckDB would then try to *download* the functions
# it binds (list_value of migration 5, for one) unless told not to: offline that failed with
# "Failed to download extension core_functions" and the store could not be opened at all.
# Without auto-install the linked-in extension is simply loaded. Nothing is ever fetched.
CONNECT_CONFIG: dict[str, str | bool | int | float | list[str]] = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": True,
}


def connect(path: str, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """duckdb.connect with the store's settings (see CONNECT_CONFIG)."""
    return duckdb.connect(path, read_only=read_only, config=dict(CONNECT_CONFIG))


class Database:
    """One DuckDB connection for the process, a cursor per thread, one writer at a time."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path | None) -> None:
        self._con = con
        self.path = path
        self._local = threading.local()
        self._write_lock = threading.RLock()
        self._cursors: list[duckdb.DuckDBPyConnection] = []
        self._cursors_lock = threading.Lock()
        self._checking: threading.Thread | None = None
        self._check_error: StoreError | None = None

    # -- opening ---------------------------------------------------------------------------
    @classmethod
    def open(cls, path: Path | str | None, *, check_later: bool = False) -> Database:
        """Open (creating if needed) and migrate the file; `None` gives an in-memory store.

        ``check_later``: an up-to-date file's block check runs on a thread of its own while the
        caller goes on (the TUI imports Textual meanwhile: DuckDB reads without the GIL, so on
        two cores the ~20 ms check costs no time before the first screen). Nothing is written
        until it passed — every transaction waits for it — and `wait_checked()` raises what it
        found. A file that needs a migration is checked first, as always."""
        migrations = load_migrations()
        latest = migrations[-1].version
        pending = False
        if path is None:
            con = connect(":memory:")
            db_path = None
        else:
            db_path = Path(path).expanduser()
            if db_path.is_dir():
                raise StoreError(tr("store.is_folder", path=db_path))
            if db_path.exists():
                con, pending = _open_existing(db_path, latest, check_later=check_later)
            else:
                try:
                    db_path.parent.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    raise StoreError(tr("store.no_folder", path=db_path.parent, error=exc.strerror or exc)) from exc
                try:
                    con = connect(str(db_path))
                except duckdb.Error as exc:
                    raise _friendly_open_error(db_path, exc) from exc
        db = cls(con, db_path)
        if pending and db_path is not None:
            db._check_in_background(db_path)
            return db  # the schema is the current one: nothing to migrate
        try:
            db._migrate(migrations)
        except duckdb.Error as exc:
            con.close()
            raise _friendly_open_error(db_path or Path(":memory:"), exc) from exc
        except Exception:
            con.close()
            raise
        return db

    def _check_in_background(self, path: Path) -> None:
        cur = self._con.cursor()

        def check() -> None:
            try:
                check_blocks(cur, path)
            except StoreError as exc:
                self._check_error = exc
            except duckdb.Error as exc:
                self._check_error = _damaged(cur, path, "?") if _is_damage(exc) else _friendly_open_error(path, exc)
            finally:
                with suppress(duckdb.Error):
                    cur.close()

        self._checking = threading.Thread(target=check, name="store-block-check", daemon=True)
        self._checking.start()

    def wait_checked(self) -> None:
        """Wait for a block check still running (`open(check_later=True)`); raise what it found
        (`StoreDamaged`), now and at every later call. Returns at once otherwise."""
        thread = self._checking
        if thread is not None:
            thread.join()
            self._checking = None
        if self._check_error is not None:
            raise self._check_error

    def _migrate(self, migrations: list[Migration]) -> None:
        con = self._con
        con.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
        )
        current = _recorded_version(con)
        if current > migrations[-1].version:  # in-memory race or a file changed under us
            raise SchemaTooNew(tr("store.too_new_schema", path=self.path or ":memory:", found=current,
                                  latest=migrations[-1].version))
        applied = False
        for mig in migrations:
            if mig.version <= current:
                continue
            con.execute("BEGIN TRANSACTION")
            try:
                con.execute(mig.sql)
                con.execute(
                    "INSERT INTO schema_migrations VALUES (?, ?, ?)",
                    [mig.version, mig.name, utcnow()],
                )
                con.execute("COMMIT")
            except Exception as exc:
                con.execute("ROLLBACK")
                raise StoreError(tr("store.migration_failed", version=mig.version, name=mig.name, error=exc)) from exc
            applied = True
        if applied:
            # Fold the schema change into the file now: a crash right after an upgrade then leaves
            # no ALTER TABLE in the log to be replayed (and bound again) at the next start.
            con.execute("CHECKPOINT")

    @property
    def schema_version(self) -> int:
        return _recorded_version(self.cursor())

    # -- access ------------------------------------------------------------------------------
    def cursor(self) -> duckdb.DuckDBPyConnection:
        """The calling thread's cursor (DuckDB cursors must not be shared between threads)."""
        cur = getattr(self._local, "cursor", None)
        if cur is None:
            cur = self._con.cursor()
            self._local.cursor = cur
            with self._cursors_lock:
                self._cursors.append(cur)
        return cur

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One writer at a time; everything inside commits together or not at all. Inside this
        thread's `group()` it is part of the group and commits with it. Nothing is written to a
        file whose block check has not passed (`wait_checked`)."""
        self.wait_checked()
        with self._write_lock:
            cur = self.cursor()
            if getattr(self._local, "grouped", False):
                yield cur
                return
            cur.execute("BEGIN TRANSACTION")
            try:
                yield cur
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            else:
                cur.execute("COMMIT")

    @contextmanager
    def group(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """Several transactions of this thread committed as one (group commit): each commit
        syncs the file (~10 ms), so small writes made at once by several pushes share one.
        If anything inside fails, the whole group is rolled back."""
        self.wait_checked()
        with self._write_lock:
            cur = self.cursor()
            cur.execute("BEGIN TRANSACTION")
            self._local.grouped = True
            self._local.batches = {}
            try:
                yield cur
                batches, self._local.batches = self._local.batches, {}
                for run, rows in batches.values():
                    run(cur, rows)
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            else:
                cur.execute("COMMIT")
            finally:
                self._local.grouped = False
                self._local.batches = {}

    def batched(self, name: str, run: Callable[[duckdb.DuckDBPyConnection, list[Any]], None], row: Any) -> None:
        """A write of one row that may share its statement with the same write of other rows:
        inside this thread's `group()` the row is collected under ``name`` and ``run(cur, rows)``
        writes all of them once, in the group's transaction right before its commit (in the
        order the names were first used); outside a group ``run(cur, [row])`` runs now in its own
        transaction.

        Why: a DuckDB point write costs ~1.5-4 ms of CPU whatever it writes, and one UPDATE of
        16 rows costs what one of 1 row does (BENCHMARKS.md, "Push (issue 13)"); the push's
        outcomes are such writes. ``run`` must give each row what a statement of its own would
        (a row whose key repeats within the batch: see `unique_runs`). If it fails, the group
        is rolled back as any other failure in it."""
        batches: dict[str, tuple[Callable[[duckdb.DuckDBPyConnection, list[Any]], None], list[Any]]] | None = (
            getattr(self._local, "batches", None) if getattr(self._local, "grouped", False) else None)
        if batches is None:
            with self.transaction() as cur:
                run(cur, [row])
            return
        batches.setdefault(name, (run, []))[1].append(row)

    def close(self, wait: float = 10.0) -> None:
        """Close every thread's cursor, then the connection. A writer in its transaction is
        waited for (its commit is not cut short); a read still running in another thread (a
        worker the app left behind while quitting) is interrupted: DuckDB refuses to close a
        busy connection instead of waiting for it."""
        if self._checking is not None:
            self._checking.join(wait)
        acquired = self._write_lock.acquire(timeout=wait)
        try:
            with self._cursors_lock:
                cursors, self._cursors = self._cursors, []
            deadline = time.monotonic() + wait
            for cur in [*cursors, self._con]:
                _close_interrupting(cur, deadline)
        finally:
            if acquired:
                self._write_lock.release()


def _close_interrupting(con: duckdb.DuckDBPyConnection, deadline: float) -> None:
    """Close `con`; while another thread's call keeps it busy, interrupt that call and retry
    until `deadline` (then the last refusal is raised: the caller sees why)."""
    while True:
        try:
            con.close()
            return
        except duckdb.ResourceInUseException:
            if time.monotonic() >= deadline:
                raise
            with suppress(duckdb.Error):
                con.interrupt()
            time.sleep(0.01)
        except duckdb.Error:
            return  # already closed or broken: nothing left to release
