"""The concrete cases the property suite found (or issue 9 reported), kept as plain examples so a
regression names itself without a hypothesis run."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from tui_crm.domain.invoice import parse_discount, parse_document_date, parse_line_quantity
from tui_crm.domain.money import parse_money
from tui_crm.domain.problems import Code, ValidationError
from tui_crm.domain.validation import normalize_phone, validate_email, validate_inn, validate_kpp
from tui_crm.screens.forms import check_quantity

FULLWIDTH_KPP = "７７０１０１００１"
ARABIC_KPP = "٧٧٠١٠١٠٠١"


@pytest.mark.parametrize("kpp", [FULLWIDTH_KPP, ARABIC_KPP, "77010100١", "773601001\n1"])
def test_kpp_of_non_ascii_digits_is_refused(kpp: str) -> None:
    found = validate_kpp(kpp)
    assert found is not None and found.code in (Code.KPP_FORMAT, Code.KPP_WRONG_LENGTH)
    assert validate_kpp("773601001") is None and validate_kpp("7736AB001") is None


@pytest.mark.parametrize("inn", ["７７０７０８３８９３", "٧٧٠٧٠٨٣٨٩٣"])
def test_inn_of_non_ascii_digits_is_refused(inn: str) -> None:
    found = validate_inn(inn)
    assert found is not None and found.code is Code.INN_NOT_DIGITS
    assert validate_inn("7707083893") is None


@pytest.mark.parametrize("phone", [
    "８９１２３４５６７８９", "+٧٩١٢٣٤٥٦٧٨٩", "+８１２３４５６７８", "8 912 345 67 8٩",
    "+7 912\n345 67 89", "+7 912\x1c345 67 89", "+7 912\u2028345 67 89",
])
def test_phone_of_non_ascii_digits_or_control_characters_is_refused(phone: str) -> None:
    assert normalize_phone(phone) is None
    assert normalize_phone("+7 (912) 345-67-89") == "+79123456789"
    assert normalize_phone("8\u00a0912\u2009345\u202f67 89") == "+79123456789"


@pytest.mark.parametrize("text", ["١٢٣", "１２", "1２", "١,٥"])
def test_quantity_of_non_ascii_digits_is_refused(text: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_line_quantity(text)
    assert caught.value.problem.code is Code.NOT_A_NUMBER
    value, why = check_quantity(text)
    assert value is None and why
    assert parse_line_quantity("1 000,5") == Decimal("1000.500")


@pytest.mark.parametrize("text", ["５", "٥٠", "１0"])
def test_discount_and_money_of_non_ascii_digits_are_refused(text: str) -> None:
    with pytest.raises(ValidationError):
        parse_discount(text)
    with pytest.raises(ValidationError):
        parse_money(text)


@pytest.mark.parametrize("text", ["1.1.000１", "３０.11.2026", "30.11.٢٠٢٦", "01.01.0001", "0001-01-01"])
def test_date_of_non_ascii_digits_or_1c_empty_date_is_refused(text: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_document_date(text)
    assert caught.value.problem.code is Code.DATE_INVALID
    assert parse_document_date(" 30.11.2026 ") == datetime(2026, 11, 30)


@pytest.mark.parametrize("text", ["31.12.9999", "9999-12-31", "01.01.4000", "4000-01-01"])
def test_date_after_the_last_one_1c_keeps_is_refused(text: str) -> None:
    """1C's Date ends on 31.12.3999: a later invoice date was saved and queued, then refused by 1C
    on push (or, west of UTC on the last day, overflowed into a traceback)."""
    with pytest.raises(ValidationError) as caught:
        parse_document_date(text)
    assert caught.value.problem.code is Code.DATE_AFTER_1C
    assert parse_document_date("31.12.3999") == datetime(3999, 12, 31)


@pytest.mark.parametrize("email", [
    "\x08@0.AA", "a\x00b@c.ru", "\u202eur.liame@a.ru", "a\u200bb@c.ru", "a\x7f@c.ru",
])
def test_email_with_control_or_invisible_characters_is_refused(email: str) -> None:
    found = validate_email(email)
    assert found is not None and found.code is Code.EMAIL_INVALID
    assert validate_email("имя@пример.рф") is None


def test_a_line_whose_amount_overflows_1c_number_15_2_is_refused() -> None:
    from tui_crm.domain.invoice import Invoice, InvoiceLine, validate_invoice, validate_line
    from tui_crm.domain.problems import Problem

    line = InvoiceLine("p", "c", "n", "шт", Decimal("82846"), Decimal("120705888.04"))
    assert line.amount >= Decimal(10) ** 13  # each figure fits, the product does not
    assert validate_line(line) == [Problem(Code.AMOUNT_TOO_LARGE)]
    half = InvoiceLine("p", "c", "n", "шт", Decimal(1), Decimal("6000000000000.00"))
    assert validate_line(half) == []
    inv = Invoice(lines=(half, half), client_id="c", warehouse_id="w")
    assert validate_invoice(inv) == [Problem(Code.AMOUNT_TOO_LARGE)]


def test_round_money_of_a_huge_decimal_is_exact_or_a_value_error() -> None:
    from tui_crm.domain.money import format_money, round_money

    assert round_money(Decimal("1E+26")) == Decimal("100000000000000000000000000.00")
    assert format_money(Decimal("-1E+26")).startswith("-100 000")
    with pytest.raises(ValueError):
        round_money(Decimal("1E+999999"))


@pytest.mark.parametrize("junk", [0, 7, ["x"], {"a": 1}, True])
def test_a_composite_type_that_is_not_text_is_bad_data(junk: object) -> None:
    from tui_crm.sync import parse
    from tui_crm.sync.profile import load_profile

    p = load_profile("bp3")
    row = {"ExtDimension1": "f728b4fa-4248-5e3a-0a5d-2f346baa9455", "ExtDimension1_Type": junk,
           "ExtDimension2": "e3e70682-c209-4cac-629f-6fbed82c07cd",
           "ExtDimension2_Type": "StandardODATA.Catalog_Склады", "КоличествоBalance": 0}
    with pytest.raises(parse.BadData):
        parse.stock_row(p, row)


@pytest.mark.parametrize("junk", [5, True, "text", 1.5])
def test_a_contact_table_part_that_is_not_a_list_is_bad_data(junk: object) -> None:
    from tui_crm.sync import parse
    from tui_crm.sync.profile import load_profile

    p = load_profile("ut11")
    row = {"Ref_Key": "f728b4fa-4248-5e3a-0a5d-2f346baa9455", p["contact"].lines: junk}
    with pytest.raises(parse.BadData):
        parse.contacts_from_table_part(p, row, {})


@pytest.mark.parametrize("junk", [float("inf"), float("-inf"), float("nan")])
def test_a_custom_field_of_1e999_is_bad_data_not_invalid_json(junk: float) -> None:
    from tui_crm.sync import parse
    from tui_crm.sync.profile import _bundled_text, _parse, profile_from_dict

    data = _parse(_bundled_text("ka1"), "ka1")
    data["custom_fields"] = {"client": {"okpo": "КодПоОКПО"}}
    p = profile_from_dict(data, "ka1+custom")
    row = {"Ref_Key": "f728b4fa-4248-5e3a-0a5d-2f346baa9455", "Description": "x", "ИНН": "",
           "КодПоОКПО": junk}
    with pytest.raises(parse.BadData):
        parse.counterparty(p, row)
    # a field without a kind is text: a number 1C sends for it is kept as its text
    assert '"okpo": "12.5"' in parse.counterparty(p, {**row, "КодПоОКПО": 12.5})[-1]
