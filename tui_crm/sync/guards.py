"""The catalogue-shrink guard: a pull that would empty a catalogue, or cut it by more than a
share, is refused and the previous mirror kept.

Why: the mirror is replaced by what accounting lists. A broken publication, a page that lost its
rows (two ``"value"`` keys once did it), a user whose rights were cut in 1C, or a misconfigured
profile all look like "the catalogue is now empty" and would silently wipe the products, the
warehouses or the clients every operator works with. Catalogues do shrink legitimately (a clean-up
in 1C), so the refusal says how to accept it: ``tui-crm sync --once --accept-shrink`` (a full pull
that takes the new sizes as they are).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from tui_crm.i18n import register
from tui_crm.sync.odata.errors import Phrase, Worded, Words

# The share (percent) of a catalogue one pull may drop; `sync.max_shrink_percent` in the config.
MAX_SHRINK_PERCENT = 50.0
# Below this many rows dropped, only "emptied" counts: a small catalogue losing a couple of
# entries (3 warehouses → 1) is ordinary housekeeping, not a sign of a broken answer.
MIN_DROP = 5

# Plain names of the guarded catalogues, as the refusal names them.
CATALOGUES = {
    "warehouses": "warehouses",
    "price_types": "price types",
    "products": "products",
    "counterparties": "counterparties",
}

# The refusal's sentence pieces: English here (``str(exc)``, the log files), Russian in _RU; the
# operator reads it in the interface language (sync.reach.error_words: the sync log, the toast,
# `tui-crm sync`). A catalogue without a name of its own is named as the code calls it.
TEXT: dict[str, str] = {
    **{f"guard.catalogue.{key}": name for key, name in CATALOGUES.items()},
    "guard.shrink": "{name} {before} → {after}",
    "guard.refused": (
        "Refused to apply the pull: accounting now lists fewer rows ({what}), more than the {limit} % a pull may "
        "drop; the previous data is kept. If the catalogue really shrank in accounting, run: "
        "tui-crm sync --once --accept-shrink"
    ),
}
_RU: dict[str, str] = {
    "guard.catalogue.warehouses": "склады",
    "guard.catalogue.price_types": "типы цен",
    "guard.catalogue.products": "товары",
    "guard.catalogue.counterparties": "контрагенты",
    "guard.shrink": "{name} {before} → {after}",
    "guard.refused": (
        "Загрузка не применена: в учёте теперь меньше строк ({what}), чем допустимо — одна загрузка может "
        "убрать не больше {limit_ru} %; прежние данные сохранены. Если справочник в учёте действительно "
        "сократился, выполните: tui-crm sync --once --accept-shrink"
    ),
}
register({key: {"en": en, "ru": _RU[key]} for key, en in TEXT.items()})


@dataclass(frozen=True)
class Shrink:
    catalogue: str
    before: int
    after: int

    @property
    def percent(self) -> float:
        return 100.0 * (self.before - self.after) / self.before

    def __str__(self) -> str:
        name = CATALOGUES.get(self.catalogue, self.catalogue)
        return f"{name} {self.before} → {self.after}"


class CatalogueShrink(Worded):
    """A pull would shrink a catalogue suspiciously; nothing was written. ``str()`` is the English
    line for the log; ``words`` the same for the sync log and the toast in the interface language."""

    TEXT = TEXT   # this module's dictionary (the class body reads the module name)

    def __init__(self, shrinks: list[Shrink], limit: float, counts: dict[str, int] | None = None) -> None:
        self.shrinks = shrinks
        self.limit = limit
        self.counts = counts or {}     # accounting's catalogue counts ($count) when it was refused
        what: list[Words | str] = []
        for s in shrinks:
            if what:
                what.append(", ")
            name = Words(f"guard.catalogue.{s.catalogue}") if s.catalogue in CATALOGUES else s.catalogue
            what.append(Words("guard.shrink", {"name": name, "before": s.before, "after": s.after}))
        super().__init__("guard.refused", what=Phrase(tuple(what)), limit=f"{limit:g}",
                         limit_ru=f"{limit:g}".replace(".", ","))


def check_shrink(before: Mapping[str, int], after: Mapping[str, int], limit: float = MAX_SHRINK_PERCENT,
                 *, min_drop: int = MIN_DROP) -> list[Shrink]:
    """The catalogues that shrink suspiciously from ``before`` (the mirror) to ``after`` (what
    the pull read): emptied, or dropped by more than ``limit`` percent and at least ``min_drop``
    rows. A catalogue that was empty before is never suspicious."""
    if not 0 < limit <= 100:
        raise ValueError("the shrink limit is a percentage in (0, 100]")
    out = []
    for name, old in before.items():
        new = after.get(name, 0)
        if old <= 0 or new >= old:
            continue
        if new == 0 or (old - new >= min_drop and 100.0 * (old - new) / old > limit):
            out.append(Shrink(name, old, new))
    return out


def guard(before: Mapping[str, int], after: Mapping[str, int], limit: float = MAX_SHRINK_PERCENT) -> None:
    """Raise `CatalogueShrink` when `check_shrink` finds anything."""
    shrinks = check_shrink(before, after, limit)
    if shrinks:
        raise CatalogueShrink(shrinks, limit)


__all__ = ["MAX_SHRINK_PERCENT", "MIN_DROP", "CatalogueShrink", "Shrink", "check_shrink", "guard"]
