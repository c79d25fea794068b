"""Command palette: quick lookup of invoices and clients, screen actions and themes as commands."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.command import CommandList, CommandPalette

from tests.seed import CLIENT_ROMASHKA, FROZEN_NOW, seeded_store, settle
from tui_crm.app import CrmApp
from tui_crm.i18n import set_language
from tui_crm.screens.client_card import ClientCardScreen
from tui_crm.screens.commands import binding_commands
from tui_crm.store import Store

SIZE = (110, 30)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = seeded_store(tmp_path / "crm.duckdb")
    yield s
    s.close()


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    set_language("en")
    yield
    set_language("en")


def make_app(store: Store, lang: str = "en") -> CrmApp:
    set_language(lang)
    return CrmApp(store, None, clock=lambda: FROZEN_NOW, live_clock=False)


async def _palette_settle(pilot) -> None:
    """The palette searches in its own workers; wait for them and the list to render."""
    await settle(pilot)
    palette = pilot.app.screen
    if isinstance(palette, CommandPalette):
        for _ in range(20):
            await pilot.pause(0.02)
            if not palette._list_visible or palette.query_one("CommandList").option_count:
                break
        await settle(pilot)


def test_lookup_by_invoice_number(snap_compare, store: Store) -> None:
    """F4, then part of a 1C number: the invoice comes first, then clients whose phone has it."""

    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press(*"123")
        await _palette_settle(pilot)

    assert snap_compare(make_app(store), terminal_size=SIZE, run_before=run_before)


def test_palette_with_lookup_by_name(snap_compare, store: Store) -> None:
    """ctrl+p and a client's name: the lookup hit beside the commands that match."""

    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"ромаш")
        await _palette_settle(pilot)

    assert snap_compare(make_app(store), terminal_size=SIZE, run_before=run_before)


def test_palette_on_the_card_in_russian(snap_compare, store: Store) -> None:
    """The card's actions are palette commands, in the interface language."""

    async def run_before(pilot) -> None:
        await settle(pilot)
        pilot.app.open_client(CLIENT_ROMASHKA)
        await settle(pilot)
        await pilot.press("f12")
        await _palette_settle(pilot)

    assert snap_compare(make_app(store, "ru"), terminal_size=SIZE, run_before=run_before)


async def test_lookup_by_phone_opens_the_client(store: Store) -> None:
    async with make_app(store).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press(*"89123456789")
        await _palette_settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, ClientCardScreen)
        assert screen.client_id == CLIENT_ROMASHKA


async def test_every_card_action_is_a_command(store: Store) -> None:
    async with make_app(store).run_test(size=SIZE) as pilot:
        await settle(pilot)
        pilot.app.open_client(CLIENT_ROMASHKA)
        await settle(pilot)
        titles = {title for title, _help, _run in binding_commands(pilot.app.screen, pilot.app)}
        assert {"Save", "New invoice", "Send to accounting", "Close",
                "Details tab", "Invoices tab"} <= titles
        # what the card does not offer now (no duplicate, no company fields in the profile) is
        # not a command either: run from the palette it did nothing
        assert not {"Open duplicate", "Extra fields tab"} & titles
        app_titles = {title for title, _help, _run in binding_commands(pilot.app, pilot.app)}
        assert {"Help", "Find", "Sync now", "Sync log", "Products"} <= app_titles


async def test_theme_command_switches_theme(store: Store) -> None:
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"theme: nord")
        await _palette_settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert app.theme == "nord"


async def test_lookup_by_invoice_number_opens_the_posted_order(store: Store) -> None:
    from tests.seed import INVOICE_1
    from tui_crm.screens.order import OrderScreen

    async with make_app(store).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press(*"000123")
        await _palette_settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, OrderScreen)
        assert pilot.app.screen.invoice_id == INVOICE_1


async def test_lookup_shows_text_from_accounting_as_text(store: Store) -> None:
    """An ИНН that 1C holds with square brackets is help text of a hit, never markup: before,
    `[/]` ended the lookup's worker and `[@click=…]` made an action out of accounting's data."""
    with store.transaction() as cur:
        cur.execute("UPDATE clients SET inn = ? WHERE id = ?", ["77[/]07[@click=app.quit]x[/]", CLIENT_ROMASHKA])
    async with make_app(store).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press(*"89123456789")
        await _palette_settle(pilot)
        shown = " ".join(str(option.prompt) for option in pilot.app.screen.query("CommandList").first()._options)
        assert "77[/]07[@click=app.quit]x[/]" in shown
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ClientCardScreen)


@pytest.mark.parametrize("key", ["f4", "ctrl+p"])
async def test_nothing_found_is_said_in_the_interface_language(store: Store, key: str) -> None:
    """F4 or ctrl+p and a text nothing matches: Textual's own "No matches found" showed in Russian."""
    async with make_app(store, "ru").run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press(key)
        await settle(pilot)
        await pilot.press(*"qqqq")
        await _palette_settle(pilot)
        palette = pilot.app.screen
        assert isinstance(palette, CommandPalette)
        options = palette.query_one(CommandList)
        for _ in range(100):  # the palette says "nothing found" after a short countdown of its own
            if options.option_count:
                break
            await pilot.pause(0.02)
        shown = [str(options.get_option_at_index(i).prompt.renderable) for i in range(options.option_count)]
        assert shown == ["Ничего не найдено"]
