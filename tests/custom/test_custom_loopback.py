"""The issue's "done when": a client card with two custom fields round-trips them through the
sandbox over real loopback HTTP — typed on the card, pushed, changed in accounting, pulled,
shown on the card."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Button, Input

from onec_sandbox.extra import add_items, install, item_key, load
from onec_sandbox.server import RunningSandbox, start_in_thread
from onec_sandbox.state import SandboxState
from tests.clock import TestClock
from tests.custom.kit import EXTRA, PROFILE
from tests.seed import settle
from tests.sync.sandbox_kit import new_client
from tui_crm.app import CrmApp
from tui_crm.config import AccountingSettings
from tui_crm.i18n import set_language
from tui_crm.screens.client_card import ClientCardScreen
from tui_crm.store import Store
from tui_crm.sync.profile import load_profile
from tui_crm.sync.service import SyncService, client_from_settings

CP = "Catalog_Контрагенты"
INDUSTRIES = "Catalog_Отрасли"


@pytest.fixture
def sandbox() -> Iterator[tuple[RunningSandbox, SandboxState]]:
    extra = load(EXTRA)
    undo = install(extra)
    state = SandboxState.seeded(products=20, warehouses=2, seed=7)
    add_items(state, extra)
    running = start_in_thread(state, port=0, base="demo")
    try:
        yield running, state
    finally:
        running.stop()
        undo()


async def test_card_custom_fields_round_trip_through_the_sandbox(
        sandbox: tuple[RunningSandbox, SandboxState], tmp_path: Path) -> None:
    running, state = sandbox
    set_language("en")
    store = Store.open(tmp_path / "crm.duckdb", clock=TestClock())
    service = SyncService(store, client_from_settings(AccountingSettings(url=running.base_url, timeout=10)),
                          profile=load_profile(str(PROFILE)))
    client = new_client("ООО «Полюс»", inn="7736050003")
    store.save_client(client)
    app = CrmApp(store, service, pull_seconds=3600, autosync=False)
    try:
        async with app.run_test(size=(110, 30)) as pilot:
            await service.pull_now(full=True)  # the industries catalog reaches the mirror
            app.open_client(client.id)
            await settle(pilot)
            card = app.screen
            assert isinstance(card, ClientCardScreen)
            await pilot.press("alt+3")
            await settle(pilot)
            await pilot.press(*"MSK-7")
            card.query_one("#cf-industry", Button).focus()
            await pilot.press("enter")
            await settle(pilot)
            await pilot.press(*"опт", "enter")
            await settle(pilot)
            await pilot.press("f2")
            await settle(pilot)
            await service.push_now()
            wholesale = item_key(INDUSTRIES, "Оптовая торговля")
            cp = state.get(CP, client.id)
            assert cp is not None
            assert (cp["КодФилиала"], cp["Отрасль_Key"]) == ("MSK-7", wholesale)

            # accounting edits both; the next pull shows them on the open card
            state.put(CP, dict(cp, КодФилиала="MSK-8", Отрасль_Key=item_key(INDUSTRIES, "Общепит")))
            await service.pull_now(full=True)
            await settle(pilot)
            assert card.query_one("#cf-branch_code", Input).value == "MSK-8"
            assert str(card.query_one("#cf-industry", Button).label) == "Общепит"
            assert not card.dirty
    finally:
        await service.aclose()
        store.close()
