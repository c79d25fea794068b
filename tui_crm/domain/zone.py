"""Which wall clock dates are shown and typed in.

The CRM keeps every time as naive UTC (the store's clock, `tui_crm.store.db.utcnow`). Accounting
does not: 1C reads and writes DateTime values as the 1C server's wall time, without a zone, and
an operator thinks in the same dates 1C shows. So one zone — the 1C server's
(`accounting.server_timezone`; empty: this machine's) — is used both on the wire (sync layer)
and on screen: an order 1C dated 4 December 01:30 Moscow time is kept as 3 December 22:30 UTC
and shown as 04.12.2026 again, on screen, in `status` and in `client add`/`invoice add`.

Set once per process (`set_zone`) when the settings are known; a test sets it and puts it back.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

_zone: tzinfo | None = None


def set_zone(zone: tzinfo | None) -> tzinfo | None:
    """Use ``zone`` for wall times from now on (None: this machine's); returns the old one."""
    global _zone
    old, _zone = _zone, zone
    return old


def zone() -> tzinfo | None:
    return _zone


def wall_to_utc(dt: datetime) -> datetime:
    """A naive wall time in the zone -> naive UTC."""
    try:
        local = dt.replace(tzinfo=_zone) if _zone is not None else dt.astimezone()
        return local.astimezone(UTC).replace(tzinfo=None)
    except (OverflowError, ValueError, OSError):
        return dt      # year 1 / 9999 edges: no shift is possible, keep the wall time


def utc_to_wall(dt: datetime) -> datetime:
    """Naive UTC (the CRM's clock) -> the naive wall time in the zone."""
    try:
        aware = dt.replace(tzinfo=UTC)
        return (aware.astimezone(_zone) if _zone is not None else aware.astimezone()).replace(tzinfo=None)
    except (OverflowError, ValueError, OSError):
        return dt
