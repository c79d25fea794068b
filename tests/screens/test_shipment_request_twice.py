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


def _seen(app: Any) -> list[tuple[str, str]]:
    seen: list[tuple[str, str]] = []
    original = app.notify

    def notify(message: str, *args: Any, **kwargs: Any) -> Any:  # run_test() shows no toasts
        seen.append((str(message), str(kwargs.get("severity", "information"))))
        return original(message, *args, **kwargs)

    app.notify = notify
    return seen


async def test_the_open_form_follows_accounting_and_keeps_typed_quantities(store: Store) -> None:
    """The form showed the order as it was when opened: a shipment posted meanwhile (a pull)
    left "shipped 0" and the whole line's quantity as the default. Now the figures and the
    defaults follow accounting, and the quantity the operator typed stays as typed."""
    from textual.widgets import Input, Label

    from tests.seed import add_shipment

    app = screen_app(store, lambda s: OrderScreen(s, INVOICE_ID))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        order = app.screen
        await pilot.press("s")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ShipmentRequestScreen)
        await pilot.press("down", "3")  # line 2 (4 ordered): ask for 3
        await settle(pilot)
        assert form.has_unsaved_changes()
        add_shipment(store, "РТУ-000001", ((1, "6"),))  # 6 of line 1 left the warehouse
        order.refresh_data()  # what the app does after a pull
        await settle(pilot)
        assert app.screen is form
        assert form.query_one("#sr-qty-1", Input).value == "4"  # 10 ordered - 6 shipped
        assert form.query_one("#sr-qty-2", Input).value == "3"  # typed: kept
        assert form.query_one("#sr-qty-3", Input).value == "2.5"
        row = [str(w.render()) for w in form.query_one("#sr-row-1").query(Label)]
        assert row[3] == "6"  # shipped
        assert form.query_one("#sr-qty-2", Input).has_focus
        await pilot.press("f2", "y")
        await settle(pilot)
        requests = store.shipment_requests(INVOICE_ID)
        assert [(rl.line_no, rl.quantity) for r in requests for rl in r.lines] == [
            (1, Decimal(4)), (2, Decimal(3)), (3, Decimal("2.5"))]


async def test_a_line_accounting_removed_says_its_typed_quantity_is_not_sent(store: Store) -> None:
    from textual.widgets import Input

    app = screen_app(store, lambda s: OrderScreen(s, INVOICE_ID))
    seen = _seen(app)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        order = app.screen
        await pilot.press("s")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ShipmentRequestScreen)
        await pilot.press("down", "down", "1")  # line 3: ask for 1
        await settle(pilot)
        with store.transaction() as cur:  # accounting removed line 3 (what the pull writes)
            cur.execute("DELETE FROM invoice_lines WHERE invoice_id = ? AND line_no = 3", [INVOICE_ID])
        order.refresh_data()
        await settle(pilot)
        assert app.screen is form
        assert not form.query("#sr-qty-3")
        assert form.query_one("#sr-qty-1", Input).value == "10"
        assert any("Line 3" in m and "not" in m for m, _ in seen), seen


async def test_escape_with_typed_quantities_asks_and_f2_does_not_discard(store: Store) -> None:
    """Esc left the form at once, the quantities typed were gone. Now it asks, as the card does:
    F2 there (the form's Send key) never means discard; d discards, Esc keeps editing."""
    from textual.widgets import Input

    from tui_crm.widgets.confirm import ConfirmModal

    app = screen_app(store, lambda s: OrderScreen(s, INVOICE_ID))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        order = app.screen
        await pilot.press("s")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ShipmentRequestScreen)
        await pilot.press("5")  # line 1: 5 of 10
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("f2")
        await settle(pilot)
        assert app.screen is form or isinstance(app.screen, ConfirmModal)
        if isinstance(app.screen, ConfirmModal):
            await pilot.press("escape")
            await settle(pilot)
        assert app.screen is form and form.query_one("#sr-qty-1", Input).value == "5"
        await pilot.press("escape", "d")
        await settle(pilot)
        assert app.screen is order
        assert store.shipment_requests(INVOICE_ID) == []


async def test_escape_on_an_untouched_form_leaves_at_once(store: Store) -> None:
    app = screen_app(store, lambda s: OrderScreen(s, INVOICE_ID))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        order = app.screen
        await pilot.press("s")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is order


async def test_typing_goes_on_after_accounting_changed_the_open_form(store: Store) -> None:
    """The re-read form is built anew and the line being typed in gets the focus back: it used to
    select its whole text on that focus, so the next digit replaced what was typed ("1", a pull,
    "5" gave 5, not 15)."""
    from textual.widgets import Input

    from tests.seed import add_shipment

    app = screen_app(store, lambda s: OrderScreen(s, INVOICE_ID))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        order = app.screen
        await pilot.press("s")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ShipmentRequestScreen)
        await pilot.press("down", "1")  # line 2 (4 ordered): "1" typed over the default
        add_shipment(store, "РТУ-000001", ((1, "6"),))
        order.refresh_data()
        await settle(pilot)
        await pilot.press("5")
        await settle(pilot)
        assert form.query_one("#sr-qty-2", Input).value == "15"


async def test_the_line_typed_in_selects_its_text_again_once_left_after_accounting_changed_the_form(
        store: Store) -> None:
    """The rebuilt line being typed in does not select its text on getting the focus back (the
    test above), but it kept that for good: coming back to it with ↑ left the cursor after its
    text, so a digit typed there was added to it ('15', ↓, ↑, '7' gave 157), where every other
    line selects its text and the digit replaces it. Once left, it is a line like the others."""
    from textual.widgets import Input

    from tests.seed import add_shipment

    app = screen_app(store, lambda s: OrderScreen(s, INVOICE_ID))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        order = app.screen
        await pilot.press("s")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ShipmentRequestScreen)
        await pilot.press("down", "1")
        add_shipment(store, "РТУ-000001", ((1, "6"),))
        order.refresh_data()
        await settle(pilot)
        await pilot.press("5")  # goes on after "1": the line kept its text and cursor
        await settle(pilot)
        line2 = form.query_one("#sr-qty-2", Input)
        assert line2.value == "15"
        await pilot.press("down")
        await settle(pilot)
        assert form.query_one("#sr-qty-3", Input).has_focus
        await pilot.press("up")
        await settle(pilot)
        assert line2.has_focus
        assert line2.selected_text == "15"  # as line 3 selected "2.5" a moment ago
        await pilot.press("7")
        await settle(pilot)
        assert line2.value == "7"
        await pilot.press("up", "3")  # line 1, never typed in, behaves the same
        await settle(pilot)
        assert form.query_one("#sr-qty-1", Input).value == "3"
