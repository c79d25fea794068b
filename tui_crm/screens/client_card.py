"""Client card: details with live validation, duplicate check as you type, the client's invoices.

Save goes through `validate_client` first and refuses invalid input without touching the store;
escape on a card with unsaved edits asks before discarding (nothing typed is lost silently).
A saved client is queued for accounting (docs/architecture.md §1, step 1); "send now" also asks sync to push.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.timer import Timer
from textual.widgets import (
    DataTable,
    Input,
    Label,
    RadioButton,
    RadioSet,
    Static,
    TabbedContent,
    TabPane,
)
from textual.worker import Worker, WorkerState

from tui_crm.domain.custom import FieldSpec
from tui_crm.domain.models import Client, SyncState
from tui_crm.domain.money import format_money
from tui_crm.domain.validation import (
    ClientKind,
    inn_checksum_ok,
    normalize_phone,
    split_phones,
    validate_client,
)
from tui_crm.i18n import language, register, tr
from tui_crm.problems import describe
from tui_crm.screens.base import HostedScreen
from tui_crm.screens.custom_fields import CustomFieldsForm
from tui_crm.screens.forms import format_date
from tui_crm.store import ClientRecord, DuplicateHit, InvoiceSummary, Store
from tui_crm.widgets.badges import format_phone, kind_label, sync_badge
from tui_crm.widgets.confirm import ConfirmModal, discard_or_keep
from tui_crm.widgets.footer import CrmFooter
from tui_crm.widgets.money import debt_text
from tui_crm.widgets.text import clean, plain

register({
    "card.title_new": {"en": "New client", "ru": "Новый клиент"},
    "card.tab_details": {"en": "Details", "ru": "Реквизиты"},
    "card.tab_invoices": {"en": "Invoices", "ru": "Счета"},
    "card.tab_extra": {"en": "Extra", "ru": "Доп. реквизиты"},
    "card.extra_hint": {"en": "Fields set by your company's profile. Enter on a list field opens its items.",
                        "ru": "Поля из профиля вашей компании. Enter на поле-списке открывает его элементы."},
    "card.kind": {"en": "Kind", "ru": "Вид"},
    "card.name": {"en": "Name", "ru": "Наименование"},
    "card.full_name": {"en": "Full name", "ru": "Полное наим."},
    "card.inn": {"en": "ИНН", "ru": "ИНН"},
    "card.kpp": {"en": "КПП", "ru": "КПП"},
    "card.phones": {"en": "Phones", "ru": "Телефоны"},
    "card.email": {"en": "E-mail", "ru": "E-mail"},
    "card.address": {"en": "Address", "ru": "Адрес"},
    "card.comment": {"en": "Comment", "ru": "Комментарий"},
    "card.ph_name": {
        "en": "as the manager says it, e.g. Ромашка ООО",
        "ru": "как называют в работе, например Ромашка ООО",
    },
    "card.ph_full_name": {"en": "for documents, e.g. ООО «Ромашка»", "ru": "для документов, например ООО «Ромашка»"},
    "card.ph_inn": {"en": "10 digits (company) or 12 (person)", "ru": "10 цифр (юрлицо) или 12 (ИП, физлицо)"},
    "card.ph_kpp": {"en": "9 characters, e.g. 773601001", "ru": "9 знаков, например 773601001"},
    "card.ph_phones": {"en": "+7 912 345-67-89; several: separate with a comma",
                       "ru": "+7 912 345-67-89; несколько — через запятую"},
    "card.ph_email": {"en": "name@example.ru", "ru": "name@example.ru"},
    "card.state_new": {"en": "Not saved yet", "ru": "Ещё не сохранён"},
    "card.state_local": {"en": "saved in the CRM only; F9 sends it to accounting",
                         "ru": "сохранён только в CRM; F9 — отправить в учёт"},
    "card.state_queued": {"en": "waiting to be sent to accounting", "ru": "ждёт отправки в учёт"},
    "card.state_conflict": {"en": "accounting changed it meanwhile, your change is not sent; F11 compares",
                            "ru": "в учёте его изменили, ваше изменение не отправлено; F11 — сравнить"},
    "card.state_in": {"en": "code {code}", "ru": "код {code}"},
    "card.state_from_acc": {"en": "exists in accounting only; F2 adds it to the CRM",
                            "ru": "есть только в учёте; F2 — добавить в CRM"},
    "card.unsaved": {"en": "unsaved changes", "ru": "есть несохранённые изменения"},
    "card.dup_inn": {"en": "Same ИНН as", "ru": "Тот же ИНН у"},
    "card.dup_phone": {"en": "Same phone as", "ru": "Тот же телефон у"},
    "card.dup_crm": {"en": "in the CRM", "ru": "в CRM"},
    "card.dup_acc": {"en": "in accounting", "ru": "в учёте"},
    "card.dup_open": {"en": "F7 opens it", "ru": "F7 — открыть"},
    "card.dup_more": {"en": "and {n} more", "ru": "и ещё {n}"},
    "card.no_invoices": {"en": "No invoices yet. F3 writes the first one.",
                         "ru": "Счетов пока нет. F3 — выписать первый."},
    "card.not_saved": {"en": "Not saved: {n} field(s) need fixing.", "ru": "Не сохранено: исправьте поля ({n})."},
    "card.saved": {"en": "Saved; queued for accounting.", "ru": "Сохранено; поставлено в очередь в учёт."},
    "card.sent": {"en": "Queued for accounting now.", "ru": "Поставлено в очередь в учёт."},
    "card.load_failed": {"en": "Could not read the client: {error}",
                          "ru": "Не удалось прочитать клиента: {error}"},
    "card.save_error": {"en": "Could not save: {error}", "ru": "Не удалось сохранить: {error}"},
    "card.discard_q": {"en": "This card has unsaved changes. Discard them?",
                       "ru": "В карточке есть несохранённые изменения. Отбросить их?"},
    "card.discard_open_q": {"en": "Discard the unsaved changes and open «{name}»?",
                            "ru": "Отбросить несохранённые изменения и открыть «{name}»?"},
    "card.save_first": {"en": "Fix the card first: an invoice needs a saved client.",
                        "ru": "Сначала исправьте карточку: счёт выписывается на сохранённого клиента."},
    "col.date": {"en": "Date", "ru": "Дата"},
    "col.number": {"en": "Number", "ru": "Номер"},
    "col.total": {"en": "Total", "ru": "Сумма"},
    "col.paid": {"en": "Paid", "ru": "Оплачено"},
    "col.state": {"en": "State", "ru": "Состояние"},
    "inv.posted": {"en": "🔒 Posted", "ru": "🔒 Проведён"},
    "inv.draft": {"en": "(not numbered yet)", "ru": "(ещё без номера)"},
    "bind.save": {"en": "Save", "ru": "Сохранить"},
    "bind.new_invoice": {"en": "New invoice", "ru": "Новый счёт"},
    "bind.send_now": {"en": "Send to accounting", "ru": "Отправить в учёт"},
    "bind.open_duplicate": {"en": "Open duplicate", "ru": "Открыть дубль"},
    "bind.compare": {"en": "Compare with 1C", "ru": "Сравнить с 1С"},
    "bind.tab_details": {"en": "Details tab", "ru": "Вкладка «Реквизиты»"},
    "bind.tab_invoices": {"en": "Invoices tab", "ru": "Вкладка «Счета»"},
    "bind.tab_extra": {"en": "Extra fields tab", "ru": "Вкладка «Доп. реквизиты»"},
})

FIELDS = ("name", "full_name", "inn", "kpp", "phones", "email", "address", "comment")
KINDS = (ClientKind.LEGAL_ENTITY, ClientKind.SOLE_PROPRIETOR, ClientKind.INDIVIDUAL)


def _placeholder(field: str) -> str:
    key = f"card.ph_{field}"
    text = tr(key)
    return "" if text == key else text


def card_problems(kind: ClientKind, values: dict[str, str]) -> dict[str, str]:
    """`{field: message}` in the interface language; the domain's `validate_client` decides and
    the problem catalog words it."""
    problems = validate_client(
        kind=kind,
        name=values["name"],
        inn=values["inn"],
        kpp=values["kpp"] if kind.has_kpp else "",
        phones=split_phones(values["phones"]),
        email=values["email"],
    )
    return {field: describe(problem) for field, problem in problems.items()}


@dataclass
class CardLoaded(Message):
    """The client and its invoices, read in a worker."""

    record: ClientRecord | None
    invoices: list[InvoiceSummary]
    unadopted: bool = False  # an accounting counterparty the CRM has no client for yet
    custom: dict[str, Any] = dataclasses.field(default_factory=dict)  # company-specific values (stored JSON)
    item_names: dict[str, str] = dataclasses.field(default_factory=dict)  # their catalog items' names


@dataclass
class DuplicatesFound(Message):
    key: tuple[str, tuple[str, ...]]
    hits: list[DuplicateHit]


@dataclass
class ClientSaved(Message):
    """The card was written to the store (and queued for accounting)."""

    client_id: str
    send_now: bool
    # What the form held when the save started (kind, field texts, extra fields as typed):
    # anything typed while the store wrote stays an unsaved edit.
    kind: ClientKind
    values: dict[str, str]
    phones: str  # the phones as the store holds them, formatted for the card
    custom: dict[str, Any] | None = None


@dataclass
class ClientSaveFailed(Message):
    error: str


class ClientCardScreen(HostedScreen[None]):
    """Client card: tabs Details / Invoices, validation on every field."""

    CSS_PATH = "client_card.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f2,alt+s", "save", tr("bind.save"), id="card.save"),
        Binding("f3,alt+n", "new_invoice", tr("bind.new_invoice"), id="card.new_invoice"),
        Binding("f9,alt+a", "send_now", tr("bind.send_now"), id="card.send_now"),
        Binding("f7,alt+d", "open_duplicate", tr("bind.open_duplicate"), id="card.open_duplicate"),
        Binding("f11,alt+c", "compare", tr("bind.compare"), show=False, id="card.compare"),
        # Tabs: ctrl+pageup/pagedown pass through tmux and SSH; alt+1/alt+2 too (widgets/keys.py).
        # Priority: scrolling containers bind ctrl+pageup/pagedown to page left/right.
        Binding("ctrl+pageup,alt+1", "show_tab('details')", tr("bind.tab_details"), show=False,
                id="card.tab_details", priority=True),
        Binding("ctrl+pagedown,alt+2", "show_tab('invoices')", tr("bind.tab_invoices"), show=False,
                id="card.tab_invoices", priority=True),
        Binding("alt+3", "show_tab('extra')", tr("bind.tab_extra"), show=False, id="card.tab_extra",
                priority=True),
        Binding("escape", "close", tr("bind.close"), id="card.close"),
    ]

    DUPLICATE_DELAY = 0.3
    """Seconds of typing pause before the duplicate check runs (debounce)."""

    def __init__(self, store: Store, client_id: str | None = None, *, prefill: dict[str, str] | None = None) -> None:
        super().__init__()
        self.store = store
        self.client_id = client_id or str(uuid.uuid4())
        self.is_new = client_id is None
        self.record: ClientRecord | None = None
        self.invoices: list[InvoiceSummary] = []
        self.duplicates: list[DuplicateHit] = []
        self._prefill = prefill or {}
        self._baseline: tuple[ClientKind, dict[str, str]] | None = None
        # The kind as the form says it, kept here: the RadioSet learns a button set from code only
        # when it handles the button's message, after the head was drawn (a card of an ИП read
        # from accounting then looked edited as it opened).
        self._kind = ClientKind.LEGAL_ENTITY
        self._touched: set[str] = set()
        self._show_all_errors = False
        self._dup_timer: Timer | None = None
        self._after_save: Callable[[], None] | None = None
        self._loading = True
        self.unadopted = False
        self._custom_loaded = False

    @property
    def custom_specs(self) -> tuple[FieldSpec, ...]:
        """The profile's company-specific client fields (the Extra tab; none: no tab)."""
        return self.host.custom_fields.client

    # -- layout ------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        with Horizontal(id="head"):
            yield Label("", id="card-title")
            yield Label("", id="sync-line")
        with TabbedContent(initial="details", id="tabs"):
            with TabPane(tr("card.tab_details"), id="details"), VerticalScroll(id="form"):
                with Vertical(classes="field-box", id="box-kind"), Horizontal(classes="field"):
                    yield Label(tr("card.kind"), classes="caption")
                    with RadioSet(id="kind", compact=True):
                        for kind in KINDS:
                            yield RadioButton(kind_label(kind), value=kind is ClientKind.LEGAL_ENTITY)
                for field in FIELDS:
                    with Vertical(classes="field-box", id=f"box-{field}"):
                        with Horizontal(classes="field"):
                            yield Label(tr(f"card.{field}"), classes="caption")
                            yield Input(id=field, compact=True, placeholder=_placeholder(field),
                                        select_on_focus=False)
                        yield Label("", classes="error", id=f"error-{field}")
                yield Static("", id="duplicates")
            with TabPane(tr("card.tab_invoices"), id="invoices"):
                table: DataTable[object] = DataTable(id="invoice-table", cursor_type="row", zebra_stripes=True)
                yield table
                yield Label(tr("card.no_invoices"), id="no-invoices")
            if self.custom_specs:
                with TabPane(tr("card.tab_extra"), id="extra"), VerticalScroll(id="extra-form"):
                    yield CustomFieldsForm(self.store, self.custom_specs, id="custom")
                    yield Label(tr("card.extra_hint"), id="extra-hint")
        yield self.status_bar()
        yield CrmFooter()

    def on_mount(self) -> None:
        table = self.query_one("#invoice-table", DataTable)
        table.add_column(tr("col.date"), key="date", width=10)
        table.add_column(tr("col.number"), key="number", width=20)
        table.add_column(Text(tr("col.total"), justify="right"), key="total", width=14)
        table.add_column(Text(tr("col.paid"), justify="right"), key="paid", width=14)
        table.add_column(tr("col.state"), key="state", width=18)
        self._render_head()
        self.query_one("#name", Input).focus()
        self.load()

    # -- loading -----------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="card-load", exit_on_error=False)
    def load(self) -> None:
        record = self.store.get_client(self.client_id)
        unadopted = False
        if record is None and not self.is_new:
            record = self.store.counterparty_client(self.client_id)
            unadopted = record is not None
        invoices = self.store.list_invoices(client_id=self.client_id) if not self.is_new else []
        custom = self.store.client_custom_values(self.client_id) if record is not None else {}
        names = self.store.custom_item_names(v for v in custom.values() if isinstance(v, str))
        self.post_message(CardLoaded(record, invoices, unadopted, custom, names))

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        """A failed read is said in words; what the operator typed stays on the card."""
        if event.state == WorkerState.ERROR and event.worker.group in ("card-load", "card-duplicates"):
            self.notify(tr("card.load_failed", error=str(event.worker.error)), severity="error",
                        markup=False, timeout=10)

    @on(CardLoaded)
    def _loaded(self, msg: CardLoaded) -> None:
        first = self._baseline is None
        self.record = msg.record
        self.unadopted = msg.unadopted
        self.invoices = msg.invoices
        if first:
            self._fill_form()
        if self.custom_specs and (not self._custom_loaded or not self.custom_form.dirty):
            # after a pull: accounting's values appear unless the operator is editing them
            self.custom_form.load(msg.custom, msg.item_names)
            self._custom_loaded = True
        self._fill_invoices()
        self._render_head()

    def refresh_data(self) -> None:
        """After a pull: new sync state and invoices; what the operator typed stays."""
        self.load()

    def on_screen_resume(self) -> None:
        """Back from an invoice written for this client: show it in the Invoices tab."""
        if self._baseline is not None:
            self.load()

    def _fill_form(self) -> None:
        values = dict.fromkeys(FIELDS, "")
        kind = ClientKind.LEGAL_ENTITY
        if self.record is not None:
            c = self.record.client
            kind = c.kind
            values.update(
                name=c.name, full_name=c.full_name, inn=c.inn, kpp=c.kpp,
                phones=", ".join(format_phone(p) for p in c.phones), email=c.email,
                address=c.address, comment=c.comment,
            )
            # What 1C holds goes into the inputs cleaned: an Input draws its value as is, so a
            # control character or an escape sequence would reach the terminal.
            values = {field: clean(value) for field, value in values.items()}
        with self.prevent(Input.Changed, RadioSet.Changed):
            self._set_kind(kind)
            for field in FIELDS:
                self.query_one(f"#{field}", Input).value = values[field]
        self._baseline = (kind, dict(values))
        # A new card started from the search box: what was typed counts as an edit.
        if self._prefill:
            with self.prevent(Input.Changed):
                for field, value in self._prefill.items():
                    self.query_one(f"#{field}", Input).value = value
            self._touched.update(self._prefill)
        self._loading = False
        self._apply_kind()
        self._validate()
        self._schedule_duplicate_check()

    def _fill_invoices(self) -> None:
        table = self.query_one("#invoice-table", DataTable)
        # Back from an invoice opened here (or after a pull): the cursor stays on the same invoice.
        current = (table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
                   if table.row_count else None)
        table.clear()
        lang = language()
        for inv in self.invoices:
            number = plain(inv.number) if inv.number else Text(tr("inv.draft"), style="dim")
            state = Text(tr("inv.posted"), style="bold") if inv.posted else sync_badge(inv.sync_state)
            table.add_row(
                Text(format_date(inv.date)), number,
                Text(format_money(inv.total, lang), justify="right"),  # type: ignore[arg-type]
                Text(format_money(inv.paid, lang), justify="right"),  # type: ignore[arg-type]
                state, key=inv.id,
            )
        self.query_one("#no-invoices", Label).display = not self.invoices
        if current is not None and current in table.rows:
            table.move_cursor(row=table.get_row_index(current), animate=False)

    # -- form state --------------------------------------------------------------------------
    def _set_kind(self, kind: ClientKind) -> None:
        self._kind = kind
        buttons = list(self.query_one("#kind", RadioSet).query(RadioButton))
        buttons[KINDS.index(kind)].value = True

    @property
    def kind(self) -> ClientKind:
        return self._kind

    def values(self) -> dict[str, str]:
        return {field: self.query_one(f"#{field}", Input).value for field in FIELDS}

    @property
    def custom_form(self) -> CustomFieldsForm:
        return self.query_one("#custom", CustomFieldsForm)

    @property
    def dirty(self) -> bool:
        if self._baseline is None:
            return False
        kind, values = self._baseline
        custom_dirty = bool(self.custom_specs) and self.custom_form.dirty
        return kind is not self.kind or values != self.values() or custom_dirty

    def build_client(self) -> Client:
        """The client as the form says, phones normalised (what save writes)."""
        v = self.values()
        kind = self.kind
        phones = tuple(normalize_phone(p) or p for p in split_phones(v["phones"]))
        return Client(
            id=self.client_id, kind=kind, name=v["name"].strip(), full_name=v["full_name"].strip(),
            inn=v["inn"].strip(), kpp=v["kpp"].strip() if kind.has_kpp else "", phones=phones,
            email=v["email"].strip(), address=v["address"].strip(), comment=v["comment"].strip(),
        )

    def problems(self) -> dict[str, str]:
        return card_problems(self.kind, self.values())

    def _apply_kind(self) -> None:
        self.query_one("#box-kpp").display = self.kind.has_kpp

    def _validate(self) -> dict[str, str]:
        problems = self.problems()
        for field in FIELDS:
            label = self.query_one(f"#error-{field}", Label)
            message = problems.get(field, "")
            shown = bool(message) and (self._show_all_errors or field in self._touched)
            label.update(Text("⚠ " + message) if shown else "")
            self.query_one(f"#{field}", Input).set_class(shown, "-error")
        return problems

    def _render_head(self) -> None:
        title = self.query_one("#card-title", Label)
        line = self.query_one("#sync-line", Label)
        name = self.query_one("#name", Input).value.strip() if not self._loading else ""
        if self.record is None and self.is_new:
            title.update(plain(name or tr("card.title_new")))
            text = Text(tr("card.state_new"), style="dim")
        else:
            title.update(plain(name or (self.record.client.name if self.record else "")))
            text = self._state_text()
        if self.dirty:
            text.append("  · " + tr("card.unsaved"), style="italic yellow")
        line.update(text)
        self.title = str(title.content) or tr("card.title_new")

    def _state_text(self) -> Text:
        record = self.record
        if record is None:
            return Text("")
        if self.unadopted:
            return (sync_badge(SyncState.IN_ACCOUNTING) + Text(" — " + tr("card.state_from_acc"), style="dim")
                    + self._debt_text(record.debt))
        text = sync_badge(record.sync_state, record.sync_error, with_error=True)
        detail = {
            SyncState.LOCAL_ONLY: tr("card.state_local"),
            SyncState.QUEUED: tr("card.state_queued"),
            SyncState.IN_ACCOUNTING: tr("card.state_in", code=record.accounting_code) if record.accounting_code else "",
            SyncState.FAILED: "",
            SyncState.CONFLICT: tr("card.state_conflict"),
        }[record.sync_state]
        if detail:
            text.append(" — " + detail, style="dim")
        return text + self._debt_text(record.debt)

    @staticmethod
    def _debt_text(debt: Decimal | None) -> Text:
        """The debt accounting keeps for this client, as in the clients list: owed in bold, money
        paid ahead in words, nothing when there is none (or accounting keeps no debt)."""
        if not debt:
            return Text("")
        return Text("  · ") + debt_text(debt, language(), owes_word=True)

    # -- events ------------------------------------------------------------------------------
    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        if self._loading or event.input.id not in FIELDS:
            return
        self._touched.add(event.input.id)
        self._validate()
        self._render_head()
        if event.input.id in ("inn", "phones"):
            self._schedule_duplicate_check()

    @on(CustomFieldsForm.Edited)
    def _custom_edited(self) -> None:
        self._render_head()

    @on(RadioSet.Changed, "#kind")
    def _kind_changed(self, event: RadioSet.Changed) -> None:
        self._kind = KINDS[event.index] if event.index >= 0 else ClientKind.LEGAL_ENTITY
        if self._loading:
            return
        self._apply_kind()
        self._validate()
        self._render_head()

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.focus_next()

    @on(DataTable.RowSelected, "#invoice-table")
    def _invoice_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            posted = any(i.posted for i in self.invoices if i.id == event.row_key.value)
            self.host.open_invoice(event.row_key.value, posted=posted)

    # -- duplicates --------------------------------------------------------------------------
    def _duplicate_key(self) -> tuple[str, tuple[str, ...]]:
        v = self.values()
        inn = v["inn"].strip()
        inn = inn if inn_checksum_ok(inn) else ""
        phones = tuple(p for p in (normalize_phone(x) for x in split_phones(v["phones"])) if p)
        return inn, phones

    def _schedule_duplicate_check(self) -> None:
        if self._dup_timer is not None:
            self._dup_timer.stop()
            self._dup_timer = None
        if self.DUPLICATE_DELAY <= 0:  # tests: check at once
            self._check_duplicates()
        else:
            self._dup_timer = self.set_timer(self.DUPLICATE_DELAY, self._check_duplicates)

    def _check_duplicates(self) -> None:
        self._dup_timer = None
        self._find_duplicates(self._duplicate_key())

    @work(thread=True, exclusive=True, group="card-duplicates", exit_on_error=False)
    def _find_duplicates(self, key: tuple[str, tuple[str, ...]]) -> None:
        inn, phones = key
        hits = self.store.find_duplicates(inn=inn, phones=phones, exclude_id=self.client_id) if inn or phones else []
        self.post_message(DuplicatesFound(key, hits))

    @on(DuplicatesFound)
    def _duplicates_found(self, msg: DuplicatesFound) -> None:
        if msg.key != self._duplicate_key():
            return  # typed on since
        self.duplicates = msg.hits
        box = self.query_one("#duplicates", Static)
        if not msg.hits:
            box.update("")
            box.display = False
            self.refresh_bindings()
            return
        text = Text()
        for n, hit in enumerate(msg.hits[:3]):
            if n:
                text.append("\n")
            text.append("⚠ ", style="bold")
            text.append(tr("card.dup_inn") if hit.reason == "inn" else tr("card.dup_phone"))
            text.append(" «")
            text.append(clean(hit.name), style="bold")  # a name from 1C or a user: no control
            text.append("»")
            if hit.inn and hit.reason != "inn":
                text.append(f" (ИНН {clean(hit.inn)})")
            text.append(f" — {tr('card.dup_crm') if hit.source == 'crm' else tr('card.dup_acc')}")
            if n == 0:
                text.append(f". {tr('card.dup_open')}", style="bold")
        if len(msg.hits) > 3:
            text.append("\n" + tr("card.dup_more", n=len(msg.hits) - 3))
        box.update(text)
        box.display = True
        # Below the last field: at 80×24 it would be under the fold, the footer offering F7 for a
        # warning the operator cannot see. The form scrolls it into view (the field typed in stays).
        box.scroll_visible(animate=False)
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """"Open duplicate" is offered (and shown in the footer) only when there is one."""
        if action == "open_duplicate":
            return bool(self.duplicates)
        if action == "show_tab" and parameters == ("extra",):
            return bool(self.custom_specs)  # no company fields in the profile: no Extra tab
        return True

    def action_compare(self) -> None:
        """Both versions, when accounting changed the client while the CRM's change waited."""
        self.host.open_conflict("client", self.client_id)

    def action_open_duplicate(self) -> None:
        if not self.duplicates:
            return
        hit = self.duplicates[0]

        def go() -> None:
            self.app.switch_screen(ClientCardScreen(self.store, hit.id))

        if self.dirty:
            self.app.push_screen(
                ConfirmModal(tr("card.discard_open_q", name=hit.name), choices=discard_or_keep()),
                lambda yes: go() if yes else None,
            )
        else:
            go()

    # -- saving ------------------------------------------------------------------------------
    def action_save(self) -> None:
        self._save(send_now=False)

    def action_send_now(self) -> None:
        self._save(send_now=True)

    def _save(self, *, send_now: bool, then: Callable[[], None] | None = None) -> bool:
        """Validate, then write in a worker. Invalid input changes nothing and says why."""
        self._show_all_errors = True
        problems = self._validate()
        custom_problems: dict[str, str] = {}
        if self.custom_specs:
            self.custom_form.show_all_errors = True
            custom_problems = self.custom_form.check()
        if problems:
            first = next(f for f in FIELDS if f in problems)
            if self.query_one(TabbedContent).active != "details":
                self.set_focus(None)
                self.query_one(TabbedContent).active = "details"
            self.query_one(f"#{first}", Input).focus()
            self.notify(tr("card.not_saved", n=len(problems) + len(custom_problems)), severity="error")
            return False
        if custom_problems:
            widget = self.custom_form.first_problem_widget()
            if self.query_one(TabbedContent).active != "extra":
                self.set_focus(None)
                self.query_one(TabbedContent).active = "extra"
            if widget is not None:
                self.query_one(f"#{widget}").focus()
            self.notify(tr("card.not_saved", n=len(custom_problems)), severity="error")
            return False
        self._after_save = then
        custom = self.custom_form.json_values() if self.custom_specs else None
        typed = self.custom_form.typed() if self.custom_specs else None
        client = self.build_client()
        phones = ", ".join(format_phone(p) for p in client.phones)
        self._write(client, send_now, custom,
                    ClientSaved(self.client_id, send_now, self.kind, self.values(), phones, typed))
        return True

    @work(thread=True, exclusive=True, group="card-save", exit_on_error=False)
    def _write(self, client: Client, send_now: bool, custom: dict[str, Any] | None, saved: ClientSaved) -> None:
        try:
            self.store.save_client(client, queue=True, custom=custom)
        except Exception as exc:  # noqa: BLE001 - any store failure is shown; the card keeps the typing
            self.post_message(ClientSaveFailed(str(exc)))
            return
        self.post_message(saved)

    @on(ClientSaved)
    def _saved(self, msg: ClientSaved) -> None:
        self.is_new = False
        # The baseline is what was written, not what the card holds now: the operator may have
        # typed on while the store wrote, and that is still unsaved.
        phones = self.query_one("#phones", Input)
        if phones.value == msg.values["phones"]:
            # Show the normalised phones the store now holds (unless they were edited meanwhile).
            with self.prevent(Input.Changed):
                phones.value = msg.phones
        self._baseline = (msg.kind, {**msg.values, "phones": msg.phones})
        if self.custom_specs and msg.custom is not None:
            self.custom_form.mark_saved(msg.custom)
        self.host.outbox_changed()
        if msg.send_now:
            self.host.push_now()
        self.notify(tr("card.sent") if msg.send_now else tr("card.saved"))
        self.load()
        after, self._after_save = self._after_save, None
        if after is not None:
            after()

    @on(ClientSaveFailed)
    def _save_failed(self, msg: ClientSaveFailed) -> None:
        self._after_save = None
        self.notify(tr("card.save_error", error=msg.error), severity="error", markup=False)

    # -- invoices ----------------------------------------------------------------------------
    def action_new_invoice(self) -> None:
        if self.is_new or self.dirty or self.unadopted:
            self._save(send_now=False, then=lambda: self.host.new_invoice(self.client_id))
            return
        self.host.new_invoice(self.client_id)

    def action_show_tab(self, tab: str) -> None:
        if tab == "extra" and not self.custom_specs:
            return
        tabs = self.query_one(TabbedContent)
        # Moving focus first: TabbedContent reverts a switch while a widget in the old pane has focus.
        self.set_focus(None)
        tabs.active = tab
        if tab == "invoices":
            self.query_one("#invoice-table", DataTable).focus()
        elif tab == "extra":
            self.query_one(f"#cf-{self.custom_specs[0].name}").focus()
        else:
            self.query_one("#name", Input).focus()

    # -- leaving -----------------------------------------------------------------------------
    def action_close(self) -> None:
        if not self.dirty:
            self.dismiss()
            return

        async def answered(discard: bool | None) -> None:
            if discard:
                await self.dismiss()  # as before: Textual awaited the dismissal the lambda returned

        self.app.push_screen(ConfirmModal(tr("card.discard_q"), choices=discard_or_keep()), answered)

    def has_unsaved_changes(self) -> bool:
        return self.dirty
