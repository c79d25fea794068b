"""The one confirm dialog: a question and two or more answers, each with a button and keys.

`ConfirmModal(question, yes, no)` is the yes/no form (`dismiss(True)` for yes, `False` for no or
escape); `ConfirmModal(question, choices=[...])` offers more answers (save / discard / keep
editing). The safe answer, the last one, has the focus, and escape always gives it.

Every button shows the key that chooses it, one way for every dialog (`Choice.button_text`):
"Discard (d)", and "(esc)" on the safe answer. Catalog strings carry the bare label.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Label

from tui_crm.i18n import register, tr
from tui_crm.widgets.dialog import CrmModal
from tui_crm.widgets.text import plain

register({
    "bind.yes": {"en": "Yes", "ru": "Да"},
    "bind.no": {"en": "No", "ru": "Нет"},
    "confirm.discard": {"en": "Discard", "ru": "Отбросить"},
    "confirm.keep": {"en": "Keep editing", "ru": "Продолжить"},
})


@dataclass(frozen=True)
class Choice:
    """One answer: what `dismiss` returns, the button's label, and the keys that choose it."""

    value: Any
    label: str
    keys: str

    def button_text(self, *, safe: bool) -> str:
        """The label with the key to press: the first of `keys`, or esc for the safe answer
        (escape always gives it, whatever else its keys are)."""
        key = "esc" if safe else self.keys.split(",")[0].strip()
        return f"{self.label} ({key})"


def discard_or_keep() -> list[Choice]:
    """Answers of "drop what was typed?" (the card, the shipment request form). F2 is Save or
    Send on those screens (and Save in the invoice's same question), so it never means Discard
    here: d/y discard, c/n/Esc keep editing."""
    return [Choice(True, tr("confirm.discard"), "d,y"), Choice(False, tr("confirm.keep"), "c,n")]


class ConfirmModal(CrmModal[Any]):
    """Asks before something is lost; the safe answer (the last choice) has the focus."""

    DEFAULT_CSS = """
    ConfirmModal > Vertical {
        width: 64; height: auto; padding: 1 2;
        border: thick $warning; background: $panel;
    }
    ConfirmModal #title { text-style: bold; margin-bottom: 1; }
    ConfirmModal #question { width: 1fr; margin-bottom: 1; }
    ConfirmModal Horizontal { height: auto; align-horizontal: right; }
    ConfirmModal Button { margin-left: 2; min-width: 10; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "safe", tr("bind.no"), show=False, id="confirm.safe"),
    ]

    def __init__(self, question: str, yes: str = "", no: str = "", *,
                 choices: Sequence[Choice] | None = None, title: str = "") -> None:
        super().__init__()
        self._question = question
        self._title = title
        self._choices = list(choices) if choices else [
            Choice(True, yes or tr("bind.yes"), "y,f2"), Choice(False, no or tr("bind.no"), "n")]
        safe = len(self._choices) - 1
        for index, choice in enumerate(self._choices):
            # The footer names the key each button names: esc for the safe answer ("Keep editing
            # (esc)"; escape gives it, `action_safe`, as do its own keys).
            self._bindings.bind(choice.keys, f"choose({index})", choice.label, show=True,
                                key_display="esc" if index == safe else None)

    def compose(self) -> ComposeResult:
        with Vertical():
            if self._title:
                yield Label(plain(self._title), id="title")
            # The question may quote a name or 1C's label: plain text, never terminal control.
            yield Label(plain(self._question, one_line=False), id="question")
            with Horizontal():
                for index, choice in enumerate(self._choices):
                    safe = index == len(self._choices) - 1
                    yield Button(choice.button_text(safe=safe), id=f"choice-{index}",
                                 variant="primary" if safe else "error")

    def on_mount(self) -> None:
        self.query_one(f"#choice-{len(self._choices) - 1}", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.action_choose(int((event.button.id or "choice-0").removeprefix("choice-")))

    def action_choose(self, index: int) -> None:
        self.dismiss(self._choices[index].value)

    def action_safe(self) -> None:
        self.dismiss(self._choices[-1].value)
