"""Invoice editor: header, lines with free stock, discounts, 1C totals, save → outbox → accounting.

The screen holds a `tui_crm.domain.Invoice` and never computes money itself: amounts, VAT and
totals come from the domain (1C rounding, Decimal only). Saving writes and queues in one store
transaction (`save_invoice(queue=True)`); the sync line then follows the push: queued → in
accounting with 1C's number → or failed with 1C's message. Once accounting posts the order the
screen is read-only (lock badge) and every refused edit says why. Nothing typed is lost: leaving
with unsaved changes asks to save, discard or stay.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.content import Content
from textual.message import Message
from textual.widgets import DataTable, Input, Label, Select, Static
from textual.worker import Worker, WorkerState

from tui_crm.domain.invoice import (
    Invoice,
    InvoiceLine,
    parse_discount,
    parse_document_date,
    validate_invoice,
)
from tui_crm.domain.models import SyncState
from tui_crm.domain.problems import ValidationError
from tui_crm.domain.zone import utc_to_wall, wall_to_utc
from tui_crm.i18n import register, tr
from tui_crm.problems import describe
from tui_crm.screens.base import HostedScreen
from tui_crm.screens.custom_fields import ExtraFieldsModal, summary
from tui_crm.screens.forms import (
    DATE_HINT,
    DateValidator,
    DiscountValidator,
    LineEditScreen,
    check_date,
    check_discount,
    format_date,
    parse_date,
)
from tui_crm.screens.picker import PickerScreen
from tui_crm.store import InvoiceRecord, NamedRef, OutboxItem, PickerRow, Store
from tui_crm.widgets.badges import SYNC_VARIANT, Badge, sync_label
from tui_crm.widgets.columns import Col, FitTable, pack
from tui_crm.widgets.confirm import Choice, ConfirmModal
from tui_crm.widgets.footer import CrmFooter
from tui_crm.widgets.limited import LimitedInput
from tui_crm.widgets.money import money_text, pct_text, qty_text, ui_lang
from tui_crm.widgets.text import clean, plain

register(
    {
        "iv.new": {"en": "New invoice", "ru": "Новый счёт"},
        "iv.title": {"en": "Invoice № {number} of {date}", "ru": "Счёт № {number} от {date}"},
        "iv.title_unnumbered": {
            "en": "Invoice of {date} (no 1C number yet)",
            "ru": "Счёт от {date} (номера 1С ещё нет)",
        },
        "iv.client": {"en": "Client", "ru": "Клиент"},
        "iv.no_client": {
            "en": "— none: open the invoice from a client card —",
            "ru": "— не выбран: откройте счёт из карточки клиента —",
        },
        "iv.warehouse": {"en": "Warehouse", "ru": "Склад"},
        "iv.price_type": {"en": "Price type", "ru": "Тип цен"},
        "iv.date": {"en": "Date", "ru": "Дата"},
        "iv.discount": {"en": "Disc. %", "ru": "Скидка %"},
        "iv.comment": {"en": "Comment", "ru": "Комментарий"},
        "iv.no_lines": {
            "en": "No lines yet: press a or Insert to add products.",
            "ru": "Строк пока нет: a или Insert — подбор товаров.",
        },
        "iv.totals": {
            "en": "Lines {count} · before discounts {gross} · discounts {discount} · VAT {vat} · ",
            "ru": "Строк {count} · без скидок {gross} · скидки {discount} · НДС {vat} · ",
        },
        "iv.totals_on_top": {
            "en": "Lines {count} · amount {amount} · discounts {discount} · VAT on top {vat} · ",
            "ru": "Строк {count} · сумма {amount} · скидки {discount} · НДС сверху {vat} · ",
        },
        "iv.total": {"en": "Total {total}", "ru": "Итого {total}"},
        "iv.doc_discount_note": {
            "en": "* line discount combined with the invoice discount {pct} % (as 1C computes it)",
            "ru": "* скидка строки вместе со скидкой на счёт {pct} % (как считает 1С)",
        },
        "iv.over_free": {
            "en": "⚠ {count} line(s) above free stock on this warehouse: allowed, accounting may not reserve it.",
            "ru": "⚠ Строк сверх свободного остатка на складе: {count}. Можно, но учёт может не зарезервировать.",
        },
        "iv.over_stock": {
            "en": "⚠ {count} line(s) above the stock on this warehouse: allowed, but accounting keeps no "
                  "reserves (БП 3): nothing is set aside for this invoice.",
            "ru": "⚠ Строк сверх остатка на складе: {count}. Можно, но учёт не ведёт резервов (БП 3): "
                  "под этот счёт ничего не откладывается.",
        },
        "iv.locked": {"en": "🔒 Posted", "ru": "🔒 Проведён"},
        "iv.locked_note": {
            "en": "Read-only: accounting has posted this order. To change it, accounting must unpost it first.",
            "ru": (
                "Только просмотр: заказ проведён в учёте. "
                "Чтобы изменить, бухгалтерия должна сначала отменить проведение."
            ),
        },
        "iv.refused": {
            "en": (
                "Not changed: accounting has posted order № {number}, so it is read-only here. "
                "Ask accounting to unpost it."
            ),
            "ru": (
                "Не изменено: заказ № {number} проведён в учёте и здесь только для просмотра. "
                "Попросите бухгалтерию отменить проведение."
            ),
        },
        "iv.dirty": {"en": "● unsaved changes", "ru": "● есть несохранённые изменения"},
        "iv.saved": {
            "en": "Invoice saved and queued for accounting.",
            "ru": "Счёт сохранён и поставлен в очередь в учёт.",
        },
        "iv.save_failed": {"en": "Could not save: {error}", "ru": "Не удалось сохранить: {error}"},
        "iv.cannot_save": {"en": "Not saved: {problems}", "ru": "Не сохранено: {problems}"},
        "iv.not_saved_yet": {"en": "Save the invoice first (F2).", "ru": "Сначала сохраните счёт (F2)."},
        "iv.became_posted": {
            "en": "Accounting posted this order: it is read-only now.",
            "ru": "Учёт провёл этот заказ: теперь он только для просмотра.",
        },
        "iv.became_posted_unsaved": {
            "en": "Accounting posted this order while you were editing it: it is read-only now and your "
                  "unsaved changes were not saved. The screen shows the order as accounting posted it.",
            "ru": "Учёт провёл этот заказ, пока вы его редактировали: теперь он только для просмотра, "
                  "несохранённые изменения не сохранены. На экране заказ в том виде, в каком его провёл учёт.",
        },
        "iv.line_gone": {
            "en": "Line {n} ({name}) changed in accounting while you edited it: quantity {qty}, discount "
                  "{disc} % not applied. Check the lines and edit it again.",
            "ru": "Строка {n} ({name}) изменилась в учёте, пока вы её редактировали: количество {qty}, "
                  "скидка {disc} % не применены. Проверьте строки и измените её снова.",
        },
        "iv.repriced": {
            "en": "Prices of {count} line(s) taken from the price type {name}.",
            "ru": "Цены строк ({count}) взяты из типа цен «{name}».",
        },
        "iv.no_warehouse": {
            "en": "Choose a warehouse first: the picker shows its free stock.",
            "ru": "Сначала выберите склад: подбор показывает его свободные остатки.",
        },
        "iv.line_deleted": {"en": "Line {n} deleted: {name}", "ru": "Строка {n} удалена: {name}"},
        "iv.sync_local_only": {
            "en": "Not in accounting yet: F2 saves it and queues it.",
            "ru": "Ещё не в учёте: F2 сохранит и поставит в очередь.",
        },
        "iv.sync_unsaved_new": {"en": "New invoice: not saved yet.", "ru": "Новый счёт: ещё не сохранён."},
        "iv.sync_queued": {"en": "Queued: waiting to be sent to accounting.", "ru": "В очереди: ждёт отправки в учёт."},
        "iv.sync_sending": {"en": "Sending to accounting… {step}", "ru": "Отправляется в учёт… {step}"},
        "iv.sync_retrying": {
            "en": "Queued: attempt {attempts} failed ({error}); next try at {at}.",
            "ru": "В очереди: попытка {attempts} не удалась ({error}); следующая в {at}.",
        },
        "iv.sync_in_accounting": {"en": "In accounting as № {number}.", "ru": "В учёте под № {number}."},
        "iv.sync_in_accounting_posted": {
            "en": "In accounting as № {number}, posted.",
            "ru": "В учёте под № {number}, проведён.",
        },
        "iv.sync_failed": {"en": "Accounting refused it: {error}", "ru": "Учёт отказал: {error}"},
        "iv.bind_compare": {"en": "Compare with 1C", "ru": "Сравнить с 1С"},
        "iv.nothing_to_compare": {"en": "Nothing to compare: this invoice is not saved yet and no change of it "
                                        "waits for a choice.",
                                  "ru": "Сравнивать нечего: счёт ещё не записан, и выбора ничто не ждёт."},
        "iv.sync_conflict": {
            "en": "Accounting changed this order meanwhile; your change is not sent. F11: compare and choose.",
            "ru": "В учёте этот заказ изменили; ваше изменение не отправлено. F11 — сравнить и выбрать.",
        },
        "iv.sync_failed_hint": {
            "en": " (sync log: details, retry)",
            "ru": " (журнал обмена: подробности, повтор)",
        },
        "iv.badge_sending": {"en": "Sending…", "ru": "Отправка…"},
        "iv.col_no": {"en": "№", "ru": "№"},
        "iv.col_product": {"en": "Product", "ru": "Товар"},
        "iv.col_qty": {"en": "Qty", "ru": "Кол-во"},
        "iv.col_unit": {"en": "Unit", "ru": "Ед."},
        "iv.col_price": {"en": "Price", "ru": "Цена"},
        "iv.col_disc": {"en": "Disc.%", "ru": "Ск.%"},
        "iv.col_amount": {"en": "Amount", "ru": "Сумма"},
        "iv.col_vat_rate": {"en": "VAT%", "ru": "НДС%"},
        "iv.col_vat": {"en": "VAT", "ru": "НДС"},
        "iv.col_free": {"en": "Free", "ru": "Своб."},
        "iv.bind_add_products": {"en": "Add products", "ru": "Подбор"},
        "iv.bind_extra": {"en": "Extra fields", "ru": "Доп. реквизиты"},
        "iv.extra_title": {"en": "Extra fields of the invoice", "ru": "Дополнительные реквизиты счёта"},
        "iv.extra_none": {"en": "x: extra fields", "ru": "x — доп. реквизиты"},
        "iv.bind_edit_line": {"en": "Edit line", "ru": "Изменить"},
        "iv.bind_delete_line": {"en": "Delete line", "ru": "Удалить"},
        "iv.bind_save": {"en": "Save", "ru": "Сохранить"},
        "iv.bind_order": {"en": "Order view", "ru": "Заказ"},
        "iv.bind_back": {"en": "Back", "ru": "Назад"},
        "iv.bind_lines": {"en": "Lines", "ru": "Строки"},
        "iv.bind_reprice": {"en": "Re-price", "ru": "Обновить цены"},
        "iv.price_changed": {
            "en": "⚠ Accounting changed the price of {count} line(s), e.g. {name}: {old} → {new}. r re-prices.",
            "ru": "⚠ Учёт изменил цену строк: {count}, напр. {name}: {old} → {new}. r — обновить цены.",
        },
        "iv.repriced_live": {
            "en": "Prices of {count} line(s) updated to accounting's current prices.",
            "ru": "Цены строк ({count}) обновлены по текущим ценам учёта.",
        },
        "iv.prices_current": {
            "en": "All lines already have accounting's current prices.",
            "ru": "Цены всех строк уже совпадают с ценами учёта.",
        },
        "iv.unsaved_title": {"en": "Unsaved changes", "ru": "Несохранённые изменения"},
        "iv.unsaved_text": {
            "en": "This invoice has changes that are not saved.",
            "ru": "В счёте есть несохранённые изменения.",
        },
        "iv.unsaved_save": {"en": "Save and close", "ru": "Сохранить"},
        "iv.unsaved_discard": {"en": "Discard", "ru": "Не сохранять"},
        "iv.unsaved_keep": {"en": "Keep editing", "ru": "Продолжить"},
    }
)

# Below this many columns the header fields take two rows (the comment gets its own).
NARROW = 100


class Parts:
    """Styled pieces of one Static's text; styles may use theme variables (`$text-warning`)."""

    def __init__(self) -> None:
        self._parts: list[tuple[str, str]] = []

    def append(self, text: str, style: str = "") -> None:
        self._parts.append((text, style))

    def __bool__(self) -> bool:
        return bool(self._parts)

    def content(self) -> Content:
        return Content.assemble(*self._parts)


# -- messages --------------------------------------------------------------------------------
@dataclass
class InvoiceLoaded(Message):
    """Everything the screen shows, read in one worker."""

    record: InvoiceRecord | None
    client_name: str
    warehouses: list[NamedRef]
    price_types: list[NamedRef]
    outbox: OutboxItem | None
    full: bool  # False: a refresh that must not overwrite unsaved edits
    custom: dict[str, Any] = field(default_factory=dict)  # company-specific values (stored JSON)
    item_names: dict[str, str] = field(default_factory=dict)  # their catalog items' names


@dataclass
class StockLoaded(Message):
    warehouse_id: str | None
    rows: dict[str, PickerRow]


@dataclass
class InvoiceSaved(Message):
    """The invoice is in the store and in the outbox (past tense: it happened)."""

    invoice_id: str


@dataclass
class InvoiceSaveRefused(Message):
    invoice_id: str
    reason: str


@dataclass
class CompareFound(Message):
    """What F11 compares: ``kind`` ("invoice" or "client") and its id, or None: nothing waits."""

    kind: str | None
    object_id: str


@dataclass
class LinesRepriced(Message):
    price_type_id: str | None
    rows: dict[str, PickerRow]
    includes_vat: bool


# -- the screen ------------------------------------------------------------------------------
class InvoiceScreen(HostedScreen[None]):
    """Write or view one invoice. `invoice_id=None` starts a new one for `client_id`."""

    CSS_PATH = "invoice.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a,insert", "add_products", tr("iv.bind_add_products"), id="invoice.add", key_display="a/Ins"),
        Binding("e,f4", "edit_line", tr("iv.bind_edit_line"), id="invoice.edit-line", key_display="e/F4"),
        Binding("delete,f8", "delete_line", tr("iv.bind_delete_line"), id="invoice.delete-line", key_display="Del/F8"),
        Binding("f2,alt+s", "save", tr("iv.bind_save"), id="invoice.save", key_display="F2"),
        Binding("o,f6", "open_order", tr("iv.bind_order"), id="invoice.order", key_display="o/F6"),
        Binding("f11,alt+c", "compare", tr("iv.bind_compare"), show=False, id="invoice.compare"),
        Binding("x,alt+x", "extra_fields", tr("iv.bind_extra"), show=False, id="invoice.extra", key_display="x"),
        Binding("f7", "focus_discount", tr("iv.discount"), show=False, id="invoice.discount"),
        Binding("f3", "focus_lines", tr("iv.bind_lines"), show=False, id="invoice.lines"),
        Binding("r,f9", "reprice_lines", tr("iv.bind_reprice"), show=False, id="invoice.reprice", key_display="r/F9"),
        Binding("escape", "close", tr("iv.bind_back"), id="invoice.close", key_display="Esc"),
    ]

    def __init__(self, store: Store, invoice_id: str | None = None, client_id: str | None = None) -> None:
        super().__init__()
        self.store = store
        self.is_new = invoice_id is None
        # The 1C Ref_Key is chosen now, before the first push (idempotent push, docs/architecture.md §3).
        self.invoice_id = invoice_id or str(uuid.uuid4())
        self.invoice = Invoice(client_id=client_id)
        self.record: InvoiceRecord | None = None
        self.outbox: OutboxItem | None = None
        self.client_name = ""
        self.date: datetime | None = None
        self.dirty = False
        # The header's texts as last filled or saved: text typed since (even text that is not
        # a date or a percent yet) is unsaved work that a refresh must not overwrite.
        self._header_texts: dict[str, str] = {}
        self._saving_snapshot: tuple[Invoice, datetime, dict[str, Any], dict[str, str]] | None = None
        self.stock: dict[str, PickerRow] = {}
        self._warehouses: list[NamedRef] = []
        self._price_types: list[NamedRef] = []
        self._saving = False
        self._close_after_save = False
        self.custom_values: dict[str, Any] = {}   # company-specific fields (stored JSON)
        self._item_names: dict[str, str] = {}

    # -- layout ------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        with Horizontal(id="inv-head"):
            yield Label("", id="inv-title")
            yield Badge("", id="inv-lock")
            yield Badge("", id="inv-sync")
            yield Label("", id="inv-dirty")
        with Horizontal(id="inv-client-row"):
            yield Label(tr("iv.client") + ":", id="inv-client-label")
            yield Label("", id="inv-client")
            if self.host.custom_fields.invoice:
                yield Label("", id="inv-extra")
        with Horizontal(id="inv-fields"):
            warehouse = Select[str]([], prompt=tr("iv.warehouse"), id="inv-warehouse", allow_blank=True)
            warehouse.border_title = tr("iv.warehouse")
            yield warehouse
            price_type = Select[str]([], prompt=tr("iv.price_type"), id="inv-price-type", allow_blank=True)
            price_type.border_title = tr("iv.price_type")
            yield price_type
            date = Input(id="inv-date", validators=[DateValidator()], placeholder=DATE_HINT[ui_lang()])
            date.border_title = tr("iv.date")
            yield date
            discount = Input(id="inv-discount", validators=[DiscountValidator("invoice_discount")], placeholder="0")
            discount.border_title = tr("iv.discount")
            yield discount
            comment = LimitedInput(id="inv-comment", max_length=500)
            comment.border_title = tr("iv.comment")
            yield comment
        yield Static("", id="inv-problem", classes="form-problem -error")
        yield FitTable(self.columns(), id="inv-lines")
        yield Static("", id="inv-totals")
        yield Static("", id="inv-notes")
        yield Static("", id="inv-syncline")
        yield self.status_bar()
        yield CrmFooter()

    def on_mount(self) -> None:
        self.set_class(self.app.size.width < NARROW, "-narrow")
        self.query_one("#inv-lines", FitTable).focus()
        self._load(full=True)

    @staticmethod
    def columns() -> list[Col]:
        """By priority (widgets/columns.py): product, quantity and amount always; then price, VAT,
        free stock, unit, discount; the VAT rate and the line number go first when narrow."""
        return [
            Col("no", tr("iv.col_no"), 2, right=True, priority=9),
            Col("product", tr("iv.col_product"), 26, min=18, grow=True),
            Col("qty", tr("iv.col_qty"), 7, min=4, right=True, fit=True),
            Col("unit", tr("iv.col_unit"), 4, min=3, fit=True, priority=4),
            Col("price", tr("iv.col_price"), 9, min=6, right=True, fit=True, priority=1),
            Col("disc", tr("iv.col_disc"), 6, min=4, right=True, fit=True, priority=5),
            Col("amount", tr("iv.col_amount"), 10, min=6, right=True, fit=True),
            Col("vat_rate", tr("iv.col_vat_rate"), 5, min=4, right=True, priority=8),
            Col("vat", tr("iv.col_vat"), 8, min=6, right=True, fit=True, priority=2),
            Col("free", tr("iv.col_free"), 8, min=4, right=True, fit=True, priority=3),
        ]

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.width < NARROW, "-narrow")
        self._paint_totals()

    def on_unmount(self) -> None:
        self.host.unwatch_products(self)

    def on_screen_resume(self) -> None:
        # Back from the picker or the order view: watch this invoice's products again.
        self._watch_lines()

    # -- loading -----------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="invoice-load", exit_on_error=False)
    def _load(self, full: bool) -> None:
        record = self.store.get_invoice(self.invoice_id)
        client_id = record.invoice.client_id if record else self.invoice.client_id
        custom = self.store.invoice_custom_values(self.invoice_id) if record else {}
        self.post_message(
            InvoiceLoaded(
                record=record,
                client_name=self.store.client_name(client_id),
                warehouses=self.store.warehouses(),
                price_types=self.store.price_types(),
                outbox=self.store.outbox_state("invoice", self.invoice_id),
                full=full,
                custom=custom,
                item_names=self.store.custom_item_names(v for v in custom.values() if isinstance(v, str)),
            )
        )

    @on(InvoiceLoaded)
    def _loaded(self, msg: InvoiceLoaded) -> None:
        was_locked = self.locked
        had_edits = self.unsaved
        self.record = msg.record
        self.outbox = msg.outbox
        self.client_name = msg.client_name
        self._warehouses, self._price_types = msg.warehouses, msg.price_types
        # Posted meanwhile: the edits can no longer be saved, so the screen shows what
        # accounting posted (and says so below) rather than edits under a 🔒 badge.
        refill = msg.full or not had_edits or (self.locked and not was_locked)
        if msg.record is not None and refill:
            self.custom_values, self._item_names = msg.custom, msg.item_names
            self.invoice = msg.record.invoice
            self.date = msg.record.date
            self.is_new = False
        if self.date is None:
            self.date = self.host.clock()
        if self.invoice.warehouse_id is None and msg.warehouses:
            self.invoice = replace(self.invoice, warehouse_id=msg.warehouses[0].id)
        if self.invoice.price_type_id is None and msg.price_types:
            pt = msg.price_types[0].id
            self.invoice = replace(
                self.invoice, price_type_id=pt, amount_includes_vat=self.store.price_type_includes_vat(pt)
            )
        if refill:
            if self.locked:
                self.dirty = False
            self._fill_header()
        self._paint_all()
        self._load_stock()
        if self.locked and not was_locked and not msg.full:
            if had_edits:
                self.notify(tr("iv.became_posted_unsaved"), severity="error", timeout=20)
            else:
                self.notify(tr("iv.became_posted"), severity="warning")

    def _fill_header(self) -> None:
        with self.prevent(Select.Changed, Input.Changed):
            warehouse = self.query_one("#inv-warehouse", Select)
            warehouse.set_options([(plain(r.name), r.id) for r in self._warehouses])
            if self.invoice.warehouse_id in {r.id for r in self._warehouses}:
                warehouse.value = self.invoice.warehouse_id
            price_type = self.query_one("#inv-price-type", Select)
            price_type.set_options([(plain(r.name), r.id) for r in self._price_types])
            if self.invoice.price_type_id in {r.id for r in self._price_types}:
                price_type.value = self.invoice.price_type_id
            assert self.date is not None
            self.query_one("#inv-date", Input).value = format_date(self.date)
            pct = self.invoice.document_discount_pct
            self.query_one("#inv-discount", Input).value = pct_text(pct).plain if pct else ""
            # An Input draws its value as is: 1C's comment goes in cleaned (the invoice keeps
            # the original until the operator edits it).
            self.query_one("#inv-comment", Input).value = clean(self.invoice.comment)
        self._header_texts = self._typed_header()
        locked = self.locked
        for selector in ("#inv-warehouse", "#inv-price-type", "#inv-date", "#inv-discount", "#inv-comment"):
            widget = self.query_one(selector)
            if locked and widget.has_focus:  # posted while typed into: the lines keep the keys
                self.query_one("#inv-lines", FitTable).focus()
            widget.disabled = locked

    @work(thread=True, exclusive=True, group="invoice-stock", exit_on_error=False)
    def _load_stock(self) -> None:
        warehouse_id = self.invoice.warehouse_id
        ids = [line.product_id for line in self.invoice.lines]
        rows = self.store.picker_rows_for(warehouse_id, self.invoice.price_type_id, ids)
        self.post_message(StockLoaded(warehouse_id, rows))

    @on(StockLoaded)
    def _stock_loaded(self, msg: StockLoaded) -> None:
        if msg.warehouse_id != self.invoice.warehouse_id:
            return  # the warehouse changed since: a newer read is on its way
        self.stock = msg.rows
        self._paint_lines()
        self._paint_notes()
        self._watch_lines()

    def _watch_lines(self) -> None:
        """Keep the lines' stock and prices live while the invoice can still change."""
        ids = [line.product_id for line in self.invoice.lines] if not self.locked else []
        self.host.watch_products(self, self.invoice.warehouse_id, self.invoice.price_type_id, ids)

    def refresh_data(self) -> None:
        """Re-read sync state, posted flag and stock (after a pull, a push, an order change)."""
        self._load(full=False)

    def live_rows_changed(self) -> None:
        """The live job wrote new stock/prices: re-read the lines' rows (prices compared there)."""
        self._load_stock()

    def _typed_header(self) -> dict[str, str]:
        return {selector: self.query_one(selector, Input).value
                for selector in ("#inv-date", "#inv-discount", "#inv-comment")}

    @property
    def unsaved(self) -> bool:
        """An edit not saved yet: a changed invoice, or header text typed since it was filled
        or saved (a half-typed date is not a date yet, but it is the operator's typing)."""
        return self.dirty or (bool(self._header_texts) and self._typed_header() != self._header_texts)

    def has_unsaved_changes(self) -> bool:
        return self.unsaved and not self.locked

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.group and event.worker.group.startswith("invoice"):
            self._saving = False
            self._saving_snapshot = None
            self.notify(tr("iv.save_failed", error=event.worker.error), severity="error", markup=False)

    # -- state -------------------------------------------------------------------------------
    @property
    def locked(self) -> bool:
        return self.record is not None and self.record.posted

    def _refuse_if_locked(self) -> bool:
        if self.locked:
            assert self.record is not None
            self.notify(tr("iv.refused", number=self.record.number or "—"), severity="warning",
                        title="🔒", markup=False)
            return True
        return False

    def _set_invoice(self, invoice: Invoice) -> None:
        self.invoice = invoice
        self.dirty = True
        self._paint_all()

    # -- rendering ---------------------------------------------------------------------------
    def _paint_all(self) -> None:
        self._paint_head()
        self._paint_lines()
        self._paint_totals()
        self._paint_notes()
        self._paint_sync()

    def _paint_head(self) -> None:
        rec = self.record
        date = format_date(self.date) if self.date else ""
        if rec is None:
            title = tr("iv.new")
        elif rec.number:
            title = tr("iv.title", number=rec.number, date=date)
        else:
            title = tr("iv.title_unnumbered", date=date)
        self.title = title  # F1 names the screen by it
        self.query_one("#inv-title", Label).update(plain(title))
        self.query_one("#inv-lock", Badge).show(tr("iv.locked") if self.locked else "", "-warn")
        state, variant = self._sync_badge()
        self.query_one("#inv-sync", Badge).show(state, variant)
        self.query_one("#inv-dirty", Label).update(Text(tr("iv.dirty")) if self.unsaved else "")
        client = self.query_one("#inv-client", Label)
        if self.client_name:
            client.update(plain(self.client_name, "bold"))
        else:
            client.update(Text(tr("iv.no_client"), style="italic"))
        specs = self.host.custom_fields.invoice
        if specs:
            extra = summary(specs, self.custom_values, self._item_names)
            self.query_one("#inv-extra", Label).update(extra or Text(tr("iv.extra_none"), style="dim"))

    def _sync_badge(self) -> tuple[str, str]:
        rec = self.record
        if rec is None:
            return "", "-muted"
        if rec.sync_state is SyncState.QUEUED and self.outbox is not None and self.outbox.state == "sending":
            return tr("iv.badge_sending"), "-info"
        return sync_label(rec.sync_state), SYNC_VARIANT[rec.sync_state]

    def _paint_lines(self) -> None:
        table = self.query_one("#inv-lines", FitTable)
        inv = self.invoice
        doc_pct = inv.document_discount_pct
        rows: list[tuple[dict[str, Text], str | None]] = []
        for n, (line, effective, vat) in enumerate(
            zip(inv.lines, inv.effective_lines, inv.line_vats(), strict=True), start=1
        ):
            if doc_pct:
                disc = pct_text(effective.discount_pct)
                disc.append("*")
            else:
                disc = pct_text(line.discount_pct)
            rows.append(({
                "no": Text(str(n), justify="right"),
                "product": plain(line.name),
                "qty": qty_text(line.quantity),
                "unit": plain(line.unit),
                "price": self._price_cell(line),
                "disc": disc,
                "amount": money_text(effective.amount),
                "vat_rate": Text(line.vat_rate.label, justify="right"),
                "vat": money_text(vat),
                "free": self._free_cell(line),
            }, f"{n}"))
        table.set_rows(rows)

    def _price_cell(self, line: InvoiceLine) -> Text:
        if self._new_price(line) is not None:
            return money_text(line.price, style="bold yellow")
        return money_text(line.price)

    def _new_price(self, line: InvoiceLine) -> Decimal | None:
        """Accounting's current price of the line's product when it differs from the line's."""
        if self.locked:
            return None
        row = self.stock.get(line.product_id)
        if row is None or row.price is None or row.price == line.price:
            return None
        return row.price

    def _free_cell(self, line: InvoiceLine) -> Text:
        """The free stock of the line's product; ⚠ when the line asks for more, while it can still
        change. A posted order gets no warning: accounting has already reserved what it could for
        it (that reserve is part of `reserved`, so comparing with free stock counted the order
        against itself), shipped goods have left the warehouse, and the operator can change
        nothing on it anyway (issue 11, item 9)."""
        row = self.stock.get(line.product_id)
        if row is None:
            return Text("—", justify="right", style="dim")
        if line.quantity > row.free_stock and not self.locked:
            return Text("⚠ " + qty_text(row.free_stock).plain, justify="right", style="bold yellow")
        return qty_text(row.free_stock, style="dim")

    def _paint_totals(self) -> None:
        inv = self.invoice
        count = len(inv.lines)
        if inv.amount_includes_vat:
            figures = tr("iv.totals", count=count, gross=money_text(inv.gross_total).plain,
                         discount=money_text(inv.discount_total).plain, vat=money_text(inv.vat_total).plain)
        else:
            figures = tr("iv.totals_on_top", count=count, amount=money_text(inv.amount_total).plain,
                         discount=money_text(inv.discount_total).plain, vat=money_text(inv.vat_total).plain)
        totals = self.query_one("#inv-totals", Static)
        # Broken only between figures, never inside one ("Total 3 816.63" stays whole), the total last.
        pieces = [(piece, "") for piece in figures.split(" · ") if piece.strip()]
        pieces.append((tr("iv.total", total=money_text(inv.total).plain), "bold"))
        width = totals.size.width or self.app.size.width - 2
        text = Parts()
        for n, line in enumerate(pack(pieces, width, " · ")):
            if n:
                text.append("\n")
            for k, (piece, style) in enumerate(line):
                if k:
                    text.append(" · ")
                text.append(piece, style)
        totals.update(text.content())

    def _paint_notes(self) -> None:
        notes = Parts()
        inv = self.invoice
        if self.locked:
            notes.append(tr("iv.locked_note"), style="bold")
        elif not inv.lines:
            notes.append(tr("iv.no_lines"), style="italic")
        else:
            over = sum(
                1 for line in inv.lines
                if (row := self.stock.get(line.product_id)) is not None and line.quantity > row.free_stock
            )
            if over:
                key = "iv.over_free" if self.host.keeps_reserves else "iv.over_stock"
                notes.append(tr(key, count=over), style="$text-warning")
            changed = [(line, new) for line in inv.lines if (new := self._new_price(line)) is not None]
            if changed:
                if notes:
                    notes.append("\n")
                line, new = changed[0]
                notes.append(tr("iv.price_changed", count=len(changed), name=line.name,
                                old=money_text(line.price).plain, new=money_text(new).plain),
                             style="bold $text-warning")
            if inv.document_discount_pct:
                if notes:
                    notes.append("\n")
                notes.append(tr("iv.doc_discount_note", pct=pct_text(inv.document_discount_pct).plain),
                             style="dim")
        self.query_one("#inv-notes", Static).update(notes.content())

    def _paint_sync(self) -> None:
        rec, box = self.record, self.outbox
        text = Parts()
        if rec is None:
            text.append(tr("iv.sync_unsaved_new"), style="dim")
        elif rec.sync_state is SyncState.IN_ACCOUNTING:
            key = "iv.sync_in_accounting_posted" if rec.posted else "iv.sync_in_accounting"
            text.append(tr(key, number=rec.number or "—"), style="$text-success")
        elif rec.sync_state is SyncState.FAILED:
            text.append(tr("iv.sync_failed", error=rec.sync_error or (box.last_error if box else "") or "?"),
                        style="bold $text-error")
            text.append(tr("iv.sync_failed_hint"), style="dim")
        elif rec.sync_state is SyncState.CONFLICT:
            text.append(tr("iv.sync_conflict"), style="bold $text-warning")
        elif rec.sync_state is SyncState.QUEUED:
            if box is not None and box.state == "sending":
                text.append(tr("iv.sync_sending", step=box.step or ""), style="$text-primary")
            elif box is not None and box.attempts > 0 and box.last_error:
                text.append(tr("iv.sync_retrying", attempts=box.attempts, error=box.last_error,
                               at=box.next_attempt_at.strftime("%H:%M:%S")), style="$text-warning")
            else:
                text.append(tr("iv.sync_queued"), style="$text-primary")
        else:
            text.append(tr("iv.sync_local_only"), style="dim")
        self.query_one("#inv-syncline", Static).update(text.content())

    # -- header edits ------------------------------------------------------------------------
    @on(Select.Changed, "#inv-warehouse")
    def _warehouse_changed(self, event: Select.Changed) -> None:
        value = event.value if isinstance(event.value, str) else None
        if value == self.invoice.warehouse_id:
            return
        self._set_invoice(replace(self.invoice, warehouse_id=value))
        self.stock = {}
        self._load_stock()

    @on(Select.Changed, "#inv-price-type")
    def _price_type_changed(self, event: Select.Changed) -> None:
        value = event.value if isinstance(event.value, str) else None
        if value == self.invoice.price_type_id:
            return
        self._set_invoice(replace(self.invoice, price_type_id=value))
        self._reprice(value)

    @work(thread=True, exclusive=True, group="invoice-reprice", exit_on_error=False)
    def _reprice(self, price_type_id: str | None) -> None:
        rows = self.store.picker_rows_for(
            self.invoice.warehouse_id, price_type_id, [line.product_id for line in self.invoice.lines]
        )
        self.post_message(LinesRepriced(price_type_id, rows, self.store.price_type_includes_vat(price_type_id)))

    @on(LinesRepriced)
    def _repriced(self, msg: LinesRepriced) -> None:
        if msg.price_type_id != self.invoice.price_type_id:
            return
        changed = 0
        lines = []
        for line in self.invoice.lines:
            row = msg.rows.get(line.product_id)
            if row is not None and row.price is not None and row.price != line.price:
                line = replace(line, price=row.price)
                changed += 1
            lines.append(line)
        self._set_invoice(replace(self.invoice, lines=tuple(lines), amount_includes_vat=msg.includes_vat))
        if changed:
            name = next((r.name for r in self._price_types if r.id == msg.price_type_id), "")
            self.notify(tr("iv.repriced", count=changed, name=name), markup=False)

    def _check_fields(self) -> None:
        """The typed date and discount checked as typed (like the client card): the first
        problem in words under the fields, the field marked by its validator."""
        said: list[str] = []
        _, date_problem = check_date(self.query_one("#inv-date", Input).value)
        if date_problem is not None:
            said.append(f"{tr('iv.date')}: {describe(date_problem)}")
        _, discount_problem = check_discount(self.query_one("#inv-discount", Input).value, "invoice_discount")
        if discount_problem is not None:
            said.append(f"{tr('iv.discount')}: {discount_problem}")
        line = self.query_one("#inv-problem", Static)
        line.update(plain("⚠ " + "  ".join(said)) if said else "")
        line.display = bool(said)
        self._paint_head()  # "unsaved changes" from the first character typed

    @on(Input.Changed, "#inv-discount")
    def _discount_changed(self, event: Input.Changed) -> None:
        self._check_fields()
        value, _ = check_discount(event.value, "invoice_discount")
        # Text that is no discount yet is still unsaved typing (`unsaved` compares the header's texts)
        if value is not None and value != self.invoice.document_discount_pct:
            self._set_invoice(replace(self.invoice, document_discount_pct=value))

    @on(Input.Changed, "#inv-date")
    def _date_changed(self, event: Input.Changed) -> None:
        self._check_fields()
        value = parse_date(event.value)  # a date as the operator sees dates: a wall date
        wall = utc_to_wall(self.date) if self.date else None
        if value is not None and wall is not None and value.date() != wall.date():
            self.date = wall_to_utc(value.replace(hour=wall.hour, minute=wall.minute, second=wall.second))
            self.dirty = True
            self._paint_head()

    @on(Input.Blurred, "#inv-date")
    def _date_left(self, event: Input.Blurred) -> None:
        """Shown from its first character when left (item 10: `026-12-04` after editing)."""
        event.input.cursor_position = 0

    @on(Input.Changed, "#inv-comment")
    def _comment_changed(self, event: Input.Changed) -> None:
        if event.value != self.invoice.comment:
            self.invoice = replace(self.invoice, comment=event.value)
            self.dirty = True
            self._paint_head()

    @on(Input.Submitted)
    def _field_submitted(self) -> None:
        self.query_one("#inv-lines", DataTable).focus()

    # -- line actions ------------------------------------------------------------------------
    def action_add_products(self) -> None:
        if self._refuse_if_locked():
            return
        if not self.invoice.warehouse_id:
            self.notify(tr("iv.no_warehouse"), severity="warning")
            return
        self.app.push_screen(
            PickerScreen(self.store, self.invoice.warehouse_id, self.invoice.price_type_id, on_add=self.add_line)
        )

    def add_line(self, row: PickerRow, quantity: Decimal) -> None:
        """Add a picked product (a second pick of the same product adds to its quantity)."""
        if self.locked or row.price is None:
            return
        lines = list(self.invoice.lines)
        for i, line in enumerate(lines):
            if line.product_id == row.product_id and line.price == row.price:
                lines[i] = replace(line, quantity=line.quantity + quantity)
                break
        else:
            lines.append(row.invoice_line(quantity))
        self.stock[row.product_id] = row
        self._set_invoice(replace(self.invoice, lines=tuple(lines)))
        table = self.query_one("#inv-lines", DataTable)
        index = next(i for i, line in enumerate(self.invoice.lines) if line.product_id == row.product_id)
        table.move_cursor(row=index)

    def _current_index(self) -> int | None:
        table = self.query_one("#inv-lines", DataTable)
        if not self.invoice.lines or table.row_count == 0:
            return None
        return min(max(table.cursor_row, 0), len(self.invoice.lines) - 1)

    @on(DataTable.RowSelected, "#inv-lines")
    def _line_chosen(self) -> None:
        self.action_edit_line()

    def _line_to_change(self) -> tuple[int, InvoiceLine] | None:
        """The line under the cursor, unless the invoice is locked (then say why) or empty."""
        if self._refuse_if_locked():
            return None
        index = self._current_index()
        return None if index is None else (index, self.invoice.lines[index])

    def action_edit_line(self) -> None:
        if (chosen := self._line_to_change()) is None:
            return
        index, line = chosen
        row = self.stock.get(line.product_id)

        def edited(result: tuple[Decimal, Decimal] | None) -> None:
            if result is None or self.locked:
                return
            qty, disc = result
            lines = list(self.invoice.lines)
            # A pull may have rewritten the lines while the form was open (an order made in 1C
            # and changed there): the typed figures go to the same line, or are not applied.
            if index >= len(lines) or lines[index] != line:
                self.notify(tr("iv.line_gone", n=index + 1, name=line.name, qty=qty_text(qty).plain,
                               disc=pct_text(disc).plain), severity="warning", markup=False, timeout=15)
                return
            lines[index] = replace(line, quantity=qty, discount_pct=disc)
            self._set_invoice(replace(self.invoice, lines=tuple(lines)))

        self.app.push_screen(LineEditScreen(index + 1, line, row.free_stock if row else None,
                                            reserves=self.host.keeps_reserves), edited)

    def action_delete_line(self) -> None:
        if (chosen := self._line_to_change()) is None:
            return
        index, line = chosen
        lines = list(self.invoice.lines)
        del lines[index]
        self._set_invoice(replace(self.invoice, lines=tuple(lines)))
        self.notify(tr("iv.line_deleted", n=index + 1, name=line.name), markup=False, timeout=3)

    def action_focus_discount(self) -> None:
        if self._refuse_if_locked():
            return
        self.query_one("#inv-discount", Input).focus()

    def action_reprice_lines(self) -> None:
        """Take accounting's current prices for the lines whose price changed there."""
        if self._refuse_if_locked():
            return
        lines = []
        changed = 0
        for line in self.invoice.lines:
            new = self._new_price(line)
            if new is not None:
                line = replace(line, price=new)
                changed += 1
            lines.append(line)
        if changed:
            self._set_invoice(replace(self.invoice, lines=tuple(lines)))
            self.notify(tr("iv.repriced_live", count=changed), timeout=4)
        else:
            self.notify(tr("iv.prices_current"), timeout=3)

    def action_focus_lines(self) -> None:
        self.query_one("#inv-lines", DataTable).focus()

    # -- saving ------------------------------------------------------------------------------
    def problems(self) -> list[str]:
        """Why the invoice cannot be saved, in the UI language (empty: it can): what the domain
        refuses in the invoice, then in the typed date and discount, worded by the catalog."""
        found = validate_invoice(self.invoice)
        typed = (
            (self.query_one("#inv-date", Input).value, parse_document_date),
            (self.query_one("#inv-discount", Input).value,
             lambda text: parse_discount(text, what="invoice_discount")),
        )
        for text, parse in typed:
            try:
                parse(text)
            except ValidationError as exc:
                found.append(exc.problem)
        return [describe(problem) for problem in found]

    def action_save(self) -> None:
        if self._refuse_if_locked() or self._saving:
            return
        problems = self.problems()
        if problems:
            self.notify(tr("iv.cannot_save", problems=" ".join(problems)), severity="error", markup=False)
            return
        assert self.date is not None
        self._saving = True
        self._saving_snapshot = (self.invoice, self.date, dict(self.custom_values), self._typed_header())
        self._save(self.invoice, self.date)

    @work(thread=True, exclusive=True, group="invoice-save", exit_on_error=False)
    def _save(self, invoice: Invoice, date: datetime) -> None:
        try:
            self.store.save_invoice(self.invoice_id, invoice, date=date, queue=True,
                                    now=self.host.clock(),
                                    custom=self.custom_values if self.host.custom_fields.invoice else None)
        except PermissionError as exc:
            self.post_message(InvoiceSaveRefused(self.invoice_id, str(exc)))
            return
        self.post_message(InvoiceSaved(self.invoice_id))

    @on(InvoiceSaved)
    def _saved(self, msg: InvoiceSaved) -> None:
        self._saving = False
        # What was typed while the store wrote stays unsaved work (and on the screen).
        snapshot, self._saving_snapshot = self._saving_snapshot, None
        if snapshot is None:
            self.dirty = False
        else:
            invoice, date, custom, texts = snapshot
            self.dirty = (self.invoice, self.date, self.custom_values) != (invoice, date, custom)
            self._header_texts = texts
        self.is_new = False
        self.notify(tr("iv.saved"), timeout=4)
        self.host.push_now()
        if self._close_after_save:
            self.dismiss(None)
            return
        self._load(full=False)

    @on(InvoiceSaveRefused)
    def _save_refused(self, msg: InvoiceSaveRefused) -> None:
        self._saving = False
        self._saving_snapshot = None
        self._close_after_save = False
        self.notify(tr("iv.save_failed", error=msg.reason), severity="error", markup=False)
        self._load(full=False)


    # -- company-specific fields ----------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """"Extra fields" is offered (palette, help) only when the profile has invoice fields."""
        if action == "extra_fields":
            return bool(self.host.custom_fields.invoice)
        return True

    def action_extra_fields(self) -> None:
        """The profile's invoice fields in a dialog; kept values make the invoice unsaved."""
        specs = self.host.custom_fields.invoice
        if not specs or self._refuse_if_locked():
            return

        def kept(values: dict[str, Any] | None) -> None:
            if values is None:
                return
            self.custom_values = {**self.custom_values, **values}
            self.dirty = True
            self._paint_head()

        self.app.push_screen(
            ExtraFieldsModal(self.store, specs, self.custom_values, self._item_names, tr("iv.extra_title")), kept)

    # -- navigation --------------------------------------------------------------------------
    def action_compare(self) -> None:
        """Both versions, when accounting changed the order while the CRM's change waited. While
        only the invoice's client waits for the operator's choice (its push found an edit made in
        1C, and the toast said "F11"), F11 here opens the client's versions. The two looks run
        on a worker thread (`CompareFound`), like every other store read of this screen."""
        self._find_conflict(self.invoice_id, self.invoice.client_id, self.record is not None)

    @work(thread=True, exclusive=True, group="invoice-compare", exit_on_error=False)
    def _find_conflict(self, invoice_id: str, client_id: str | None, saved: bool) -> None:
        if self.store.open_conflict("invoice", invoice_id) is not None:
            self.post_message(CompareFound("invoice", invoice_id))
        elif client_id and self.store.open_conflict("client", client_id) is not None:
            self.post_message(CompareFound("client", client_id))
        else:
            # a saved invoice's screen says "no conflict" itself; an unsaved one has no versions
            self.post_message(CompareFound("invoice" if saved else None, invoice_id))

    @on(CompareFound)
    def _compare_found(self, msg: CompareFound) -> None:
        if msg.kind is None:
            self.notify(tr("iv.nothing_to_compare"), timeout=4)
        else:
            self.host.open_conflict(msg.kind, msg.object_id)

    def action_open_order(self) -> None:
        if self.record is None:
            self.notify(tr("iv.not_saved_yet"), severity="warning")
            return
        from tui_crm.screens.order import OrderScreen

        self.app.push_screen(OrderScreen(self.store, self.invoice_id))

    def action_close(self) -> None:
        if not self.unsaved or self.locked:
            self.dismiss(None)
            return

        def chosen(choice: str | None) -> None:
            if choice == "save":
                self._close_after_save = True
                self.action_save()
                if not self._saving:
                    self._close_after_save = False
            elif choice == "discard":
                self.dirty = False
                self.dismiss(None)

        self.app.push_screen(
            ConfirmModal(tr("iv.unsaved_text"), title=tr("iv.unsaved_title"), choices=[
                Choice("save", tr("iv.unsaved_save"), "s,f2"),
                Choice("discard", tr("iv.unsaved_discard"), "d"),
                Choice("cancel", tr("iv.unsaved_keep"), "c"),
            ]),
            chosen,
        )
