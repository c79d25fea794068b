"""Recorded answers of real 1C bases (`tests/fixtures/onec/`) replayed through a real loopback
socket, the OData client (paging, JSON, strict keys) and the parsers of their profile; a field
the profile selects that the real rows lack is reported once per entity and field, never read
silently as 0 or "" (issue 10, part 6)."""

from __future__ import annotations

import json
import logging
from decimal import Decimal
from pathlib import Path

import pytest

from tests.clock import TestClock
from tests.sync.loopback import Answer, Seen, loopback
from tui_crm.domain.validation import ClientKind
from tui_crm.store import Store
from tui_crm.sync import parse, queries
from tui_crm.sync.fields import MissingFields
from tui_crm.sync.odata import ODataClient
from tui_crm.sync.profile import Profile, load_profile
from tui_crm.sync.service import SyncService

FIXTURES = Path(__file__).parent.parent / "fixtures" / "onec"


def recorded(profile: str, entity: str) -> bytes:
    return (FIXTURES / f"{profile}_{entity}.json").read_bytes()


def serve_recorded(profile: str):
    def serve(seen: Seen) -> Answer:
        path = FIXTURES / f"{profile}_{seen.path}.json"
        if not path.exists():
            return Answer(404, b'{"odata.error": {"code": "6", "message": {"lang": "ru", "value": "no"}}}')
        # key-set paging: the page after the last recorded key is empty
        if "gt guid'" in seen.query.get("$filter", ""):
            return Answer(200, b'{"value": []}')
        return Answer(200, path.read_bytes())
    return serve


def test_every_fixture_is_listed_with_its_source() -> None:
    readme = (FIXTURES / "README.md").read_text(encoding="utf-8")
    for f in FIXTURES.glob("*.json"):
        json.loads(f.read_text(encoding="utf-8"))
        assert f"`{f.name}`" in readme, f.name


async def _read(profile: str, key: str) -> tuple[list[dict], list[str]]:
    p = load_profile(profile)
    q = queries.catalog(p, key)
    missing = MissingFields()
    with loopback(serve_recorded(profile)) as lb:
        async with ODataClient(lb.url, page_size=100) as client:
            rows = await client.get_all(q)
    assert lb.seen and all(s.query.get("allowedOnly") == "true" for s in lb.seen)
    return rows, missing.check(p[key].entity, rows, q.select)


async def test_bp3_product_replays_through_client_and_parser() -> None:
    p = load_profile("bp3")
    rows, lacking = await _read("bp3", "product")
    assert lacking == []
    t = parse.product(p, rows[0], {})
    assert t is not None
    assert (t[0], t[1], t[3], t[5]) == ("f02ce7b3-e3b3-11eb-b4ad-000c29b45b09", "00-00000001", "Мойка",
                                        "f40235d5-d84c-11ea-8133-0050569f62a1")


async def test_bp3_warehouse_replays() -> None:
    p = load_profile("bp3")
    rows, lacking = await _read("bp3", "warehouse")
    assert lacking == []
    assert parse.warehouse(p, rows[0])[:3] == ("fefc5aa3-8857-11e5-a85a-3085a93ddca2", "БП-000001", "Основной склад")


async def test_bp3_counterparty_replays_and_a_missing_field_is_named(
        caplog: pytest.LogCaptureFixture) -> None:
    p = load_profile("bp3")
    rows, lacking = await _read("bp3", "counterparty")
    assert lacking == []                      # every field the catalog read selects is there
    t = parse.counterparty(p, rows[0], [])
    assert t is not None and "5024089920" in t and "501701001" in t
    # БП 3's legal form member is `ЮридическоеЛицо` (КА 1.1: `ЮрЛицо`); the client card reads it
    # as such instead of falling back to "company" for any unknown value
    assert t[6] == "ЮридическоеЛицо" and ClientKind.from_onec(t[6], t[4]) is ClientKind.LEGAL_ENTITY
    # a field a profile might expect that this БП 3 release renamed (УдалитьОсновнойДоговорКонтрагента_Key;
    # the bundled bp3 profile no longer names it, a copied older profile might)
    assert "УдалитьОсновнойДоговорКонтрагента_Key" in rows[0]
    missing = MissingFields()
    with caplog.at_level(logging.WARNING, "tui_crm.sync.fields"):
        assert missing.check(p["counterparty"].entity, rows + rows,
                             ["ОсновнойДоговорКонтрагента_Key", "ИНН"]) == ["ОсновнойДоговорКонтрагента_Key"]
        assert missing.check(p["counterparty"].entity, rows, ["ОсновнойДоговорКонтрагента_Key"]) == []
    assert [r.getMessage() for r in caplog.records].count(
        "Catalog_Контрагенты: accounting's rows have no field ОсновнойДоговорКонтрагента_Key that the profile "
        "expects; check the profile against this base") == 1
    assert "Catalog_Контрагенты.ОсновнойДоговорКонтрагента_Key" in (missing.note() or "")


async def test_units_with_one_owner_type_replay_through_the_ka1_reader() -> None:
    """A real base whose units have one owner type sends `Owner_Key` (and Int64 coefficients as
    strings); the ka1 reader, which selects КА 1.1's composite `Owner`, reads that shape too, row
    by row and column-wise alike. The composite the profile asks for is named as lacking."""
    from tui_crm.sync.columns import csv_text
    from tui_crm.sync.pull import _converters

    p = load_profile("ka1")
    rows, lacking = await _read("ka1", "unit")
    assert set(lacking) >= {"Owner", "Owner_Type"}
    units = [parse.unit(p, r) for r in rows]
    assert [(u[1], u[2], str(u[3])) for u in units[:2]] == [
        ("68c21ae9-cd73-11e6-aede-5404a6b4b8ed", "шт", "1.000"),
        ("68c21ae9-cd73-11e6-aede-5404a6b4b8ed", "Бета", "10.000")]
    convert = _converters(p)["unit"]
    staged = convert(rows)
    assert convert.quarantined == [] and staged[1] == [csv_text(u[1]) for u in units]


async def _read_as(p: Profile, fixtures: str, key: str, extra: tuple[str, ...] = ()) -> tuple[list[dict], list[str]]:
    """Like `_read`, for a profile object (a copied profile) replaying another profile's bodies."""
    q = queries.catalog(p, key, extra_fields=extra)
    missing = MissingFields()
    with loopback(serve_recorded(fixtures)) as lb:
        async with ODataClient(lb.url, page_size=100) as client:
            rows = await client.get_all(q)
    assert lb.seen and all(s.query.get("allowedOnly") == "true" for s in lb.seen)
    assert set(q.select) <= set(lb.seen[0].query["$select"].split(","))
    return rows, missing.check(p[key].entity, rows, q.select)


async def test_ka1_counterparty_of_a_real_ut10_base_replays_through_client_and_parser() -> None:
    """A counterparty of a real, modified УТ 10.3 base (the КА 1.1 generation: `ЮрФизЛицо`,
    `Покупатель`, `ОсновнойДоговорКонтрагента_Key`): every field the ka1 catalog read selects is
    there, company attributes the CRM does not know are ignored, and the tuple is what the store
    keeps. Its contacts live in the register, not in the row: the tuple has none."""
    p = load_profile("ka1")
    rows, lacking = await _read("ka1", "counterparty")
    assert lacking == [] and len(rows) == 1
    row = rows[0]
    # the profile's other names for this catalog, checked against the real row too
    assert {p["counterparty"].f(k) for k in ("main_contract", "is_buyer", "comment")} <= set(row)
    t = parse.counterparty(p, row, [])
    assert t is not None
    assert t[:10] == ("0f9e375d-6e83-11e5-96ed-0025907c0298", "F00002328", "Спецода",
                      'Общество с ограниченной ответственностью "Спецода"', "7816276550", "781601001",
                      "ЮрЛицо", False, False, "AAAAABMz+eI=")
    assert t[10:13] == ([], "", "") and json.loads(t[14]) == {}
    # the real base's comment (phone numbers and names, as accountants keep them) is mirrored
    assert t[13] == row["Комментарий"].strip() and t[13].startswith("000-000-00-00")
    assert ClientKind.from_onec(t[6], t[4]) is ClientKind.LEGAL_ENTITY


async def test_company_attributes_of_the_real_ut10_base_read_by_a_copied_profile(tmp_path: Path) -> None:
    """The base is modified (`БонуснаяПрограмма`, `Эксперт_*`): the case a copied profile with
    `[custom_fields.client]` exists for. Its real values arrive typed: text, a flag, a date, and
    1C's empty date (0001-01-01) as no date."""
    path = tmp_path / "stimul.toml"
    path.write_text('''
extends = "ka1"
[profile]
name = "stimul"
generation = "ka1"
push = false
[custom_fields.client]
okpo = "КодПоОКПО"
bonus = { field = "БонуснаяПрограмма", kind = "yes_no", direction = "pull" }
since = { field = "ЭтоНовыйКонтрагентДата", kind = "date", direction = "pull" }
photo = { field = "Эксперт_ДатаВыдачиФото", kind = "date", direction = "pull" }
marking = { field = "Эксперт_УчастникМаркировки", direction = "pull" }
''', encoding="utf-8")
    p = load_profile(str(path))
    extra = tuple(cf.onec for cf in p.custom("client") if cf.pulls)
    rows, lacking = await _read_as(p, "ka1", "counterparty", extra)
    assert lacking == []
    t = parse.counterparty(p, rows[0], [])
    assert t is not None and json.loads(t[14]) == {
        "okpo": "23109283", "bonus": True, "since": "2015-10-09", "photo": None, "marking": "Зарегистрированный"}


async def test_bp3_contract_replays() -> None:
    """БП 3's automatically created "Основной договор": a sale contract with no number and 1C's
    empty date; owner, organization and settlement currency as references."""
    p = load_profile("bp3")
    rows, lacking = await _read("bp3", "contract")
    assert lacking == []
    assert parse.contract(p, rows[0]) == (
        "b7569c10-f670-11ea-8591-000c29b45b09", "b7569c0f-f670-11ea-8591-000c29b45b09",
        "87fa6cc2-e901-11ea-8591-000c29b45b09", "Основной договор", "СПокупателем", "", "AAAAAQAAAAA=",
        "a192de9a-d84c-11ea-8133-0050569f62a1", False)
    assert parse.date(rows[0], p["contract"].f("date"), "c") is None   # "0001-01-01T00:00:00"


async def test_bp3_sales_of_goods_and_of_services_replay_through_the_shipment_read() -> None:
    """Two real БП 3 sales (РеализацияТоваровУслуг, 2021): goods (`ВидОперации` = Товары) and
    services (= Услуги). The shipment read's names are all there, in the header and per line
    (`СчетНаОплатуПокупателю_Key`); quantities and money arrive as JSON numbers and are read as
    Decimal. Neither sale was made from an invoice: its empty link matches no order, so it is
    skipped, not put on an invoice. A sale of services keeps its lines in `Услуги` (`Товары`
    empty): the shipment read selects both table parts and counts both as the sale's lines."""
    p = load_profile("bp3")
    c = p["shipment"]
    invoice = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
    (q,) = queries.shipments(p, [invoice])
    missing = MissingFields()
    with loopback(serve_recorded("bp3")) as lb:
        async with ODataClient(lb.url, page_size=100) as client:
            rows = await client.get_all(q)
    assert lb.seen[0].query["$filter"] == f"СчетНаОплатуПокупателю_Key eq guid'{invoice}'"
    assert missing.check(c.entity, rows, q.select) == []
    goods, services = rows
    for row in rows:
        assert parse.any_ref(c, row, "order", c.entity) is None          # the empty reference
        assert parse.shipment(p, row, {invoice}) is None
    assert [(ln["LineNumber"], parse.any_ref(c, ln, "product", c.entity, line=True),
             parse.number(ln, c.lf("quantity"), c.entity, 3)) for ln in parse.lines(goods, c, c.entity)] == [
        ("1", "2d4fe75f-48a4-11ec-ad72-000c29b45b09", Decimal("25.000")),
        ("2", "2d4fe756-48a4-11ec-ad72-000c29b45b09", Decimal("2.000"))]
    assert all(c.f("order") in ln for ln in goods["Товары"] + services["Услуги"])
    first = goods["Товары"][0]
    assert [parse.number(first, n, c.entity, 2) for n in ("Цена", "Сумма", "СуммаНДС")] == [
        Decimal("5455.00"), Decimal("136375.00"), Decimal("22729.17")]
    assert parse.number(goods, "СуммаДокумента", c.entity, 2) == Decimal("150129.00")
    # services: `Товары` empty, two lines in `Услуги`, selected and read like goods
    assert "Услуги/Количество" in q.select and "Товары/Количество" in q.select
    assert services["ВидОперации"] == "Услуги" and services["Товары"] == []
    assert [parse.number(ln, c.lf("quantity"), c.entity, 3) for ln in parse.lines(services, c, c.entity)] == [
        Decimal("1.000"), Decimal("1.000")]
    # had it been made from the invoice, both service lines would count as shipped, numbered apart
    linked = {**services, c.f("order"): invoice}
    sale = parse.shipment(p, linked, {invoice})
    assert sale is not None and [(ln.line_no, ln.quantity) for ln in sale.lines] == [
        (1, Decimal("1.000")), (2, Decimal("1.000"))]


async def test_the_real_ut10_counterparty_reaches_the_store_through_the_reference_job(tmp_path: Path) -> None:
    """The whole pull of the reference job (catalogs, contact register, contracts) against a
    loopback base that holds only the real counterparty: it lands in a DuckDB file as a company
    the accounting client card can show, with its 1C code, and no row is quarantined."""
    def serve(seen: Seen) -> Answer:
        if seen.path == "Catalog_Контрагенты" and "gt guid'" not in seen.query.get("$filter", ""):
            return Answer(200, recorded("ka1", "Catalog_Контрагенты"))
        return Answer(200, b'{"value": []}')

    store = Store.open(tmp_path / "crm.duckdb", clock=TestClock())
    try:
        with loopback(serve) as lb:
            async with ODataClient(lb.url, page_size=100) as client:
                service = SyncService(store, client, profile=load_profile("ka1"))
                try:
                    res = await service.jobs.reference()
                finally:
                    await service.aclose()
        assert res.error is None and res.rows == 1
        assert {s.path for s in lb.seen} >= {"Catalog_Контрагенты", "InformationRegister_КонтактнаяИнформация"}
        rec = store.counterparty_client("0f9e375d-6e83-11e5-96ed-0025907c0298")
        assert rec is not None and rec.accounting_code == "F00002328"
        assert (rec.client.kind, rec.client.name, rec.client.inn, rec.client.kpp) == (
            ClientKind.LEGAL_ENTITY, "Спецода", "7816276550", "781601001")
    finally:
        store.close()
