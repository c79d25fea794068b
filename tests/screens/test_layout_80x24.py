"""80×24 as text (issue 11): columns by priority, footers with help and quit, header fields
checked as typed, Alt keys that never type, the sync log's words in Russian."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from textual._xterm_parser import XTermParser
from textual.widgets import Input, Static
from textual.widgets._footer import FooterKey

from tests.clock import TestClock
from tests.screens.test_80x24_snapshots import (
    make_app,
    shipped_in_part,
    the_card,
    the_invoice,
    the_order,
)
from tests.seed import INN_ALFA, seed_clients, seed_invoice, seed_store, settle
from tui_crm.screens.client_card import ClientCardScreen
from tui_crm.screens.invoice import InvoiceScreen
from tui_crm.store import Store
from tui_crm.widgets.columns import Col, FitTable, fit_columns, pack
from tui_crm.widgets.money import money_text


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "crm.duckdb", clock=TestClock())
    seed_store(s)
    seed_clients(s)
    yield s
    s.close()


# -- the helper --------------------------------------------------------------------------------
COLS = [
    Col("no", "№", 2, priority=3),
    Col("name", "Name", 30, min=10, grow=True),
    Col("amount", "Amount", 6, right=True, fit=True),
    Col("vat", "VAT", 8, fit=True, priority=1),
    Col("note", "Note", 20, priority=2),
]


def test_columns_dropped_by_priority_and_money_never_narrower_than_its_widest_value() -> None:
    wide = fit_columns(COLS, 120, {"amount": 12})
    assert [c.key for c, _ in wide] == ["no", "name", "amount", "vat", "note"]
    assert sum(w + 2 for _, w in wide) == 120  # the name takes what is left
    narrow = {c.key: w for c, w in fit_columns(COLS, 40, {"amount": 12})}
    assert list(narrow) == ["name", "amount", "vat"]  # note (2) and № (3) dropped, VAT (1) kept
    assert narrow["amount"] == 12  # "1 234 567.89": never cut


def test_a_header_is_never_cut() -> None:
    [(_, width)] = fit_columns([Col("state", "Состояние", 8)], 80)
    assert width == len("Состояние")


def test_totals_break_between_figures_only() -> None:
    pieces = [("Lines 3", ""), ("VAT 447.43", ""), ("Total 3 816.63", "bold")]
    lines = pack(pieces, 24, " · ")
    assert lines == [[("Lines 3", ""), ("VAT 447.43", "")], [("Total 3 816.63", "bold")]]


# -- the screens at 80×24 ----------------------------------------------------------------------
def footer_text(app) -> str:
    return " ".join(f"{k.key_display} {k.description}" for k in app.screen.query(FooterKey))


@pytest.mark.parametrize("size", [(80, 24), (120, 30)])
async def test_invoice_footer_keeps_help_and_quit(store: Store, size: tuple[int, int]) -> None:
    seed_invoice(store)
    app = make_app(store)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        the_invoice(app)
        await settle(pilot)
        keys = list(app.screen.query(FooterKey))
        shown = [k.description for k in keys]
        assert shown[0] == "Help" and "Quit" in shown
        # every key shown lies whole inside the screen
        assert all(k.region.right <= size[0] for k in keys), footer_text(app)


async def test_order_items_keep_amount_vat_and_shipped_whole_at_80(store: Store) -> None:
    shipped_in_part(store)
    app = make_app(store, "ru")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        the_order(app)
        await settle(pilot)
        table = app.screen.query_one("#ord-items", FitTable)
        assert {"product", "qty", "amount", "vat", "shipped", "price", "unit"} <= set(table.shown)
        widths = {col.key.value: col.width for col in table.columns.values()}
        assert widths["amount"] >= len(money_text(Decimal("1636.38")).plain)


@pytest.mark.parametrize("view", ["invoice", "order"])
async def test_a_unit_is_shown_whole_or_not_at_all_at_80(store: Store, view: str) -> None:
    # "упак" was cut to "упа" at 80 columns (a tmux walk); a unit name is a word, not a number
    # that can lose digits, but a cut one reads as another unit
    seed_invoice(store, lines=((5, "3"), (8, "12"), (11, "1")), posted=view == "order")  # упак ×3
    app = make_app(store, "ru")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        (the_invoice if view == "invoice" else the_order)(app)
        await settle(pilot)
        table = app.screen.query_one("#inv-lines" if view == "invoice" else "#ord-items", FitTable)
        widths = {col.key.value: col.width for col in table.columns.values()}
        assert "unit" not in table.shown or widths["unit"] >= len("упак"), widths


async def test_clients_list_shows_debt_at_80(store: Store) -> None:
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#clients", FitTable)
        assert "debt" in table.shown and "name" in table.shown
        assert sum(col.width + 2 for col in table.columns.values()) <= 79


async def test_the_duplicate_warning_is_scrolled_into_view_at_80x24(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """An ИНН accounting already has, typed on a new card: the warning sits below the last field,
    under the fold at 80×24, while the footer offered F7 for it. It is scrolled into view."""
    monkeypatch.setattr(ClientCardScreen, "DUPLICATE_DELAY", 0.0)  # checked at once, no timer
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        card = app.screen
        assert isinstance(card, ClientCardScreen)
        inn = card.query_one("#inn", Input)
        inn.focus()
        inn.value = INN_ALFA[:-1]
        await pilot.press(INN_ALFA[-1])
        await settle(pilot)
        await pilot.pause()  # the scroll is made after the refresh that shows the warning
        assert card.duplicates
        form, box = card.query_one("#form"), card.query_one("#duplicates", Static)
        assert form.region.contains_region(box.region), (form.region, box.region)
        assert form.region.contains_region(inn.region)  # the field typed in stays in view


async def test_a_field_message_longer_than_the_line_wraps_on_the_card(store: Store) -> None:
    """At 80 columns "«12345» — не номер телефона; введите, например, +7 912 345-67-89." lost its
    end (the sample number) to a one-line error label: it wraps now, and the fields below move down."""
    app = make_app(store, "ru")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        card = app.screen
        assert isinstance(card, ClientCardScreen)
        phones = card.query_one("#phones", Input)
        phones.focus()
        await pilot.press(*"12345")
        await settle(pilot)
        error = card.query_one("#error-phones", Static)
        message = str(error.render())
        assert message.endswith("345-67-89.") and len(message) > error.content_size.width
        assert error.size.height >= 2
        assert card.query_one("#email", Input).region.y >= error.region.bottom
        short = card.query_one("#error-kpp", Static)
        assert short.size.height == 1  # an empty message still keeps the field's second line


async def test_invoice_date_and_discount_checked_as_typed(store: Store) -> None:
    seed_invoice(store)
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        the_invoice(app)
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, InvoiceScreen)
        problem = screen.query_one("#inv-problem", Static)
        assert not problem.display
        screen.query_one("#inv-date", Input).value = "31.02.2026"
        screen.query_one("#inv-discount", Input).value = "150"
        await settle(pilot)
        said = str(problem.render())
        assert problem.display and "Date" in said and "Disc" in said
        screen.query_one("#inv-date", Input).value = "2026-12-04"
        screen.query_one("#inv-discount", Input).value = "5"
        await settle(pilot)
        assert not problem.display


async def test_date_field_shows_the_whole_date_after_editing(store: Store) -> None:
    seed_invoice(store)
    app = make_app(store, "ru")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        the_invoice(app)
        await settle(pilot)
        date = app.screen.query_one("#inv-date", Input)
        date.focus()
        await pilot.press("end", *["backspace"] * 10, *"4.12.2026", "tab")
        await settle(pilot)
        assert date.value == "4.12.2026"
        assert date.scroll_offset.x == 0 and date.size.width > len("04.12.2026")


# -- item 12: Alt keys ---------------------------------------------------------------------------
def keys_of(raw: str):
    """The key events Textual's terminal parser makes of `raw` (as tmux sends it), then idle."""
    parser = XTermParser()
    return [*parser.feed(raw), *parser.feed("")]


def test_escape_digit_is_alt_digit_not_an_option_character() -> None:
    import tui_crm.host  # noqa: F401 - installs the key mapping

    assert [k.key for k in keys_of("\x1b2")] == ["alt+2"]  # was "™" (a macOS Option character)


async def test_alt_keys_from_tmux_never_type_into_the_card(store: Store) -> None:
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        the_card(app)
        await settle(pilot)
        card = app.screen
        assert isinstance(card, ClientCardScreen)
        name = card.query_one("#name", Input)
        before = name.value
        name.focus()
        for key in keys_of("\x1b2"):  # what tmux sends for M-2: to the Invoices tab
            app.post_message(key)
        await settle(pilot)
        assert card.query_one("#tabs").active == "invoices"
        for key in keys_of("\x1b1"):  # M-1: back to Details
            app.post_message(key)
        await settle(pilot)
        assert card.query_one("#tabs").active == "details"
        name.focus()
        for key in keys_of("\x1bq"):  # an Alt key nothing is bound to
            app.post_message(key)
        await settle(pilot)
        assert name.value == before and not card.dirty
        await pilot.press("ctrl+pagedown")
        await settle(pilot)
        assert card.query_one("#tabs").active == "invoices"
        await pilot.press("ctrl+pageup")
        await settle(pilot)
        assert card.query_one("#tabs").active == "details"


# -- item 13: the sync log in Russian ------------------------------------------------------------
async def test_sync_log_words_in_russian(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "crm.duckdb", clock=TestClock())
    try:
        seed_store(store)
        app = make_app(store, "ru")
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await pilot.press("f6")
            await settle(pilot)
            screen = app.screen
            assert "Журнал обмена" in str(screen.query_one("#sl-title").render())
            assert screen.query_one("#sl-outbox-empty").display
            assert "Исходящих нет: всё передано в учёт." in str(screen.query_one("#sl-outbox-empty").render())
            runs = screen.query_one("#sl-runs", FitTable)
            jobs = {str(runs.get_cell_at((row, 1))) for row in range(runs.row_count)}
            assert jobs and not jobs & {"pull", "orders", "debt"}, jobs
            headers = {str(col.label): col.width for col in screen.query_one("#sl-outbox", FitTable).columns.values()}
            assert all(width >= len(label) for label, width in headers.items()), headers

    finally:
        store.close()


def test_one_russian_name_for_the_sync_log() -> None:
    from tui_crm.i18n import set_language, tr

    set_language("ru")
    try:
        assert tr("bind.sync_log") == tr("sl.title") == tr("sl.cmd") == "Журнал обмена"
    finally:
        set_language("en")


