"""Small pieces of styled text shared by screens: sync state badges, client kinds, phones."""

from __future__ import annotations

from rich.text import Text

from tui_crm.domain.models import SyncState
from tui_crm.domain.validation import ClientKind, normalize_phone
from tui_crm.i18n import tr

# Rich style names only (no hex): they follow the terminal/theme palette.
_SYNC_STYLE = {
    SyncState.LOCAL_ONLY: ("○", "dim"),
    SyncState.QUEUED: ("⇡", "yellow"),
    SyncState.IN_ACCOUNTING: ("●", "green"),
    SyncState.FAILED: ("✖", "bold red"),
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
        text.append(error, style="red")
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
