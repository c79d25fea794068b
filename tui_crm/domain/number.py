"""A document number as the operator types it in short, and the one rule for what it finds.

1C pads document numbers with the prefix and zeros (`ТД000000001`, `ЦБ-000123`, `0000-000009`);
the operator types `ТД1`, `цб 123` or `9`. УТ 11 and БП 3 number `ТД00-000009` (the organization's
and the infobase's prefix, 2 characters each, a dash, 6 digits): besides `ТД9`, `ТД-9` and `9`,
the operator may type the prefix as 1C shows it and the counter without its zeros, `ТД00-9`
(`00-9` for `0000-000009`). The store answers that in SQL
(tui_crm.store.search.short_number_match), `tui-crm status` asking accounting answers it over
OData (tui_crm.sync.queries.orders_search) and checks 1C's rows with `number_found` below: all
three read the typed text through `short_number`, so the same text finds the same orders.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# letters, optionally digits closed by a dash or space (`ТД00-`, `00-`), then the counter
_SHORT_NUMBER = re.compile(r"^([^\W\d_]*(?:\d+(?=[\s\-]))?)[\s\-]*(\d{1,12})$")
_TAIL = re.compile(r"[0-9]+$")
_DASH_SPACE = re.compile(r"[\s\-]")


@dataclass(frozen=True)
class ShortNumber:
    """`prefix` as typed (may be empty): letters, and the digits of a БСП prefix when a dash or a
    space closes them (`ТД00` of `ТД00-9`); `digits` without leading zeros ("0" for zero)."""

    prefix: str
    digits: str


def short_number(text: str) -> ShortNumber | None:
    """The typed prefix and digits of a number written in short; None when `text` is not one
    (letters, maybe digits closed by a dash or a space, then optional spaces or dashes, then 1 to
    12 digits)."""
    m = _SHORT_NUMBER.match(text.strip())
    if m is None:
        return None
    return ShortNumber(m.group(1), m.group(2).lstrip("0") or "0")


def short_number_matches(number: str, short: ShortNumber) -> bool:
    """The store's SQL rule in Python: the digits at the end of `number` equal the typed ones once
    the zeros are dropped, and the typed prefix begins the rest (lower-cased, dashes and spaces
    aside)."""
    tail = _TAIL.search(number)
    if tail is None or (tail.group().lstrip("0") or "0") != short.digits:
        return False
    head = _DASH_SPACE.sub("", number[:tail.start()].lower())
    return head.startswith(short.prefix.lower())


SEARCH_WORDS = 6
"""A search text counts by its first words only (the store's `order_progress` and status)."""


def search_words(text: str) -> list[str]:
    """The words of a search text that count, each of which must be found."""
    return text.split()[:SEARCH_WORDS]


def number_found(number: str, text: str) -> bool:
    """True when a search for `text` finds the document `number` by number alone, as the store's
    search does: each word of the text inside the number (any case) or the number written in
    short (`ТД9`)."""
    words = search_words(text)
    return bool(words) and bool(number) and all(word_found(number, w) for w in words)


def word_found(number: str, word: str) -> bool:
    """One word of a search found in the document `number`: inside it (any case) or the number
    written in short."""
    if word.lower() in number.lower():
        return True
    short = short_number(word)
    return short is not None and short_number_matches(number, short)
