"""Values as 1C sends them on the wire → Python values.

Why: Int64 arrives as a JSON string, money must go through ``Decimal(str(v))`` and never a
float, and empty references / dates (all-zero guid, ``0001-01-01T00:00:00``) mean "not filled"
and become ``None``; composite attributes come as a value plus ``_Type``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from tui_crm.domain.zone import set_zone, utc_to_wall, wall_to_utc, zone
from tui_crm.sync.odata.literals import _norm_guid

EMPTY_REF = "00000000-0000-0000-0000-000000000000"
EMPTY_DATE = "0001-01-01T00:00:00"


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

# The 1C server's time zone: 1C reads and writes DateTime values as the server's wall time,
# without a zone; the CRM keeps every time as naive UTC and shows dates in the same zone
# (tui_crm.domain.zone holds it: one setting for the wire and the screens).
set_server_timezone = set_zone
server_timezone = zone
from_server_time = wall_to_utc
to_server_time = utc_to_wall


def parse_date(v: Any) -> datetime | None:
    """``"2021-12-22T17:22:08"`` -> naive UTC datetime; empty date / None / "" -> None.

    1C sends the server's wall time without a zone: it is read in the server's time zone
    (`set_server_timezone`) and turned into UTC like every other time the CRM keeps. A value
    that does carry a zone is converted from that zone.
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
    if dt.replace(tzinfo=None) == _EMPTY_DT:
        return None
    if dt.tzinfo is not None:
        try:
            return dt.astimezone(UTC).replace(tzinfo=None)
        except (OverflowError, ValueError):
            return dt.replace(tzinfo=None)
    return from_server_time(dt)


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
    if raw_type is not None and not isinstance(raw_type, str):
        raise ValueError(f"{field}_Type is not a type name: {str(raw_type)[:60]!r}")
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
