"""Sync benchmark: first full pull of a big base into an empty store, and an idle cycle.

A sandbox with 100k products, 10 warehouses (≈1M stock rows before the seed's gaps) and 100k
prices per price type is served over loopback by a separate process (`tui-crm sandbox serve`), so
the server does not compete with the CRM for the GIL. Measured in the same run:

* baseline — the exact requests the pull makes (recorded on a warm-up pull), fetched with a
  bare httpx.AsyncClient: bytes only, no JSON parsing, no storing;
* full pull — `pull_mirror` into an empty DuckDB file: parse, validate, stage, MERGE, picker;
* idle cycle — `SyncService.pull_now()` when nothing changed: requests and seconds, with 0
  open orders and then with 5, 20 and 50 open orders pushed from the CRM.

Before/after in the same run: with ``--compare ROOT`` (another checkout, e.g. a worktree of
main) the full pull of that checkout's code runs too, against the same sandbox, each pull in its
own process into its own empty store; with ``--rounds N`` the bare baseline and the pulls
alternate N times, so every pull has a baseline from the same minute. Each pull's time is split
at the moment it starts saving: fetching (pages read, converted and staged while the next one
arrives) and the final transaction (MERGE + picker rebuild).

Usage: python bench/sync.py [--products 100000] [--warehouses 10] [--page-size 5000]
                            [--open-orders 5 20 50] [--compare ROOT] [--rounds 1]
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
from pathlib import Path

import httpx

# `--worker --root ROOT` pulls with that checkout's tui_crm
sys.path.insert(0, sys.argv[3] if len(sys.argv) > 3 and sys.argv[1:3] == ["--worker", "--root"]
                else str(Path(__file__).resolve().parents[1]))

from tui_crm.store import Store
from tui_crm.sync.odata import ODataClient
from tui_crm.sync.pull import pull_mirror
from tui_crm.sync.service import SyncService

HERE = Path(__file__).resolve().parents[1]


class Recorder(httpx.AsyncBaseTransport):
    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.urls: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.urls.append(str(request.url))
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def start_sandbox(products: int, warehouses: int, folder: Path) -> tuple[subprocess.Popen[str], str]:
    data = folder / "sandbox.sqlite"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui_crm.cli", "sandbox", "serve", "--data", str(data), "--products", str(products),
         "--warehouses", str(warehouses), "--seed", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    assert proc.stdout is not None
    started = time.perf_counter()
    while True:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError("sandbox did not start: " + (proc.stderr.read() if proc.stderr else ""))
        m = re.search(r"(https?://\S+/odata/standard\.odata/)", line)
        if m:
            print(f"sandbox up in {time.perf_counter() - started:.1f} s: {m.group(1)}", flush=True)
            return proc, m.group(1)


async def baseline(urls: list[str]) -> tuple[float, int]:
    async with httpx.AsyncClient(timeout=600, headers={"Accept": "application/json"}) as http:
        started = time.perf_counter()
        total = 0
        for u in urls:
            r = await http.get(u)
            total += len(r.content)
        return time.perf_counter() - started, total


async def idle_cycle(service: SyncService) -> tuple[int, float]:
    """Requests and seconds of one pull cycle when nothing changed in accounting."""
    before = service.client.stats.requests
    t = time.perf_counter()
    assert await service.pull_now() is not None, service.last_error
    return service.client.stats.requests - before, time.perf_counter() - t


async def open_orders(service: SyncService, n: int) -> None:
    """n more open orders of one new client, pushed to the sandbox like the TUI would."""
    from tests.sync.sandbox_kit import new_client, save_invoice

    if n <= 0:
        return
    client = new_client()
    service.store.save_client(client, queue=True)
    for _ in range(n):
        save_invoice(service.store, client.id, lines=1, qty="1")
    while service.store.outbox_items():
        result = await service.push_now()
        if result is None or result.failed or result.offline:
            raise RuntimeError(f"push failed: {result}")


async def one_pull(url: str, path: Path, page_size: int) -> dict[str, float]:
    """A full pull into an empty store; seconds in all and until it started saving."""
    store = Store.open(path)
    client = ODataClient(url, page_size=page_size, timeout=600)
    saving: list[float] = []

    def progress(label: str, _done: int, _total: int | None) -> None:
        if label == "saving":
            saving.append(time.perf_counter())

    t = time.perf_counter()
    result = await pull_mirror(client, store, progress=progress)
    end = time.perf_counter()
    await client.aclose()
    store.close()
    fetch = (saving[0] if saving else end) - t
    return {"seconds": end - t, "fetch": fetch, "save": end - t - fetch, "requests": result.requests,
            "rows": result.rows}


def run_worker(root: Path, url: str, path: Path, page_size: int) -> dict[str, float]:
    """One pull by the checkout at `root`, in a process of its own (same interpreter)."""
    done = subprocess.run([sys.executable, str(HERE / "bench" / "sync.py"), "--worker", "--root", str(root),
                           "--url", url, "--store", str(path), "--page-size", str(page_size)],
                          check=True, stdout=subprocess.PIPE, text=True, cwd=root)
    answer: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return answer


def worker(argv: list[str]) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", type=Path, required=True)
    ap.add_argument("--url", required=True)
    ap.add_argument("--store", type=Path, required=True)
    ap.add_argument("--page-size", type=int, default=5000)
    args = ap.parse_args(argv)
    print(json.dumps(asyncio.run(one_pull(args.url, args.store, args.page_size))), flush=True)


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--products", type=int, default=100_000)
    ap.add_argument("--warehouses", type=int, default=10)
    ap.add_argument("--page-size", type=int, default=5000)
    ap.add_argument("--open-orders", type=int, nargs="*", default=[5, 20, 50],
                    help="measure the idle cycle with this many open orders (cumulative)")
    ap.add_argument("--compare", type=Path, default=None, metavar="ROOT",
                    help="another checkout whose full pull is measured in the same run (before/after)")
    ap.add_argument("--rounds", type=int, default=1, help="baseline and pulls, alternating, this many times")
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="tui-crm-bench-"))
    proc, url = start_sandbox(args.products, args.warehouses, folder)
    try:
        # warm-up pull: records the request list and warms the sandbox's caches
        rec = Recorder()
        client = ODataClient(url, transport=rec, page_size=args.page_size, timeout=600)
        warm = Store.open(folder / "warm.duckdb")
        t = time.perf_counter()
        await pull_mirror(client, warm)
        print(f"warm-up pull: {time.perf_counter() - t:.1f} s, {len(rec.urls)} requests", flush=True)
        warm.close()
        await client.aclose()

        roots = {"this checkout": HERE}
        if args.compare is not None:
            roots = {f"before ({args.compare})": args.compare.resolve(), **roots}
        rounds: list[tuple[float, dict[str, dict[str, float]]]] = []
        for n in range(args.rounds):
            base_s, base_bytes = await baseline(rec.urls)
            print(f"baseline (same {len(rec.urls)} requests, bytes only): {base_s:.2f} s, "
                  f"{base_bytes / 1e6:.1f} MB", flush=True)
            pulls: dict[str, dict[str, float]] = {}
            for name, root in roots.items():
                path = folder / f"pull-{n}-{len(pulls)}.duckdb"
                pulls[name] = run_worker(root, url, path, args.page_size)
                print(f"full pull into an empty store, {name}: {pulls[name]['seconds']:.2f} s "
                      f"(fetching {pulls[name]['fetch']:.2f} s, saving {pulls[name]['save']:.2f} s), "
                      f"{pulls[name]['requests']} requests, {pulls[name]['rows']} rows read", flush=True)
                last = path
            rounds.append((base_s, pulls))
        full_s = rounds[-1][1]["this checkout"]["seconds"]
        store = Store.open(last)
        client = ODataClient(url, page_size=args.page_size, timeout=600)
        counts = store.mirror_counts()
        print(f"mirror {counts}", flush=True)

        service = SyncService(store, client)
        await service.pull_now()        # first cycle: counterparties, orders, debt (mirror is fresh)
        idle: dict[int, tuple[int, float]] = {0: await idle_cycle(service)}
        made = 0
        for n in args.open_orders:      # idle cycle with n open orders (pushed, unposted, unpaid)
            await open_orders(service, n - made)
            made = n
            await service.pull_now()    # the new orders are read in full once
            idle[n] = await idle_cycle(service)
            print(f"idle cycle with {len(store.open_orders())} open orders: {idle[n][0]} requests, "
                  f"{idle[n][1] * 1000:.0f} ms", flush=True)
        await service.aclose()
        store.close()

        print()
        print(f"{counts['products']:,} products, {counts['warehouses']} warehouses, {counts['stock']:,} stock rows, "
              f"{len(rec.urls)} requests, {base_bytes / 1e6:.0f} MB, page size {args.page_size}")
        print("| round | code | baseline | full pull | fetching | saving | ratio |")
        print("|---:|---|---:|---:|---:|---:|---:|")
        for n, (base_s, pulls) in enumerate(rounds, 1):
            for name, pull in pulls.items():
                print(f"| {n} | {name} | {base_s:.2f} s | {pull['seconds']:.2f} s | {pull['fetch']:.2f} s | "
                      f"{pull['save']:.2f} s | **{pull['seconds'] / base_s:.2f}×** |")
        print()
        print(f"idle cycle: {idle[0][0]} requests, {idle[0][1] * 1000:.0f} ms (full pull of this checkout "
              f"{full_s:.2f} s)")
        print()
        print("| open orders | " + " | ".join(str(n) for n in idle) + " |")
        print("|---|" + "---:|" * len(idle))
        print("| idle cycle | " + " | ".join(f"{r} requests, {s * 1000:.0f} ms" for r, s in idle.values()) + " |")
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker(sys.argv[2:])
    else:
        asyncio.run(main())
