"""The client card's Extra tab, driven by keys: fields generated from the profile, checked as
typed, saved with the client (and queued), the reference picked from the mirrored catalog, the
unsaved-changes guard; and the clients list filtered by a field."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Button, Checkbox, Input, Label

from tests.custom.kit import BUILDING, RETAIL, all_kinds, mirror_industries
from tests.seed import CLIENT_ROMASHKA, CLIENT_STROY, FROZEN_NOW, seeded_store, settle
from tui_crm.app import CrmApp
from tui_crm.i18n import set_language
from tui_crm.screens.client_card import ClientCardScreen
from tui_crm.screens.clients import ClientsScreen
from tui_crm.screens.custom_fields import CatalogItemPicker
from tui_crm.store import Store
from tui_crm.widgets.confirm import ConfirmModal

SIZE = (100, 30)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = seeded_store(tmp_path / "crm.duckdb")
    mirror_industries(s)
    yield s
    s.close()


@pytest.fixture(autouse=True)
def _english(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(ClientCardScreen, "DUPLICATE_DELAY", 0.0)
    set_language("en")
    yield
    set_language("en")


def make_app(store: Store) -> CrmApp:
    return CrmApp(store, None, clock=lambda: FROZEN_NOW, live_clock=False, custom_fields=all_kinds())


def _outbox(store: Store) -> list[tuple[object, ...]]:
    return store.db.cursor().execute("SELECT kind, object_id, state FROM outbox ORDER BY id").fetchall()


async def _open_extra(pilot, client_id: str = CLIENT_ROMASHKA) -> ClientCardScreen:  # type: ignore[no-untyped-def]
    await settle(pilot)
    pilot.app.open_client(client_id)
    await settle(pilot)
    await pilot.press("alt+3")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ClientCardScreen)
    return screen


async def _type(pilot, widget_id: str, text: str) -> None:  # type: ignore[no-untyped-def]
    field = pilot.app.screen.query_one(f"#{widget_id}", Input)
    field.focus()
    field.value = ""
    await pilot.press(*text) if text else None
    await settle(pilot)


def _error(screen: ClientCardScreen, name: str) -> str:
    return str(screen.query_one(f"#cferror-{name}", Label).content)


async def test_bad_values_are_refused_in_words_and_change_nothing(store: Store) -> None:
    before_custom, before_outbox = store.client_custom_values(CLIENT_ROMASHKA), _outbox(store)
    async with make_app(store).run_test(size=SIZE) as pilot:
        card = await _open_extra(pilot)
        await _type(pilot, "cf-branch_code", "ABCDEFGHIJK")      # 11 > 10
        await _type(pilot, "cf-staff", "12.5")                   # a whole number is wanted
        await _type(pilot, "cf-since", "31.02.2026")             # no such day
        assert "at most 10 characters" in _error(card, "branch_code")
        assert "whole number" in _error(card, "staff")
        assert "not valid" in _error(card, "since")
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ClientCardScreen)
        await _type(pilot, "cf-staff", "0")
        assert "from 1 to 10" in _error(card, "staff")
        await pilot.press("f2")
        await settle(pilot)
    assert store.client_custom_values(CLIENT_ROMASHKA) == before_custom
    assert _outbox(store) == before_outbox


async def test_fields_are_saved_typed_and_queued(store: Store) -> None:
    async with make_app(store).run_test(size=SIZE) as pilot:
        card = await _open_extra(pilot)
        await _type(pilot, "cf-branch_code", "N-01")
        await _type(pilot, "cf-staff", "250")
        await _type(pilot, "cf-since", "01.03.2025")
        card.query_one("#cf-vip", Checkbox).focus()
        await pilot.press("space")
        # the reference: enter opens the picker over the mirrored catalog; type, enter picks
        card.query_one("#cf-industry", Button).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, CatalogItemPicker)
        await pilot.press(*"строит", "enter")
        await settle(pilot)
        assert pilot.app.screen is card
        assert str(card.query_one("#cf-industry", Button).label) == "Строительство"
        assert card.dirty
        await pilot.press("f2")
        await settle(pilot)
        assert not card.dirty
    assert store.client_custom_values(CLIENT_ROMASHKA) == {
        "branch_code": "N-01", "industry": BUILDING, "staff": "250", "since": "2025-03-01", "vip": True}
    assert ("client", CLIENT_ROMASHKA, "pending") in _outbox(store)


async def test_clearing_a_reference_and_escape_asks_before_losing_edits(store: Store) -> None:
    store.set_custom("client", CLIENT_ROMASHKA, {"industry": RETAIL, "staff": "5"})
    async with make_app(store).run_test(size=SIZE) as pilot:
        card = await _open_extra(pilot)
        assert str(card.query_one("#cf-industry", Button).label) == "Розничная торговля"
        assert card.query_one("#cf-staff", Input).value == "5"
        assert not card.dirty
        card.query_one("#cf-industry", Button).focus()
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("up", "enter")  # the first row clears the field
        await settle(pilot)
        assert card.dirty
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ConfirmModal)
        await pilot.press("escape")  # keep editing
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
    assert store.client_custom_values(CLIENT_ROMASHKA)["industry"] is None


async def test_clients_list_filters_by_a_field(store: Store) -> None:
    store.set_custom("client", CLIENT_ROMASHKA, {"industry": RETAIL, "staff": "5"})
    store.set_custom("client", CLIENT_STROY, {"industry": BUILDING, "staff": "40"})
    async with make_app(store).run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, ClientsScreen)
        search = screen.query_one("#search", Input)
        for text, expected in (("industry=строит", [CLIENT_STROY]), ("staff>10", [CLIENT_STROY]),
                               ("staff<10", [CLIENT_ROMASHKA])):
            search.value = text
            await settle(pilot)
            assert [r.id for r in screen._rows] == expected, text
        search.value = "vip=maybe"
        await settle(pilot)
        assert "field=yes or field=no" in str(screen.query_one("#hint", Label).content)


async def test_f1_help_on_the_clients_list_explains_the_field_filter(store: Store) -> None:
    from textual.widgets import Static

    from tui_crm.screens.help import HelpScreen

    async with make_app(store).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(pilot.app.screen, HelpScreen)
        notes = " ".join(str(s.content) for s in pilot.app.screen.query(".help-note").results(Static))
        assert "field>N" in notes and "industry (Industry)" in notes


async def test_invoice_extra_fields_are_checked_kept_and_saved_with_the_invoice(store: Store) -> None:
    from tests.custom.kit import example_fields
    from tests.seed import INVOICE_ID, seed_invoice
    from tui_crm.screens.custom_fields import ExtraFieldsModal

    seed_invoice(store)
    app = CrmApp(store, None, clock=lambda: FROZEN_NOW, live_clock=False, custom_fields=example_fields())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.open_invoice(INVOICE_ID)
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, ExtraFieldsModal)
        await pilot.press(*"31.02.2026", "f2")  # no such day: the dialog stays and says why
        await settle(pilot)
        assert isinstance(app.screen, ExtraFieldsModal)
        assert "not valid" in str(app.screen.query_one("#cferror-delivery_date", Label).content)
        field = app.screen.query_one("#cf-delivery_date", Input)
        field.value = ""
        await pilot.press(*"05.12.2026", "f2")
        await settle(pilot)
        assert not isinstance(app.screen, ExtraFieldsModal)
        assert "05.12.2026" in str(app.screen.query_one("#inv-extra", Label).content)
        assert store.invoice_custom_values(INVOICE_ID) == {}  # kept on screen, not saved yet
        await pilot.press("f2")
        await settle(pilot)
    assert store.invoice_custom_values(INVOICE_ID) == {"delivery_date": "2026-12-05"}
