"""Pure-function tests of tui_crm.sync.odata: literals, filter building, value parsing.

Why: every piece of user text reaches 1C through these helpers, so escaping and validation
bugs here are injection bugs; the parsers guard against 1C's Int64-as-string, empty refs and
composite fields (docs/onec-odata-notes.md §2, §7).
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from tui_crm.sync.odata import (
    EMPTY_DATE,
    EMPTY_REF,
    and_,
    cast_ref,
    cmp,
    eq,
    in_guids,
    in_guids_batches,
    lit_bool,
    lit_datetime,
    lit_decimal,
    lit_guid,
    lit_str,
    not_,
    or_,
    parse_composite,
    parse_date,
    parse_decimal,
    parse_int,
    parse_ref,
    substringof,
    virtual_table,
    virtual_table_query,
)

G1 = "41aa6331-954f-11e3-814b-005056c00008"
G2 = "086715b0-f348-11db-a9c5-00055d49b45e"


# --- literals ---------------------------------------------------------------------------------


def test_lit_str_doubles_quotes() -> None:
    assert lit_str("O'Brien") == "'O''Brien'"
    assert lit_str("O'Reilly") == "'O''Reilly'"
    assert lit_str("") == "''"
    assert lit_str("Рога и копыта") == "'Рога и копыта'"


def test_hostile_value_stays_one_literal() -> None:
    hostile = "x') or true or ('"
    lit = lit_str(hostile)
    assert lit == "'x'') or true or ('''"
    expr = eq("Description", lit)
    assert expr == "Description eq 'x'') or true or ('''"
    # Undo the OData quoting: the literal body is exactly the original text.
    body = expr[len("Description eq ") :]
    assert body[0] == body[-1] == "'"
    assert body[1:-1].replace("''", "'") == hostile
    # and there is no unpaired quote inside the body (it cannot terminate early)
    assert "'" not in body[1:-1].replace("''", "")


@pytest.mark.parametrize("bad", ["a\x00b", "line\nbreak", "tab\there", "del\x7f"])
def test_lit_str_rejects_control_chars(bad: str) -> None:
    with pytest.raises(ValueError):
        lit_str(bad)


def test_lit_str_rejects_non_str() -> None:
    with pytest.raises(TypeError):
        lit_str(5)  # type: ignore[arg-type]


def test_lit_guid_accepts_and_normalises() -> None:
    assert lit_guid(G1) == f"guid'{G1}'"
    assert lit_guid(G1.upper()) == f"guid'{G1}'"
    assert lit_guid(uuid.UUID(G1)) == f"guid'{G1}'"


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "not-a-guid",
        "x') or true or ('",
        G1 + "'",
        G1[:-1],
        G1.replace("-", ""),
        "{" + G1 + "}",
        f"{G1}') or (1 eq 1",
        "zzzzzzzz-954f-11e3-814b-005056c00008",
        None,
        123,
    ],
)
def test_lit_guid_rejects_garbage(bad: object) -> None:
    with pytest.raises(ValueError):
        lit_guid(bad)  # type: ignore[arg-type]


def test_lit_datetime() -> None:
    assert lit_datetime(datetime(2024, 3, 20, 23, 59, 59, 123456)) == "datetime'2024-03-20T23:59:59'"
    assert lit_datetime(date(2024, 1, 2)) == "datetime'2024-01-02T00:00:00'"
    assert lit_datetime(datetime(1, 1, 1)) == f"datetime'{EMPTY_DATE}'"
    with pytest.raises(ValueError):
        lit_datetime(datetime(2024, 1, 1, tzinfo=UTC))
    with pytest.raises(TypeError):
        lit_datetime("2024-01-01")  # type: ignore[arg-type]


def test_lit_bool_and_decimal() -> None:
    assert lit_bool(True) == "true" and lit_bool(False) == "false"
    with pytest.raises(TypeError):
        lit_bool("true")  # type: ignore[arg-type]
    assert lit_decimal(Decimal("22729.17")) == "22729.17"
    assert lit_decimal(Decimal("1E+3")) == "1000"
    assert lit_decimal(Decimal("-0")) == "0"
    assert lit_decimal(5) == "5"
    with pytest.raises(TypeError):
        lit_decimal(1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        lit_decimal(True)
    with pytest.raises(ValueError):
        lit_decimal(Decimal("NaN"))


def test_cast_ref() -> None:
    assert (
        cast_ref(G1, "Document_ЗаказПокупателя")
        == f"cast(guid'{G1}','Document_ЗаказПокупателя')"
    )
    with pytest.raises(ValueError):
        cast_ref(G1, "Document_X') or true or ('")
    with pytest.raises(ValueError):
        cast_ref("nope", "Document_X")


# --- filter building -------------------------------------------------------------------------


def test_eq_validates_field_and_literal() -> None:
    assert eq("Контрагент_Key", lit_guid(G1)) == f"Контрагент_Key eq guid'{G1}'"
    assert eq("Товары/Номенклатура_Key", lit_guid(G1)) == f"Товары/Номенклатура_Key eq guid'{G1}'"
    assert eq("ДокументОснование", cast_ref(G1, "Document_X")).endswith("'Document_X')")
    assert eq("DeletionMark", lit_bool(False)) == "DeletionMark eq false"
    assert eq("Date", lit_datetime(datetime(2024, 1, 1))) == "Date eq datetime'2024-01-01T00:00:00'"
    for bad_field in ["", "1abc", "a b", "a)or(b", "a'", "a/", "/a", "a//b", "Name eq 'x' or Name"]:
        with pytest.raises(ValueError):
            eq(bad_field, lit_str("x"))
    # raw user text where a literal is expected is refused
    for not_a_literal in ["x", "'x') or true or ('", "'a' or 1 eq 1", "O'Brien", "'unterminated"]:
        with pytest.raises(ValueError):
            eq("Description", not_a_literal)


def test_cmp_operators() -> None:
    assert cmp("Сумма", "gt", lit_decimal(Decimal("10.5"))) == "Сумма gt 10.5"
    with pytest.raises(ValueError):
        cmp("Сумма", "or", "1")


def test_and_or_parenthesise_and_skip_empty() -> None:
    a = eq("A", lit_str("1"))
    b = eq("B", lit_str("2"))
    assert and_(a, "", None, b) == "(A eq '1' and B eq '2')"
    assert or_(a, b) == "(A eq '1' or B eq '2')"
    assert and_() == "" and or_("", None) == ""
    assert and_(a) == a
    # an unparenthesised or inside an and gets its own parentheses (precedence)
    assert and_("A eq 1 or B eq 2", "C eq 3") == "((A eq 1 or B eq 2) and C eq 3)"
    # ...but ' or ' inside a string literal does not count
    lit = eq("D", lit_str("x or y"))
    assert and_(lit, "C eq 3") == "(D eq 'x or y' and C eq 3)"
    assert and_(or_(a, b), "C eq 3") == "((A eq '1' or B eq '2') and C eq 3)"
    assert not_(a) == "not (A eq '1')"


def test_substringof() -> None:
    assert substringof("O'Brien", "Description") == "substringof('O''Brien', Description)"
    with pytest.raises(ValueError):
        substringof("x", "Description) or true or (1")


def test_in_guids() -> None:
    f = in_guids("Ref_Key", [G1, G2.upper(), G1])
    assert f == f"(Ref_Key eq guid'{G1}' or Ref_Key eq guid'{G2}')"
    assert in_guids("Ref_Key", [G1]) == f"Ref_Key eq guid'{G1}'"
    with pytest.raises(ValueError):
        in_guids("Ref_Key", [])
    with pytest.raises(ValueError):
        in_guids("Ref_Key", [G1, "x' or true"])
    guids = [str(uuid.UUID(int=i)) for i in range(1, 6)]
    batches = in_guids_batches("Ref_Key", guids, batch=2)
    assert len(batches) == 3
    assert batches[-1] == f"Ref_Key eq guid'{guids[4]}'"


def test_virtual_table_vendor_quoting() -> None:
    cond = eq("Склад_Key", lit_guid(G1))
    path = virtual_table(
        "AccumulationRegister_ТоварыНаСкладах", "Balance",
        Period=datetime(2024, 3, 20, 23, 59, 59), Condition=cond,
    )
    assert path == (
        "AccumulationRegister_ТоварыНаСкладах/Balance("
        f"Period=datetime'2024-03-20T23:59:59',Condition='Склад_Key eq guid'{G1}'')"
    )


def test_virtual_table_double_quoting_and_skips_none() -> None:
    path = virtual_table(
        "InformationRegister_ЦеныНоменклатуры_RecordType", "SliceLast",
        quoting="double", Period=None, Condition=f"ТипЦен_Key eq guid'{G1}'",
    )
    assert path == (
        "InformationRegister_ЦеныНоменклатуры_RecordType/SliceLast("
        f"Condition='ТипЦен_Key eq guid''{G1}''')"
    )
    assert virtual_table("InformationRegister_КурсыВалют", "SliceLast") == (
        "InformationRegister_КурсыВалют/SliceLast()"
    )


def test_virtual_table_vendor_refuses_escaped_quotes_inline() -> None:
    with pytest.raises(ValueError):
        virtual_table("AccumulationRegister_X", "Balance", Condition=eq("N", lit_str("O'Brien")))
    with pytest.raises(ValueError):
        virtual_table("AccumulationRegister_X') or ('", "Balance")
    with pytest.raises(ValueError):
        virtual_table("AccumulationRegister_X", "Balance", **{"Bad name": "1"})


def test_virtual_table_query_moves_strings_to_query() -> None:
    cond = eq("Номенклатура", lit_str("O'Brien"))
    path, extra = virtual_table_query(
        "AccumulationRegister_ТоварыНаСкладах", "Balance",
        Period=datetime(2024, 3, 20, 23, 59, 59), Condition=cond, Dimensions="Номенклатура",
    )
    assert path == "AccumulationRegister_ТоварыНаСкладах/Balance(Period=datetime'2024-03-20T23:59:59')"
    assert extra == {"Condition": "Номенклатура eq 'O''Brien'", "Dimensions": "Номенклатура"}


# --- parsing ---------------------------------------------------------------------------------


def test_parse_decimal_never_float() -> None:
    assert parse_decimal(22729.17) == Decimal("22729.17")
    assert parse_decimal(0.1) + parse_decimal(0.2) == Decimal("0.3")
    assert parse_decimal("1234.50") == Decimal("1234.50")
    assert parse_decimal(5) == Decimal(5)
    assert parse_decimal(None) == Decimal(0)
    assert parse_decimal("") == Decimal(0)
    for bad in ["abc", True, float("nan"), [1]]:
        with pytest.raises(ValueError):
            parse_decimal(bad)


def test_parse_int_int64_strings() -> None:
    assert parse_int("1") == 1
    assert parse_int("9223372036854775807") == 9223372036854775807
    assert parse_int(3) == 3
    assert parse_int("0") == 0
    assert parse_int(None) == 0
    with pytest.raises(ValueError):
        parse_int("1.5")
    with pytest.raises(ValueError):
        parse_int("x")


def test_parse_ref() -> None:
    assert parse_ref(G1.upper()) == G1
    assert parse_ref(EMPTY_REF) is None
    assert parse_ref("") is None and parse_ref(None) is None
    with pytest.raises(ValueError):
        parse_ref("garbage")


def test_parse_date() -> None:
    assert parse_date("2021-12-22T17:22:08") == datetime(2021, 12, 22, 17, 22, 8)
    assert parse_date(EMPTY_DATE) is None
    assert parse_date("") is None and parse_date(None) is None
    assert parse_date("2021-12-22T17:22:08Z") == datetime(2021, 12, 22, 17, 22, 8)
    assert parse_date("2021-12-22T17:22:08").tzinfo is None  # type: ignore[union-attr]
    with pytest.raises(ValueError):
        parse_date("22.12.2021")


def test_parse_composite() -> None:
    row = {
        "ДокументОснование": G1,
        "ДокументОснование_Type": "StandardODATA.Document_ЗаказПокупателя",
        "Контрагент": "",
        "Контрагент_Type": "StandardODATA.Undefined",
        "Сделка": EMPTY_REF,
        "Сделка_Type": "StandardODATA.Document_СчетНаОплатуПокупателю",
        "Вид": "Телефон рабочий",
        "Вид_Type": "Edm.String",
    }
    assert parse_composite(row, "ДокументОснование") == (G1, "Document_ЗаказПокупателя")
    assert parse_composite(row, "Контрагент") == (None, None)
    assert parse_composite(row, "Сделка") == (None, "Document_СчетНаОплатуПокупателю")
    assert parse_composite(row, "Вид") == ("Телефон рабочий", "Edm.String")
    assert parse_composite(row, "Отсутствует") == (None, None)
    with pytest.raises(ValueError):
        parse_composite({"X": "junk", "X_Type": "StandardODATA.Catalog_Y"}, "X")
