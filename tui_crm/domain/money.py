"""Money and quantity arithmetic the way 1C:Enterprise does it.

Every amount in tui-crm is a :class:`decimal.Decimal`. Floats are refused outright: a float
cannot hold 0.1 exactly, so one float slipping into a total makes our figures differ from the
accounting system's by a kopeck, which is exactly the kind of mismatch an operator reports as
"the CRM is wrong".

Rounding follows 1C's ``Окр(x, 2)`` in its default mode (``РежимОкругления.Окр15как20``): halves
go *away from zero*, so ``0.005 → 0.01`` and ``-0.005 → -0.01``. That is Python's
``ROUND_HALF_UP`` (not ``ROUND_HALF_EVEN``, the banker's rounding ``round()`` uses).

Amounts carry 2 decimal places (1C ``Number(15,2)``), quantities 3 (``Number(15,3)``).
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from typing import Final, Literal

from tui_crm.domain.problems import Code, ValidationError, problem

__all__ = [
    "CENT",
    "ZERO",
    "MoneyInput",
    "format_money",
    "format_qty",
    "parse_decimal",
    "parse_money",
    "parse_quantity",
    "round_money",
    "round_qty",
    "to_money",
]

MoneyInput = Decimal | int | str
"""What :func:`to_money` accepts: never ``float``."""

ZERO: Final = Decimal("0")
CENT: Final = Decimal("0.01")
_QTY_STEP: Final = Decimal("0.001")

# Spaces people (and locales) put between digit groups: normal, no-break, thin, narrow no-break.
_GROUP_SPACES: Final = " \u00a0\u2009\u202f"
# ASCII digits only (used with fullmatch): `\d` and `Decimal()` also take full-width (５) and
# Arabic-Indic (٥) digits, which 1C does not read as a number.
_NUMBER_RE: Final = re.compile(r"([+-]?)([0-9]*)(?:[.,]([0-9]*))?")
_MAX_DIGITS: Final = 15
"""1C numbers the CRM writes are ``Number(15, places)``: 15 digits in all."""


def to_money(value: MoneyInput) -> Decimal:
    """Convert ``value`` to a finite ``Decimal`` without rounding it.

    Accepts ``Decimal``, ``int`` and numeric ``str`` (surrounding whitespace allowed, ``.`` as
    the decimal point, as 1C's OData returns numbers). Rejects ``float`` and ``bool`` with
    ``TypeError`` (a float has already lost precision; a bool is almost certainly a bug), and
    text that is not a number, NaN or infinity with ``ValueError``.
    """
    if isinstance(value, (bool, float)):
        raise TypeError(
            f"money must be Decimal, int or str, not {type(value).__name__} ({value!r}); "
            "floats cannot represent kopecks exactly"
        )
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"not a number: {value!r}") from None
    else:
        raise TypeError(f"money must be Decimal, int or str, not {type(value).__name__}")
    if not result.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return result


_PCT_STEP: Final = Decimal("0.1")
_ROUND_LIMIT: Final = 28
"""Rounding refuses numbers of 10**28 and more (far beyond any 1C Number(15, n) or a sum of
them) with ``ValueError``; below that it is exact whatever the caller's decimal context."""


def _round(value: MoneyInput, step: Decimal) -> Decimal:
    number = to_money(value)
    if number and number.adjusted() >= _ROUND_LIMIT:
        raise ValueError(f"number out of range: {value!r}")
    with localcontext() as ctx:
        ctx.prec = _ROUND_LIMIT + 12  # the default 28 digits made 1e26 raise InvalidOperation
        return number.quantize(step, rounding=ROUND_HALF_UP)


def round_money(value: MoneyInput) -> Decimal:
    """Round to 2 places, halves away from zero, like 1C ``Окр(x, 2)``.

    >>> round_money(Decimal("2.675")), round_money(Decimal("-0.005"))
    (Decimal('2.68'), Decimal('-0.01'))
    """
    return _round(value, CENT)


def round_qty(value: MoneyInput) -> Decimal:
    """Round a quantity to 3 places, halves away from zero (1C ``Number(15,3)``)."""
    return _round(value, _QTY_STEP)


def round_pct(value: MoneyInput) -> Decimal:
    """Round a percentage to 1 place, halves away from zero (1C ``Окр(x, 1)``)."""
    return _round(value, _PCT_STEP)


def round_whole(value: MoneyInput) -> Decimal:
    """Round to a whole number, halves away from zero (1C ``Окр(x, 0)``): a percentage shown
    without decimals (``f"{x:.0f}"`` rounds halves to even: 12.5 % showed as 12 %)."""
    return _round(value, Decimal(1))


def _group_thousands(digits: str, sep: str) -> str:
    """Insert ``sep`` every three digits from the right: ``"12345" → "12 345"``."""
    head = len(digits) % 3 or 3
    groups = [digits[:head]] + [digits[i : i + 3] for i in range(head, len(digits), 3)]
    return sep.join(groups)


def format_money(
    value: MoneyInput,
    lang: Literal["en", "ru"] = "en",
    *,
    thousands_sep: str = " ",
) -> str:
    """Format an amount for display: ``"12 345.60"`` (en) or ``"12 345,60"`` (ru).

    The value is rounded to kopecks first (1C rounding). Digit groups are separated by
    ``thousands_sep`` — a normal space by default because it is one terminal cell wide
    everywhere; pass ``"\\u2009"`` (thin space) or ``"\\u00a0"`` for print. Negative amounts get a
    leading ``-``.
    """
    if lang not in ("en", "ru"):
        raise ValueError(f"unknown language {lang!r}; expected 'en' or 'ru'")
    amount = round_money(value)
    sign = "-" if amount < 0 else ""
    whole, _, frac = f"{abs(amount):f}".partition(".")
    decimal_point = "," if lang == "ru" else "."
    return f"{sign}{_group_thousands(whole, thousands_sep)}{decimal_point}{frac}"


def format_qty(
    value: MoneyInput,
    lang: Literal["en", "ru"] = "en",
    *,
    thousands_sep: str = " ",
) -> str:
    """Format a quantity without trailing zeros: ``"1 250"``, ``"2.5"`` (en) / ``"2,5"`` (ru)."""
    if lang not in ("en", "ru"):
        raise ValueError(f"unknown language {lang!r}; expected 'en' or 'ru'")
    qty = round_qty(value)
    sign = "-" if qty < 0 else ""
    whole, _, frac = f"{abs(qty):f}".partition(".")
    frac = frac.rstrip("0")
    text = _group_thousands(whole, thousands_sep)
    if frac:
        text += ("," if lang == "ru" else ".") + frac
    return sign + text


def parse_decimal(
    text: str,
    *,
    places: int,
    allow_negative: bool = False,
    what: str = "amount",
    max_digits: int | None = None,
) -> Decimal:
    """Parse a number typed by a person, accepting the forms Russian users type.

    Digit groups may be separated by spaces (normal, no-break or thin); the decimal separator
    may be ``,`` or ``.``; digits are ASCII ``0-9`` only (a full-width ``５`` or Arabic-Indic
    ``٥`` is not a number). At most ``places`` digits after the separator are allowed — we refuse
    rather than silently round what the operator typed — and at most ``max_digits`` before it
    (default ``15 - places``, as 1C's ``Number(15, places)``), so a runaway paste is refused
    instead of overflowing the decimal context. Refusals raise
    :class:`~tui_crm.domain.problems.ValidationError` whose problem names ``what`` was typed;
    the interface words it.
    """
    if not isinstance(text, str):
        raise TypeError(f"expected text, got {type(text).__name__}")
    compact = text.strip()
    for space in _GROUP_SPACES:
        compact = compact.replace(space, "")
    if not compact:
        raise ValidationError(problem(Code.NUMBER_EMPTY, what=what))
    match = _NUMBER_RE.fullmatch(compact)
    if match is None or not (match.group(2) or match.group(3)):
        raise ValidationError(problem(Code.NOT_A_NUMBER, what=what, text=text.strip()))
    sign, whole, frac = match.group(1), match.group(2), match.group(3) or ""
    if len(frac) > places:
        if places == 0:
            raise ValidationError(problem(Code.NOT_WHOLE, what=what))
        raise ValidationError(problem(Code.TOO_MANY_DECIMALS, what=what, places=places))
    limit = _MAX_DIGITS - places if max_digits is None else max_digits
    if len(whole.lstrip("0")) > limit:
        raise ValidationError(problem(Code.TOO_MANY_DIGITS, what=what, max_digits=limit))
    value = Decimal(f"{sign}{whole or '0'}.{frac or '0'}")
    if value < 0 and not allow_negative:
        raise ValidationError(problem(Code.NEGATIVE, what=what))
    if value == 0:
        value = abs(value)  # no "-0"
    return value.quantize(Decimal(1).scaleb(-places))


def parse_money(text: str, *, allow_negative: bool = False, what: str = "amount") -> Decimal:
    """Parse an amount typed by the operator (``"1 234,50"``, ``"1234.5"``) to 2 places.

    Negative amounts are refused unless ``allow_negative``; more than 2 decimals are refused.
    """
    return parse_decimal(text, places=2, allow_negative=allow_negative, what=what)


def parse_quantity(text: str, *, allow_negative: bool = False, what: str = "quantity") -> Decimal:
    """Parse a quantity typed by the operator to 3 places (1C ``Number(15,3)``)."""
    return parse_decimal(text, places=3, allow_negative=allow_negative, what=what)
