"""`$filter` literals built by the client parse back to the same value in the sandbox's parser
(onec_sandbox/expr.py), alone and inside and/or/not trees; and, over real loopback HTTP, a
name looked up with `Description eq '…'` finds exactly the object of that name (the client's
query encoding and the sandbox's decoding agree on every character).
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onec_sandbox import expr
from onec_sandbox.hostile import TEXTS
from onec_sandbox.server import RunningSandbox, start_in_thread
from onec_sandbox.state import SandboxState
from tests.property.budget import budget
from tui_crm.sync.odata import ODataClient
from tui_crm.sync.odata.literals import (
    and_,
    cast_ref,
    cmp,
    eq,
    in_guids,
    lit_bool,
    lit_datetime,
    lit_decimal,
    lit_guid,
    lit_str,
    not_,
    or_,
    substringof,
)

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

texts = st.one_of(
    st.text(max_size=40),
    st.text(st.sampled_from("'\"() ,/:eqornandt%+&#?=;\\$@!*[]{}<>`~|^-_."), max_size=20),
    st.sampled_from(TEXTS),
    st.builds(lambda a, b: f"{a} and {b}", st.text(max_size=5), st.text(max_size=5)),
    st.builds(lambda a: f"'{a}' or '", st.text(max_size=5)),
)
decimals = st.one_of(
    st.integers(),
    st.decimals(allow_nan=False, allow_infinity=False, min_value=-10**30, max_value=10**30),
    st.decimals(allow_nan=False, allow_infinity=False, places=2),
    st.sampled_from([Decimal("-0"), Decimal("-0.00"), Decimal("1E+5"), Decimal("1E-7"),
                     Decimal("0.000"), Decimal("123456789012345.678")]),
)
when = st.one_of(st.datetimes(), st.dates())


def _literal_of(text: str) -> Any:
    """The value of the literal in `Description eq <literal>`, as the sandbox parses it."""
    node = expr.parse(f"Description eq {text}")
    assert node[0] == "bin" and node[1] == "eq" and node[2] == ("path", ["Description"]), node
    assert node[3][0] == "lit", node
    return node[3][1]


@given(texts)
@budget(400)
def test_string_literal_round_trips(text: str) -> None:
    if _CONTROL.search(text):
        with pytest.raises(ValueError):
            lit_str(text)
        return
    literal = lit_str(text)
    assert _literal_of(literal) == text
    assert _literal_of(eq("Description", literal)[len("Description eq "):]) == text
    call = expr.parse(substringof(text, "Description"))
    assert call == ("call", "substringof", [("lit", text), ("path", ["Description"])])


@given(st.uuids(), st.booleans())
@budget(150)
def test_guid_literal_round_trips(value: uuid.UUID, upper: bool) -> None:
    given_form: str | uuid.UUID = str(value).upper() if upper else value
    assert _literal_of(lit_guid(given_form)) == expr.Guid(str(value))
    cast = expr.parse(cast_ref(given_form, "Document_ЗаказПокупателя"))
    assert cast == ("call", "cast", [("lit", expr.Guid(str(value))),
                                     ("lit", "Document_ЗаказПокупателя")])


@given(when)
@budget(150)
def test_datetime_literal_round_trips(value: datetime | date) -> None:
    expected = (value.replace(microsecond=0) if isinstance(value, datetime)
                else datetime(value.year, value.month, value.day))
    assert _literal_of(lit_datetime(value)) == expected.isoformat()


@given(decimals, st.sampled_from(["eq", "ne", "gt", "ge", "lt", "le"]))
@budget(300)
def test_number_literal_round_trips(value: Decimal | int, op: str) -> None:
    literal = lit_decimal(value)
    node = expr.parse(cmp("Цена", op, literal))  # cmp() insists the literal is one token
    assert node[:3] == ("bin", op, ("path", ["Цена"]))
    parsed = node[3][1]
    assert isinstance(parsed, Decimal) and parsed == Decimal(value)


# -- whole filters: random and/or/not trees of literal comparisons ------------------------------

leaf = st.one_of(
    st.tuples(st.just("eq_str"), texts.filter(lambda t: not _CONTROL.search(t))),
    st.tuples(st.just("eq_guid"), st.uuids().map(str)),
    st.tuples(st.just("eq_num"), decimals),
    st.tuples(st.just("eq_bool"), st.booleans()),
    st.tuples(st.just("sub"), texts.filter(lambda t: not _CONTROL.search(t))),
    st.tuples(st.just("in"), st.lists(st.uuids().map(str), min_size=1, max_size=4, unique=True)),
)
trees = st.recursive(
    leaf,
    lambda inner: st.one_of(
        st.tuples(st.just("and"), st.lists(inner, min_size=2, max_size=3)),
        st.tuples(st.just("or"), st.lists(inner, min_size=2, max_size=3)),
        st.tuples(st.just("not"), inner),
    ),
    max_leaves=8,
)


def render(tree: Any) -> str:
    kind = tree[0]
    if kind == "eq_str":
        return eq("Description", lit_str(tree[1]))
    if kind == "eq_guid":
        return eq("Ref_Key", lit_guid(tree[1]))
    if kind == "eq_num":
        return eq("Цена", lit_decimal(tree[1]))
    if kind == "eq_bool":
        return eq("Posted", lit_bool(tree[1]))
    if kind == "sub":
        return substringof(tree[1], "Description")
    if kind == "in":
        return in_guids("Ref_Key", tree[1])
    if kind == "and":
        return and_(*(render(t) for t in tree[1]))
    if kind == "or":
        return or_(*(render(t) for t in tree[1]))
    return not_(render(tree[1]))


def expected(tree: Any) -> Any:
    """The tree in the normal form `normal()` gives a parsed AST."""
    kind = tree[0]
    if kind == "eq_str":
        return ("eq", "Description", tree[1])
    if kind == "eq_guid":
        return ("eq", "Ref_Key", expr.Guid(tree[1]))
    if kind == "eq_num":
        return ("eq", "Цена", Decimal(tree[1]))
    if kind == "eq_bool":
        return ("eq", "Posted", tree[1])
    if kind == "sub":
        return ("sub", tree[1], "Description")
    if kind == "in":
        items = [("eq", "Ref_Key", expr.Guid(g)) for g in tree[1]]
        return items[0] if len(items) == 1 else ("or", items)
    if kind in ("and", "or"):
        flat: list[Any] = []
        for child in tree[1]:
            e = expected(child)
            flat.extend(e[1] if e[0] == kind else [e])
        return (kind, flat)
    return ("not", expected(tree[1]))


def normal(node: Any) -> Any:
    """A parsed AST with nested and/or flattened (the parser nests them two by two)."""
    t = node[0]
    if t == "bin" and node[1] in ("and", "or"):
        flat: list[Any] = []
        for side in (node[2], node[3]):
            n = normal(side)
            flat.extend(n[1] if n[0] == node[1] else [n])
        return (node[1], flat)
    if t == "bin" and node[1] == "eq":
        assert node[2][0] == "path" and node[3][0] == "lit", node
        return ("eq", "/".join(node[2][1]), node[3][1])
    if t == "call" and node[1] == "substringof":
        return ("sub", node[2][0][1], "/".join(node[2][1][1]))
    if t == "not":
        return ("not", normal(node[1]))
    raise AssertionError(f"unexpected node {node!r}")


@given(trees)
@budget(400)
def test_filter_trees_parse_back_to_the_same_tree(tree: Any) -> None:
    text = render(tree)
    assert normal(expr.parse(text)) == expected(tree)


# -- over loopback HTTP: the name we ask for is the name the sandbox compares --------------------

@pytest.fixture(scope="module")
def loopback() -> Iterator[tuple[RunningSandbox, ODataClient, asyncio.AbstractEventLoop]]:
    running = start_in_thread(SandboxState.seeded(products=5, warehouses=1, seed=3), port=0,
                              base="demo")
    loop = asyncio.new_event_loop()
    client = ODataClient(running.base_url, retries=0, timeout=10.0)
    try:
        yield running, client, loop
    finally:
        loop.run_until_complete(client.aclose())
        loop.close()
        running.stop()


names = st.one_of(
    st.text(st.characters(exclude_categories=("Cs", "Cc")), min_size=1, max_size=25),
    st.text(st.sampled_from("'%+&#?=; /\\$@!*()[]~абв一🍏\u00a0\u202e\u2028"), min_size=1, max_size=25),
    st.sampled_from([t for t in TEXTS if not _CONTROL.search(t) and len(t) <= 100]),
)


@given(names)
@budget(100)
def test_a_name_looked_up_over_http_finds_exactly_that_object(loopback, name: str) -> None:
    _running, client, loop = loopback

    async def roundtrip() -> tuple[str, list[dict]]:
        made = await client.create("Catalog_Склады", {"Description": name, "Code": "P"})
        rows = await client.get_page("Catalog_Склады", select="Ref_Key,Description",
                                     filter=eq("Description", lit_str(name)))
        return made["Ref_Key"], rows

    ref, rows = loop.run_until_complete(roundtrip())
    assert ref in {r["Ref_Key"] for r in rows}, (name, rows)
    assert all(r["Description"] == name for r in rows), (name, rows)
