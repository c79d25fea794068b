"""Paid and shipped state of an order, derived from 1C payments and shipments.

Rules (docs/architecture.md §1, after ERPNext's ``per_billed``/``per_delivered`` but on the order itself):

- **paid share** is amount-based: Σ posted payments settled against the order / order total.
  Payments are signed: a refund or a storno (reversal) arrives as a negative amount and reduces
  what was paid. The share is *not* capped, so an overpaid order shows e.g. ``125 %``.
- **shipped share** is amount-based: Σ over lines of the line's amount × min(shipped, ordered) ÷
  ordered, ÷ the order total (Σ line amounts). Quantities of different units (litres, kilograms,
  packs) are never added up; each line's shipped quantity is shown in its own unit. A line's
  amount is its sum as sent to 1C (line and document discounts folded in), so "line price" is
  the price actually charged, and a fully shipped order is exactly 100 %. A line's shipped part
  is rounded to kopecks as 1C rounds (half away from zero); a fully shipped line counts its whole
  amount. Shipping more of one line than ordered does not make up for another line shipped
  short, and a line's net shipped quantity below zero (more returned than shipped) counts as
  zero. Shipments name products, not lines: a product on two lines fills them in line order.

Statuses are derived from amounts/quantities, not from rounded percentages, so "99.99 %" is
never displayed as Paid and a kopeck short is still Partially paid.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal, localcontext
from enum import Enum
from typing import Generic, Literal, TypeVar

from tui_crm.domain.money import ZERO, MoneyInput, round_money, round_pct, round_qty, to_money

__all__ = [
    "LineShipment",
    "OrderedLine",
    "PaymentStatus",
    "ShipmentStatus",
    "format_percent",
    "overshipped_lines",
    "paid_share",
    "payment_status",
    "percent",
    "shipment_status",
    "shipped_amount",
    "shipped_by_line",
    "shipped_share",
    "total_paid",
]

K = TypeVar("K", bound=Hashable)
_ONE = Decimal(1)


class PaymentStatus(Enum):
    """How far an order is paid; ``.value`` is a stable storage key."""

    NOT_PAID = "not_paid"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    OVERPAID = "overpaid"

    @property
    def label(self) -> str:
        """English label for badges (the screens translate)."""
        return _PAYMENT_LABELS[self]


_PAYMENT_LABELS = {
    PaymentStatus.NOT_PAID: "Not paid",
    PaymentStatus.PARTIALLY_PAID: "Partially paid",
    PaymentStatus.PAID: "Paid",
    PaymentStatus.OVERPAID: "Overpaid",
}


class ShipmentStatus(Enum):
    """How far an order is shipped; ``.value`` is a stable storage key."""

    NOT_SHIPPED = "not_shipped"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"

    @property
    def label(self) -> str:
        """English label for badges (the screens translate)."""
        return _SHIPMENT_LABELS[self]


_SHIPMENT_LABELS = {
    ShipmentStatus.NOT_SHIPPED: "Not shipped",
    ShipmentStatus.PARTIALLY_SHIPPED: "Partially shipped",
    ShipmentStatus.SHIPPED: "Shipped",
}


def total_paid(payments: Iterable[MoneyInput]) -> Decimal:
    """Net sum of posted payments (refunds and stornos negative), rounded to kopecks."""
    return round_money(sum((to_money(p) for p in payments), ZERO))


def _check_total(total: MoneyInput) -> Decimal:
    value = round_money(total)
    if value < 0:
        # СуммаДокумента of ЗаказПокупателя is Number(15,2,≥0): a negative total is a bug upstream.
        raise ValueError(f"order total cannot be negative: {value}")
    return value


def paid_share(total: MoneyInput, payments: Iterable[MoneyInput]) -> Decimal:
    """Fraction of the order total that is paid (1 = fully paid; may exceed 1).

    - Net payments ≤ 0 (nothing paid, or refunded in full) → 0.
    - Zero total: nothing is owed, so the order counts as fully paid → 1.
    - Negative total → ``ValueError`` (1C forbids it).
    """
    amount_due = _check_total(total)
    paid = total_paid(payments)
    if amount_due == 0:
        return _ONE
    if paid <= 0:
        return ZERO
    with localcontext() as ctx:
        ctx.prec = 28
        return paid / amount_due


def payment_status(total: MoneyInput, paid: MoneyInput) -> PaymentStatus:
    """Status from the order total and the net paid amount (use :func:`total_paid` to sum).

    Zero total with nothing paid is PAID (nothing is owed); zero total with money received is
    OVERPAID. A net paid amount ≤ 0 is NOT_PAID.
    """
    amount_due = _check_total(total)
    paid_amount = round_money(paid)
    if paid_amount > amount_due:
        return PaymentStatus.OVERPAID
    if paid_amount == amount_due:
        return PaymentStatus.PAID
    if paid_amount <= 0:
        return PaymentStatus.NOT_PAID
    return PaymentStatus.PARTIALLY_PAID


def _covered(
    ordered: Mapping[K, MoneyInput], shipped: Mapping[K, MoneyInput]
) -> tuple[Decimal, Decimal]:
    """(Σ ordered, Σ min(max(shipped, 0), ordered)) over the ordered lines."""
    ordered_total = ZERO
    covered_total = ZERO
    for key, ordered_qty_raw in ordered.items():
        ordered_qty = round_qty(ordered_qty_raw)
        if ordered_qty <= 0:
            continue  # a zero (or bogus negative) line has nothing to ship
        shipped_qty = round_qty(shipped.get(key, ZERO))
        ordered_total += ordered_qty
        covered_total += min(max(shipped_qty, ZERO), ordered_qty)
    return ordered_total, covered_total


@dataclass(frozen=True)
class OrderedLine(Generic[K]):
    """One line of an order as the shipped share needs it: what is shipped against it (`key`,
    usually the product id), how much was ordered (in the line's own unit) and its amount."""

    key: K
    quantity: Decimal
    amount: Decimal


@dataclass(frozen=True)
class LineShipment(Generic[K]):
    """How far one order line is shipped: quantities in the line's unit, amounts in money."""

    key: K
    ordered: Decimal
    shipped: Decimal         # net shipped against this line, between 0 and `ordered`
    amount: Decimal          # the line's amount
    shipped_amount: Decimal  # the part of `amount` that is shipped (kopecks, 1C rounding)

    @property
    def left(self) -> Decimal:
        return self.ordered - self.shipped

    @property
    def share(self) -> Decimal:
        """Shipped quantity ÷ ordered (one unit, so a quantity share is meaningful here)."""
        if self.ordered <= 0:
            return ZERO
        with localcontext() as ctx:
            ctx.prec = 28
            return self.shipped / self.ordered


def shipped_by_line(
    lines: Sequence[OrderedLine[K]], shipped: Mapping[K, MoneyInput]
) -> list[LineShipment[K]]:
    """Each line with what of it is shipped. ``shipped`` maps a key to its *net* shipped
    quantity (shipments minus returns); lines of the same key are filled in order, what is
    shipped beyond them is ignored here (see :func:`overshipped_lines`)."""
    left: dict[K, Decimal] = {}
    out: list[LineShipment[K]] = []
    for line in lines:
        ordered = round_qty(line.quantity)
        amount = round_money(line.amount)
        if line.key not in left:
            left[line.key] = max(round_qty(shipped.get(line.key, ZERO)), ZERO)
        got = min(left[line.key], max(ordered, ZERO))
        left[line.key] -= got
        if ordered <= 0:
            part = ZERO
        elif got == ordered:
            part = amount
        else:
            with localcontext() as ctx:
                ctx.prec = 28
                part = round_money(amount * got / ordered)
        out.append(LineShipment(line.key, ordered, got, amount, part))
    return out


def shipped_amount(lines: Sequence[OrderedLine[K]], shipped: Mapping[K, MoneyInput]) -> Decimal:
    """Σ of the shipped parts of the lines' amounts (kopecks)."""
    return sum((ls.shipped_amount for ls in shipped_by_line(lines, shipped)), ZERO)


def shipped_share(lines: Sequence[OrderedLine[K]], shipped: Mapping[K, MoneyInput]) -> Decimal:
    """Shipped amount ÷ order total (Σ amounts of the lines ordered with quantity > 0), 0…1.

    Nothing to ship → 0 (see :func:`shipment_status`). An order whose lines are all free (total
    0) has no amount to weigh by: 1 when every line is shipped, else 0.
    """
    by_line = [ls for ls in shipped_by_line(lines, shipped) if ls.ordered > 0]
    total = sum((ls.amount for ls in by_line), ZERO)
    if not by_line:
        return ZERO
    if total <= 0:
        return _ONE if all(ls.shipped == ls.ordered for ls in by_line) else ZERO
    done = sum((ls.shipped_amount for ls in by_line), ZERO)
    with localcontext() as ctx:
        ctx.prec = 28
        return done / total


def shipment_status(
    ordered: Mapping[K, MoneyInput], shipped: Mapping[K, MoneyInput]
) -> ShipmentStatus:
    """SHIPPED when every ordered line is covered, NOT_SHIPPED when none is, else PARTIALLY.

    An order with nothing to ship (no lines with quantity > 0) is NOT_SHIPPED: such an order can
    only come from malformed data, and "Shipped" would claim goods left the warehouse.
    """
    ordered_total, covered_total = _covered(ordered, shipped)
    if ordered_total == 0 or covered_total == 0:
        return ShipmentStatus.NOT_SHIPPED
    if covered_total == ordered_total:
        return ShipmentStatus.SHIPPED
    return ShipmentStatus.PARTIALLY_SHIPPED


def overshipped_lines(
    ordered: Mapping[K, MoneyInput], shipped: Mapping[K, MoneyInput]
) -> dict[K, Decimal]:
    """Lines shipped beyond the order (or not ordered at all): key → excess quantity."""
    excess: dict[K, Decimal] = {}
    for key, shipped_raw in shipped.items():
        over = round_qty(shipped_raw) - max(round_qty(ordered.get(key, ZERO)), ZERO)
        if over > 0:
            excess[key] = over
    return excess


def percent(share: MoneyInput) -> Decimal:
    """A share (1 = 100 %) as a percentage with one decimal, halves away from zero as 1C rounds:
    the one rule for paid % and shipped % given as numbers (`tui-crm status`, from the store and
    from accounting alike)."""
    return round_pct(to_money(share) * 100)


def format_percent(share: MoneyInput, places: int = 0, lang: Literal["en", "ru"] = "en") -> str:
    """Format a share as a percentage with a space before the sign: ``0.4 → "40 %"``.

    Rounded half away from zero, except that a share strictly between 0 and 1 never shows as
    ``0 %`` or ``100 %`` (that would contradict its Partially status): it shows ``<1 %`` /
    ``>99 %`` (with ``places`` decimals, e.g. ``<0.1 %``). Shares above 1 (overpaid) show as is.
    ``lang="ru"`` uses a decimal comma.
    """
    value = to_money(share) * 100
    step = Decimal(1).scaleb(-places)
    shown = value.quantize(step, rounding=ROUND_HALF_UP)
    prefix = ""
    if 0 < value < 100:
        if shown <= 0:
            shown, prefix = step, "<"
        elif shown >= 100:
            shown, prefix = (Decimal(100) - step).quantize(step, rounding=ROUND_FLOOR), ">"
    text = f"{shown:f}"
    if lang == "ru":
        text = text.replace(".", ",")
    return f"{prefix}{text} %"
