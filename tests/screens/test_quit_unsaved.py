"""Ctrl+Q / F10 never loses typed work: with an unsaved edit on any open screen the app asks
first; the safe answer (keep editing, also Esc) keeps everything, "d" quits without saving.
Before, Ctrl+Q closed the app at once and a half-written invoice was gone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Input

from tests.seed import FROZEN_NOW, seeded_store, settle
from tui_crm.app import CrmApp
from tui_crm.i18n import set_language
from tui_crm.screens.client_card import ClientCardScreen
from tui_crm.store import Store
from tui_crm.widgets.confirm import ConfirmModal


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


def make_app(store: Store) -> CrmApp:
    return CrmApp(store, None, clock=lambda: FROZEN_NOW, live_clock=False)


async def _typed_new_client(pilot) -> ClientCardScreen:
    await settle(pilot)
    await pilot.press("f2")  # a new client's card
    await settle(pilot)
    card = pilot.app.screen
    assert isinstance(card, ClientCardScreen)
    card.query_one("#name", Input).focus()
    await pilot.press(*"ООО Недописанный")
    await settle(pilot)
    assert card.has_unsaved_changes()
    return card


@pytest.mark.parametrize("key", ["ctrl+q", "f10"])
async def test_quit_with_unsaved_edits_asks_and_keeps_them(store: Store, key: str) -> None:
    app = make_app(store)
    async with app.run_test(size=(100, 30)) as pilot:
        card = await _typed_new_client(pilot)
        await pilot.press(key)
        await settle(pilot)
        assert app.is_running and isinstance(app.screen, ConfirmModal)
        await pilot.press("escape")  # the safe answer
        await settle(pilot)
        assert app.is_running and app.screen is card
        assert card.query_one("#name", Input).value == "ООО Недописанный"
        await pilot.press(key)
        await settle(pilot)
        await pilot.press(key)  # a second Ctrl+Q while asking does not quit either
        await settle(pilot)
        assert app.is_running and isinstance(app.screen, ConfirmModal)
        await pilot.press("d")
        await settle(pilot)
        assert not app.is_running


async def test_quit_with_nothing_unsaved_quits_at_once(store: Store) -> None:
    app = make_app(store)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert not app.is_running


def _buttons(app: CrmApp) -> list[str]:
    from textual.widgets import Button

    assert isinstance(app.screen, ConfirmModal)
    return [str(b.label) for b in app.screen.query(Button)]


async def test_the_quit_and_the_cards_discard_questions_show_their_keys(store: Store) -> None:
    """The invoice's question said "Save (s)"; the card's and the quit question's buttons named no
    key, so a keyboard operator had to guess (and F2, Save on the card, was tried). Every
    confirm dialog now shows the key of each answer, one way."""
    app = make_app(store)
    async with app.run_test(size=(100, 30)) as pilot:
        await _typed_new_client(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert _buttons(app) == ["Discard (d)", "Keep editing (esc)"]
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert _buttons(app) == ["Quit without saving (d)", "Keep editing (esc)"]
        await pilot.press("escape")
        await settle(pilot)
        set_language("ru")
        await pilot.press("escape")
        await settle(pilot)
        assert _buttons(app) == ["Отбросить (d)", "Продолжить (esc)"]
