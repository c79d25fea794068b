"""Domain layer of tui-crm (docs/architecture.md §2): pure Python, no I/O, nothing of ours outside it.

Money is ``Decimal`` with 1C rounding (:mod:`.money`), VAT follows 1C ``РассчитатьСуммуНДС``
(:mod:`.vat`), invoice lines and totals follow КА 1.1 (:mod:`.invoice`), paid/shipped states are
derived per docs/architecture.md §1 (:mod:`.status`), client details are checked in :mod:`.validation`,
problems are reported as codes with parameters (:mod:`.problems`; the interface words them), and
:mod:`.models` holds the records the other layers share. The most used names are re-exported.
"""

from __future__ import annotations

from tui_crm.domain.invoice import (
    Invoice,
    InvoiceLine,
    combine_discounts,
    line_amount,
    parse_discount,
    parse_document_date,
    parse_line_quantity,
    validate_invoice,
    validate_line,
)
from tui_crm.domain.models import Client, PriceType, ProductRow, SyncState, Warehouse
from tui_crm.domain.money import (
    format_money,
    format_qty,
    parse_money,
    parse_quantity,
    round_money,
    round_qty,
    to_money,
)
from tui_crm.domain.problems import Code, Problem, ValidationError
from tui_crm.domain.status import (
    LineShipment,
    OrderedLine,
    PaymentStatus,
    ShipmentStatus,
    format_percent,
    paid_share,
    payment_status,
    shipment_status,
    shipped_amount,
    shipped_by_line,
    shipped_share,
    total_paid,
)
from tui_crm.domain.validation import (
    ClientKind,
    make_valid_inn,
    normalize_phone,
    phone_search_key,
    validate_client,
    validate_email,
    validate_inn,
    validate_kpp,
)
from tui_crm.domain.vat import VatRate, vat_amount

__all__ = [
    "Client",
    "ClientKind",
    "Code",
    "Invoice",
    "InvoiceLine",
    "LineShipment",
    "OrderedLine",
    "PaymentStatus",
    "PriceType",
    "Problem",
    "ProductRow",
    "ShipmentStatus",
    "SyncState",
    "ValidationError",
    "VatRate",
    "Warehouse",
    "combine_discounts",
    "format_money",
    "format_percent",
    "format_qty",
    "line_amount",
    "make_valid_inn",
    "normalize_phone",
    "paid_share",
    "parse_discount",
    "parse_document_date",
    "parse_line_quantity",
    "parse_money",
    "parse_quantity",
    "payment_status",
    "phone_search_key",
    "round_money",
    "round_qty",
    "shipment_status",
    "shipped_amount",
    "shipped_by_line",
    "shipped_share",
    "to_money",
    "total_paid",
    "validate_client",
    "validate_email",
    "validate_inn",
    "validate_invoice",
    "validate_kpp",
    "validate_line",
    "vat_amount",
]
