"""A list under a search box: what the operator types while the list has the focus goes into the
search, as the picker already did. On the clients list, typing a name after coming back from a card
(the focus is on the list then) did nothing, and the Enter that followed opened the highlighted
client, not the one typed; on the products list the text was lost the same way."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import DataTable, Input

from tests.seed import CLIENT_PETROVA, screen_app, seeded_store, settle
from tui_crm.screens.client_card import ClientCardScreen
from tui_crm.screens.clients import ClientsScreen
from tui_crm.screens.products import ProductsScreen
from tui_crm.store import Store

SIZE = (80, 24)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = seeded_store(tmp_path / "crm.duckdb")
    yield s
    s.close()


@pytest.mark.parametrize("lang", ["en", "ru"])
async def test_typing_on_the_clients_list_searches_and_enter_opens_the_typed_client(store: Store, lang: str) -> None:
    async with screen_app(store, lambda s: ClientsScreen(s), lang=lang).run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, ClientsScreen)
        table = screen.query_one("#clients", DataTable)
        table.focus()
        await pilot.pause()
        assert table.cursor_row == 0
        await pilot.press(*"Петрова")
        await settle(pilot)
        search = screen.query_one("#search", Input)
        assert search.value == "Петрова"
        assert pilot.app.focused is search
        await pilot.press("enter")
        await settle(pilot)
        card = pilot.app.screen
        assert isinstance(card, ClientCardScreen)
        assert card.client_id == CLIENT_PETROVA


async def test_digits_typed_on_the_clients_list_start_a_new_search_in_order(store: Store) -> None:
    """As F3 then typing: the old search is replaced, and every key of the burst is kept in order
    (Input selects all when the focus lands, after the first keys were already in)."""
    async with screen_app(store, lambda s: ClientsScreen(s)).run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = pilot.app.screen
        search = screen.query_one("#search", Input)
        search.value = "7"
        screen.query_one("#clients", DataTable).focus()
        await pilot.pause()
        await pilot.press(*"926")  # one burst, typed while the focus moves back to the box
        await settle(pilot)
        assert search.value == "926"


async def test_n_on_the_clients_list_still_makes_a_new_client(store: Store) -> None:
    async with screen_app(store, lambda s: ClientsScreen(s)).run_test(size=SIZE) as pilot:
        await settle(pilot)
        pilot.app.screen.query_one("#clients", DataTable).focus()
        await pilot.pause()
        await pilot.press("n")
        await settle(pilot)
        card = pilot.app.screen
        assert isinstance(card, ClientCardScreen)
        assert card.is_new


async def test_typing_on_the_products_list_searches(store: Store) -> None:
    async with screen_app(store, lambda s: ProductsScreen(s)).run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = pilot.app.screen
        table = screen.query_one("#products", DataTable)
        table.focus()
        await pilot.pause()
        await pilot.press(*"сосиски")
        await settle(pilot)
        search = screen.query_one("#search", Input)
        assert search.value == "сосиски"
        assert pilot.app.focused is search
