"""Escape-prefixed keys (Alt/Meta over SSH and tmux) are keys, never text (issue 11, item 12).

Terminals and tmux send Alt+key as ESC followed by the key. Textual turns ESC+letter into
`alt+a` but still gives it the character `a`, so an Input with the focus inserts it (and the card
turns unsaved); ESC+digit it even maps to macOS Option characters (`\\x1b2` → `™`), so `alt+1` /
`alt+2` could never be bound. `meta_digits_as_alt()` makes ESC+digit the key `alt+2` again and
`as_key()` strips the character from every `alt+…` key, so it can only ever trigger a binding.
"""

from __future__ import annotations

from textual import events
from textual._ansi_sequences import ANSI_SEQUENCES_KEYS

# ESC + a top-row key that Textual maps to a macOS Option character (WezTerm's convention).
_OPTION_CHARACTERS = [f"\x1b{c}" for c in "1234567890§-="]


def meta_digits_as_alt() -> None:
    """Let ESC+digit reach the app as `alt+<digit>` (the parser then reads ESC as Alt)."""
    for sequence in _OPTION_CHARACTERS:
        ANSI_SEQUENCES_KEYS.pop(sequence, None)


def as_key(event: events.Event) -> events.Event:
    """An `alt+…` key without its character (not printable: no widget inserts it)."""
    if isinstance(event, events.Key) and event.key.startswith("alt+") and event.character is not None:
        return events.Key(event.key, None)
    return event
