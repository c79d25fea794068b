"""Fields a profile asks for that accounting's rows do not carry.

Why: 1C leaves out of a row every field it does not have (a release that renamed it, an
attribute a company deleted); the parsers would read the gap as 0 or "" and the mirror would
quietly show wrong figures. Each page is compared with the query's ``$select``: a selected field
missing from a row is reported once per entity and field (the sync log and the log file name
both), never silently defaulted.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar

from tui_crm.i18n import register, tr

_R = TypeVar("_R", bound=Sequence[Any])

register({
    "fields.missing": {
        "en": "Accounting's rows lack fields the profile expects (read as empty): {pairs}{more}",
        "ru": "В строках учёта нет полей, которых ждёт профиль (прочитаны как пустые): {pairs}{more}",
    },
    "fields.more": {"en": " and {n} more", "ru": " и ещё {n}"},
})

log = logging.getLogger("tui_crm.sync.fields")


class MissingFields:
    """Remembers which (entity, field) pairs were already reported in this run."""

    def __init__(self) -> None:
        self.seen: dict[tuple[str, str], None] = {}

    def check(self, entity: str, rows: Iterable[Any], select: Sequence[str]) -> list[str]:
        """Fields of ``select`` (plain ones: a table part's ``Part/Field`` is checked on its own
        rows by the parser) absent from a row of ``rows``; newly found ones are logged."""
        plain = [f for f in select if "/" not in f]
        wanted = frozenset(plain)
        new: list[str] = []
        for row in rows:
            # A row holding every field costs one C-level subset test (1.25M rows a first pull:
            # the per-field loop below took ~1 s of the event loop's time there).
            if type(row) is dict and row.keys() >= wanted:
                continue
            if not isinstance(row, Mapping):
                continue
            for name in plain:
                if name not in row and (entity, name) not in self.seen:
                    self.seen[(entity, name)] = None
                    new.append(name)
                    log.warning("%s: accounting's rows have no field %s that the profile expects; "
                                "check the profile against this base", entity, name)
            if len(self.seen) >= 64:
                break
        return new

    def rows(self, path: str, select: Sequence[str], rows: _R) -> _R:
        """``rows`` as they are, after checking them against ``select`` under the entity of
        ``path`` (a virtual table's parameters left out); what the document jobs and the live
        reads call on every answer."""
        self.check(entity_of(path), rows, select)
        return rows

    def note(self) -> str | None:
        """The sync log's line in the interface language (entity and field as 1C names them), or
        None when every field was there."""
        if not self.seen:
            return None
        pairs = ", ".join(f"{e}.{f}" for e, f in list(self.seen)[:8])
        more = tr("fields.more", n=len(self.seen) - 8) if len(self.seen) > 8 else ""
        return tr("fields.missing", pairs=pairs, more=more)


def entity_of(path: str) -> str:
    """The entity a request path reads, as the profile names it (and the mirror reports it):
    ``AccumulationRegister_X/Balance(Condition=…)`` → ``AccumulationRegister_X``."""
    return path.split("(", 1)[0].split("/", 1)[0]
