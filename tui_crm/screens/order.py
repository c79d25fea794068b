"""Order view: tabs Items / Payment / Shipment for one invoice, with paid and shipped state.

Paid % is amount-based (Σ posted payments / order total), shipped % too (Σ shipped part of each
line's amount / order total; the quantities are shown per line, each in its own unit) — both
derived by `tui_crm.domain.status`, never here.
Every figure says how old it is ("as of 12 s ago", from the last successful pull) and turns
visibly stale when sync is failing. When a re-read finds a new payment or shipment while the
screen is open, a toast says so (unless the sync engine's own event already did).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import DataTable, Label, Static, TabbedContent, TabPane
from textual.worker import Worker, WorkerState

from tui_crm import messages
from tui_crm.domain.models import RESERVE_MARK, SHIPMENT_MARK
from tui_crm.domain.shipment import RequestLine, RequestState, shipped_per_product
from tui_crm.domain.status import (
    OrderedLine,
    PaymentStatus,
    ShipmentStatus,
    paid_share,
    payment_status,
    shipment_status,
    shipped_by_line,
    shipped_share,
    total_paid,
)
from tui_crm.i18n import format_age, register, tr
from tui_crm.screens.base import HostedScreen
from tui_crm.screens.forms import format_date
from tui_crm.store import InvoiceRecord, PaymentRow, ShipmentRequest, ShipmentRow, Store
from tui_crm.store.crm import OutboxItem
from tui_crm.widgets.badges import SYNC_VARIANT, Badge, sync_label
from tui_crm.widgets.columns import Col, FitTable
from tui_crm.widgets.confirm import ConfirmModal
from tui_crm.widgets.footer import CrmFooter
from tui_crm.widgets.money import money_text, qty_text, share_text
from tui_crm.widgets.status_bar import STALE_AFTER_SECONDS
from tui_crm.widgets.text import plain

if TYPE_CHECKING:
    from tui_crm.screens.shipment_request import FormLine, ShipmentRequestScreen

register(
    {
        "od.title": {"en": "Order № {number} of {date}", "ru": "Заказ № {number} от {date}"},
        "od.title_unnumbered": {
            "en": "Order of {date} (no 1C number yet)",
            "ru": "Заказ от {date} (номера 1С ещё нет)",
        },
        "od.missing": {"en": "This invoice is not in the CRM store.", "ru": "Этого счёта нет в базе CRM."},
        "od.total": {"en": "Total {total}", "ru": "Сумма {total}"},
        "od.tab_items": {"en": "Items", "ru": "Товары"},
        "od.tab_payment": {"en": "Payment", "ru": "Оплата"},
        "od.tab_shipment": {"en": "Shipment", "ru": "Отгрузка"},
        "od.posted": {"en": "🔒 Posted", "ru": "🔒 Проведён"},
        "od.not_posted": {"en": "Not posted", "ru": "Не проведён"},
        "od.paid_summary": {"en": "Paid {paid} of {total} ({share})", "ru": "Оплачено {paid} из {total} ({share})"},
        "od.left_to_pay": {"en": " · to pay {left}", "ru": " · к оплате {left}"},
        "od.overpaid_by": {"en": " · overpaid by {over}", "ru": " · переплата {over}"},
        "od.shipped_summary": {
            "en": "Shipped {share} by amount ({shipped} of {total})",
            "ru": "Отгружено {share} по сумме ({shipped} из {total})",
        },
        "od.as_of": {"en": "as of {age} ago", "ru": "данные {age} назад"},
        "od.never": {"en": "not synced with accounting yet", "ru": "ещё не синхронизировано с учётом"},
        "od.stale": {"en": " (stale: sync is failing)", "ru": " (устарело: синхронизация не проходит)"},
        "od.stale_old": {"en": " (stale)", "ru": " (устарело)"},
        "od.no_payments": {"en": "No payments against this order yet.", "ru": "Оплат по этому заказу пока нет."},
        "od.no_shipments": {
            "en": "Nothing shipped on this order yet.",
            "ru": "По этому заказу ещё ничего не отгружено.",
        },
        "od.no_sale_docs": {
            "en": "No sales documents here yet: the goods left by the shipment requests above.",
            "ru": "Документов реализации здесь пока нет: товары отгружены по заявкам выше.",
        },
        "od.not_counted": {"en": "not posted: not counted", "ru": "не проведён: не учтён"},
        "od.bank": {"en": "Bank", "ru": "Банк"},
        "od.cash": {"en": "Cash", "ru": "Касса"},
        "od.col_no": {"en": "№", "ru": "№"},
        "od.col_product": {"en": "Product", "ru": "Товар"},
        "od.col_qty": {"en": "Qty", "ru": "Кол-во"},
        "od.col_unit": {"en": "Unit", "ru": "Ед."},
        "od.col_price": {"en": "Price", "ru": "Цена"},
        "od.col_disc": {"en": "Disc.%", "ru": "Ск.%"},
        "od.col_amount": {"en": "Amount", "ru": "Сумма"},
        "od.col_vat": {"en": "VAT", "ru": "НДС"},
        "od.col_shipped": {"en": "Shipped", "ru": "Отгр."},
        "od.col_date": {"en": "Date", "ru": "Дата"},
        "od.col_number": {"en": "Number", "ru": "Номер"},
        "od.col_kind": {"en": "Bank/cash", "ru": "Банк/касса"},
        "od.col_note": {"en": "Note", "ru": "Примечание"},
        "od.col_ordered": {"en": "Ordered", "ru": "Заказано"},
        "od.col_left": {"en": "Left", "ru": "Осталось"},
        "od.col_pct": {"en": "%", "ru": "%"},
        "od.col_doc": {"en": "Document", "ru": "Документ"},
        "od.by_line": {"en": "By line", "ru": "По строкам"},
        "od.documents": {"en": "Shipment documents", "ru": "Документы отгрузки"},
        "od.payment_arrived": {
            "en": "Payment {number}: {amount} arrived for order {order}",
            "ru": "Поступила оплата {number}: {amount} по заказу {order}",
        },
        "od.shipment_arrived": {
            "en": "Shipment {number} made for order {order}",
            "ru": "Отгрузка {number} по заказу {order}",
        },
        "od.load_failed": {"en": "Could not read the order: {error}", "ru": "Не удалось прочитать заказ: {error}"},
        "od.bind_items": {"en": "Items", "ru": "Товары"},
        "od.bind_payment": {"en": "Payment", "ru": "Оплата"},
        "od.bind_shipment": {"en": "Shipment", "ru": "Отгрузка"},
        "od.bind_invoice": {"en": "Invoice", "ru": "Счёт"},
        "od.bind_refresh": {"en": "Refresh", "ru": "Обновить"},
        "od.bind_back": {"en": "Back", "ru": "Назад"},
        "od.status_not_paid": {"en": "Not paid", "ru": "Не оплачен"},
        "od.status_partially_paid": {"en": "Partially paid", "ru": "Оплачен частично"},
        "od.status_paid": {"en": "Paid", "ru": "Оплачен"},
        "od.status_overpaid": {"en": "Overpaid", "ru": "Переплата"},
        "od.status_not_shipped": {"en": "Not shipped", "ru": "Не отгружен"},
        "od.status_partially_shipped": {"en": "Partially shipped", "ru": "Отгружен частично"},
        "od.status_shipped": {"en": "Shipped", "ru": "Отгружен"},
        "od.col_reserved": {"en": "Reserved", "ru": "Резерв"},
        "od.bind_reserve": {"en": "Reserve", "ru": "Резерв"},
        "od.reserve_none": {
            "en": "Reserve: not asked (v reserves the goods)",
            "ru": "Резерв: не запрошен (v — зарезервировать товары)",
        },
        "od.reserve_queued_post": {
            "en": "Reserve: the order will be posted in accounting (queued)",
            "ru": "Резерв: заказ будет проведён в учёте (в очереди)",
        },
        "od.reserve_queued_request": {
            "en": "Reserve: request to accounting queued",
            "ru": "Резерв: запрос в бухгалтерию в очереди",
        },
        "od.reserve_failed": {"en": "Reserve failed: {error}", "ru": "Резерв не выполнен: {error}"},
        "od.reserve_posted": {
            "en": "Reserve: order posted, goods reserved",
            "ru": "Резерв: заказ проведён, товары зарезервированы",
        },
        "od.reserve_requested": {
            "en": "Reserve: requested, waiting for accounting to post the order",
            "ru": "Резерв: запрошен, ждём проведения заказа в бухгалтерии",
        },
        "od.reserve_confirm": {
            "en": "Post order {number} in accounting now? Posting reserves its goods on warehouse "
                  "{warehouse}; after it the invoice can no longer be edited in the CRM.",
            "ru": "Провести заказ {number} в учёте сейчас? Проведение зарезервирует товары на складе "
                  "{warehouse}; после этого счёт в CRM изменить будет нельзя.",
        },
        "od.reserve_confirm_title": {"en": "Reserve goods", "ru": "Резерв товаров"},
        "od.reserve_post": {"en": "Post", "ru": "Провести"},
        "od.reserve_cancel": {"en": "Cancel", "ru": "Отмена"},
        "od.reserve_sent_post": {
            "en": "The order will be posted in accounting to reserve its goods.",
            "ru": "Заказ будет проведён в учёте, товары зарезервируются.",
        },
        "od.reserve_sent_request": {
            "en": "Reservation requested: accounting sees the order marked {mark}.",
            "ru": "Резерв запрошен: в бухгалтерии заказ помечен {mark}.",
        },
        "od.reserve_refused": {"en": "Cannot reserve: {reason}", "ru": "Зарезервировать нельзя: {reason}"},
        "od.no_reserves": {
            "en": "This accounting configuration keeps no reserves: goods are not reserved, only "
                  "shipped (stock is the balance on account 41).",
            "ru": "В этой конфигурации учёта резервов нет: товары не резервируются, только "
                  "отгружаются (остаток — сальдо счёта 41).",
        },
        "od.no_reserves_state": {
            "en": "Reserve: not kept in this accounting configuration",
            "ru": "Резерв: в этой конфигурации учёта не ведётся",
        },
        "od.bind_ship": {"en": "Ship…", "ru": "Отгрузить…"},
        "od.col_requested": {"en": "Asked", "ru": "Запрош."},
        "od.col_state": {"en": "State", "ru": "Состояние"},
        "od.requests": {"en": "Shipment requests", "ru": "Заявки на отгрузку"},
        "od.no_requests": {
            "en": "No shipment requests (s asks the warehouse to ship).",
            "ru": "Заявок на отгрузку нет (s — попросить склад отгрузить).",
        },
        "od.request_queued": {"en": "queued", "ru": "в очереди"},
        "od.request_failed": {"en": "failed: {error}", "ru": "ошибка: {error}"},
        "od.request_error": {"en": "Request of {date}, accounting said: ", "ru": "Заявка от {date}, ответ учёта: "},
        "od.request_in_accounting": {"en": "in accounting, not posted", "ru": "в учёте, не проведена"},
        "od.request_shipped": {"en": "posted = shipped", "ru": "проведена = отгружено"},
        "od.request_rejected": {"en": "rejected (marked for deletion)", "ru": "отклонена (помечена на удаление)"},
        "od.ship_unavailable": {
            "en": "Shipment requests are not available for this accounting configuration yet.",
            "ru": "Заявки на отгрузку для этой конфигурации учёта пока недоступны.",
        },
        "od.ship_not_in_accounting": {
            "en": "The order is not in accounting yet: send the invoice first.",
            "ru": "Заказа ещё нет в учёте: сначала отправьте счёт.",
        },
        "od.ship_sent": {
            "en": "Shipment request queued: the warehouse gets an unposted document marked {mark} to post.",
            "ru": "Заявка на отгрузку в очереди: склад получит непроведённый документ с пометкой {mark}.",
        },
        "od.ship_refused": {"en": "Cannot request a shipment: {reason}", "ru": "Заявку отправить нельзя: {reason}"},
    }
)

_PAY_VARIANT = {
    PaymentStatus.NOT_PAID: "-muted",
    PaymentStatus.PARTIALLY_PAID: "-warn",
    PaymentStatus.PAID: "-ok",
    PaymentStatus.OVERPAID: "-info",
}
_SHIP_VARIANT = {
    ShipmentStatus.NOT_SHIPPED: "-muted",
    ShipmentStatus.PARTIALLY_SHIPPED: "-warn",
    ShipmentStatus.SHIPPED: "-ok",
}
_REQUEST_STYLE = {
    RequestState.QUEUED: "yellow",
    RequestState.FAILED: "bold red",
    RequestState.IN_ACCOUNTING: "cyan",
    RequestState.SHIPPED: "green",
    RequestState.REJECTED: "dim strike",
}
BAR_WIDTH = 30


def progress_bar(share: Decimal, width: int = BAR_WIDTH) -> Content:
    """`██████░░░░` for a share (capped at the full bar); a partial share never looks full/empty."""
    capped = min(max(share, Decimal(0)), Decimal(1))
    filled = int((capped * width).to_integral_value(rounding="ROUND_FLOOR"))
    if 0 < capped < 1:
        filled = min(max(filled, 1), width - 1)
    return Content.assemble(("█" * filled, "$success"), ("░" * (width - filled), "$panel-lighten-2"))


def format_day(value: datetime | None) -> str:
    return "—" if value is None else format_date(value)


@dataclass(frozen=True)
class OrderFacts:
    """Everything the screen shows, read in one worker (store reads only)."""

    record: InvoiceRecord | None
    client_name: str
    payments: list[PaymentRow]
    shipments: list[ShipmentRow]
    last_success: datetime | None
    reserved: dict[str, Decimal]
    reserve_request: OutboxItem | None
    warehouse_name: str
    requests: list[ShipmentRequest]
    released: list[dict[str, Decimal]]


@dataclass
class ReserveQueued(Message):
    """The reservation was queued (``refused`` is None) or refused with a plain reason."""

    mode: str
    refused: str | None

@dataclass
class ShipmentQueued(Message):
    """The shipment request was queued (``refused`` is None) or refused with a plain reason."""

    refused: str | None


@dataclass
class OrderLoaded(Message):
    facts: OrderFacts


# The tables' columns by priority (widgets/columns.py): what a line is, how many, how much and
# how much of it went out stay at 80 columns; the line number and the discount go first.
def item_columns() -> list[Col]:
    return [
        Col("no", tr("od.col_no"), 2, right=True, priority=6),
        Col("product", tr("od.col_product"), 30, min=20, grow=True),
        Col("qty", tr("od.col_qty"), 7, min=4, right=True, fit=True),
        Col("unit", tr("od.col_unit"), 4, min=3, fit=True, priority=3),
        Col("price", tr("od.col_price"), 10, min=6, right=True, fit=True, priority=2),
        Col("disc", tr("od.col_disc"), 6, min=4, right=True, fit=True, priority=5),
        Col("amount", tr("od.col_amount"), 11, min=6, right=True, fit=True),
        Col("vat", tr("od.col_vat"), 9, min=6, right=True, fit=True, priority=1),
        Col("reserved", tr("od.col_reserved"), 8, min=4, right=True, fit=True),
        Col("shipped", tr("od.col_shipped"), 9, min=4, right=True, fit=True),
    ]


def payment_columns() -> list[Col]:
    return [
        Col("date", tr("od.col_date"), 10),
        Col("number", tr("od.col_number"), 16, min=10, priority=1),
        Col("kind", tr("od.col_kind"), 10, priority=2),
        Col("amount", tr("od.col_amount"), 13, min=6, right=True, fit=True),
        Col("note", tr("od.col_note"), 24, min=10, grow=True, priority=3),
    ]


def ship_line_columns() -> list[Col]:
    return [
        Col("product", tr("od.col_product"), 34, min=16, grow=True),
        Col("ordered", tr("od.col_ordered"), 9, min=4, right=True, fit=True),
        Col("shipped", tr("od.col_shipped"), 9, min=4, right=True, fit=True),
        Col("requested", tr("od.col_requested"), 8, min=4, right=True, fit=True),
        Col("left", tr("od.col_left"), 9, min=4, right=True, fit=True, priority=1),
        Col("unit", tr("od.col_unit"), 4, min=3, fit=True, priority=2),
        Col("pct", tr("od.col_pct"), 6, min=5, right=True, fit=True),
    ]


def request_columns() -> list[Col]:
    return [
        Col("date", tr("od.col_date"), 10, priority=2),
        Col("number", tr("od.col_doc"), 12, min=8, priority=1),
        Col("state", tr("od.col_state"), 30, min=16, grow=True),
        Col("qty", tr("od.col_qty"), 9, min=4, right=True, fit=True),
    ]


def shipment_columns() -> list[Col]:
    return [
        Col("date", tr("od.col_date"), 10),
        Col("number", tr("od.col_doc"), 16, min=10, priority=1),
        Col("product", tr("od.col_product"), 34, min=16, grow=True),
        Col("qty", tr("od.col_qty"), 9, min=4, right=True, fit=True),
        Col("unit", tr("od.col_unit"), 4, min=3, fit=True, priority=2),
    ]


class OrderScreen(HostedScreen[None]):
    """One order as accounting sees it: items, payments, shipments, with their state and age."""

    CSS_PATH = "order.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "tab('items')", tr("od.bind_items"), id="order.items"),
        Binding("2", "tab('payment')", tr("od.bind_payment"), id="order.payment"),
        Binding("3", "tab('shipment')", tr("od.bind_shipment"), id="order.shipment"),
        Binding("v,f7", "reserve", tr("od.bind_reserve"), id="order.reserve", key_display="v/F7"),
        Binding("s,f9", "ship", tr("od.bind_ship"), id="order.ship", key_display="s/F9"),
        Binding("e,f4", "edit_invoice", tr("od.bind_invoice"), id="order.invoice", key_display="e/F4"),
        Binding("f5,r", "reload", tr("od.bind_refresh"), id="order.refresh", key_display="F5"),
        Binding("escape", "back", tr("od.bind_back"), id="order.back", key_display="Esc"),
    ]

    def __init__(self, store: Store, invoice_id: str) -> None:
        super().__init__()
        self.store = store
        self.invoice_id = invoice_id
        self.facts: OrderFacts | None = None
        self._seen_payments: set[str] | None = None
        self._seen_shipments: set[str] | None = None
        self._engine_announces: set[str] = set()
        self._ship_form: ShipmentRequestScreen | None = None  # the request form opened from here

    def compose(self) -> ComposeResult:
        with Horizontal(id="ord-head"):
            yield Label("", id="ord-title")
            yield Badge("", id="ord-posted")
            yield Badge("", id="ord-sync")
            yield Label("", id="ord-age")
        with Horizontal(id="ord-sub"):
            yield Label("", id="ord-client")
            yield Label("", id="ord-total")
            yield Badge("", id="ord-paid")
            yield Badge("", id="ord-shipped")
        with TabbedContent(id="ord-tabs", initial="items"):
            with TabPane(tr("od.tab_items"), id="items"):
                yield Static("", id="res-state", classes="reserve")
                yield FitTable(item_columns(), id="ord-items")
            with TabPane(tr("od.tab_payment"), id="payment"):
                yield Static("", id="pay-summary", classes="summary")
                yield Static("", id="pay-bar", classes="bar")
                yield FitTable(payment_columns(), id="ord-payments")
                yield Static("", id="pay-empty", classes="empty")
            with TabPane(tr("od.tab_shipment"), id="shipment"):
                yield Static("", id="ship-summary", classes="summary")
                yield Static("", id="ship-bar", classes="bar")
                with VerticalScroll(id="ship-tables"):
                    yield Label(tr("od.by_line"), classes="caption")
                    yield FitTable(ship_line_columns(), id="ord-ship-lines")
                    yield Label(tr("od.requests"), classes="caption")
                    yield FitTable(request_columns(), id="ord-requests")
                    yield Static("", id="req-empty", classes="empty")
                    yield Label(tr("od.documents"), classes="caption")
                    yield FitTable(shipment_columns(), id="ord-shipments")
                    yield Static("", id="ship-empty", classes="empty")
        yield self.status_bar()
        yield CrmFooter()

    def on_mount(self) -> None:
        if self.host.live_clock:
            self.set_interval(1.0, self._paint_age)
        # The live job keeps this order's state, payments and shipments fresh while it is open.
        self.host.watch_orders([self.invoice_id])
        self.action_reload()

    def on_unmount(self) -> None:
        self.host.unwatch_orders()

    # -- loading -----------------------------------------------------------------------------
    def action_reload(self) -> None:
        self._load()

    def refresh_data(self) -> None:
        """After a pull, a payment or shipment arriving, an order state change."""
        self._load()

    @work(thread=True, exclusive=True, group="order-load", exit_on_error=False)
    def _load(self) -> None:
        record = self.store.get_invoice(self.invoice_id)
        facts = OrderFacts(
            record=record,
            client_name=self.store.client_name(record.invoice.client_id if record else None),
            payments=self.store.invoice_payments(self.invoice_id),
            shipments=self._shipments(),
            last_success=self.store.last_success(),
            reserved=self.store.order_reserves(self.invoice_id),
            reserve_request=self.store.reserve_request(self.invoice_id),
            warehouse_name=next((w.name for w in self.store.warehouses()
                                 if record and w.id == record.invoice.warehouse_id), ""),
            requests=self.store.shipment_requests(self.invoice_id),
            released=self.store.released_by_order(self.invoice_id),
        )
        self.post_message(OrderLoaded(facts))

    def _shipments(self) -> list[ShipmentRow]:
        """The order's sales documents, less the CRM's own shipment requests the warehouse has
        not posted yet (УТ 11, БП 3: the request IS an unposted sale): those are listed as
        requests ("asked"), and only a posted document counts as shipped."""
        asked = {r.id for r in self.store.shipment_requests(self.invoice_id)}
        return [s for s in self.store.invoice_shipments(self.invoice_id) if s.posted or s.id not in asked]

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.group == "order-load":
            self.notify(tr("od.load_failed", error=event.worker.error), severity="error", markup=False)

    @on(messages.PaymentArrived)
    @on(messages.ShipmentArrived)
    def _engine_announces_arrivals(self, msg: messages.PaymentArrived | messages.ShipmentArrived) -> None:
        # The host toasts arrivals the engine reports; this screen then does not toast them again.
        self._engine_announces.add("payment" if isinstance(msg, messages.PaymentArrived) else "shipment")

    @on(OrderLoaded)
    def _loaded(self, msg: OrderLoaded) -> None:
        facts = msg.facts
        self._announce_new(facts)
        self.facts = facts
        self._paint()
        form = self._ship_form
        if form is not None and facts.record is not None and form in self.app.screen_stack:
            form.update_lines(self._form_lines())  # the open request form follows accounting

    def _announce_new(self, facts: OrderFacts) -> None:
        payments = {p.id for p in facts.payments if p.posted}
        shipments = {s.id for s in facts.shipments if s.posted}
        order = (facts.record.number if facts.record else "") or "—"
        if self._seen_payments is not None and "payment" not in self._engine_announces:
            for p in facts.payments:
                if p.posted and p.id not in self._seen_payments:
                    self.notify(tr("od.payment_arrived", number=p.number, amount=money_text(p.amount).plain,
                                   order=order), title=tr("od.tab_payment"), markup=False, timeout=8)
        if self._seen_shipments is not None and "shipment" not in self._engine_announces:
            for s in facts.shipments:
                if s.posted and s.id not in self._seen_shipments:
                    self.notify(tr("od.shipment_arrived", number=s.number, order=order),
                                title=tr("od.tab_shipment"), markup=False, timeout=8)
        self._seen_payments, self._seen_shipments = payments, shipments

    # -- derived figures -----------------------------------------------------------------------
    def _ordered_and_shipped(self) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
        assert self.facts is not None and self.facts.record is not None
        ordered: dict[str, Decimal] = {}
        for line in self.facts.record.invoice.lines:
            ordered[line.product_id] = ordered.get(line.product_id, Decimal(0)) + line.quantity
        sales: dict[str, Decimal] = {}
        for shipment in self.facts.shipments:
            if not shipment.posted:
                continue
            for sl in shipment.lines:
                sales[sl.product_id] = sales.get(sl.product_id, Decimal(0)) + sl.quantity
        # Posted shipment requests (warehouse orders) say the same goods left: the larger counts.
        return ordered, shipped_per_product(sales, self.facts.released)

    def _requested_by_line(self) -> dict[int, Decimal]:
        """Quantity per order line in requests the warehouse has not answered yet."""
        assert self.facts is not None
        out: dict[int, Decimal] = {}
        for req in self.facts.requests:
            if req.state.open:
                for rl in req.lines:
                    out[rl.line_no] = out.get(rl.line_no, Decimal(0)) + rl.quantity
        return out

    def _lines(self) -> list[OrderedLine[str]]:
        """The order's lines for the shipped share: product, quantity, amount as sent to 1C."""
        assert self.facts is not None and self.facts.record is not None
        return [OrderedLine(line.product_id, line.quantity, line.amount)
                for line in self.facts.record.invoice.effective_lines]

    # -- rendering ---------------------------------------------------------------------------
    def _paint(self) -> None:
        facts = self.facts
        assert facts is not None
        rec = facts.record
        title = self.query_one("#ord-title", Label)
        if rec is None:
            title.update(Text(tr("od.missing")))
            return
        date = format_day(rec.date)
        self.title = (tr("od.title", number=rec.number, date=date) if rec.number
                      else tr("od.title_unnumbered", date=date))  # F1 names the screen by it
        title.update(plain(self.title))
        self.query_one("#ord-posted", Badge).show(
            tr("od.posted") if rec.posted else tr("od.not_posted"), "-warn" if rec.posted else "-muted"
        )
        self.query_one("#ord-sync", Badge).show(sync_label(rec.sync_state), SYNC_VARIANT[rec.sync_state])
        self.query_one("#ord-client", Label).update(plain(facts.client_name or "—", "bold"))
        self.query_one("#ord-total", Label).update(tr("od.total", total=money_text(rec.total).plain))
        self._paint_items(rec)
        self._paint_payments(rec)
        self._paint_shipments(rec)
        self._paint_age()

    def _paint_items(self, rec: InvoiceRecord) -> None:
        _ordered, shipped = self._ordered_and_shipped()
        assert self.facts is not None
        reserved = dict(self.facts.reserved)
        self._paint_reserve_state(rec)
        table = self.query_one("#ord-items", FitTable)
        rows: list[tuple[dict[str, Text], str | None]] = []
        inv = rec.invoice
        keeps = self.host.keeps_reserves
        by_line = shipped_by_line(self._lines(), shipped)
        for n, (line, vat, ls) in enumerate(
            zip(inv.effective_lines, inv.line_vats(), by_line, strict=True), start=1
        ):
            got = ls.shipped
            # The register keeps one figure per product; lines of the same product take it in turn.
            res = min(reserved.get(line.product_id, Decimal(0)), line.quantity)
            reserved[line.product_id] = reserved.get(line.product_id, Decimal(0)) - res
            style = "green" if got >= line.quantity else ("yellow" if got > 0 else "dim")
            rows.append(({
                "no": Text(str(n), justify="right"), "product": plain(line.name), "qty": qty_text(line.quantity),
                "unit": plain(line.unit), "price": money_text(line.price),
                "disc": qty_text(line.discount_pct) if line.discount_pct else Text(""),
                "amount": money_text(line.amount), "vat": money_text(vat),
                "reserved": (qty_text(res, style="green" if res >= line.quantity else ("yellow" if res else "dim"))
                             if keeps else Text("—", style="dim", justify="right")),
                "shipped": qty_text(got, style=style),
            }, str(n)))
        table.set_rows(rows)

    def _paint_reserve_state(self, rec: InvoiceRecord) -> None:
        """One line above the items: where the reservation stands (from its outbox item)."""
        assert self.facts is not None
        req = self.facts.reserve_request
        style = "$text-muted"
        if not self.host.keeps_reserves:
            text = tr("od.no_reserves_state")
        elif req is not None and req.state == "failed":
            text, style = tr("od.reserve_failed", error=req.last_error or "—"), "$text-error"
        elif req is not None and req.state in ("pending", "sending", "conflict"):
            text = tr("od.reserve_queued_post" if req.action == "post" else "od.reserve_queued_request")
            if req.last_error:
                text += f" — {req.last_error}"
            style = "$text-warning"
        elif rec.posted and (req is not None or self.facts.reserved):
            text, style = tr("od.reserve_posted"), "$text-success"
        elif req is not None and req.action == "request":
            text, style = tr("od.reserve_requested"), "$text-warning"
        elif rec.posted:
            text = ""
        else:
            text = tr("od.reserve_none")
        self.query_one("#res-state", Static).update(Content.styled(text, style))

    def _paint_payments(self, rec: InvoiceRecord) -> None:
        facts = self.facts
        assert facts is not None
        posted = [p.amount for p in facts.payments if p.posted]
        paid = total_paid(posted)
        share = paid_share(rec.total, posted)
        status = payment_status(rec.total, paid)
        self.query_one("#ord-paid", Badge).show(
            f"{tr('od.status_' + status.value)} {share_text(share)}", _PAY_VARIANT[status]
        )
        summary = tr("od.paid_summary", paid=money_text(paid).plain, total=money_text(rec.total).plain,
                     share=share_text(share))
        if status is PaymentStatus.PARTIALLY_PAID or status is PaymentStatus.NOT_PAID:
            summary += tr("od.left_to_pay", left=money_text(rec.total - paid).plain)
        elif status is PaymentStatus.OVERPAID:
            summary += tr("od.overpaid_by", over=money_text(paid - rec.total).plain)
        self.query_one("#pay-summary", Static).update(
            Content.assemble((summary, "bold"), ("  ", ""), (tr("od.status_" + status.value), "$text-primary"))
        )
        self.query_one("#pay-bar", Static).update(progress_bar(share))
        payments: list[tuple[dict[str, Text], str | None]] = []
        for p in facts.payments:
            style = "" if p.posted else "dim strike"
            payments.append(({
                "date": Text(format_day(p.date), style=style), "number": plain(p.number, style),
                "kind": Text(tr("od.bank") if p.kind == "bank" else tr("od.cash"), style=style),
                "amount": money_text(p.amount, style=style),
                "note": Text("" if p.posted else tr("od.not_counted"), style="italic dim"),
            }, p.id))
        self.query_one("#ord-payments", FitTable).set_rows(payments)
        self.query_one("#pay-empty", Static).update(
            Text(tr("od.no_payments"), style="italic") if not facts.payments else ""
        )

    def _paint_shipments(self, rec: InvoiceRecord) -> None:
        facts = self.facts
        assert facts is not None
        ordered, shipped = self._ordered_and_shipped()
        by_line = shipped_by_line(self._lines(), shipped)
        share = shipped_share(self._lines(), shipped)
        status = shipment_status(ordered, shipped)
        self.query_one("#ord-shipped", Badge).show(
            f"{tr('od.status_' + status.value)} {share_text(share)}", _SHIP_VARIANT[status]
        )
        done = sum((ls.shipped_amount for ls in by_line), Decimal(0))
        self.query_one("#ship-summary", Static).update(
            Content.assemble(
                (tr("od.shipped_summary", share=share_text(share), shipped=money_text(done).plain,
                    total=money_text(rec.total).plain), "bold"),
                ("  ", ""), (tr("od.status_" + status.value), "$text-primary"),
            )
        )
        self.query_one("#ship-bar", Static).update(progress_bar(share))
        lines: list[tuple[dict[str, Text], str | None]] = []
        asked = self._requested_by_line()
        for n, (line, ls) in enumerate(zip(rec.invoice.lines, by_line, strict=True), start=1):
            style = "green" if ls.left == 0 else ("yellow" if ls.shipped > 0 else "")
            req = asked.get(n, Decimal(0))
            lines.append(({
                "product": plain(line.name or line.product_id), "ordered": qty_text(ls.ordered),
                "shipped": qty_text(ls.shipped, style=style),
                "requested": qty_text(req, style="cyan" if req else "dim"), "left": qty_text(ls.left),
                "unit": plain(line.unit),
                "pct": Text(share_text(ls.share), justify="right", style=style),
            }, str(n)))
        self.query_one("#ord-ship-lines", FitTable).set_rows(lines)
        self._paint_requests()
        docs: list[tuple[dict[str, Text], str | None]] = []
        for s in facts.shipments:
            style = "" if s.posted else "dim strike"
            for i, sl in enumerate(s.lines or ()):
                docs.append(({
                    "date": Text(format_day(s.date) if i == 0 else "", style=style),
                    "number": plain(s.number if i == 0 else "", style),
                    "product": plain(sl.name, style), "qty": qty_text(sl.quantity, style=style),
                    "unit": plain(sl.unit, style),
                }, f"{s.id}:{sl.line_no}"))
        self.query_one("#ord-shipments", FitTable).set_rows(docs)
        empty = "od.no_sale_docs" if done > 0 else "od.no_shipments"
        self.query_one("#ship-empty", Static).update(
            Text(tr(empty), style="italic") if not facts.shipments else ""
        )

    def _paint_requests(self) -> None:
        """Each shipment request with where it stands (queued … shipped, or 1C's refusal)."""
        facts = self.facts
        assert facts is not None
        rows: list[tuple[dict[str, Text], str | None]] = []
        for req in facts.requests:
            state = req.state
            style = _REQUEST_STYLE[state]
            text = (tr("od.request_failed", error=req.error or "—") if state is RequestState.FAILED
                    else tr(f"od.request_{state.value}"))
            total = sum((rl.quantity for rl in req.lines), Decimal(0))
            rows.append(({
                "date": Text(format_day(req.created_at)), "number": plain(req.number or "—"),
                "state": plain(text, style), "qty": qty_text(total),
            }, req.id))
        self.query_one("#ord-requests", FitTable).set_rows(rows)
        # The state column is cut at the table's width; 1C's refusal is written out whole below it.
        note = Text(tr("od.no_requests"), style="italic") if not facts.requests else Text()
        for req in facts.requests:
            if req.state is RequestState.FAILED and req.error:
                if note:
                    note.append("\n")
                note.append(tr("od.request_error", date=format_day(req.created_at)), style="bold red")
                note.append_text(plain(req.error, one_line=False))
        self.query_one("#req-empty", Static).update(note)

    def _paint_age(self) -> None:
        """"as of 12 s ago" from the last successful pull; stale when sync fails or data is old."""
        facts = self.facts
        label = self.query_one("#ord-age", Label)
        if facts is None:
            return
        view = self.host.sync_view
        last = view.last_success or facts.last_success
        if last is None:
            label.update(Content.styled(tr("od.never"), "$text-warning"))
            return
        age = (self.host.clock() - last).total_seconds()
        text = tr("od.as_of", age=format_age(age))
        failing = view.error is not None
        if failing:
            label.update(Content.assemble((text, "bold $text-warning"), (tr("od.stale"), "bold $text-warning")))
        elif age > STALE_AFTER_SECONDS:
            label.update(Content.assemble((text, "$text-warning"), (tr("od.stale_old"), "$text-warning")))
        else:
            label.update(Content.styled(text, "$text-muted"))

    # -- actions -----------------------------------------------------------------------------
    def action_tab(self, tab: str) -> None:
        # Setting `active` while a widget inside the old pane has focus is reverted by Textual
        # (TabPane.Focused); clear the focus first, then focus the new pane's first table.
        self.set_focus(None)
        self.query_one("#ord-tabs", TabbedContent).active = tab
        table_id = {"items": "#ord-items", "payment": "#ord-payments", "shipment": "#ord-ship-lines"}[tab]
        # No scrolling to the table: the Shipment tab scrolls (requests below the lines) and opens
        # at its top, the summary and bar in view.
        self.call_after_refresh(self.query_one(table_id, DataTable).focus, False)

    def action_reserve(self) -> None:
        """Reserve the goods: "post" asks the operator first (the order is posted in accounting
        and locked); "request" only marks the order for accounting, so it is queued at once."""
        facts = self.facts
        if facts is None or facts.record is None:
            return
        rec = facts.record
        if not self.host.keeps_reserves:
            self.notify(tr("od.no_reserves"), severity="warning", markup=False)
            return
        mode = self.host.reserve_policy
        if mode != "post":
            self._queue_reserve(mode)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._queue_reserve("post")

        self.app.push_screen(ConfirmModal(
            tr("od.reserve_confirm", number=rec.number or "—", warehouse=facts.warehouse_name or "—"),
            tr("od.reserve_post"), tr("od.reserve_cancel"), title=tr("od.reserve_confirm_title")), answered)

    @work(thread=True, group="order-reserve", exit_on_error=False)
    def _queue_reserve(self, mode: str) -> None:
        refused = self.store.request_reserve(self.invoice_id, mode)
        self.post_message(ReserveQueued(mode, refused))

    @on(ReserveQueued)
    def _reserve_queued(self, msg: ReserveQueued) -> None:
        if msg.refused is not None:
            self.notify(tr("od.reserve_refused", reason=msg.refused), severity="warning", markup=False)
            return
        self.notify(tr("od.reserve_sent_post") if msg.mode == "post"
                    else tr("od.reserve_sent_request", mark=RESERVE_MARK), markup=False)
        self.host.outbox_changed()
        self.host.push_now()
        self._load()

    def action_ship(self) -> None:
        """Open the shipment request form (docs/shipment.md); nothing is queued until the
        operator confirms there. Refused in plain words where it cannot be sent."""
        from tui_crm.screens.shipment_request import ShipmentRequestScreen

        facts = self.facts
        if facts is None or facts.record is None:
            return
        rec = facts.record
        if not self.host.sends_shipment_requests:
            self.notify(tr("od.ship_unavailable"), severity="warning", markup=False)
            return
        if not rec.number:
            self.notify(tr("od.ship_not_in_accounting"), severity="warning", markup=False)
            return
        form = ShipmentRequestScreen(rec.number, self._form_lines())
        self._ship_form = form

        def answered(wanted: dict[int, Decimal] | None) -> None:
            self._ship_form = None
            if wanted:
                self._queue_shipment(wanted)

        self.app.push_screen(form, answered)

    def _form_lines(self) -> list[FormLine]:
        """The order's lines as the shipment request form shows them, from the facts read last."""
        from tui_crm.screens.shipment_request import FormLine

        assert self.facts is not None and self.facts.record is not None
        _ordered, shipped = self._ordered_and_shipped()
        asked = self._requested_by_line()
        by_line = shipped_by_line(self._lines(), shipped)
        return [FormLine(RequestLine(n, line.product_id, ls.ordered, ls.shipped, asked.get(n, Decimal(0))),
                         line.name or line.product_id, line.unit)
                for n, (line, ls) in enumerate(zip(self.facts.record.invoice.lines, by_line, strict=True), start=1)]

    @work(thread=True, group="order-ship", exit_on_error=False)
    def _queue_shipment(self, wanted: dict[int, Decimal]) -> None:
        _rid, refused = self.store.request_shipment(self.invoice_id, wanted)
        self.post_message(ShipmentQueued(refused))

    @on(ShipmentQueued)
    def _shipment_queued(self, msg: ShipmentQueued) -> None:
        if msg.refused is not None:
            self.notify(tr("od.ship_refused", reason=msg.refused), severity="warning", markup=False)
            return
        self.notify(tr("od.ship_sent", mark=SHIPMENT_MARK), markup=False)
        self.host.outbox_changed()
        self.host.push_now()
        self._load()

    def action_edit_invoice(self) -> None:
        from tui_crm.screens.invoice import InvoiceScreen

        self.app.push_screen(InvoiceScreen(self.store, self.invoice_id))

    def action_back(self) -> None:
        self.dismiss(None)
