"""The row parsers of every bundled profile (ka1, ut11, bp3): any JSON shape 1C (or a broken
proxy) can send gives a parsed row or the parser's typed error (`BadData`), never another
exception; and a parsed row carries only clean values (no control characters that could drive
the terminal, finite numbers inside 1C's Number(15, n), canonical lower-case references).

Rows are built from the profile's own field map: a well-formed row per concept, then a random
subset of its fields replaced by junk (wrong types, nulls, huge numbers, `1e999`, nested
containers, hostile text from onec_sandbox/hostile.py) or dropped, plus random extra keys.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import uuid
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onec_sandbox.hostile import TEXTS
from tests.property.budget import budget
from tui_crm.sync import parse
from tui_crm.sync.odata import EMPTY_REF
from tui_crm.sync.parse import BadData
from tui_crm.sync.profile import (  # the bundled TOML, to add custom fields
    BUNDLED,
    TYPE_PREFIX,
    Concept,
    Profile,
    _bundled_text,
    _parse,
    load_profile,
    profile_from_dict,
)

# -- profiles: the three bundled ones, and ka1 with custom fields pulled from 1C --------------

def _with_custom(name: str) -> Profile:
    data = _parse(_bundled_text(name), name)
    data["custom_fields"] = {"client": {"okpo": "КодПоОКПО", "note": {"field": "Пометка1",
                                                                       "direction": "pull"}}}
    return profile_from_dict(data, f"{name}+custom")


PROFILES: dict[str, Profile] = {name: load_profile(name) for name in BUNDLED}
PROFILES["ka1+custom"] = _with_custom("ka1")

# -- field kinds, by the CRM field name ---------------------------------------------------------

_REFS = {"id", "owner", "unit", "currency", "organization", "warehouse", "product", "price_type",
         "client", "contract", "order", "variant"}
_FLAGS = {"is_folder", "deletion_mark", "posted", "includes_vat", "is_service",
          "amount_includes_vat"}
_NUMBERS = {"quantity", "price", "amount", "total", "factor", "reserved", "discount_pct", "vat"}
_DATES = {"date", "period"}

guids = st.sampled_from([0, 0, 0, 1]).flatmap(
    lambda n: st.uuids().map(str) if n == 0 else st.one_of(
        st.uuids().map(lambda u: str(u).upper()), st.sampled_from([EMPTY_REF, "", None])))
good_numbers = st.one_of(
    st.integers(-10**9, 10**9),
    st.decimals(-10**9, 10**9, places=2).map(str),
    st.integers(-10**9, 10**9).map(str),  # Int64 arrives as a string
    st.floats(-1e9, 1e9, allow_nan=False),
)
good_dates = st.one_of(st.datetimes(min_value=datetime(1, 1, 2)).map(lambda d: d.isoformat(timespec="seconds")),
                       st.just("0001-01-01T00:00:00"))
good_text = st.one_of(
    st.text(st.characters(exclude_categories=("Cs", "Cc")), max_size=30),
    st.text(st.characters(exclude_categories=("Cs", "Cc")), max_size=30),
    st.text(max_size=30),
    st.sampled_from(TEXTS),
)

scalar_junk = st.one_of(
    st.none(), st.booleans(), st.just(""),
    st.integers(), st.integers(-10**60, 10**60), st.just(10**400),
    st.floats(),  # includes inf, -inf, nan (json.loads("1e999") is inf)
    st.sampled_from(["1e999", "-1e999", "NaN", "Infinity", "sNaN", "1e-999999", "0x10", "1_000",
                     "１２", "١٢", " 12 ", "12,5", "9" * 40, "-0", "+5", "00000000-0000-0000-0000",
                     "2026-13-45T99:99:99", "2026-11-30T10:00:00Z", "2026-11-30", "StandardODATA.",
                     "StandardODATA.Undefined", "StandardODATA.Catalog_Склады"]),
    st.text(max_size=20), st.sampled_from(TEXTS),
)
json_junk = st.recursive(
    scalar_junk,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


def _good(crm: str, concept: str) -> st.SearchStrategy[Any]:
    if concept == "contract" and crm == "kind":
        return good_text
    if crm in _REFS or (concept == "contact" and crm == "kind"):
        return guids
    if crm == "is_folder":
        return st.sampled_from([False, False, False, True])  # mostly items, so rows get parsed
    if crm in _FLAGS:
        return st.booleans()
    if crm in _NUMBERS:
        return good_numbers
    if crm in _DATES:
        return good_dates
    if crm == "line_number":
        return st.integers(1, 100).map(str)
    return good_text


def _good_part(fields: dict[str, str], composite: dict[str, str], concept: str,
               draw: Callable[[st.SearchStrategy[Any]], Any]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for crm, onec in fields.items():
        if not onec:
            continue
        row[onec] = draw(_good(crm, concept))
        if onec in composite:
            row[onec + "_Type"] = TYPE_PREFIX + composite[onec]
    return row


def _spoil(row: dict[str, Any], draw: Callable[[st.SearchStrategy[Any]], Any]) -> dict[str, Any]:
    """Replace or drop some keys, add some, in a copy of `row`."""
    out = dict(row)
    for key in list(out):
        action = draw(st.sampled_from(["keep"] * 6 + ["junk", "drop", "null"]))
        if action == "junk":
            out[key] = draw(json_junk)
        elif action == "drop":
            del out[key]
        elif action == "null":
            out[key] = None
    out.update(draw(st.dictionaries(st.sampled_from([*row, "Ref_Key", "x", "value"]), json_junk,
                                    max_size=2)))
    return out


@st.composite
def rows_for(draw, c: Concept) -> dict[str, Any]:
    row = _good_part(dict(c.fields), dict(c.composite), c.key, draw)
    if c.lines:
        lines = [_good_part(dict(c.line_fields), dict(c.line_composite), c.key, draw)
                 for _ in range(draw(st.integers(0, 3)))]
        row[c.lines] = lines
    spoil = draw(st.sampled_from([False, False, True]))
    if spoil:
        row = _spoil(row, draw)
        if c.lines and isinstance(row.get(c.lines), list):
            row[c.lines] = [_spoil(r, draw) if isinstance(r, dict) and draw(st.booleans()) else r
                            for r in row[c.lines]]
    return row


# -- what a parsed value may be -----------------------------------------------------------------

_TERMINAL_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_CANONICAL_GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def check_clean(value: Any, where: str = "row") -> None:
    """Everything a parser returns is plain data the store and the screens can take as is."""
    if value is None or isinstance(value, bool | int | datetime):
        return
    if isinstance(value, str):
        assert not _TERMINAL_CONTROL.search(value), f"{where}: control character in {value[:80]!r}"
        if len(value) == 36 and value.count("-") == 4 and re.fullmatch(r"[0-9a-fA-F-]{36}", value):
            assert _CANONICAL_GUID.fullmatch(value), f"{where}: reference not lower case: {value}"
            assert value != EMPTY_REF, f"{where}: the empty reference is not a reference"
        return
    if isinstance(value, Decimal):
        assert value.is_finite() and abs(value) < Decimal(10) ** 15, f"{where}: {value}"
        return
    if isinstance(value, tuple | list):
        for i, item in enumerate(value):
            check_clean(item, f"{where}[{i}]")
        return
    if isinstance(value, dict):
        for k, v in value.items():
            check_clean(k, where)
            check_clean(v, f"{where}.{k}")
        return
    if dataclasses.is_dataclass(value):
        for f in dataclasses.fields(value):
            check_clean(getattr(value, f.name), f"{where}.{f.name}")
        return
    raise AssertionError(f"{where}: unexpected {type(value).__name__}: {value!r}")


def check_custom_json(row: tuple[Any, ...]) -> None:
    """The counterparty's custom fields travel as a JSON text: strict JSON, no NaN/Infinity."""
    custom = row[-1]
    json.loads(custom, parse_constant=lambda c: pytest.fail(f"non-JSON constant {c} in {custom}"))


# -- one case per parser ---------------------------------------------------------------------------

def _wanted(row: dict[str, Any]) -> set[str]:
    """The order ids a payment/shipment row refers to, so the settle-against path is taken."""
    found: set[str] = set()
    for v in json.dumps(row, default=str).split('"'):
        if re.fullmatch(r"[0-9a-fA-F-]{36}", v):
            found.add(v.lower())
    return found


CASES: dict[str, Callable[[Profile, dict[str, Any]], Any]] = {
    "organization": lambda p, r: parse.organization(p, r),
    "currency": lambda p, r: parse.currency(p, r),
    "warehouse": lambda p, r: parse.warehouse(p, r),
    "price_type": lambda p, r: parse.price_type(p, r),
    "unit": lambda p, r: parse.unit(p, r),
    "product": lambda p, r: parse.product(p, r, {}),
    "counterparty": lambda p, r: parse.counterparty(p, r, [parse.Contact("x", "phone", "1")]),
    "counterparty_contacts": lambda p, r: parse.contacts_from_table_part(p, r, {}),
    "contact": lambda p, r: parse.contact(p, r, {}),
    "contact_kinds": lambda p, r: parse.contact_kind_map(p, [r, {"Ref_Key": str(uuid.uuid4()),
                                                                 "PredefinedDataName": "Телефон"}]),
    "contract": lambda p, r: parse.contract(p, r),
    "prices": lambda p, r: parse.price_row(p, r),
    "stock": lambda p, r: parse.stock_row(p, r),
    "reserves": lambda p, r: (parse.stock_row(p, r, "reserves"), parse.reserve_of_order(p, r)),
    "debt": lambda p, r: (parse.debt_row(p, r), parse.settlement_row(p, r)),
    "order": lambda p, r: (parse.order_state(p, r), parse.order_full(p, r)),
    "bank_payment": lambda p, r: parse.payments(p, "bank_payment", r, _wanted(r)),
    "cash_payment": lambda p, r: parse.payments(p, "cash_payment", r, _wanted(r)),
    "shipment": lambda p, r: parse.shipment(p, r, _wanted(r)),
}
_CONCEPT_OF = {"counterparty_contacts": "counterparty", "contact_kinds": "contact"}
# A concept's parser only runs on profiles that map everything it reads.
_NEEDS_LINES = {"counterparty_contacts": "contact"}


def _applicable() -> list[tuple[str, str]]:
    out = []
    for pname, p in PROFILES.items():
        for case in CASES:
            concept = p.concepts.get(_CONCEPT_OF.get(case, case))
            if concept is None or not concept.present:
                continue
            if case == "counterparty_contacts" and not p["contact"].lines:
                continue
            out.append((pname, case))
    return out


APPLICABLE = _applicable()


@pytest.mark.parametrize(("pname", "case"), APPLICABLE, ids=[f"{p}-{c}" for p, c in APPLICABLE])
@given(data=st.data())
@budget(25)
def test_parser_gives_a_row_or_bad_data(pname: str, case: str, data: st.DataObject) -> None:
    p = PROFILES[pname]
    concept = p[_CONCEPT_OF.get(case, case)]
    if case == "counterparty_contacts":
        row = data.draw(rows_for(p["counterparty"]))
        row[p["contact"].lines] = data.draw(st.lists(rows_for(p["contact"]), max_size=3)
                                            | json_junk)
    else:
        row = data.draw(rows_for(concept))
    if case == "counterparty":  # the company's own attributes, pulled into custom fields
        names = [cf.onec for cf in p.custom("client")]
        if names:
            values = st.one_of(st.sampled_from([math.inf, -math.inf, math.nan, 1e308, 10**30]),
                               st.floats(), st.sampled_from(TEXTS), json_junk)
            row.update(data.draw(st.dictionaries(st.sampled_from(names), values, max_size=2)))
    try:
        result = CASES[case](p, row)
    except BadData as exc:
        assert exc.entity and exc.reason
        str(exc)  # the message a sync log shows is buildable
        return
    check_clean(result, f"{pname}/{case}")
    if case == "counterparty" and result is not None:
        check_custom_json(result)


def test_every_bundled_profile_and_parser_is_covered() -> None:
    cases = {c for _p, c in APPLICABLE}
    assert cases == set(CASES)
    assert {p for p, _c in APPLICABLE} == set(PROFILES)
    assert len(APPLICABLE) >= 45 and not math.isnan(len(APPLICABLE))


@given(st.dictionaries(st.sampled_from(["КодПоОКПО", "Пометка1"]),
                       st.one_of(st.sampled_from([math.inf, -math.inf, math.nan, 1e308, 10**30]),
                                 st.floats(), st.sampled_from(TEXTS), json_junk), min_size=1))
@budget(200)
def test_counterparty_custom_fields_are_strict_json_or_bad_data(custom: dict[str, Any]) -> None:
    p = PROFILES["ka1+custom"]
    row = {"Ref_Key": str(uuid.UUID(int=7)), "Description": "ООО Ромашка", "ИНН": "7707083893",
           "ЭтоГруппа": False, **custom}
    try:
        result = parse.counterparty(p, row)
    except BadData as exc:
        assert exc.key == str(uuid.UUID(int=7))
        return
    assert result is not None
    check_clean(result)
    check_custom_json(result)
