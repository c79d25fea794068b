"""The shipment request form (issue 12 part 2, docs/shipment.md): the order's lines with
ordered / already shipped / already requested, and the quantity to ask the warehouse for.

Each quantity defaults to what is left to ship (0 skips the line); the domain checks it
(`tui_crm.domain.shipment.parse_request`: a number, not negative, not above what is left) and
the problem catalog words the answer. Sending asks first; Esc leaves and nothing is queued.
The form returns the quantities per line; the order view queues them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Input, Label, Static

from tui_crm.domain.problems import Code, problem
from tui_crm.domain.shipment import RequestLine, parse_request
from tui_crm.i18n import register, tr
from tui_crm.problems import describe
from tui_crm.screens.base import HostedScreen
from tui_crm.widgets.confirm import ConfirmModal
from tui_crm.widgets.footer import CrmFooter
from tui_crm.widgets.money import qty_text
from tui_crm.widgets.text import plain

register(
    {
        "sr.title": {"en": "Shipment request · order № {number}", "ru": "Заявка на отгрузку · заказ № {number}"},
        "sr.hint": {
            "en": "Quantity to ship per line (0 skips it) · F2 send · Esc cancel",
            "ru": "Сколько отгрузить по строке (0 — пропустить) · F2 отправить · Esc отмена",
        },
        "sr.col_product": {"en": "Product", "ru": "Товар"},
        "sr.col_ordered": {"en": "Ordered", "ru": "Заказ."},
        "sr.col_shipped": {"en": "Shipped", "ru": "Отгруж."},
        "sr.col_requested": {"en": "Asked", "ru": "Запрош."},
        "sr.col_qty": {"en": "To ship", "ru": "Отгрузить"},
        "sr.bind_send": {"en": "Send", "ru": "Отправить"},
        "sr.bind_cancel": {"en": "Cancel", "ru": "Отмена"},
        "sr.confirm_title": {"en": "Ask the warehouse to ship", "ru": "Заявка на отгрузку"},
        "sr.confirm": {
            "en": "Send a shipment request for {lines} line(s), {qty} in all, of order {number}? "
                  "Accounting gets an unposted shipping document; the warehouse posts it when the "
                  "goods leave.",
            "ru": "Отправить заявку на отгрузку по заказу {number}: строк — {lines}, всего {qty}? "
                  "В учёте появится непроведённый документ отгрузки; склад проведёт его при отгрузке.",
        },
        "sr.confirm_yes": {"en": "Send", "ru": "Отправить"},
        "sr.confirm_no": {"en": "Back", "ru": "Назад"},
        "sr.nothing_left": {
            "en": "Everything ordered is shipped or already asked for.",
            "ru": "Всё заказанное уже отгружено или запрошено.",
        },
    }
)


@dataclass(frozen=True)
class FormLine:
    """A line as shown: its figures (``line``) with the product's name and unit."""

    line: RequestLine
    name: str
    unit: str


class ShipmentRequestScreen(HostedScreen[dict[int, Decimal] | None]):
    """Quantities to request per order line; dismisses with them (confirmed) or None (cancelled)."""

    CSS_PATH = "shipment_request.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f2,ctrl+s", "send", tr("sr.bind_send"), id="shipreq.send", key_display="F2"),
        Binding("escape", "cancel", tr("sr.bind_cancel"), id="shipreq.cancel", key_display="Esc"),
        Binding("down", "move(1)", show=False),
        Binding("up", "move(-1)", show=False),
    ]

    def __init__(self, number: str, lines: Sequence[FormLine]) -> None:
        super().__init__()
        self.number = number
        self.lines = list(lines)

    def compose(self) -> ComposeResult:
        yield Label(plain(tr("sr.title", number=self.number or "—"), "bold"), id="sr-title")
        yield Label(tr("sr.hint"), id="sr-hint")
        with Horizontal(classes="sr-row sr-head"):
            yield Label("#", classes="sr-no")
            yield Label(tr("sr.col_product"), classes="sr-name")
            yield Label(tr("sr.col_ordered"), classes="sr-num")
            yield Label(tr("sr.col_shipped"), classes="sr-num")
            yield Label(tr("sr.col_requested"), classes="sr-num")
            yield Label(tr("sr.col_qty"), classes="sr-qty-head")
        with VerticalScroll(id="sr-lines"):
            for fl in self.lines:
                ln = fl.line
                with Horizontal(classes="sr-row"):
                    yield Label(str(ln.line_no), classes="sr-no")
                    yield Label(plain(f"{fl.name} ({fl.unit})" if fl.unit else fl.name), classes="sr-name")
                    yield Label(qty_text(ln.ordered), classes="sr-num")
                    yield Label(qty_text(ln.shipped), classes="sr-num")
                    yield Label(qty_text(ln.requested), classes="sr-num")
                    yield Input(value=qty_text(ln.left).plain, id=f"sr-qty-{ln.line_no}", classes="sr-qty",
                                select_on_focus=True)
        yield Static("", id="sr-problem")
        yield CrmFooter()

    def on_mount(self) -> None:
        self.title = tr("sr.title", number=self.number or "—")
        inputs = list(self.query(".sr-qty").results(Input))
        if inputs:
            inputs[0].focus()
        if not any(fl.line.left > 0 for fl in self.lines):
            self._say(tr("sr.nothing_left"), error=False)

    # -- checking ------------------------------------------------------------------------------
    def _texts(self) -> list[str]:
        return [self.query_one(f"#sr-qty-{fl.line.line_no}", Input).value for fl in self.lines]

    def _check(self) -> dict[int, Decimal] | None:
        """The quantities, or None with the first problem shown and bad fields marked."""
        wanted, problems, whole = parse_request([fl.line for fl in self.lines], self._texts())
        for fl in self.lines:
            self.query_one(f"#sr-qty-{fl.line.line_no}", Input).set_class(fl.line.line_no in problems, "-bad")
        if problems:
            n = min(problems)
            self._say(describe(problem(Code.IN_LINE, line=n, problem=problems[n])))
            return None
        if whole is not None:
            self._say(describe(whole))
            return None
        self._say("")
        return wanted

    def _say(self, text: str, *, error: bool = True) -> None:
        label = self.query_one("#sr-problem", Static)
        label.update(Text(text))
        label.set_class(bool(text) and error, "-error")

    @on(Input.Changed, ".sr-qty")
    def _changed(self) -> None:
        self._check()

    @on(Input.Submitted, ".sr-qty")
    def _submitted(self, event: Input.Submitted) -> None:
        inputs = list(self.query(".sr-qty").results(Input))
        if event.input is inputs[-1]:
            self.action_send()
        else:
            self.action_move(1)

    # -- actions -------------------------------------------------------------------------------
    def action_move(self, step: int) -> None:
        inputs = list(self.query(".sr-qty").results(Input))
        if not inputs:
            return
        at = next((i for i, w in enumerate(inputs) if w.has_focus), -1)
        inputs[max(0, min(len(inputs) - 1, at + step))].focus()

    def action_send(self) -> None:
        wanted = self._check()
        if wanted is None:
            self.app.bell()
            return
        total = sum(wanted.values(), Decimal(0))

        def answered(yes: bool | None) -> None:
            if yes:
                self.dismiss(wanted)

        self.app.push_screen(ConfirmModal(
            tr("sr.confirm", lines=len(wanted), qty=qty_text(total).plain, number=self.number or "—"),
            tr("sr.confirm_yes"), tr("sr.confirm_no"), title=tr("sr.confirm_title")), answered)

    def action_cancel(self) -> None:
        self.dismiss(None)


__all__ = ["FormLine", "ShipmentRequestScreen"]
