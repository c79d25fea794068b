"""The picker's keyboard and focus (issue 11, item 6): Enter in the search adds, the query is typed
over after an add, no key is lost whatever has focus, and the focus is visible."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from textual import events
from textual.app import App
from textual.widgets import DataTable, Input

from tests.clock import TestClock
from tests.seed import PRICE_TYPES, WAREHOUSES, screen_app, seed_store, settle
from tui_crm.screens.forms import QuantityScreen
from tui_crm.screens.picker import PickerScreen
from tui_crm.store import Store

SIZE = (110, 32)
MILK_2 = "00-00000002"  # Молоко Домик в деревне (the first "молоко" by name)
COFFEE_JACOBS = "00-00000004"  # Кофе Jacobs (the first "кофе" by name)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "crm.duckdb", clock=TestClock())
    seed_store(s)
    yield s
    s.close()


def picker_app(store: Store, added: list[tuple[str, Decimal]]) -> App:
    return screen_app(store, lambda s: PickerScreen(
        s, WAREHOUSES[0][0], PRICE_TYPES[0][0], on_add=lambda r, q: added.append((r.code, q))))


def search_of(app: App) -> Input:
    return app.screen.query_one("#picker-search", Input)


async def test_enter_in_the_search_adds_the_first_row_then_the_query_is_typed_over(store: Store) -> None:
    added: list[tuple[str, Decimal]] = []
    app = picker_app(store, added)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press(*"молоко", "enter")
        await settle(pilot)
        assert isinstance(app.screen, QuantityScreen) and app.screen.row.code == MILK_2
        await pilot.press("enter")  # quantity 1
        await settle(pilot)
        assert isinstance(app.screen, PickerScreen)
        assert added == [(MILK_2, Decimal(1))]
        search = search_of(app)
        assert app.screen.focused is search
        assert search.selected_text == "молоко"  # the whole query, so typing replaces it
        await pilot.press(*"кофе")
        await settle(pilot)
        assert search.value == "кофе"
        await pilot.press("enter", "2", "enter")  # Enter again: the first coffee, quantity 2
        await settle(pilot)
        assert added[-1] == (COFFEE_JACOBS, Decimal(2))
        await pilot.press("backspace", *"чай")  # always replaced, not only sometimes
        await settle(pilot)
        assert search.value == "чай"


async def test_enter_in_the_search_adds_the_highlighted_row(store: Store) -> None:
    added: list[tuple[str, Decimal]] = []
    app = picker_app(store, added)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press(*"кофе")
        await settle(pilot)
        app.screen.query_one("#picker-table", DataTable).move_cursor(row=1)
        await pilot.press("enter", "enter")
        await settle(pilot)
        assert added == [("00-00000003", Decimal(1))]  # Кофе Жокей, the second row


async def test_enter_typed_before_the_rows_arrive_adds_the_row_of_the_new_text(store: Store) -> None:
    added: list[tuple[str, Decimal]] = []
    app = picker_app(store, added)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press(*"сыр", "enter")  # no waiting for the search between the keys
        await settle(pilot)
        assert isinstance(app.screen, QuantityScreen) and app.screen.row.code == "00-00000006"


async def test_keys_typed_in_the_list_go_on_into_the_search(store: Store) -> None:
    app = picker_app(store, [])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press(*"кофе")
        await settle(pilot)
        await pilot.press("down")
        table = app.screen.query_one("#picker-table", DataTable)
        assert app.screen.focused is table
        await pilot.press(*" жокей")  # several keys in a row, none lost or overwritten
        await settle(pilot)
        search = search_of(app)
        assert app.screen.focused is search
        assert search.value == "кофе жокей"
        assert table.row_count == 1


async def test_keys_typed_while_the_picker_opens_are_kept(store: Store) -> None:
    """Keys that arrive before the picker has mounted wait in the screen's queue and reach the
    screen itself, not the box; they used to be dropped there (only keys from the list were
    passed on)."""
    app = picker_app(store, [])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.pop_screen()
        await settle(pilot)
        app.push_screen(PickerScreen(store, WAREHOUSES[0][0], PRICE_TYPES[0][0]))  # not awaited
        for ch in "сыр":  # as a terminal delivers them: queued at once, before the picker is up
            app.post_message(events.Key(ch, ch))
        await settle(pilot)
        assert isinstance(app.screen, PickerScreen)
        assert search_of(app).value == "сыр"
        assert app.screen.query_one("#picker-table", DataTable).row_count == 1


async def test_focus_is_visible_on_the_search_and_on_the_list(store: Store) -> None:
    app = picker_app(store, [])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        search = search_of(app)
        table = app.screen.query_one("#picker-table", DataTable)

        def looks() -> tuple[object, object]:
            return (search.styles.border_top, table.get_component_styles("datatable--header").background)

        focused_search = looks()
        await pilot.press("down")
        await pilot.pause()
        assert app.screen.focused is table
        focused_table = looks()
        assert focused_search[0] != focused_table[0]  # the search's frame changes with its focus
        assert focused_search[1] != focused_table[1]  # the table's header lights up with its focus


async def test_a_query_longer_than_the_box_scrolls_to_the_cursor_and_back(store: Store) -> None:
    """The search box takes no screen layout per keystroke (`SearchInput`); a query wider than the
    box still scrolls so the cursor and the last letters typed stay in view, and Home shows the
    start again."""
    added: list[tuple[str, Decimal]] = []
    app = picker_app(store, added)
    words = "кофе молотый арабика " * 5  # 104 characters, the box is ~90 wide
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press(*[ch if ch != " " else "space" for ch in words.strip()], "x", "y", "z")
        await settle(pilot)
        search = search_of(app)
        painted = "".join(seg.text for seg in search.render_line(0))
        assert search.value.endswith("арабикаxyz") and "арабикаxyz" in painted
        assert search.scroll_offset.x > 0
        await pilot.press("home")
        await settle(pilot)
        painted = "".join(seg.text for seg in search.render_line(0))
        assert search.scroll_offset.x == 0 and painted.strip().startswith("кофе молотый")


async def test_arrows_typed_ahead_from_the_search_move_the_list_before_enter(store: Store) -> None:
    """↓ ↓ ↓ Enter as a terminal over SSH delivers them (queued at once): the first ↓ goes to the
    list, the next two move down it, Enter asks the quantity of the THIRD row. The focus moves a
    message later, so the two arrows used to reach the search box and be lost, and Enter added
    the first row: a wrong product on the invoice."""
    app = picker_app(store, [])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, PickerScreen)
        assert picker.query_one("#picker-table", DataTable).row_count >= 3
        third = picker._product_at(2)
        driver = app._driver
        assert driver is not None
        for key in ("down", "down", "down", "enter"):  # as Pilot.press sends them, without its waits
            event = events.Key(key, None if key == "down" else "\r")
            event.set_sender(app)
            driver.send_message(event)
        for _ in range(20):  # the keys go through the driver's queue: until the dialog is up
            await settle(pilot)
            if isinstance(app.screen, QuantityScreen):
                break
        assert isinstance(app.screen, QuantityScreen)
        assert app.screen.row.product_id == third


async def test_a_quantity_typed_ahead_of_its_dialog_goes_into_it(store: Store) -> None:
    """"кофе", Enter, 5, Enter in one burst (over SSH): the 5 and the second Enter belong to the
    quantity dialog the first Enter opens. They used to reach the search box before the dialog
    was up: the search became "кофе5" and nothing was added."""
    added: list[tuple[str, Decimal]] = []
    app = picker_app(store, added)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press(*"кофе")
        await settle(pilot)
        driver = app._driver
        assert driver is not None
        for key, char in (("enter", None), ("5", "5"), ("enter", None)):
            event = events.Key(key, char)
            event.set_sender(app)
            driver.send_message(event)
        for _ in range(20):  # the keys go through the driver's queue: until the line is added
            await settle(pilot)
            if added:
                break
        assert added == [(COFFEE_JACOBS, Decimal(5))]
        assert isinstance(app.screen, PickerScreen)
        assert search_of(app).value == "кофе"


async def test_enter_before_the_rows_then_a_quantity_all_typed_ahead(store: Store) -> None:
    """The whole line in one burst, the search's answer not in yet: "кофе", Enter, 3, Enter.
    Enter waits for the rows of "кофе" and the keys after it wait with it."""
    added: list[tuple[str, Decimal]] = []
    app = picker_app(store, added)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        driver = app._driver
        assert driver is not None
        for key, char in [*((c, c) for c in "кофе"), ("enter", None), ("3", "3"), ("enter", None)]:
            event = events.Key(key, char)
            event.set_sender(app)
            driver.send_message(event)
        for _ in range(20):
            await settle(pilot)
            if added:
                break
        assert added == [(COFFEE_JACOBS, Decimal(3))]
        assert search_of(app).value == "кофе"


async def test_keys_after_an_enter_that_opens_nothing_go_back_into_the_search(store: Store) -> None:
    """Enter with no rows opens no dialog: the keys typed after it are not lost, they go on into
    the search box in order."""
    app = picker_app(store, [])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press(*"zzz")
        await settle(pilot)
        driver = app._driver
        assert driver is not None
        for key, char in (("enter", None), ("q", "q"), ("w", "w")):
            event = events.Key(key, char)
            event.set_sender(app)
            driver.send_message(event)
        for _ in range(20):
            await settle(pilot)
            if search_of(app).value == "zzzqw":
                break
        assert isinstance(app.screen, PickerScreen)
        assert search_of(app).value == "zzzqw"


async def test_arrows_and_enter_typed_ahead_of_the_rows_count_on_the_new_rows(store: Store) -> None:
    """"кофе", ↓, ↓, Enter in one burst, the search's answer not in yet: the arrows count on the
    rows of "кофе" (to the list, one down), not on the rows that were on screen before."""
    app = picker_app(store, [])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, PickerScreen)
        driver = app._driver
        assert driver is not None
        for key, char in [*((c, c) for c in "кофе"), ("down", None), ("down", None), ("enter", None)]:
            event = events.Key(key, char)
            event.set_sender(app)
            driver.send_message(event)
        for _ in range(20):
            await settle(pilot)
            if isinstance(app.screen, QuantityScreen):
                break
        assert isinstance(app.screen, QuantityScreen)
        assert picker.shown_text == "кофе"
        assert app.screen.row.product_id == picker._product_at(1)
