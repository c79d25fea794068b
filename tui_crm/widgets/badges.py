"""The one badge system: sync state, lock, paid and shipped, as table-cell text or as a widget.

`sync_badge()` gives a `Text` for table cells (clients list, card); `Badge` is the one-line
widget of headers (invoice, order view). Both take a state's label from one catalog key
(`sync.<state>`) and its colour from one mapping; colours come from theme variables through
CSS classes (`-ok`, `-warn`, `-error`, `-info`, `-muted`), and the text always names the
state, so nothing relies on colour alone.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from tui_crm.domain.models import SyncState
from tui_crm.domain.validation import ClientKind, normalize_phone
from tui_crm.i18n import tr
from tui_crm.widgets.text import clean

# Rich style names only (no hex): they follow the terminal/theme palette.
_SYNC_STYLE = {
    SyncState.LOCAL_ONLY: ("○", "dim"),
    SyncState.QUEUED: ("⇡", "yellow"),
    SyncState.IN_ACCOUNTING: ("●", "green"),
    SyncState.FAILED: ("✖", "bold red"),
    SyncState.CONFLICT: ("⇄", "bold yellow"),
}


# The Badge widget's variant for each sync state.
SYNC_VARIANT = {
    SyncState.LOCAL_ONLY: "-muted",
    SyncState.QUEUED: "-info",
    SyncState.IN_ACCOUNTING: "-ok",
    SyncState.FAILED: "-error",
    SyncState.CONFLICT: "-warn",
}


def sync_label(state: SyncState) -> str:
    """The state in the interface language ("Queued" / "В очереди")."""
    return tr(f"sync.{state.value}")


def sync_badge(state: SyncState, error: str | None = None, *, with_error: bool = False) -> Text:
    """`● In accounting`, `✖ Failed: <1C's reason>`; user/1C text is never parsed as markup."""
    mark, style = _SYNC_STYLE[state]
    text = Text(f"{mark} {sync_label(state)}", style=style)
    if with_error and state is SyncState.FAILED and error:
        text.append(": ")
        text.append(clean(error), style="red")
    return text


def kind_label(kind: ClientKind) -> str:
    return tr(f"kind.{kind.value}")


def format_phone(phone: str) -> str:
    """`+79123456789` → `+7 912 345-67-89`; anything else is shown as stored."""
    e164 = normalize_phone(phone)
    if e164 is None or not e164.startswith("+7") or len(e164) != 12:
        return e164 or phone
    d = e164[2:]
    return f"+7 {d[:3]} {d[3:6]}-{d[6:8]}-{d[8:]}"


VARIANTS = ("-ok", "-warn", "-error", "-info", "-muted")


class Badge(Static):
    """One-line label like `🔒 Posted` or `Partially paid`, styled by its variant."""

    DEFAULT_CSS = """
    Badge {
        width: auto;
        height: 1;
        padding: 0 1;
        margin: 0 1 0 0;
        text-style: bold;
        background: $panel;
        color: $text;
    }
    Badge.-ok { background: $success-muted; color: $text-success; }
    Badge.-warn { background: $warning-muted; color: $text-warning; }
    Badge.-error { background: $error-muted; color: $text-error; }
    Badge.-info { background: $primary-muted; color: $text-primary; }
    Badge.-muted { background: $panel; color: $text-muted; text-style: none; }
    Badge.-hidden { display: none; }
    """

    def __init__(self, text: str = "", variant: str = "-muted", **kwargs: object) -> None:
        super().__init__(Text(text), **kwargs)  # type: ignore[arg-type]
        self.add_class(variant)
        if not text:
            self.add_class("-hidden")

    def show(self, text: str, variant: str = "-muted") -> None:
        """Set text and variant; an empty text hides the badge."""
        self.update(Text(text))
        self.remove_class(*VARIANTS)
        self.add_class(variant)
        self.set_class(not text, "-hidden")
