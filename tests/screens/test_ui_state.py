"""The theme and the interface language are remembered, and the language switches while running
(issue 11): from the command palette, on every screen of the stack, saved beside the store."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import DataTable, Footer, Label

from tests.seed import FROZEN_NOW, seeded_store, settle
from tui_crm.app import CrmApp
from tui_crm.config import (
    Settings,
    UiSettings,
    load_ui_state,
    save_ui_state,
    ui_choices,
    ui_state_path,
)
from tui_crm.i18n import language, set_language, tr
from tui_crm.screens.clients import ClientsScreen
from tui_crm.screens.products import ProductsScreen
from tui_crm.store import Store

SIZE = (110, 30)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = seeded_store(tmp_path / "crm.duckdb")
    yield s
    s.close()


@pytest.fixture(autouse=True)
def _english(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("TUI_CRM_LANG", raising=False)
    set_language("en")
    yield
    set_language("en")


def settings_for(tmp_path: Path, **ui: str) -> Settings:
    return Settings(ui=UiSettings(**ui), store_path=tmp_path / "crm.duckdb")


def start(store: Store, settings: Settings, theme_flag: str | None = None) -> CrmApp:
    """What `tui-crm run` does with the settings (cli._run_tui), without a terminal."""
    lang, theme, state = ui_choices(settings, theme_flag)
    set_language(lang)
    return CrmApp(store, None, clock=lambda: FROZEN_NOW, live_clock=False, theme=theme, ui_state=state)


async def palette(pilot, text: str) -> None:
    await pilot.press("ctrl+p")
    await settle(pilot)
    await pilot.press(*text)
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)


def footer_text(app: CrmApp) -> str:
    footer = app.screen.query_one(Footer)
    return " ".join(str(key.render()) for key in footer.query("FooterKey"))


async def test_the_theme_chosen_in_the_palette_is_used_next_time(store: Store, tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    app = start(store, settings)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.theme == "textual-dark"
        await palette(pilot, "Theme: nord")
        assert app.theme == "nord"
    assert json.loads(ui_state_path(settings.store_path).read_text(encoding="utf-8")) == {"theme": "nord"}
    again = start(store, settings)
    async with again.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert again.theme == "nord"
    flagged = start(store, settings, theme_flag="gruvbox")  # --theme still wins for one run
    async with flagged.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert flagged.theme == "gruvbox"
    assert load_ui_state(ui_state_path(settings.store_path)).theme == "nord"  # a flag is not a choice


async def test_language_switches_from_the_palette_on_every_screen_and_is_remembered(
    store: Store, tmp_path: Path
) -> None:
    settings = settings_for(tmp_path, language="en")
    app = start(store, settings)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        clients = app.screen
        assert isinstance(clients, ClientsScreen)
        await pilot.press("f8")
        await settle(pilot)
        products = app.screen
        assert isinstance(products, ProductsScreen)
        assert "Help" in footer_text(app)
        english_placeholder = clients.query_one("#search").placeholder
        await palette(pilot, "Язык")  # the command names Russian in Russian
        assert language() == "ru"
        # the screen on top: title, footer, table headers
        assert products.title == "Товары"
        assert "Справка" in footer_text(app) and "Help" not in footer_text(app)
        headers = [c.label.plain for c in products.query_one(DataTable).ordered_columns]
        assert headers[:2] == ["Код", "Наименование"]
        # the screen under it too
        await pilot.press("escape")
        await settle(pilot)
        app.action_clients()
        await settle(pilot)
        assert app.screen is clients
        assert clients.title == "Клиенты"
        assert str(clients.query_one("#title", Label).render()) == "Клиенты"
        assert "Клиент" in [c.label.plain for c in clients.query_one(DataTable).ordered_columns]
        assert "Справка" in footer_text(app)
        assert clients.query_one("#search").placeholder == tr("clients.search") != english_placeholder
        # and back: the command now names English in English
        await palette(pilot, "Interface language")
        assert language() == "en" and clients.title == "Clients" and "Help" in footer_text(app)
        await palette(pilot, "Язык")
    assert load_ui_state(ui_state_path(settings.store_path)).language == "ru"
    set_language("en")
    again = start(store, settings)  # config says en; the choice made in the app wins
    async with again.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert language() == "ru" and again.screen.title == "Клиенты"


@pytest.mark.parametrize("content", [
    "{not json", "[]", '"ru"', '{"language": "fr", "theme": 7}', '{"theme": "x\\u001b[31m"}', "\udcff",
    '{"language": null}',
])
def test_a_malformed_state_file_is_ignored_and_rewritten(tmp_path: Path, content: str) -> None:
    settings = settings_for(tmp_path, language="en", theme="monokai")
    path = ui_state_path(settings.store_path)
    path.write_bytes(content.encode("utf-8", "surrogateescape"))
    assert ui_choices(settings) == ("en", "monokai", path)  # the config decides, no traceback
    assert save_ui_state(path, language="ru") is None
    assert json.loads(path.read_text(encoding="utf-8")) == {"language": "ru"}
    assert ui_choices(settings)[:2] == ("ru", "monokai")


def test_one_choice_keeps_the_other_and_a_failed_write_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "ui-state.json"
    assert save_ui_state(path, theme="nord") is None
    assert save_ui_state(path, language="ru") is None
    assert json.loads(path.read_text(encoding="utf-8")) == {"theme": "nord", "language": "ru"}
    blocked = tmp_path / "file" / "ui-state.json"
    (tmp_path / "file").write_text("not a folder", encoding="utf-8")
    problem = save_ui_state(blocked, theme="nord")
    assert problem is not None and str(blocked) in problem
