"""Form validators: any text gives a value or a Problem, never an exception, and whatever they
accept satisfies the documented rules (ASCII digits only, ИНН control digits, one e-mail
address with no white space or control characters, numbers that fit 1C's Number(15, places)).

The rules are re-implemented here independently (plain loops, not the product's regexes).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from tests.property.budget import budget
from tests.property.strategies import (
    ARABIC_INDIC_DIGITS,
    ASCII_DIGITS,
    FULLWIDTH_DIGITS,
    OTHER_DIGITS,
    any_text,
    swap_digits,
)
from tui_crm.domain.money import parse_decimal
from tui_crm.domain.problems import Code, Problem, ValidationError
from tui_crm.domain.validation import (
    ClientKind,
    normalize_phone,
    validate_client,
    validate_email,
    validate_inn,
    validate_kpp,
    validate_phone,
)
from tui_crm.screens.forms import check_date, check_discount, check_quantity

# -- an independent ИНН reference ------------------------------------------------------------

_W10 = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_W11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_W12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)


def _control(digits: str, weights: tuple[int, ...]) -> str:
    total = 0
    for ch, w in zip(digits, weights, strict=True):
        total += "0123456789".index(ch) * w
    return str(total % 11 % 10)


def ref_inn_ok(text: str) -> bool:
    """The ФНС rule, from the weights: ASCII digits only, 10 or 12 of them, region not 00."""
    if len(text) not in (10, 12) or any(ch not in ASCII_DIGITS for ch in text):
        return False
    if text.startswith("00"):
        return False
    if len(text) == 10:
        return _control(text[:9], _W10) == text[9]
    return _control(text[:10], _W11) == text[10] and _control(text[:11], _W12) == text[11]


def ref_make_inn(seed: str) -> str:
    if len(seed) == 9:
        return seed + _control(seed, _W10)
    eleven = seed + _control(seed, _W11)
    return eleven + _control(eleven, _W12)


ascii_digits = st.text(st.sampled_from(ASCII_DIGITS), min_size=1, max_size=13)
inn_seed = st.one_of(
    st.text(st.sampled_from(ASCII_DIGITS), min_size=9, max_size=9),
    st.text(st.sampled_from(ASCII_DIGITS), min_size=10, max_size=10),
).filter(lambda s: not s.startswith("00"))


def _is_problem(value: object) -> bool:
    return isinstance(value, Problem) and isinstance(value.code, Code)


# -- ИНН ---------------------------------------------------------------------------------------

@given(st.one_of(any_text, ascii_digits, inn_seed.map(ref_make_inn)))
@budget(400)
def test_inn_accepts_exactly_the_reference_rule(text: str) -> None:
    found = validate_inn(text)
    assert found is None or _is_problem(found)
    assert (found is None) == ref_inn_ok(text.strip())


@given(inn_seed, st.data())
@budget(200)
def test_inn_with_digits_of_another_script_is_refused(seed: str, data: st.DataObject) -> None:
    inn = ref_make_inn(seed)
    assert validate_inn(inn) is None
    table = data.draw(st.sampled_from([FULLWIDTH_DIGITS, ARABIC_INDIC_DIGITS]))
    other = swap_digits(inn, table, data)
    if other != inn:
        found = validate_inn(other)
        assert found is not None and found.code is Code.INN_NOT_DIGITS


# -- КПП ---------------------------------------------------------------------------------------

def ref_kpp_ok(text: str) -> bool:
    """4 digits, 2 digits or capital Latin letters, 3 digits; ASCII only."""
    if len(text) != 9:
        return False
    latin = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return (all(ch in ASCII_DIGITS for ch in text[:4] + text[6:])
            and all(ch in ASCII_DIGITS + latin for ch in text[4:6]))


kpp_like = st.builds(
    lambda a, b, c: a + b + c,
    st.text(st.sampled_from(ASCII_DIGITS + OTHER_DIGITS), min_size=4, max_size=4),
    st.text(st.sampled_from(ASCII_DIGITS + "AZQ" + FULLWIDTH_DIGITS + "ＡΑА"), min_size=2, max_size=2),
    st.text(st.sampled_from(ASCII_DIGITS + OTHER_DIGITS), min_size=3, max_size=3),
)


@given(st.one_of(any_text, kpp_like, kpp_like.map(lambda s: s + "\n")))
@budget(500)
def test_kpp_accepts_exactly_ascii_digits_and_latin_capitals(text: str) -> None:
    found = validate_kpp(text)
    assert found is None or _is_problem(found)
    assert (found is None) == ref_kpp_ok(text.strip())


# -- phones ------------------------------------------------------------------------------------

phone_like = st.builds(
    lambda prefix, body, sep: prefix + sep.join(body[i:i + 3] for i in range(0, len(body), 3)),
    st.sampled_from(["", "+", "+7 ", "8 ", "+44 "]),
    st.text(st.sampled_from(ASCII_DIGITS + OTHER_DIGITS), min_size=6, max_size=15),
    st.sampled_from(["", " ", "-", "\u00a0", "\n", "\x1c", "\u2028", "\t"]),
)

_PHONE_CHARS = set(ASCII_DIGITS + "+()-. \u00a0\u2009\u202f")


@given(st.one_of(any_text, phone_like))
@budget(600)
def test_phone_is_e164_of_the_ascii_digits_typed(text: str) -> None:
    normal = normalize_phone(text)
    problem = validate_phone(text)
    assert (normal is None) == (problem is not None)
    if normal is None:
        assert problem is not None and problem.code is Code.PHONE_INVALID
        return
    typed = text.strip()
    # only digits, + and the documented separators (no control characters, no other scripts)
    assert set(typed) <= _PHONE_CHARS, typed
    assert re.fullmatch(r"\+[0-9]{8,15}", normal, re.ASCII), normal
    digits = "".join(ch for ch in typed if ch in ASCII_DIGITS)
    if typed.startswith("+"):
        assert normal == "+" + digits
    else:
        assert normal[2:] == digits[-10:] and normal.startswith("+7")


# -- e-mail ------------------------------------------------------------------------------------

email_like = st.builds(
    lambda local, domain, tld, tail: f"{local}@{domain}.{tld}{tail}",
    st.text(min_size=1, max_size=12),
    st.text(st.sampled_from("abcz09-яё١０_"), min_size=1, max_size=10),
    st.sampled_from(["ru", "com", "рф", "r", "c0", "ру١"]),
    st.sampled_from(["", "\n", "\r\n", " ", "\x00", "\u202e", "\n\n"]),
)


def _visible(ch: str) -> bool:
    return unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp")


@given(st.one_of(any_text, email_like))
@budget(600)
def test_email_accepted_is_one_visible_address(text: str) -> None:
    found = validate_email(text)
    assert found is None or _is_problem(found)
    if found is not None:
        return
    value = text.strip()
    assert value.count("@") == 1
    local, domain = value.split("@")
    assert local and "." in domain and ".." not in value
    assert all(_visible(ch) for ch in value), repr(value)


def test_email_with_a_trailing_newline_inside_the_checked_text_is_refused() -> None:
    # The regex used to end in `$`, which also matches before a final newline.
    from tui_crm.domain import validation

    assert validation._EMAIL_RE.fullmatch("a@b.ru\n") is None
    assert validate_email("a@b.ru\n") is None  # surrounding white space is trimmed, by design


# -- the client card ---------------------------------------------------------------------------

@given(
    st.sampled_from(list(ClientKind)),
    any_text,
    st.one_of(any_text, inn_seed.map(ref_make_inn)),
    st.one_of(any_text, kpp_like),
    st.lists(st.one_of(any_text, phone_like), max_size=3),
    st.one_of(any_text, email_like),
)
@budget(300)
def test_client_card_gives_problems_never_exceptions(kind, name, inn, kpp, phones, email) -> None:
    problems = validate_client(kind=kind, name=name, inn=inn, kpp=kpp, phones=phones, email=email)
    assert set(problems) <= {"name", "inn", "kpp", "phones", "email"}
    assert all(_is_problem(p) for p in problems.values())
    if "inn" not in problems and inn.strip():
        assert ref_inn_ok(inn.strip()) and len(inn.strip()) == kind.inn_length
    if "kpp" not in problems and kind.has_kpp:
        assert ref_kpp_ok(kpp.strip())


# -- typed numbers -----------------------------------------------------------------------------

_GROUP = " \u00a0\u2009\u202f"

number_like = st.builds(
    lambda sign, whole, sep, frac: f"{sign}{whole}{sep}{frac}",
    st.sampled_from(["", "-", "+", " ", "--"]),
    st.text(st.sampled_from(ASCII_DIGITS + OTHER_DIGITS + " \u00a0"), max_size=30),
    st.sampled_from(["", ".", ",", "٫", "。"]),
    st.text(st.sampled_from(ASCII_DIGITS + OTHER_DIGITS), max_size=5),
)


def ref_number(text: str) -> Decimal | None:
    """What an operator meant, by the documented rule (ASCII digits, `.` or `,`, group spaces)."""
    compact = "".join(ch for ch in text.strip() if ch not in _GROUP)
    sign = ""
    if compact[:1] in ("+", "-"):
        sign, compact = compact[0], compact[1:]
    whole, _sep, frac = compact.replace(",", ".").partition(".")
    if "." in frac or not (whole or frac):
        return None
    if any(ch not in ASCII_DIGITS for ch in whole + frac):
        return None
    return Decimal(f"{'-' if sign == '-' else ''}{whole or '0'}.{frac or '0'}")


@given(st.one_of(any_text, number_like), st.integers(0, 3), st.booleans())
@budget(900)
def test_parse_decimal_is_the_reference_or_a_problem(text: str, places: int, negative: bool) -> None:
    try:
        value = parse_decimal(text, places=places, allow_negative=negative)
    except ValidationError as exc:
        assert _is_problem(exc.problem)
        return
    expected = ref_number(text)
    assert expected is not None, f"accepted {text!r} as {value}"
    assert value == expected
    assert value.as_tuple().exponent == -places
    assert len(value.as_tuple().digits) <= 15 or value == 0
    assert negative or value >= 0


@given(st.one_of(any_text, number_like))
@budget(500)
def test_quantity_form_gives_a_positive_number_or_a_message(text: str) -> None:
    value, why = check_quantity(text)
    assert (value is None) != (why is None)
    if value is None:
        assert isinstance(why, str) and why.strip()
        return
    assert ref_number(text) == value
    assert Decimal(0) < value < Decimal(10) ** 12
    assert value.as_tuple().exponent >= -3


@given(st.one_of(any_text, number_like))
@budget(500)
def test_discount_form_gives_a_percent_or_a_message(text: str) -> None:
    value, why = check_discount(text)
    assert (value is None) != (why is None)
    if value is None:
        assert isinstance(why, str) and why.strip()
        return
    if text.strip():
        assert ref_number(text) == value
    assert Decimal(0) <= value <= Decimal(100)


date_like = st.builds(
    lambda d, m, y, sep: f"{d}{sep}{m}{sep}{y}",
    st.integers(0, 40).map(str), st.integers(0, 13).map(lambda n: f"{n:02d}"),
    st.sampled_from(["2026", "26", "0001", "9999", "２０２６", "٢٠٢٦"]),
    st.sampled_from([".", "-", "/"]),
) | st.dates().map(lambda d: d.strftime("%d.%m.%Y"))


@given(st.one_of(any_text, date_like))
@budget(400)
def test_date_form_gives_a_date_or_a_problem(text: str) -> None:
    value, found = check_date(text)
    assert (value is None) != (found is None)
    if value is None:
        # not a date at all, or one past 31.12.3999, where 1C's Date ends
        assert found is not None and found.code in (Code.DATE_INVALID, Code.DATE_AFTER_1C)
        return
    assert isinstance(value, datetime) and value != datetime(1, 1, 1)  # 1C's "no date"
    assert all(ch in ASCII_DIGITS + ".-" for ch in text.strip()), repr(text)
