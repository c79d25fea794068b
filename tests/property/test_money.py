"""Money, VAT and discounts against a plain reference written here from 1C's rules.

The reference works in exact fractions (no decimal context, no precision to run out of) and
rounds like 1C's ``Окр(x, 2)``: halves away from zero. Rules, from the domain's docstrings:

- line amount = Окр(Количество × Цена × (1 − ПроцентСкидкиНаценки / 100), 2), rounded once;
- VAT included (``СуммаВключаетНДС``) or a calculated rate (20/120): Окр(amount × r / (100 + r), 2);
  VAT on top: Окр(amount × r / 100, 2); none for БезНДС, НДС0, or ``УчитыватьНДС = Ложь``;
- a whole-invoice discount becomes each line's combined percent
  Окр(100 − (100 − line)(100 − doc) / 100, 2), then each line is rounded on its own;
- totals are sums of rounded line values; VAT on top is added to the total.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from tests.property.budget import budget
from tui_crm.domain.invoice import (
    Invoice,
    InvoiceLine,
    combine_discounts,
    line_amount,
    validate_invoice,
)
from tui_crm.domain.money import format_money, parse_money, round_money, round_qty
from tui_crm.domain.vat import VatRate, amount_without_vat, vat_amount

# -- the reference -----------------------------------------------------------------------------


def ref_round(x: Fraction, places: int = 2) -> Decimal:
    """Round half away from zero to `places`, exactly."""
    scale = 10**places
    scaled = abs(x) * scale
    whole = scaled.numerator // scaled.denominator
    if scaled - whole >= Fraction(1, 2):
        whole += 1
    sign = "-" if x < 0 and whole else ""
    return Decimal(f"{sign}{whole}E-{places}")  # from text: exact (scaleb would round to 28 digits)


def F(d: Decimal | int) -> Fraction:
    return Fraction(d)


def ref_percent(rate: VatRate) -> Fraction:
    name = rate.value
    if name in ("БезНДС", "НДС0"):
        return Fraction(0)
    return Fraction(int(name[3:].split("_")[0]))


def ref_vat(amount: Decimal, rate: VatRate, included: bool, enabled: bool = True) -> Decimal:
    r = ref_percent(rate)
    if not enabled or r == 0:
        return Decimal("0.00")
    if included or "_" in rate.value:
        return ref_round(F(amount) * r / (100 + r))
    return ref_round(F(amount) * r / 100)


def ref_line(qty: Decimal, price: Decimal, pct: Decimal) -> Decimal:
    return ref_round(F(qty) * F(price) * (1 - F(pct) / 100))


def ref_combined(line_pct: Decimal, doc_pct: Decimal) -> Decimal:
    return ref_round(100 - (100 - F(line_pct)) * (100 - F(doc_pct)) / 100)


# -- strategies: the ranges 1C's attributes allow ----------------------------------------------

def fixed(places: int, max_value: int) -> st.SearchStrategy[Decimal]:
    """Decimals with exactly `places` decimals in [-max_value, max_value]."""
    bound = max_value * 10**places
    return st.integers(-bound, bound).map(lambda n: Decimal(n).scaleb(-places))


amounts = st.one_of(fixed(2, 10**13 - 1), fixed(2, 10_000), st.sampled_from(
    [Decimal(s) for s in ("0.03", "0.05", "-0.05", "0.06", "1.005", "-0.015", "6.00", "120.00")]))
raw_amounts = st.one_of(amounts, fixed(3, 10**6), fixed(5, 10**4), fixed(8, 100))
quantities = st.one_of(fixed(3, 10**12 - 1), fixed(3, 1000), st.integers(1, 100).map(Decimal))
prices = st.one_of(fixed(2, 10**13 - 1), fixed(2, 100_000))
_ROUND_PERCENTS = ("0", "5", "10", "33.33", "50", "99.99", "100")
percents = st.one_of(fixed(2, 100).map(abs), st.sampled_from([Decimal(p) for p in _ROUND_PERCENTS]))
markups = fixed(2, 100)  # lines from accounting may carry a markup (negative percent)
rates = st.sampled_from(list(VatRate))


@given(raw_amounts)
@budget(300)
def test_round_money_and_round_qty_are_half_away_from_zero(x: Decimal) -> None:
    assert round_money(x) == ref_round(F(x))
    assert round_money(x).as_tuple().exponent == -2
    assert round_qty(x) == ref_round(F(x), 3)
    assert round_money(-x) == -round_money(x)


@given(amounts, rates, st.booleans(), st.booleans())
@budget(600)
def test_vat_amount_is_the_reference(amount: Decimal, rate: VatRate, included: bool, enabled: bool) -> None:
    vat = vat_amount(amount, rate, included, vat_enabled=enabled)
    assert vat == ref_vat(amount, rate, included, enabled)
    assert vat_amount(-amount, rate, included, vat_enabled=enabled) == -vat  # storno
    net = amount_without_vat(amount, rate, included, vat_enabled=enabled)
    kopecks = ref_round(F(amount))  # the net part is of the amount in kopecks
    if included or "_" in rate.value:
        assert net == kopecks - ref_vat(kopecks, rate, True, enabled)
    else:
        assert net == kopecks


@given(quantities, prices, st.one_of(percents, markups))
@budget(500)
def test_line_amount_is_rounded_once(qty: Decimal, price: Decimal, pct: Decimal) -> None:
    assert line_amount(qty, price, pct) == ref_line(qty, price, pct)


@given(percents, percents)
@budget(300)
def test_combined_discount_is_the_reference(line_pct: Decimal, doc_pct: Decimal) -> None:
    combined = combine_discounts(line_pct, doc_pct)
    assert combined == ref_combined(line_pct, doc_pct)
    assert Decimal(0) <= combined <= Decimal(100)
    assert combined >= max(line_pct, doc_pct) - Decimal("0.01")


line_st = st.builds(
    lambda q, p, d, r: InvoiceLine("p", "c", "n", "шт", q, p, d, r),
    st.one_of(fixed(3, 10_000).map(abs).filter(bool), st.integers(1, 50).map(Decimal)),
    fixed(2, 1_000_000).map(abs),
    percents,
    rates,
)


@given(st.lists(line_st, max_size=8), percents, st.booleans(), st.booleans())
@budget(400)
def test_invoice_totals_are_sums_of_rounded_lines(lines, doc_pct, included, enabled) -> None:
    inv = Invoice(lines=tuple(lines), amount_includes_vat=included, document_discount_pct=doc_pct,
                  vat_enabled=enabled)
    amounts, vats, gross = [], [], []
    for ln in lines:
        pct = ln.discount_pct if doc_pct == 0 else ref_combined(ln.discount_pct, doc_pct)
        amount = ref_line(ln.quantity, ln.price, pct)
        amounts.append(amount)
        vats.append(ref_vat(amount, ln.vat_rate, included, enabled))
        gross.append(ref_line(ln.quantity, ln.price, Decimal(0)))
    total = sum(amounts, Decimal(0)) + (Decimal(0) if included else sum(vats, Decimal(0)))
    assert inv.amount_total == sum(amounts, Decimal(0))
    assert inv.vat_total == sum(vats, Decimal(0))
    assert inv.total == total
    assert inv.total_without_vat == total - sum(vats, Decimal(0))
    assert inv.gross_total == sum(gross, Decimal(0))
    assert inv.discount_total == inv.gross_total - inv.amount_total
    assert [e.amount for e in inv.effective_lines] == amounts


@given(raw_amounts.filter(lambda d: abs(d) < 10**13), st.sampled_from(["en", "ru"]))
@budget(300)
def test_formatted_money_parses_back_to_the_rounded_amount(x: Decimal, lang: str) -> None:
    text = format_money(x, lang)  # type: ignore[arg-type]
    assert parse_money(text, allow_negative=True) == round_money(x)


NUMBER_15_2 = Decimal(10) ** 13  # Сумма, СуммаДокумента: Number(15,2)

big_line = st.builds(
    lambda q, p, d: InvoiceLine("p", "c", "n", "шт", q, p, d),
    st.one_of(fixed(3, 10**12 - 1).map(abs), st.integers(1, 10**6).map(Decimal)),
    st.one_of(fixed(2, 10**13 - 1).map(abs), fixed(2, 10**7).map(abs)),
    percents,
)


@given(st.lists(big_line, min_size=1, max_size=4), percents)
@budget(400)
def test_an_invoice_that_validates_fits_1c_amounts(lines, doc_pct) -> None:
    inv = Invoice(lines=tuple(lines), document_discount_pct=doc_pct, client_id="c", warehouse_id="w")
    if validate_invoice(inv):
        return
    # what 1C stores per line (Товары.Сумма) and per document (СуммаДокумента): Number(15,2)
    assert all(abs(line.amount) < NUMBER_15_2 for line in inv.effective_lines)
    assert abs(inv.total) < NUMBER_15_2


@given(st.decimals(allow_nan=False, allow_infinity=False))
@budget(200)
def test_round_money_of_any_finite_decimal_is_a_value_or_a_value_error(x: Decimal) -> None:
    try:
        rounded = round_money(x)
    except ValueError:
        assert x.adjusted() >= 28  # only beyond any amount 1C or the CRM can hold
        return
    assert rounded == ref_round(F(x))
    assert format_money(x).replace(" ", "").lstrip("-").replace(".", "").isdigit()
