"""Keys held behind the picker's queued Enter (widgets/search.py) never trap the operator and never
land in a screen they were not meant for.

The picker's search is made to wait (or fail) on a gate here: that is the case the guards are for
(an answer that does not come), and the store itself stays the real one.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from textual import events
from textual.app import App, ComposeResult
from textual.screen import ModalScreen
from textual.widgets import Input

from tests.clock import TestClock
from tests.seed import PRICE_TYPES, WAREHOUSES, screen_app, seed_store, settle
from tui_crm.screens.picker import PickerScreen
from tui_crm.store import Store

SIZE = (110, 32)


class Gate:
    """Holds the picker's searches for one text until opened (or makes them fail)."""

    def __init__(self, store: Store, text: str) -> None:
        self.text, self.opened, self.fail = text, threading.Event(), False
        self.waiting = threading.Event()
        real = store.picker_search

        def search(warehouse_id: str, price_type_id: str, text: str, *, limit: int = 50) -> list:
            if text == self.text:
                self.waiting.set()
                self.opened.wait(30)
                if self.fail:
                    raise RuntimeError("the store did not answer")
            return real(warehouse_id, price_type_id, text, limit=limit)

        store.picker_search = search  # type: ignore[method-assign]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "crm.duckdb", clock=TestClock())
    seed_store(s)
    yield s
    s.close()


def burst(app: App, keys: list[tuple[str, str | None]]) -> None:
    """Keys in one read, as a terminal over SSH sends them."""
    driver = app._driver
    assert driver is not None
    for key, char in keys:
        event = events.Key(key, char)
        event.set_sender(app)
        driver.send_message(event)


async def pause_until(pilot: object, done: object, rounds: int = 50) -> None:
    for _ in range(rounds):
        if done():  # type: ignore[operator]
            return
        await pilot.pause()  # type: ignore[attr-defined]


class Notice(ModalScreen[None]):
    """Some other screen with a text field (not one that takes keys typed ahead of it)."""

    def compose(self) -> ComposeResult:
        yield Input(id="notice-input")


async def test_a_search_that_never_answers_does_not_hold_the_quit_key(store: Store) -> None:
    """"кофе", Enter, 5 typed in one go while the search for "кофе" does not answer: the 5 waits
    behind the Enter, but Ctrl+Q (a priority key) is not held with it: the app quits."""
    gate = Gate(store, "кофе")
    added: list[tuple[str, Decimal]] = []
    app = screen_app(store, lambda s: PickerScreen(
        s, WAREHOUSES[0][0], PRICE_TYPES[0][0], on_add=lambda r, q: added.append((r.code, q))))
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            burst(app, [*((c, c) for c in "кофе"), ("enter", None), ("5", "5")])
            await pause_until(pilot, lambda: gate.waiting.is_set())
            search = app.screen.query_one("#picker-search", Input)
            await pause_until(pilot, lambda: search.value == "кофе")
            assert search.value == "кофе" and app.key_hold.holder is search
            burst(app, [("ctrl+q", None)])
            await pause_until(pilot, lambda: app._exit)
            assert app._exit, "Ctrl+Q was held behind the Enter"
            assert added == []
    finally:
        gate.opened.set()


async def test_keys_held_for_a_failed_search_are_not_typed_into_another_screen(store: Store) -> None:
    """The search fails while another screen came up over the picker: the keys typed after the
    Enter ("5", Enter) were for the quantity dialog that never opened, so they are dropped (a bell)
    rather than typed into that screen, where an Enter could confirm something."""
    gate = Gate(store, "кофе")
    app = screen_app(store, lambda s: PickerScreen(s, WAREHOUSES[0][0], PRICE_TYPES[0][0]))
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            picker = app.screen
            burst(app, [*((c, c) for c in "кофе"), ("enter", None), ("5", "5"), ("enter", None)])
            await pause_until(pilot, lambda: gate.waiting.is_set())
            search = picker.query_one("#picker-search", Input)
            await pause_until(pilot, lambda: app.key_hold.holder is search)
            await app.push_screen(Notice())
            notice = app.screen
            gate.fail = True
            gate.opened.set()
            await pause_until(pilot, lambda: app.key_hold.holder is not search)
            await settle(pilot)
            assert app.screen is notice
            assert notice.query_one("#notice-input", Input).value == ""
            assert app.key_hold.holder is not search
            assert search.value == "кофе"
    finally:
        gate.opened.set()


async def test_keys_held_for_a_failed_search_go_back_into_the_search(store: Store) -> None:
    """The same failure with the picker still on top: the keys are the operator's, typed into the
    search in order (nothing lost)."""
    gate = Gate(store, "кофе")
    app = screen_app(store, lambda s: PickerScreen(s, WAREHOUSES[0][0], PRICE_TYPES[0][0]))
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            burst(app, [*((c, c) for c in "кофе"), ("enter", None), ("5", "5")])
            await pause_until(pilot, lambda: gate.waiting.is_set())
            search = app.screen.query_one("#picker-search", Input)
            await pause_until(pilot, lambda: app.key_hold.holder is search)
            gate.fail = True
            gate.opened.set()
            await pause_until(pilot, lambda: search.value == "кофе5")
            assert search.value == "кофе5"
            assert isinstance(app.screen, PickerScreen)
    finally:
        gate.opened.set()


async def test_a_quantity_typed_ahead_of_its_dialog_from_the_list_goes_into_it(store: Store) -> None:
    """The list has the focus; Enter, 4, Enter in one burst: the 4 and the second Enter belong to
    the quantity dialog the first Enter opens (they used to go into the search box, or nowhere)."""
    added: list[tuple[str, Decimal]] = []
    app = screen_app(store, lambda s: PickerScreen(
        s, WAREHOUSES[0][0], PRICE_TYPES[0][0], on_add=lambda r, q: added.append((r.code, q))))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press(*"кофе")
        await settle(pilot)
        await pilot.press("down")  # to the list, on its first row
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, PickerScreen)
        assert picker.focused is picker.query_one("#picker-table")
        burst(app, [("enter", None), ("4", "4"), ("enter", None)])
        await pause_until(pilot, lambda: bool(added))
        await settle(pilot)
        assert added == [("00-00000004", Decimal(4))]
        assert app.screen is picker
        assert picker.query_one("#picker-search", Input).value == "кофе"


async def test_a_search_that_answers_under_another_screen_adds_nothing(store: Store) -> None:
    """"кофе", Enter, 5, Enter, and a question came over the picker (Ctrl+Q's "quit?") before the
    search answered: the delayed Enter adds nothing and opens no dialog over the question, and the
    keys typed after it are dropped (a bell), not typed into the question."""
    gate = Gate(store, "кофе")
    added: list[tuple[str, Decimal]] = []
    app = screen_app(store, lambda s: PickerScreen(
        s, WAREHOUSES[0][0], PRICE_TYPES[0][0], on_add=lambda r, q: added.append((r.code, q))))
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            picker = app.screen
            burst(app, [*((c, c) for c in "кофе"), ("enter", None), ("5", "5"), ("enter", None)])
            await pause_until(pilot, lambda: gate.waiting.is_set())
            search = picker.query_one("#picker-search", Input)
            await pause_until(pilot, lambda: app.key_hold.holder is search)
            await app.push_screen(Notice())
            notice = app.screen
            gate.opened.set()
            await pause_until(pilot, lambda: app.key_hold.holder is not search)
            await settle(pilot)
            assert app.screen is notice
            assert notice.query_one("#notice-input", Input).value == ""
            assert added == []
            app.pop_screen()
            await settle(pilot)
            assert app.screen is picker and search.value == "кофе"
    finally:
        gate.opened.set()
