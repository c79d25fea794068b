"""The CRM's local store: one DuckDB file per OS user (docs/architecture.md §4).

`store` knows DuckDB, not Textual and not httpx. Screens and sync call typed methods here;
nobody outside this package writes SQL.
"""

from __future__ import annotations

from pathlib import Path

from tui_crm.store.accounting import (
    AccountingStore,
    OrderProgress,
    OrderState,
    PaymentRow,
    ShipmentLine,
    ShipmentRow,
)
from tui_crm.store.conflicts import ConflictRecord, ConflictStore, FieldDiff
from tui_crm.store.crm import (
    ClientRecord,
    CrmStore,
    DuplicateHit,
    InvoiceRecord,
    InvoiceSummary,
    OutboxItem,
)
from tui_crm.store.custom import CustomItem, CustomStore
from tui_crm.store.db import (
    Clock,
    Database,
    SchemaTooNew,
    StoreDamaged,
    StoreError,
    StoreLocked,
    utcnow,
)
from tui_crm.store.mirror import (
    MirrorStore,
    NamedRef,
    PickerRow,
    PriceRow,
    PriceTypeRow,
    ProductRow,
    StockRow,
    SyncRun,
    UnitRow,
    WarehouseRow,
)
from tui_crm.store.orders import OrdersStore
from tui_crm.store.outbox import OutboxStore
from tui_crm.store.shipments import (
    ShipmentRequest,
    ShipmentRequestLine,
    ShipmentRequestState,
    ShipmentStore,
)
from tui_crm.store.views import ClientRow, LookupHit, ViewsStore

__all__ = [
    "ClientRecord",
    "ClientRow",
    "Clock",
    "ConflictRecord",
    "CustomItem",
    "DuplicateHit",
    "FieldDiff",
    "InvoiceRecord",
    "InvoiceSummary",
    "LookupHit",
    "NamedRef",
    "OrderProgress",
    "OrderState",
    "OutboxItem",
    "PaymentRow",
    "PickerRow",
    "PriceRow",
    "PriceTypeRow",
    "ProductRow",
    "SchemaTooNew",
    "ShipmentLine",
    "ShipmentRequest",
    "ShipmentRequestLine",
    "ShipmentRequestState",
    "ShipmentRow",
    "StockRow",
    "Store",
    "StoreDamaged",
    "StoreError",
    "StoreLocked",
    "SyncRun",
    "UnitRow",
    "WarehouseRow",
    "utcnow",
]


class Store(MirrorStore, CrmStore, OrdersStore, ViewsStore, AccountingStore, OutboxStore, ConflictStore,
            CustomStore, ShipmentStore):
    """The typed API over the CRM file. Open with `Store.open(path)`; `None` = in memory."""

    def __init__(self, db: Database, *, clock: Clock = utcnow) -> None:
        self.db = db
        self.clock = clock

    @classmethod
    def open(cls, path: Path | str | None, *, clock: Clock = utcnow, check_later: bool = False) -> Store:
        """Open (and migrate) the file; `clock` is this process's "now" (naive UTC) for every
        timestamp the store writes and for everyone who asks the store (sync, app, status).
        ``check_later``: see `Database.open`; call `wait_checked()` before using the store."""
        db = Database.open(path, check_later=check_later)
        store = cls(db, clock=clock)
        try:
            store.close_interrupted_runs()
        except BaseException:
            try:
                db.wait_checked()  # a damaged file is said as such, not as the read that met it
            finally:
                db.close()
            raise
        return store

    def wait_checked(self) -> None:
        """Raise `StoreDamaged` if the block check left running by ``check_later`` found damage."""
        self.db.wait_checked()

    @property
    def path(self) -> Path | None:
        return self.db.path

    @property
    def schema_version(self) -> int:
        return self.db.schema_version

    def transaction(self):
        return self.db.transaction()

    def close(self) -> None:
        self.db.close()
