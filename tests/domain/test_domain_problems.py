"""Problems are codes with parameters; one catalog words every code in English and Russian."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from decimal import Decimal as D
from pathlib import Path

import pytest

import tui_crm.domain
from tui_crm.domain.problems import Code, Problem, ValidationError
from tui_crm.domain.validation import ClientKind
from tui_crm.i18n import set_language
from tui_crm.problems import CATALOG, describe

DOMAIN_DIR = Path(tui_crm.domain.__file__).parent

# One example of each code with the parameters the domain gives it, and the parameter values
# that must show up in the sentence (as the user would read them in English / Russian).
SAMPLES: dict[Code, tuple[dict[str, object], tuple[str, ...], tuple[str, ...]]] = {
    Code.NUMBER_EMPTY: ({"what": "quantity"}, ("quantity",), ("количество",)),
    Code.NOT_A_NUMBER: ({"what": "quantity", "text": "abc"}, ("abc",), ("abc",)),
    Code.NOT_WHOLE: ({"what": "quantity"}, ("quantity",), ("Количество",)),
    Code.TOO_MANY_DECIMALS: ({"what": "quantity", "places": 3}, ("3",), ("3",)),
    Code.TOO_MANY_DIGITS: ({"what": "quantity", "max_digits": 12}, ("12",), ("12",)),
    Code.NEGATIVE: ({"what": "price"}, ("price",), ("Цена",)),
    Code.NO_PRODUCT: ({}, (), ()),
    Code.QUANTITY_NOT_POSITIVE: ({}, (), ()),
    Code.QUANTITY_TOO_LARGE: ({}, (), ()),
    Code.SHIPMENT_ABOVE_LEFT: ({"left": D("2.5")}, ("2.5",), ("2,5",)),
    Code.SHIPMENT_NOTHING: ({}, (), ()),
    Code.PRICE_TOO_LARGE: ({}, (), ()),
    Code.AMOUNT_TOO_LARGE: ({}, ("13",), ("13",)),
    Code.PERCENT_OUT_OF_RANGE: (
        {"what": "invoice_discount"},
        ("invoice discount", "100"),
        ("Скидка на счёт",),
    ),
    Code.NO_CLIENT: ({}, (), ()),
    Code.NO_WAREHOUSE: ({}, (), ()),
    Code.NO_LINES: ({}, (), ()),
    Code.IN_LINE: (
        {"line": 2, "problem": Problem(Code.QUANTITY_NOT_POSITIVE)},
        ("Line 2", "greater than zero"),
        ("Строка 2", "больше нуля"),
    ),
    Code.DATE_INVALID: ({"text": "31.02.2026"}, ("YYYY-MM-DD",), ("ДД.ММ.ГГГГ",)),
    Code.DATE_AFTER_1C: ({"text": "01.01.4000"}, ("1C", "31.12.3999"), ("1С", "31.12.3999")),
    Code.NAME_EMPTY: ({}, (), ()),
    Code.NAME_TOO_LONG: ({"max_length": 100}, ("100",), ("100",)),
    Code.INN_EMPTY: ({}, ("ИНН",), ("ИНН",)),
    Code.INN_REQUIRED: (
        {"kind": ClientKind.SOLE_PROPRIETOR, "length": 12},
        ("12", "a sole proprietor"),
        ("12", "ИП"),
    ),
    Code.INN_NOT_DIGITS: ({}, (), ()),
    Code.INN_WRONG_LENGTH: ({"length": 11}, ("11",), ("11",)),
    Code.INN_REGION_00: ({}, ("00",), ("00",)),
    Code.INN_CHECKSUM: ({}, (), ()),
    Code.INN_LENGTH_FOR_KIND: (
        {"kind": ClientKind.INDIVIDUAL, "expected": 12, "length": 10},
        ("an individual", "12", "10"),
        ("Физлицо", "12", "10"),
    ),
    Code.KPP_EMPTY: ({}, ("КПП",), ("КПП",)),
    Code.KPP_WRONG_LENGTH: ({"length": 2}, ("2",), ("2",)),
    Code.KPP_FORMAT: ({}, (), ()),
    Code.KPP_NOT_ALLOWED: ({"kind": ClientKind.SOLE_PROPRIETOR}, ("a sole proprietor",), ("ИП",)),
    Code.PHONE_INVALID: ({"text": "12-ab"}, ("12-ab",), ("12-ab",)),
    Code.IN_PHONE: (
        {"n": 3, "problem": Problem(Code.PHONE_INVALID, {"text": "x1"})},
        ("Phone 3", "x1"),
        ("Телефон 3", "x1"),
    ),
    Code.EMAIL_EMPTY: ({}, (), ()),
    Code.EMAIL_INVALID: ({"text": "a@"}, ("a@",), ("a@",)),
    Code.CUSTOM_REQUIRED: ({}, ("required",), ("заполнить",)),
    Code.CUSTOM_TOO_LONG: ({"max_length": 10}, ("10",), ("10",)),
    Code.CUSTOM_OUT_OF_RANGE: ({"minimum": D(1), "maximum": D(100)}, ("1", "100"), ("1", "100")),
    Code.FILTER_YES_NO: ({}, ("field=yes",), ("поле=да",)),
    Code.FILTER_COMPARE_TEXT: ({}, ("numbers",), ("чисел",)),
}


@pytest.fixture(autouse=True)
def _english_after() -> Iterator[None]:
    yield
    set_language("en")


def test_every_code_has_english_and_russian_text() -> None:
    missing = [
        code.value
        for code in Code
        if not all(CATALOG.get(f"problem.{code.value}", {}).get(lang) for lang in ("en", "ru"))
    ]
    assert missing == []


def test_every_catalog_entry_is_bilingual() -> None:
    one_sided = [key for key, entry in CATALOG.items() if not (entry.get("en") and entry.get("ru"))]
    assert one_sided == []


def test_every_code_has_a_sample_here() -> None:
    assert set(SAMPLES) == set(Code)


def test_every_code_is_one_the_domain_can_return() -> None:
    """No dead codes: each member is referenced by some domain module other than problems.py."""
    used: set[str] = set()
    for path in DOMAIN_DIR.glob("*.py"):
        if path.name == "problems.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id == "Code"):
                used.add(node.attr)
    assert used == {code.name for code in Code}


@pytest.mark.parametrize("lang", ["en", "ru"])
@pytest.mark.parametrize("code", list(Code), ids=lambda c: c.value)
def test_each_code_renders_with_its_parameters(code: Code, lang: str) -> None:
    params, en_parts, ru_parts = SAMPLES[code]
    set_language(lang)
    text = describe(Problem(code, params))
    assert text.strip()
    assert not re.search(r"\{\w*\}", text), text  # every placeholder filled
    assert "problem." not in text, text  # no raw key
    for part in en_parts if lang == "en" else ru_parts:
        assert part in text, (part, text)
    if lang == "ru":
        assert re.search("[а-яё]", text), text  # actually Russian, not the English fallback


def test_english_and_russian_differ() -> None:
    for code in Code:
        params = SAMPLES[code][0]
        set_language("en")
        en = describe(Problem(code, params))
        set_language("ru")
        ru = describe(Problem(code, params))
        assert en != ru, code


def test_subject_specific_wording() -> None:
    set_language("ru")
    assert describe(Problem(Code.NUMBER_EMPTY, {"what": "quantity"})) == "Введите количество."
    out_of_range = Problem(Code.PERCENT_OUT_OF_RANGE, {"what": "discount"})
    assert describe(out_of_range) == "Скидка — от 0 до 100 %."
    set_language("en")
    assert describe(Problem(Code.NUMBER_EMPTY, {"what": "discount"})) == "Enter the discount."


def test_decimal_parameters_follow_the_language() -> None:
    # no code carries a Decimal today, but a number parameter must read like the language
    set_language("ru")
    assert describe(Problem(Code.NAME_TOO_LONG, {"max_length": D("1.5")})).count("1,5") == 1
    set_language("en")
    assert describe(Problem(Code.NAME_TOO_LONG, {"max_length": D("1.5")})).count("1.5") == 1


def test_problems_are_values() -> None:
    a = Problem(Code.IN_LINE, {"line": 1, "problem": Problem(Code.NO_PRODUCT)})
    b = Problem(Code.IN_LINE, {"line": 1, "problem": Problem(Code.NO_PRODUCT)})
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    assert a.innermost == Problem(Code.NO_PRODUCT)
    with pytest.raises(TypeError):
        a.params["line"] = 2  # type: ignore[index]
    error = ValidationError(a)
    assert isinstance(error, ValueError) and error.problem is a
    assert "invoice.in_line" in str(error)
