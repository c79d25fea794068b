"""The picker's ranking: name/code prefix first, then a word start, then any substring (issue 11, item 7)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from tests.clock import TestClock
from tui_crm.store import Store
from tui_crm.store.mirror import PriceRow, PriceTypeRow, ProductRow, StockRow, WarehouseRow

WH = "11111111-1111-1111-1111-111111111111"
PT = "22222222-2222-2222-2222-222222222222"

NAMES = {
    "p01": ("00-01", "A-1", "Сахар-песок 1 кг"),
    "p02": ("00-02", "A-2", "Сок яблочный 1 л"),
    "p03": ("00-03", "A-3", "Напиток «Сокол» 0,5 л"),
    "p04": ("00-04", "A-4", "Носок детский"),
    "p05": ("00-05", "A-5", "Сок томатный 1 л"),
    "p06": ("00-06", "A-6", "Нектар (сок вишнёвый)"),
    "p07": ("00-07", "A-7", "Кофе молотый"),
    "p08": ("00-08", "СОК-8", "Пакет для напитков"),
    "p09": ("00-09", "A-9", "Абрикосовый сок"),
    "p10": ("00-10", "A-10", "Соковыжималка ручная"),
}


def _store(tmp_path: Path) -> Store:
    store = Store.open(tmp_path / "crm.duckdb", clock=TestClock())
    store.write_mirror(
        warehouses=[WarehouseRow(WH, "1", "Склад")],
        price_types=[PriceTypeRow(PT, "1", "Оптовая")],
        products=[ProductRow(pid, code, art, name, name, None, "шт", "НДС20")
                  for pid, (code, art, name) in NAMES.items()],
        prices=[PriceRow(PT, pid, Decimal("10")) for pid in NAMES],
        stock=[StockRow(WH, pid, Decimal("5")) for pid in NAMES],
    )
    return store


def names(rows: list) -> list[str]:
    return [r.name for r in rows]


def test_prefix_then_word_start_then_substring(tmp_path: Path) -> None:
    store = _store(tmp_path)
    assert names(store.picker_search(WH, PT, "сок")) == [
        # the name starts with it, by name
        "Сок томатный 1 л", "Сок яблочный 1 л", "Соковыжималка ручная",
        # a word starts with it (after a space, a bracket, a quote; the article "СОК-8"), by name
        "Абрикосовый сок", "Напиток «Сокол» 0,5 л", "Нектар (сок вишнёвый)", "Пакет для напитков",
        # anywhere inside a word, by name
        "Носок детский", "Сахар-песок 1 кг",
    ]
    store.close()


def test_rank_is_by_the_first_word_and_folds_case_and_yo(tmp_path: Path) -> None:
    store = _store(tmp_path)
    assert names(store.picker_search(WH, PT, "СОК л")) == [
        "Сок томатный 1 л", "Сок яблочный 1 л", "Соковыжималка ручная",
        "Напиток «Сокол» 0,5 л", "Пакет для напитков",
    ]
    assert names(store.picker_search(WH, PT, "вишневый")) == ["Нектар (сок вишнёвый)"]
    # a code prefix is a prefix; the limit keeps the best ranked rows
    assert names(store.picker_search(WH, PT, "00-1")) == ["Соковыжималка ручная"]
    assert names(store.picker_search(WH, PT, "сок", limit=2)) == ["Сок томатный 1 л", "Сок яблочный 1 л"]
    # nothing typed: every row, by name, as before
    assert names(store.picker_search(WH, PT, ""))[:3] == ["Абрикосовый сок", "Кофе молотый", "Напиток «Сокол» 0,5 л"]
    store.close()
