"""Both versions of an object accounting changed while the CRM's change waited: side by side.

The push found that 1C's DataVersion is not the one the CRM copy was based on and that fields it
would write differ (store/conflicts.py); nothing was written. Here the operator reads each field as
the CRM has it and as 1C has it now, and chooses: keep 1C's version (the CRM copy takes it, our
change is dropped), apply ours (written over it after DataVersion is read again), or edit (the
object's own screen; saving compares again). Values from 1C and users are shown as plain text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Label, Static

from tui_crm.host import ConflictActed
from tui_crm.i18n import register, tr
from tui_crm.screens.base import HostedScreen
from tui_crm.store import ConflictRecord, Store
from tui_crm.widgets.columns import Col, FitTable
from tui_crm.widgets.footer import CrmFooter
from tui_crm.widgets.text import plain

register({
    "cf.title": {"en": "Changed in accounting: {what}", "ru": "Изменено в учёте: {what}"},
    "cf.explain": {
        "en": "Accounting changed this since the CRM last read it, so your change was not sent. "
              "Compare and choose.",
        "ru": "В учёте это изменили после того, как CRM читала его, поэтому ваше изменение не "
              "отправлено. Сравните и выберите.",
    },
    "cf.none": {"en": "No open conflict: nothing waits for a choice here.",
                "ru": "Конфликта нет: здесь нечего выбирать."},
    "cf.col_field": {"en": "Field", "ru": "Поле"},
    "cf.col_line": {"en": "Line", "ru": "Стр."},
    "cf.col_ours": {"en": "CRM (yours)", "ru": "CRM (ваше)"},
    "cf.col_theirs": {"en": "1C now", "ru": "1С сейчас"},
    "cf.keys": {
        "en": "t keep 1C's · o apply yours · e edit · esc back",
        "ru": "t оставить из 1С · o записать ваше · e изменить · esc назад",
    },
    "cf.bind_theirs": {"en": "Keep 1C's", "ru": "Оставить 1С"},
    "cf.bind_ours": {"en": "Apply yours", "ru": "Записать ваше"},
    "cf.bind_edit": {"en": "Edit", "ru": "Изменить"},
    "cf.bind_back": {"en": "Back", "ru": "Назад"},
    "cf.kept": {"en": "Accounting's version kept; your change was dropped.",
                "ru": "Оставлена версия из учёта; ваше изменение отменено."},
    "cf.applied": {"en": "Your version will be written to accounting now.",
                   "ru": "Ваша версия сейчас будет записана в учёт."},
    "cf.gone": {"en": "This conflict is no longer open, or the object is gone from accounting.",
                "ru": "Конфликт уже закрыт, или объекта больше нет в учёте."},
    "cf.what_client": {"en": "client «{label}»", "ru": "клиент «{label}»"},
    "cf.what_invoice": {"en": "invoice {label}", "ru": "счёт {label}"},
    "cf.line_missing": {"en": "(no such line)", "ru": "(нет строки)"},
    "cf.cmd": {"en": "Compare versions (changed in accounting)", "ru": "Сравнить версии (изменено в учёте)"},
    # field names (the CRM's names of what is written)
    "cf.f.name": {"en": "Name", "ru": "Наименование"},
    "cf.f.full_name": {"en": "Full name", "ru": "Полное наименование"},
    "cf.f.inn": {"en": "ИНН", "ru": "ИНН"},
    "cf.f.kpp": {"en": "КПП", "ru": "КПП"},
    "cf.f.legal_form": {"en": "Legal form", "ru": "Юр./физ. лицо"},
    "cf.f.comment": {"en": "Comment", "ru": "Комментарий"},
    "cf.f.date": {"en": "Date", "ru": "Дата"},
    "cf.f.client": {"en": "Client", "ru": "Контрагент"},
    "cf.f.contract": {"en": "Contract", "ru": "Договор"},
    "cf.f.warehouse": {"en": "Warehouse", "ru": "Склад"},
    "cf.f.price_type": {"en": "Price type", "ru": "Тип цен"},
    "cf.f.total": {"en": "Total", "ru": "Сумма документа"},
    "cf.f.amount_includes_vat": {"en": "Amount includes VAT", "ru": "Сумма включает НДС"},
    "cf.f.line": {"en": "Line", "ru": "Строка"},
    "cf.f.product": {"en": "Product", "ru": "Номенклатура"},
    "cf.f.quantity": {"en": "Quantity", "ru": "Количество"},
    "cf.f.price": {"en": "Price", "ru": "Цена"},
    "cf.f.amount": {"en": "Amount", "ru": "Сумма"},
    "cf.f.discount_pct": {"en": "Discount %", "ru": "Скидка %"},
    "cf.f.vat_rate": {"en": "VAT rate", "ru": "Ставка НДС"},
    "cf.f.vat": {"en": "VAT", "ru": "НДС"},
    "cf.f.unit": {"en": "Unit", "ru": "Ед. изм."},
    "cf.f.phone": {"en": "Phone", "ru": "Телефон"},
    "cf.f.email": {"en": "E-mail", "ru": "Эл. почта"},
    "cf.f.address": {"en": "Address", "ru": "Адрес"},
})

_FIELDS = ("name", "full_name", "inn", "kpp", "legal_form", "comment", "date", "client", "contract", "warehouse",
           "price_type", "total", "amount_includes_vat", "line", "product", "quantity", "price", "amount",
           "discount_pct", "vat_rate", "vat", "unit", "phone", "email", "address")


def field_label(field: str) -> str:
    """A field's name in the interface language (a company-specific one as 1C names it)."""
    return tr(f"cf.f.{field}") if field in _FIELDS else field


def columns() -> list[Col]:
    return [
        Col("field", tr("cf.col_field"), 16, min=10),
        Col("line", tr("cf.col_line"), 4, right=True, priority=1),
        Col("ours", tr("cf.col_ours"), 26, min=14, grow=True),
        Col("theirs", tr("cf.col_theirs"), 26, min=14),
    ]


@dataclass
class ConflictLoaded(Message):
    conflict: ConflictRecord | None
    label: str


class ConflictScreen(HostedScreen[None]):
    """The open conflict of one client or invoice: fields side by side, a choice per object."""

    CSS_PATH = "conflict.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("t,f2", "keep_theirs", tr("cf.bind_theirs"), id="conflict.theirs", key_display="t/F2"),
        Binding("o,f3", "apply_ours", tr("cf.bind_ours"), id="conflict.ours", key_display="o/F3"),
        Binding("e,f4", "edit", tr("cf.bind_edit"), id="conflict.edit", key_display="e/F4"),
        Binding("escape", "back", tr("cf.bind_back"), id="conflict.back", key_display="Esc"),
    ]

    def __init__(self, store: Store, kind: str, object_id: str) -> None:
        super().__init__()
        self.store = store
        self.kind = kind
        self.object_id = object_id
        self.conflict: ConflictRecord | None = None

    def compose(self) -> ComposeResult:
        yield Label("", id="cf-title")
        yield Static(Text(tr("cf.explain")), id="cf-explain")
        yield FitTable(columns(), id="cf-fields")
        yield Static(Text(tr("cf.keys"), style="dim"), id="cf-keys")
        yield self.status_bar()
        yield CrmFooter()

    def on_mount(self) -> None:
        self._load()

    def refresh_data(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="conflict-load", exit_on_error=False)
    def _load(self) -> None:
        conflict = self.store.open_conflict(self.kind, self.object_id)
        label = self.store.outbox_object_label(self.kind, self.object_id)
        self.post_message(ConflictLoaded(conflict, label))

    @on(ConflictLoaded)
    def _loaded(self, msg: ConflictLoaded) -> None:
        self.conflict = msg.conflict
        what = tr(f"cf.what_{self.kind}", label=msg.label) if self.kind in ("client", "invoice") else msg.label
        self.query_one("#cf-title", Label).update(plain(tr("cf.title", what=what)))
        rows: list[tuple[dict[str, Text], str | None]] = []
        if msg.conflict is None:
            self.query_one("#cf-explain", Static).update(Text(tr("cf.none"), style="italic"))
        else:
            self.query_one("#cf-explain", Static).update(Text(tr("cf.explain")))
            for n, d in enumerate(msg.conflict.diffs):
                ours = d.ours or "—"
                theirs = d.theirs or "—"
                rows.append(({
                    "field": Text(field_label(d.field)),
                    "line": Text(str(d.line) if d.line is not None else "", justify="right"),
                    "ours": plain(ours),
                    "theirs": plain(theirs, "bold"),
                }, f"diff:{n}"))
        self.query_one("#cf-fields", FitTable).set_rows(rows)

    # -- the choice ----------------------------------------------------------------------------
    def action_keep_theirs(self) -> None:
        if self.conflict is None:
            self.notify(tr("cf.none"), timeout=3)
            return
        self.host.keep_theirs(self.conflict.id)

    def action_apply_ours(self) -> None:
        if self.conflict is None:
            self.notify(tr("cf.none"), timeout=3)
            return
        self.host.apply_ours(self.conflict.id)

    def action_edit(self) -> None:
        """The object's own screen: saving it compares again (store.enqueue)."""
        self.dismiss(None)
        if self.kind == "client":
            self.host.open_client(self.object_id)
        else:
            self.host.open_invoice(self.object_id)

    @on(ConflictActed)
    def _acted(self, msg: ConflictActed) -> None:
        if self.conflict is None or msg.conflict_id != self.conflict.id:
            return
        if not msg.ok:
            self.notify(tr("cf.gone"), severity="warning")
            self._load()
            return
        self.notify(tr("cf.kept" if msg.choice == "theirs" else "cf.applied"))
        self.dismiss(None)

    def action_back(self) -> None:
        self.dismiss(None)


__all__ = ["ConflictScreen", "field_label"]
