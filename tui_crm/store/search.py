"""The picker's search key: lower-cased text with Cyrillic letters folded onto single bytes.

`contains()` looks for the first byte of the needle and then compares. In UTF-8 every lower-case
Cyrillic letter starts with 0xD0 or 0xD1, so for a Russian needle almost every position is a
candidate and the scan is about twice as slow as for Latin text (bench/picker.py: p50 27 → 14 ms
on 100k products × 10 warehouses). The picker table therefore stores its search text with each
Cyrillic letter replaced by an ASCII character that lower-cased text never contains (the
capital Latin letters and a few symbols, which are blanked out first), and the typed words go
through the same mapping. ё folds onto е, as operators type it both ways.

The mapping is our constant, never user text, so building SQL from it is safe; migration 4 in
schema.sql repeats it literally and a test checks the two agree.
"""

from __future__ import annotations

from typing import Any

from tui_crm.domain.number import short_number

CYRILLIC = "абвгдежзийклмнопрстуфхцчшщъыьэюяё"
FOLDED = "ABCDEFGHIJKLMNOPQRSTUVWXYZ{}|~^`F"
# symbols that become search-key letters are blanked in the source text, so they never match
BLANKED = "{}|~^`"

_FROM = CYRILLIC + BLANKED
_TO = FOLDED + " " * len(BLANKED)
_TABLE = str.maketrans(_FROM, _TO)

assert len(CYRILLIC) == len(FOLDED) and len(_FROM) == len(_TO)


def search_key(text: str) -> str:
    """The search key of a text (or of one typed word): lower-cased, then folded."""
    return text.lower().translate(_TABLE)


def search_key_sql(expression: str) -> str:
    """SQL computing the same key from an already lower-cased column or expression."""
    return f"translate({expression}, '{_FROM}', '{_TO}')"


def short_number_match(column: str, text: str) -> tuple[str, list[Any]]:
    """SQL (and its parameters) true when `column`, a 1C document number, is what the operator
    wrote in short: 1C pads numbers with the prefix and zeros (`ТД000000001`, `ЦБ-000123`), the
    operator types `ТД1`, `цб 123` or `1` (`ТД00-1` for УТ 11 / БП 3's `ТД00-000001`). The digits at
    the end must be equal once the zeros are dropped, and the typed prefix, if any, must begin the
    number's (dashes and spaces aside). `column` is our own constant, never user text; the typed
    parts are parameters."""
    short = short_number(text)   # the one reading of the typed text (tui_crm.domain.number)
    if short is None:
        return "(1 = 0)", []
    prefix, digits = short.prefix.lower(), short.digits
    tail = rf"regexp_extract({column}, '(\d+)$', 1)"
    head = rf"regexp_replace(lower(regexp_replace({column}, '\d+$', '')), '[\s\-]', '', 'g')"
    sql = (f"({tail} <> '' AND coalesce(nullif(ltrim({tail}, '0'), ''), '0') = ? "
           f"AND starts_with({head}, ?))")
    return sql, [digits, prefix]


# What may precede a word inside a name ("Сахар-песок", "Сок (яблоко)", «Весна»); none of these
# is folded or blanked by the key, so `sep + key` is found in a search column as typed. Each is
# one more contains() per hit when ranking (bench/picker.py), so the list stays short.
WORD_SEPARATORS = " -/(«\""


def word_start_needles(key: str) -> list[str]:
    """The strings whose presence in a search column means a word there starts with `key`
    (a search key): the key after each word separator. Passed as query parameters."""
    return [sep + key for sep in WORD_SEPARATORS]
