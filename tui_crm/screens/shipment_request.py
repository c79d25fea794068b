"""The shipment request form (issue 12 part 2, docs/shipment.md): the order's lines with
ordered / already shipped / already requested, and the quantity to ask the warehouse for.

Each quantity defaults to what is left to ship (0 skips the line); the domain checks it
(`tui_crm.domain.shipment.parse_request`: a number, not negative, not above what is left) and
the problem catalog words the answer. Sending asks first; Esc leaves and nothing is queued
(with quantities typed, it asks "discard?" first, as the card does).
The form returns the quantities per line; the order view queues them.

While the form is open the order view under it hands it each re-read of the order
(`update_lines`, after a pull or a shipment arriving): the figures and the defaults follow
accounting, a quantity the operator typed stays as typed (typed = differs from what the form
filled in, as the invoice's `unsaved` compares header texts), and a line accounting removed
says that its typed quantity is not sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widget import Widget
from textual.widgets import Input, Label, Static

from tui_crm.domain.problems import Code, problem
from tui_crm.domain.shipment import RequestLine, parse_request
from tui_crm.i18n import register, tr
from tui_crm.problems import describe
from tui_crm.screens.base import HostedScreen
from tui_crm.widgets.confirm import ConfirmModal, discard_or_keep
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
        "sr.discard_q": {
            "en": "Discard the quantities you typed? Nothing is sent to the warehouse.",
            "ru": "Отбросить введённые количества? На склад ничего не уйдёт.",
        },
        "sr.line_gone": {
            "en": "Line {line} ({name}) is no longer in the order (changed in accounting): "
                  "the {qty} typed there will not be sent.",
            "ru": "Строки {line} ({name}) больше нет в заказе (изменён в учёте): "
                  "введённое там количество {qty} не будет отправлено.",
        },
        "sr.updated": {
            "en": "Accounting changed the order: the form shows its new figures; what you typed is kept.",
            "ru": "Заказ изменился в учёте: в форме новые цифры; введённое вами сохранено.",
        },
        "sr.changed_while_asked": {
            "en": "The order changed in accounting while you were being asked: check the quantities "
                  "and send again.",
            "ru": "Пока вы подтверждали, заказ изменился в учёте: проверьте количества и отправьте снова.",
        },
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
        Binding("down", "focus_line(1)", show=False),
        Binding("up", "focus_line(-1)", show=False),
    ]

    def __init__(self, number: str, lines: Sequence[FormLine]) -> None:
        super().__init__()
        self.number = number
        self.lines = list(lines)
        # What the form filled in per line (the default); a different value is the operator's.
        self._filled = {fl.line.line_no: _default(fl) for fl in self.lines}
        self._pending: list[FormLine] | None = None
        self._applying = False
        self._generation = 0  # one more per re-read applied: a confirmation asked before is stale

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
                yield _row(fl, self._filled[fl.line.line_no])
        yield Static("", id="sr-problem")
        yield CrmFooter()

    def on_mount(self) -> None:
        self.title = tr("sr.title", number=self.number or "—")
        inputs = list(self.query(".sr-qty").results(Input))
        if inputs:
            inputs[0].focus()
        if not any(fl.line.left > 0 for fl in self.lines):
            self._say(tr("sr.nothing_left"), error=False)

    # -- typed work and accounting's changes ------------------------------------------------------
    def _typed(self) -> dict[int, str]:
        """Line → the quantity text the operator typed (differs from what the form filled in)."""
        out: dict[int, str] = {}
        for fl in self.lines:
            n = fl.line.line_no
            value = self.query_one(f"#sr-qty-{n}", Input).value
            if value != self._filled.get(n):
                out[n] = value
        return out

    def has_unsaved_changes(self) -> bool:
        return bool(self._typed())

    def update_lines(self, lines: Sequence[FormLine]) -> None:
        """The order as re-read now (the order view calls this after a pull, a shipment...)."""
        self._pending = list(lines)
        if not self._applying:
            self._applying = True
            self.call_later(self._apply_pending)

    async def _apply_pending(self) -> None:
        try:
            while self._pending is not None:
                lines, self._pending = self._pending, None
                await self._apply(lines)
        finally:
            self._applying = False

    async def _apply(self, lines: list[FormLine]) -> None:
        if lines == self.lines:
            return
        typed = self._typed()
        old = {fl.line.line_no: fl for fl in self.lines}
        focused = next((fl.line.line_no for fl in self.lines
                        if self.query_one(f"#sr-qty-{fl.line.line_no}", Input).has_focus), None)
        values: dict[int, str] = {}
        for fl in lines:
            n = fl.line.line_no
            before = old.get(n)
            same = before is not None and before.line.product_id == fl.line.product_id
            values[n] = typed[n] if same and n in typed else _default(fl)
        for n, text in typed.items():
            now = next((fl for fl in lines if fl.line.line_no == n), None)
            if now is None or now.line.product_id != old[n].line.product_id:
                self.notify(tr("sr.line_gone", line=n, name=old[n].name, qty=text or "—"),
                            severity="warning", markup=False, timeout=15)
        self.lines = lines
        self._filled = {fl.line.line_no: _default(fl) for fl in lines}
        self._generation += 1
        box = self.query_one("#sr-lines", VerticalScroll)
        with self.prevent(Input.Changed):
            await box.remove_children()
            await box.mount_all([_row(fl, values[fl.line.line_no], typing=fl.line.line_no == focused)
                                 for fl in lines])
        inputs = {fl.line.line_no: self.query_one(f"#sr-qty-{fl.line.line_no}", Input) for fl in lines}
        if focused in inputs:
            inputs[focused].focus()
        elif inputs and (self.focused is None or self.focused.parent is None):
            next(iter(inputs.values())).focus()
        self.notify(tr("sr.updated"), markup=False)
        if not any(fl.line.left > 0 for fl in lines) and not typed:
            self._say(tr("sr.nothing_left"), error=False)
        else:
            self._check()

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

    @on(events.DescendantBlur, ".sr-qty")
    def _left(self, event: events.DescendantBlur) -> None:
        # The line typed in as the form was rebuilt (`_row(typing=True)`) kept its text and
        # cursor; once the operator leaves it, it selects its text on coming back, as every line.
        if isinstance(event.widget, Input):
            event.widget.select_on_focus = True

    @on(Input.Submitted, ".sr-qty")
    def _submitted(self, event: Input.Submitted) -> None:
        inputs = list(self.query(".sr-qty").results(Input))
        if event.input is inputs[-1]:
            self.action_send()
        else:
            self.action_focus_line(1)

    # -- actions -------------------------------------------------------------------------------
    def action_focus_line(self, step: int) -> None:
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
        asked_on = self._generation

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            if self._generation != asked_on:  # re-read meanwhile: what was confirmed is not on the form
                self.notify(tr("sr.changed_while_asked"), severity="warning", markup=False)
                self._check()
                return
            self.dismiss(wanted)

        self.app.push_screen(ConfirmModal(
            tr("sr.confirm", lines=len(wanted), qty=qty_text(total).plain, number=self.number or "—"),
            tr("sr.confirm_yes"), tr("sr.confirm_no"), title=tr("sr.confirm_title")), answered)

    def action_cancel(self) -> None:
        if not self.has_unsaved_changes():
            self.dismiss(None)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        self.app.push_screen(ConfirmModal(tr("sr.discard_q"), choices=discard_or_keep()), answered)


def _default(fl: FormLine) -> str:
    """What the form fills in for a line: all that is left to ship."""
    return qty_text(fl.line.left).plain


def _row(fl: FormLine, value: str, *, typing: bool = False) -> Widget:
    """A line of the form. ``typing``: the operator is typing in it as the form is rebuilt; its new
    field does not select its text when it gets the focus back, so the next key goes on after it
    (until the operator leaves it: `_left`)."""
    ln = fl.line
    return Horizontal(
        Label(str(ln.line_no), classes="sr-no"),
        Label(plain(f"{fl.name} ({fl.unit})" if fl.unit else fl.name), classes="sr-name"),
        Label(qty_text(ln.ordered), classes="sr-num"),
        Label(qty_text(ln.shipped), classes="sr-num"),
        Label(qty_text(ln.requested), classes="sr-num"),
        Input(value=value, id=f"sr-qty-{ln.line_no}", classes="sr-qty", select_on_focus=not typing),
        classes="sr-row", id=f"sr-row-{ln.line_no}",
    )


__all__ = ["FormLine", "ShipmentRequestScreen"]
