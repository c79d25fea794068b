"""A yes/no question as a modal: `dismiss(True)` for yes, `dismiss(False)` for no or escape."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label

from tui_crm.i18n import register, tr

register({
    "bind.yes": {"en": "Yes", "ru": "Да"},
    "bind.no": {"en": "No", "ru": "Нет"},
})


class ConfirmModal(ModalScreen[bool]):
    """Asks before something is lost; the safe answer (no) has the focus."""

    DEFAULT_CSS = """
    ConfirmModal { align: center middle; }
    ConfirmModal > Vertical {
        width: 64; height: auto; padding: 1 2;
        border: thick $warning; background: $panel;
    }
    ConfirmModal #question { width: 1fr; margin-bottom: 1; }
    ConfirmModal Horizontal { height: auto; align-horizontal: right; }
    ConfirmModal Button { margin-left: 2; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y,f2", "answer(True)", tr("bind.yes"), id="confirm.yes"),
        Binding("n,escape", "answer(False)", tr("bind.no"), id="confirm.no"),
    ]

    def __init__(self, question: str, yes: str, no: str) -> None:
        super().__init__()
        self._question = question
        self._yes = yes
        self._no = no

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(self._question), id="question")
            with Horizontal():
                yield Button(self._yes, id="yes", variant="error")
                yield Button(self._no, id="no", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
