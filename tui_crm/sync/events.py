"""What the sync engine tells its subscribers: plain, frozen, past-tense events.

The engine knows no Textual (docs/architecture.md §2). The app subscribes once and re-posts each event as
the typed Textual message of the same name (`tui_crm.messages`), which screens handle with
`@on(...)`. Adding an event here means adding its message there; a test checks both lists match.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True)
class PullStarted:
    at: datetime


@dataclass(frozen=True)
class PullFinished:
    ok: bool
    at: datetime
    rows: int = 0
    requests: int = 0
    seconds: float = 0.0
    error: str | None = None
    jobs: tuple[str, ...] = ()


@dataclass(frozen=True)
class PushFinished:
    """An outbox run that did something: pushed items, failures (1C's message), or offline."""

    at: datetime
    pushed: tuple[tuple[str, str], ...] = ()
    failed: tuple[tuple[str, str, str], ...] = ()
    offline: str | None = None
    conflicts: tuple[tuple[str, str], ...] = ()   # (kind, object id) changed in accounting meanwhile


@dataclass(frozen=True)
class LiveRowsUpdated:
    """Stock or prices of these products (rows on screen) changed in accounting."""

    at: datetime
    warehouse_id: str
    price_type_id: str | None
    product_ids: tuple[str, ...]


@dataclass(frozen=True)
class OrdersUpdated:
    """Number/posted/deletion mark (or lines of a 1C-made order) changed for these invoices."""

    at: datetime
    invoice_ids: tuple[str, ...]


@dataclass(frozen=True)
class PaymentArrived:
    at: datetime
    invoice_id: str
    payment_id: str
    kind: str          # bank | cash
    number: str
    amount: Decimal


@dataclass(frozen=True)
class ShipmentArrived:
    at: datetime
    invoice_id: str
    shipment_id: str
    number: str


SyncEvent = (PullStarted | PullFinished | PushFinished | LiveRowsUpdated | OrdersUpdated | PaymentArrived
             | ShipmentArrived)
Subscriber = Callable[[SyncEvent], None]
