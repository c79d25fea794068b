"""One rule for a number typed in short (`ТД9` for `ТД000000009`): the store's SQL, the Python
check `tui-crm status` applies to 1C's rows, and the OData filter it sends must agree. The filter
is run by the sandbox's $filter evaluator (the one 1C's requests meet in the e2e tests); it may
let through a row the rule drops (a counter past a million), never drop one the rule finds."""

from __future__ import annotations

import duckdb
import pytest

from onec_sandbox import expr as X
from tui_crm.domain.number import number_found
from tui_crm.store.search import short_number_match
from tui_crm.sync import queries
from tui_crm.sync.profile import load_profile

NUMBERS = ("ТД000000009", "ТД000000019", "ТД000000090", "ТД000000900", "ТД00-000009", "0000-000009",
           "ЦБ-000123", "00000000009", "ТД001000009", "БС000000001", "ЦБТД0000009", "ТД000000000",
           "БС00-000009", "БС00-000019", "БС01-000009",
           # typed by hand in 1C, fewer than six digits
           "ТД-9", "ТД-09", "ТД 9", "тд-0009", "ТД-19", "9", "09", "ТД00-9", "БС-00009")
TEXTS = ("ТД9", "тд9", "тд 9", "ТД-09", "9", "09", "0", "ТД0", "цб 123", "123", "ЦБ-000123", "Т9", "ТД000000009",
         "БП9", "ЦБТД9", "ТД1000009", "ТД 00-9", "ТД00", "-9", "9ТД", "Д9",
         "БС00-9", "бс00-09", "БС-9", "бс9", "00-9", "0000-9", "БС01-9", "БС00-000009", "БС0-9", "БС00 9")


def store_rule(con: duckdb.DuckDBPyConnection, number: str, text: str) -> bool:
    """What the store's `order_progress` finds by number: each word inside or in short."""
    for w in text.lower().split()[:6]:
        sql, params = short_number_match("n", w)
        row = con.execute(f"SELECT contains(lower(n), ?) OR {sql} FROM (SELECT ? AS n)",
                          [w, *params, number]).fetchone()
        if not (row and row[0]):
            return False
    return bool(text.split())


def test_python_rule_is_the_store_rule() -> None:
    con = duckdb.connect()
    try:
        for number in NUMBERS:
            for text in TEXTS:
                assert number_found(number, text) == store_rule(con, number, text), (number, text)
    finally:
        con.close()


@pytest.mark.parametrize("profile", ["ka1", "ut11", "bp3"])
def test_filter_finds_every_number_the_rule_finds(profile: str) -> None:
    p = load_profile(profile)
    field = p["order"].f("number")
    scope = X.Scope({field: X.FieldType("s")})
    for text in TEXTS:
        q = queries.orders_search(p, text)
        assert q.filter
        keep = X.compile_filter(q.filter, scope)
        for number in NUMBERS:
            if number_found(number, text):
                assert keep({field: number}), (profile, text, number, q.filter)
    # bounded: a short form asks the digits padded to six, not every number ending in 9
    keep = X.compile_filter(queries.orders_search(p, "ТД9").filter or "", scope)
    assert not keep({field: "ТД000000019"}) and not keep({field: "ТД000000090"})
    assert keep({field: "ТД001000009"}) and not number_found("ТД001000009", "ТД9")   # the rare extra


def test_bsp_numbers_in_short() -> None:
    """УТ 11 / БП 3's `БС00-000009`: `БС9`, `БС-9`, `9` and the prefix as shown, `БС00-9`."""
    for text in ("БС9", "бс-9", "9", "БС00-9", "бс00-009", "БС0-9", "БС00-000009"):
        assert number_found("БС00-000009", text), text
    for text in ("БС01-9", "00-9", "БС19", "БС00-19", "БС1-9"):
        assert not number_found("БС00-000009", text), text
    assert number_found("0000-000009", "00-9") and number_found("0000-000009", "0000-9")


def test_a_counter_typed_by_hand_is_asked_of_1c_too() -> None:
    """1C keeps a number typed by hand as typed (`ТД-9`): the store finds it by `ТД9` and `9`, so
    the filter must let it through although it does not end in six digits."""
    p = load_profile("ka1")
    field = p["order"].f("number")
    scope = X.Scope({field: X.FieldType("s")})
    for number, text in (("ТД-9", "ТД9"), ("ТД-9", "9"), ("ТД 09", "тд9"), ("ТД-9", "ТД-09"), ("9", "9")):
        assert number_found(number, text)
        assert X.compile_filter(queries.orders_search(p, text).filter or "", scope)({field: number}), (number, text)
    # still bounded: another counter, another prefix
    keep = X.compile_filter(queries.orders_search(p, "ТД9").filter or "", scope)
    assert not keep({field: "ТД-19"}) and not keep({field: "ЦБ-9"})


def test_a_name_and_a_number_are_asked_word_by_word() -> None:
    """"Ромашка 9": the store finds each word in the number or in the client (name, ИНН); asked
    of 1C with the clients each word found, an order of Ромашка numbered 9 comes, another of
    hers or one of another client numbered 9 does not."""
    p = load_profile("ka1")
    number, client = p["order"].f("number"), p["order"].f("client")
    ours, other = "11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222"
    scope = X.Scope({number: X.FieldType("s"), client: X.FieldType("r")})
    keep = X.compile_filter(queries.orders_search(p, "Ромашка 9", (), [[ours], []]).filter or "", scope)
    assert keep({number: "ТД000000009", client: ours})
    assert not keep({number: "ТД000000008", client: ours})
    assert not keep({number: "ТД000000009", client: other})
