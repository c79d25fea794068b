"""Behaviour of the clients list and the client card, driven with the pilot (no snapshots)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, Label

from tests.seed import (
    CLIENT_ROMASHKA,
    COUNTERPARTY_ALFA,
    FROZEN_NOW,
    INN_ROMASHKA,
    seeded_store,
    settle,
)
from tui_crm.app import CrmApp
from tui_crm.domain.models import SyncState
from tui_crm.domain.validation import ClientKind
from tui_crm.i18n import set_language
from tui_crm.screens.client_card import ClientCardScreen, card_problems, split_phones
from tui_crm.screens.clients import ClientsScreen, prefill_from_search
from tui_crm.screens.help import binding_rows
from tui_crm.store import Store
from tui_crm.widgets.confirm import ConfirmModal

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


def make_app(store: Store) -> CrmApp:
    return CrmApp(store, None, clock=lambda: FROZEN_NOW, live_clock=False)


def _card(app: CrmApp) -> ClientCardScreen:
    assert isinstance(app.screen, ClientCardScreen), app.screen
    return app.screen


def _all_clients(store: Store) -> list[tuple[object, ...]]:
    return store.db.cursor().execute("SELECT * FROM clients ORDER BY id").fetchall()


def _outbox(store: Store) -> list[tuple[object, ...]]:
    return store.db.cursor().execute("SELECT kind, object_id, action, state FROM outbox ORDER BY id").fetchall()


async def test_invalid_inn_blocks_save_and_changes_nothing(store: Store) -> None:
    before_clients, before_outbox = _all_clients(store), _outbox(store)
    async with make_app(store).run_test(size=SIZE) as pilot:
        await settle(pilot)
        pilot.app.open_client(CLIENT_ROMASHKA)
        await settle(pilot)
        card = _card(pilot.app)
        inn = card.query_one("#inn", Input)
        inn.focus()
        inn.value = "7707083894"  # last digit off: wrong checksum
        await pilot.press("f2")
        await settle(pilot)
        assert card.problems()["inn"].startswith("The ИНН has a wrong check digit")
        assert "wrong check digit" in str(card.query_one("#error-inn").content)
        assert pilot.app.focused is inn
        assert card.dirty  # what was typed is still there
    assert _all_clients(store) == before_clients
    assert _outbox(store) == before_outbox


async def test_new_client_save_queues_it_with_normalised_phones(store: Store) -> None:
    outbox_before = store.outbox_count()
    async with make_app(store).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        card = _card(pilot.app)
        # Individual: no ИНН needed, no КПП row.
        card.query_one("#kind").focus()
        await pilot.press("right", "right", "enter")
        await settle(pilot)
        assert card.kind is ClientKind.INDIVIDUAL
        assert not card.query_one("#box-kpp").display
        card.query_one("#name", Input).focus()
        card.query_one("#name", Input).value = "Сидоров Пётр"
        card.query_one("#phones", Input).value = "8 (903) 555-12-34; +7 916 000 11 22"
        await pilot.press("f2")
        await settle(pilot)
        client_id = card.client_id
        assert not card.dirty
        assert pilot.app.sync_view.outbox == outbox_before + 1
        assert card.query_one("#phones", Input).value == "+7 903 555-12-34, +7 916 000-11-22"
    record = store.get_client(client_id)
    assert record is not None
    assert record.client.name == "Сидоров Пётр"
    assert record.client.phones == ("+79035551234", "+79160001122")
    assert record.sync_state is SyncState.QUEUED
    assert ("client", client_id, "create", "pending") in _outbox(store)


async def test_escape_on_dirty_card_asks_before_discarding(store: Store) -> None:
    before = _all_clients(store)
    async with make_app(store).run_test(size=SIZE) as pilot:
        await settle(pilot)
        pilot.app.open_client(CLIENT_ROMASHKA)
        await settle(pilot)
        card = _card(pilot.app)
        card.query_one("#comment", Input).focus()
        await pilot.press("end", *" и после 18")
        assert card.dirty
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(pilot.app.screen, ConfirmModal)
        await pilot.press("n")  # keep editing
        await pilot.pause()
        assert pilot.app.screen is card
        assert card.query_one("#comment", Input).value == "Звонить до 17:00 и после 18"
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("y")  # discard
        await settle(pilot)
        assert isinstance(pilot.app.screen, ClientsScreen)
    assert _all_clients(store) == before


async def test_f2_in_the_cards_discard_question_never_discards(store: Store) -> None:
    """Esc on an edited card asks "discard?"; F2 there is the card's Save key (and Save in the
    invoice's same question). It discarded the edits: the operator's typing was gone."""
    async with make_app(store).run_test(size=SIZE) as pilot:
        await settle(pilot)
        pilot.app.open_client(CLIENT_ROMASHKA)
        await settle(pilot)
        card = _card(pilot.app)
        card.query_one("#comment", Input).focus()
        await pilot.press("end", *" и после 18")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(pilot.app.screen, ConfirmModal)
        await pilot.press("f2")
        await settle(pilot)
        assert pilot.app.screen is card or isinstance(pilot.app.screen, ConfirmModal)
        assert card.query_one("#comment", Input).value == "Звонить до 17:00 и после 18"
        assert card.dirty


async def test_escape_on_clean_card_closes_without_asking(store: Store) -> None:
    async with make_app(store).run_test(size=SIZE) as pilot:
        await settle(pilot)
        pilot.app.open_client(CLIENT_ROMASHKA)
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ClientsScreen)


async def test_duplicate_inn_warns_and_opens_the_existing_card(store: Store) -> None:
    async with make_app(store).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        card = _card(pilot.app)
        card.query_one("#inn", Input).focus()
        card.query_one("#inn", Input).value = INN_ROMASHKA[:-1]
        await pilot.press(INN_ROMASHKA[-1])
        await settle(pilot)
        assert [h.id for h in card.duplicates] == [CLIENT_ROMASHKA]
        assert "Ромашка ООО" in str(card.query_one("#duplicates").content)
        # F1 lists "Open duplicate" now that there is one (it is hidden while there is none)
        assert "Open duplicate" in {d for _k, d in binding_rows(card, pilot.app)}
        await pilot.press("f7")
        await pilot.pause()
        assert isinstance(pilot.app.screen, ConfirmModal)  # the new card had typing in it
        await pilot.press("y")
        await settle(pilot)
        opened = _card(pilot.app)
        assert opened.client_id == CLIENT_ROMASHKA
        assert opened.query_one("#name", Input).value == "Ромашка ООО"


async def test_typing_a_phone_and_enter_opens_the_client(store: Store) -> None:
    async with make_app(store).run_test(size=SIZE) as pilot:
        await settle(pilot)
        pilot.app.screen.query_one("#search", Input).value = "+7 912 345-67-8"
        await pilot.press("9")
        await settle(pilot)
        assert pilot.app.screen.query_one("#clients", DataTable).row_count == 1
        await pilot.press("enter")
        await settle(pilot)
        assert _card(pilot.app).client_id == CLIENT_ROMASHKA


async def test_new_client_from_search_text_is_prefilled(store: Store) -> None:
    async with make_app(store).run_test(size=SIZE) as pilot:
        await settle(pilot)
        pilot.app.screen.query_one("#search", Input).value = "8 999 123 45 67"
        await pilot.press("f2")
        await settle(pilot)
        card = _card(pilot.app)
        assert card.query_one("#phones", Input).value == "8 999 123 45 67"
        assert card.dirty


async def test_clients_list_is_limited(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ClientsScreen, "LIMIT", 3)
    async with make_app(store).run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = pilot.app.screen
        assert screen.query_one("#clients", DataTable).row_count == 3
        assert "first 3 shown" in str(screen.query_one("#hint").content)


def test_prefill_and_phone_splitting() -> None:
    assert prefill_from_search("7707083893") == {"inn": "7707083893"}
    assert prefill_from_search("+7 912 000-00-00") == {"phones": "+7 912 000-00-00"}
    assert prefill_from_search("Ромашка") == {"name": "Ромашка"}
    assert split_phones("+7 912 1, 8 903 2;  ") == ["+7 912 1", "8 903 2"]


def test_validation_messages_in_russian() -> None:
    values = {"name": "", "full_name": "", "inn": "7707083894", "kpp": "12", "phones": "12, abc",
              "email": "x@", "address": "", "comment": ""}
    set_language("ru")
    problems = card_problems(ClientKind.LEGAL_ENTITY, values)
    assert problems == {
        "name": "Введите наименование клиента.",
        "inn": "Неверная контрольная цифра ИНН — в номере опечатка.",
        "kpp": "В КПП 9 знаков; здесь 2.",
        "phones": "«12» — не номер телефона; введите, например, +7 912 345-67-89.",
        "email": "«x@» не похоже на адрес e-mail (name@example.ru).",
    }
    sole = card_problems(ClientKind.SOLE_PROPRIETOR, {**values, "inn": INN_ROMASHKA, "kpp": ""})
    assert sole["inn"] == "ИНН для вида «ИП» — 12 цифр; здесь 10."


async def test_invoices_tab_opens_orders_and_writes_new_invoices(store: Store) -> None:
    from tests.seed import INVOICE_1, INVOICE_2
    from tui_crm.screens.invoice import InvoiceScreen
    from tui_crm.screens.order import OrderScreen

    async with make_app(store).run_test(size=SIZE) as pilot:
        await settle(pilot)
        pilot.app.open_client(CLIENT_ROMASHKA)
        await settle(pilot)
        card = _card(pilot.app)
        await pilot.press("alt+2")
        await settle(pilot)
        table = card.query_one("#invoice-table", DataTable)
        assert pilot.app.focused is table and table.row_count == 2
        await pilot.press("down", "enter")  # the posted one (newest first: INVOICE_2, INVOICE_1)
        await settle(pilot)
        assert isinstance(pilot.app.screen, OrderScreen)
        assert pilot.app.screen.invoice_id == INVOICE_1
        pilot.app.pop_screen()
        await settle(pilot)
        await pilot.press("up", "enter")  # the draft opens in the editor
        await settle(pilot)
        assert isinstance(pilot.app.screen, InvoiceScreen)
        pilot.app.pop_screen()
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, InvoiceScreen)
        del INVOICE_2


async def test_new_invoice_on_a_new_card_saves_the_client_first(store: Store) -> None:
    from tui_crm.screens.invoice import InvoiceScreen

    async with make_app(store).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        card = _card(pilot.app)
        await pilot.press("f3")  # nothing typed: refused, stays on the card
        await settle(pilot)
        assert pilot.app.screen is card
        card.query_one("#kind").focus()
        await pilot.press("right", "right", "enter")
        card.query_one("#name", Input).value = "Сидоров Пётр"
        await pilot.press("f3")
        await settle(pilot)
        assert isinstance(pilot.app.screen, InvoiceScreen)
        assert store.get_client(card.client_id) is not None


async def test_send_now_queues_and_asks_sync_to_push(store: Store) -> None:
    from tests.seed import CLIENT_PETROVA

    app = make_app(store)
    pushes: list[bool] = []
    app.push_now = lambda: pushes.append(True)  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.open_client(CLIENT_PETROVA)
        await settle(pilot)
        await pilot.press("f9")
        await settle(pilot)
        assert pushes == [True]
        assert "Queued" in str(_card(app).query_one("#sync-line").content)
    record = store.get_client(CLIENT_PETROVA)
    assert record is not None and record.sync_state is SyncState.QUEUED
    assert ("client", CLIENT_PETROVA, "create", "pending") in _outbox(store)


async def test_a_failing_read_is_reported_not_fatal(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_a: object, **_k: object) -> list[object]:
        raise OSError("disk gone")

    app = make_app(store)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        monkeypatch.setattr(store, "client_rows", broken)
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)
        assert "Could not read the clients: disk gone" in [n.message for n in app._notifications]


async def test_the_first_rows_are_read_as_the_list_mounts(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """Cold start (issue 13): the list's first read runs on the event loop as the screen mounts,
    so its first frame already holds the rows (a worker cost an empty frame and a hop first);
    the searches after it run in workers."""
    on_loop: list[bool] = []
    read = store.client_rows

    def recording(*a: object, **k: object) -> object:
        on_loop.append(threading.current_thread() is threading.main_thread())
        return read(*a, **k)  # type: ignore[arg-type]

    monkeypatch.setattr(store, "client_rows", recording)
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, ClientsScreen)
        assert on_loop[:1] == [True]
        assert screen.query_one("#clients", DataTable).row_count == len(screen._rows) > 0
        await pilot.press("x")
        await settle(pilot)
        assert on_loop[-1] is False


async def test_a_failing_first_read_is_reported_not_fatal(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_a: object, **_k: object) -> list[object]:
        raise OSError("disk gone")

    monkeypatch.setattr(store, "client_rows", broken)
    app = make_app(store)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)
        assert "Could not read the clients: disk gone" in [n.message for n in app._notifications]


async def test_a_sole_proprietor_from_accounting_opens_as_an_unedited_card(store: Store) -> None:
    """The kind is set from code as the card opens; the head must not call that an edit."""
    store.db.cursor().execute(
        "UPDATE counterparties SET legal_form = 'ФизЛицо', inn = '500100732259', kpp = '' WHERE id = ?",
        [COUNTERPARTY_ALFA],
    )
    async with make_app(store).run_test(size=SIZE) as pilot:
        await settle(pilot)
        pilot.app.open_client(COUNTERPARTY_ALFA)
        await settle(pilot)
        card = _card(pilot.app)
        assert card.kind is ClientKind.SOLE_PROPRIETOR
        assert not card.dirty
        assert "unsaved" not in str(card.query_one("#sync-line", Label).render())
        # Choosing another kind is an edit, and said so.
        await pilot.click("#kind RadioButton")
        await settle(pilot)
        assert card.kind is ClientKind.LEGAL_ENTITY and card.dirty
        assert "unsaved" in str(card.query_one("#sync-line", Label).render())


@pytest.mark.parametrize(("lang", "owes", "advance"), [
    ("en", "owes 15 340.50", "advance 1 660.56"),
    ("ru", "долг 15 340,50", "аванс 1 660,56"),
])
async def test_the_card_says_what_accounting_keeps_as_the_clients_debt(
        store: Store, lang: str, owes: str, advance: str) -> None:
    """The clients list's debt is on the card too: owed, or paid ahead in words (never a minus);
    nothing when there is none — for a CRM client and for one only accounting has."""
    store.db.cursor().execute("UPDATE counterparties SET debt = -1660.56 WHERE id = ?", [COUNTERPARTY_ALFA])
    set_language(lang)
    async with make_app(store).run_test(size=SIZE) as pilot:
        await settle(pilot)
        pilot.app.open_client(CLIENT_ROMASHKA)
        await settle(pilot)
        line = str(_card(pilot.app).query_one("#sync-line", Label).render())
        assert owes in line and "-" not in line.split("·")[-1]
        await pilot.press("escape")
        await settle(pilot)
        pilot.app.open_client(COUNTERPARTY_ALFA)
        await settle(pilot)
        line = str(_card(pilot.app).query_one("#sync-line", Label).render())
        assert advance in line and "−" not in line and "-1" not in line
    store.db.cursor().execute("UPDATE clients SET debt = 0 WHERE id = ?", [CLIENT_ROMASHKA])
    async with make_app(store).run_test(size=SIZE) as pilot:
        await settle(pilot)
        pilot.app.open_client(CLIENT_ROMASHKA)
        await settle(pilot)
        line = str(_card(pilot.app).query_one("#sync-line", Label).render())
        assert "owes" not in line and "долг" not in line


async def test_arrows_typed_ahead_from_the_search_open_the_row_they_reach(store: Store) -> None:
    """↓ ↓ ↓ Enter sent in one go (typed ahead over SSH): the first ↓ goes to the list, the next
    two move down it, Enter opens the THIRD client. The arrows used to reach the search box again
    (the list's focus lands a message later) and Enter opened the first."""
    from textual import events

    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ClientsScreen)
        assert screen.query_one("#clients", DataTable).row_count >= 3
        third = screen._rows[2].id
        driver = app._driver
        assert driver is not None
        for key in ("down", "down", "down", "enter"):  # as Pilot.press sends them, without its waits
            event = events.Key(key, None if key == "down" else "\r")
            event.set_sender(app)
            driver.send_message(event)
        for _ in range(20):  # the keys go through the driver's queue: until the card is up
            await settle(pilot)
            if not isinstance(app.screen, ClientsScreen):
                break
        assert _card(app).client_id == third


async def test_enter_typed_ahead_of_the_search_opens_a_client_of_what_was_typed(store: Store) -> None:
    """A name and Enter in one burst: Enter waits for the search's rows of that name. It used to
    open the first row of the list as it stood before the search (another client)."""
    from textual import events

    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ClientsScreen)
        first_before = screen._rows[0].id
        driver = app._driver
        assert driver is not None
        for ch in "Ромашка":
            event = events.Key(ch, ch)
            event.set_sender(app)
            driver.send_message(event)
        enter = events.Key("enter", "\r")
        enter.set_sender(app)
        driver.send_message(enter)
        for _ in range(20):  # the keys go through the driver's queue: until the card is up
            await settle(pilot)
            if not isinstance(app.screen, ClientsScreen):
                break
        assert first_before != CLIENT_ROMASHKA
        assert _card(app).client_id == CLIENT_ROMASHKA


async def test_closing_an_invoice_opened_from_the_invoices_tab_returns_to_that_tab_and_row(store: Store) -> None:
    """Esc on an invoice (or order) opened from the card's Invoices tab put the operator back on
    the Details tab, the list and the row they came from gone from view."""
    from textual.widgets import TabbedContent

    from tui_crm.screens.invoice import InvoiceScreen
    from tui_crm.screens.order import OrderScreen

    async with make_app(store).run_test(size=SIZE) as pilot:
        await settle(pilot)
        pilot.app.open_client(CLIENT_ROMASHKA)
        await settle(pilot)
        card = _card(pilot.app)
        await pilot.press("alt+2")
        await settle(pilot)
        table = card.query_one("#invoice-table", DataTable)
        await pilot.press("down", "enter")  # the posted one opens as an order
        await settle(pilot)
        assert isinstance(pilot.app.screen, OrderScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert pilot.app.screen is card
        assert card.query_one(TabbedContent).active == "invoices"
        assert pilot.app.focused is table and table.cursor_row == 1
        await pilot.press("up", "enter")  # the draft opens in the editor
        await settle(pilot)
        assert isinstance(pilot.app.screen, InvoiceScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert pilot.app.screen is card
        assert card.query_one(TabbedContent).active == "invoices"
        assert pilot.app.focused is table and table.cursor_row == 0
