"""Interface strings in English and Russian, chosen by config or locale.

Keys are English phrases' ids; `tr(key, **fmt)` formats. A missing Russian string falls back to
English so a half-translated screen is still usable.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Final

_STRINGS: Final[dict[str, dict[str, str]]] = {  # extended by register()
    "app.title": {"en": "tui-crm", "ru": "tui-crm"},
    "products.title": {"en": "Products", "ru": "Товары"},
    "products.search": {"en": "Name, code or article…", "ru": "Название, код, артикул…"},
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
    "notify.engine_failed": {"en": "Sync did not start: {error}", "ru": "Синхронизация не запущена: {error}"},
    # global bindings (app.py)
    "bind.help": {"en": "Help", "ru": "Справка"},
    "bind.palette": {"en": "Commands", "ru": "Команды"},
    "bind.lookup": {"en": "Find", "ru": "Найти"},
    "bind.sync_log": {"en": "Sync log", "ru": "Журнал обмена"},
    "bind.clients": {"en": "Clients", "ru": "Клиенты"},
    "bind.products": {"en": "Products", "ru": "Товары"},
    "bind.back": {"en": "Back", "ru": "Назад"},
    "bind.close": {"en": "Close", "ru": "Закрыть"},
    # Textual's own bindings, so F1 help and the footer speak the interface language too
    "bind.focus_next": {"en": "Focus Next", "ru": "Следующее поле"},
    "bind.focus_previous": {"en": "Focus Previous", "ru": "Предыдущее поле"},
    "bind.copy": {"en": "Copy selected text", "ru": "Копировать выделенное"},
    "bind.palette_tooltip": {"en": "Open the command palette", "ru": "Открыть палитру команд"},
    # status bar
    "status.outbox": {"en": "to send: {n}", "ru": "к отправке: {n}"},
    "status.outbox_empty": {"en": "all sent", "ru": "всё отправлено"},
    # sync states of CRM-made objects (SyncState)
    "sync.local_only": {"en": "Local only", "ru": "Только в CRM"},
    "sync.queued": {"en": "Queued", "ru": "В очереди"},
    "sync.in_accounting": {"en": "In accounting", "ru": "В учёте"},
    "sync.failed": {"en": "Failed", "ru": "Ошибка"},
    "sync.conflict": {"en": "Changed in accounting", "ru": "Изменён в учёте"},
    # client kinds (ClientKind)
    "kind.legal_entity": {"en": "Company", "ru": "Юрлицо"},
    "kind.sole_proprietor": {"en": "Sole proprietor", "ru": "ИП"},
    "kind.individual": {"en": "Individual", "ru": "Физлицо"},
}

_language = "en"


def register(strings: dict[str, dict[str, str]]) -> None:
    """Add a screen's strings (each key with "en" and, ideally, "ru"); a module calls it at import."""
    for key, entry in strings.items():
        if "en" not in entry:
            raise ValueError(f"i18n key {key!r} has no English text")
        _STRINGS[key] = entry
    global _reverse
    _reverse = None


def set_language(lang: str) -> None:
    global _language
    _language = lang if lang in ("en", "ru") else "en"


def language() -> str:
    return _language


class Translated(str):
    """A translated string that remembers its key, so a label made at import time (a Binding's
    description) can be translated again later without guessing from its text."""

    __slots__ = ("i18n_key",)
    i18n_key: str


def tr(key: str, **fmt: object) -> str:
    entry = _STRINGS.get(key)
    if entry is None:
        return key
    text = entry.get(_language) or entry["en"]
    if fmt:
        return text.format(**fmt)  # formatted text cannot be re-translated
    result = Translated(text)
    result.i18n_key = key
    return result


def number(value: float, spec: str = "g") -> str:
    """A number as a sentence in the interface language writes it: ``format(value, spec)`` with a
    decimal comma in Russian ("1,5 с"), a point in English. Not for text the user types back (a TOML
    value, a command-line flag): those take a point in any language."""
    text = format(value, spec)
    return text.replace(".", ",") if _language == "ru" else text


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


# -- bindings ---------------------------------------------------------------------------------
# Binding descriptions are evaluated when a screen module is imported, often before the language
# is known (tests switch languages in one process). Instead of trusting that moment, the app
# re-labels every binding map it shows: a description is mapped back to its key through any
# language's text (or is the key itself) and translated into the current language.

_reverse: dict[str, str | None] | None = None


def key_for(text: str) -> str | None:
    """The i18n key `text` was made from: its own `i18n_key` (strings from `tr`), the key itself,
    or the one key whose text in some language is `text` (None when two keys share the text
    with different translations: better untranslated than wrong)."""
    global _reverse
    if not text:
        return None
    key = getattr(text, "i18n_key", None)
    if key is not None:
        return key
    if text in _STRINGS:
        return text
    if _reverse is None:
        index: dict[str, str | None] = {}
        for k, entry in _STRINGS.items():
            for value in entry.values():
                other = index.get(value, k)
                if value in index and (other is None or _STRINGS[other] != entry):
                    index[value] = None  # ambiguous
                else:
                    index[value] = k
        _reverse = index
    return _reverse.get(text)


def retranslate(text: str) -> str:
    """`text` in the current language if it is a known string, else unchanged."""
    key = key_for(text)
    return tr(key) if key is not None else text


def localize_binding(binding: Any) -> Any:
    """A copy of a Textual `Binding` with description and tooltip in the current language."""
    description = retranslate(binding.description)
    tooltip = retranslate(binding.tooltip) if binding.tooltip else binding.tooltip
    if description == binding.description and tooltip == binding.tooltip:
        return binding
    return dataclasses.replace(binding, description=description, tooltip=tooltip)


def localize_bindings(bindings_map: Any) -> None:
    """Re-label a Textual `BindingsMap` in place (duck-typed: i18n stays free of Textual)."""
    for key, bindings in list(bindings_map.key_to_bindings.items()):
        bindings_map.key_to_bindings[key] = [localize_binding(b) for b in bindings]
