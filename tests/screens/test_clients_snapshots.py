"""Snapshots of the clients list and the client card (seeded store, frozen clock, no network)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.seed import CLIENT_ROMASHKA, FROZEN_NOW, INN_ALFA, seeded_store, settle
from tui_crm.app import CrmApp
from tui_crm.i18n import set_language
from tui_crm.screens.client_card import ClientCardScreen
from tui_crm.store import Store

SIZE = (110, 30)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = seeded_store(tmp_path / "crm.duckdb")
    yield s
    s.close()


@pytest.fixture(autouse=True)
def _english_and_no_debounce(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(ClientCardScreen, "DUPLICATE_DELAY", 0.0)
    set_language("en")
    yield
    set_language("en")


def make_app(store: Store, lang: str = "en") -> CrmApp:
    set_language(lang)
    return CrmApp(store, None, clock=lambda: FROZEN_NOW, live_clock=False)


def test_clients_list(snap_compare, store: Store) -> None:
    assert snap_compare(make_app(store), terminal_size=SIZE, run_before=settle)


def test_clients_filtered_by_phone(snap_compare, store: Store) -> None:
    """`8 (912) 345-67` finds the client stored as +79123456789."""

    async def run_before(pilot) -> None:
        await settle(pilot)
        pilot.app.screen.query_one("#search").value = "8 (912) 345-6"
        await pilot.press("7")  # the last key typed for real
        await settle(pilot)

    assert snap_compare(make_app(store), terminal_size=SIZE, run_before=run_before)


def test_clients_list_in_russian(snap_compare, store: Store) -> None:
    assert snap_compare(make_app(store, "ru"), terminal_size=SIZE, run_before=settle)


def test_client_card_new_empty(snap_compare, store: Store) -> None:
    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)

    assert snap_compare(make_app(store), terminal_size=SIZE, run_before=run_before)


def test_client_card_validation_errors(snap_compare, store: Store) -> None:
    """A wrong ИНН check digit, a missing КПП and a broken e-mail, shown after F2 (save)."""

    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        card = pilot.app.screen
        card.query_one("#name").value = "Ромашка-2"
        card.query_one("#inn").value = "7707083894"
        card.query_one("#email").value = "zakaz@"
        await pilot.press("f2")
        await settle(pilot)

    assert snap_compare(make_app(store), terminal_size=SIZE, run_before=run_before)


def test_client_card_duplicate_warning(snap_compare, store: Store) -> None:
    """Typing an ИНН that accounting already has warns with the counterparty's name."""

    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        card = pilot.app.screen
        card.query_one("#name").value = "Альфа"
        card.query_one("#inn").cursor_blink = False  # the snapshot must not catch a blink phase
        card.query_one("#inn").focus()
        card.query_one("#inn").value = INN_ALFA[:-1]
        await pilot.press(INN_ALFA[-1])
        await settle(pilot)

    assert snap_compare(make_app(store), terminal_size=SIZE, run_before=run_before)


def test_client_card_existing(snap_compare, store: Store) -> None:
    async def run_before(pilot) -> None:
        await settle(pilot)
        pilot.app.open_client(CLIENT_ROMASHKA)
        await settle(pilot)

    assert snap_compare(make_app(store), terminal_size=SIZE, run_before=run_before)


def test_client_card_in_russian(snap_compare, store: Store) -> None:
    async def run_before(pilot) -> None:
        await settle(pilot)
        pilot.app.open_client(CLIENT_ROMASHKA)
        await settle(pilot)

    assert snap_compare(make_app(store, "ru"), terminal_size=SIZE, run_before=run_before)


def test_client_card_invoices_tab(snap_compare, store: Store) -> None:
    async def run_before(pilot) -> None:
        await settle(pilot)
        pilot.app.open_client(CLIENT_ROMASHKA)
        await settle(pilot)
        await pilot.press("alt+2")
        await settle(pilot)

    assert snap_compare(make_app(store), terminal_size=SIZE, run_before=run_before)


def test_client_card_failed_sync_in_russian(snap_compare, store: Store) -> None:
    """A client accounting refused shows 1C's reason next to its state."""
    from tests.seed import CLIENT_STROY

    async def run_before(pilot) -> None:
        await settle(pilot)
        pilot.app.open_client(CLIENT_STROY)
        await settle(pilot)

    assert snap_compare(make_app(store, "ru"), terminal_size=SIZE, run_before=run_before)
