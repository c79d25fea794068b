"""The picker search key: Cyrillic folded to single bytes, the same in Python, SQL and migration 4."""

from __future__ import annotations

from decimal import Decimal

from tests.clock import TestClock
from tui_crm.store import Store
from tui_crm.store.db import load_migrations
from tui_crm.store.mirror import PriceRow, PriceTypeRow, ProductRow, StockRow, WarehouseRow
from tui_crm.store.search import search_key, search_key_sql

WH = "11111111-1111-1111-1111-111111111111"
PT = "22222222-2222-2222-2222-222222222222"


def test_python_and_sql_keys_agree() -> None:
    store = Store.open(None, clock=TestClock())
    text = "кофе жокей ёлка щётка «ъ» {x} |~^` abc 250 г"
    row = store.db.cursor().execute(f"SELECT {search_key_sql('lower(?)')}", [text]).fetchone()
    assert row is not None and row[0] == search_key(text)
    assert search_key("ёж") == search_key("еж")
    assert search_key("Кофе").isascii()
    assert search_key("{") == " "  # symbols that became key letters never match typed text


def test_migration_4_uses_the_same_mapping() -> None:
    sql = next(m.sql for m in load_migrations() if m.version == 4)
    assert search_key_sql("search") in sql


def test_russian_words_still_match_in_any_case_with_yo() -> None:
    store = Store.open(None, clock=TestClock())
    store.write_mirror(
        warehouses=[WarehouseRow(WH, "1", "Склад")],
        price_types=[PriceTypeRow(PT, "1", "Оптовая")],
        products=[
            ProductRow("p1", "00-1", "ЁЖ-1", "Щётка для обуви Ёжик", "", None, "шт", "НДС20"),
            ProductRow("p2", "00-2", "K-2", "Кофе молотый {арабика}", "", None, "шт", "НДС20"),
        ],
        prices=[PriceRow(PT, "p1", Decimal("10"))],
        stock=[StockRow(WH, "p1", Decimal("3"))],
    )
    assert [r.product_id for r in store.picker_search(WH, PT, "щетка ежик")] == ["p1"]
    assert [r.product_id for r in store.picker_search(WH, PT, "ЁЖ-1")] == ["p1"]
    assert [r.product_id for r in store.picker_search(WH, PT, "кофе арабика")] == ["p2"]
    assert store.picker_search(WH, PT, "{") != []  # a lone symbol is blank: matches like nothing typed
    assert [r.product_id for r in store.picker_search(WH, PT, "k-2")] == ["p2"]
