"""A second shipment request form opened before the first request was in the store showed the
whole order as left, and both requests were queued: the warehouse was asked to ship everything
twice. The store now counts the requests the warehouse has not answered yet and refuses, in
words, what would ask for more than was ordered; nothing is queued twice."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.clock import TestClock
from tests.seed import (
    INVOICE_ID,
    mark_posted,
    screen_app,
    seed_client,
    seed_invoice,
    seed_store,
    settle,
)
from tui_crm.screens.order import OrderScreen
from tui_crm.screens.shipment_request import ShipmentRequestScreen
from tui_crm.store import Store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "crm.duckdb", clock=TestClock())
    seed_store(s)
    seed_client(s)
    seed_invoice(s)  # lines of 10, 4 and 2.5
    mark_posted(s)
    yield s
    s.close()


async def test_a_second_request_sent_before_the_first_was_in_is_refused(store: Store) -> None:
    gate = threading.Event()
    real = store.request_shipment
    calls: list[int] = []

    def first_waits(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:  # a busy store: the first request is still being written
            assert gate.wait(30), "the test never let the first request through"
        return real(*args, **kwargs)

    store.request_shipment = first_waits  # type: ignore[method-assign]
    app = screen_app(store, lambda s: OrderScreen(s, INVOICE_ID))
    seen: list[str] = []
    original = app.notify

    def notify(message: str, *args: Any, **kwargs: Any) -> Any:  # run_test() shows no toasts
        seen.append(str(message))
        return original(message, *args, **kwargs)

    app.notify = notify  # type: ignore[method-assign]
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, ShipmentRequestScreen)
        await pilot.press("f2")  # send what is left (everything), then confirm
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        await pilot.press("s")  # again, before the first request is in
        await pilot.pause()
        assert isinstance(app.screen, ShipmentRequestScreen)
        await pilot.press("f2")
        await pilot.pause()
        await pilot.press("y")
        gate.set()
        await settle(pilot)
        requests = store.shipment_requests(INVOICE_ID)
        assert len(requests) == 1
        assert [(rl.line_no, rl.quantity) for rl in requests[0].lines] == [
            (1, Decimal(10)), (2, Decimal(4)), (3, Decimal("2.5"))]
        assert any("Cannot request a shipment" in m and "already asked for" in m for m in seen)
