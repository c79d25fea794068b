"""Contacts from accounting on the screens (issue 11, item 1): a counterparty's phone in the
clients list, found by any form of it, its phone / e-mail / address on its card, and a new
client with that phone warned as a duplicate, like the same ИНН is."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import DataTable, Input

from tests.seed import FROZEN_NOW, seeded_store, settle
from tui_crm.app import CrmApp
from tui_crm.i18n import set_language
from tui_crm.screens.client_card import ClientCardScreen
from tui_crm.screens.clients import ClientsScreen
from tui_crm.store import Store

ALFA_PLUS = "e0000000-0000-0000-0000-00000000a1fa"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = seeded_store(tmp_path / "crm.duckdb")
    with s.transaction() as cur:  # as the reference pull writes it (COUNTERPARTY_COLUMNS)
        rows = list(cur.execute(
            "SELECT id, code, name, full_name, inn, kpp, legal_form, is_folder, deletion_mark, data_version, "
            "phones, email, address, comment, custom FROM counterparties").fetchall())
        rows.append((ALFA_PLUS, "00-000099", "ООО «АльфаПлюс»", "ООО «АльфаПлюс»", "7736050003", "773601001",
                     "ЮрЛицо", False, False, "v1", ["+79199695866"], "zakaz@alfaplus.ru",
                     "Москва, ул. Тверская, 7", "", "{}"))
        s.replace_counterparties(cur, rows)
    yield s
    s.close()


@pytest.fixture(autouse=True)
def _english(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(ClientCardScreen, "DUPLICATE_DELAY", 0.0)
    set_language("en")
    yield
    set_language("en")


def make_app(store: Store) -> CrmApp:
    return CrmApp(store, None, clock=lambda: FROZEN_NOW, live_clock=False)


@pytest.mark.parametrize("typed", ["+7 919 969 58 66", "89199695866", "969-58-66"])
async def test_list_finds_and_shows_the_phone_from_accounting(store: Store, typed: str) -> None:
    async with make_app(store).run_test(size=(110, 30)) as pilot:
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, ClientsScreen)
        screen.query_one("#search", Input).value = typed
        await settle(pilot)
        table = screen.query_one("#clients", DataTable)
        assert table.row_count == 1
        row = [str(c) for c in table.get_row_at(0)]
        assert "ООО «АльфаПлюс»" in row[0] and "+7 919 969-58-66" in row
        await pilot.press("enter")
        await settle(pilot)
        card = pilot.app.screen
        assert isinstance(card, ClientCardScreen) and card.client_id == ALFA_PLUS
        values = {f: card.query_one(f"#{f}", Input).value for f in ("phones", "email", "address")}
        assert values == {"phones": "+7 919 969-58-66", "email": "zakaz@alfaplus.ru",
                          "address": "Москва, ул. Тверская, 7"}


async def test_new_client_with_a_phone_accounting_has_is_warned(store: Store) -> None:
    async with make_app(store).run_test(size=(110, 30)) as pilot:
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        card = pilot.app.screen
        assert isinstance(card, ClientCardScreen)
        phones = card.query_one("#phones", Input)
        phones.focus()
        phones.value = "8 (919) 969-58-6"
        await pilot.press("6")
        await settle(pilot)
        assert [(h.id, h.reason, h.source) for h in card.duplicates] == [(ALFA_PLUS, "phone", "accounting")]
        assert "ООО «АльфаПлюс»" in str(card.query_one("#duplicates").content)
