"""Invoice lines and totals with КА 1.1 arithmetic; discounts; validation."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal as D

import pytest

from tui_crm.domain.invoice import (
    Invoice,
    InvoiceLine,
    combine_discounts,
    line_amount,
    parse_discount,
    parse_document_date,
    parse_line_quantity,
    validate_invoice,
    validate_line,
)
from tui_crm.domain.problems import Code, Problem, ValidationError
from tui_crm.domain.vat import VatRate


def make_line(qty: str, price: str, disc: str = "0", rate: VatRate = VatRate.НДС20, pid: str = "p1") -> InvoiceLine:
    return InvoiceLine(pid, "00001", "Товар", "шт", D(qty), D(price), D(disc), rate)


def make_invoice(*lines: InvoiceLine, **kwargs: object) -> Invoice:
    kwargs.setdefault("client_id", "c1")
    kwargs.setdefault("warehouse_id", "w1")
    return Invoice(tuple(lines), **kwargs)  # type: ignore[arg-type]


def test_line_amount_without_discount() -> None:
    line = make_line("3", "33.33")
    assert line.amount == D("99.99")
    assert line.gross_amount == D("99.99")
    assert line.discount_amount == 0


def test_line_amount_discount_single_rounding() -> None:
    # Окр(3 * 33.33 * 0.9, 2) = Окр(89.991) = 89.99
    assert make_line("3", "33.33", "10").amount == D("89.99")
    # One rounding at the end: 1.5 * 0.03 * 0.9 = 0.0405 → 0.04
    # (rounding 0.045 first would give 0.05 and then 0.05).
    assert line_amount(D("1.5"), D("0.03"), D("10")) == D("0.04")


def test_line_amount_half_rounds_away_from_zero() -> None:
    assert line_amount(D("1"), D("0.05"), D("10")) == D("0.05")  # 0.045
    assert line_amount(D("0.5"), D("0.01")) == D("0.01")  # 0.005


def test_negative_percent_is_a_markup() -> None:
    line = make_line("2", "100", "-5")
    assert line.amount == D("210.00")
    assert line.discount_amount == D("-10.00")


def test_full_discount() -> None:
    assert make_line("2", "100", "100").amount == 0


def test_line_rejects_float() -> None:
    with pytest.raises(TypeError):
        InvoiceLine("p", "c", "n", "шт", 1.5, D("1"), D("0"), VatRate.НДС20)  # type: ignore[arg-type]


def test_line_vat_included_and_on_top() -> None:
    line = make_line("3", "33.33", "10")
    assert line.vat(True) == D("15.00")
    assert line.vat(False) == D("18.00")  # 89.99 * 0.2 = 17.998
    assert make_line("1", "55.55", rate=VatRate.НДС10).vat(False) == D("5.56")


def test_invoice_totals_vat_included() -> None:
    inv = make_invoice(make_line("3", "33.33", "10"), make_line("1", "110", rate=VatRate.НДС10))
    assert inv.amount_total == D("199.99")
    assert inv.total == D("199.99")
    assert inv.vat_total == D("25.00")  # 15.00 + 10.00
    assert inv.total_without_vat == D("174.99")


def test_invoice_totals_vat_on_top() -> None:
    inv = make_invoice(
        make_line("1", "100"),
        make_line("1", "55.55", rate=VatRate.НДС10),
        amount_includes_vat=False,
    )
    assert inv.amount_total == D("155.55")
    assert inv.vat_total == D("25.56")  # 20.00 + 5.56
    assert inv.total == D("181.11")
    assert inv.total_without_vat == D("155.55")


def test_vat_total_is_sum_of_rounded_line_vats() -> None:
    # three lines of 0.10 incl. 20 %: each 0.0166… → 0.02, sum 0.06;
    # VAT of the total would be 0.30 / 6 = 0.05. 1C sums the lines.
    inv = make_invoice(*(make_line("1", "0.10", pid=f"p{i}") for i in range(3)))
    assert inv.line_vats() == (D("0.02"),) * 3
    assert inv.vat_total == D("0.06")


def test_vat_disabled_invoice() -> None:
    inv = make_invoice(make_line("1", "120"), vat_enabled=False)
    assert inv.vat_total == 0
    assert inv.total == D("120.00")


def test_combine_discounts() -> None:
    assert combine_discounts(10, 5) == D("14.50")
    assert combine_discounts(0, 5) == D("5.00")
    assert combine_discounts(D("33.33"), 10) == D("40.00")  # 39.997 → Number(5,2)
    assert combine_discounts(100, 50) == D("100.00")


def test_document_discount_spread_onto_lines() -> None:
    a = make_line("2", "100", "10", pid="a")
    b = make_line("1", "50", pid="b")
    inv = make_invoice(a, b, document_discount_pct=D("5"))
    eff = inv.effective_lines
    assert [line.discount_pct for line in eff] == [D("14.50"), D("5.00")]
    assert [line.amount for line in eff] == [D("171.00"), D("47.50")]
    assert inv.lines[0].discount_pct == D("10")  # operator's own percent is kept
    assert inv.total == D("218.50")
    assert inv.vat_total == D("36.42")  # 28.50 + 7.92
    assert inv.gross_total == D("250.00")
    assert inv.discount_total == D("31.50")


def test_document_discount_amounts_rounded_per_line() -> None:
    lines = [make_line("1", "0.15", pid=f"p{i}") for i in range(3)]
    inv = make_invoice(*lines, document_discount_pct=D("10"))
    # each 0.135 → 0.14; rounding the total 0.405 would give 0.41
    assert [line.amount for line in inv.effective_lines] == [D("0.14")] * 3
    assert inv.total == D("0.42")


def test_zero_document_discount_keeps_lines() -> None:
    line = make_line("1", "10", "3")
    assert make_invoice(line).effective_lines == (line,)


def test_add_line_and_with_lines_return_new_invoice() -> None:
    inv = make_invoice()
    inv2 = inv.add_line(make_line("1", "10"))
    assert inv.lines == () and len(inv2.lines) == 1
    assert inv2.with_lines([]).lines == ()


def test_validate_line_ok() -> None:
    assert validate_line(make_line("1.125", "10.50", "12.5")) == []


@pytest.mark.parametrize(
    "changes, expected",
    [
        ({"quantity": D("0")}, Problem(Code.QUANTITY_NOT_POSITIVE)),
        ({"quantity": D("-1")}, Problem(Code.QUANTITY_NOT_POSITIVE)),
        ({"quantity": D("1.0001")}, Problem(Code.TOO_MANY_DECIMALS, {"what": "quantity", "places": 3})),
        ({"quantity": D("1000000000000")}, Problem(Code.QUANTITY_TOO_LARGE)),
        ({"price": D("-1")}, Problem(Code.NEGATIVE, {"what": "price"})),
        ({"price": D("1.001")}, Problem(Code.TOO_MANY_DECIMALS, {"what": "price", "places": 2})),
        ({"price": D("10000000000000")}, Problem(Code.PRICE_TOO_LARGE)),
        ({"discount_pct": D("-1")}, Problem(Code.PERCENT_OUT_OF_RANGE, {"what": "discount"})),
        ({"discount_pct": D("100.01")}, Problem(Code.PERCENT_OUT_OF_RANGE, {"what": "discount"})),
        ({"discount_pct": D("1.555")}, Problem(Code.TOO_MANY_DECIMALS, {"what": "discount", "places": 2})),
        ({"product_id": ""}, Problem(Code.NO_PRODUCT)),
    ],
)
def test_validate_line_problems(changes: dict[str, object], expected: Problem) -> None:
    problems = validate_line(replace(make_line("1", "10"), **changes))  # type: ignore[arg-type]
    assert problems == [expected]


def test_validate_line_trailing_zeros_are_not_extra_decimals() -> None:
    assert validate_line(make_line("1.5000", "10.500", "5.000")) == []


def test_validate_invoice() -> None:
    assert validate_invoice(make_invoice(make_line("1", "10"))) == []
    assert validate_invoice(Invoice()) == [
        Problem(Code.NO_CLIENT), Problem(Code.NO_WAREHOUSE), Problem(Code.NO_LINES)
    ]
    bad = make_invoice(make_line("1", "10"), make_line("0", "10"), document_discount_pct=D("150"))
    assert validate_invoice(bad) == [
        Problem(Code.PERCENT_OUT_OF_RANGE, {"what": "invoice_discount"}),
        Problem(Code.IN_LINE, {"line": 2, "problem": Problem(Code.QUANTITY_NOT_POSITIVE)}),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2", D("2.000")), (" 1 000,5 ", D("1000.500")), ("3.125", D("3.125")), ("999999999999", D("999999999999"))],
)
def test_parse_line_quantity(text: str, expected: D) -> None:
    assert parse_line_quantity(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", Problem(Code.NUMBER_EMPTY, {"what": "quantity"})),
        ("abc", Problem(Code.NOT_A_NUMBER, {"what": "quantity", "text": "abc"})),
        ("1e5", Problem(Code.NOT_A_NUMBER, {"what": "quantity", "text": "1e5"})),
        ("1,2345", Problem(Code.TOO_MANY_DECIMALS, {"what": "quantity", "places": 3})),
        ("0", Problem(Code.QUANTITY_NOT_POSITIVE)),
        ("-2", Problem(Code.QUANTITY_NOT_POSITIVE)),
        ("1000000000000", Problem(Code.TOO_MANY_DIGITS, {"what": "quantity", "max_digits": 12})),
        # 26 digits used to overflow Decimal's context in quantize() and close the app
        ("9" * 26, Problem(Code.TOO_MANY_DIGITS, {"what": "quantity", "max_digits": 12})),
        ("9" * 26 + ",5", Problem(Code.TOO_MANY_DIGITS, {"what": "quantity", "max_digits": 12})),
    ],
)
def test_parse_line_quantity_refuses_with_a_code(text: str, expected: Problem) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_line_quantity(text)
    assert caught.value.problem == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("", D(0)), ("  ", D(0)), ("5", D("5.00")), ("12,5", D("12.50")), ("100", D("100.00")),
     ("0", D("0.00")), ("00000000000000000000000000005", D("5.00"))],
)
def test_parse_discount(text: str, expected: D) -> None:
    assert parse_discount(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("101", Problem(Code.PERCENT_OUT_OF_RANGE, {"what": "discount"})),
        ("-1", Problem(Code.PERCENT_OUT_OF_RANGE, {"what": "discount"})),
        ("1,234", Problem(Code.TOO_MANY_DECIMALS, {"what": "discount", "places": 2})),
        ("x", Problem(Code.NOT_A_NUMBER, {"what": "discount", "text": "x"})),
        # 27 digits used to overflow Decimal's context in quantize() and close the app;
        # a number that long is simply out of a percent's range
        ("9" * 27, Problem(Code.PERCENT_OUT_OF_RANGE, {"what": "discount"})),
        ("9" * 27 + ",99", Problem(Code.PERCENT_OUT_OF_RANGE, {"what": "discount"})),
    ],
)
def test_parse_discount_refuses_with_a_code(text: str, expected: Problem) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_discount(text)
    assert caught.value.problem == expected


def test_parse_discount_names_the_invoice_discount() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_discount("150", what="invoice_discount")
    assert caught.value.problem == Problem(Code.PERCENT_OUT_OF_RANGE, {"what": "invoice_discount"})


def test_parse_document_date() -> None:
    from datetime import datetime

    assert parse_document_date("30.11.2026") == datetime(2026, 11, 30)
    assert parse_document_date(" 2026-11-30 ") == datetime(2026, 11, 30)
    assert parse_document_date("30.11.26") == datetime(2026, 11, 30)
    for bad in ("", "31.02.2026", "завтра"):
        with pytest.raises(ValidationError) as caught:
            parse_document_date(bad)
        assert caught.value.problem == Problem(Code.DATE_INVALID, {"text": bad.strip()})
