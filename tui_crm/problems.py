"""The one catalog that words the domain's problems, in English and Russian.

The domain reports a broken rule as a :class:`~tui_crm.domain.problems.Problem` (a code with
parameters) and never words it; screens call :func:`describe` and show the result. Every
:class:`~tui_crm.domain.problems.Code` has an ``en`` and a ``ru`` text here under
``problem.<code>``; a code may also have a text for one subject (``problem.<code>.<what>``) when
the general sentence would read badly, e.g. "Введите количество." instead of a generic one.

Parameters are formatted here for the current language: ``what`` becomes the subject noun
(``{what}``, and ``{What}`` capitalised to start a sentence), a client kind its noun, a Decimal
a number in the language's style, and a nested problem its own sentence.
"""

from __future__ import annotations

from decimal import Decimal
from enum import Enum
from typing import Final, Literal

from tui_crm.domain.money import format_qty
from tui_crm.domain.problems import Code, Problem
from tui_crm.domain.validation import ClientKind
from tui_crm.i18n import language, register, tr

__all__ = ["CATALOG", "describe"]

_T = dict[str, str]

CATALOG: Final[dict[str, _T]] = {
    # -- typed numbers --------------------------------------------------------------------------
    "problem.number.empty": {"en": "Enter the {what}.", "ru": "{What}: введите значение."},
    "problem.number.empty.quantity": {"en": "Enter the quantity.", "ru": "Введите количество."},
    "problem.number.empty.amount": {"en": "Enter the amount.", "ru": "Введите сумму."},
    "problem.number.not_a_number": {
        "en": "“{text}” is not a number; type digits like 2 or 1.5.",
        "ru": "«{text}» — не число; введите, например, 2 или 1,5.",
    },
    "problem.number.not_whole": {
        "en": "The {what} must be a whole number.",
        "ru": "{What}: нужно целое число.",
    },
    "problem.number.too_many_decimals": {
        "en": "At most {places} digits after the decimal point.",
        "ru": "Не больше {places} знаков после запятой.",
    },
    "problem.number.too_many_digits": {
        "en": "Too many digits: at most {max_digits} before the decimal point.",
        "ru": "Слишком много цифр: не больше {max_digits} до запятой.",
    },
    "problem.number.negative": {
        "en": "The {what} cannot be negative.",
        "ru": "{What} не может быть меньше нуля.",
    },
    # -- invoice ----------------------------------------------------------------------------------
    "problem.line.no_product": {"en": "Choose a product.", "ru": "Выберите товар."},
    "problem.quantity.not_positive": {
        "en": "The quantity must be greater than zero.",
        "ru": "Количество должно быть больше нуля.",
    },
    "problem.quantity.too_large": {
        "en": "The quantity is too large.",
        "ru": "Слишком большое количество.",
    },
    "problem.price.too_large": {"en": "The price is too large.", "ru": "Слишком большая цена."},
    "problem.amount.too_large": {
        "en": "The amount is too large for accounting (at most 13 digits before the point).",
        "ru": "Сумма слишком велика для учёта (не больше 13 цифр до запятой).",
    },
    "problem.percent.out_of_range": {
        "en": "The {what} must be between 0 and 100 %.",
        "ru": "{What} — от 0 до 100 %.",
    },
    "problem.invoice.no_client": {"en": "Choose a client.", "ru": "Выберите клиента."},
    "problem.invoice.no_warehouse": {"en": "Choose a warehouse.", "ru": "Выберите склад."},
    "problem.invoice.no_lines": {
        "en": "Add at least one product.",
        "ru": "Добавьте хотя бы один товар.",
    },
    "problem.invoice.in_line": {"en": "Line {line}: {problem}", "ru": "Строка {line}: {problem}"},
    "problem.date.invalid": {
        "en": "The date is not valid (YYYY-MM-DD).",
        "ru": "Неверная дата (ДД.ММ.ГГГГ).",
    },
    "problem.date.after_1c": {
        "en": "1C keeps dates up to 31.12.3999 only.",
        "ru": "1С хранит даты только до 31.12.3999.",
    },
    # -- shipment request -------------------------------------------------------------------------
    "problem.shipment.above_left": {
        "en": "More than is left to ship on this line ({left}).",
        "ru": "Больше, чем осталось отгрузить по строке ({left}).",
    },
    "problem.shipment.nothing": {
        "en": "Every quantity is 0: enter what to ship on at least one line.",
        "ru": "Все количества — 0: укажите, что отгрузить, хотя бы в одной строке.",
    },
    # -- client card ------------------------------------------------------------------------------
    "problem.name.empty": {"en": "Enter the client's name.", "ru": "Введите наименование клиента."},
    "problem.name.too_long": {
        "en": "The name is too long for 1C (at most {max_length} characters).",
        "ru": "Наименование длиннее, чем допускает 1С (не больше {max_length} символов).",
    },
    "problem.inn.empty": {"en": "Enter the ИНН.", "ru": "Введите ИНН."},
    "problem.inn.required": {
        "en": "Enter the ИНН ({length} digits for {kind}).",
        "ru": "Введите ИНН ({length} цифр, {kind}).",
    },
    "problem.inn.not_digits": {
        "en": "The ИНН must contain digits only.",
        "ru": "ИНН состоит только из цифр.",
    },
    "problem.inn.wrong_length": {
        "en": "The ИНН must have 10 digits (organisation) or 12 digits "
        "(person or sole proprietor); this one has {length}.",
        "ru": "В ИНН 10 цифр (организация) или 12 (ИП, физлицо); здесь {length}.",
    },
    "problem.inn.region_00": {
        "en": "The ИНН cannot start with 00 (its first two digits are the region code).",
        "ru": "ИНН не может начинаться с 00 (это код региона).",
    },
    "problem.inn.checksum": {
        "en": "The ИНН has a wrong check digit; there is a typo in it.",
        "ru": "Неверная контрольная цифра ИНН — в номере опечатка.",
    },
    "problem.inn.length_for_kind": {
        "en": "The ИНН of {kind} has {expected} digits; this one has {length}.",
        "ru": "ИНН для вида «{kind}» — {expected} цифр; здесь {length}.",
    },
    "problem.kpp.empty": {"en": "Enter the КПП.", "ru": "Введите КПП."},
    "problem.kpp.wrong_length": {
        "en": "The КПП must have 9 characters; this one has {length}.",
        "ru": "В КПП 9 знаков; здесь {length}.",
    },
    "problem.kpp.format": {
        "en": "The КПП must be 4 digits, then 2 digits or capital Latin letters, then 3 digits "
        "(e.g. 773601001).",
        "ru": "КПП: 4 цифры, затем 2 цифры или заглавные латинские буквы, затем 3 цифры "
        "(например, 773601001).",
    },
    "problem.kpp.not_allowed": {
        "en": "There is no КПП for {kind}; leave it empty.",
        "ru": "У вида «{kind}» нет КПП; оставьте поле пустым.",
    },
    "problem.phone.invalid": {
        "en": "“{text}” is not a phone number; type e.g. +7 912 345-67-89, "
        "or a foreign number starting with +.",
        "ru": "«{text}» — не номер телефона; введите, например, +7 912 345-67-89.",
    },
    "problem.client.in_phone": {"en": "Phone {n}: {problem}", "ru": "Телефон {n}: {problem}"},
    "problem.email.empty": {"en": "Enter the e-mail address.", "ru": "Введите адрес e-mail."},
    "problem.email.invalid": {
        "en": "“{text}” does not look like an e-mail address (name@example.ru).",
        "ru": "«{text}» не похоже на адрес e-mail (name@example.ru).",
    },
    # -- company-specific fields -----------------------------------------------------------------
    "problem.custom.required": {"en": "This field is required.", "ru": "Это поле нужно заполнить."},
    "problem.custom.too_long": {
        "en": "Too long: at most {max_length} characters.",
        "ru": "Слишком длинно: не больше {max_length} символов.",
    },
    "problem.custom.out_of_range": {
        "en": "Must be from {minimum} to {maximum}.",
        "ru": "Допустимо от {minimum} до {maximum}.",
    },
    "problem.filter.yes_no": {
        "en": "A yes/no field filters as field=yes or field=no.",
        "ru": "Поле «да/нет» фильтруется так: поле=да или поле=нет.",
    },
    "problem.filter.compare_text": {
        "en": "Text is filtered with = (contains); > and < are for numbers and dates.",
        "ru": "Текст фильтруется через = (содержит); > и < — для чисел и дат.",
    },
    # -- parameter words --------------------------------------------------------------------------
    "problem.what.amount": {"en": "amount", "ru": "сумма"},
    "problem.what.value": {"en": "value", "ru": "значение"},
    "problem.what.quantity": {"en": "quantity", "ru": "количество"},
    "problem.what.price": {"en": "price", "ru": "цена"},
    "problem.what.discount": {"en": "discount", "ru": "скидка"},
    "problem.what.invoice_discount": {"en": "invoice discount", "ru": "скидка на счёт"},
    "problem.kind.legal_entity": {"en": "a company", "ru": "Юрлицо"},
    "problem.kind.sole_proprietor": {"en": "a sole proprietor", "ru": "ИП"},
    "problem.kind.individual": {"en": "an individual", "ru": "Физлицо"},
}

register(CATALOG)


def _lang() -> Literal["en", "ru"]:
    return "ru" if language() == "ru" else "en"


def _word(value: object) -> str:
    """One parameter as text in the current language."""
    if isinstance(value, Problem):
        return describe(value)
    if isinstance(value, ClientKind):
        return tr(f"problem.kind.{value.value}")
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, Decimal):
        return format_qty(value, _lang())
    return str(value)


def describe(problem: Problem) -> str:
    """The sentence for `problem` in the interface language, from :data:`CATALOG`."""
    key = f"problem.{problem.code.value}"
    params = {name: _word(value) for name, value in problem.params.items()}
    what = problem.params.get("what")
    if isinstance(what, str):
        if f"{key}.{what}" in CATALOG:
            key = f"{key}.{what}"
        noun = tr(f"problem.what.{what}")
        noun = what.replace("_", " ") if noun == f"problem.what.{what}" else str(noun)
        params["what"] = noun
        params["What"] = noun[:1].upper() + noun[1:]
    return tr(key, **params) if params else str(tr(key))


def describe_all(problems: list[Problem], sep: str = " ") -> str:
    """Several problems as one text (sentences joined by a space)."""
    return sep.join(describe(p) for p in problems)


def _codes_without_text() -> list[str]:
    """Codes missing an English or Russian text (the test keeps this empty)."""
    return [
        code.value
        for code in Code
        if not all(CATALOG.get(f"problem.{code.value}", {}).get(lang) for lang in ("en", "ru"))
    ]
