"""Interface strings in English and Russian, chosen by config or locale.

Keys are English phrases' ids; `tr(key, **fmt)` formats. A missing Russian string falls back to
English so a half-translated screen is still usable.
"""

from __future__ import annotations

from typing import Final

_STRINGS: Final[dict[str, dict[str, str]]] = {  # extended by register()
    "app.title": {"en": "tui-crm", "ru": "tui-crm"},
    "products.title": {"en": "Products", "ru": "Товары"},
    "products.search": {"en": "Search by name, code or article…", "ru": "Поиск по названию, коду, артикулу…"},
    "products.warehouse": {"en": "Warehouse", "ru": "Склад"},
    "products.price_type": {"en": "Price type", "ru": "Тип цен"},
    "products.empty": {
        "en": "No products yet: waiting for the first pull from accounting.",
        "ru": "Товаров пока нет: ждём первой загрузки из учёта.",
    },
    "products.none_found": {"en": "Nothing matches “{text}”.", "ru": "Ничего не найдено по «{text}»."},
    "products.shown": {"en": "{count} shown", "ru": "показано: {count}"},
    "col.code": {"en": "Code", "ru": "Код"},
    "col.name": {"en": "Name", "ru": "Наименование"},
    "col.free": {"en": "Free", "ru": "Свободно"},
    "col.price": {"en": "Price", "ru": "Цена"},
    "col.unit": {"en": "Unit", "ru": "Ед."},
    "status.online": {"en": "online", "ru": "в сети"},
    "status.offline": {"en": "offline", "ru": "нет связи"},
    "status.connecting": {"en": "connecting…", "ru": "подключение…"},
    "status.syncing": {"en": "syncing…", "ru": "синхронизация…"},
    "status.never": {"en": "no data yet", "ru": "данных ещё нет"},
    "status.age": {"en": "data as of {age} ago", "ru": "данные {age} назад"},
    "status.stale": {"en": "stale", "ru": "устарели"},
    "status.error": {"en": "last sync failed: {error}", "ru": "ошибка синхронизации: {error}"},
    "age.s": {"en": "{n} s", "ru": "{n} с"},
    "age.m": {"en": "{n} min", "ru": "{n} мин"},
    "age.h": {"en": "{n} h", "ru": "{n} ч"},
    "age.d": {"en": "{n} d", "ru": "{n} дн"},
    "bind.quit": {"en": "Quit", "ru": "Выход"},
    "bind.search": {"en": "Search", "ru": "Поиск"},
    "bind.refresh": {"en": "Sync now", "ru": "Обновить"},
    "bind.warehouse": {"en": "Warehouse", "ru": "Склад"},
    "notify.pull_failed": {"en": "Sync failed: {error}", "ru": "Синхронизация не удалась: {error}"},
}

_language = "en"


def register(strings: dict[str, dict[str, str]]) -> None:
    """Add a screen's strings (each key with "en" and, ideally, "ru"); a module calls it at import."""
    for key, entry in strings.items():
        if "en" not in entry:
            raise ValueError(f"i18n key {key!r} has no English text")
        _STRINGS[key] = entry


def set_language(lang: str) -> None:
    global _language
    _language = lang if lang in ("en", "ru") else "en"


def language() -> str:
    return _language


def tr(key: str, **fmt: object) -> str:
    entry = _STRINGS.get(key)
    if entry is None:
        return key
    text = entry.get(_language) or entry["en"]
    return text.format(**fmt) if fmt else text


def format_age(seconds: float) -> str:
    """Compact age for the status bar: 12 s, 5 min, 3 h, 2 d."""
    n = max(0, int(seconds))
    if n < 60:
        return tr("age.s", n=n)
    if n < 3600:
        return tr("age.m", n=n // 60)
    if n < 86400:
        return tr("age.h", n=n // 3600)
    return tr("age.d", n=n // 86400)
