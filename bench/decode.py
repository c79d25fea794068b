"""Decoding of the first full pull's big pages: the strict decoder against its baselines.

The pages are made by the bundled sandbox in-process (100k products, 2 warehouses; the stock page
counts 10 times, as a 100k × 10 pull reads 10 of them), then each decoder reads all of them,
alternating, ``--rounds`` times: plain ``json.loads`` (the floor), the earlier strict decoder
(an ``object_pairs_hook`` on every object) and `loads_strict` (duplicates refused in the
top-level object, the rest by the C scanner).

Usage: python bench/decode.py [--products 100000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from onec_sandbox.app import create_app
from onec_sandbox.state import SandboxState
from tests.sync.sandbox_kit import BASE
from tui_crm.store import Store
from tui_crm.sync.odata import ODataClient
from tui_crm.sync.odata.client import loads_strict
from tui_crm.sync.pull import pull_mirror


def hook_on_every_object(text: str) -> Any:
    """The decoder before the third round: a Python hook on every JSON object."""
    def unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        d = dict(pairs)
        if len(d) != len(pairs):
            raise ValueError("a repeated key")
        return d
    return json.loads(text, object_pairs_hook=unique)


class Keep(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.bodies: list[tuple[str, bytes]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        body = await response.aread()
        self.bodies.append((request.url.path, body))
        return httpx.Response(response.status_code, headers=response.headers, content=body, request=request)


async def pages(products: int) -> list[str]:
    keep = Keep(httpx.ASGITransport(app=create_app(SandboxState.seeded(products=products, warehouses=2, seed=1))))
    async with ODataClient(BASE, transport=keep, page_size=products, timeout=600) as client:
        store = Store.open(None)
        await pull_mirror(client, store)
        store.close()
    big = [(path, body) for path, body in keep.bodies if len(body) > 1_000_000]
    stock = [b for p, b in big if "AccumulationRegister" in p][:1] * 10
    return [b.decode("utf-8-sig") for b in [b for p, b in big if "AccumulationRegister" not in p] + stock]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--products", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    texts = asyncio.run(pages(args.products))
    print(f"{len(texts)} pages, {sum(len(t) for t in texts) / 1e6:.0f} M characters", flush=True)
    decoders = {"plain json.loads": json.loads, "hook on every object (before)": hook_on_every_object,
                "loads_strict (now)": loads_strict}
    for n in range(1, args.rounds + 1):
        took = {}
        for name, decode in decoders.items():
            t = time.perf_counter()
            for text in texts:
                decode(text)
            took[name] = time.perf_counter() - t
        base = took["plain json.loads"]
        print(f"round {n}: " + ", ".join(f"{k} {v:.2f} s ({v / base:.2f}×)" for k, v in took.items()), flush=True)


if __name__ == "__main__":
    main()
