"""A search box over a list, and ↓ from it to the list with nothing typed ahead lost.

Why not a screen binding or a screen `key_down`: a key the focused box does not take bubbles up
and reaches the screen's handler or the App's bindings behind every key already queued. Over SSH
a terminal sends ↓ ↓ ↓ Enter in one go: the box took the Enter first (its `Submitted` opened or
added the FIRST row), or the first ↓ asked for the list's focus — which lands a message later
(`Widget.focus` is deferred) — and the next two reached the box again and were lost. The box
itself turns ↓ into `SearchBox.Down`, posted in the order it took the keys (before the Enter's
`Submitted`), and `ListFocus` moves the list's cursor for every ↓ after the first one until the
focus has landed.
"""

from __future__ import annotations

from textual import events
from textual.message import Message
from textual.widgets import DataTable, Input


class SearchBox(Input):
    """An `Input` whose ↓ is a `Down` message to its screen (in key order), not a bubbling key."""

    class Down(Message):
        """↓ in the search box: the screen goes to its list (`ListFocus.down`)."""

        def __init__(self, box: SearchBox) -> None:
            super().__init__()
            self.box = box

        @property
        def control(self) -> SearchBox:
            """The box (so `@on(SearchBox.Down, "#search")` can match it)."""
            return self.box

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "down":
            event.stop()
            event.prevent_default()
            self.post_message(self.Down(self))
            return
        await super()._on_key(event)


class ListFocus:
    """↓ from a search box to a list, counting the arrows typed before the focus lands."""

    def __init__(self) -> None:
        self.asked = False  # a ↓ asked for the list's focus and it has not landed yet

    def down(self, table: DataTable[object]) -> None:
        """The first ↓ focuses the list on its highlighted row; each ↓ typed before that focus
        landed moves one row down (as it would have in the list)."""
        if not table.row_count:
            return
        if self.asked:
            table.action_cursor_down()
            return
        self.asked = True
        table.focus()

    def landed(self) -> None:
        """Call on the screen's `DescendantFocus`: the next ↓ from the box starts afresh."""
        self.asked = False


__all__ = ["ListFocus", "SearchBox"]
