"""Money: Decimal only, 1C rounding (halves away from zero), display and parsing."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from tui_crm.domain.money import (
    format_money,
    format_qty,
    parse_money,
    parse_quantity,
    round_money,
    round_qty,
    to_money,
)
from tui_crm.domain.problems import Code, Problem, ValidationError


@pytest.mark.parametrize("value, expected", [(D("1.5"), D("1.5")), (7, D(7)), (" 12.30 ", D("12.30"))])
def test_to_money_accepts_decimal_int_str(value: object, expected: D) -> None:
    assert to_money(value) == expected  # type: ignore[arg-type]
    assert isinstance(to_money(value), D)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [0.1, 1.0, True])
def test_to_money_rejects_float_and_bool(value: object) -> None:
    with pytest.raises(TypeError):
        to_money(value)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["abc", "", "NaN", "Infinity", D("NaN")])
def test_to_money_rejects_non_numbers(value: object) -> None:
    with pytest.raises(ValueError):
        to_money(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "value, expected",
    [
        ("0.005", "0.01"),
        ("-0.005", "-0.01"),  # 1C Окр: away from zero, not banker's rounding
        ("2.675", "2.68"),
        ("-2.675", "-2.68"),
        ("0.125", "0.13"),  # ROUND_HALF_EVEN would give 0.12
        ("0.0049999", "0.00"),
        ("10", "10.00"),
    ],
)
def test_round_money_halves_away_from_zero(value: str, expected: str) -> None:
    result = round_money(D(value))
    assert result == D(expected)
    assert str(result) == expected


def test_round_qty_three_places() -> None:
    assert round_qty(D("1.0005")) == D("1.001")
    assert round_qty(D("-1.0005")) == D("-1.001")
    assert str(round_qty(2)) == "2.000"


@pytest.mark.parametrize(
    "value, lang, expected",
    [
        (D("12345.6"), "en", "12 345.60"),
        (D("12345.6"), "ru", "12 345,60"),
        (D("0"), "en", "0.00"),
        (D("999.995"), "en", "1 000.00"),
        (D("-1234567.005"), "ru", "-1 234 567,01"),
        (D("123"), "en", "123.00"),
        (1000, "en", "1 000.00"),
    ],
)
def test_format_money(value: D, lang: str, expected: str) -> None:
    assert format_money(value, lang) == expected  # type: ignore[arg-type]


def test_format_money_custom_separator_and_bad_lang() -> None:
    assert format_money(D("1234.5"), "ru", thousands_sep="\u2009") == "1\u2009234,50"
    with pytest.raises(ValueError):
        format_money(D(1), "de")  # type: ignore[arg-type]


def test_format_qty_drops_trailing_zeros() -> None:
    assert format_qty(D("1250.000")) == "1 250"
    assert format_qty(D("2.5"), "ru") == "2,5"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1 234,50", "1234.50"),
        ("1234.5", "1234.50"),
        ("1\u00a0234,5", "1234.50"),
        ("  7 ", "7.00"),
        (",5", "0.50"),
        ("0", "0.00"),
    ],
)
def test_parse_money_accepts_what_people_type(text: str, expected: str) -> None:
    assert str(parse_money(text)) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", Problem(Code.NUMBER_EMPTY, {"what": "amount"})),
        ("abc", Problem(Code.NOT_A_NUMBER, {"what": "amount", "text": "abc"})),
        ("12a", Problem(Code.NOT_A_NUMBER, {"what": "amount", "text": "12a"})),
        ("1,2,3", Problem(Code.NOT_A_NUMBER, {"what": "amount", "text": "1,2,3"})),
        ("1.234,50", Problem(Code.NOT_A_NUMBER, {"what": "amount", "text": "1.234,50"})),
        ("-", Problem(Code.NOT_A_NUMBER, {"what": "amount", "text": "-"})),
        ("1.234", Problem(Code.TOO_MANY_DECIMALS, {"what": "amount", "places": 2})),
        ("-5", Problem(Code.NEGATIVE, {"what": "amount"})),
        ("1" * 14, Problem(Code.TOO_MANY_DIGITS, {"what": "amount", "max_digits": 13})),
        ("9" * 40, Problem(Code.TOO_MANY_DIGITS, {"what": "amount", "max_digits": 13})),
    ],
)
def test_parse_money_rejects_with_a_code(text: str, expected: Problem) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_money(text)
    assert caught.value.problem == expected
    assert isinstance(caught.value, ValueError)  # callers that only ask "refused?" keep working


def test_parse_money_largest_number_fits() -> None:
    assert parse_money("9" * 13 + ",99") == D("9999999999999.99")
    assert parse_money("0" * 30 + "1") == D("1.00")  # leading zeros are not digits that count


def test_parse_money_negative_when_allowed() -> None:
    assert parse_money("-1 000,5", allow_negative=True) == D("-1000.50")


def test_parse_quantity_three_places() -> None:
    assert parse_quantity("2,125") == D("2.125")
    with pytest.raises(ValidationError) as caught:
        parse_quantity("1.0001")
    assert caught.value.problem == Problem(Code.TOO_MANY_DECIMALS, {"what": "quantity", "places": 3})


def test_parse_decimal_whole_numbers_and_digit_limits() -> None:
    from tui_crm.domain.money import parse_decimal

    with pytest.raises(ValidationError) as caught:
        parse_decimal("1,5", places=0, what="quantity")
    assert caught.value.problem == Problem(Code.NOT_WHOLE, {"what": "quantity"})
    with pytest.raises(ValidationError) as caught:
        parse_decimal("1000", places=2, what="discount", max_digits=3)
    assert caught.value.problem == Problem(Code.TOO_MANY_DIGITS, {"what": "discount", "max_digits": 3})


def test_round_pct_halves_away_from_zero() -> None:
    from tui_crm.domain.money import round_pct
    from tui_crm.domain.status import percent

    assert round_pct(D("12.25")) == D("12.3") and round_pct(D("-12.25")) == D("-12.3")
    assert percent(D("0.1225")) == D("12.3") and percent(D("0.1235")) == D("12.4")
