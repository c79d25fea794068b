"""Company-specific fields (a profile's ``[custom_fields]``): what each one is and how a typed value
is checked, stored and shown.

A profile describes each field (``FieldSpec``): its kind (text, number, date, yes/no, or a
reference to an item of a 1C catalog), its label in both languages, whether it is required and
its limits. Screens build their widgets from the specs; this module decides whether what was
typed is acceptable (a :class:`~tui_crm.domain.problems.Problem` when not) and turns values into
the JSON kept on the client or invoice and back. Numbers are ``Decimal`` (kept in JSON as text so
no float ever touches them), dates are ``date`` (ISO text in JSON).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from tui_crm.domain.invoice import parse_document_date
from tui_crm.domain.money import parse_decimal
from tui_crm.domain.problems import Code, Problem, ValidationError, problem

__all__ = [
    "CustomFieldSet",
    "CustomFilter",
    "CustomValue",
    "FieldKind",
    "FieldSpec",
    "check_value",
    "format_value",
    "from_json",
    "parse_value",
    "problem_of",
    "split_filter",
    "to_json",
]

CustomValue = str | Decimal | date | bool | None


class FieldKind(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    YES_NO = "yes_no"
    REFERENCE = "reference"


@dataclass(frozen=True)
class FieldSpec:
    """One company-specific field as the profile describes it."""

    name: str                        # CRM name, the key in the JSON column
    kind: FieldKind
    label_en: str
    label_ru: str
    required: bool = False
    max_length: int | None = None    # text
    minimum: Decimal | None = None   # number
    maximum: Decimal | None = None   # number
    places: int = 2                  # number: digits after the point
    catalog: str = ""                # reference: the 1C catalog (entity set) of its items

    def label(self, lang: str) -> str:
        return self.label_ru if lang == "ru" else self.label_en


@dataclass(frozen=True)
class CustomFieldSet:
    """The fields of clients and of invoices (empty when the profile has none)."""

    client: tuple[FieldSpec, ...] = ()
    invoice: tuple[FieldSpec, ...] = ()

    def catalog_names(self) -> list[str]:
        """The 1C catalogs reference fields point to (each once, in order)."""
        return list(dict.fromkeys(s.catalog for s in (*self.client, *self.invoice)
                                  if s.kind is FieldKind.REFERENCE and s.catalog))


def parse_value(spec: FieldSpec, text: str) -> CustomValue:
    """What the operator typed (for a reference: the chosen item's id) as a typed value; empty
    text is ``None``. Raises :class:`ValidationError` when it is not acceptable."""
    stripped = text.strip()
    if not stripped:
        if spec.required:
            raise ValidationError(problem(Code.CUSTOM_REQUIRED))
        return None
    if spec.kind is FieldKind.NUMBER:
        value = parse_decimal(stripped, places=spec.places, allow_negative=True, what="value")
        check = check_value(spec, value)
        if check is not None:
            raise ValidationError(check)
        return value
    if spec.kind is FieldKind.DATE:
        return parse_document_date(stripped).date()
    if spec.kind is FieldKind.YES_NO:
        raise TypeError("a yes/no field is a switch, not text")
    if spec.max_length is not None and len(stripped) > spec.max_length:
        raise ValidationError(problem(Code.CUSTOM_TOO_LONG, max_length=spec.max_length))
    return stripped


def check_value(spec: FieldSpec, value: CustomValue) -> Problem | None:
    """Limits of a typed value (required, range); None when it is fine."""
    if value is None or value == "":
        return problem(Code.CUSTOM_REQUIRED) if spec.required else None
    if spec.kind is FieldKind.NUMBER and isinstance(value, Decimal):
        low, high = spec.minimum, spec.maximum
        if (low is not None and value < low) or (high is not None and value > high):
            return problem(Code.CUSTOM_OUT_OF_RANGE, minimum=low if low is not None else "−∞",
                           maximum=high if high is not None else "∞")
    return None


def to_json(spec: FieldSpec, value: CustomValue) -> str | bool | None:
    """The value as kept in the store's JSON column."""
    if value is None:
        return False if spec.kind is FieldKind.YES_NO else None
    if isinstance(value, bool):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def from_json(spec: FieldSpec, raw: object) -> CustomValue:
    """A stored (or pulled) value back as a typed one; anything unreadable is ``None``."""
    if spec.kind is FieldKind.YES_NO:
        return raw is True
    if raw is None or isinstance(raw, bool):
        return None
    if spec.kind is FieldKind.NUMBER:
        if isinstance(raw, int | float | str):
            try:
                value = Decimal(str(raw))
            except InvalidOperation:
                return None
            return value if value.is_finite() else None
        return None
    if not isinstance(raw, str):
        return None
    if spec.kind is FieldKind.DATE:
        try:
            day = datetime.fromisoformat(raw).date()
        except ValueError:
            return None
        return None if day == date(1, 1, 1) else day  # 1C's "no date"
    if spec.kind is FieldKind.REFERENCE:
        return None if raw.strip("0-") == "" else raw.lower()  # 1C's empty reference
    return raw


def format_value(spec: FieldSpec, value: CustomValue) -> str:
    """The text an input shows for a value (dates as 30.11.2026, numbers as typed)."""
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    return value


def problem_of(spec: FieldSpec, text: str) -> Problem | None:
    """The problem with typed text for a field, or None."""
    try:
        parse_value(spec, text)
    except ValidationError as exc:
        return exc.problem
    return None


# -- filtering the clients list by a field ---------------------------------------------------------

_YES = frozenset({"yes", "y", "true", "1", "да", "д"})
_NO = frozenset({"no", "n", "false", "0", "нет", "н"})
FILTER_OPS = ("=", ">", "<")


@dataclass(frozen=True)
class CustomFilter:
    """``field=value`` (text and reference items: contains, case aside; others: equal),
    ``field>value`` / ``field<value`` (numbers and dates)."""

    spec: FieldSpec
    op: str
    value: str | Decimal | date | bool


def _field_named(fields: tuple[FieldSpec, ...], word: str) -> FieldSpec | None:
    key = word.strip().lower()
    for spec in fields:
        names = (spec.name, spec.label_en.lower().replace(" ", "_"), spec.label_ru.lower().replace(" ", "_"))
        if key in names:
            return spec
    return None


def split_filter(fields: tuple[FieldSpec, ...], text: str) -> tuple[str, CustomFilter | None, Problem | None]:
    """Search text as (plain words, a field filter, the problem with the filter).

    The filter is the last word that holds ``=``, ``>`` or ``<``, with everything after it as the
    value: ``ромашка отрасль=опт`` → words ``ромашка``, filter отрасль contains «опт». A word
    before the sign that names no field leaves the text as plain words."""
    for at, ch in enumerate(text):
        if ch in FILTER_OPS:
            head, value = text[:at].rstrip(), text[at + 1:].strip()
            words, _, name = head.rpartition(" ")
            spec = _field_named(fields, name)
            if spec is None:
                return text, None, None
            try:
                return words.strip(), _typed_filter(spec, ch, value), None
            except ValidationError as exc:
                return words.strip(), None, exc.problem
    return text, None, None


def _typed_filter(spec: FieldSpec, op: str, value: str) -> CustomFilter:
    if spec.kind is FieldKind.YES_NO:
        low = value.lower()
        if op != "=" or low not in _YES | _NO:
            raise ValidationError(problem(Code.FILTER_YES_NO))
        return CustomFilter(spec, op, low in _YES)
    if spec.kind is FieldKind.NUMBER:
        return CustomFilter(spec, op, parse_decimal(value, places=6, allow_negative=True, what="value"))
    if spec.kind is FieldKind.DATE:
        return CustomFilter(spec, op, parse_document_date(value).date())
    if op != "=":
        raise ValidationError(problem(Code.FILTER_COMPARE_TEXT))
    if not value:
        raise ValidationError(problem(Code.CUSTOM_REQUIRED))
    return CustomFilter(spec, op, value.lower())
