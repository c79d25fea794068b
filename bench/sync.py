"""Sync benchmark: first full pull of a big base into an empty store, and an idle cycle.

A sandbox with 100k products, 10 warehouses (≈1M stock rows before the seed's gaps) and 100k
prices per price type is served over loopback by a separate process (`tui-crm sandbox serve`), so
the server does not compete with the CRM for the GIL. Measured in the same run:

* baseline — the exact requests the pull makes (recorded on a warm-up pull), fetched with a
  bare httpx.AsyncClient: bytes only, no JSON parsing, no storing;
* full pull — `pull_mirror` into an empty DuckDB file: parse, validate, stage, MERGE, picker;
* idle cycle — `SyncService.pull_now()` when nothing changed: requests and seconds, with 0
  open orders and then with 5, 20 and 50 open orders pushed from the CRM.

Usage: python bench/sync.py [--products 100000] [--warehouses 10] [--page-size 5000]
                            [--open-orders 5 20 50]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tui_crm.store import Store
from tui_crm.sync.odata import ODataClient
from tui_crm.sync.pull import pull_mirror
from tui_crm.sync.service import SyncService


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


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--products", type=int, default=100_000)
    ap.add_argument("--warehouses", type=int, default=10)
    ap.add_argument("--page-size", type=int, default=5000)
    ap.add_argument("--open-orders", type=int, nargs="*", default=[5, 20, 50],
                    help="measure the idle cycle with this many open orders (cumulative)")
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

        base_s, base_bytes = await baseline(rec.urls)
        print(f"baseline (same {len(rec.urls)} requests, bytes only): {base_s:.2f} s, {base_bytes / 1e6:.1f} MB",
              flush=True)

        store = Store.open(folder / "crm.duckdb")
        client = ODataClient(url, page_size=args.page_size, timeout=600)
        t = time.perf_counter()
        result = await pull_mirror(client, store)
        full_s = time.perf_counter() - t
        counts = store.mirror_counts()
        print(f"full pull into an empty store: {full_s:.2f} s, {result.requests} requests, {result.rows} rows read; "
              f"mirror {counts}", flush=True)

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
        print("| products | warehouses | stock rows | baseline | full pull | ratio | idle cycle |")
        print("|---:|---:|---:|---:|---:|---:|---:|")
        print(f"| {counts['products']:,} | {counts['warehouses']} | {counts['stock']:,} | {base_s:.2f} s | "
              f"{full_s:.2f} s | {full_s / base_s:.2f}× | {idle[0][0]} requests, {idle[0][1] * 1000:.0f} ms |")
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


if __name__ == "__main__":
    asyncio.run(main())
