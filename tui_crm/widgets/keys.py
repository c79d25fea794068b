"""Escape-prefixed keys (Alt/Meta over SSH and tmux) are keys, never text (issue 11, item 12).

Terminals and tmux send Alt+key as ESC followed by the key. Textual turns ESC+letter into
`alt+a` but still gives it the character `a`, so an Input with the focus inserts it (and the card
turns unsaved); ESC+digit it even maps to macOS Option characters (`\\x1b2` → `™`), so `alt+1` /
`alt+2` could never be bound. `meta_digits_as_alt()` makes ESC+digit the key `alt+2` again and
`as_key()` strips the character from every `alt+…` key, so it can only ever trigger a binding.

Keys typed in a burst keep their order in a field (`field_binding`). Over SSH and tmux several
keys often arrive in one read (`\x7f3\r`: Backspace, 3, Enter). Textual hands a printable key to
the focused Input at once, in the Input's own queue, but a key bound to the Input (Backspace,
Delete, arrows, Home/End, Enter) travels up to the app first and runs the binding from there, a
few queue hops later: the Input has by then inserted the characters typed *after* it. So
`1`, Backspace, `3` gave `13` instead of `3`, and in the quantity dialog a corrected `12` → `15`
became `12` plus a lost `5`. The host app runs such a field binding in the field's own queue, in
the order typed.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, cast

from textual import events
from textual._ansi_sequences import ANSI_SEQUENCES_KEYS
from textual.binding import ActiveBinding, Binding
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Input

if TYPE_CHECKING:
    from textual.widgets import TextArea

# ESC + a top-row key that Textual maps to a macOS Option character (WezTerm's convention).
_OPTION_CHARACTERS = [f"\x1b{c}" for c in "1234567890§-="]


def meta_digits_as_alt() -> None:
    """Let ESC+digit reach the app as `alt+<digit>` (the parser then reads ESC as Alt)."""
    # Textual declares its table a read-only Mapping; it is the module's dict, read per sequence
    table = cast("dict[str, object]", ANSI_SEQUENCES_KEYS)
    for sequence in _OPTION_CHARACTERS:
        table.pop(sequence, None)


def as_key(event: events.Event) -> events.Event:
    """An `alt+…` key without its character (not printable: no widget inserts it)."""
    if isinstance(event, events.Key) and event.key.startswith("alt+") and event.character is not None:
        return events.Key(event.key, None)
    return event


# The screen's focus moves (Textual's `Screen.BINDINGS`: Tab, Shift+Tab), by action name.
FOCUS_MOVES = frozenset({"app.focus_next", "app.focus_previous", "focus_next", "focus_previous",
                         # the shipment request form's ↓ / ↑ between its lines' quantities
                         "focus_line(1)", "focus_line(-1)"})
"""Bindings that only move the focus: in a text field they run behind the keys typed before them,
and the keys typed after them wait for the move (`HostApp._queue_focus_move`)."""


def field_binding(screen: Screen, focused: Widget | None, event: events.Key) -> ActiveBinding | None:
    """The focused text field's own binding for this key, if that is what the key runs.

    None for anything else: no field has the focus, the key is printable (the field inserts it
    itself, in order), a priority binding of the app or screen comes first, or the binding is off.
    """
    if event.is_printable or focused is None:
        return None
    if isinstance(focused, Input):
        editing = _actions(Input)
    else:
        # TextArea (and the tree-sitter and document modules it brings, ~6 ms and ~1 MB) is
        # imported when a key first reaches a focused widget that is not an Input, not at start:
        # the home screen has none (bench/start.py).
        from textual.widgets import TextArea

        if not isinstance(focused, TextArea):
            return None
        editing = _actions(TextArea)
    active = screen.active_bindings.get(event.key)
    if active is None or active.node is not focused or active.binding.priority or not active.enabled:
        return None
    # only the field's own editing keys: what it inherits (Down = scroll) may give way to the screen
    return active if active.binding.action in editing else None


@cache
def _actions(field: type[Input | TextArea]) -> frozenset[str]:
    return frozenset(binding.action for binding in Binding.make_bindings(field.BINDINGS))
