"""The small modal forms of the invoice flow and their checks: quantity (from the picker), a
line's quantity and discount, the header's discount and date.

Every check asks the domain (`parse_line_quantity`, `parse_discount`, `parse_document_date`),
and the problem catalog words the answer (`tui_crm.problems.describe`); no form repeats a rule.
The forms share the app's small-form classes (app.tcss).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.validation import ValidationResult, Validator
from textual.widgets import Input, Label

from tui_crm.domain.invoice import (
    InvoiceLine,
    parse_discount,
    parse_document_date,
    parse_line_quantity,
)
from tui_crm.domain.problems import Problem, ValidationError
from tui_crm.domain.zone import utc_to_wall
from tui_crm.i18n import register, tr
from tui_crm.problems import describe
from tui_crm.store import PickerRow
from tui_crm.widgets.dialog import CrmModal
from tui_crm.widgets.hold import TypedAheadTarget, release_after_enter
from tui_crm.widgets.money import money_text, pct_text, qty_text, ui_lang
from tui_crm.widgets.text import plain

register(
    {
        "pk.bind_cancel": {"en": "Cancel", "ru": "Отмена"},
        "pk.qty_title": {"en": "Quantity", "ru": "Количество"},
        "pk.qty_of": {"en": "{name}", "ru": "{name}"},
        "pk.qty_info": {
            "en": "Free on the warehouse: {free} {unit} · price {price}",
            "ru": "Свободно на складе: {free} {unit} · цена {price}",
        },
        "pk.qty_over_free": {
            "en": "More than the free stock ({free}): allowed, but accounting may not reserve it.",
            "ru": "Больше свободного остатка ({free}): можно, но учёт может не зарезервировать.",
        },
        "pk.qty_over_stock": {
            "en": "More than the stock ({free}): allowed, but accounting keeps no reserves (БП 3): "
                  "nothing is set aside for this invoice.",
            "ru": "Больше остатка ({free}): можно, но учёт не ведёт резервов (БП 3): под этот "
                  "счёт ничего не откладывается.",
        },
        "pk.qty_hint": {"en": "enter OK · esc cancel", "ru": "enter ОК · esc отмена"},
        "pk.bind_ok": {"en": "OK", "ru": "ОК"},
        "iv.line_title": {"en": "Line {n}", "ru": "Строка {n}"},
        "iv.line_quantity": {"en": "Quantity ({unit})", "ru": "Количество ({unit})"},
        "iv.line_discount": {"en": "Discount %", "ru": "Скидка %"},
        "iv.line_hint": {
            "en": "enter OK · tab next field · esc cancel",
            "ru": "enter ОК · tab следующее поле · esc отмена",
        },
    }
)

DATE_FORMATS = {"en": "%Y-%m-%d", "ru": "%d.%m.%Y"}
DATE_HINT = {"en": "YYYY-MM-DD", "ru": "ДД.ММ.ГГГГ"}


def format_date(value: datetime) -> str:
    """A kept time (naive UTC) as the date the operator and 1C see (tui_crm.domain.zone)."""
    return utc_to_wall(value).strftime(DATE_FORMATS[ui_lang()])


def check_date(text: str) -> tuple[datetime | None, Problem | None]:
    """A typed date in either format (`30.11.2026` or `2026-11-30`), or why it is not one."""
    try:
        return parse_document_date(text), None
    except ValidationError as exc:
        return None, exc.problem


def parse_date(text: str) -> datetime | None:
    """A typed date in either format; None if it is not one."""
    return check_date(text)[0]


def check_discount(text: str, what: str = "discount") -> tuple[Decimal | None, str | None]:
    """A typed discount percent (empty is 0), or why not in the UI language; the domain's
    `parse_discount` decides, the problem catalog words it."""
    try:
        return parse_discount(text, what=what), None
    except ValidationError as exc:
        return None, describe(exc.problem)


class DiscountValidator(Validator):
    def __init__(self, what: str = "discount") -> None:
        super().__init__()
        self.what = what

    def validate(self, value: str) -> ValidationResult:
        _, problem = check_discount(value, self.what)
        return self.success() if problem is None else self.failure(problem)


class DateValidator(Validator):
    def validate(self, value: str) -> ValidationResult:
        _, problem = check_date(value)
        return self.success() if problem is None else self.failure(describe(problem))


def check_quantity(text: str) -> tuple[Decimal | None, str | None]:
    """Parse a typed quantity (`2`, `1,5`, `1 000`); (value, None) or (None, why not).

    The domain's `parse_line_quantity` decides; the problem catalog words its answer."""
    try:
        return parse_line_quantity(text), None
    except ValidationError as exc:
        return None, describe(exc.problem)


class QuantityValidator(Validator):
    """Input validator around `check_quantity` (messages in the UI language)."""

    def validate(self, value: str) -> ValidationResult:
        _, problem = check_quantity(value)
        return self.success() if problem is None else self.failure(problem)


# -- quantity form ---------------------------------------------------------------------------
class QuantityScreen(CrmModal[Decimal | None], TypedAheadTarget):
    """Asks how many of one product to add; refuses garbage, warns above free stock."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", tr("pk.bind_cancel"), id="quantity.cancel"),
    ]

    def __init__(self, row: PickerRow, default: Decimal = Decimal(1), *, reserves: bool = True) -> None:
        super().__init__(classes="form-modal")
        self.row = row
        self.default = default
        self.over_key = "pk.qty_over_free" if reserves else "pk.qty_over_stock"

    def compose(self) -> ComposeResult:
        r = self.row
        with Vertical(id="qty-box", classes="form-box"):
            yield Label(tr("pk.qty_title"), classes="form-title")
            yield Label(plain(r.name), id="qty-product")
            yield Label(
                plain(
                    tr(
                        "pk.qty_info",
                        free=qty_text(r.free_stock).plain,
                        unit=r.unit,
                        price=money_text(r.price).plain,
                    ),
                    style="dim",
                ),
                id="qty-info",
            )
            yield Input(
                value=str(self.default.normalize()),
                id="qty-input",
                validators=[QuantityValidator()],
                validate_on=["changed", "submitted"],
                select_on_focus=True,
            )
            yield Label("", id="qty-problem", classes="form-problem")
            yield Label(tr("pk.qty_hint"), classes="form-hint")

    def on_mount(self) -> None:
        self._input = self.query_one("#qty-input", Input)
        self._input.focus()

    @on(Input.Changed, "#qty-input")
    def _changed(self, event: Input.Changed) -> None:
        self._show_problem(event.value)

    def _show_problem(self, text: str) -> Decimal | None:
        value, problem = check_quantity(text)
        label = self.query_one("#qty-problem", Label)
        if problem is not None:
            label.update(Text(problem))
            label.set_class(True, "-error")
            label.set_class(False, "-warn")
        elif value is not None and value > self.row.free_stock:
            label.update(Text(tr(self.over_key, free=qty_text(self.row.free_stock).plain)))
            label.set_class(False, "-error")
            label.set_class(True, "-warn")
        else:
            label.update("")
        return value

    @on(Input.Submitted, "#qty-input")
    def _submitted(self, event: Input.Submitted) -> None:
        value = self._show_problem(event.value)
        if value is not None:
            self.dismiss(value)  # the keys typed after this Enter go on as it goes (`on_unmount`)
        else:
            self.app.bell()
            release_after_enter(self, event.input)

    def on_unmount(self) -> None:
        release_after_enter(self, self._input)

    def action_cancel(self) -> None:
        self.dismiss(None)


# -- a line of the invoice ------------------------------------------------------------------
class LineEditScreen(CrmModal[tuple[Decimal, Decimal] | None]):
    """Quantity and discount of one line; both validated, enter saves, escape cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", tr("pk.bind_cancel"), id="line.cancel")]

    def __init__(self, number: int, line: InvoiceLine, free: Decimal | None, *, reserves: bool = True) -> None:
        super().__init__(classes="form-modal")
        self.number = number
        self.line = line
        self.free = free
        self.over_key = "pk.qty_over_free" if reserves else "pk.qty_over_stock"

    def compose(self) -> ComposeResult:
        line = self.line
        with Vertical(classes="form-box", id="line-box"):
            yield Label(tr("iv.line_title", n=self.number), classes="form-title")
            yield Label(plain(line.name), id="line-product")
            if self.free is not None:
                yield Label(
                    plain(tr("pk.qty_info", free=qty_text(self.free).plain, unit=line.unit,
                            price=money_text(line.price).plain), style="dim")
                )
            yield Label(plain(tr("iv.line_quantity", unit=line.unit)), classes="form-field-label")
            yield Input(value=qty_text(line.quantity).plain.replace(" ", ""), id="line-qty", select_on_focus=True)
            yield Label(tr("iv.line_discount"), classes="form-field-label")
            yield Input(
                value=pct_text(line.discount_pct).plain, id="line-discount",
                validators=[DiscountValidator()], select_on_focus=True,
            )
            yield Label("", id="line-problem", classes="form-problem")
            yield Label(tr("iv.line_hint"), classes="form-hint")

    def on_mount(self) -> None:
        self.query_one("#line-qty", Input).focus()

    def _check(self) -> tuple[Decimal, Decimal] | None:
        qty, q_problem = check_quantity(self.query_one("#line-qty", Input).value)
        disc, d_problem = check_discount(self.query_one("#line-discount", Input).value)
        label = self.query_one("#line-problem", Label)
        problem = q_problem or d_problem
        if problem:
            label.update(Text(problem))
            label.set_class(True, "-error")
            label.set_class(False, "-warn")
            return None
        assert qty is not None and disc is not None
        if self.free is not None and qty > self.free:
            label.update(Text(tr(self.over_key, free=qty_text(self.free).plain)))
            label.set_class(False, "-error")
            label.set_class(True, "-warn")
        else:
            label.update("")
        return qty, disc

    @on(Input.Changed)
    def _changed(self) -> None:
        self._check()

    @on(Input.Submitted)
    def _submitted(self) -> None:
        result = self._check()
        if result is None:
            self.app.bell()
            return
        self.dismiss(result)

    def action_cancel(self) -> None:
        self.dismiss(None)
