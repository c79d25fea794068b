"""Shipment requests in the domain: what may still be asked for, the typed quantities' checks,
a request's state, and shipped figures from sales and warehouse releases."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from tui_crm.domain.problems import Code
from tui_crm.domain.shipment import (
    RequestLine,
    RequestState,
    parse_request,
    request_state,
    shipped_per_product,
)

LINES = [RequestLine(1, "milk", D(10), D(2), D(3)), RequestLine(2, "tea", D("2.5"), D(0), D(0))]


def test_left_is_ordered_less_shipped_less_asked_never_below_zero() -> None:
    assert [line.left for line in LINES] == [D(5), D("2.5")]
    assert RequestLine(3, "x", D(1), D(2), D(0)).left == 0      # shipped more than ordered


def test_quantities_within_what_is_left_are_taken_and_zero_skips_a_line() -> None:
    wanted, problems, whole = parse_request(LINES, ["5", "0"])
    assert (wanted, problems, whole) == ({1: D(5)}, {}, None)
    wanted, problems, whole = parse_request(LINES, ["1 ", "2,5"])   # comma decimals, spaces
    assert wanted == {1: D(1), 2: D("2.5")} and not problems and whole is None


@pytest.mark.parametrize(("text", "code"), [
    ("", Code.NUMBER_EMPTY),
    ("abc", Code.NOT_A_NUMBER),
    ("-1", Code.NEGATIVE),
    ("1.2345", Code.TOO_MANY_DECIMALS),
    ("6", Code.SHIPMENT_ABOVE_LEFT),
    ("5.001", Code.SHIPMENT_ABOVE_LEFT),
    ("9" * 20, Code.TOO_MANY_DIGITS),
])
def test_a_bad_quantity_is_a_problem_of_its_line(text: str, code: Code) -> None:
    wanted, problems, whole = parse_request(LINES, [text, "1"])
    assert problems[1].code is code and 2 not in problems
    assert wanted == {2: D(1)} and whole is None
    if code is Code.SHIPMENT_ABOVE_LEFT:
        assert problems[1].params["left"] == D(5)


def test_all_zero_is_refused_as_a_whole() -> None:
    wanted, problems, whole = parse_request(LINES, ["0", "0,000"])
    assert not wanted and not problems and whole is not None and whole.code is Code.SHIPMENT_NOTHING


def test_one_text_per_line() -> None:
    with pytest.raises(ValueError):
        parse_request(LINES, ["1"])


def test_state_accounting_wins_once_it_has_the_document() -> None:
    assert request_state("pending", in_accounting=False, posted=False, deletion_mark=False) is RequestState.QUEUED
    assert request_state("sending", in_accounting=False, posted=False, deletion_mark=False) is RequestState.QUEUED
    assert request_state("failed", in_accounting=False, posted=False, deletion_mark=False) is RequestState.FAILED
    assert request_state("done", in_accounting=True, posted=False, deletion_mark=False) is RequestState.IN_ACCOUNTING
    assert request_state(None, in_accounting=True, posted=True, deletion_mark=False) is RequestState.SHIPPED
    assert request_state("done", in_accounting=True, posted=False, deletion_mark=True) is RequestState.REJECTED
    assert {s for s in RequestState if s.open} == {RequestState.QUEUED, RequestState.IN_ACCOUNTING,
                                                   RequestState.FAILED}


def test_shipped_takes_the_larger_of_sales_and_releases_per_product() -> None:
    sales = {"milk": D(4), "tea": D(1)}
    released = [{"milk": D(2)}, {"milk": D(3), "salt": D(1)}]
    assert shipped_per_product(sales, released) == {"milk": D(5), "tea": D(1), "salt": D(1)}
    assert shipped_per_product({}, []) == {}
