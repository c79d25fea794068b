"""Field-by-field comparison of what the CRM is about to write with what accounting has now.

The push calls `field_diffs` when 1C's DataVersion is not the one the CRM copy is based on (or a
PATCH with ``If-Match`` was refused with 412). Only the fields the CRM writes are compared: a PATCH
changes nothing else, so a change of another field in 1C is never overwritten. No differences
means nothing of 1C's would be lost (for instance our own earlier write whose answer never came),
and the write goes ahead; otherwise the push records a conflict (store/conflicts.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from tui_crm.store.conflicts import FieldDiff
from tui_crm.sync.profile import Concept

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_SKIP = {"Ref_Key", "LineNumber", "DataVersion"}


class EditConflict(Exception):
    """1C changed the object since the CRM copy was based on it, and the fields differ."""

    def __init__(self, kind: str, object_id: str, seen_version: str, their_version: str,
                 theirs: dict[str, Any], ours: dict[str, Any], diffs: list[FieldDiff]) -> None:
        super().__init__(f"{kind} {object_id} changed in accounting ({len(diffs)} fields differ)")
        self.kind = kind
        self.object_id = object_id
        self.seen_version = seen_version
        self.their_version = their_version
        self.theirs = theirs
        self.ours = ours
        self.diffs = diffs


def same(a: Any, b: Any) -> bool:
    """Equal as 1C means it: numbers by value (2 == 2.0 == "2.00"), keys case-insensitively,
    a missing value equal to an empty one."""
    return _norm(a) == _norm(b)


def _norm(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float | Decimal):
        try:
            return format(Decimal(str(v)).normalize(), "f")
        except InvalidOperation:
            return str(v)
    s = str(v)
    if _GUID.match(s):
        return s.lower()
    return s


def _is_table(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(r, dict) for r in v)


def _rows(table: Any, ours: list[dict[str, Any]]) -> list[tuple[tuple[str, str], ...]]:
    """The rows of a table part on the columns ``ours`` writes, sorted (order is not meaning)."""
    columns = sorted({k for r in ours for k in r if k not in _SKIP and not k.endswith("_Type")})
    if not isinstance(table, list):
        return []
    return sorted(tuple((k, _norm(r.get(k))) for k in columns) for r in table if isinstance(r, dict))


def _shown_rows(table: Any, name_of: Callable[[str], str | None]) -> str:
    """A table part as the operator reads it: each row's values, rows split by "; "."""
    if not isinstance(table, list):
        return ""
    shown = []
    for r in table:
        if isinstance(r, dict):
            cells = [_shown(v, name_of) for k, v in r.items() if k not in _SKIP and not k.endswith("_Type")]
            shown.append(" ".join(x for x in cells if x and not _GUID.match(x)))
    return "; ".join(x for x in shown if x)


def _shown(v: Any, name_of: Callable[[str], str | None]) -> str:
    """A value as the operator reads it: a key by its name when the CRM knows it."""
    s = _norm(v)
    if _GUID.match(s):
        if s == "00000000-0000-0000-0000-000000000000":
            return ""
        return name_of(s) or s
    return s


def field_diffs(c: Concept, ours: Mapping[str, Any], theirs: Mapping[str, Any],
                name_of: Callable[[str], str | None] = lambda _ref: None) -> list[FieldDiff]:
    """The fields (and order lines) where ``ours`` (a PATCH body) and ``theirs`` (1C's object)
    differ, named by their CRM names (``name``, ``inn``, ``quantity`` …)."""
    crm_name = {v: k for k, v in c.fields.items() if v}
    line_name = {v: k for k, v in c.line_fields.items() if v}
    out: list[FieldDiff] = []
    for key, value in ours.items():
        if key in _SKIP or key.endswith("_Type") or key == c.lines:
            continue
        if _is_table(value):
            # another table part (УТ 11 / БП 3 contacts): the same rows in any order, each compared
            # on the columns we write (1C adds its own: Ref_Key, LineNumber, ЗначенияПолей …)
            if _rows(value, value) != _rows(theirs.get(key), value):
                out.append(FieldDiff(crm_name.get(key, key), None, _shown_rows(value, name_of),
                                     _shown_rows(theirs.get(key), name_of)))
            continue
        if not same(value, theirs.get(key)):
            out.append(FieldDiff(crm_name.get(key, key), None, _shown(value, name_of),
                                 _shown(theirs.get(key), name_of)))
    if c.lines and c.lines in ours:
        mine = {str(r.get("LineNumber", n)): r for n, r in enumerate(ours[c.lines] or [], start=1)}
        their_rows = theirs.get(c.lines) or []
        other = {str(r.get("LineNumber", n)): r for n, r in enumerate(their_rows, start=1)}
        product = c.lopt("product") or ""
        for no in sorted(set(mine) | set(other), key=lambda x: int(x) if x.isdigit() else 0):
            a, b = mine.get(no), other.get(no)
            line = int(no) if no.isdigit() else None
            if a is None or b is None:
                present = a if a is not None else b
                assert present is not None
                what = _shown(present.get(product), name_of) if product else no
                out.append(FieldDiff("line", line, what if a is not None else "—", what if b is not None else "—"))
                continue
            for key, value in a.items():
                if key in _SKIP or key.endswith("_Type"):
                    continue
                if not same(value, b.get(key)):
                    out.append(FieldDiff(line_name.get(key, key), line, _shown(value, name_of),
                                         _shown(b.get(key), name_of)))
    return out


__all__ = ["EditConflict", "field_diffs", "same"]
