"""Live rows on an open picker: change in accounting → painted, and what it costs 1C (issue 13).

A 100k-product КА 1.1 sandbox is served by a SEPARATE process (`python -m onec_sandbox serve`).
The CRM store is filled by the real pull from it. A headless `CrmApp` (`App.run_test`) has an
invoice open with the product picker over it (empty search: the first rows of the warehouse).
A second child process, the **clerk** (`bench/live.py --clerk URL`, the sandbox's own clerk
commands over OData), changes prices and stock at random times (exponential gaps), half of them
on rows the picker shows, half on products far off screen.

A sample runs from the moment the clerk's posting returned (CLOCK_MONOTONIC is system-wide, so
the two processes' clocks agree) until the first frame composed by the app after the picker's
data for that product holds the new figure (the table was painted in that frame). Off-screen
changes are never painted; they are there so that a job asking for the whole catalog would
show up in the requests.

Phases, each measured in this one run on the same store and sandbox:

* ``pull`` — the baseline: live job off, the pull every ``--pull-seconds`` re-reading the mirror
  each cycle (the best a pull alone can do; by default the mirror is re-read only every 30 min);
* ``before`` — the live job as it was: every 3 s, watching all the picker's rows (50, of which
  about 20 are on screen);
* ``live`` — the live job as configured now (``sync.live_seconds`` default), watching the rows
  the picker shows.

Not a test: prints figures. Run:
  .venv/bin/python bench/live.py [--products 100000] [--warehouses 3] [--seconds 40]
                                 [--phases pull before live] [--every 1.0] [--pull-seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

CACHE = Path(tempfile.gettempdir()) / "tui-crm-bench-live"


# -- the clerk child -------------------------------------------------------------------------
def clerk_main(url: str) -> None:
    """Read one JSON command a line, carry it out with the sandbox's clerk, answer with the
    monotonic time at which the posting returned."""
    from onec_sandbox.clerk import OData
    from onec_sandbox.configs import configuration

    ops = configuration("ka1").clerk
    od = OData(url)
    out = sys.stdout
    for line in sys.stdin:
        cmd = json.loads(line)
        with contextlib.redirect_stdout(io.StringIO()):
            if cmd["kind"] == "price":
                ns = argparse.Namespace(code=cmd["code"], type=cmd["type"], price=cmd["value"], config="ka1")
                rc = ops.price(od, ns)
            else:
                ns = argparse.Namespace(code=cmd["code"], warehouse=cmd["warehouse"], qty=cmd["value"], config="ka1")
                rc = ops.receive(od, ns)
        out.write(json.dumps({"rc": rc, "at": time.monotonic()}) + "\n")
        out.flush()


# -- the sandbox child -----------------------------------------------------------------------
def start_sandbox(products: int, warehouses: int, folder: Path) -> tuple[subprocess.Popen[str], str]:
    CACHE.mkdir(parents=True, exist_ok=True)
    pristine = CACHE / f"sandbox-{products}x{warehouses}.sqlite"
    if not pristine.exists():
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "onec_sandbox", "seed", "--data", str(pristine), "--products",
                        str(products), "--warehouses", str(warehouses), "--seed", "1"], check=True,
                       stdout=subprocess.DEVNULL)
        print(f"seeded the sandbox in {time.perf_counter() - t:.1f} s (cached in {pristine})", flush=True)
    data = folder / "sandbox.sqlite"
    shutil.copy(pristine, data)
    proc = subprocess.Popen(
        [sys.executable, "-m", "onec_sandbox", "serve", "--data", str(data), "--products", str(products),
         "--warehouses", str(warehouses), "--seed", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    assert proc.stdout is not None
    while True:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError("the sandbox did not start")
        m = re.search(r"(https?://\S+/odata/standard\.odata/)", line)
        if m:
            return proc, m.group(1)


# -- measuring -------------------------------------------------------------------------------
@dataclass
class Change:
    product_id: str
    kind: str               # "price" | "stock"
    expected: Decimal       # the price, or the free stock, the row must show
    at: float               # monotonic time the posting returned
    painted: float | None = None
    emitted: float | None = None   # the engine's event (live rows written / pull finished) after it


@dataclass
class Phase:
    name: str
    seconds: float = 0.0
    requests: int = 0
    live_requests: int = 0
    on_screen: list[Change] = field(default_factory=list)
    off_screen: int = 0
    watched: int = 0
    ticks: list[float] = field(default_factory=list)

    def split(self) -> tuple[float, float]:
        """Median seconds change → engine event, and engine event → painted."""
        done = [c for c in self.on_screen if c.painted is not None and c.emitted is not None]
        if not done:
            return float("nan"), float("nan")
        return (statistics.median(c.emitted - c.at for c in done),   # type: ignore[operator]
                statistics.median(c.painted - c.emitted for c in done))  # type: ignore[operator]

    def latencies(self) -> list[float]:
        return sorted((c.painted - c.at) if c.painted is not None else float("inf") for c in self.on_screen)


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def fmt(s: float) -> str:
    return "never" if s == float("inf") else f"{s:.2f} s"


class Clerk:
    def __init__(self, url: str) -> None:
        self.url = url
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, __file__, "--clerk", self.url,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)

    async def do(self, **cmd: str) -> float:
        assert self.proc is not None and self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write((json.dumps(cmd) + "\n").encode())
        await self.proc.stdin.drain()
        answer = json.loads(await self.proc.stdout.readline())
        if answer["rc"] != 0:
            raise RuntimeError(f"clerk failed: {cmd}")
        return float(answer["at"])

    async def stop(self) -> None:
        if self.proc is not None and self.proc.stdin is not None:
            self.proc.stdin.close()
            await self.proc.wait()


async def run_phase(name: str, args: argparse.Namespace, store, url: str, clerk: Clerk,
                    off_codes: list[str], rng: random.Random) -> Phase:
    from textual.widgets import DataTable

    from tui_crm.app import CrmApp
    from tui_crm.config import AccountingSettings, SyncSettings
    from tui_crm.screens.invoice import InvoiceScreen
    from tui_crm.screens.picker import PickerScreen
    from tui_crm.sync.events import LiveRowsUpdated, PullFinished
    from tui_crm.sync.service import SyncService

    service = SyncService.from_settings(store, AccountingSettings(url=url, timeout=60, page_size=args.page_size))
    ticks: list[float] = []
    live_tick = service.live_tick

    async def timed_tick(*, rows: bool = True, orders: bool = True) -> None:
        t = time.perf_counter()
        before = service.client.stats.requests
        await live_tick(rows=rows, orders=orders)
        if service.client.stats.requests != before:
            ticks.append(time.perf_counter() - t)

    service.live_tick = timed_tick  # type: ignore[method-assign]

    def note(event: object) -> None:
        if isinstance(event, LiveRowsUpdated | PullFinished):
            now = time.monotonic()
            for change in pending:
                if change.emitted is None and (isinstance(event, PullFinished)
                                               or change.product_id in event.product_ids):
                    change.emitted = now

    service.subscribe(note)
    live_seconds = {"pull": 1e9, "before": 3.0, "live": SyncSettings().live_seconds}[name]
    pull_seconds = args.pull_seconds if name == "pull" else SyncSettings().pull_seconds
    if name == "pull":
        service.mirror_max_age = timedelta(0)   # every pull cycle re-reads prices and stock
    app = CrmApp(store, service, pull_seconds=pull_seconds, live_seconds=live_seconds, language="en",
                 live_clock=False)
    phase = Phase(name)
    pending: list[Change] = []

    async def until(cond, seconds: float = 60.0) -> None:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + seconds
        while not cond():
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name}: timed out")
            await asyncio.sleep(0.05)

    async with app.run_test(size=(args.width, args.height)) as pilot:
        app.new_invoice(None)
        await until(lambda: isinstance(app.screen, InvoiceScreen) and app.screen.invoice.warehouse_id)
        invoice = app.screen
        assert isinstance(invoice, InvoiceScreen)
        await pilot.press("a")
        await until(lambda: isinstance(app.screen, PickerScreen))
        picker = app.screen
        assert isinstance(picker, PickerScreen)
        table = picker.query_one("#picker-table", DataTable)
        await until(lambda: table.row_count > 0 and picker.shown_text == "")
        await pilot.pause(0.3)
        if name == "before":
            # The picker as it was: every row of the answer watched, not only those on screen.
            app.watch_products(phase, picker.warehouse_id, picker.price_type_id, list(picker._order))

        # Painted: a frame composed after the picker's data for the product holds the new figure
        # (and the table was painted in that frame).
        painting = [False]
        render_lines = table.render_lines
        display = app._display

        def watched_render_lines(crop):  # type: ignore[no-untyped-def]
            painting[0] = True
            return render_lines(crop)

        def watched_display(screen, renderable):  # type: ignore[no-untyped-def]
            display(screen, renderable)
            if renderable is not None:
                renderable.render_segments(app.console)
            if painting[0]:
                painting[0] = False
                now = time.monotonic()
                for change in list(pending):
                    row = picker._rows.get(change.product_id)
                    if row is None:
                        continue
                    shown = row.price if change.kind == "price" else row.free_stock
                    if shown == change.expected:
                        change.painted = now
                        pending.remove(change)

        table.render_lines = watched_render_lines  # type: ignore[method-assign]
        app._display = watched_display  # type: ignore[method-assign]

        wh = {w.id: w.name for w in store.warehouses()}[picker.warehouse_id]
        pt = {p.id: p.name for p in store.price_types()}[picker.price_type_id]
        visible = max(1, table.size.height - 1)           # rows under the header
        live_before = service.live.requests
        requests_before = service.client.stats.requests
        started = time.monotonic()
        while time.monotonic() - started < args.seconds:
            await asyncio.sleep(rng.expovariate(1.0 / args.every))
            on_screen = rng.random() < 0.5
            kind = rng.choice(["price", "stock"])
            if on_screen:
                busy = {c.product_id for c in pending}   # one change at a time per product
                choices = [pid for pid in picker._order[:visible] if pid not in busy]
                if not choices:
                    continue
                pid = rng.choice(choices)
                row = picker._rows[pid]
                if kind == "price":
                    step = Decimal(rng.randint(1, 9999)) / 100
                    value = ((row.price or Decimal(100)) + step).quantize(Decimal("0.01"))
                    expected = value
                else:
                    value = Decimal(rng.randint(1, 9))
                    expected = row.free_stock + value
                at = await clerk.do(kind=kind, code=row.code, type=pt, warehouse=wh, value=str(value))
                change = Change(pid, kind, expected, at)
                phase.on_screen.append(change)
                pending.append(change)
            else:
                code = rng.choice(off_codes)
                value = Decimal(rng.randint(100, 99999)) / 100 if kind == "price" else Decimal(rng.randint(1, 9))
                await clerk.do(kind=kind, code=code, type=pt, warehouse=wh, value=str(value))
                phase.off_screen += 1
        phase.seconds = time.monotonic() - started
        phase.requests = service.client.stats.requests - requests_before
        phase.live_requests = service.live.requests - live_before
        phase.watched = len(service.watched[0])
        phase.ticks = ticks
        grace = args.grace if name != "pull" else max(args.grace, 3 * args.pull_seconds + 30)
        deadline = time.monotonic() + grace
        while pending and time.monotonic() < deadline:  # noqa: ASYNC110 - polls what frames set
            await asyncio.sleep(0.1)
        table.render_lines = render_lines  # type: ignore[method-assign]
        app._display = display  # type: ignore[method-assign]
        app.exit()
    return phase


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--products", type=int, default=100_000)
    ap.add_argument("--warehouses", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=40.0, help="length of each phase (changes are made meanwhile)")
    ap.add_argument("--phases", nargs="+", default=["pull", "before", "live"], choices=["pull", "before", "live"])
    ap.add_argument("--every", type=float, default=1.0, help="mean seconds between two changes")
    ap.add_argument("--pull-seconds", type=float, default=10.0, help="pull interval of the pull-only phase")
    ap.add_argument("--grace", type=float, default=10.0, help="seconds to wait for the last changes to paint")
    ap.add_argument("--width", type=int, default=80)
    ap.add_argument("--height", type=int, default=24)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--page-size", type=int, default=5000, help="accounting.page_size of the CRM (as bench/sync.py)")
    args = ap.parse_args()

    from tui_crm.runtime import tune_for_terminal

    tune_for_terminal()
    from tui_crm.store import Store
    from tui_crm.sync.odata import ODataClient
    from tui_crm.sync.pull import pull_mirror

    folder = Path(tempfile.mkdtemp(prefix="tui-crm-bench-live-"))
    proc, url = start_sandbox(args.products, args.warehouses, folder)
    clerk = Clerk(url)
    try:
        store = Store.open(folder / "crm.duckdb")
        t = time.perf_counter()
        client = ODataClient(url, timeout=600, page_size=args.page_size)
        await pull_mirror(client, store)
        await client.aclose()
        print(f"store filled by the pull: {store.mirror_counts()['products']} products, "
              f"{time.perf_counter() - t:.1f} s", flush=True)
        off_codes = [str(r[0]) for r in store.db.cursor().execute(
            "SELECT code FROM products ORDER BY hash(id) LIMIT 2000 OFFSET 1000").fetchall()]
        await clerk.start()
        rng = random.Random(args.seed)
        phases = []
        for name in args.phases:
            phase = await run_phase(name, args, store, url, clerk, off_codes, rng)
            lat = phase.latencies()
            painted = sum(1 for x in lat if x != float("inf"))
            print(f"{name:>6}: {len(lat)} changes on screen ({painted} painted), {phase.off_screen} off screen, "
                  f"p50 {fmt(pct(lat, 0.5))}, p95 {fmt(pct(lat, 0.95))}, "
                  f"{phase.requests * 60 / phase.seconds:.0f} requests/min to 1C "
                  f"(live job {phase.live_requests * 60 / phase.seconds:.0f}), {phase.watched} rows watched; "
                  f"median change→event {phase.split()[0]:.2f} s, event→painted {phase.split()[1] * 1000:.0f} ms, "
                  f"live tick median {statistics.median(phase.ticks) * 1000 if phase.ticks else float('nan'):.0f} ms",
                  flush=True)
            phases.append(phase)
        store.close()
    finally:
        await clerk.stop()
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(folder, ignore_errors=True)

    print()
    print("| phase | changes on screen | painted | p50 | p95 | max | requests/min | of which live | rows watched |"
          "\n|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    base = phases[0].latencies() if phases else []
    for phase in phases:
        lat = phase.latencies()
        painted = sum(1 for x in lat if x != float("inf"))
        print(f"| {phase.name} | {len(lat)} | {painted} | {fmt(pct(lat, 0.5))} | {fmt(pct(lat, 0.95))} | "
              f"{fmt(lat[-1]) if lat else '-'} | {phase.requests * 60 / phase.seconds:.0f} | "
              f"{phase.live_requests * 60 / phase.seconds:.0f} | {phase.watched} |")
    if phases and base:
        b50 = statistics.median(base)
        for phase in phases[1:]:
            lat = phase.latencies()
            if lat and b50 != float("inf"):
                print(f"{phase.name}: p50 {b50 / statistics.median(lat):.1f}× faster than {phases[0].name}")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--clerk":
        clerk_main(sys.argv[2])
    else:
        asyncio.run(main())
