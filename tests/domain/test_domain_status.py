"""Paid and shipped (both amount-based; quantities per line, in their own units) state of an order."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from tui_crm.domain.status import (
    OrderedLine,
    PaymentStatus,
    ShipmentStatus,
    format_percent,
    overshipped_lines,
    paid_share,
    payment_status,
    shipment_status,
    shipped_amount,
    shipped_by_line,
    shipped_share,
    total_paid,
)


def test_paid_share_partial() -> None:
    assert paid_share(D("1000"), [D("300"), D("100")]) == D("0.4")


def test_paid_share_full_and_over() -> None:
    assert paid_share(D("1000"), [D("1000")]) == 1
    assert paid_share(D("1000"), [D("1000"), D("250")]) == D("1.25")


def test_paid_share_empty_and_refunds() -> None:
    assert paid_share(D("1000"), []) == 0
    # refund / storno arrive negative and reduce the paid amount
    assert paid_share(D("1000"), [D("500"), D("-200")]) == D("0.3")
    assert paid_share(D("1000"), [D("500"), D("-500")]) == 0
    assert paid_share(D("1000"), [D("-100")]) == 0  # never negative


def test_paid_share_zero_total_counts_as_paid() -> None:
    assert paid_share(D("0"), []) == 1
    assert payment_status(D("0"), D("0")) is PaymentStatus.PAID
    assert payment_status(D("0"), D("10")) is PaymentStatus.OVERPAID


def test_negative_total_refused() -> None:
    with pytest.raises(ValueError):
        paid_share(D("-1"), [])
    with pytest.raises(ValueError):
        payment_status(D("-1"), D("0"))


def test_paid_share_rejects_float_payments() -> None:
    with pytest.raises(TypeError):
        paid_share(D("100"), [10.0])  # type: ignore[list-item]


@pytest.mark.parametrize(
    "paid, status",
    [
        ("0", PaymentStatus.NOT_PAID),
        ("-50", PaymentStatus.NOT_PAID),
        ("0.01", PaymentStatus.PARTIALLY_PAID),
        ("999.99", PaymentStatus.PARTIALLY_PAID),  # a kopeck short is not Paid
        ("1000", PaymentStatus.PAID),
        ("1000.001", PaymentStatus.PAID),  # sub-kopeck noise rounds away
        ("1000.01", PaymentStatus.OVERPAID),
    ],
)
def test_payment_status(paid: str, status: PaymentStatus) -> None:
    assert payment_status(D("1000"), D(paid)) is status


def test_total_paid_sums_signed() -> None:
    assert total_paid([D("100.10"), "50", -20]) == D("130.10")
    assert total_paid([]) == 0


def test_status_labels_and_values() -> None:
    assert PaymentStatus.PARTIALLY_PAID.label == "Partially paid"
    assert ShipmentStatus.SHIPPED.value == "shipped"


ORDERED = {1: D("10"), 2: D("5"), 3: D("5")}
# The same three lines with amounts: 10 × 100.00, 5 × 20.00, 5 × 20.00 (total 1 200.00).
LINES = [OrderedLine(1, D("10"), D("1000.00")), OrderedLine(2, D("5"), D("100.00")),
         OrderedLine(3, D("5"), D("100.00"))]


def test_shipped_share_partial_is_by_amount() -> None:
    assert shipped_share(LINES, {1: D("4")}) == D("400.00") / D("1200.00")
    assert shipment_status(ORDERED, {1: D("4")}) is ShipmentStatus.PARTIALLY_SHIPPED


def test_shipped_share_full() -> None:
    assert shipped_share(LINES, dict(ORDERED)) == 1
    assert shipment_status(ORDERED, dict(ORDERED)) is ShipmentStatus.SHIPPED


def test_overshipping_one_line_does_not_cover_another() -> None:
    shipped = {1: D("20"), 2: D("5")}  # line 1 twice over, line 3 untouched
    assert shipped_share(LINES, shipped) == D("1100.00") / D("1200.00")
    assert shipment_status(ORDERED, shipped) is ShipmentStatus.PARTIALLY_SHIPPED
    assert overshipped_lines(ORDERED, shipped) == {1: D("10.000")}


def test_overshipping_every_line_is_shipped_capped_at_one() -> None:
    shipped = {1: D("11"), 2: D("6"), 3: D("5")}
    assert shipped_share(LINES, shipped) == 1
    assert shipment_status(ORDERED, shipped) is ShipmentStatus.SHIPPED


def test_unordered_goods_ignored_but_reported() -> None:
    shipped = {99: D("3")}
    assert shipped_share(LINES, shipped) == 0
    assert shipment_status(ORDERED, shipped) is ShipmentStatus.NOT_SHIPPED
    assert overshipped_lines(ORDERED, shipped) == {99: D("3.000")}


def test_returns_net_below_zero_count_as_nothing() -> None:
    shipped = {1: D("-2"), 2: D("5")}
    assert shipped_share(LINES, shipped) == D("100.00") / D("1200.00")


def test_mixed_units_are_weighed_by_amount_not_added_up() -> None:
    """Issue 11 item 8: 5 of 13 "units" = 38 % added litres, kilograms and packs. By amount: a
    cheap litre shipped in full weighs little next to an expensive pack not shipped at all."""
    lines = [
        OrderedLine("juice", D("10"), D("899.00")),   # 10 l × 89.90
        OrderedLine("cheese", D("2.5"), D("1722.50")),  # 2.5 kg × 689.00
        OrderedLine("tea", D("0.5"), D("144.50")),    # half a pack of 289.00
    ]
    shipped = {"juice": D("4"), "cheese": D("2"), "tea": D("0")}  # 6 of 13 "units" would be 46 %
    by_line = shipped_by_line(lines, shipped)
    assert [(ls.shipped, ls.ordered, ls.shipped_amount) for ls in by_line] == [
        (D("4.000"), D("10.000"), D("359.60")),
        (D("2.000"), D("2.500"), D("1378.00")),
        (D("0.000"), D("0.500"), D("0.00")),
    ]
    assert [ls.share for ls in by_line] == [D("0.4"), D("0.8"), 0]
    assert shipped_amount(lines, shipped) == D("1737.60")
    share = shipped_share(lines, shipped)
    assert share == D("1737.60") / D("2766.00")
    assert format_percent(share) == "63 %"
    # the cheap litres all shipped and the half pack: 10.5 of 13 "units" would be 81 %
    shipped = {"juice": D("10"), "cheese": D("0"), "tea": D("0.5")}
    assert format_percent(shipped_share(lines, shipped)) == "38 %"  # (899.00 + 144.50) / 2766.00


def test_a_line_part_is_rounded_as_1c_rounds_and_a_full_line_counts_whole() -> None:
    lines = [OrderedLine("a", D("3"), D("100.00")), OrderedLine("b", D("1"), D("0.01"))]
    # 100.00 × 1 / 3 = 33.333… → 33.33; 100.00 × 0.5 / 3 = 16.666… → 16.67 (half away from zero)
    assert [ls.shipped_amount for ls in shipped_by_line(lines, {"a": D("1")})] == [D("33.33"), D("0.00")]
    assert shipped_by_line(lines, {"a": D("0.5")})[0].shipped_amount == D("16.67")
    assert shipped_by_line([OrderedLine("a", D("2"), D("0.05"))], {"a": D("1")})[0].shipped_amount == D("0.03")
    assert shipped_share(lines, {"a": D("3"), "b": D("1")}) == 1


def test_a_product_on_two_lines_fills_them_in_order() -> None:
    lines = [OrderedLine("p", D("2"), D("200.00")), OrderedLine("p", D("3"), D("240.00"))]
    by_line = shipped_by_line(lines, {"p": D("4")})
    assert [(ls.shipped, ls.left) for ls in by_line] == [(D("2.000"), D("0.000")), (D("2.000"), D("1.000"))]
    assert [ls.shipped_amount for ls in by_line] == [D("200.00"), D("160.00")]


def test_free_lines_and_nothing_to_ship() -> None:
    assert shipped_share([], {}) == 0
    free = [OrderedLine("a", D("1"), D("0"))]
    assert shipped_share(free, {}) == 0
    assert shipped_share(free, {"a": D("1")}) == 1
    assert shipment_status({}, {}) is ShipmentStatus.NOT_SHIPPED
    assert shipment_status({1: D("0")}, {1: D("1")}) is ShipmentStatus.NOT_SHIPPED


def test_not_shipped() -> None:
    assert shipment_status(ORDERED, {}) is ShipmentStatus.NOT_SHIPPED
    assert shipped_share(LINES, {}) == 0


@pytest.mark.parametrize(
    "share, places, lang, expected",
    [
        ("0.4", 0, "en", "40 %"),
        ("0", 0, "en", "0 %"),
        ("1", 0, "en", "100 %"),
        ("1.25", 0, "en", "125 %"),
        ("0.125", 0, "en", "13 %"),
        ("0.4567", 1, "en", "45.7 %"),
        ("0.4567", 1, "ru", "45,7 %"),
        ("0.9999", 0, "en", ">99 %"),  # partially paid never reads as 100 %
        ("0.0001", 0, "en", "<1 %"),  # something paid never reads as 0 %
        ("0.9999", 1, "en", ">99.9 %"),
    ],
)
def test_format_percent(share: str, places: int, lang: str, expected: str) -> None:
    assert format_percent(D(share), places, lang) == expected  # type: ignore[arg-type]
