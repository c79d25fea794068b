"""Plain records shared by the store, sync and screens.

They carry no behaviour beyond derived properties and never touch I/O. Ids are strings: for
objects that exist in 1C they are its ``Ref_Key`` (a uuid), for objects the CRM creates the
CRM generates the uuid up front (idempotent push, docs/architecture.md §3).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import Enum

from tui_crm.domain.invoice import InvoiceLine
from tui_crm.domain.money import ZERO, MoneyInput, to_money
from tui_crm.domain.problems import Problem
from tui_crm.domain.validation import ClientKind, normalize_phone, validate_client
from tui_crm.domain.vat import VatRate

__all__ = ["RESERVE_MARK", "SHIPMENT_MARK", "Client", "PriceType", "ProductRow", "SyncState", "Warehouse"]

# What a reservation request looks like in accounting when the CRM may not post
# (`[orders] reserve = "request"`): the unposted order's comment starts with this mark, which an
# accountant filters the orders journal by (docs/reservation.md says why a comment).
RESERVE_MARK = "#РЕЗЕРВ"

# How a shipment request from the CRM starts its Комментарий in accounting (docs/shipment.md): the
# warehouse filters its warehouse-order journal by it to see what the sales side asked for.
SHIPMENT_MARK = "#ОТГРУЗКА"



@dataclass(frozen=True, slots=True)
class Warehouse:
    """``Catalog.Склады`` element the operator can ship from."""

    id: str
    name: str


@dataclass(frozen=True, slots=True)
class PriceType:
    """``Catalog.ТипыЦенНоменклатуры``; ``includes_vat`` is its ``ЦенаВключаетНДС`` and becomes
    the invoice's ``amount_includes_vat``."""

    id: str
    name: str
    includes_vat: bool = True


@dataclass(frozen=True, slots=True)
class ProductRow:
    """One row of the product picker: a product with its free stock on the chosen warehouse
    and its price in the chosen price type (``None`` when 1C has no price for it)."""

    id: str
    code: str
    name: str
    unit: str
    free_stock: Decimal
    price: Decimal | None
    vat_rate: VatRate = VatRate.НДС20

    def __post_init__(self) -> None:
        object.__setattr__(self, "free_stock", to_money(self.free_stock))
        if self.price is not None:
            object.__setattr__(self, "price", to_money(self.price))

    @property
    def has_price(self) -> bool:
        """False when 1C has no price for this product in the chosen price type."""
        return self.price is not None

    def make_line(self, quantity: MoneyInput, discount_pct: MoneyInput = ZERO) -> InvoiceLine:
        """An invoice line for this product at its current price (``ValueError`` if unpriced)."""
        if self.price is None:
            raise ValueError(f"{self.name} has no price in this price type")
        return InvoiceLine(
            product_id=self.id,
            code=self.code,
            name=self.name,
            unit=self.unit,
            quantity=to_money(quantity),
            price=self.price,
            discount_pct=to_money(discount_pct),
            vat_rate=self.vat_rate,
        )


@dataclass(frozen=True, slots=True)
class Client:
    """A customer (``Catalog.Контрагенты`` with its contact information).

    ``phones`` are kept as entered; :attr:`normalized_phones` gives the E.164 forms used for
    search and for 1C's contact information.
    """

    id: str
    kind: ClientKind
    name: str
    full_name: str = ""
    inn: str = ""
    kpp: str = ""
    phones: tuple[str, ...] = ()
    email: str = ""
    address: str = ""
    comment: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "phones", tuple(self.phones))

    @property
    def onec_legal_form(self) -> str:
        """``ЮрФизЛицо`` value for 1C: ``"ЮрЛицо"`` or ``"ФизЛицо"``."""
        return self.kind.onec_legal_form

    @property
    def normalized_phones(self) -> tuple[str, ...]:
        """Phones in ``+79123456789`` form, unrecognisable ones left out."""
        return tuple(p for p in (normalize_phone(x) for x in self.phones) if p is not None)

    def validate(self) -> dict[str, Problem]:
        """``{field: problem}``, see :func:`tui_crm.domain.validation.validate_client`."""
        return validate_client(
            kind=self.kind,
            name=self.name,
            inn=self.inn,
            kpp=self.kpp,
            phones=self.phones,
            email=self.email,
        )


class SyncState(Enum):
    """Where a CRM-made object stands with accounting; ``.value`` is the storage key.

    LOCAL_ONLY — saved in the CRM, not queued (draft); QUEUED — in the outbox, waiting for the
    push job; IN_ACCOUNTING — 1C accepted it (it has its 1C number); FAILED — the last push
    was refused or kept failing, see the sync log; CONFLICT — accounting changed the object
    since the CRM's copy was based on it, the change waits until the operator chooses a version.
    """

    LOCAL_ONLY = "local_only"
    QUEUED = "queued"
    IN_ACCOUNTING = "in_accounting"
    FAILED = "failed"
    CONFLICT = "conflict"

    @property
    def label(self) -> str:
        """English label (the screens translate)."""
        return {
            SyncState.LOCAL_ONLY: "Local only",
            SyncState.QUEUED: "Queued",
            SyncState.IN_ACCOUNTING: "In accounting",
            SyncState.FAILED: "Failed",
            SyncState.CONFLICT: "Changed in accounting",
        }[self]
