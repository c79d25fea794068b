"""A small, deterministic mirror for screen tests: no network, no sandbox, fixed ids."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from tui_crm.store import Store

FROZEN_NOW = datetime(2026, 11, 30, 12, 0, 0)
WAREHOUSES = [
    ("a0000000-0000-0000-0000-000000000001", "Основной склад"),
    ("a0000000-0000-0000-0000-000000000002", "Склад Юг"),
]
PRICE_TYPES = [
    ("b0000000-0000-0000-0000-000000000001", "Оптовая"),
    ("b0000000-0000-0000-0000-000000000002", "Розничная"),
]
_NAMES = [
    ("Молоко Простоквашино 3,2% 1 л", "л", "НДС10", "89.90"),
    ("Молоко Домик в деревне 2,5% 0,9 л", "шт", "НДС10", "79.50"),
    ("Кофе Жокей молотый 250 г", "шт", "НДС20", "349.00"),
    ("Кофе Jacobs Monarch зерно 1 кг", "шт", "НДС20", "1 490.00"),
    ("Чай Greenfield Earl Grey 100 пак.", "упак", "НДС20", "289.00"),
    ("Сыр Российский 50% весовой", "кг", "НДС10", "689.00"),
    ("Сахар-песок 1 кг", "кг", "НДС10", "74.90"),
    ("Бумага офисная SvetoCopy A4 500 л.", "упак", "НДС20", "429.00"),
    ("Ручка шариковая BIC синяя", "шт", "НДС20", "19.90"),
    ("Перфоратор Makita HR2470", "шт", "НДС20", "11 990.00"),
    ("Саморез по дереву 3,5x35 (1000 шт)", "упак", "НДС20", "540.00"),
    ("Цемент М500 50 кг", "шт", "НДС20", "520.00"),
]


def seed_store(store: Store, *, last_pull: datetime | None = datetime(2026, 11, 30, 11, 59, 48)) -> None:
    with store.transaction() as cur:
        store.replace_warehouses(cur, [(i, f"00000000{n}", name, False, False, "1")
                                       for n, (i, name) in enumerate(WAREHOUSES, 1)])
        store.replace_price_types(cur, [(i, f"00000000{n}", name, True, None, False, "1")
                                        for n, (i, name) in enumerate(PRICE_TYPES, 1)])
        products, prices, stock = [], [], []
        for n, (name, unit, vat, price) in enumerate(_NAMES, 1):
            pid = f"c0000000-0000-0000-0000-{n:012d}"
            products.append((pid, f"00-{n:08d}", f"ART-{n:03d}", name, name, None, unit, vat, False, False, "1"))
            base = Decimal(price.replace(" ", ""))
            prices.append((PRICE_TYPES[0][0], pid, base, None, None))
            prices.append((PRICE_TYPES[1][0], pid, (base * Decimal("1.2")).quantize(Decimal("0.01")), None, None))
            stock.append((WAREHOUSES[0][0], pid, Decimal(n * 7 % 40), Decimal(n % 3)))
            if n % 2:
                stock.append((WAREHOUSES[1][0], pid, Decimal(n), Decimal(0)))
        store.replace_products(cur, products)
        store.replace_prices(cur, prices)
        store.replace_stock(cur, stock)
        store.rebuild_picker(cur)
    if last_pull is not None:
        run = store.start_run("pull", last_pull)
        store.finish_run(run, ok=True, rows_read=60, requests=7, finished_at=last_pull)
