"""The idle pull cycle with open orders: requests 1C receives per cycle and its wall time (issue 13).

The sandbox (КА 1.1) is a SEPARATE process (`python -m onec_sandbox serve`). A store is filled by
the real pull, N open orders of one new client are pushed to the sandbox (unposted, unpaid: open),
and two cycles read them in full. Then, with nothing changing in accounting, idle cycles
(`SyncService.pull_now()`) are timed and their requests counted (the client's request counter: what
the sandbox receives from this CRM).

Baseline in the same run: with ``--compare ROOT`` (e.g. the main checkout, ``/work/main``) the same
cycles run with that checkout's code, on a copy of the same store against the same sandbox; the
two alternate, each in its own process, so both see the same machine load.

With ``--config ut11|bp3`` the sandbox speaks that configuration and the CRM uses the profile of
the same name (БП 3: the debt is read from the accounting register on 62.01 / 62.02).

``--verbose`` prints, for each code measured, the requests of its last idle cycle (method and
decoded URL), so what a cycle costs can be read request by request.

Run: .venv/bin/python bench/idle.py [--products 100000] [--warehouses 3] [--open-orders 20]
                                    [--cycles 7] [--rounds 2] [--compare /work/main] [--config ka1]
                                    [--verbose]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import unquote

HERE = Path(__file__).resolve().parents[1]
CACHE = Path(tempfile.gettempdir()) / "tui-crm-bench-live"


def start_sandbox(products: int, warehouses: int, folder: Path,
                  config: str = "ka1") -> tuple[subprocess.Popen[str], str]:
    CACHE.mkdir(parents=True, exist_ok=True)
    tag = "" if config == "ka1" else f"-{config}"
    pristine = CACHE / f"sandbox-{products}x{warehouses}{tag}.sqlite"
    if not pristine.exists():
        subprocess.run([sys.executable, "-m", "onec_sandbox", "seed", "--data", str(pristine), "--products",
                        str(products), "--warehouses", str(warehouses), "--seed", "1", "--config", config],
                       check=True,
                       stdout=subprocess.DEVNULL, cwd=HERE)
    data = folder / "sandbox.sqlite"
    shutil.copy(pristine, data)
    proc = subprocess.Popen(
        [sys.executable, "-m", "onec_sandbox", "serve", "--data", str(data), "--products", str(products),
         "--warehouses", str(warehouses), "--seed", "1", "--config", config],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=HERE,
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


# -- the workers (one process each; `--root` says whose code) --------------------------------
async def prepare(url: str, store_path: Path, orders: int, page_size: int, profile: str) -> None:
    from tests.sync.sandbox_kit import new_client, save_invoice
    from tui_crm.config import AccountingSettings
    from tui_crm.store import Store
    from tui_crm.sync.service import SyncService

    store = Store.open(store_path)
    service = SyncService.from_settings(store, AccountingSettings(url=url, timeout=600, page_size=page_size,
                                                                         profile=profile))
    t = time.perf_counter()
    assert await service.pull_now() is not None, service.last_error
    print(f"store filled by the pull: {store.mirror_counts()['products']} products, "
          f"{time.perf_counter() - t:.1f} s", file=sys.stderr, flush=True)
    client = new_client()
    store.save_client(client, queue=True)
    for _ in range(orders):
        save_invoice(store, client.id, lines=1, qty="1")
    while store.outbox_items():
        result = await service.push_now()
        if result is None or result.failed or result.offline:
            raise RuntimeError(f"push failed: {result}")
    for _ in range(2):   # the new open orders are read in full once
        assert await service.pull_now() is not None, service.last_error
    print(f"{len(store.open_orders())} open orders pushed", file=sys.stderr, flush=True)
    await service.aclose()
    store.close()


def recording_transport(seen: list[str]) -> Any:
    """The real loopback transport, noting each request's method and decoded URL in ``seen``."""
    import httpx

    class Recording(httpx.AsyncHTTPTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            seen.append(f"{request.method} {unquote(str(request.url))}")
            return await super().handle_async_request(request)

    return Recording()


async def measure(url: str, store_path: Path, cycles: int, page_size: int, profile: str,
                  verbose: bool = False) -> None:
    from tui_crm.config import AccountingSettings
    from tui_crm.store import Store
    from tui_crm.sync.service import SyncService

    store = Store.open(store_path)
    seen: list[str] = []
    service = SyncService.from_settings(store, AccountingSettings(url=url, timeout=600, page_size=page_size,
                                                                         profile=profile),
                                        transport=recording_transport(seen) if verbose else None)
    out = []
    for _ in range(cycles):
        before = service.client.stats.requests
        seen.clear()
        t = time.perf_counter()
        assert await service.pull_now() is not None, service.last_error
        out.append((service.client.stats.requests - before, time.perf_counter() - t))
    print(json.dumps({"open": len(store.open_orders()), "cycles": out, "last": list(seen)}), flush=True)
    await service.aclose()
    store.close()


def worker(argv: list[str]) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", type=Path, required=True)
    ap.add_argument("--url", required=True)
    ap.add_argument("--store", type=Path, required=True)
    ap.add_argument("--prepare", type=int, default=None, metavar="ORDERS")
    ap.add_argument("--cycles", type=int, default=7)
    ap.add_argument("--page-size", type=int, default=5000)
    ap.add_argument("--config", default="ka1")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(args.root))
    from tui_crm.runtime import tune_for_terminal  # the GC settings `tui-crm` runs with

    tune_for_terminal()
    if args.prepare is not None:
        asyncio.run(prepare(args.url, args.store, args.prepare, args.page_size, args.config))
    else:
        asyncio.run(measure(args.url, args.store, args.cycles, args.page_size, args.config, args.verbose))


def run_worker(root: Path, url: str, store: Path, *extra: str) -> str:
    done = subprocess.run([sys.executable, __file__, "--worker", "--root", str(root), "--url", url,
                           "--store", str(store), *extra], check=True, stdout=subprocess.PIPE, text=True,
                          cwd=root)
    return done.stdout


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--products", type=int, default=100_000)
    ap.add_argument("--warehouses", type=int, default=3)
    ap.add_argument("--open-orders", type=int, default=20)
    ap.add_argument("--cycles", type=int, default=7, help="idle cycles per round")
    ap.add_argument("--rounds", type=int, default=2, help="rounds, alternating this code and --compare")
    ap.add_argument("--compare", type=Path, default=None, metavar="ROOT",
                    help="another checkout (e.g. /work/main) measured the same way as the baseline")
    ap.add_argument("--page-size", type=int, default=5000)
    ap.add_argument("--config", choices=("ka1", "ut11", "bp3"), default="ka1",
                    help="the configuration the sandbox speaks, and the CRM profile")
    ap.add_argument("--verbose", action="store_true",
                    help="print the requests (method, decoded URL) of each code's last idle cycle")
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="tui-crm-bench-idle-"))
    proc, url = start_sandbox(args.products, args.warehouses, folder, args.config)
    try:
        store = folder / "crm.duckdb"
        # Prepared by the baseline's code when comparing: a store of its (older) schema, which this
        # checkout migrates on open; one made by this checkout's code the baseline would refuse.
        prepare_root = args.compare.resolve() if args.compare is not None else HERE
        run_worker(prepare_root, url, store, "--prepare", str(args.open_orders),
                   "--page-size", str(args.page_size), "--config", args.config)
        roots = {"this checkout": HERE}
        if args.compare is not None:
            roots = {f"baseline ({args.compare})": args.compare.resolve(), **roots}
        stores = {}
        for name in roots:
            copy = folder / f"crm-{len(stores)}.duckdb"
            shutil.copy(store, copy)
            stores[name] = copy
        found: dict[str, list[tuple[int, float]]] = {name: [] for name in roots}
        last: dict[str, list[str]] = {}
        open_orders = 0
        for _ in range(args.rounds):
            for name, root in roots.items():
                answer = json.loads(run_worker(root, url, stores[name], "--cycles", str(args.cycles),
                                               "--page-size", str(args.page_size), "--config", args.config,
                                               *(["--verbose"] if args.verbose else []),
                                               ).strip().splitlines()[-1])
                open_orders = answer["open"]
                found[name] += [tuple(c) for c in answer["cycles"][1:]]   # the first: a new process
                last[name] = answer.get("last", [])
        if args.verbose:
            for name, seen in last.items():
                print(f"\nthe last idle cycle of {name}: {len(seen)} requests")
                for n, line in enumerate(seen, start=1):
                    print(f"  {n}. {line if len(line) <= 260 else line[:240] + f'… ({len(line)} chars)'}")
        print()
        print(f"idle cycle ({args.config}), {open_orders} open orders, {args.products:,} products × "
              f"{args.warehouses} warehouses "
              f"(cycles after the first of each process, {args.rounds} rounds × {args.cycles - 1})")
        print("| code | requests per cycle | p50 | p95 | max |")
        print("|---|---:|---:|---:|---:|")
        for name, cycles in found.items():
            reqs = sorted({r for r, _ in cycles})
            secs = sorted(s for _, s in cycles)
            p95 = secs[min(len(secs) - 1, round(0.95 * (len(secs) - 1)))]
            print(f"| {name} | {', '.join(map(str, reqs))} | {statistics.median(secs) * 1000:.0f} ms | "
                  f"{p95 * 1000:.0f} ms | {secs[-1] * 1000:.0f} ms |")
        if len(found) == 2:
            (_, a), (_, b) = found.items()
            print(f"ratio (this / baseline) of p50: "
                  f"{statistics.median(s for _, s in b) / statistics.median(s for _, s in a):.2f}")
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
        main()
