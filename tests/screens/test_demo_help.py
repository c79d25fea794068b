"""The demo shows where accounting is inside the app (issue 11, item 14): a toast at start and a
section of F1 help with the sandbox URL and the clerk's commands, in both languages; without the
demo neither appears."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Static

from tests.seed import FROZEN_NOW, seeded_store, settle
from tui_crm.app import CrmApp
from tui_crm.i18n import set_language
from tui_crm.screens.help import HelpScreen
from tui_crm.store import Store

URL = "http://127.0.0.1:40123/demo/odata/standard.odata/"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = seeded_store(tmp_path / "crm.duckdb")
    yield s
    s.close()
    set_language("en")


@pytest.mark.parametrize(("lang", "words"), [("en", "another shell"), ("ru", "другом терминале")])
async def test_demo_url_and_clerk_commands_in_f1_help(store: Store, lang: str, words: str) -> None:
    app = CrmApp(store, None, clock=lambda: FROZEN_NOW, live_clock=False, language=lang, demo_url=URL)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        toasts = [str(n.message) for n in app._notifications]
        assert any(URL in t and "F1" in t for t in toasts), toasts
        await pilot.press("f1")
        await settle(pilot)
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        url = str(help_screen.query_one("#demo-url", Static).render())
        clerk = str(help_screen.query_one("#demo-clerk", Static).render())
        assert URL in url and "tui-crm sandbox orders" in clerk and words in clerk
        assert "␊" not in url + clerk


async def test_no_demo_section_without_the_demo(store: Store) -> None:
    app = CrmApp(store, None, clock=lambda: FROZEN_NOW, live_clock=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert not any("sandbox" in str(n.message) for n in app._notifications)
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen) and not app.screen.query("#demo-url")
