"""Pilot tests of the invoice editor, picker, order view and sync log: behaviour, not pixels."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from tests.clock import TestClock
from tests.seed import (
    CLIENT_ID,
    INVOICE_ID,
    PRICE_TYPES,
    WAREHOUSES,
    add_payment,
    add_shipment,
    mark_posted,
    screen_app,
    seed_client,
    seed_invoice,
    seed_store,
    seed_sync_log,
    settle,
)
from tui_crm.domain.invoice import Invoice
from tui_crm.domain.money import format_money
from tui_crm.domain.problems import Code, Problem
from tui_crm.problems import describe
from tui_crm.screens.forms import LineEditScreen, QuantityScreen, check_discount, check_quantity
from tui_crm.screens.invoice import InvoiceScreen
from tui_crm.screens.order import OrderScreen
from tui_crm.screens.picker import PickerScreen
from tui_crm.screens.sync_log import SyncLogScreen
from tui_crm.store import Store
from tui_crm.sync.odata import ODataClient
from tui_crm.sync.profile import load_profile
from tui_crm.sync.service import SyncService
from tui_crm.widgets.confirm import ConfirmModal

SIZE = (110, 32)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "crm.duckdb", clock=TestClock())
    seed_store(s)
    seed_client(s)
    yield s
    s.close()


def capture_notifications(app) -> list[tuple[str, str]]:
    """run_test() switches toasts off; record what would have been shown instead."""
    seen: list[tuple[str, str]] = []
    original = app.notify

    def notify(message: str, *args, **kwargs):
        seen.append((str(message), str(kwargs.get("severity", "information"))))
        return original(message, *args, **kwargs)

    app.notify = notify
    return seen


# -- validation ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "ok"),
    [("1", True), ("2,5", True), ("1 000", True), (" 3.125 ", True), ("", False), ("abc", False),
     ("1,2345", False), ("0", False), ("-2", False), ("1e5", False), ("1..2", False),
     ("9999999999999", False)],
)
def test_check_quantity_refuses_garbage(text: str, ok: bool) -> None:
    value, problem = check_quantity(text)
    assert (value is not None) is ok
    assert (problem is None) is ok


@pytest.mark.parametrize(("text", "expected"), [("", Decimal(0)), ("5", Decimal(5)), ("12,5", Decimal("12.5")),
                                                  ("101", None), ("-1", None), ("1,234", None), ("x", None)])
def test_check_discount(text: str, expected: Decimal | None) -> None:
    assert check_discount(text)[0] == expected


def test_check_quantity_and_discount_word_the_domain_problem() -> None:
    assert check_quantity("1,2345") == (None, "At most 3 digits after the decimal point.")
    assert check_quantity("9" * 26) == (None, "Too many digits: at most 12 before the decimal point.")
    assert check_discount("9" * 27) == (None, "The discount must be between 0 and 100 %.")
    assert check_discount("1,234") == (None, "At most 2 digits after the decimal point.")


async def test_a_very_long_quantity_is_refused_in_the_picker(store: Store) -> None:
    """26 digits used to raise decimal.InvalidOperation in parse_decimal and close the app."""
    app = screen_app(store, lambda s: PickerScreen(s, WAREHOUSES[0][0], PRICE_TYPES[0][0]))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press(*"сыр")
        await settle(pilot)
        await pilot.press("down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, QuantityScreen)
        await pilot.press("backspace", *("9" * 26), "enter")
        await settle(pilot)
        assert app.is_running and isinstance(app.screen, QuantityScreen)
        shown = str(app.screen.query_one("#qty-problem").render())
        assert describe(Problem(Code.TOO_MANY_DIGITS, {"what": "quantity", "max_digits": 12})) in shown


async def test_very_long_numbers_are_refused_in_the_invoice(store: Store) -> None:
    """27 digits in the invoice discount or 26 in a line's quantity used to close the app."""
    seed_invoice(store)
    app = screen_app(store, lambda s: InvoiceScreen(s, INVOICE_ID))
    async with app.run_test(size=SIZE) as pilot:
        seen = capture_notifications(app)
        await settle(pilot)
        screen = app.screen
        await pilot.click("#inv-discount")
        await pilot.press(*("9" * 27))
        await settle(pilot)
        assert app.is_running and screen.invoice.document_discount_pct == 99  # the last valid value
        await pilot.press("f2")
        await settle(pilot)
        refused = describe(Problem(Code.PERCENT_OUT_OF_RANGE, {"what": "invoice_discount"}))
        assert any(refused in m and severity == "error" for m, severity in seen), seen
        screen.query_one("#inv-lines").focus()
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(app.screen, LineEditScreen)
        await pilot.press(*("9" * 26), "enter")
        await settle(pilot)
        assert app.is_running and isinstance(app.screen, LineEditScreen)
        shown = str(app.screen.query_one("#line-problem").render())
        assert describe(Problem(Code.TOO_MANY_DIGITS, {"what": "quantity", "max_digits": 12})) in shown


async def test_quantity_form_refuses_garbage_and_keeps_the_picker_open(store: Store) -> None:
    added: list[tuple[str, Decimal]] = []
    app = screen_app(store, lambda s: PickerScreen(s, WAREHOUSES[0][0], PRICE_TYPES[0][0],
                                                  on_add=lambda r, q: added.append((r.code, q))))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press(*"сыр")
        await settle(pilot)
        await pilot.press("down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, QuantityScreen)
        await pilot.press("backspace", *"два", "enter")  # garbage: refused, the form stays
        await settle(pilot)
        assert isinstance(app.screen, QuantityScreen)
        assert "not a number" in str(app.screen.query_one("#qty-problem").render())
        for _ in range(3):
            await pilot.press("backspace")
        await pilot.press(*"1,5", "enter")
        await settle(pilot)
        assert isinstance(app.screen, PickerScreen)  # stays open for more
        assert added == [("00-00000006", Decimal("1.500"))]
        await pilot.press("enter", "enter")  # default quantity 1 for a second pick
        await settle(pilot)
        assert added[-1] == ("00-00000006", Decimal("1.000"))


async def test_picker_shows_only_the_newest_search(store: Store) -> None:
    app = screen_app(store, lambda s: PickerScreen(s, WAREHOUSES[0][0], PRICE_TYPES[0][0]))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press(*"кофе жокей")  # typed faster than the queries answer
        await settle(pilot)
        picker = app.screen
        table = picker.query_one("#picker-table")
        assert table.row_count == 1
        assert picker.last_render is not None and picker.last_render[0] == "кофе жокей"


# -- the invoice -----------------------------------------------------------------------------
async def test_totals_match_domain_math_with_a_document_discount(store: Store) -> None:
    seed_invoice(store)
    app = screen_app(store, lambda s: InvoiceScreen(s, INVOICE_ID))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        await pilot.click("#inv-discount")
        await pilot.press(*"7,5")
        await settle(pilot)
        expected = Invoice(lines=store.get_invoice(INVOICE_ID).invoice.lines, document_discount_pct=Decimal("7.5"))
        assert screen.invoice.total == expected.total == Decimal("3716.19")
        assert screen.invoice.vat_total == expected.vat_total
        shown = str(screen.query_one("#inv-totals").render())
        assert format_money(expected.total) in shown and format_money(expected.vat_total) in shown
        # Each line is computed with the combined percent 1 - (1 - 0)(1 - 0.075), as 1C does.
        amounts = [line.amount for line in expected.effective_lines]
        assert amounts == [Decimal("831.58"), Decimal("1291.30"), Decimal("1593.31")]
        assert sum(amounts) == expected.total
        await pilot.press("f2")
        await settle(pilot)
        record = store.get_invoice(INVOICE_ID)
        assert record.total == expected.total and record.invoice.document_discount_pct == Decimal("7.5")
        assert [r[5] for r in store.invoice_lines_effective(INVOICE_ID)] == amounts


async def test_edits_of_a_posted_invoice_are_refused_with_the_reason(store: Store) -> None:
    seed_invoice(store)
    mark_posted(store)
    app = screen_app(store, lambda s: InvoiceScreen(s, INVOICE_ID))
    async with app.run_test(size=SIZE) as pilot:
        seen = capture_notifications(app)
        await settle(pilot)
        screen = app.screen
        assert screen.locked
        before = screen.invoice
        for key in ("a", "e", "enter", "delete", "f8", "f2", "f7"):
            await pilot.press(key)
            await settle(pilot)
            assert app.screen is screen, f"{key} opened something on a posted invoice"
        assert screen.invoice == before and not screen.dirty
        refusals = [m for m, _ in seen if "posted order № КА-000123" in m and "unpost" in m]
        assert len(refusals) == 7
        assert all(screen.query_one(sel).disabled for sel in ("#inv-warehouse", "#inv-date", "#inv-discount"))
        await pilot.press("escape")  # nothing to lose: leaves without asking
        await settle(pilot)
        assert not isinstance(app.screen, InvoiceScreen)


async def test_invoice_becomes_read_only_when_accounting_posts_it(store: Store) -> None:
    seed_invoice(store)
    app = screen_app(store, lambda s: InvoiceScreen(s, INVOICE_ID))
    async with app.run_test(size=SIZE) as pilot:
        seen = capture_notifications(app)
        await settle(pilot)
        assert not app.screen.locked
        mark_posted(store)
        app.screen.refresh_data()  # what the app does after a pull
        await settle(pilot)
        assert app.screen.locked
        assert any("read-only" in m for m, _ in seen)


async def test_new_invoice_save_queues_it_and_escape_protects_unsaved_work(store: Store) -> None:
    app = screen_app(store, lambda s: InvoiceScreen(s, None, client_id=CLIENT_ID))
    async with app.run_test(size=SIZE) as pilot:
        seen = capture_notifications(app)
        await settle(pilot)
        screen = app.screen
        await pilot.press("f2")  # nothing to save yet: refused with the reason
        await settle(pilot)
        assert any(describe(Problem(Code.NO_LINES)) in m for m, _ in seen)
        await pilot.press("insert")
        await settle(pilot)
        await pilot.press(*"цемент")
        await settle(pilot)
        await pilot.press("down", "enter")
        await settle(pilot)
        await pilot.press("backspace", "5", "0", "enter", "escape")
        await settle(pilot)
        assert app.screen is screen and screen.dirty
        await pilot.press("escape")  # unsaved: asks
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("escape")  # keep editing
        await settle(pilot)
        assert app.screen is screen and screen.dirty
        await pilot.press("escape", "s")  # save and close
        await settle(pilot)
        assert not isinstance(app.screen, InvoiceScreen)
        record = store.get_invoice(screen.invoice_id)
        assert record is not None and record.sync_state.value == "queued"
        assert [(line.code, line.quantity) for line in record.invoice.lines] == [("00-00000012", Decimal("50"))]
        assert store.outbox_state("invoice", screen.invoice_id).state == "pending"


async def test_line_edit_and_delete(store: Store) -> None:
    seed_invoice(store)
    app = screen_app(store, lambda s: InvoiceScreen(s, INVOICE_ID))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        await pilot.press("down", "e")
        await settle(pilot)
        await pilot.press(*"6", "tab", *"10", "enter")
        await settle(pilot)
        line = screen.invoice.lines[1]
        assert (line.quantity, line.discount_pct, line.amount) == (Decimal(6), Decimal(10), Decimal("1884.60"))
        await pilot.press("delete")
        await settle(pilot)
        assert [line.code for line in screen.invoice.lines] == ["00-00000001", "00-00000006"]


# -- order view --------------------------------------------------------------------------------
async def test_order_toasts_when_a_payment_or_shipment_arrives(store: Store) -> None:
    seed_invoice(store)
    mark_posted(store)
    add_payment(store, "ПП-000041", "1000.00", day=29)
    app = screen_app(store, lambda s: OrderScreen(s, INVOICE_ID))
    async with app.run_test(size=SIZE) as pilot:
        seen = capture_notifications(app)
        await settle(pilot)
        assert seen == []  # what was there on opening is not news
        add_payment(store, "ПП-000042", "3017.50", day=30)
        add_shipment(store, "РТ-000015", ((1, "10"),))
        app.screen.refresh_data()
        await settle(pilot)
        assert [m for m, _ in seen] == [
            "Payment ПП-000042: 3 017.50 arrived for order КА-000123",
            "Shipment РТ-000015 made for order КА-000123",
        ]
        badge = str(app.screen.query_one("#ord-paid").render())
        assert badge == "Paid 100 %"
        await pilot.press("3")
        await settle(pilot)
        assert app.screen.query_one("#ord-tabs").active == "shipment"
        # 10 l of milk shipped; 4 pcs of coffee and 2.5 kg of cheese not: not "10 of 16.5 = 61 %"
        # of litres, pieces and kilograms added up, but 899.00 of 4 017.50 by amount.
        assert "Partially shipped 22 %" in str(app.screen.query_one("#ord-shipped").render())
        summary = str(app.screen.query_one("#ship-summary").render())
        assert "Shipped 22 % by amount (899.00 of 4 017.50)" in summary
        by_line = app.screen.query_one("#ord-ship-lines")
        rows = [[str(c).strip() for c in by_line.get_row_at(i)] for i in range(by_line.row_count)]
        assert [row[1:] for row in rows] == [   # ordered, shipped, asked (shipment requests), left
            ["10", "10", "0", "0", "л", "100 %"],
            ["4", "0", "0", "4", "шт", "0 %"],
            ["2.5", "0", "0", "2.5", "кг", "0 %"],
        ]


# -- sync log ----------------------------------------------------------------------------------
async def test_sync_log_copy_and_no_retry_without_the_engine(store: Store) -> None:
    """Offline (no engine) the log still shows and copies errors; retry/discard say why not and
    change nothing (with an engine they go through it: tests/screens/test_sync_log_engine.py)."""
    seed_sync_log(store)
    app = screen_app(store, SyncLogScreen)
    copied: list[str] = []
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        app.copy_to_clipboard = copied.append  # type: ignore[method-assign]
        await settle(pilot)
        await pilot.press("tab")  # to the outbox; the failed item is first
        await settle(pilot)
        await pilot.press("c")
        assert copied and "Договор контрагента" in copied[0]
        before = [(i.id, i.state) for i in store.outbox_items()]
        await pilot.press("r")
        await settle(pilot)
        await pilot.press("x", "y")
        await settle(pilot)
        assert [(i.id, i.state) for i in store.outbox_items()] == before
        toasts = [n.message for n in app._notifications]
        assert sum(t.startswith("Not connected to accounting") for t in toasts) == 2, toasts


async def test_over_stock_warning_only_while_the_order_can_change(store: Store) -> None:
    """Issue 11 item 9: 10 l of milk (6 free) and 2.5 kg of cheese (2 free) are flagged on a draft;
    once accounting posts (and reserves, then ships) the order, the warning goes: its own reserve
    is in the reserved figure, and nothing can be changed on it."""
    seed_invoice(store)
    app = screen_app(store, lambda s: InvoiceScreen(s, INVOICE_ID))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        table = screen.query_one("#inv-lines")
        free = [str(table.get_row_at(i)[-1]) for i in range(table.row_count)]
        assert [cell.startswith("⚠") for cell in free] == [True, False, True]
        assert "2 line(s) above free stock" in str(screen.query_one("#inv-notes").render())
        mark_posted(store)
        add_shipment(store, "РТ-000015", ((1, "10"),))
        screen.refresh_data()
        await settle(pilot)
        assert screen.locked
        free = [str(table.get_row_at(i)[-1]) for i in range(table.row_count)]
        assert not any("⚠" in cell for cell in free), free
        assert "above free stock" not in str(screen.query_one("#inv-notes").render())


async def test_over_stock_warnings_say_plainly_that_bp3_keeps_no_reserves(store: Store) -> None:
    """Under a profile without reserves (БП 3) "accounting may not reserve it" would mislead: the
    invoice's note and the line form say that nothing is set aside for the invoice."""
    seed_invoice(store)
    service = SyncService(store, ODataClient("http://127.0.0.1:9/bp3/odata/standard.odata/"),
                          profile=load_profile("bp3"))
    app = screen_app(store, lambda s: InvoiceScreen(s, INVOICE_ID), service=service)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            notes = str(app.screen.query_one("#inv-notes").render())
            assert "2 line(s) above the stock" in notes and "keeps no reserves (БП 3)" in notes
            assert "may not reserve" not in notes
            await pilot.press("enter")  # the first line (10 l of milk, 6 in stock): its form
            await settle(pilot)
            assert isinstance(app.screen, LineEditScreen)
            shown = str(app.screen.query_one("#line-problem").render())
            assert "keeps no reserves (БП 3)" in shown, shown
    finally:
        await service.aclose()


@pytest.mark.parametrize(("field", "typed"), [("#inv-discount", "5o"), ("#inv-date", "31.02.2026")])
async def test_escape_asks_before_dropping_a_typed_discount_or_date_that_does_not_parse(
    store: Store, field: str, typed: str
) -> None:
    """A saved invoice, a header field typed over with text that is not a value (yet): the text
    is the operator's edit, so Esc asks instead of closing and dropping it."""
    seed_invoice(store, number="ТД000000001")
    app = screen_app(store, lambda s: InvoiceScreen(s, INVOICE_ID))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert not screen.unsaved
        box = screen.query_one(field)
        box.focus()
        box.value = typed
        await settle(pilot)
        assert screen.unsaved
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("escape")  # keep editing: the typed text is still there
        await settle(pilot)
        assert app.screen is screen and screen.query_one(field).value == typed
        await pilot.press("f2")  # refused with the reason, nothing saved
        await settle(pilot)
        assert app.screen is screen and screen.unsaved
