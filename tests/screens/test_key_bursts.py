"""Keys that arrive in one read keep their order in a text field.

Over SSH and tmux a fast typist's keys often come in one read: tmux sends Backspace, 3, Enter as
`\\x7f3\\r`. Textual inserted a printable key at once but ran a key bound to the field (Backspace,
arrows, Home, Enter) after a trip up to the app, so the characters typed after it came first:
`1`, Backspace, `3` left `1` (the 3 typed, then deleted) and a quantity corrected in the dialog was
not the quantity typed. Found walking the demo in tmux at 80×24. The keys here are what Textual's
own terminal parser makes of those bytes, posted to the app at once as the driver does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from textual._xterm_parser import XTermParser
from textual.app import App
from textual.widgets import DataTable, Input

from tests.clock import TestClock
from tests.screens.test_picker_focus import COFFEE_JACOBS, MILK_2, SIZE, picker_app
from tests.seed import PRICE_TYPES, WAREHOUSES, screen_app, seed_store, settle
from tui_crm.screens.forms import QuantityScreen
from tui_crm.screens.picker import PickerScreen
from tui_crm.store import Store

LEFT, HOME, END = "\x1b[D", "\x1b[H", "\x1b[F"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "crm.duckdb", clock=TestClock())
    seed_store(s)
    yield s
    s.close()


def burst(app: App, raw: str) -> None:
    """`raw` as one read from the terminal: every key posted before any is handled."""
    parser = XTermParser()
    for key in [*parser.feed(raw), *parser.feed("")]:
        app.post_message(key)


async def test_a_quantity_corrected_in_one_burst_is_the_quantity_typed(store: Store) -> None:
    added: list[tuple[str, Decimal]] = []
    app = picker_app(store, added)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press(*"молоко", "enter")
        await settle(pilot)
        assert isinstance(app.screen, QuantityScreen)
        burst(app, "\x7f12\x7f5\r")  # 1 → (deleted) → 12 → 1 → 15, Enter
        await settle(pilot)
        assert isinstance(app.screen, PickerScreen)
        assert added == [(MILK_2, Decimal(15))]


@pytest.mark.parametrize(("start", "raw", "expected"), [
    ("1", "\x7f3", "3"),
    ("12", "\x7f\x7f78", "78"),
    ("abc", f"{LEFT}{LEFT}X", "aXbc"),
    ("abc", f"{HOME}Z{END}!", "Zabc!"),
    ("ab", "\x7fcd\x7f\x7fe", "ae"),
], ids=["backspace", "two-backspaces", "left", "home-end", "mixed"])
async def test_editing_keys_and_text_in_one_burst_apply_in_order(store: Store, start: str, raw: str,
                                                                 expected: str) -> None:
    app = picker_app(store, [])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        search = app.screen.query_one("#picker-search", Input)
        search.value = start
        search.cursor_position = len(start)
        await settle(pilot)
        burst(app, raw)
        await settle(pilot)
        assert search.value == expected


async def test_tab_in_a_burst_moves_on_before_the_text_typed_after_it(store: Store) -> None:
    """A form filled in one read ("Полночь ООО", Tab, "ООО «Полночь»", Tab, "7707083893"): each text
    goes into its own field. Tab is the screen's binding and ran only after bubbling up from the
    field, so all of it used to land in the first field. Found walking the demo in tmux."""
    from tests.seed import screen_app
    from tui_crm.screens.client_card import ClientCardScreen

    app = screen_app(store, lambda s: ClientCardScreen(s))
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        card = app.screen
        name = card.query_one("#name", Input)
        name.focus()
        await settle(pilot)
        burst(app, "Полночь ООО\tООО «Полночь»\t7707083893\x1b[Z\x1b[Z!")
        await settle(pilot)
        assert name.value == "Полночь ООО!"
        assert card.query_one("#full_name", Input).value == "ООО «Полночь»"
        assert card.query_one("#inn", Input).value == "7707083893"


def trickle(app: App, raw: str, chunk: int, turns: int = 3) -> asyncio.Task[None]:
    """`raw` as the terminal driver delivers it over a slow link: `chunk` keys a read, each read
    posted on its own turn of the event loop, while the app is already handling the earlier ones
    (a hold may start and end between two reads)."""
    parser = XTermParser()
    keys = [*parser.feed(raw), *parser.feed("")]

    async def deliver() -> None:
        for i in range(0, len(keys), chunk):
            for key in keys[i:i + chunk]:
                app.post_message(key)
            for _ in range(turns):
                await asyncio.sleep(0)

    return asyncio.get_running_loop().create_task(deliver())


@pytest.mark.parametrize("turns", [1, 2, 3])
@pytest.mark.parametrize("chunk", [1, 2, 3, 4, 5, 8])
async def test_a_form_typed_in_reads_that_arrive_while_a_tab_is_held_keeps_every_key_in_its_field(
        store: Store, chunk: int, turns: int) -> None:
    """Keys that arrive while the keys held behind a Tab are being handed on must wait behind them.
    They were handled first, ahead of the held ones, and the texts were spread over the fields out
    of order ("+7 912 000-11-22, 8(495ООО «Рога»" in ИНН). Found walking the demo in tmux."""
    from tests.seed import screen_app
    from tui_crm.screens.client_card import ClientCardScreen

    app = screen_app(store, lambda s: ClientCardScreen(s))
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        card = app.screen
        name = card.query_one("#name", Input)
        name.focus()
        await settle(pilot)
        await trickle(app, "Рога и Ко\tООО «Рога»\t7707083893\t773601001\t+7 912 000-11-22", chunk, turns)
        await settle(pilot)
        assert [card.query_one(f"#{f}", Input).value for f in ("name", "full_name", "inn", "kpp", "phones")] == [
            "Рога и Ко", "ООО «Рога»", "7707083893", "773601001", "+7 912 000-11-22"]


@pytest.mark.parametrize("turns", [1, 2])
@pytest.mark.parametrize("chunk", [1, 2, 3, 4])
async def test_a_quantity_typed_in_reads_that_arrive_while_the_search_holds_is_the_quantity_typed(
        store: Store, chunk: int, turns: int) -> None:
    """"молоко", Enter, "12", Enter, "кофе", Enter, "3", Enter over a slow link: the keys after each
    Enter wait for the search's rows and the quantity dialog, and the ones arriving while they go on
    queue behind them; after the dialog the search takes the next words."""
    added: list[tuple[str, Decimal]] = []
    app = picker_app(store, added)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await trickle(app, "молоко\r12\rкофе\r3\r", chunk, turns)
        await settle(pilot)
        assert isinstance(app.screen, PickerScreen)
        assert added == [(MILK_2, Decimal(12)), (COFFEE_JACOBS, Decimal(3))]


@pytest.mark.parametrize("turns", [1, 2])
@pytest.mark.parametrize("chunk", [1, 2, 3, 4])
async def test_a_quantity_typed_from_the_list_in_reads_that_arrive_meanwhile_is_the_quantity_typed(
        store: Store, chunk: int, turns: int) -> None:
    """"кофе", ↓ ↓ (the list, its second row), Enter, "12", Enter, "чай", Enter, "3", Enter over a
    slow link: the keys after the list's Enter belong to the dialog it opens, those after the
    dialog's Enter to the search it returns to, in the order typed."""
    added: list[tuple[str, Decimal]] = []
    app = picker_app(store, added)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await trickle(app, "кофе\x1b[B\x1b[B\r12\rчай\r3\r", chunk, turns)
        await settle(pilot)
        assert isinstance(app.screen, PickerScreen)
        assert [q for _code, q in added] == [Decimal(12), Decimal(3)]
        assert added[0][0] != COFFEE_JACOBS  # the second coffee, not the first


COFFEE_JOCKEY = "00-00000003"  # Кофе Жокей (the second "кофе" by name)


@pytest.mark.parametrize("turns", [1, 2])
@pytest.mark.parametrize("chunk", [1, 2, 3, 4, 6])
async def test_a_second_add_from_the_list_right_after_the_first_dialog_takes_its_own_quantity(
        store: Store, chunk: int, turns: int) -> None:
    """"кофе", ↓ ↓, Enter, "12", Enter, ↓, Enter, "3", Enter (the tmux walk): the dialog's Enter
    returns to the search, ↓ goes back to the list on the row added, and the keys after the
    list's second Enter are the second dialog's, not the first one's nor the search's."""
    added: list[tuple[str, Decimal]] = []
    app = picker_app(store, added)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await trickle(app, "кофе\x1b[B\x1b[B\r12\r\x1b[B\r3\r", chunk, turns)
        await settle(pilot)
        assert isinstance(app.screen, PickerScreen)
        assert added == [(COFFEE_JOCKEY, Decimal(12)), (COFFEE_JOCKEY, Decimal(3))]
        assert app.screen.query_one("#picker-search", Input).value == "кофе"


async def test_keys_after_an_enter_on_a_row_that_cannot_be_added_go_nowhere(store: Store) -> None:
    """The list's Enter on a row without a price (no dialog, a notice), and "12", Enter typed for
    the dialog in the same read: they are dropped with a bell, not typed into the search (where
    their Enter would add the first row of "кофе12"). Keys that come in a later read, after the
    Enter was handled, are typed as usual (the hold cannot tell them from new typing)."""
    added: list[tuple[str, Decimal]] = []
    app = screen_app(store, lambda s: PickerScreen(  # no price type: no row has a price
        s, WAREHOUSES[0][0], None, on_add=lambda r, q: added.append((r.code, q))))
    bells: list[None] = []
    app.bell = lambda: bells.append(None)  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press(*"кофе", "down")
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, PickerScreen)
        assert picker.focused is picker.query_one("#picker-table", DataTable)
        burst(app, "\r12\r")
        await settle(pilot)
        assert app.screen is picker
        assert picker.query_one("#picker-search", Input).value == "кофе"
        assert added == [] and bells


async def test_keys_after_an_enter_on_an_empty_list_go_nowhere(store: Store) -> None:
    """The list has the focus (a click) but no rows; Enter, "5", Enter in one read: nothing to add,
    so the keys typed for a dialog are dropped with a bell, not typed into the search."""
    added: list[tuple[str, Decimal]] = []
    app = picker_app(store, added)
    bells: list[None] = []
    app.bell = lambda: bells.append(None)  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press(*"жжж")
        await settle(pilot)
        picker = app.screen
        table = picker.query_one("#picker-table", DataTable)
        assert table.row_count == 0
        await pilot.click("#picker-table")
        await settle(pilot)
        assert picker.focused is table
        burst(app, "\r5\r")
        await settle(pilot)
        assert app.screen is picker
        assert picker.query_one("#picker-search", Input).value == "жжж"
        assert added == [] and bells


async def test_a_read_that_comes_while_the_dialog_opens_goes_into_it(store: Store) -> None:
    """The list's Enter came alone in one read and has been handled (the hold behind it is over,
    nothing waited); the next read ("5", Enter) comes as the dialog is on the screen stack but its
    input has not the focus yet. The 5 is the dialog's: it waits for the input like held keys do
    (it was lost, and the dialog's Enter then added the default quantity 1)."""
    added: list[tuple[str, Decimal]] = []
    app = picker_app(store, added)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press(*"кофе", "down")
        await settle(pilot)
        burst(app, "\r")
        for _ in range(1000):
            if isinstance(app.screen, QuantityScreen):
                break
            await asyncio.sleep(0)
        assert isinstance(app.screen, QuantityScreen) and app.screen.focused is None  # the moment tested
        burst(app, "5\r")
        await settle(pilot)
        assert isinstance(app.screen, PickerScreen)
        assert added == [(COFFEE_JACOBS, Decimal(5))]


@pytest.mark.parametrize("turns", [1, 2])
@pytest.mark.parametrize("chunk", [1, 2, 3, 6])
@pytest.mark.parametrize(("raw", "row"), [("\x1b[B\r4\r", 1), ("\x1b[B\x1b[B\r4\r", 2), ("\x1b[B\x1b[B\x1b[A\r4\r", 1)],
                         ids=["down", "down-down", "down-down-up"])
async def test_arrows_and_enter_on_the_list_add_the_row_the_arrows_reached(
        store: Store, raw: str, row: int, chunk: int, turns: int) -> None:
    """The list has the focus; ↓, Enter, "4", Enter in one go: the row added is the one ↓ moved to.
    The arrows are the table's bindings, which ran only once the key had bubbled up to the app,
    after the Enter (taken in the list's own queue) had added the row they were moving from: the
    first coffee went on the invoice instead of the second. Found walking the demo in tmux."""
    added: list[tuple[str, Decimal]] = []
    app = picker_app(store, added)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down")  # the whole catalog, by name
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, PickerScreen)
        table = picker.query_one("#picker-table", DataTable)
        assert picker.focused is table and table.cursor_row == 0
        expected = store.picker_search(WAREHOUSES[0][0], PRICE_TYPES[0][0], "")[row].code
        await trickle(app, raw, chunk, turns)
        await settle(pilot)
        assert app.screen is picker
        assert added == [(expected, Decimal(4))]


async def test_a_quantity_typed_after_down_in_one_burst_goes_to_the_next_line(store: Store) -> None:
    """The shipment request form's ↓ moves to the next line's quantity; ↓ 3 in one read put the 3
    in the line it left (the move was a binding that ran only after the 3 had been inserted)."""
    from tests.seed import INVOICE_ID, mark_posted, seed_client, seed_invoice
    from tui_crm.screens.order import OrderScreen
    from tui_crm.screens.shipment_request import ShipmentRequestScreen

    seed_client(store)
    seed_invoice(store)  # lines of 10, 4 and 2.5
    mark_posted(store)
    app = screen_app(store, lambda s: OrderScreen(s, INVOICE_ID))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ShipmentRequestScreen)
        burst(app, "\x1b[B3\x1b[B1\x1b[A\x7f2")  # ↓ 3 ↓ 1 ↑ Backspace 2
        await settle(pilot)
        assert [form.query_one(f"#sr-qty-{n}", Input).value for n in (1, 2, 3)] == ["10", "2", "1"]
