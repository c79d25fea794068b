"""VAT (НДС) rates and the VAT amount of a line, as 1C computes them.

The enum members are named exactly like the values of 1C's ``Перечисление.СтавкиНДС`` so the
sync layer can map OData values (``"НДС20"``) straight to :class:`VatRate` and back
(``VatRate["НДС20"]``, ``rate.value``).

"Calculated" rates (``НДС20_120`` «20% / 120%» and friends) are used when the amount is known to
include VAT, e.g. advances: the tax is always ``amount * 20 / 120`` whatever the document's
``СуммаВключаетНДС`` flag says.
"""

from __future__ import annotations

from decimal import Decimal, localcontext
from enum import Enum

from tui_crm.domain.money import ZERO, MoneyInput, round_money, to_money

__all__ = ["VatRate", "amount_without_vat", "vat_amount"]

_HUNDRED = Decimal(100)


class VatRate(Enum):
    """1C ``СтавкиНДС`` values; ``.value`` is the 1C enum member name."""

    НДС20 = "НДС20"
    НДС20_120 = "НДС20_120"
    НДС10 = "НДС10"
    НДС10_110 = "НДС10_110"
    НДС0 = "НДС0"
    БезНДС = "БезНДС"
    НДС18 = "НДС18"
    НДС18_118 = "НДС18_118"
    НДС5 = "НДС5"
    НДС5_105 = "НДС5_105"
    НДС7 = "НДС7"
    НДС7_107 = "НДС7_107"
    НДС22 = "НДС22"
    НДС22_122 = "НДС22_122"

    @property
    def onec_name(self) -> str:
        """The 1C enum member name, as sent and received over OData."""
        return self.value

    @property
    def percent(self) -> Decimal:
        """Nominal rate in percent: ``Decimal('20')`` for НДС20 and НДС20_120, 0 for БезНДС."""
        if self in (VatRate.БезНДС, VatRate.НДС0):
            return ZERO
        digits = self.value[len("НДС") :].split("_", 1)[0]
        return Decimal(digits)

    @property
    def is_calculated(self) -> bool:
        """True for «20% / 120%»-style rates: the amount always includes the tax."""
        return "_" in self.value

    @property
    def is_taxed(self) -> bool:
        """False for БезНДС and НДС0: no VAT amount ever arises."""
        return self.percent != 0

    @property
    def label(self) -> str:
        """Presentation as 1C shows it: ``"20%"``, ``"20% / 120%"``, ``"0%"``, ``"Без НДС"``."""
        if self is VatRate.БезНДС:
            return "Без НДС"
        pct = self.percent
        if self.is_calculated:
            return f"{pct}% / {pct + _HUNDRED}%"
        return f"{pct}%"

    @classmethod
    def from_onec(cls, name: str) -> VatRate:
        """Map a 1C enum member name to a rate; ``ValueError`` for unknown or empty names."""
        try:
            return cls(name)
        except ValueError:
            raise ValueError(f"unknown 1C VAT rate {name!r}") from None

    @classmethod
    def for_percent(cls, percent: MoneyInput) -> VatRate:
        """The plain (not calculated) rate for a percentage: ``20 → НДС20``, ``0 → НДС0``."""
        pct = to_money(percent)
        for rate in cls:
            if not rate.is_calculated and rate is not cls.БезНДС and rate.percent == pct:
                return rate
        raise ValueError(f"no VAT rate of {percent}%")


def vat_amount(
    amount: MoneyInput,
    rate: VatRate,
    amount_includes_vat: bool,
    *,
    vat_enabled: bool = True,
) -> Decimal:
    """VAT of one amount, rounded to kopecks, following 1C ``РассчитатьСуммуНДС``.

    - amount includes VAT (``СуммаВключаетНДС``) or a calculated rate:
      ``Окр(amount * r / (100 + r), 2)``;
    - VAT on top: ``Окр(amount * r / 100, 2)``;
    - БезНДС, НДС0, or the document does not account VAT (``УчитыватьНДС = Ложь``, pass
      ``vat_enabled=False``): 0.

    Works for negative amounts (storno) symmetrically, since 1C rounds halves away from zero.
    """
    value = to_money(amount)
    if not vat_enabled or not rate.is_taxed:
        return ZERO.quantize(Decimal("0.01"))
    r = rate.percent
    with localcontext() as ctx:
        ctx.prec = 40
        raw = value * r / (_HUNDRED + r) if amount_includes_vat or rate.is_calculated else value * r / _HUNDRED
    return round_money(raw)


def amount_without_vat(
    amount: MoneyInput,
    rate: VatRate,
    amount_includes_vat: bool,
    *,
    vat_enabled: bool = True,
) -> Decimal:
    """The net part of ``amount``: ``amount - VAT`` when VAT is included, else ``amount``."""
    value = round_money(amount)
    if amount_includes_vat or rate.is_calculated:
        return value - vat_amount(value, rate, True, vat_enabled=vat_enabled)
    return value
