"""App-wide pieces: F1 help, keys with ids and SSH-safe alternatives, sync events to toasts."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from textual.binding import Binding

from tests.seed import CLIENT_ROMASHKA, FROZEN_NOW, INVOICE_1, seeded_store, settle
from tui_crm import messages
from tui_crm.app import CrmApp
from tui_crm.i18n import set_language
from tui_crm.screens.client_card import ClientCardScreen
from tui_crm.screens.clients import ClientsScreen
from tui_crm.screens.help import HelpScreen, binding_rows
from tui_crm.screens.products import ProductsScreen
from tui_crm.store import Store
from tui_crm.widgets.confirm import ConfirmModal

SIZE = (110, 30)
# Keys terminals or multiplexers eat or alias (docs/architecture.md §2): never the only way to an action.
UNSAFE = {"ctrl+enter", "ctrl+j", "ctrl+o", "ctrl+s", "ctrl+i", "ctrl+m", "ctrl+h", "ctrl+b", "ctrl+a"}


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


def test_help_on_the_client_card(snap_compare, store: Store) -> None:
    async def run_before(pilot) -> None:
        await settle(pilot)
        pilot.app.open_client(CLIENT_ROMASHKA)
        await settle(pilot)
        await pilot.press("f1")
        await settle(pilot)

    assert snap_compare(make_app(store), terminal_size=SIZE, run_before=run_before)


def test_help_on_the_clients_list_in_russian(snap_compare, store: Store) -> None:
    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("f1")
        await settle(pilot)

    assert snap_compare(make_app(store, "ru"), terminal_size=SIZE, run_before=run_before)


@pytest.mark.parametrize("owner", [CrmApp, ClientsScreen, ClientCardScreen, HelpScreen, ConfirmModal])
def test_every_binding_has_an_id_and_a_safe_key(owner: type) -> None:
    for binding in Binding.make_bindings(owner.BINDINGS):
        assert binding.id, f"{owner.__name__}: {binding.key} → {binding.action} has no id"
    by_id: dict[str, set[str]] = {}
    for binding in Binding.make_bindings(owner.BINDINGS):
        by_id.setdefault(binding.id or "", set()).add(binding.key)
    for binding_id, keys in by_id.items():
        assert keys - UNSAFE, f"{binding_id} only has keys that are unsafe over SSH/tmux: {keys}"


async def test_help_lists_screen_and_global_keys(store: Store) -> None:
    async with make_app(store).run_test(size=SIZE) as pilot:
        await settle(pilot)
        pilot.app.open_client(CLIENT_ROMASHKA)
        await settle(pilot)
        card = pilot.app.screen
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(pilot.app.screen, HelpScreen)
        screen_rows = {d: k for k, d in binding_rows(card, pilot.app)}
        global_rows = {d: k for k, d in binding_rows(pilot.app, pilot.app)}
        assert screen_rows["Save"] == "f2 / alt+s"
        assert screen_rows["Send to accounting"] == "f9 / alt+a"
        assert global_rows["Find"] == "f4 / ^k"
        assert global_rows["Help"] == "f1 / ?"
        await pilot.press("escape")
        await pilot.pause()
        assert pilot.app.screen is card


async def test_help_lists_only_what_the_screen_offers_now(store: Store) -> None:
    """F1 on a card listed "Open duplicate" (alt+d) with no duplicate and the "Extra fields" tab
    (alt+3) in a profile without company fields: keys that do nothing there. Help lists what the
    screen's own check allows, as the footer does."""
    async with make_app(store).run_test(size=SIZE) as pilot:
        await settle(pilot)
        pilot.app.open_client(CLIENT_ROMASHKA)
        await settle(pilot)
        card = pilot.app.screen
        assert isinstance(card, ClientCardScreen)
        assert not card.duplicates and not card.custom_specs
        descriptions = {d for _k, d in binding_rows(card, pilot.app)}
        assert "Open duplicate" not in descriptions
        assert "Extra fields tab" not in descriptions
        assert {"Save", "Details tab", "Invoices tab"} <= descriptions
        await pilot.press("f1")
        await settle(pilot)
        shown = str(pilot.app.screen.query_one("#screen-keys").render())
        assert "alt+d" not in shown and "alt+3" not in shown


@pytest.mark.parametrize(
    ("open_it", "heading"),
    [
        (lambda app: app.open_invoice(INVOICE_1), "На этом экране (Счёт № "),
        (lambda app: app.open_invoice(INVOICE_1, posted=True), "На этом экране (Заказ № "),
        (lambda app: app.open_sync_log(), "На этом экране (Журнал обмена)"),
    ],
    ids=["invoice", "order", "sync-log"],
)
async def test_help_names_the_screen_in_the_operators_language(store: Store, open_it, heading: str) -> None:
    """F1's heading named these screens by their Python class ("На этом экране (OrderScreen)")."""
    async with make_app(store, "ru").run_test(size=SIZE) as pilot:
        await settle(pilot)
        open_it(pilot.app)
        await settle(pilot)
        await pilot.press("f1")
        await settle(pilot)
        help_screen = pilot.app.screen
        assert isinstance(help_screen, HelpScreen)
        section = str(help_screen.query(".section").first().render())
        assert section.startswith(heading), section
        assert "Screen" not in section


async def test_russian_footer_and_keys(store: Store) -> None:
    async with make_app(store, "ru").run_test(size=SIZE) as pilot:
        await settle(pilot)
        descriptions = {b.description for _k, b in pilot.app.screen._bindings}
        assert "Новый клиент" in descriptions
        assert {b.description for _k, b in pilot.app._bindings} >= {"Справка", "Найти", "Выход"}


async def test_products_stay_reachable(store: Store) -> None:
    async with make_app(store).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f8")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ProductsScreen)
        pilot.app.action_clients()
        await settle(pilot)
        assert isinstance(pilot.app.screen, ClientsScreen)


async def test_payment_and_push_events_become_toasts(store: Store) -> None:
    from datetime import datetime

    from tests.seed import INVOICE_1
    from tui_crm.sync.events import PaymentArrived, PushFinished

    app = make_app(store)
    at = datetime(2026, 11, 30, 12, 0)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        app.post_message(messages.message_for(
            PaymentArrived(at, INVOICE_1, "p2", "bank", "58", Decimal(6641))))
        app.post_message(messages.message_for(
            PushFinished(at, pushed=(("client", CLIENT_ROMASHKA),),
                         failed=(("client", "d0000000-0000-0000-0000-000000000004", "КПП заполнен неверно"),))))
        await settle(pilot)
        toasts = [n.message for n in app._notifications]
        assert "Payment 6 641.00 arrived for invoice ЦБ-000123 (Ромашка ООО)" in toasts
        assert "Client «Ромашка ООО» is in accounting" in toasts
        assert "Accounting refused Client «СтройМаркет АО»: КПП заполнен неверно" in toasts


async def test_f6_opens_the_sync_log(store: Store) -> None:
    from tui_crm.screens.sync_log import SyncLogScreen

    async with make_app(store).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f6")
        await settle(pilot)
        assert isinstance(pilot.app.screen, SyncLogScreen)


async def test_language_chosen_when_the_app_is_made(store: Store) -> None:
    """Screens were imported in English; the app still speaks Russian when asked to."""
    app = CrmApp(store, None, clock=lambda: FROZEN_NOW, live_clock=False, language="ru")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert pilot.app.screen.title == "Клиенты"
        assert {b.description for _k, b in pilot.app.screen._bindings} >= {"Новый клиент", "Поиск"}


async def test_products_is_no_dead_end(store: Store) -> None:
    """F8 then Esc: the first Esc clears a typed search, the next goes back where F8 was pressed."""
    from textual.widgets import Input

    async with make_app(store).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f8")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ProductsScreen)
        assert str(pilot.app.screen.query_one("#title").render()) == "Products"
        await pilot.press(*"сок")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ProductsScreen)
        assert pilot.app.screen.query_one("#search", Input).value == ""
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ClientsScreen)
