"""Many operators on one 1C (issue 13): 1, 10 and 50 CRM sync engines idling against one sandbox.

Each engine is the real `tui_crm.sync` engine an operator's `tui-crm` runs: its own DuckDB store
(pulled once, before the window), its own `ODataClient` (its own connection pool, as separate
machines would have) and its own APScheduler with the pull, push and live jobs
(`tui_crm.sync.scheduler.create_scheduler`, the config's `sync.pull_seconds` / `live_seconds`).
"Idle" means what an operator's CRM does while nobody types: the pull cycle every
``--pull-seconds`` (nothing changes in accounting, so it is the idle cycle: probes, documents),
the push job (no request while the outbox is empty) and, with ``--watch N`` > 0, the live job
refreshing the N rows a picker has on screen every ``--live-seconds``. Both modes are measured:
``--watch 0`` (every operator on a screen without live rows) and ``--watch 20`` (every operator
with a picker open), the default runs both.

The sandbox runs as a separate process (`python -m onec_sandbox serve`). Engines run in
``--workers`` worker processes (default 2: the machine has two cores, and the sandbox needs one),
each driving its share of engines on one asyncio event loop — the engine is asyncio code, so one
loop holding many engines is how it is meant to run: every engine has its own locks, store, writer
thread (DuckDB releases the GIL) and scheduler, nothing is shared between engines but the loop.
A thread per engine would only add GIL hand-offs; 50 processes would not fit in 2 cores.

Answer times, two of each: the **sandbox's own** time per answer, from the standard
`Server-Timing: app;dur=…` header it sets (request reached the app → headers sent), and the
**client's** wall time: each engine's httpx transport is wrapped, from the moment a request is
handed to it until the body has been read. The client time also holds waiting in the sandbox's
queue and the worker loop's own delays (25 engines on one loop, on a box shared with other work),
so the gap between the two says where time went. The sandbox's CPU use over the window is read
from /proc (its utime + stime).

Every engine's first pull cycle in the window is offset at random within one pull period
(operators do not all start in the same second; the push and live jobs start with the window);
the window opens after every engine has pulled once and settled.

Usage: python bench/operators.py [--engines 1 10 50] [--window 60] [--watch 0 20]
                                 [--products 2000] [--warehouses 3] [--pull-seconds 60]
                                 [--live-seconds 3] [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tui_crm.store import Store
from tui_crm.sync.odata import ODataClient
from tui_crm.sync.scheduler import create_scheduler
from tui_crm.sync.service import SyncService

# -- worker side ---------------------------------------------------------------------------------
Sample = tuple[float, float, float, int, str]  # wall start, client s, sandbox s, status, entity


class TimedTransport(httpx.AsyncBaseTransport):
    """Notes (wall-clock start, seconds to the last body byte, the sandbox's own seconds from its
    `Server-Timing` header, status, entity) of every request."""

    def __init__(self, log: list[Sample]) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.log = log

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        wall, started = time.time(), time.perf_counter()
        response = await self.inner.handle_async_request(request)
        body = await response.aread()  # the answer ends with its last byte, not its headers
        took = time.perf_counter() - started
        entity = unquote(request.url.path).split("standard.odata/")[-1].split("(")[0].split("/")[0]
        server = float(response.headers.get("server-timing", "app;dur=nan").partition(";dur=")[2]) / 1000
        self.log.append((wall, took, server, response.status_code, entity))
        return httpx.Response(response.status_code, headers=response.headers, content=body,
                              extensions=response.extensions)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def run_worker(args: argparse.Namespace) -> None:
    log: list[Sample] = []
    services: list[SyncService] = []
    rng = random.Random(args.seed)
    for path in args.stores:
        store = Store.open(Path(path))
        client = ODataClient(args.url, transport=TimedTransport(log), timeout=120)
        services.append(SyncService(store, client))
    # Pull once (the first cycle reads the mirror into an empty store) and settle (a second cycle:
    # what an engine does from then on when nothing changes); all engines of this worker at once.
    for _ in range(2):
        results = await asyncio.gather(*(s.pull_now() for s in services))
        failed = [s.last_error for s, r in zip(services, results, strict=True) if r is None]
        if failed:
            raise SystemExit(f"worker: a pull failed: {failed[0]}")
    if args.watch:
        for s in services:  # a picker open on the first warehouse, its first rows on screen
            wh, pt = s.store.warehouses()[0].id, s.store.price_types()[0].id
            rows = s.store.picker_search(wh, pt, "", limit=args.watch)
            s.watch_products(wh, pt, [r.product_id for r in rows])
    print("ready", flush=True)
    line = sys.stdin.readline().split()
    if not line or line[0] != "go":
        return
    opens, closes = float(line[1]), float(line[1]) + args.window
    schedulers = []
    for s in services:
        # push and live jobs from the window's start (with a little jitter, as separate machines
        # would have); the pull job at a random point of its first period
        first = max(0.0, opens - time.time()) + rng.uniform(0, min(1.0, args.live_seconds))
        sch = create_scheduler(s, pull_seconds=args.pull_seconds, live_seconds=args.live_seconds,
                               first_run_in=first)
        # APScheduler compares run times with its own wall clock (local, naive), as the app does
        sch.modify_job("pull", next_run_time=datetime.fromtimestamp(opens + rng.uniform(0, args.pull_seconds)))
        sch.start()
        schedulers.append(sch)
    await asyncio.sleep(max(0.0, closes - time.time()))
    for sch in schedulers:
        sch.shutdown(wait=False)
    await asyncio.sleep(0.5)  # let a request in flight finish (it is counted by its start)
    for s in services:
        await s.aclose()
        s.store.close()
    inside = [sample for sample in log if opens <= sample[0] < closes]
    print(json.dumps({"requests": inside}), flush=True)


# -- parent side ---------------------------------------------------------------------------------
def start_sandbox(folder: Path, products: int, warehouses: int) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "onec_sandbox", "serve", "--data", str(folder / "sandbox.sqlite"),
         "--products", str(products), "--warehouses", str(warehouses), "--seed", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
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


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Phase:
    engines: int
    watch: int
    requests: list[Sample] = field(default_factory=list)
    sandbox_cpu: float = 0.0
    setup_s: float = 0.0


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(q * (len(s) - 1)))] if s else float("nan")


def run_phase(args: argparse.Namespace, url: str, sandbox_pid: int, folder: Path, n: int, watch: int) -> Phase:
    phase = Phase(n, watch)
    stores = [str(folder / f"operator-{i:02d}.duckdb") for i in range(n)]
    k = max(1, min(args.workers, n))
    t = time.perf_counter()
    workers = []
    for w in range(k):
        cmd = [sys.executable, __file__, "--worker", "--url", url, "--window", str(args.window),
               "--pull-seconds", str(args.pull_seconds), "--live-seconds", str(args.live_seconds),
               "--watch", str(watch), "--seed", str(1000 * n + w), "--stores", *stores[w::k]]
        workers.append(subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                        env={**os.environ, "PYTHONIOENCODING": "utf-8"}))
    for p in workers:
        assert p.stdout is not None
        if p.stdout.readline().strip() != "ready":
            raise RuntimeError("a worker failed before the window (see its stderr above)")
    phase.setup_s = time.perf_counter() - t
    opens = time.time() + 1.0
    for p in workers:
        assert p.stdin is not None
        p.stdin.write(f"go {opens}\n")
        p.stdin.flush()
    time.sleep(max(0.0, opens - time.time()))
    cpu0 = cpu_seconds(sandbox_pid)
    time.sleep(args.window)
    phase.sandbox_cpu = cpu_seconds(sandbox_pid) - cpu0
    for p in workers:
        out, _ = p.communicate(timeout=120)
        phase.requests += [tuple(r) for r in json.loads(out.strip().splitlines()[-1])["requests"]]  # type: ignore[misc]
        if p.returncode:
            raise RuntimeError(f"a worker exited with {p.returncode}")
    return phase


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--engines", type=int, nargs="+", default=[1, 10, 50])
    ap.add_argument("--window", type=float, default=60.0, help="seconds counted per phase (default 60)")
    ap.add_argument("--watch", type=int, nargs="+", default=[0, 20],
                    help="rows each operator has on screen in a picker (0: none; default: both 0 and 20)")
    ap.add_argument("--products", type=int, default=2000)
    ap.add_argument("--warehouses", type=int, default=3)
    ap.add_argument("--pull-seconds", type=float, default=60.0, help="sync.pull_seconds (default 60, the config's)")
    ap.add_argument("--live-seconds", type=float, default=3.0, help="sync.live_seconds (default 3, the config's)")
    ap.add_argument("--workers", type=int, default=2, help="processes the engines are spread over")
    # worker mode (started by this script)
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--url", help=argparse.SUPPRESS)
    ap.add_argument("--stores", nargs="*", default=[], help=argparse.SUPPRESS)
    ap.add_argument("--seed", type=int, default=1, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        args.watch = args.watch[0]
        asyncio.run(run_worker(args))
        return

    folder = Path(tempfile.mkdtemp(prefix="tui-crm-operators-"))
    proc, url = start_sandbox(folder, args.products, args.warehouses)
    print(f"sandbox (pid {proc.pid}): {args.products} products × {args.warehouses} warehouses at {url}")
    print(f"window {args.window:g} s per phase; pull every {args.pull_seconds:g} s, live every "
          f"{args.live_seconds:g} s; engines over {args.workers} worker processes")
    phases: list[Phase] = []
    try:
        for watch in args.watch:
            for n in args.engines:
                ph = run_phase(args, url, proc.pid, folder, n, watch)
                phases.append(ph)
                print(f"  {n:>3} engines, {watch:>2} rows watched: set-up {ph.setup_s:5.1f} s, "
                      f"{len(ph.requests)} requests in the window, sandbox p95 "
                      f"{pct([r[2] * 1000 for r in ph.requests], 0.95):.1f} ms, client p95 "
                      f"{pct([r[1] * 1000 for r in ph.requests], 0.95):.1f} ms", flush=True)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()

    print()
    print("| rows watched | engines | requests/min to 1C | per engine | × 1 engine | sandbox p50 | sandbox p95 "
          "| p95 × 1 engine | client p50 | client p95 | client max | errors | sandbox CPU |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for watch in args.watch:
        group = [p for p in phases if p.watch == watch]
        base = group[0]
        base_rpm = len(base.requests) * 60 / args.window
        base_p95 = pct([r[2] * 1000 for r in base.requests], 0.95)
        for ph in group:
            client = [r[1] * 1000 for r in ph.requests]
            server = [r[2] * 1000 for r in ph.requests]
            rpm = len(ph.requests) * 60 / args.window
            errors = sum(1 for r in ph.requests if r[3] >= 400)
            print(f"| {watch} | {ph.engines} | {rpm:.0f} | {rpm / ph.engines:.1f} | "
                  f"{rpm / base_rpm if base_rpm else float('nan'):.1f}× | "
                  f"{statistics.median(server) if server else 0:.1f} ms | {pct(server, 0.95):.1f} ms | "
                  f"{pct(server, 0.95) / base_p95 if base_p95 else float('nan'):.2f}× | "
                  f"{statistics.median(client) if client else 0:.1f} ms | {pct(client, 0.95):.1f} ms | "
                  f"{max(client, default=0):.1f} ms | {errors} | {100 * ph.sandbox_cpu / args.window:.0f} % |")
    print()
    print("sandbox = its own time per answer (Server-Timing header); client = wall time at the engine, "
          "queueing and the worker's own delays included")
    print("requests per engine in the last phase, by entity:")
    last = phases[-1]
    counts: dict[str, int] = {}
    for r in last.requests:
        counts[r[4]] = counts.get(r[4], 0) + 1
    for entity, c in sorted(counts.items(), key=lambda kv: -kv[1]):
        print(f"  {c / last.engines * 60 / args.window:6.1f}/min  {entity}")


if __name__ == "__main__":
    main()
