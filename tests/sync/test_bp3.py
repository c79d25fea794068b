"""The bp3 profile against the shapes БП 3 really sends (names from the 3.0.198 metadata dump,
docs/onec-odata-notes.md §8): stock on account 41 whatever the order of its subconto, a base
without warehouse accounting reported instead of empty warehouses, goods rows of both releases,
the kind of VAT rate, the e-mail kind, payments and shipments by the invoice, and what the push
writes (the invoice document and the counterparty's contact table part)."""

from __future__ import annotations

import json
from decimal import Decimal
from urllib.parse import unquote

import httpx
import pytest

from tests.sync.sandbox_kit import make_rig, new_client, save_invoice
from tui_crm.store import Store
from tui_crm.sync import parse, queries
from tui_crm.sync.odata import ODataClient, ODataError
from tui_crm.sync.profile import load_profile
from tui_crm.sync.pull import quarantine_note, stock_account_refs, stock_without_warehouses
from tui_crm.sync.push import Pusher
from tui_crm.sync.writer import StoreWriter

BASE = "http://bp3.test/buh/odata/standard.odata/"
ITEM = "dd0e7f4b-4a5d-11ee-8c90-0242ac120002"
WH = "cc0e7f4b-4a5d-11ee-8c90-0242ac120002"
BATCH = "ab0e7f4b-4a5d-11ee-8c90-0242ac120002"
INVOICE = "aa0e7f4b-4a5d-11ee-8c90-0242ac120002"
ACC_41_01 = "0123abcd-4a5d-11ee-8c90-0242ac120002"
T = "StandardODATA."


def balance_row(*subconto: tuple[str, str]) -> dict[str, object]:
    """A row of AccountingRegister_Хозрасчетный/Balance as 1C sends it: ExtDimension1..3 with
    their _Type (an unused subconto is an empty string with an empty type)."""
    row: dict[str, object] = {"Account_Key": ACC_41_01, "КоличествоBalance": 7.5, "СуммаBalance": 2950.1}
    for n in range(1, 4):
        value, typ = subconto[n - 1] if n <= len(subconto) else ("", "")
        row[f"ExtDimension{n}"] = value
        row[f"ExtDimension{n}_Type"] = typ
    return row


@pytest.mark.parametrize("row", [
    # warehouse accounting on, batches off: Номенклатура, Склады
    balance_row((ITEM, T + "Catalog_Номенклатура"), (WH, T + "Catalog_Склады")),
    # batches on as well: Номенклатура, Партии (a document), Склады third
    balance_row((ITEM, T + "Catalog_Номенклатура"), (BATCH, T + "Document_ПоступлениеТоваровУслуг"),
                (WH, T + "Catalog_Склады")),
], ids=["warehouse-second", "warehouse-third"])
def test_stock_finds_item_and_warehouse_whatever_the_subconto_order(row: dict[str, object]) -> None:
    p = load_profile("bp3")
    assert parse.stock_row(p, row) == (WH, ITEM, Decimal("7.500"), Decimal("0.000"))


def test_a_balance_row_without_warehouse_subconto_says_so() -> None:
    p = load_profile("bp3")
    row = balance_row((ITEM, T + "Catalog_Номенклатура"), (BATCH, T + "Document_ПоступлениеТоваровУслуг"))
    with pytest.raises(parse.NoWarehouseStock) as info:
        parse.stock_row(p, row)
    assert "warehouse accounting is off" in str(info.value)
    assert quarantine_note([info.value]).startswith("Stock per warehouse is not available")


def test_a_base_without_warehouse_stock_is_said_in_russian_in_the_sync_log() -> None:
    """The sync log's note (quarantine_note, the run's line) follows the interface language; str()
    stays English for the log file."""
    from tui_crm.i18n import set_language
    from tui_crm.sync.runs import describe

    p = load_profile("bp3")
    row = balance_row((ITEM, T + "Catalog_Номенклатура"), (BATCH, T + "Document_ПоступлениеТоваровУслуг"))
    with pytest.raises(parse.NoWarehouseStock) as info:
        parse.stock_row(p, row)
    english = str(info.value)
    set_language("ru")
    try:
        note, said = quarantine_note([info.value]), describe(info.value)
    finally:
        set_language("en")
    assert str(info.value) == english and english.startswith("Stock per warehouse is not available")
    assert note == said, (note, said)
    assert note.startswith("Остатки по складам недоступны: ни одно субконто (ExtDimension1, ExtDimension2, "
                           "ExtDimension3) счетов запасов не содержит склад"), note
    assert "Настройки учета запасов → по складам" in note
    assert not [w for w in ("Stock", "warehouse", "accounting", "Switch", "subconto") if w in note], note
    assert quarantine_note([info.value]) == english     # English again once the language is


def replay(answers: dict[str, dict[str, object]], seen: list[str]) -> httpx.MockTransport:
    """Recorded 1C answers by entity path (the first path segment after the OData base)."""

    def handle(request: httpx.Request) -> httpx.Response:
        url = unquote(str(request.url))
        seen.append(url)
        path = url.removeprefix(BASE).split("?")[0]
        for prefix, body in answers.items():
            if path.startswith(prefix):
                return httpx.Response(200, json=body, headers={"Content-Type": "application/json"})
        return httpx.Response(404, json={"odata.error": {"code": "6", "message": {"value": path}}})

    return httpx.MockTransport(handle)


async def test_stock_accounts_are_looked_up_by_code_and_a_base_without_warehouses_is_reported() -> None:
    p = load_profile("bp3")
    seen: list[str] = []
    answers = {
        "ChartOfAccounts_Хозрасчетный": {"value": [{"Ref_Key": ACC_41_01, "Code": "41.01"}]},
        "AccountingRegister_Хозрасчетный/Balance": {"value": [
            balance_row((ITEM, T + "Catalog_Номенклатура")),     # warehouse accounting off: item only
        ]},
    }
    async with ODataClient(BASE, transport=replay(answers, seen), retries=0) as client:
        accounts = await stock_account_refs(client, p)
        assert accounts == [ACC_41_01]
        assert "Code eq '41.01'" in seen[0]
        found = await stock_without_warehouses(client, p, accounts)
    assert len(found) == 1 and isinstance(found[0], parse.NoWarehouseStock)
    probe = seen[-1]
    assert f"AccountCondition='Account_Key eq guid'{ACC_41_01}''" in probe and "$top=5" in probe


async def test_a_missing_stock_account_is_a_clear_error() -> None:
    p = load_profile("bp3")
    answers = {"ChartOfAccounts_Хозрасчетный": {"value": []}}
    async with ODataClient(BASE, transport=replay(answers, []), retries=0) as client:
        with pytest.raises(ODataError, match=r"has no account 41\.01") as caught:
            await stock_account_refs(client, p)
    # the sync log and `tui-crm sync` in the interface language; the chart, the codes and the
    # profile's table as they are written
    from tui_crm.i18n import set_language
    from tui_crm.sync.runs import describe

    set_language("ru")
    try:
        said = describe(caught.value)
    finally:
        set_language("en")
    assert said == ("В плане счетов ChartOfAccounts_Хозрасчетный нет счёта 41.01 (счета [stock] профиля): "
                    "остатки не прочитать. Сверьте коды в профиле с планом счетов базы."), said


def test_goods_rows_of_both_releases_are_read() -> None:
    p = load_profile("bp3")
    head = {"Ref_Key": INVOICE, "DataVersion": "AAAAJgAAAAA=", "DeletionMark": False, "Number": "0000-000321",
            "Date": "2024-05-02T10:00:00", "Posted": False, "Контрагент_Key": WH, "СуммаДокумента": 1180.5}
    line = {"Ref_Key": INVOICE, "LineNumber": "1", "Содержание": "", "Количество": 3, "Цена": 393.5,
            "Сумма": 1180.5, "ПроцентСкидки": 0, "СуммаСкидки": 0, "СтавкаНДС": "НДС20", "СуммаНДС": 196.75}
    new = {**head, "Товары": [{**line, "Номенклатура": ITEM, "Номенклатура_Type": T + "Catalog_Номенклатура"}]}
    old = {**head, "Товары": [{**line, "Номенклатура_Key": ITEM}]}          # before 3.0.198
    fixed_asset = {**head, "Товары": [{**line, "Номенклатура": ITEM,
                                         "Номенклатура_Type": T + "Catalog_ОсновныеСредства"}]}
    assert parse.order_full(p, new)[5] == parse.order_full(p, old)[5]
    assert [r[0] for r in parse.order_full(p, old)[5]] == [ITEM]
    assert parse.order_full(p, fixed_asset)[5] == []   # a fixed asset sold on the invoice is no product
    # The rows are selected whole, so neither release refuses an unknown column.
    q = queries.orders_since(p, __import__("datetime").datetime(2024, 5, 1))
    assert "Товары" in q.select and not any(s.startswith("Товары/") for s in q.select)


def test_vat_kind_of_the_product_gives_the_line_rate() -> None:
    p = load_profile("bp3")
    row = {"Ref_Key": ITEM, "Code": "00-00000001", "Description": "Бумага А4", "IsFolder": False,
           "DeletionMark": False, "DataVersion": "AAA=", "ЕдиницаИзмерения_Key": WH, "Услуга": False}
    assert parse.product(p, {**row, "ВидСтавкиНДС": "Общая"}, {})[7] == "НДС20"
    assert parse.product(p, {**row, "ВидСтавкиНДС": "Пониженная"}, {})[7] == "НДС10"
    assert parse.product(p, {**row, "ВидСтавкиНДС": "БезНДС"}, {})[7] == "БезНДС"
    assert parse.product(load_profile("ka1"), {**row, "СтавкаНДС": "НДС10"}, {})[7] == "НДС10"


def test_contact_kinds_and_documents_use_bp3_names() -> None:
    p = load_profile("bp3")
    kinds = parse.contact_kind_map(p, [
        {"Ref_Key": WH, "PredefinedDataName": "EmailКонтрагенты", "Description": "Email"},
        {"Ref_Key": ITEM, "PredefinedDataName": "ТелефонКонтрагента", "Description": "Телефон"},
    ])
    assert kinds == {WH: "email", ITEM: "phone"}
    pay = {"Ref_Key": BATCH, "Number": "0000-000077", "Date": "2024-05-03T11:15:00", "Posted": True,
           "DeletionMark": False, "СуммаДокумента": "500.25",
           "РасшифровкаПлатежа": [{"LineNumber": "1", "СчетНаОплату_Key": INVOICE, "СуммаПлатежа": 200,
                                  "Сделка": "", "Сделка_Type": ""},
                                 {"LineNumber": "2", "СчетНаОплату_Key": INVOICE, "СуммаПлатежа": 300.25}]}
    for key in ("bank_payment", "cash_payment"):
        (row,) = parse.payments(p, key, pay, {INVOICE})
        assert row.amount == Decimal("500.25") and row.invoice_id == INVOICE
    text = unquote(queries.payments(p, "cash_payment", [INVOICE])[0].filter or "")
    assert text == f"РасшифровкаПлатежа/any(d: d/СчетНаОплату_Key eq guid'{INVOICE}')"


async def test_push_writes_the_invoice_document_and_keeps_1c_contact_rows() -> None:
    """What the bp3 push sends, built from a CRM invoice and client in a real store (mirrored
    from the sandbox): the СчетНаОплатуПокупателю with composite Номенклатура and ПроцентСкидки,
    and a contact table part that keeps a row of a kind the CRM does not own."""
    rig = make_rig()
    try:
        await rig.service.pull_now()
        store: Store = rig.store
        client = new_client()
        store.save_client(client, queue=False)
        iid = save_invoice(store, client.id, lines=2)
        p = load_profile("bp3")
        pusher = Pusher(rig.client, store, p, StoreWriter(store))
        body = pusher.order_body(iid, "c0000000-0000-0000-0000-000000000001", "c0000000-0000-0000-0000-000000000002")
        assert body["Контрагент_Key"] == client.id and body["ДоговорКонтрагента_Key"].startswith("c0")
        assert [r["LineNumber"] for r in body["Товары"]] == ["1", "2"]
        first = body["Товары"][0]
        assert first["Номенклатура_Type"] == T + "Catalog_Номенклатура" and "Номенклатура_Key" not in first
        assert first["ПроцентСкидки"] == 5 and "ПроцентСкидкиНаценки" not in first
        pusher._contact_kinds = {"phone": ITEM, "email": WH}   # the predefined kinds, as read from 1C
        legal = {"Ref_Key": client.id, "LineNumber": "1", "Тип": "Адрес", "Вид_Key": BATCH,
                 "Представление": "Москва, юридический адрес"}
        stale_phone = {"Ref_Key": client.id, "LineNumber": "2", "Тип": "Телефон", "Вид_Key": ITEM,
                       "Представление": "+7 000"}
        table = await pusher.contact_table(client.id, [legal, stale_phone])
        assert table is not None
        assert json.dumps(table, ensure_ascii=False).count("+7 000") == 0
        assert [(r["LineNumber"], r["Тип"], r["Вид_Key"]) for r in table] == [
            ("1", "Адрес", BATCH), ("2", "Телефон", ITEM), ("3", "АдресЭлектроннойПочты", WH)]
        assert table[2]["Представление"] == "buh@test.ru"
    finally:
        await rig.aclose()


def test_every_name_the_profile_maps_exists_in_the_bp3_sandbox() -> None:
    """The profile and the sandbox's БП 3 metadata were both checked against the 3.0.198 dump:
    no field the profile names is missing there (a real base would answer code 10 for it).
    `ОсновнойДоговорКонтрагента_Key` was one: 3.0.198 has only `УдалитьОсновнойДоговорКонтрагента`."""
    from onec_sandbox.configs import configuration

    p, schema = load_profile("bp3"), configuration("bp3").schema
    missing = []
    for key, c in p.concepts.items():
        if not c.present:
            continue
        fn = c.options.get("function", "")
        ent = schema.entities.get(c.entity) or schema.entities.get(f"{c.entity}/{fn}") \
            or schema.entities.get(f"{c.entity}_RecordType/{fn}")
        assert ent is not None, f"[{key}] {c.entity}"
        table_part = c.options.get("mode") == "table_part"
        header = ent.table_parts[c.lines] if table_part else ent.fields
        missing += [f"[{key}] {f}" for n, f in c.fields.items() if f and f not in header
                    and not (table_part and n == "owner")]
        lines = ent.table_parts.get(c.lines, {}) if not table_part else {}
        missing += [f"[{key}.lines] {f}" for f in c.line_fields.values() if f and f not in lines]
    assert missing == []
    assert "УдалитьОсновнойДоговорКонтрагента_Key" in schema.entities["Catalog_Контрагенты"].fields
