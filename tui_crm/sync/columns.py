"""Column-wise conversion of big pages (products, units, prices, stock) into CSV-ready text.

Why: converting the 1.25M rows of a 100k-product base one field at a time (``parse.ref`` →
regex, ``parse.number`` → ``Decimal`` …) cost ~12 s of a ~26 s pull. Here a page is split into
columns; each column's *distinct* raw values are judged by the very same strict readers of
`parse` (GUID, number, text, flag, date) once, remembered for the rest of the pull, and mapped
back with C-speed loops. Stock has ~1M rows but only ~100k product ids and a few thousand
quantities, so almost nothing is judged twice.

Strictness is that of `parse`, by construction: whenever the fast path is not sure (a value of a
type the reader may treat specially — a bool where a number belongs, a list, a missing row
object —, a value the reader rejects, an empty required reference, a composite field), the page
goes to the row-wise converter, which returns the same values for the rows it trusts and
quarantines the others (`PageConverter.quarantined`: `BadData` with entity, Ref_Key and reason).
A malformed row in a page of 100 000 is therefore skipped with the same message, and the other
rows of the page are kept.

Equal-but-different raw values share a memo entry only where the reader gives them the same
result: ``1`` and ``1.0`` quantise to the same Decimal; ``True == 1`` is excluded by the type
check (``bool`` is only allowed in flag columns, where ints are not).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from tui_crm.sync import parse
from tui_crm.sync.odata import EMPTY_REF
from tui_crm.sync.parse import BadData
from tui_crm.sync.profile import Concept

# The CSV null marker: an empty unquoted field. Every value, NULL aside, is written quoted (with
# quotes doubled) and read with ``allow_quoted_nulls = false``, so no text — empty, "\\N", a
# control character, CR, LF — can be mistaken for NULL or end a record.
NULL = ""

_NONE = type(None)
_ALLOWED: Mapping[str, frozenset[type]] = {
    "ref": frozenset({str, _NONE}),
    "cref": frozenset({str, _NONE}),
    "text": frozenset({str, int, _NONE}),
    "flag": frozenset({bool, _NONE}),
    "num": frozenset({int, float, str, _NONE}),
    "date": frozenset({str, _NONE}),
}


_TEXTS = frozenset({str, _NONE})
# A column of GUIDs joined by LF: what `parse.ref` accepts one by one, checked in one pass.
_ONE_GUID = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_GUIDS = re.compile(f"{_ONE_GUID}(?:\n{_ONE_GUID})*")


class _Unsure(Exception):
    """The fast path cannot vouch for this page; the row-wise converter decides."""


def csv_text(v: Any) -> str:
    """One stage value as a finished CSV field (the format `StoreWriter.stage_columns` reads):
    NULL is the empty unquoted field, anything else is quoted with its quotes doubled, so any
    text 1C allows (CR, LF, tabs, quotes, backslashes, control characters) is carried exactly."""
    if v is None:
        return NULL
    if v is True:
        return '"true"'
    if v is False:
        return '"false"'
    if isinstance(v, Decimal):
        return '"' + format(v.copy_abs() if v.is_zero() else v, "f") + '"'   # -0.000 and 0.000 are one value
    if isinstance(v, datetime):
        return '"' + v.isoformat(sep=" ") + '"'
    return '"' + str(v).replace('"', '""') + '"'


@dataclass(frozen=True)
class Col:
    """One stage column: how to read it from a row (`kind` and the 1C property `name`)."""

    kind: str                  # ref | cref | text | flag | num | date | const
    name: str | None = None    # 1C property; None = not mapped (the reader's default)
    places: int = 0            # num
    required: bool = False     # ref
    value: Any = None          # const; cref: the entity type wanted (other types read as None)
    post: Callable[[Any], Any] | None = None   # applied to the reader's value


def ref(c: Concept, crm: str, *, required: bool = False, post: Callable[[Any], Any] | None = None) -> Col | None:
    """A reference column by CRM field name: plain, or a composite of one wanted type (`cref`,
    optional ones only; a required composite is row-wise)."""
    name = c.fields.get(crm)
    if name and c.type_of(name):
        return None if required else Col("cref", name, value=c.type_of(name), post=post)
    if not name and required:
        return None
    return Col("ref", name or None, required=required, post=post)


class _Column:
    def __init__(self, col: Col, entity: str) -> None:
        self.col = col
        self.entity = entity
        self.allowed = _ALLOWED.get(col.kind, frozenset())
        self.memo: dict[Any, str] = {}
        self.const = csv_text(self._judge(None)) if col.kind == "const" or not col.name else None
        self.name: str = col.name or ""   # read only when not const, i.e. when mapped

    def _judge(self, v: Any) -> Any:
        c, e, n = self.col, self.entity, self.col.name
        if c.kind == "const":
            out = c.value
        elif c.kind == "ref":
            out = parse.ref({n: v} if n else {}, n, e)
            if out is None and c.required:
                raise BadData(e, parse.why("empty", name=n))
        elif c.kind == "cref" and n:  # v = (value, X_Type)
            out = parse.composite_ref({n: v[0], f"{n}_Type": v[1]}, n, e, c.value)
        elif c.kind == "text":
            out = parse.text({n: v} if n else {}, n, e)
        elif c.kind == "flag":
            out = parse.flag({n: v} if n else {}, n, e)
        elif c.kind == "num":
            out = parse.number({n: v} if n else {}, n, e, c.places)
        elif c.kind == "date":
            out = parse.date({n: v} if n else {}, n, e)
        else:  # pragma: no cover - specs are ours
            raise ValueError(c.kind)
        return c.post(out) if c.post is not None else out

    def __call__(self, page: Sequence[Mapping[str, Any]]) -> list[str]:
        if self.const is not None:
            return [self.const] * len(page)
        name = self.name
        if self.col.kind == "cref":
            typed = f"{name}_Type"
            if any(name not in r and f"{name}_Key" in r for r in page):
                raise _Unsure  # the plain shape of the same attribute: `parse.any_ref` reads it
            raw: list[Any] = [(r.get(name), r.get(typed)) for r in page]
            if not {type(x) for pair in raw for x in pair} <= self.allowed:
                raise _Unsure
            fresh = set(raw).difference(self.memo)
        else:
            raw = [r.get(name) for r in page]
            types = set(map(type, raw))
            if not types <= self.allowed:
                raise _Unsure
            fresh = set(raw).difference(self.memo)
            if self.col.post is None and types <= _TEXTS and 2 * len(fresh) > len(raw):
                # mostly values never seen (a catalog's ids, codes, names): judge the column whole
                fast = self._whole_column(raw)
                if fast is not None:
                    return fast
        memo = self.memo
        for v in fresh:
            try:
                memo[v] = csv_text(self._judge(v))
            except BadData:
                raise _Unsure from None
        return list(map(memo.__getitem__, raw))


    def _whole_column(self, raw: list[Any]) -> list[str] | None:
        """Text and reference columns judged whole, by C-level passes over the column instead of
        a reader call per distinct value: product pages hold ~100k distinct ids, codes and names
        each, so the memo saves nothing there (a 100k-row product page: ~1.5 s → ~0.2 s of the
        helper thread). Exactly `parse.text` / `parse.ref` for clean columns; None (the memo path
        and its readers decide, value by value) as soon as anything is not plainly clean."""
        kind = self.col.kind
        if kind == "text":
            if any(v is None for v in raw):
                raw = ["" if v is None else v for v in raw]
            if max(map(len, raw), default=0) > parse.TEXT_MAX or parse.CONTROL.search("\n".join(raw)):
                return None
            return ['"' + v.strip().replace('"', '""') + '"' for v in raw]
        if kind == "ref":
            joined = "\n".join(raw) if raw and None not in raw else ""
            if not _GUIDS.fullmatch(joined) or joined.count("\n") != len(raw) - 1:
                return None   # empty or malformed values (or an LF inside one): the reader words them
            low = [v.lower() for v in raw]
            if EMPTY_REF in low:
                return None   # the empty reference: NULL, or a required one's reason
            return ['"' + v + '"' for v in low]
        return None

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"_Column({self.col.kind}, {self.col.name!r})"


class PageConverter:
    """Turns pages of one query into stage columns (lists of CSV text), fast or row-wise.

    ``cols`` is the stage's column order (None when some column cannot be read column-wise: then
    every page goes row-wise); ``row`` is the row-wise converter from `parse` (a tuple in the same
    order, or None for a row to skip); ``skip`` is a flag column whose true rows are dropped before
    the others are read (catalog folders, which the row-wise converter drops unchecked).
    """

    def __init__(self, entity: str, cols: Sequence[Col | None] | None, row: Callable[[Mapping[str, Any]], Any],
                 *, width: int, skip: Col | None = None) -> None:
        self.entity = entity
        self.row = row
        self.width = width
        self.fast = cols is not None and all(c is not None for c in cols)
        self.cols = [_Column(c, entity) for c in cols or () if c is not None] if self.fast else []
        self.skip = skip
        self.fast_pages = 0
        self.slow_pages = 0
        self.quarantined: list[BadData] = []   # rows skipped, with entity, Ref_Key and reason

    def __call__(self, page: Sequence[Any]) -> list[list[str]]:
        if self.fast:
            try:
                out = self._fast(page)
                self.fast_pages += 1
                return out
            except _Unsure:
                pass
        self.slow_pages += 1
        return self._slow(page)

    def _fast(self, page: Sequence[Any]) -> list[list[str]]:
        if not all(type(r) is dict for r in page):
            raise _Unsure
        if self.skip is not None and self.skip.name:
            flags = [r.get(self.skip.name) for r in page]
            if not set(map(type, flags)) <= _ALLOWED["flag"]:
                raise _Unsure
            if True in flags:
                page = [r for r, f in zip(page, flags, strict=True) if not f]
        return [col(page) for col in self.cols]

    def _slow(self, page: Sequence[Any]) -> list[list[str]]:
        rows = []
        for r in page:
            try:
                if not isinstance(r, dict):
                    raise BadData(self.entity, parse.why("not_object", value=repr(str(r)[:60])))
                t = self.row(r)
            except BadData as exc:
                self.quarantined.append(exc)
                continue
            if t is not None:
                rows.append(t)
        if not rows:
            return [[] for _ in range(self.width)]
        return [list(map(csv_text, c)) for c in zip(*rows, strict=True)]


__all__ = ["NULL", "Col", "PageConverter", "csv_text", "ref"]
