"""Paid and shipped state of an order, derived from 1C payments and shipments.

Rules (docs/architecture.md §1, after ERPNext's ``per_billed``/``per_delivered`` but on the order itself):

- **paid share** is amount-based: Σ posted payments settled against the order / order total.
  Payments are signed: a refund or a storno (reversal) arrives as a negative amount and reduces
  what was paid. The share is *not* capped, so an overpaid order shows e.g. ``125 %``.
- **shipped share** is quantity-based per line: Σ min(shipped, ordered) / Σ ordered. Shipping
  more of one line than ordered does not make up for another line shipped short, and a line's
  net shipped quantity below zero (more returned than shipped) counts as zero.

Statuses are derived from amounts/quantities, not from rounded percentages, so "99.99 %" is
never displayed as Paid and a kopeck short is still Partially paid.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal, localcontext
from enum import Enum
from typing import Literal, TypeVar

from tui_crm.domain.money import ZERO, MoneyInput, round_money, round_qty, to_money

__all__ = [
    "PaymentStatus",
    "ShipmentStatus",
    "format_percent",
    "overshipped_lines",
    "paid_share",
    "payment_status",
    "shipment_status",
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


def shipped_share(ordered: Mapping[K, MoneyInput], shipped: Mapping[K, MoneyInput]) -> Decimal:
    """Σ min(shipped, ordered) / Σ ordered, per line key; between 0 and 1.

    ``ordered`` maps a line key (line number, product id, …) to the ordered quantity;
    ``shipped`` maps the same keys to the *net* shipped quantity (shipments minus returns).
    Keys only in ``shipped`` (goods that were not ordered) are ignored; lines ordered with
    quantity ≤ 0 are ignored. Nothing to ship at all → 0 (see :func:`shipment_status`).
    """
    ordered_total, covered_total = _covered(ordered, shipped)
    if ordered_total == 0:
        return ZERO
    with localcontext() as ctx:
        ctx.prec = 28
        return covered_total / ordered_total


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
