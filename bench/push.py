"""Push benchmark: 1000 queued invoices × 10 lines, half for clients accounting already has and
half each with a new client, pushed to the sandbox over loopback, on one 1C configuration
(``--config``: ka1, the default, bp3 or ut11: both sandboxes speak it and the CRM runs its profile).

What is counted as a new client's request (`kind_of`), by entity set: its counterparty
(Catalog_Контрагенты: on bp3 and ut11 the phone, e-mail and address go inside its POST, in the
table part КонтактнаяИнформация), its partner (ut11: Catalog_Партнеры, written before the
counterparty), ka1's contact records (InformationRegister_КонтактнаяИнформация, one POST each) and
the read of the contact kinds (Catalog_ВидыКонтактнойИнформации, once a process). Everything else
is an invoice's: the order and the linked invoice document (ka1: ЗаказПокупателя +
СчетНаОплатуПокупателю; bp3: СчетНаОплатуПокупателю alone; ut11: ЗаказКлиента +
СчетНаОплатуКлиенту), the sales contract (ka1, bp3: Catalog_ДоговорыКонтрагентов, made at a client's
first invoice, looked up first for a client accounting already had; ut11 sends none), ut11's
standard agreement and VAT rate reads (once a process), and a read of a counterparty accounting
already had (ut11: the partner its order names, once a client and process). The table's last
part lists the fault-free push's requests by method and entity set.

The sandbox runs as a separate process (`tui-crm sandbox serve`), so it does not share the GIL
with the CRM. Measured in the same run:

* **push** — `SyncService.push_now()` until the outbox is empty: invoices/s, requests per invoice
  and per new client (the CRM's own request counter), with `sync.push_concurrency` = each value of
  ``--concurrency``;
* **push with 5 % 5xx** — the same on a fresh batch while the sandbox answers 5 % of requests with
  500/-1 (its faults admin endpoint). Backoff waits are skipped: the store's clock jumps to the
  next due item when nothing is due, so the figure is the work, not the waiting;
* **baseline** — every write request the fault-free push sent (recorded), replayed with a bare
  `httpx.AsyncClient` into a second sandbox process started from the same seed: the same bodies,
  the same concurrency (one lane per client, so a client's requests stay in order: `lane_of`;
  ut11's partner joins the lane of the counterparty that names it), no CRM work.

``--latency-ms N`` makes both sandboxes answer every request N ms later, as a real 1C whose write
takes tens of ms (over loopback the sandbox answers in ~2 ms, so the CRM's own CPU dominates).

Store commits per invoice (the push's group writer) are counted beside the requests, and the CRM
process's CPU per invoice (all its threads; the sandboxes are other processes).

After the table, **where the CPU goes and the floor**, per concurrency: the cores the CRM process
used while pushing (its CPU over the wall time: all its Python runs under one GIL, so its event
loop and its store writer thread take turns — at ~1.0 the push is one core's worth of CPU, and
throughput is 1000 / its CPU ms an invoice); the sandbox's CPU (a separate process, from
`/proc`); and a floor under the CRM's CPU an invoice, measured in the same run: the bare replay's
CPU (httpx sending the same requests, nothing else) plus the store statements the push ran (counted
on every thread, BEGIN and COMMIT included) at the cost of the cheapest one, ``SELECT 1``, timed on
the bench's store after the push. ``--duckdb-threads N`` sets DuckDB's worker threads on the CRM's
store (default: DuckDB's, one per core), to see what they cost the push.

``--code DIR`` runs the same measurement on another checkout's code (its `tui_crm` and its
sandbox), e.g. the branch point in a detached worktree, so before and after are measured by one
script under the same load: run it with and without ``--code`` back to back.

Usage: python bench/push.py [--config ka1|bp3|ut11] [--invoices 1000] [--lines 10] [--concurrency 1 4]
                            [--error-rate 0.05] [--latency-ms N] [--code DIR] [--profile FILE]
                            [--duckdb-threads N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx

# The checkout whose code is measured (`--code`, read before the imports below), default this one.
sys.path.insert(0, str((Path(sys.argv[sys.argv.index("--code") + 1]) if "--code" in sys.argv[:-1]
                        else Path(__file__).resolve().parents[1]).resolve()))

from tui_crm.domain.invoice import Invoice, InvoiceLine
from tui_crm.domain.models import Client
from tui_crm.domain.validation import ClientKind
from tui_crm.domain.vat import VatRate
from tui_crm.store import Store
from tui_crm.store.db import utcnow
from tui_crm.sync.odata import ODataClient
from tui_crm.sync.profile import BUNDLED, Profile, load_profile
from tui_crm.sync.service import SyncService
from tui_crm.sync.writer import GroupWriter

try:   # the measured code's own transport, where it has one (`tui_crm/sync/odata/transport.py`)
    from tui_crm.sync.odata.transport import Transport as CodeTransport
except ImportError:   # older code: httpx's, as its ODataClient uses
    CodeTransport = httpx.AsyncHTTPTransport  # type: ignore[misc,assignment]

WRITES = ("POST", "PATCH", "DELETE")
CODE = Path(sys.path[0])   # the checkout measured (see above)


class SimClock:
    """Wall-clock UTC plus an offset the bench moves forward to skip backoff waits."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return utcnow() + self.offset


def entity_of(path: str) -> str:
    """The entity set a request's path names (`…/standard.odata/Catalog_X(guid'…')` → `Catalog_X`,
    `…/InformationRegister_X_RecordType/SliceLast(…)` → `InformationRegister_X_RecordType`)."""
    tail = path.split("/standard.odata/", 1)[-1].split("?", 1)[0]
    return re.split(r"[(/]", tail, maxsplit=1)[0]


def client_entities(profile: Profile) -> frozenset[str]:
    """The entity sets whose requests serve a client (see the module's docstring): its
    counterparty (on bp3 and ut11 with the contact rows in its table part), its partner (ut11),
    the contact-information records (ka1's register) and the contact kinds read to fill them."""
    names = {profile["counterparty"].entity}
    for concept in ("partner", "contact"):
        c = profile[concept]
        if c.present:
            names.update(e for e in (c.entity, c.options.get("kind_entity")) if isinstance(e, str) and e)
    return frozenset(names)


def kind_of(path: str, clients: frozenset[str], existing: frozenset[str] = frozenset()) -> str:
    """Whether a request served a new client (``clients``: `client_entities`) or an invoice: a
    read of a counterparty accounting already had (``existing``; ut11: its partner, which its
    invoice's order names) is the invoice's."""
    if entity_of(path) not in clients:
        return "invoice"
    key = re.search(r"guid'([0-9a-fA-F-]{36})'", path)
    return "invoice" if key is not None and key.group(1).lower() in existing else "client"


class Recorder(httpx.AsyncBaseTransport):
    """Counts requests and keeps the write requests (method, path, body) for the baseline."""

    def __init__(self, clients: frozenset[str]) -> None:
        self.inner = CodeTransport()   # what the measured code's ODataClient would use
        self.clients = clients
        self.existing: frozenset[str] = frozenset()   # the counterparties accounting had (after the pull)
        self.writes: list[tuple[str, str, bytes]] = []
        self.record = False
        self.keep_writes = False
        # (method, raw path) of each request while recording; sorted into kinds after the run
        # (`counts`, `by_entity`): decoding and matching each path as it goes cost the CRM's
        # event loop ~0.3 ms an invoice, counted as the CRM's CPU
        self.seen: list[tuple[str, bytes]] = []

    @property
    def counts(self) -> Counter[str]:
        return Counter(kind for kind, _m, _e in self._sorted())

    @property
    def by_entity(self) -> Counter[tuple[str, str, str]]:
        """(kind, method, entity set) -> requests."""
        return Counter(self._sorted())

    def _sorted(self) -> list[tuple[str, str, str]]:
        out = []
        for method, raw in self.seen:
            path = unquote(raw.decode("ascii"))
            out.append((kind_of(path, self.clients, self.existing), method, entity_of(path)))
        return out

    def clear(self) -> None:
        self.seen.clear()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.record:
            raw = request.url.raw_path
            self.seen.append((request.method, raw))
            if self.keep_writes and request.method in WRITES:
                self.writes.append((request.method, raw.decode("ascii"), request.content))
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


class Statements:
    """Counts the statements the store runs (BEGIN and COMMIT included), on every thread: each
    thread's cursor is handed out wrapped. For the floor below: no statement costs less than the
    cheapest one (`statement_floor`); the push's writes cost several times that. The bench's own
    reads between push rounds (`drain`: failed and open items, two a round of 50) are counted too."""

    def __init__(self, store: Store) -> None:
        self.n = 0
        db = store.db
        plain = db.cursor

        def cursor() -> Any:
            return _Counted(plain(), self)

        db.cursor = cursor  # type: ignore[method-assign]


class _Counted:
    __slots__ = ("box", "cur")

    def __init__(self, cur: Any, box: Statements) -> None:
        self.cur = cur
        self.box = box

    def execute(self, *args: Any, **kwargs: Any) -> Any:
        self.box.n += 1
        return self.cur.execute(*args, **kwargs)

    def executemany(self, *args: Any, **kwargs: Any) -> Any:
        self.box.n += 1
        return self.cur.executemany(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.cur, name)


def statement_floor(store: Store, runs: int = 300) -> float:
    """Thread CPU (s) of the cheapest statement, ``SELECT 1``, on the store's connection: the
    floor of what each of the push's statements costs (mean of ``runs``, on this thread)."""
    cur = store.db.cursor()
    for _ in range(20):
        cur.execute("SELECT 1").fetchall()
    started = time.thread_time()
    for _ in range(runs):
        cur.execute("SELECT 1").fetchall()
    return (time.thread_time() - started) / runs


def proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far (Linux `/proc`; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_sandbox(folder: Path, name: str, config: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui_crm.cli", "sandbox", "serve", "--data", str(folder / f"{name}.sqlite"),
         "--products", "200", "--warehouses", "3", "--seed", "1", "--config", config],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=str(CODE),
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    assert proc.stdout is not None
    while True:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError("sandbox did not start: " + (proc.stderr.read() if proc.stderr else ""))
        m = re.search(r"(https?://\S+/odata/standard\.odata/)", line)
        if m:
            return proc, m.group(1)


def admin_url(odata_url: str) -> str:
    return odata_url.split("/odata/standard.odata/")[0] + "/__admin__/faults"


def queue_batch(store: Store, n: int, lines: int, existing: list[str], tag: str) -> tuple[int, int]:
    """Queue n invoices: even ones for an existing counterparty, odd ones each with a new client.
    Returns (invoices, new clients)."""
    wh = store.warehouses()[0].id
    pt = store.price_types()[0].id
    rows = [r for r in store.picker_search(wh, pt, "", limit=50) if r.price is not None][:lines]
    assert len(rows) == lines, "the sandbox has too few priced products"
    new = 0
    for i in range(n):
        if i % 2 == 0:
            client_id = existing[(i // 2) % len(existing)]
        else:
            new += 1
            name = f"ООО «Бенч {tag}-{i}»"
            client = Client(id=str(uuid.uuid4()), kind=ClientKind.LEGAL_ENTITY, name=name, full_name=name,
                            inn="7707083893", kpp="773601001", phones=(f"+7 912 {i % 1000:03d}-00-00",),
                            email=f"b{i}@bench.ru", address=f"Москва, ул. Ленина, {i}")
            store.save_client(client, queue=True)
            client_id = client.id
        inv = Invoice(
            lines=tuple(InvoiceLine(r.product_id, r.code, r.name, r.unit, Decimal(1 + (i + k) % 5), r.price,
                                    Decimal("5") if k % 3 == 0 else Decimal(0), VatRate(r.vat_rate or "НДС20"))
                        for k, r in enumerate(rows)),
            client_id=client_id, warehouse_id=wh, price_type_id=pt, comment=f"bench {tag} {i}",
        )
        store.save_invoice(str(uuid.uuid4()), inv, date=datetime(2026, 11, 30, 10, 0), queue=True)
    return n, new


@dataclass
class Drained:
    """One push until the outbox was empty. CPU seconds are the CRM process's (the sandboxes are
    other processes): all its threads, the event loop's, and the store writer thread's (the
    rest is DuckDB's own threads and the interpreter's). CPU per invoice moves less with the
    load of a shared machine than wall time does."""

    seconds: float
    requests: int
    failed: int
    cpu: float
    loop_cpu: float
    writer_cpu: float


async def drain(service: SyncService, clock: SimClock) -> Drained:
    """Push until the outbox is empty."""
    store = service.store
    before = service.client.stats.requests
    failed = 0
    started = time.perf_counter()
    cpu, loop_cpu = time.process_time(), time.thread_time()
    writer_cpu = await service.writer.run(time.thread_time)
    while True:
        result = await service.push_now()
        assert result is not None
        # every failed item, also a client that failed inline (pushed right before its invoice,
        # so not among `result.failed`): left failed, its invoices would wait for it forever
        for item in store.outbox_failed_items():
            print(f"  failed: {item.kind} {item.object_id}: {item.last_error}", flush=True)
            failed += 1
            await service.retry(item.id)
        items = store.outbox_items(("pending", "sending"))
        if not items:
            break
        if not result.attempted:
            due = min(i.next_attempt_at for i in items)
            clock.offset += max(timedelta(0), due - clock()) + timedelta(milliseconds=1)
    return Drained(time.perf_counter() - started, service.client.stats.requests - before, failed,
                   time.process_time() - cpu, time.thread_time() - loop_cpu,
                   await service.writer.run(time.thread_time) - writer_cpu)


async def set_faults(http: httpx.AsyncClient, url: str, **faults: Any) -> None:
    r = await http.post(admin_url(url), json={"reset": True, **faults})
    r.raise_for_status()


def lane_of(path: str, body: bytes, partners: dict[str, str]) -> str:
    """The client a recorded write belongs to (its requests must stay in order): the counterparty
    a body names (ka1's contact records by `Объект`, bp3's and ka1's contract by `Owner_Key`, an
    order or invoice document by `Контрагент_Key`), a counterparty's own key, and on ut11 a
    partner's key mapped to the counterparty that names it (``partners``, `partner_owners`: the
    partner is written first, then its counterparty, then the orders)."""
    data = json.loads(body) if body else {}
    for key in ("Объект", "Контрагент_Key", "Owner_Key", "Контрагент"):
        if key in data:
            return str(data[key])
    entity = entity_of(unquote(path))
    if entity == "Catalog_Контрагенты":
        return str(data.get("Ref_Key", path))
    if entity == "Catalog_Партнеры" and "Ref_Key" in data:
        return partners.get(str(data["Ref_Key"]), str(data["Ref_Key"]))
    return path


def partner_owners(writes: list[tuple[str, str, bytes]]) -> dict[str, str]:
    """ut11: each partner key the recorded counterparty bodies name → that counterparty's key."""
    out: dict[str, str] = {}
    for _method, path, body in writes:
        if body and entity_of(unquote(path)) == "Catalog_Контрагенты":
            data = json.loads(body)
            if "Партнер_Key" in data and "Ref_Key" in data:
                out.setdefault(str(data["Партнер_Key"]), str(data["Ref_Key"]))
    return out


async def baseline(url: str, writes: list[tuple[str, str, bytes]], concurrency: int) -> tuple[float, int, float]:
    """Replay the recorded writes bare: one lane per client, `concurrency` lanes at a time.
    Returns the seconds, the error answers and the CPU seconds this process spent (httpx alone:
    the HTTP client's floor for the same requests)."""
    lanes: dict[str, list[tuple[str, str, bytes]]] = defaultdict(list)
    partners = partner_owners(writes)
    for w in writes:
        lanes[lane_of(w[1], w[2], partners)].append(w)
    origin = httpx.URL(url).copy_with(path="/", query=None)
    errors = 0
    sem = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(base_url=str(origin), timeout=60,
                                 headers={"Accept": "application/json"}) as http:
        async def run(lane: list[tuple[str, str, bytes]]) -> None:
            nonlocal errors
            async with sem:
                for method, path, body in lane:
                    r = await http.request(method, path, content=body or None,
                                           headers={"Content-Type": "application/json; charset=utf-8"})
                    errors += r.status_code >= 400
        started, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(run(lane) for lane in lanes.values()))
        return time.perf_counter() - started, errors, time.process_time() - cpu


async def one_config(folder: Path, concurrency: int, args: argparse.Namespace) -> dict[str, Any]:
    proc, url = start_sandbox(folder, f"crm-{concurrency}", args.config)
    base_proc, base_url = start_sandbox(folder, f"bare-{concurrency}", args.config)
    out: dict[str, Any] = {"concurrency": concurrency}
    try:
        clock = SimClock()
        store = Store.open(folder / f"crm-{concurrency}.duckdb", clock=clock)
        profile = load_profile(args.config)
        rec = Recorder(client_entities(profile))
        client = ODataClient(url, transport=rec, timeout=60)
        if args.duckdb_threads:
            store.db.cursor().execute(f"SET threads = {int(args.duckdb_threads)}")
        statements = Statements(store)
        service = SyncService(store, client, profile=profile, **push_kw(concurrency))
        assert await service.pull_now(full=True) is not None, service.last_error
        existing = sorted(store.counterparty_ids())
        rec.existing = frozenset(e.lower() for e in existing)
        n, new = queue_batch(store, args.invoices, args.lines, existing, f"{concurrency}a")
        lag = {"latency_ms": args.latency_ms} if args.latency_ms else {}
        if lag:
            async with httpx.AsyncClient(timeout=10) as http:
                await set_faults(http, url, **lag)
                await set_faults(http, base_url, **lag)
        rec.record = rec.keep_writes = True
        commits = _commits(service)
        prof = wprof = None
        if args.profile:
            import cProfile

            # the event loop's profile, and the writer thread's (store work) in FILE.writer: a
            # profiler enabled on that thread stays on for every later job of its one-thread pool.
            # Both count the thread's CPU time, not wall time: on a busy box a wall-time profile
            # shows GIL waits as the cost of whatever was waiting (store calls looked ~2x dearer).
            prof, wprof = cProfile.Profile(time.thread_time), cProfile.Profile(time.thread_time)
            await service.writer.run(wprof.enable)
            prof.enable()
        stmts, sandbox_cpu = statements.n, proc_cpu(proc.pid)
        d = await drain(service, clock)
        stmts, sandbox_cpu = statements.n - stmts, proc_cpu(proc.pid) - sandbox_cpu
        seconds, requests, failed, cpu = d.seconds, d.requests, d.failed, d.cpu
        if prof is not None and wprof is not None:
            prof.disable()
            await service.writer.run(wprof.disable)
            prof.dump_stats(args.profile)
            wprof.dump_stats(args.profile + ".writer")
        rec.keep_writes = False
        commits = _commits(service) - commits
        out.update(n=n, new=new, seconds=seconds, requests=requests, failed=failed, counts=dict(rec.counts),
                   commits=commits, cpu=cpu, loop_cpu=d.loop_cpu, writer_cpu=d.writer_cpu, stmts=stmts,
                   sandbox_cpu=sandbox_cpu, stmt_floor=statement_floor(store))
        out["by_entity"] = dict(rec.by_entity)
        rec.clear()
        print(f"[c={concurrency}] push: {n} invoices ({new} new clients) in {seconds:.2f} s = "
              f"{n / seconds:.1f} invoices/s; {requests} requests, {failed} failed, {commits} store commits, "
              f"CRM CPU {cpu:.2f} s ({cpu / n * 1000:.1f} ms an invoice: event loop {d.loop_cpu / n * 1000:.1f}, "
              f"store writer {d.writer_cpu / n * 1000:.1f}, "
              f"the rest {(cpu - d.loop_cpu - d.writer_cpu) / n * 1000:.1f})",
              flush=True)
        writes = list(rec.writes)
        if args.push_only:
            await service.aclose()
            store.close()
            return out

        async with httpx.AsyncClient(timeout=10) as http:
            await set_faults(http, url, error_rate=args.error_rate, seed=7, **lag)
            n2, _ = queue_batch(store, args.invoices, args.lines, existing, f"{concurrency}b")
            d2 = await drain(service, clock)
            s2, r2 = d2.seconds, d2.requests
            await set_faults(http, url, **lag)
        out.update(f_seconds=s2, f_requests=r2, f_failed=d2.failed, f_counts=dict(rec.counts))
        rec.clear()
        print(f"[c={concurrency}] push with {args.error_rate:.0%} 5xx: {n2} invoices in {s2:.2f} s = "
              f"{n2 / s2:.1f} invoices/s; {r2} requests", flush=True)

        b_seconds, b_errors, b_cpu = await baseline(base_url, writes, concurrency)
        out.update(b_seconds=b_seconds, b_requests=len(writes), b_errors=b_errors, b_cpu=b_cpu)
        print(f"[c={concurrency}] baseline: the same {len(writes)} writes bare in {b_seconds:.2f} s = "
              f"{n / b_seconds:.1f} invoices/s ({b_errors} error answers)", flush=True)
        await service.aclose()
        store.close()
    finally:
        for p in (proc, base_proc):
            p.terminate()
            p.wait(10)
    return out


def _commits(service: SyncService) -> int:
    """Transactions the push's group writer committed so far (0 for a build without one)."""
    writer = service.pusher.writer
    return writer.commits if isinstance(writer, GroupWriter) else 0


def push_kw(concurrency: int) -> dict[str, Any]:
    """SyncService keywords for a push concurrency (none before the setting existed)."""
    import inspect

    if "push_concurrency" in inspect.signature(SyncService.__init__).parameters:
        return {"push_concurrency": concurrency}
    if concurrency != 1:
        raise SystemExit("this build has no push concurrency setting")
    return {}


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", choices=BUNDLED, default="ka1",
                    help="the 1C configuration the sandboxes speak and the CRM's profile for it (default ka1)")
    ap.add_argument("--invoices", type=int, default=1000)
    ap.add_argument("--lines", type=int, default=10)
    ap.add_argument("--concurrency", type=int, nargs="+", default=[1, 4])
    ap.add_argument("--error-rate", type=float, default=0.05)
    ap.add_argument("--profile", default=None,
                    help="write a cProfile (thread CPU time) of the fault-free push here "
                         "(event loop; the writer thread: FILE.writer)")
    ap.add_argument("--latency-ms", type=int, default=0,
                    help="both sandboxes answer every request this much later (a real 1C's write takes tens of ms)")
    ap.add_argument("--duckdb-threads", type=int, default=0,
                    help="DuckDB worker threads on the CRM's store (default: DuckDB's own, one per core)")
    ap.add_argument("--code", default=None, help="measure the code of this checkout instead (read at import)")
    ap.add_argument("--push-only", action="store_true",
                    help="only the fault-free push (its line per concurrency): no 5 %% 5xx batch, no bare replay, "
                         "no table — for before/after pairs on a busy box, where each run must be short")
    args = ap.parse_args()
    print(f"code: {CODE} ({_head(CODE)}); load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}",
          flush=True)
    folder = Path(tempfile.mkdtemp(prefix="tui-crm-bench-push-"))
    try:
        rows = [await one_config(folder, c, args) for c in args.concurrency]
    finally:
        shutil.rmtree(folder, ignore_errors=True)   # two stores and four sandbox files a lane count
    if args.push_only:
        return
    print()
    print(f"{args.config}: {args.invoices} invoices × {args.lines} lines, half with a new client (phone, e-mail, "
          "address); "
          f"sandbox latency {args.latency_ms} ms; "
          f"DuckDB threads {args.duckdb_threads or 'default'}; "
          f"code {_head(CODE)}; load average now {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'concurrency':>11} {'inv/s':>7} {'req/inv':>8} {'req/new client':>15} {'commits/inv':>12} "
          f"{'inv/s 5xx':>10} {'req/inv 5xx':>12} {'req/client 5xx':>15} {'bare inv/s':>11} {'CRM/bare':>9} "
          f"{'CPU ms/inv':>11}")
    for r in rows:
        c, f = r["counts"], r["f_counts"]
        print(f"{r['concurrency']:>11} {r['n'] / r['seconds']:>7.1f} {c.get('invoice', 0) / r['n']:>8.2f} "
              f"{c.get('client', 0) / r['new']:>15.2f} {r['commits'] / r['n']:>12.2f} "
              f"{r['n'] / r['f_seconds']:>10.1f} "
              f"{f.get('invoice', 0) / r['n']:>12.2f} {f.get('client', 0) / r['new']:>15.2f} "
              f"{r['n'] / r['b_seconds']:>11.1f} {r['seconds'] / r['b_seconds']:>8.2f}× "
              f"{r['cpu'] / r['n'] * 1000:>11.1f}")
    print("\nWhere the fault-free push's CPU goes, and its floor (the CRM's Python runs one thread at a time: "
          "the GIL):")
    for r in rows:
        n = r["n"]
        per = {k: r[k] / n * 1000 for k in ("cpu", "loop_cpu", "writer_cpu", "b_cpu", "sandbox_cpu")}
        stmts, floor_ms = r["stmts"] / n, r["stmt_floor"] * 1000
        lower = per["b_cpu"] + stmts * floor_ms
        print(f"  c={r['concurrency']}: the CRM used {r['cpu'] / r['seconds']:.2f} cores while pushing (event loop "
              f"{r['loop_cpu'] / r['seconds']:.2f}, store writer {r['writer_cpu'] / r['seconds']:.2f}); "
              f"the sandbox {r['sandbox_cpu'] / r['seconds']:.2f} ({per['sandbox_cpu']:.1f} ms an invoice)")
        print(f"        CRM CPU {per['cpu']:.1f} ms an invoice = {1000 / per['cpu']:.1f} invoices/s on one core "
              f"(measured {n / r['seconds']:.1f}); floor {lower:.1f} ms = {1000 / lower:.1f}/s: the HTTP client "
              f"alone {per['b_cpu']:.1f} ms (httpx sending the same requests bare) + {stmts:.1f} store statements "
              f"× {floor_ms:.2f} ms (`SELECT 1`, the cheapest; BEGIN and COMMIT counted)")
    for r in rows:
        print(f"\nconcurrency {r['concurrency']}, the fault-free push's requests by entity set "
              f"({r['n']} invoices, {r['new']} new clients):")
        for (kind, method, entity), count in sorted(r["by_entity"].items(), key=lambda kv: kv[0][::-1]):
            print(f"  {kind:>7} {method:<6} {entity:<55} {count:>6}  "
                  f"{count / r['n']:>6.2f}/invoice {count / r['new']:>6.2f}/new client")


def _head(folder: Path) -> str:
    """The commit a checkout is at (for the record), or '?'."""
    try:
        return subprocess.run(["git", "-C", str(folder), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"


if __name__ == "__main__":
    asyncio.run(main())
