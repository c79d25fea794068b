"""Invoice (customer order) lines, discounts and totals with 1C КА 1.1 arithmetic.

What the CRM shows must equal, kopeck for kopeck, what accounting computes when the same order
is written to ``Document_ЗаказПокупателя``. So every rounding step mirrors 1C:

Line amount (``Товары.Сумма``)::

    Сумма = Окр(Количество * Цена * (1 - ПроцентСкидкиНаценки / 100), 2)

computed in exact decimal arithmetic and rounded once, halves away from zero. (1C's
``РассчитатьСуммуТабЧасти`` multiplies price by quantity, applies the discount factor and stores
the result in a ``Number(15,2)`` attribute, which rounds it.) ``ПроцентСкидкиНаценки`` is a
*discount* when positive and a *markup* (наценка) when negative; operators may only type
discounts (0..100, see :func:`validate_line` and :func:`parse_discount`), but lines pulled
from accounting may carry markups and are computed the same way.

Line VAT (``Товары.СуммаНДС``) = :func:`tui_crm.domain.vat.vat_amount` of the line amount,
rounded per line. Document totals are sums of the rounded line values, as in 1C::

    vat_total = Σ СуммаНДС
    total     = Σ Сумма                 (СуммаВключаетНДС = Истина)
              = Σ Сумма + Σ СуммаНДС    (VAT on top)

Whole-invoice discount: 1C applies a document discount line by line, so each line's
``ПроцентСкидкиНаценки`` becomes the *combined* percent ``1 - (1 - line/100)(1 - doc/100)``,
rounded to 2 places because the attribute is ``Number(5,2)``, and each line amount is then
rounded on its own. The combined percent is what we send to 1C, hence what we compute with.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal, localcontext

from tui_crm.domain.money import (
    ZERO,
    MoneyInput,
    parse_decimal,
    parse_quantity,
    round_money,
    to_money,
)
from tui_crm.domain.problems import Code, Problem, ValidationError, problem
from tui_crm.domain.vat import VatRate, vat_amount

__all__ = [
    "MAX_QUANTITY_DECIMALS",
    "Invoice",
    "InvoiceLine",
    "combine_discounts",
    "line_amount",
    "parse_discount",
    "parse_document_date",
    "parse_line_quantity",
    "validate_invoice",
    "validate_line",
]

_HUNDRED = Decimal(100)
_PCT_STEP = Decimal("0.01")
MAX_QUANTITY_DECIMALS = 3
"""``Товары.Количество`` is ``Number(15,3)``."""
_MAX_QTY = Decimal(10) ** 12  # 15 digits, 3 of them decimals
_MAX_PRICE = Decimal(10) ** 13  # Number(15,2)
_MAX_AMOUNT = Decimal(10) ** 13  # Товары.Сумма and СуммаДокумента: Number(15,2)


def line_amount(quantity: MoneyInput, price: MoneyInput, discount_pct: MoneyInput = 0) -> Decimal:
    """``Окр(Количество * Цена * (1 - ПроцентСкидкиНаценки / 100), 2)``: rounded once, at the end."""
    qty, prc, pct = to_money(quantity), to_money(price), to_money(discount_pct)
    with localcontext() as ctx:
        ctx.prec = 50
        raw = qty * prc * (1 - pct / _HUNDRED)
    return round_money(raw)


def combine_discounts(line_pct: MoneyInput, document_pct: MoneyInput) -> Decimal:
    """Percent that applies ``line_pct`` then ``document_pct``, rounded to ``Number(5,2)``.

    ``combine_discounts(10, 5) == Decimal('14.50')``; a zero document discount returns the line
    percent unchanged (only quantized to 2 places).
    """
    a, b = to_money(line_pct), to_money(document_pct)
    with localcontext() as ctx:
        ctx.prec = 50
        combined = _HUNDRED - (_HUNDRED - a) * (_HUNDRED - b) / _HUNDRED
    return round_money(combined)


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    """One row of ``Товары``: a product, how many, at what price, with which discount and VAT.

    ``quantity``, ``price`` and ``discount_pct`` are ``Decimal`` (never float); an instance is
    immutable, change it with :func:`dataclasses.replace`. The line is not validated on
    construction so that a form can hold a half-typed line; call :func:`validate_line`.
    """

    product_id: str
    code: str
    name: str
    unit: str
    quantity: Decimal
    price: Decimal
    discount_pct: Decimal = ZERO
    vat_rate: VatRate = VatRate.НДС20

    def __post_init__(self) -> None:
        # Reject floats early (to_money raises TypeError) and normalise int/str to Decimal.
        for name in ("quantity", "price", "discount_pct"):
            object.__setattr__(self, name, to_money(getattr(self, name)))
        if not isinstance(self.vat_rate, VatRate):
            raise TypeError(f"vat_rate must be a VatRate, not {type(self.vat_rate).__name__}")

    @property
    def gross_amount(self) -> Decimal:
        """``Окр(Количество * Цена, 2)``: the amount before any discount."""
        return line_amount(self.quantity, self.price)

    @property
    def amount(self) -> Decimal:
        """``Товары.Сумма`` after the line discount (see module docstring for the formula)."""
        return line_amount(self.quantity, self.price, self.discount_pct)

    @property
    def discount_amount(self) -> Decimal:
        """How much the discount takes off (negative for a markup)."""
        return self.gross_amount - self.amount

    def vat(self, amount_includes_vat: bool = True, *, vat_enabled: bool = True) -> Decimal:
        """``Товары.СуммаНДС`` of this line under the document's VAT flags."""
        return vat_amount(self.amount, self.vat_rate, amount_includes_vat, vat_enabled=vat_enabled)

    def with_document_discount(self, document_pct: MoneyInput) -> InvoiceLine:
        """This line with ``document_pct`` folded into its own percent (1C document discount)."""
        if to_money(document_pct) == 0:
            return self
        return replace(self, discount_pct=combine_discounts(self.discount_pct, document_pct))


@dataclass(frozen=True, slots=True)
class Invoice:
    """A customer order as the operator builds it, with 1C totals.

    ``lines`` hold the operator's own per-line discounts; ``document_discount_pct`` is the
    whole-invoice discount, kept separate so it can be changed or removed later.
    :attr:`effective_lines` is what goes to 1C (combined percents), and all totals are computed
    from them. ``amount_includes_vat`` mirrors ``СуммаВключаетНДС`` (default True, as for price
    types with ``ЦенаВключаетНДС``), ``vat_enabled`` mirrors ``УчитыватьНДС``.
    """

    lines: tuple[InvoiceLine, ...] = ()
    amount_includes_vat: bool = True
    document_discount_pct: Decimal = ZERO
    client_id: str | None = None
    warehouse_id: str | None = None
    price_type_id: str | None = None
    vat_enabled: bool = True
    comment: str = field(default="")

    def __post_init__(self) -> None:
        object.__setattr__(self, "lines", tuple(self.lines))
        object.__setattr__(self, "document_discount_pct", to_money(self.document_discount_pct))

    @property
    def effective_lines(self) -> tuple[InvoiceLine, ...]:
        """Lines with the document discount spread onto each line's percent."""
        return tuple(line.with_document_discount(self.document_discount_pct) for line in self.lines)

    def line_vats(self) -> tuple[Decimal, ...]:
        """``СуммаНДС`` of each effective line, in order."""
        return tuple(
            line.vat(self.amount_includes_vat, vat_enabled=self.vat_enabled)
            for line in self.effective_lines
        )

    @property
    def gross_total(self) -> Decimal:
        """Σ ``Окр(Количество * Цена, 2)``: the lines' value before all discounts."""
        return sum((line.gross_amount for line in self.lines), ZERO)

    @property
    def amount_total(self) -> Decimal:
        """Σ ``Сумма`` of the effective lines (includes VAT only if ``amount_includes_vat``)."""
        return sum((line.amount for line in self.effective_lines), ZERO)

    @property
    def discount_total(self) -> Decimal:
        """Σ of what the line and document discounts take off."""
        return self.gross_total - self.amount_total

    @property
    def vat_total(self) -> Decimal:
        """Σ of the rounded line VATs (1C never recomputes VAT on the total)."""
        return sum(self.line_vats(), ZERO)

    @property
    def total(self) -> Decimal:
        """``СуммаДокумента``: what the client pays, VAT included."""
        if self.amount_includes_vat:
            return self.amount_total
        return self.amount_total + self.vat_total

    @property
    def total_without_vat(self) -> Decimal:
        """``total - vat_total``."""
        return self.total - self.vat_total

    def with_lines(self, lines: Iterable[InvoiceLine]) -> Invoice:
        """A copy with ``lines`` replaced."""
        return replace(self, lines=tuple(lines))

    def add_line(self, line: InvoiceLine) -> Invoice:
        """A copy with ``line`` appended."""
        return replace(self, lines=(*self.lines, line))


def _decimals(value: Decimal) -> int:
    """Number of significant digits after the point (``1.500`` → 1)."""
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _validate_percent(value: Decimal, what: str) -> list[Problem]:
    if value < 0 or value > _HUNDRED:
        return [problem(Code.PERCENT_OUT_OF_RANGE, what=what)]
    if _decimals(value) > 2:
        return [problem(Code.TOO_MANY_DECIMALS, what=what, places=2)]
    return []


def validate_line(line: InvoiceLine) -> list[Problem]:
    """Problems with one line; empty if it can be saved and sent to 1C."""
    problems: list[Problem] = []
    if not line.product_id:
        problems.append(problem(Code.NO_PRODUCT))
    if line.quantity <= 0:
        problems.append(problem(Code.QUANTITY_NOT_POSITIVE))
    elif _decimals(line.quantity) > MAX_QUANTITY_DECIMALS:
        problems.append(
            problem(Code.TOO_MANY_DECIMALS, what="quantity", places=MAX_QUANTITY_DECIMALS)
        )
    elif line.quantity >= _MAX_QTY:
        problems.append(problem(Code.QUANTITY_TOO_LARGE))
    if line.price < 0:
        problems.append(problem(Code.NEGATIVE, what="price"))
    elif _decimals(line.price) > 2:
        problems.append(problem(Code.TOO_MANY_DECIMALS, what="price", places=2))
    elif line.price >= _MAX_PRICE:
        problems.append(problem(Code.PRICE_TOO_LARGE))
    problems.extend(_validate_percent(line.discount_pct, "discount"))
    if not problems and abs(line.amount) >= _MAX_AMOUNT:
        # a quantity and a price that each fit can still multiply past what 1C can store
        problems.append(problem(Code.AMOUNT_TOO_LARGE))
    return problems


def validate_invoice(invoice: Invoice) -> list[Problem]:
    """Problems with the whole invoice; empty if it can be saved and sent to 1C.

    Every line amount and the document total must fit 1C's ``Number(15,2)``
    (``AMOUNT_TOO_LARGE`` otherwise). A line's problems come wrapped as ``IN_LINE`` with the
    line number, counting from 1 like 1C's ``НомерСтроки``.
    """
    problems: list[Problem] = []
    if not invoice.client_id:
        problems.append(problem(Code.NO_CLIENT))
    if not invoice.warehouse_id:
        problems.append(problem(Code.NO_WAREHOUSE))
    if not invoice.lines:
        problems.append(problem(Code.NO_LINES))
    problems.extend(_validate_percent(invoice.document_discount_pct, "invoice_discount"))
    for number, line in enumerate(invoice.lines, start=1):
        problems.extend(problem(Code.IN_LINE, line=number, problem=p) for p in validate_line(line))
    if not problems and abs(invoice.total) >= _MAX_AMOUNT:
        problems.append(problem(Code.AMOUNT_TOO_LARGE))  # СуммаДокумента is Number(15,2) too
    return problems


# -- what the operator types into the invoice forms ----------------------------------------------


def parse_line_quantity(text: str) -> Decimal:
    """A quantity typed for a line (``"2"``, ``"1,5"``, ``"1 000"``): positive, 3 places, fits
    ``Number(15,3)``; else :class:`ValidationError`."""
    value = parse_quantity(text, allow_negative=True)  # empty, not a number, decimals, digits
    if value <= 0:  # "-2" and "0" get the same answer
        raise ValidationError(problem(Code.QUANTITY_NOT_POSITIVE))
    if value >= _MAX_QTY:
        raise ValidationError(problem(Code.QUANTITY_TOO_LARGE))
    return value


def parse_discount(text: str, *, what: str = "discount") -> Decimal:
    """A discount percent typed for a line or the invoice: empty is 0, else 0..100 with at most
    2 decimals (``Number(5,2)``); else :class:`ValidationError`."""
    if not text.strip():
        return ZERO
    try:
        value = parse_decimal(text, places=2, allow_negative=True, what=what)
    except ValidationError as exc:
        if exc.problem.code is Code.TOO_MANY_DIGITS:  # a long number is out of range, say so
            raise ValidationError(problem(Code.PERCENT_OUT_OF_RANGE, what=what)) from None
        raise
    if value < 0 or value > _HUNDRED:
        raise ValidationError(problem(Code.PERCENT_OUT_OF_RANGE, what=what))
    return value


_DATE_FORMATS = ("%d.%m.%Y", "%Y-%m-%d", "%d.%m.%y")
_DATE_CHARS = frozenset("0123456789.-")
_ONEC_EMPTY_DATE = datetime(1, 1, 1)
_ONEC_LAST_DATE = datetime(3999, 12, 31)
"""1C's Date type ends on 31.12.3999: a later one is refused by 1C when the invoice is pushed."""


def parse_document_date(text: str) -> datetime:
    """An invoice date typed as ``30.11.2026``, ``2026-11-30`` or ``30.11.26``; else
    :class:`ValidationError` (``DATE_INVALID``).

    ASCII digits only (``strptime`` also reads full-width ``２`` and other scripts' digits),
    never ``01.01.0001``, which 1C stores as "no date", and never after ``31.12.3999``, the
    last date 1C can store (``DATE_AFTER_1C``)."""
    stripped = text.strip()
    if stripped and set(stripped) <= _DATE_CHARS:
        for fmt in _DATE_FORMATS:
            try:
                value = datetime.strptime(stripped, fmt)
            except ValueError:
                continue
            if value > _ONEC_LAST_DATE:
                raise ValidationError(problem(Code.DATE_AFTER_1C, text=stripped))
            if value != _ONEC_EMPTY_DATE:
                return value
    raise ValidationError(problem(Code.DATE_INVALID, text=stripped))
