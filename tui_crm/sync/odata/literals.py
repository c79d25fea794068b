"""OData v3 literals and ``$filter`` building for 1C, with escaping and validation.

Why: user text only ever reaches ``$filter`` (or a virtual table's ``Condition``) through these
builders, which escape or validate it, so a hostile value stays one literal; composite fields
are compared with ``cast(guid'…','Type')`` (a bare guid silently matches nothing).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

# Explicit letter sets instead of \w: \w would also admit other scripts and Unicode digits,
# none of which can occur in 1C metadata names, and a tighter set is a tighter injection guard.
_NAME_CHARS = "A-Za-z0-9_А-Яа-яЁё"
_FIELD_RE = re.compile(rf"^[A-Za-zА-Яа-яЁё_][{_NAME_CHARS}]*(?:/[A-Za-zА-Яа-яЁё_][{_NAME_CHARS}]*)*$")
_ENTITY_RE = re.compile(rf"^[A-Za-zА-Яа-яЁё_][{_NAME_CHARS}]*$")
_PARAM_RE = _ENTITY_RE
_GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
_STR_LIT = r"'(?:[^']|'')*'"
# One literal as produced by the lit_* / cast_ref helpers (or null). eq() insists on it so raw
# user text can never be passed where a literal is expected.
_LITERAL_RE = re.compile(
    r"^(?:"
    rf"{_STR_LIT}"
    r"|guid'[0-9a-fA-F-]{36}'"
    r"|datetime'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d'"
    r"|true|false|null"
    r"|-?\d+(?:\.\d+)?"
    rf"|cast\(guid'[0-9a-fA-F-]{{36}}','[{_NAME_CHARS}]+'\)"
    r")$"
)
_COMPARISON_OPS = frozenset({"eq", "ne", "gt", "ge", "lt", "le"})


def _check_field(name: str) -> str:
    """Validate a property path (``Товары/Номенклатура_Key``) so it cannot smuggle syntax."""
    if not isinstance(name, str) or not _FIELD_RE.match(name):
        raise ValueError(f"not a valid 1C field name: {name!r}")
    return name


def _check_entity(name: str) -> str:
    """Validate a bare entity-set / type name (``Document_ЗаказПокупателя``)."""
    if not isinstance(name, str) or not _ENTITY_RE.match(name):
        raise ValueError(f"not a valid 1C entity name: {name!r}")
    return name


def lit_str(value: str) -> str:
    """Quote text as an OData v3 string literal: ``O'Reilly`` -> ``'O''Reilly'``.

    Control characters (NUL, newlines, …) are rejected rather than escaped: OData v3 has no
    escape for them, 1C's parser behaviour with them is undocumented, and no legitimate search
    text contains them.
    """
    if not isinstance(value, str):
        raise TypeError(f"lit_str expects str, got {type(value).__name__}")
    if _CONTROL_RE.search(value):
        raise ValueError("text for a 1C filter must not contain control characters")
    return "'" + value.replace("'", "''") + "'"


def _norm_guid(value: str | uuid.UUID) -> str:
    """Return the canonical lower-case 8-4-4-4-12 form, or raise ValueError."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if not isinstance(value, str) or not _GUID_RE.match(value):
        raise ValueError(f"not a GUID: {value!r}")
    return value.lower()


def lit_guid(value: str | uuid.UUID) -> str:
    """``guid'…'`` literal; the value must be a canonical UUID (anything else is ValueError)."""
    return f"guid'{_norm_guid(value)}'"


def lit_datetime(value: datetime | date) -> str:
    """``datetime'YYYY-MM-DDTHH:MM:SS'``; 1C stores seconds, naive server-local time.

    Microseconds are dropped (1C has none).  Aware datetimes are refused: 1C has no time zones,
    so silently converting would shift dates by the operator's offset.  A plain ``date`` means
    midnight.
    """
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            raise ValueError("1C dates are naive server-local; pass a naive datetime")
        dt = value.replace(microsecond=0)
    elif isinstance(value, date):
        dt = datetime(value.year, value.month, value.day)
    else:
        raise TypeError(f"lit_datetime expects datetime, got {type(value).__name__}")
    return f"datetime'{dt.isoformat()}'"


def lit_bool(v: bool) -> str:
    """``true`` / ``false``; only real bools (a truthy string is a bug, not a value)."""
    if not isinstance(v, bool):
        raise TypeError(f"lit_bool expects bool, got {type(v).__name__}")
    return "true" if v else "false"


def lit_decimal(v: Decimal | int) -> str:
    """Plain decimal notation (no exponent, which OData v3 would read as a Double).

    Floats are refused: they are how money gets rounding errors.
    """
    if isinstance(v, bool) or not isinstance(v, (Decimal, int)):
        raise TypeError(f"lit_decimal expects Decimal or int, got {type(v).__name__}")
    d = Decimal(v)
    if not d.is_finite():
        raise ValueError(f"not a finite number: {v!r}")
    text = format(d, "f")
    return "0" if text in ("-0", "-0.0") else text


def cast_ref(guid: str | uuid.UUID, entity: str) -> str:
    """``cast(guid'…','Document_X')`` -- the only way to compare a composite field (docs/onec-odata-notes.md §7.1)."""
    return f"cast({lit_guid(guid)},'{_check_entity(entity)}')"


def cmp(field: str, op: str, literal: str) -> str:
    """``field op literal`` for eq/ne/gt/ge/lt/le; literal must come from a ``lit_*`` helper."""
    if op not in _COMPARISON_OPS:
        raise ValueError(f"unsupported comparison operator: {op!r}")
    if not isinstance(literal, str) or not _LITERAL_RE.match(literal):
        raise ValueError(
            f"not an OData literal (build it with lit_str/lit_guid/...): {literal!r}"
        )
    return f"{_check_field(field)} {op} {literal}"


def eq(field: str, literal: str) -> str:
    """``field eq literal``.  The literal is checked to be exactly one literal token, so raw
    user text passed here by mistake raises instead of becoming filter syntax."""
    return cmp(field, "eq", literal)


_TOP_LEVEL_BOOL = re.compile(r"\s(?:and|or)\s")


def _needs_parens(expr: str) -> bool:
    """True when ``expr`` has an ``and``/``or`` outside parentheses and string literals."""
    stripped = re.sub(_STR_LIT, "''", expr)
    depth = 0
    outer: list[str] = []
    for ch in stripped:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        outer.append(ch if depth == 0 else "_")
    return bool(_TOP_LEVEL_BOOL.search("".join(outer)))


def _join(op: str, parts: Iterable[str | None]) -> str:
    items = [p.strip() for p in parts if p and p.strip()]
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    wrapped = [f"({p})" if _needs_parens(p) else p for p in items]
    return "(" + f" {op} ".join(wrapped) + ")"


def and_(*parts: str | None) -> str:
    """Conjunction, parenthesised; empty/None parts are skipped ('' if nothing is left)."""
    return _join("and", parts)


def or_(*parts: str | None) -> str:
    """Disjunction, parenthesised; empty/None parts are skipped ('' if nothing is left)."""
    return _join("or", parts)


def not_(part: str) -> str:
    """``not (part)``."""
    if not part or not part.strip():
        raise ValueError("not_() of an empty expression")
    return f"not ({part.strip()})"


def substringof(text: str, field: str) -> str:
    """``substringof('text', Field)`` -- substring first, as 1C expects (docs/onec-odata-notes.md §1).

    Case sensitivity depends on the 1C database collation; 1C has no tolower().
    """
    return f"substringof({lit_str(text)}, {_check_field(field)})"


def startswith(field: str, text: str) -> str:
    """``startswith(Field, 'text')`` -- field first (OData v3; 1C supports it, §1)."""
    return f"startswith({_check_field(field)}, {lit_str(text)})"


def endswith(field: str, text: str) -> str:
    """``endswith(Field, 'text')`` -- field first (OData v3; 1C supports it, §1)."""
    return f"endswith({_check_field(field)}, {lit_str(text)})"


def in_guids(field: str, guids: Iterable[str | uuid.UUID]) -> str:
    """``(f eq guid'a' or f eq guid'b' …)``; duplicates removed, order kept.

    An empty set raises ValueError instead of returning '' -- and_() would drop '' and the
    request would silently match *everything*.  Keep batches small (see in_guids_batches):
    long ``or`` chains hit URL length limits in front of 1C (IIS default 2048).
    """
    _check_field(field)
    seen: dict[str, None] = {}
    for g in guids:
        seen.setdefault(_norm_guid(g), None)
    if not seen:
        raise ValueError("in_guids() needs at least one guid; skip the request instead")
    return or_(*(f"{field} eq guid'{g}'" for g in seen))


def in_guids_batches(
    field: str, guids: Iterable[str | uuid.UUID], batch: int = 40
) -> list[str]:
    """Split a guid set into several in_guids() filters of at most ``batch`` ids each."""
    if batch < 1:
        raise ValueError("batch must be >= 1")
    uniq = list(dict.fromkeys(_norm_guid(g) for g in guids))
    return [in_guids(field, uniq[i : i + batch]) for i in range(0, len(uniq), batch)]


def _vt_value(value: Any, quoting: str) -> str:
    """Render one virtual-table parameter value."""
    if isinstance(value, bool):
        return lit_bool(value)
    if isinstance(value, (datetime, date)):
        return lit_datetime(value)
    if isinstance(value, uuid.UUID):
        return lit_guid(value)
    if isinstance(value, (Decimal, int)):
        return lit_decimal(value)
    if isinstance(value, str):
        if _CONTROL_RE.search(value):
            raise ValueError("virtual-table parameter must not contain control characters")
        if quoting == "raw":
            return value
        if quoting == "double":
            return lit_str(value)
        # vendor: 1C's own examples put the condition between quotes without doubling the
        # quotes inside it.  That is only unambiguous when the text holds no string literal
        # with an embedded quote.
        if "''" in value:
            raise ValueError(
                "a Condition containing an escaped quote is ambiguous inline; "
                "use virtual_table_query() to pass it as a query parameter"
            )
        return f"'{value}'"
    raise TypeError(f"unsupported virtual-table parameter type: {type(value).__name__}")


def virtual_table(
    entity: str,
    function: str,
    *,
    quoting: Literal["vendor", "double"] = "vendor",
    **params: Any,
) -> str:
    """Path of a register virtual table with all parameters inline.

    ``virtual_table("AccumulationRegister_ТоварыНаСкладах", "Balance", Period=dt,
    Condition="Склад_Key eq guid'…'")`` ->
    ``AccumulationRegister_ТоварыНаСкладах/Balance(Period=datetime'…',Condition='Склад_Key eq guid'…'')``

    Quoting of string parameters (Condition, Dimensions, AccountCondition):
    * ``"vendor"`` (default) -- wrap in quotes, inner quotes NOT doubled, exactly like the
      1C documentation examples (docs/onec-odata-notes.md §3), which is what real 1C parses.  Refuses a
      condition containing ``''`` (an escaped quote inside a string literal), because that is
      ambiguous in this form.
    * ``"double"`` -- standard OData v3 doubling of inner quotes (``guid''…''``).  1C does not
      document it; use only against a server known to accept it.

    Preferred when the condition holds user text: :func:`virtual_table_query`, which passes
    string parameters as query-string parameters (``…/Balance(Period=…)?Condition=…``, a form
    1C documents), so no quoting question arises at all.
    """
    _check_entity(entity)
    _check_entity(function)
    if quoting not in ("vendor", "double"):
        raise ValueError(f"unknown quoting: {quoting!r}")
    args = []
    for name, value in params.items():
        if not _PARAM_RE.match(name):
            raise ValueError(f"not a valid parameter name: {name!r}")
        if value is None:
            continue
        args.append(f"{name}={_vt_value(value, quoting)}")
    return f"{entity}/{function}({','.join(args)})"


def virtual_table_query(entity: str, function: str, **params: Any) -> tuple[str, dict[str, str]]:
    """Virtual table with non-string parameters inline and string ones as query parameters.

    Returns ``(path, extra)`` to be used as ``client.get_page(path, extra=extra)``.  The
    string parameters (typically ``Condition``) are passed verbatim, unquoted, as 1C's
    ``…/SliceLast?Condition=…`` form expects; the query encoder takes care of the rest.
    """
    inline = {k: v for k, v in params.items() if not isinstance(v, str)}
    extra: dict[str, str] = {}
    for name, value in params.items():
        if isinstance(value, str):
            if not _PARAM_RE.match(name):
                raise ValueError(f"not a valid parameter name: {name!r}")
            extra[name] = _vt_value(value, "raw")
    return virtual_table(entity, function, **inline), extra
