"""An Input with a length limit that says so when the limit stops the operator's typing.

Textual's Input refuses a key past `max_length` with a bell, which an SSH session rarely
sounds: the comment just stopped growing. `LimitedInput.restricted` (Textual's hook for a
refused character) tells the operator once each time the field reaches its limit. A paste over
the limit is cut to fit and said by the host (host.py, `paste_for_input`).
"""

from __future__ import annotations

from textual import on
from textual.widgets import Input

from tui_crm.i18n import register, tr

register({
    "limit.typed": {
        "en": "This field holds at most {limit} characters; what you type past that is not taken.",
        "ru": "В поле помещается не больше {limit} символов; дальше набранное не принимается.",
    },
})


class LimitedInput(Input):
    """An Input with `max_length` that tells the operator when a key was refused by it."""

    def __init__(self, *args: object, max_length: int, **kwargs: object) -> None:
        super().__init__(*args, max_length=max_length, **kwargs)  # type: ignore[arg-type]
        self._told = False

    def restricted(self) -> None:
        self.app.bell()
        if self.max_length and len(self.value) >= self.max_length and not self._told:
            self._told = True
            self.notify(tr("limit.typed", limit=self.max_length), severity="warning", markup=False)

    @on(Input.Changed)
    def _under_again(self, event: Input.Changed) -> None:
        if event.input is self and self.max_length and len(self.value) < self.max_length:
            self._told = False  # reaching the limit again is said again
