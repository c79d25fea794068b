"""VAT rates named as 1C's СтавкиНДС and РассчитатьСуммуНДС arithmetic."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from tui_crm.domain.vat import VatRate, amount_without_vat, vat_amount

ONEC_NAMES = [
    "НДС20", "НДС20_120", "НДС10", "НДС10_110", "НДС0", "БезНДС", "НДС18", "НДС18_118",
    "НДС5", "НДС5_105", "НДС7", "НДС7_107", "НДС22", "НДС22_122",
]


def test_members_are_1c_names() -> None:
    assert [r.value for r in VatRate] == ONEC_NAMES
    for name in ONEC_NAMES:
        assert VatRate.from_onec(name).onec_name == name
        assert VatRate[name] is VatRate(name)


def test_unknown_name_refused() -> None:
    with pytest.raises(ValueError):
        VatRate.from_onec("НДС99")
    with pytest.raises(ValueError):
        VatRate.from_onec("")


@pytest.mark.parametrize(
    "rate, percent, label",
    [
        (VatRate.НДС20, "20", "20%"),
        (VatRate.НДС20_120, "20", "20% / 120%"),
        (VatRate.НДС10, "10", "10%"),
        (VatRate.НДС10_110, "10", "10% / 110%"),
        (VatRate.НДС0, "0", "0%"),
        (VatRate.БезНДС, "0", "Без НДС"),
        (VatRate.НДС22, "22", "22%"),
    ],
)
def test_percent_and_label(rate: VatRate, percent: str, label: str) -> None:
    assert rate.percent == D(percent)
    assert isinstance(rate.percent, D)
    assert rate.label == label


def test_for_percent() -> None:
    assert VatRate.for_percent(20) is VatRate.НДС20
    assert VatRate.for_percent(0) is VatRate.НДС0
    with pytest.raises(ValueError):
        VatRate.for_percent(13)


@pytest.mark.parametrize(
    "amount, rate, included, expected",
    [
        ("120", VatRate.НДС20, True, "20.00"),
        ("100", VatRate.НДС20, False, "20.00"),
        ("89.99", VatRate.НДС20, True, "15.00"),  # 14.998(3)
        ("0.03", VatRate.НДС20, True, "0.01"),  # 0.005 → away from zero
        ("110", VatRate.НДС10, True, "10.00"),
        ("55.55", VatRate.НДС10, True, "5.05"),
        ("55.55", VatRate.НДС10, False, "5.56"),  # 5.555
        ("-55.55", VatRate.НДС10, False, "-5.56"),  # storno mirrors
        ("1000", VatRate.БезНДС, True, "0.00"),
        ("1000", VatRate.НДС0, False, "0.00"),
    ],
)
def test_vat_amount(amount: str, rate: VatRate, included: bool, expected: str) -> None:
    assert vat_amount(D(amount), rate, included) == D(expected)


@pytest.mark.parametrize("included", [True, False])
def test_calculated_rate_always_treated_as_included(included: bool) -> None:
    assert vat_amount(D("120"), VatRate.НДС20_120, included) == D("20.00")
    assert vat_amount(D("110"), VatRate.НДС10_110, included) == D("10.00")


def test_vat_disabled_on_document() -> None:
    assert vat_amount(D("120"), VatRate.НДС20, True, vat_enabled=False) == 0


def test_vat_amount_rejects_float() -> None:
    with pytest.raises(TypeError):
        vat_amount(120.0, VatRate.НДС20, True)  # type: ignore[arg-type]


def test_amount_without_vat() -> None:
    assert amount_without_vat(D("120"), VatRate.НДС20, True) == D("100.00")
    assert amount_without_vat(D("100"), VatRate.НДС20, False) == D("100.00")
