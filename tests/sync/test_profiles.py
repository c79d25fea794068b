"""Profiles: bundled ones load, errors name the file and key, copies/extends work, and the
ut11/bp3 queries are well-formed OData URLs while their parsers read recorded 1C answers."""

from __future__ import annotations

import json
import re
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from urllib.parse import unquote

import pytest

from tui_crm.store import ShipmentLine
from tui_crm.sync import parse, queries
from tui_crm.sync.odata import ODataClient
from tui_crm.sync.profile import BUNDLED, ProfileError, load_profile

FIXTURES = Path(__file__).parent / "fixtures"
G1 = "9b2f0c1e-4a5d-11ee-8c90-0242ac120002"
G2 = "3e9d6e3a-4a5d-11ee-8c90-0242ac120002"


def fixture(name: str) -> list[dict]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))["value"]


def url(q: queries.Query) -> str:
    client = ODataClient("http://srv/base/odata/standard.odata/")
    return client._url(q.path, q.params())


def assert_well_formed(u: str) -> str:
    """Encoded with %20 (never '+'), ASCII only, balanced quotes and parentheses once decoded."""
    assert "+" not in u and " " not in u and u.isascii(), u
    text = unquote(u)
    path, _, query = text.partition("?")
    assert query.endswith("$format=json")
    for part in (path, *query.split("&")):
        assert part.count("'") % 2 == 0, part
        depth = 0
        for ch in re.sub(r"'[^']*'", "''", part):
            depth += ch == "("
            depth -= ch == ")"
            assert depth >= 0, part
        assert depth == 0, part
    return text


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_profiles_load(name: str) -> None:
    p = load_profile(name)
    assert p.name == name and p.generation == name
    assert p["order"].present and p["stock"].present
    assert p.push is True


def test_ka1_names_match_the_reference() -> None:
    p = load_profile("ka1")
    assert p["order"].entity == "Document_ЗаказПокупателя"
    assert p["order"].type_of("СкладГруппа") == "Catalog_Склады"
    assert p["bill"].type_of("Контрагент") == "Catalog_Контрагенты"
    assert p["bank_payment"].line_type_of("Сделка") == "Document_ЗаказПокупателя"
    assert p["prices"].entity.endswith("_RecordType")
    assert p.enum("legal_form", "sole_proprietor") == "ФизЛицо"


@pytest.mark.parametrize("name", BUNDLED)
def test_every_query_is_well_formed(name: str) -> None:
    p = load_profile(name)
    qs = [queries.catalog(p, k) for k in ("organization", "warehouse", "price_type", "product", "counterparty")]
    qs += [queries.stock(p, G2, [G1, G2]), queries.prices(p, G1, [G1]), queries.orders_since(p, datetime(2024, 3, 1))]
    qs += queries.orders_by_id(p, [G1, G2])
    qs += queries.payments(p, "bank_payment", [G1, G2]) + queries.payments(p, "cash_payment", [G1])
    qs += queries.shipments(p, [G1, G2])
    for extra in (queries.reserves(p, G2, [G1]), queries.debt(p), queries.contacts(p)):
        if extra is not None:
            qs.append(extra)
    for q in qs:
        assert_well_formed(url(q))


UT11_4 = Path(__file__).resolve().parents[2] / "examples" / "ut11_4.toml"


def test_ut11_and_bp3_filters_use_their_own_link_fields() -> None:
    ut = load_profile("ut11")
    # 11.5: payments point at settlement objects, found by their Объект first
    text = unquote(url(queries.settlement_objects(ut, [G1])[0]))
    assert "Catalog_ОбъектыРасчетов" in text
    assert f"Объект eq cast(guid'{G1}','Document_ЗаказКлиента')" in text
    text = unquote(url(queries.payments(ut, "bank_payment", [G2])[0]))
    assert "Document_ПоступлениеБезналичныхДенежныхСредств" in text
    assert f"РасшифровкаПлатежа/any(d: d/ОбъектРасчетов_Key eq guid'{G2}')" in text
    assert "Комментарий" not in unquote(url(queries.catalog(ut, "counterparty")))
    old = load_profile(str(UT11_4))  # the 11.4 variant: the row's composite Заказ
    assert queries.settlement_objects(old, [G1]) == []
    text = unquote(url(queries.payments(old, "bank_payment", [G1])[0]))
    assert f"РасшифровкаПлатежа/any(d: d/Заказ eq cast(guid'{G1}','Document_ЗаказКлиента'))" in text
    bp = load_profile("bp3")
    text = unquote(url(queries.payments(bp, "bank_payment", [G1])[0]))
    assert f"РасшифровкаПлатежа/any(d: d/СчетНаОплату_Key eq guid'{G1}')" in text
    acc = "0123abcd-4a5d-11ee-8c90-0242ac120002"
    text = unquote(url(queries.stock(bp, G2, accounts=[acc])))
    # The account in AccountCondition; the warehouse in whichever subconto holds a Склады.
    assert f"AccountCondition='Account_Key eq guid'{acc}''" in text
    assert (f"Condition='(ExtDimension2 eq cast(guid'{G2}','Catalog_Склады') or "
            f"ExtDimension3 eq cast(guid'{G2}','Catalog_Склады'))'") in text
    text = unquote(url(queries.shipments(bp, [G1])[0]))
    assert f"СчетНаОплатуПокупателю_Key eq guid'{G1}'" in text


def test_batches_respect_limits() -> None:
    p = load_profile("ka1")
    ids = [f"00000000-0000-0000-0000-{i:012d}" for i in range(1, 46)]
    assert len(queries.orders_by_id(p, ids)) == 3          # 20 per request
    assert len(queries.payments(p, "bank_payment", ids)) == 9  # 5 casts per request
    assert max(len(url(q)) for q in queries.payments(p, "bank_payment", ids)) < 2048


def test_ut11_4_parsers_read_recorded_answers() -> None:
    p = load_profile(str(UT11_4))
    state, wh, pt, incl, _comment, lines = parse.order_full(p, fixture("ut11_orders.json")[0])
    assert (state.number, state.posted, state.client_id) == (
        "00УТ-000123", True, "1c9d6e3a-4a5d-11ee-8c90-0242ac120002")
    assert wh == G2 and pt is None and incl is True
    assert lines == [("4f9d6e3a-4a5d-11ee-8c90-0242ac120002", Decimal("2.000"), Decimal("1200.00"), Decimal("0.00"),
                      Decimal("2400.00"), "НДС20", Decimal("400.00"))]
    pays = parse.payments(p, "bank_payment", fixture("ut11_payments.json")[0], {G1})
    assert [(x.invoice_id, x.amount, x.kind, x.number) for x in pays] == [
        (G1, Decimal("1000.00"), "bank", "00УТ-000045")]
    # on hand from ТоварыНаСкладах; reserves are read from their own register (КОтгрузке is not one)
    assert parse.stock_row(p, fixture("ut11_stock.json")[0]) == (
        G2 and "3e9d6e3a-4a5d-11ee-8c90-0242ac120002", "4f9d6e3a-4a5d-11ee-8c90-0242ac120002",
        Decimal("15.000"), Decimal("0"))
    row = fixture("ut11_counterparties.json")[0]
    kinds = {"6b9d6e3a-4a5d-11ee-8c90-0242ac120002": "phone"}
    contacts = parse.contacts_from_table_part(p, row, kinds)
    assert [(c.kind, c.value) for c in contacts] == [("phone", "+7 495 123-45-67"), ("email", "info@vector.ru")]
    cp = parse.counterparty(p, row, contacts)
    assert cp is not None and cp[2] == 'ООО "Вектор"' and cp[4] == "7707083893" and cp[10] == ["+74951234567"]


def test_ut11_5_payments_reach_orders_through_settlement_objects_and_vat_is_a_reference() -> None:
    p = load_profile("ut11")
    so = "7c0e7f4b-4a5d-11ee-8c90-0242ac120002"
    link = parse.settlement_object(p, {"Ref_Key": so, "Объект": G1,
                                       "Объект_Type": "StandardODATA.Document_ЗаказКлиента"})
    assert link == (so, G1)
    row = {"Ref_Key": G2, "Number": "00УТ-000046", "Date": "2024-03-21T09:00:00", "Posted": True,
           "DeletionMark": False, "СуммаДокумента": 1050,
           "РасшифровкаПлатежа": [{"LineNumber": "1", "ОбъектРасчетов_Key": so, "Сумма": 1000},
                                  {"LineNumber": "2", "ОбъектРасчетов_Key": G2, "Сумма": 50}]}
    pays = parse.payments(p, "bank_payment", row, {G1}, {so: G1})
    assert [(x.invoice_id, x.amount) for x in pays] == [(G1, Decimal("1000.00"))]
    names = parse.vat_rate_names(p, [
        {"Ref_Key": G1, "Ставка": 20, "PredefinedDataName": ""},
        {"Ref_Key": G2, "Ставка": 0, "PredefinedDataName": "БезНДС"},
        {"Ref_Key": so, "Ставка": 10, "PredefinedDataName": ""}])
    assert names == {G1: "НДС20", G2: "БезНДС", so: "НДС10"}
    product = parse.product(p, {"Ref_Key": G2, "Code": "1", "Description": "Молоко", "IsFolder": False,
                                "СтавкаНДС_Key": so}, {}, names)
    assert product is not None and product[7] == "НДС10"


def test_bp3_parsers_read_recorded_answers() -> None:
    p = load_profile("bp3")
    order = "aa0e7f4b-4a5d-11ee-8c90-0242ac120002"
    state, wh, pt, _incl, _c, lines = parse.order_full(p, fixture("bp3_orders.json")[0])
    assert (state.number, state.posted, state.total) == ("0000-000321", False, Decimal("1180.50"))
    assert pt is None and wh == "cc0e7f4b-4a5d-11ee-8c90-0242ac120002"
    assert lines[0][0] == "dd0e7f4b-4a5d-11ee-8c90-0242ac120002"  # composite Номенклатура read with its type
    pays = parse.payments(p, "bank_payment", fixture("bp3_payments.json")[0], {order})
    assert [(x.invoice_id, x.amount) for x in pays] == [(order, Decimal("500.25"))]
    ship = parse.shipment(p, fixture("bp3_shipments.json")[0], {order})
    assert ship is not None
    assert ship.lines == (ShipmentLine(1, "dd0e7f4b-4a5d-11ee-8c90-0242ac120002", Decimal("2.000")),)
    assert parse.stock_row(p, fixture("bp3_stock.json")[0])[:3] == (
        "cc0e7f4b-4a5d-11ee-8c90-0242ac120002", "dd0e7f4b-4a5d-11ee-8c90-0242ac120002", Decimal("7.500"))


def test_malformed_rows_are_refused() -> None:
    p = load_profile("ka1")
    with pytest.raises(parse.BadData, match="not a reference"):
        parse.stock_row(p, {"Склад_Key": "x'; drop", "Номенклатура_Key": G1, "КоличествоBalance": 1})
    with pytest.raises(parse.BadData, match="not a number"):
        parse.stock_row(p, {"Склад_Key": G1, "Номенклатура_Key": G1, "КоличествоBalance": "много"})


# -- loading errors and user copies -----------------------------------------------------------

def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mine.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_copy_that_extends_ka1_and_adds_custom_fields(tmp_path: Path) -> None:
    path = write(tmp_path, '''
extends = "ka1"
[profile]
name = "acme"
generation = "ka1"
push = true
[order.fields]
comment = "КомментарийМенеджера"
[custom_fields.client]
okpo = "КодПоОКПО"
[custom_fields.invoice]
delivery = { field = "АдресДоставки", direction = "push" }
''')
    p = load_profile(str(path))
    assert p.name == "acme" and p["order"].f("comment") == "КомментарийМенеджера"
    assert p["order"].f("client") == "Контрагент_Key"  # inherited
    assert [(c.name, c.onec, c.direction) for c in p.custom("client")] == [("okpo", "КодПоОКПО", "both")]
    assert p.custom("invoice")[0].pushes and not p.custom("invoice")[0].pulls


def test_relative_path_resolves_against_the_config_folder(tmp_path: Path) -> None:
    write(tmp_path, 'extends = "bp3"\n')
    assert load_profile("mine.toml", base_dir=tmp_path).generation == "bp3"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('extends = "ka1"\n[ordr]\nentity = "X"\n', "unknown table"),
        ('extends = "ka1"\n[order]\nentity = "Document_X; drop"\n', "not a 1C entity name"),
        ('extends = "ka1"\n[order.fields]\nclient = "Контрагент Key"\n', "is not a 1C metadata name"),
        ('extends = "ka1"\n[order.fields]\nclient = ""\n', "must map client"),
        ('extends = "ka1"\n[order.composite]\n"Склад" = "Catalog_Склады"\n', "which no field"),
        ('extends = "ka1"\n[stock]\nfunction = ""\n', "set `function`"),
        ('extends = "bp3"\n[contract]\nentity = ""\n', "needs [contract]"),
        ('extends = "ut11"\n[agreement]\nentity = ""\n', "needs [agreement]"),
        ('extends = "ka1"\n[custom_fields.client]\ninn2 = "ИНН"\n', "already exchanged"),
        ('extends = "ka1"\n[custom_fields.deal]\nx = "Y"\n', "unknown"),
        ('extends = "erp"\n', "extends must be one of"),
        ('[profile]\nname = "x"\ngeneration = "ka1"\n', "must name a 1C entity"),
        ("[profile\n", "not valid TOML"),
    ],
)
def test_profile_errors_are_clear(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ProfileError, match=re.escape(message)) as info:
        load_profile(str(path))
    assert "mine.toml" in str(info.value) or "bundled" in str(info.value)


def test_unknown_profile_name() -> None:
    with pytest.raises(ProfileError, match="neither a bundled profile"):
        load_profile("ka2")
