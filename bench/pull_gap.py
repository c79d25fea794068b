"""How long 1C sits idle during a full pull: the time inside the fetching phase with no request
in flight (between an answer's last byte and the next request), beside the fetching time.

Runs one pull of the checkout at ROOT (its own tui_crm) into an empty store against a sandbox
already serving at URL (`tui-crm sandbox serve --products 100000 --warehouses 10 --seed 1`);
run it for two checkouts alternately to compare them.

Usage: python bench/pull_gap.py ROOT URL STORE [--page-size 100000]
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, sys.argv[1] if len(sys.argv) > 1 else str(Path(__file__).resolve().parents[1]))

import httpx

from tui_crm.store import Store
from tui_crm.sync.odata import ODataClient
from tui_crm.sync.pull import pull_mirror


class Spans(httpx.AsyncBaseTransport):
    """Notes when each request was sent and when its answer's last byte was read."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.spans: list[tuple[float, float]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        sent = time.perf_counter()
        response = await self.inner.handle_async_request(request)
        body = await response.aread()
        self.spans.append((sent, time.perf_counter()))
        return httpx.Response(response.status_code, headers=response.headers, content=body, request=request,
                              extensions=response.extensions)

    async def aclose(self) -> None:
        await self.inner.aclose()


def in_flight(spans: list[tuple[float, float]]) -> float:
    """Length of the union of the request spans."""
    total = 0.0
    start, end = sorted(spans)[0]
    for s, e in sorted(spans)[1:]:
        if s > end:
            total += end - start
            start, end = s, e
        else:
            end = max(end, e)
    return total + end - start


async def main(url: str, store_path: str, page_size: int) -> None:
    spans = Spans()
    store = Store.open(Path(store_path))
    client = ODataClient(url, transport=spans, page_size=page_size, timeout=600)
    saving: list[float] = []

    def progress(label: str, _done: int, _total: int | None) -> None:
        if label == "saving":
            saving.append(time.perf_counter())

    t = time.perf_counter()
    await pull_mirror(client, store, progress=progress)
    end = time.perf_counter()
    await client.aclose()
    store.close()
    fetch = saving[0] - t
    busy = in_flight(spans.spans)
    print(json.dumps({"root": sys.argv[1], "fetching": round(fetch, 2), "saving": round(end - saving[0], 2),
                      "in_flight": round(busy, 2), "1c_idle": round(fetch - busy, 2),
                      "requests": len(spans.spans)}), flush=True)


if __name__ == "__main__":
    size = int(sys.argv[sys.argv.index("--page-size") + 1]) if "--page-size" in sys.argv else 100_000
    asyncio.run(main(sys.argv[2], sys.argv[3], size))
