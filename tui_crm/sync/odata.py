"""Client for the 1C:Enterprise 8.3 standard OData interface (OData v3, JSON).

Why this module exists: 1C's OData dialect has quirks that silently break a naive client
(see ``reference/onec-odata.md`` §7).  Everything the rest of the sync layer needs to talk to
accounting goes through here, so those quirks are handled in exactly one place:

* user text only ever reaches ``$filter`` through the literal builders (``lit_*``), which escape
  or validate it -- a hostile value stays one literal;
* composite fields are compared with ``cast(guid'…','Type')`` (a bare guid silently matches
  nothing);
* Int64 values arrive as JSON strings, money is parsed via ``Decimal(str(v))`` and never floats;
* empty references / dates (all-zero guid, ``0001-01-01T00:00:00``) become ``None``;
* paging uses ``$top``/``$skip`` with a stable ``$orderby`` and never ``$inlinecount``
  (which makes 1C ignore ``$top``/``$skip``);
* query strings are encoded by hand with ``%20`` for spaces: httpx 0.28 ``params=`` emits ``+``,
  which 1C does not read as a space;
* HTML pages answered with status 200 (broken publication, auth front-ends) are errors, and
  ``odata.error`` bodies (JSON or XML) become typed exceptions whose ``str()`` a user can read;
* credentials never appear in exception messages, reprs or logs.

The module imports nothing from the rest of tui_crm: it is the protocol layer only.
"""

from __future__ import annotations

import asyncio
import html
import json
import logging
import random
import re
import time
import uuid
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal
from urllib.parse import quote

import httpx

__all__ = [
    "EMPTY_REF",
    "EMPTY_DATE",
    "lit_str",
    "lit_guid",
    "lit_datetime",
    "lit_bool",
    "lit_decimal",
    "cast_ref",
    "eq",
    "cmp",
    "and_",
    "or_",
    "not_",
    "substringof",
    "in_guids",
    "in_guids_batches",
    "virtual_table",
    "virtual_table_query",
    "parse_decimal",
    "parse_int",
    "parse_ref",
    "parse_date",
    "parse_composite",
    "ODataError",
    "Unreachable",
    "NotODataResponse",
    "AuthError",
    "NotFound",
    "Conflict",
    "KeyExists",
    "BusinessError",
    "RequestStats",
    "ODataClient",
]

log = logging.getLogger("tui_crm.sync.odata")

EMPTY_REF = "00000000-0000-0000-0000-000000000000"
EMPTY_DATE = "0001-01-01T00:00:00"

# ---------------------------------------------------------------------------------------------
# Literals and $filter building
# ---------------------------------------------------------------------------------------------

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
    """``cast(guid'…','Document_X')`` -- the only way to compare a composite field (§7.1)."""
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
    """``substringof('text', Field)`` -- substring first, as 1C expects (§1).

    Case sensitivity depends on the 1C database collation; 1C has no tolower().
    """
    return f"substringof({lit_str(text)}, {_check_field(field)})"


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
      1C documentation examples (reference §3), which is what real 1C parses.  Refuses a
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


# ---------------------------------------------------------------------------------------------
# Value parsing
# ---------------------------------------------------------------------------------------------


def parse_decimal(v: Any) -> Decimal:
    """Number-or-string -> Decimal via ``str()`` (never through float arithmetic).

    ``None`` and ``""`` give ``Decimal(0)``: a 1C number attribute cannot be NULL, so an
    absent/empty value can only mean "not filled", which 1C itself shows as 0.
    """
    if v is None or v == "":
        return Decimal(0)
    if isinstance(v, bool):
        raise ValueError(f"not a number: {v!r}")
    if isinstance(v, Decimal):
        d = v
    elif isinstance(v, (int, float, str)):
        try:
            d = Decimal(str(v).strip())
        except InvalidOperation:
            raise ValueError(f"not a number: {v!r}") from None
    else:
        raise ValueError(f"not a number: {v!r}")
    if not d.is_finite():
        raise ValueError(f"not a finite number: {v!r}")
    return d


def parse_int(v: Any) -> int:
    """Int16/32/64 -> int; Int64 arrives as a string (``"LineNumber": "1"``).  None/"" -> 0."""
    if v is None or v == "":
        return 0
    if isinstance(v, bool):
        raise ValueError(f"not an integer: {v!r}")
    if isinstance(v, int):
        return v
    d = parse_decimal(v)
    if d != d.to_integral_value():
        raise ValueError(f"not an integer: {v!r}")
    return int(d)


def parse_ref(v: Any) -> str | None:
    """Reference value -> canonical lower-case guid, or None for an empty reference."""
    if v is None or v == "" or v == EMPTY_REF:
        return None
    ref = _norm_guid(v)
    return None if ref == EMPTY_REF else ref


_EMPTY_DT = datetime(1, 1, 1)


def parse_date(v: Any) -> datetime | None:
    """``"2021-12-22T17:22:08"`` -> naive datetime; empty date / None / "" -> None.

    1C sends server-local wall time without zone; if a zone ever appears it is dropped (the
    wall time is kept), so values stay comparable with the rest of the mirror.
    """
    if v is None or v == "" or v == EMPTY_DATE:
        return None
    if isinstance(v, datetime):
        dt = v
    elif isinstance(v, str):
        try:
            dt = datetime.fromisoformat(v.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"not a 1C date: {v!r}") from None
    else:
        raise ValueError(f"not a 1C date: {v!r}")
    dt = dt.replace(tzinfo=None)
    return None if dt == _EMPTY_DT else dt


_TYPE_PREFIX = "StandardODATA."
_REF_PREFIXES = (
    "Catalog_",
    "Document_",
    "ExchangePlan_",
    "ChartOfAccounts_",
    "ChartOfCalculationTypes_",
    "ChartOfCharacteristicTypes_",
    "BusinessProcess_",
    "Task_",
)


def parse_composite(row: Mapping[str, Any], field: str) -> tuple[str | None, str | None]:
    """Composite attribute (``X`` + ``X_Type``) -> ``(value, type)``.

    The type loses its ``StandardODATA.`` prefix.  Undefined (``""`` +
    ``StandardODATA.Undefined``) or an absent field -> ``(None, None)``.  A typed empty
    reference -> ``(None, type)``.  Reference values are validated guids; primitive values
    (e.g. the String50 alternative) are returned as text.
    """
    raw_type = row.get(f"{field}_Type")
    value = row.get(field)
    if not raw_type:
        return (None, None) if value in (None, "") else (str(value), None)
    typ = raw_type[len(_TYPE_PREFIX) :] if raw_type.startswith(_TYPE_PREFIX) else raw_type
    if typ in ("Undefined", ""):
        return None, None
    if typ.startswith(_REF_PREFIXES):
        return parse_ref(value), typ
    if value is None:
        return None, typ
    if isinstance(value, bool):
        return ("true" if value else "false"), typ
    return str(value), typ


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------


class ODataError(Exception):
    """Any failure talking to 1C.  ``str(exc)`` is a sentence an operator can read.

    Attributes: ``code`` (1C error code as text, or None), ``message`` (1C's own text, usually
    Russian, or None), ``status`` (HTTP status or None), ``url`` (request URL without
    credentials), ``method``.
    """

    lead = "Accounting (1C) returned an error."

    def __init__(
        self,
        sentence: str | None = None,
        *,
        code: str | None = None,
        message: str | None = None,
        status: int | None = None,
        url: str | None = None,
        method: str | None = None,
    ) -> None:
        self.code = code
        self.message = message
        self.status = status
        self.url = url
        self.method = method
        self.sentence = sentence or self._compose()
        super().__init__(self.sentence)

    def _compose(self) -> str:
        text = self.lead
        if self.message:
            text += f" 1C says: «{self.message}»"
        details = []
        if self.code is not None:
            details.append(f"1C code {self.code}")
        if self.status is not None:
            details.append(f"HTTP {self.status}")
        if self.method and self.url:
            details.append(f"{self.method} {self.url}")
        if details:
            text += " (" + ", ".join(details) + ")"
        return text

    def __str__(self) -> str:
        return self.sentence


class Unreachable(ODataError):
    """Accounting could not be reached: connect error, timeout, dropped connection, or a
    502/503/504 from the web server in front of 1C.

    ``maybe_applied`` is True when the request may have reached 1C before the failure (read
    timeout, dropped response): a write in that state must be verified, not blindly resent.
    """

    lead = "Accounting (1C) is unreachable."

    def __init__(self, sentence: str | None = None, *, maybe_applied: bool = False, **kw: Any):
        self.maybe_applied = maybe_applied
        super().__init__(sentence, **kw)


class NotODataResponse(ODataError):
    """The server answered, but not with 1C OData (HTML page, non-JSON, wrong JSON shape)."""

    lead = (
        "Accounting answered with an HTML page or other non-OData content, not OData — "
        "check the publication / web server."
    )


class AuthError(ODataError):
    """401/403 or 1C code 20: wrong login/password or missing rights (incl. RLS)."""

    lead = "Accounting (1C) refused access: check the user name, password and the user's rights."


class NotFound(ODataError):
    """404, code 9 (no object with this key) or code 6/8 (unknown entity, e.g. not published)."""

    lead = "Accounting (1C) has no such object or entity set."


class Conflict(ODataError):
    """412: the object changed in accounting since it was read (stale DataVersion)."""

    lead = "The object was changed in accounting since it was read; reload it and retry."


class KeyExists(ODataError):
    """Code 15: an object with this key already exists."""

    lead = "Accounting (1C) already has an object with this key."


class BusinessError(ODataError):
    """1C refused the operation: code -1 (exception in 1C code, e.g. posting failed) and other
    request errors (bad value, unknown property, …)."""

    lead = "Accounting (1C) refused the operation."


# ---------------------------------------------------------------------------------------------
# Client
# ---------------------------------------------------------------------------------------------


@dataclass
class RequestStats:
    """Counters for benchmarks and the "an idle cycle costs N requests" figure.

    ``requests`` counts HTTP attempts (retries included), ``bytes`` response bytes received,
    ``bytes_sent`` request body bytes, ``seconds`` time spent waiting on HTTP (no backoff).
    """

    requests: int = 0
    bytes: int = 0
    bytes_sent: int = 0
    retries: int = 0
    errors: int = 0
    seconds: float = 0.0
    by_method: dict[str, int] = field(default_factory=dict)

    def reset(self) -> None:
        """Zero all counters (e.g. at the start of a measured cycle)."""
        self.requests = self.bytes = self.bytes_sent = self.retries = self.errors = 0
        self.seconds = 0.0
        self.by_method = {}

    def snapshot(self) -> RequestStats:
        """A detached copy, to diff before/after a cycle."""
        return RequestStats(
            self.requests,
            self.bytes,
            self.bytes_sent,
            self.retries,
            self.errors,
            self.seconds,
            dict(self.by_method),
        )


# Characters left readable in paths/query values.  Everything else (space, &, +, #, ?, %, =,
# non-ASCII) is percent-encoded; spaces become %20, never '+'.
_PATH_SAFE = "/(),'=:$*@!;"
_QUERY_SAFE = "$'(),/:*@!;"
_RETRY_STATUSES = frozenset({502, 503, 504})
_FORBIDDEN_PARAMS = frozenset({"$inlinecount"})


def _encode_query(params: Mapping[str, str]) -> str:
    """Encode a query string with %20 for spaces (1C reads '+' literally)."""
    return "&".join(
        f"{quote(str(k), safe='$')}={quote(str(v), safe=_QUERY_SAFE)}" for k, v in params.items()
    )


def _check_path(path: str) -> str:
    """Refuse paths that could escape the OData base (absolute URLs, .., query/fragment
    smuggling is neutralised by encoding, control characters)."""
    if not isinstance(path, str) or not path:
        raise ValueError("empty OData path")
    if _CONTROL_RE.search(path) or "://" in path or path.startswith("/"):
        raise ValueError(f"not a relative OData path: {path!r}")
    if any(seg in (".", "..") for seg in path.split("/")):
        raise ValueError(f"not a relative OData path: {path!r}")
    return path


def _safe_url(url: httpx.URL) -> str:
    """URL text without user info (credentials never leave this module)."""
    if url.userinfo:
        url = url.copy_with(username=None, password=None)
    return str(url)


_XML_CODE = re.compile(r"<(?:\w+:)?code>\s*(.*?)\s*</(?:\w+:)?code>", re.S)
_XML_MSG = re.compile(r"<(?:\w+:)?message(?:\s[^>]*)?>\s*(.*?)\s*</(?:\w+:)?message>", re.S)


def _parse_error_body(text: str) -> tuple[str | None, str | None] | None:
    """Extract (code, message) from a JSON ``odata.error`` or an XML ``<m:error>`` body."""
    stripped = text.lstrip("\ufeff \r\n\t")
    if stripped.startswith("{"):
        try:
            data = json.loads(stripped)
        except ValueError:
            return None
        if not isinstance(data, dict):
            return None
        err = data.get("odata.error") or data.get("error")
        if not isinstance(err, dict):
            return None
        code = err.get("code")
        msg = err.get("message")
        if isinstance(msg, dict):
            msg = msg.get("value")
        return (None if code in (None, "") else str(code)), (str(msg) if msg else None)
    if stripped.startswith("<"):
        m_code = _XML_CODE.search(stripped)
        if not m_code or "<html" in stripped[:500].lower():
            return None
        m_msg = _XML_MSG.search(stripped)
        msg = html.unescape(m_msg.group(1)) if m_msg else None
        return html.unescape(m_code.group(1)) or None, msg
    return None


def _is_html(content_type: str, text: str) -> bool:
    head = text.lstrip("\ufeff \r\n\t")[:200].lower()
    return "html" in content_type or head.startswith(("<!doctype html", "<html"))


def _map_error(
    status: int, code: str | None, message: str | None, method: str, url: str
) -> ODataError:
    """Choose the exception class for an error answer (status and 1C code)."""
    kw: dict[str, Any] = {"code": code, "message": message, "status": status, "url": url,
                          "method": method}
    if status in (401, 403) or code == "20":
        return AuthError(**kw)
    if status == 412:
        return Conflict(**kw)
    if code == "15":
        return KeyExists(**kw)
    if status == 404 or code in ("6", "8", "9"):
        return NotFound(**kw)
    if status in _RETRY_STATUSES and code is None:
        return Unreachable(maybe_applied=True, **kw)
    return BusinessError(**kw)


class ODataClient:
    """Async client for one 1C OData publication (``…/odata/standard.odata/``).

    Reads (GET) are retried with exponential backoff + jitter on unreachability, 502/503/504
    and 500 with code -1 / no code (often transient).  Writes (POST/PATCH/DELETE) are never
    retried automatically: 1C writes are not idempotent and a lost answer may hide a commit;
    the push layer decides (see DESIGN §4, idempotent push).  ``create(..., idempotent=True)``
    opts in when the caller supplied ``Ref_Key`` and will reconcile KeyExists.
    """

    def __init__(
        self,
        base_url: str,
        *,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 30.0,
        connect_timeout: float = 10.0,
        verify: bool = True,
        retries: int = 2,
        backoff: float = 0.5,
        transport: httpx.AsyncBaseTransport | None = None,
        page_size: int = 1000,
    ) -> None:
        url = httpx.URL(base_url)
        # Credentials embedded in the URL are moved into the auth object and stripped, so the
        # URL we keep (and put in errors/logs) is clean.
        if url.userinfo:
            username = username if username is not None else url.username
            password = password if password is not None else url.password
            url = url.copy_with(username=None, password=None)
        if url.scheme not in ("http", "https"):
            raise ValueError("accounting base URL must start with http:// or https://")
        base = str(url)
        if not base.endswith("/"):
            base += "/"
        if page_size < 1:
            raise ValueError("page_size must be >= 1")
        self.base_url = base
        self.retries = max(0, retries)
        self.backoff = max(0.0, backoff)
        self.page_size = page_size
        self.stats = RequestStats()
        self._has_auth = username is not None
        auth = httpx.BasicAuth(username, password or "") if username is not None else None
        self._http = httpx.AsyncClient(
            base_url=base,
            auth=auth,
            headers={"Accept": "application/json", "Accept-Charset": "utf-8"},
            timeout=httpx.Timeout(timeout, connect=connect_timeout),
            verify=verify,
            transport=transport,
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        return f"ODataClient({self.base_url!r}, auth={'basic' if self._has_auth else 'none'})"

    async def aclose(self) -> None:
        """Close the underlying connection pool."""
        await self._http.aclose()

    async def __aenter__(self) -> ODataClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- transport -------------------------------------------------------------------------

    def _url(self, path: str, params: Mapping[str, str] | None) -> str:
        """Relative URL with encoded path and a hand-encoded query (always ``$format=json``)."""
        query: dict[str, str] = {}
        for k, v in (params or {}).items():
            if v is None:
                continue
            if k in _FORBIDDEN_PARAMS:
                raise ValueError("$inlinecount disables paging in 1C; use count() instead")
            query[k] = v
        query["$format"] = "json"
        return quote(_check_path(path), safe=_PATH_SAFE) + "?" + _encode_query(query)

    def _delay(self, attempt: int) -> float:
        """Exponential backoff with jitter, so many CRM instances don't retry in lockstep."""
        base = self.backoff * (2**attempt)
        return base + random.uniform(0, base)

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> httpx.Response:
        """Send one logical request (with retries if idempotent) and raise on any error answer.

        Returns only a non-error response; the caller checks the body shape.
        """
        if idempotent is None:
            idempotent = method == "GET"
        rel = self._url(path, params)
        content = None
        req_headers = dict(headers or {})
        if body is not None:
            content = json.dumps(body, ensure_ascii=False).encode("utf-8")
            req_headers["Content-Type"] = "application/json; charset=utf-8"
        attempts = 1 + (self.retries if idempotent else 0)
        last: ODataError | None = None
        for attempt in range(attempts):
            if attempt:
                self.stats.retries += 1
                await asyncio.sleep(self._delay(attempt - 1))
            request = self._http.build_request(method, rel, content=content, headers=req_headers)
            url = _safe_url(request.url)
            started = time.monotonic()
            self.stats.requests += 1
            self.stats.by_method[method] = self.stats.by_method.get(method, 0) + 1
            self.stats.bytes_sent += len(content or b"")
            try:
                response = await self._http.send(request)
            except httpx.TransportError as exc:
                elapsed = time.monotonic() - started
                self.stats.seconds += elapsed
                self.stats.errors += 1
                last = self._transport_error(exc, method, url)
                log.debug("%s %s -> %s after %.3fs", method, request.url.raw_path.decode(
                    "ascii", "replace"), type(exc).__name__, elapsed)
                continue
            elapsed = time.monotonic() - started
            self.stats.seconds += elapsed
            self.stats.bytes += len(response.content)
            log.debug("%s %s -> %s in %.3fs", method,
                      request.url.raw_path.decode("ascii", "replace"), response.status_code,
                      elapsed)
            if 300 <= response.status_code < 400:
                # 1C never redirects; a redirect means a login page / proxy in front of it.
                # Following it would turn a write into a GET of someone else's page.
                self.stats.errors += 1
                target = httpx.URL(response.headers.get("location", "")).host or "elsewhere"
                raise NotODataResponse(
                    f"Accounting redirected the request to {target} instead of answering with "
                    f"OData — check the publication / web server (HTTP {response.status_code}, "
                    f"{method} {url}).",
                    status=response.status_code, url=url, method=method,
                )
            if response.status_code < 400:
                self._check_not_html(response, method, url)
                return response
            self.stats.errors += 1
            last = self._error_from_response(response, method, url)
            if not self._retryable(response.status_code, last):
                raise last
        assert last is not None
        if attempts > 1 and isinstance(last, Unreachable):
            last.sentence += f" Gave up after {attempts} attempts."
            last.args = (last.sentence,)
        raise last

    @staticmethod
    def _retryable(status: int, err: ODataError) -> bool:
        """5xx that are plausibly transient: gateway errors, 500 with code -1 or no code."""
        if status in _RETRY_STATUSES:
            return True
        return status == 500 and err.code in (None, "-1") and not isinstance(err, NotFound)

    @staticmethod
    def _transport_error(exc: httpx.TransportError, method: str, url: str) -> Unreachable:
        """Plain-words sentence for connect errors, timeouts and dropped connections."""
        if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout)):
            what, applied = "could not connect to the server", False
        elif isinstance(exc, httpx.PoolTimeout):
            what, applied = "no free connection to the server", False
        elif isinstance(exc, httpx.TimeoutException):
            what, applied = "the server did not answer in time", True
        elif isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)):
            what, applied = "the connection was dropped before the answer arrived", True
        else:
            what, applied = f"network error ({type(exc).__name__})", True
        host = httpx.URL(url).host
        return Unreachable(
            f"Accounting (1C) at {host} is unreachable: {what} ({method} {url}).",
            maybe_applied=applied,
            url=url,
            method=method,
        )

    @staticmethod
    def _check_not_html(response: httpx.Response, method: str, url: str) -> None:
        ctype = response.headers.get("content-type", "").lower()
        # Only the head is decoded: `response.text` would decode a 20 MB page a second time.
        try:
            head = response.content[:400].decode(response.encoding or "utf-8", "replace")
        except LookupError:
            head = response.content[:400].decode("utf-8", "replace")
        if response.content and _is_html(ctype, head):
            raise NotODataResponse(status=response.status_code, url=url, method=method)

    @staticmethod
    def _error_from_response(response: httpx.Response, method: str, url: str) -> ODataError:
        status = response.status_code
        text = response.text if response.content else ""
        parsed = _parse_error_body(text) if text else None
        if parsed is not None:
            code, message = parsed
            return _map_error(status, code, message, method, url)
        ctype = response.headers.get("content-type", "").lower()
        if status in (401, 403, 404, 412) or status in _RETRY_STATUSES:
            return _map_error(status, None, None, method, url)
        if text and _is_html(ctype, text):
            return NotODataResponse(status=status, url=url, method=method)
        return _map_error(status, None, None, method, url)

    @staticmethod
    def _json(response: httpx.Response, method: str, url: str) -> Any:
        """Decode a JSON body; anything else is NotODataResponse (even with 200)."""
        ctype = response.headers.get("content-type", "").lower()
        if "json" not in ctype:
            raise NotODataResponse(
                f"Accounting answered with {ctype or 'no content type'}, not OData JSON — "
                f"check the publication / web server (HTTP {response.status_code}, "
                f"{method} {url}).",
                status=response.status_code, url=url, method=method,
            )
        try:
            data = json.loads(response.content.decode("utf-8-sig"))
        except (ValueError, UnicodeDecodeError):
            raise NotODataResponse(
                f"Accounting sent a broken JSON answer — check the publication / web server "
                f"(HTTP {response.status_code}, {method} {url}).",
                status=response.status_code, url=url, method=method,
            ) from None
        if isinstance(data, dict) and ("odata.error" in data):
            parsed = _parse_error_body(json.dumps(data))
            code, message = parsed or (None, None)
            raise _map_error(response.status_code, code, message, method, url)
        return data

    def _not_odata(self, response: httpx.Response, what: str) -> NotODataResponse:
        url = _safe_url(response.request.url)
        method = response.request.method
        return NotODataResponse(
            f"Accounting answered with JSON that is not a 1C OData {what} — check the "
            f"publication / web server (HTTP {response.status_code}, {method} {url}).",
            status=response.status_code, url=url, method=method,
        )

    # -- reads -----------------------------------------------------------------------------

    async def get_json(self, path: str, params: dict[str, str] | None = None) -> dict:
        """One GET; the answer must be a 1C OData JSON object (``value`` or
        ``odata.metadata``), otherwise NotODataResponse."""
        response = await self._request("GET", path, params=params)
        data = self._json(response, "GET", _safe_url(response.request.url))
        if not isinstance(data, dict) or not ("value" in data or "odata.metadata" in data):
            raise self._not_odata(response, "answer")
        return data

    @staticmethod
    def _query(
        select: str | Iterable[str] | None = None,
        filter: str | None = None,
        orderby: str | None = None,
        top: int | None = None,
        skip: int | None = None,
        expand: str | Iterable[str] | None = None,
        extra: Mapping[str, str] | None = None,
    ) -> dict[str, str]:
        params: dict[str, str] = {}
        if select:
            params["$select"] = select if isinstance(select, str) else ",".join(select)
        if filter:
            params["$filter"] = filter
        if orderby:
            params["$orderby"] = orderby
        if top is not None:
            params["$top"] = str(int(top))
        if skip:
            params["$skip"] = str(int(skip))
        if expand:
            params["$expand"] = expand if isinstance(expand, str) else ",".join(expand)
        for k, v in (extra or {}).items():
            params[k] = v
        return params

    async def get_page(
        self,
        entity: str,
        *,
        select: str | Iterable[str] | None = None,
        filter: str | None = None,
        orderby: str | None = None,
        top: int | None = None,
        skip: int | None = None,
        expand: str | Iterable[str] | None = None,
        extra: Mapping[str, str] | None = None,
    ) -> list[dict]:
        """One collection GET -> the ``value`` rows.  ``entity`` may be a virtual-table path."""
        params = self._query(select, filter, orderby, top, skip, expand, extra)
        data = await self.get_json(entity, params)
        rows = data.get("value")
        if not isinstance(rows, list):
            raise NotODataResponse(
                "Accounting answered without a row list ('value') where a collection was "
                f"expected, not OData rows — check the publication / web server ({entity}).",
                url=self.base_url + entity, method="GET",
            )
        return rows

    async def iter_pages(
        self,
        entity: str,
        *,
        select: str | Iterable[str] | None = None,
        filter: str | None = None,
        orderby: str | None = "Ref_Key",
        page_size: int | None = None,
        extra: Mapping[str, str] | None = None,
    ) -> AsyncIterator[list[dict]]:
        """Yield pages via ``$top``/``$skip`` with a stable ``$orderby``; stop on a short page.

        ``$inlinecount`` is never sent (it disables paging in 1C).  ``orderby=None`` (for
        virtual tables, which have no ``Ref_Key``) fetches everything in one unpaged request,
        since paging without a stable order can skip or repeat rows.  A page longer than
        requested means the server ignored ``$top``: that raises rather than looping forever.
        """
        size = page_size or self.page_size
        if size < 1:
            raise ValueError("page_size must be >= 1")
        if not orderby:
            rows = await self.get_page(entity, select=select, filter=filter, extra=extra)
            if rows:
                yield rows
            return
        skip = 0
        while True:
            rows = await self.get_page(
                entity, select=select, filter=filter, orderby=orderby, top=size, skip=skip,
                extra=extra,
            )
            if len(rows) > size:
                raise ODataError(
                    f"Accounting ignored paging ($top={size}) for {entity}: got {len(rows)} "
                    "rows; refusing to continue."
                )
            if rows:
                yield rows
            if len(rows) < size:
                return
            skip += size

    async def get_all(self, entity: str, **kw: Any) -> list[dict]:
        """All rows of ``iter_pages`` in one list."""
        out: list[dict] = []
        async for page in self.iter_pages(entity, **kw):
            out.extend(page)
        return out

    async def count(self, entity: str, filter: str | None = None) -> int:
        """``entity/$count`` (bare number body; the only safe way to count, §7.3)."""
        params = {"$filter": filter} if filter else None
        response = await self._request("GET", f"{entity}/$count", params=params)
        text = response.content.decode("utf-8-sig", "replace").strip().strip('"')
        if not text.isdigit():
            raise NotODataResponse(
                "Accounting answered a count request with something other than a number — "
                f"check the publication / web server ({entity}).",
                status=response.status_code, url=_safe_url(response.request.url), method="GET",
            )
        return int(text)

    async def get_entity(
        self, entity: str, ref: str, select: str | Iterable[str] | None = None
    ) -> dict | None:
        """``Entity(guid'…')`` -> the entity, or None when 1C has no object with that key.

        Only "no such object" (404 without code, or code 9) gives None; an unknown entity set
        (code 6/8) still raises NotFound, since that is a configuration error, not absence.
        """
        path = f"{_check_entity(entity)}({lit_guid(ref)})"
        params = self._query(select=select)
        try:
            response = await self._request("GET", path, params=params)
        except NotFound as exc:
            if exc.code in (None, "9"):
                return None
            raise
        data = self._json(response, "GET", _safe_url(response.request.url))
        if not isinstance(data, dict) or "odata.error" in data:
            raise self._not_odata(response, "entity")
        return data

    # -- writes ----------------------------------------------------------------------------

    def _write_result(self, response: httpx.Response) -> dict:
        if response.status_code == 204 or not response.content.strip():
            return {}
        data = self._json(response, response.request.method, _safe_url(response.request.url))
        if not isinstance(data, dict):
            raise self._not_odata(response, "entity")
        return data

    async def create(self, entity: str, body: dict, *, idempotent: bool = False) -> dict:
        """POST a new object; returns 1C's full entity (``Ref_Key``, ``DataVersion``, …).

        Not retried unless ``idempotent=True`` (caller supplied ``Ref_Key`` and handles
        KeyExists by adopting the existing object).
        """
        response = await self._request(
            "POST", _check_entity(entity), body=body, idempotent=idempotent
        )
        return self._write_result(response)

    async def update(
        self, entity: str, ref: str, body: dict, *, if_match: str | None = None
    ) -> dict:
        """PATCH only the given fields (table parts must be sent whole); ``if_match`` is the
        ``DataVersion`` read earlier (412 -> Conflict).  Returns the updated entity, or {} if
        1C answered 204."""
        headers = {"If-Match": if_match} if if_match else None
        path = f"{_check_entity(entity)}({lit_guid(ref)})"
        response = await self._request("PATCH", path, body=body, headers=headers)
        return self._write_result(response)

    async def delete(self, entity: str, ref: str, *, if_match: str | None = None) -> None:
        """Physical deletion (1C DELETE is not "mark for deletion": PATCH DeletionMark for that)."""
        headers = {"If-Match": if_match} if if_match else None
        path = f"{_check_entity(entity)}({lit_guid(ref)})"
        await self._request("DELETE", path, headers=headers)

    async def post_document(self, entity: str, ref: str, *, operational: bool = False) -> None:
        """``POST …(guid'…')/Post?PostingModeOperational=…``.  Failures come back as 500/-1
        (BusinessError with 1C's message).  Success body is undocumented: re-read ``Posted``."""
        path = f"{_check_entity(entity)}({lit_guid(ref)})/Post"
        await self._request(
            "POST", path, params={"PostingModeOperational": lit_bool(operational)}
        )

    async def unpost_document(self, entity: str, ref: str) -> None:
        """``POST …(guid'…')/Unpost``."""
        path = f"{_check_entity(entity)}({lit_guid(ref)})/Unpost"
        await self._request("POST", path)
