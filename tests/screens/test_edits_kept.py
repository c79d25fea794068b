"""What the operator typed survives what happens meanwhile: a save still writing, a refresh
after a pull, accounting rewriting or posting the order. Each case either keeps the typing as
an unsaved edit (Esc asks) or says plainly that it was not applied; never a traceback."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input

from tests.clock import TestClock
from tests.seed import (
    FROZEN_NOW,
    INVOICE_ID,
    mark_posted,
    screen_app,
    seed_client,
    seed_invoice,
    seed_store,
    seeded_store,
    settle,
)
from tui_crm.app import CrmApp
from tui_crm.screens.client_card import ClientCardScreen
from tui_crm.screens.forms import LineEditScreen
from tui_crm.screens.invoice import InvoiceScreen
from tui_crm.store import Store
from tui_crm.widgets.confirm import ConfirmModal

SIZE = (110, 32)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "crm.duckdb", clock=TestClock())
    seed_store(s)
    seed_client(s)
    yield s
    s.close()


def capture_notifications(app: Any) -> list[tuple[str, str]]:
    seen: list[tuple[str, str]] = []
    original = app.notify

    def notify(message: str, *args: Any, **kwargs: Any) -> Any:
        seen.append((str(message), str(kwargs.get("severity", "information"))))
        return original(message, *args, **kwargs)

    app.notify = notify
    return seen


def held(save: Any) -> tuple[Any, threading.Event]:
    """`save` that waits until the test lets it write (a busy store), without timing."""
    gate = threading.Event()

    def slow(*args: Any, **kwargs: Any) -> Any:
        assert gate.wait(30), "the test never let the save through"
        return save(*args, **kwargs)

    return slow, gate


async def test_a_line_form_answered_after_accounting_rewrote_the_lines(store: Store) -> None:
    """The line form was open on line 3 when a pull rewrote the order to one line (an order made
    in 1C and changed there): Enter crashed the app with IndexError. Now the figures are not put
    on another line, and the operator is told they were not applied."""
    seed_invoice(store)
    app = screen_app(store, lambda s: InvoiceScreen(s, INVOICE_ID))
    async with app.run_test(size=SIZE) as pilot:
        seen = capture_notifications(app)
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, InvoiceScreen)
        await pilot.press("down", "down", "e")
        await settle(pilot)
        assert isinstance(app.screen, LineEditScreen)
        seed_invoice(store, lines=((2, "1"),))  # the store now holds another single line
        screen.refresh_data()  # what the app does after a pull
        await settle(pilot)
        await pilot.press("7", "enter")
        await settle(pilot)
        assert app.is_running and app.screen is screen
        assert [(line.code, line.quantity) for line in screen.invoice.lines] == [("00-00000002", Decimal(1))]
        assert any("Line 3" in m and "not applied" in m for m, _ in seen)


async def test_posted_while_edited_shows_the_posted_order_and_says_the_edits_were_not_saved(
    store: Store,
) -> None:
    """Before, the screen went on showing the unsaved edits under "🔒 Posted" with the header
    still editable, and Esc dropped them without a word beyond "read-only now"."""
    seed_invoice(store)
    app = screen_app(store, lambda s: InvoiceScreen(s, INVOICE_ID))
    async with app.run_test(size=SIZE) as pilot:
        seen = capture_notifications(app)
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, InvoiceScreen)
        await pilot.press("delete")
        screen.query_one("#inv-comment", Input).focus()
        await pilot.press(*"срочно")
        await settle(pilot)
        assert screen.has_unsaved_changes() and len(screen.invoice.lines) == 2
        mark_posted(store)
        screen.refresh_data()
        await settle(pilot)
        assert screen.locked
        assert len(screen.invoice.lines) == 3  # what accounting posted
        assert screen.query_one("#inv-comment", Input).value == ""
        assert all(screen.query_one(sel).disabled
                   for sel in ("#inv-warehouse", "#inv-date", "#inv-discount", "#inv-comment"))
        assert any("while you were editing" in m and "not saved" in m and sev == "error" for m, sev in seen)


async def test_text_typed_on_an_invoice_while_it_saves_stays_unsaved(store: Store) -> None:
    """Before, the finished save marked everything saved and the refresh that followed wiped
    the comment typed while the store was writing."""
    seed_invoice(store)
    slow, gate = held(store.save_invoice)
    store.save_invoice = slow  # type: ignore[method-assign]
    app = screen_app(store, lambda s: InvoiceScreen(s, INVOICE_ID))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, InvoiceScreen)
        await pilot.press("delete", "f2")
        await pilot.pause()
        screen.query_one("#inv-comment", Input).focus()
        await pilot.press(*"позвонить")
        gate.set()
        await settle(pilot)
        record = store.get_invoice(INVOICE_ID)
        assert record is not None and len(record.invoice.lines) == 2 and record.invoice.comment == ""
        assert screen.query_one("#inv-comment", Input).value == "позвонить"
        assert screen.has_unsaved_changes()
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)


async def test_a_half_typed_date_survives_a_refresh_and_escape_asks(store: Store) -> None:
    """A date being typed is not a date yet, so the invoice was not "changed": the refresh after
    every pull put the saved date back over it, and Esc left without asking."""
    seed_invoice(store)
    app = screen_app(store, lambda s: InvoiceScreen(s, INVOICE_ID))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, InvoiceScreen)
        date = screen.query_one("#inv-date", Input)
        date.focus()
        date.value = ""
        await pilot.press(*"2026-12")
        await settle(pilot)
        assert not screen.dirty  # nothing the invoice can hold yet
        screen.refresh_data()
        await settle(pilot)
        assert date.value == "2026-12"
        assert screen.has_unsaved_changes()
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)


async def test_text_typed_on_a_client_card_while_it_saves_stays_unsaved(tmp_path: Path) -> None:
    """Before, the finished save took whatever the card held by then as saved: a comment typed
    while the store wrote was neither written nor "unsaved", and Esc dropped it."""
    store = seeded_store(tmp_path / "crm.duckdb")
    slow, gate = held(store.save_client)
    store.save_client = slow  # type: ignore[method-assign]
    app = CrmApp(store, None, clock=lambda: FROZEN_NOW, live_clock=False)
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            await pilot.press("f2")  # a new client's card
            await settle(pilot)
            card = app.screen
            assert isinstance(card, ClientCardScreen)
            for field, text in (("name", "ООО Первый"), ("inn", "7707083893"), ("kpp", "773601001"),
                                ("phones", "8 912 345 67 89")):
                card.query_one(f"#{field}", Input).focus()
                await pilot.press(*text)
            await pilot.press("f2")
            await pilot.pause()
            card.query_one("#comment", Input).focus()
            await pilot.press(*"ждёт счёт")
            gate.set()
            await settle(pilot)
            record = store.get_client(card.client_id)
            assert record is not None and record.client.comment == ""
            assert card.query_one("#comment", Input).value == "ждёт счёт"
            assert card.query_one("#phones", Input).value == "+7 912 345-67-89"
            assert card.has_unsaved_changes()
            await pilot.press("escape")
            await settle(pilot)
            assert isinstance(app.screen, ConfirmModal)
    finally:
        gate.set()
        store.close()
