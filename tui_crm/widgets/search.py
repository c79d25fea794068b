"""A search box over a list, ↓ from it to the list with nothing typed ahead lost, and the keys typed
after an Enter in either kept for the dialog that Enter opens.

Why not a screen binding or a screen `key_down`: a key the focused box does not take bubbles up
and reaches the screen's handler or the App's bindings behind every key already queued. Over SSH
a terminal sends ↓ ↓ ↓ Enter in one go: the box took the Enter first (its `Submitted` opened or
added the FIRST row), or the first ↓ asked for the list's focus — which lands a message later
(`Widget.focus` is deferred) — and the next two reached the box again and were lost. The box
itself turns ↓ into `SearchBox.Down`, posted in the order it took the keys (before the Enter's
`Submitted`), and `ListFocus` moves the list's cursor for every ↓ after the first one until the
focus has landed.

Enter has the same race with the dialog it opens: "сосиски", Enter, 5, Enter in one burst put the
5 into the search (the dialog was not up yet) and the dialog never got its Enter. So the keys typed
after a box's Enter wait in the app's one key hold (widgets/hold.py) until its screen has handled
the `Submitted`; then they go on, in order: to the dialog that opened (a `TypedAheadTarget`, once
its input has the focus), or back into the box when none did. The screen's `Submitted` handler
releases them (`SearchBox.release`) once it has done what Enter does — later, when that waits for
something (the picker waits for the rows of the text typed). The list under the box
(`ResultList`) holds the keys after its Enter the same way: its Enter is an `Entered` message from
the list's own queue, its screen adds the highlighted row and calls `ResultList.release`; the keys
go on to the dialog if it opened, else they are dropped with a bell (nothing was added: typed into
the search, their Enter would add something else).

Two guards keep a hold from ever trapping the operator or sending keys where they were not meant:
- the priority keys (Ctrl+Q quits, Ctrl+P the palette) are never held (`HostApp.on_event`): if
  whatever the Enter waits for never came, the operator can still leave;
- only a screen that says it takes keys typed ahead of it (`TypedAheadTarget`, the quantity
  dialog) gets them; if another screen came up meanwhile (an error, a notice), or the box's own
  screen closed, the held keys are dropped with a bell rather than typed into a screen they were
  not meant for (an Enter there could confirm something).
"""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.message import Message
from textual.widgets import DataTable, Input
from textual.widgets.data_table import CellType
from textual.widgets.input import Selection

from tui_crm.widgets.hold import HoldsKeys, TypedAheadTarget


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

    def __init__(self, *args: object, hold_after_enter: bool = False, **kwargs: object) -> None:
        """``hold_after_enter``: Enter opens a dialog that takes the keys typed after it (the
        picker's quantity); they wait until the screen calls `release` (which its `Submitted`
        handler must do, see the module's notes)."""
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._hold_after_enter = hold_after_enter
        self._typed_before_focus = False  # `type_in` asked for the focus, which has not landed yet

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "down":
            event.stop()
            event.prevent_default()
            self.post_message(self.Down(self))
            return
        await super()._on_key(event)

    @property
    def holds_after_enter(self) -> bool:
        """The keys typed after this box's Enter wait for its screen (`HostApp._route_key`)."""
        return self._hold_after_enter

    def type_in(self, event: events.Key) -> None:
        """A key typed while the focus was elsewhere on the screen (`type_into`), taken as if the
        box had been focused first and then typed into: with `select_on_focus` the old search is
        selected, so the typing starts a new one, as F3 then typing would.

        The key is handed to the box's own queue, so it is inserted in order with the keys that
        follow it, then the box takes the focus. `Widget.focus` is deferred: its Focus event comes
        after keys already in the queue, and Input's own focus handler would then select (and the
        next key overwrite) what was typed so far; `_on_focus` keeps the selection those keys left."""
        if not self.has_focus and not self._typed_before_focus:
            self._typed_before_focus = True
            if self.select_on_focus:
                self.select_all()
            self.focus()
        self.post_message(events.Key(event.key, event.character))

    def _on_focus(self, _event: events.Focus) -> None:
        # Runs before Input's handler (Textual walks the class's MRO), whose select-all the
        # callback undoes once it has run.
        if self._typed_before_focus:
            self._typed_before_focus = False
            kept = self.selection
            self.call_next(self._keep_selection, kept)

    def _keep_selection(self, kept: Selection) -> None:
        self.selection = kept

    def release(self) -> None:
        """The screen has handled the Enter: the keys typed since go on, in the order typed, to the
        dialog the Enter opened (a `TypedAheadTarget` on top), else back into the box when its own
        screen is still on top. When another screen came up meanwhile, they are dropped (with a bell)."""
        app = self.app
        if isinstance(app, HoldsKeys):
            top = app.screen
            app.key_hold.release(self, drop=not (isinstance(top, TypedAheadTarget) or top is self.screen))


def type_into(search: SearchBox, event: events.Key) -> None:
    """A printable key the focused widget left (a list under `search` had the focus, or nothing yet
    had) goes on into `search`, as the operator meant it: a screen's `on_key` calls this. Without
    it, a name typed on the clients list after coming back from a card was lost, and the Enter
    after it opened the highlighted client, not the one typed.

    Screen bindings come first (`n` on the clients list still makes a new client); other keys and
    keys the focused widget took are left alone. See `SearchBox.type_in` for the order."""
    if not (event.is_printable and event.character) or event.key in search.screen.active_bindings:
        return
    event.stop()
    event.prevent_default()
    search.type_in(event)


class ResultList(DataTable[Text]):
    """The list under a search box, whose Enter may open a dialog that takes the keys typed after
    it (the picker's quantity), as the box's Enter does.

    With ``hold_after_enter`` its Enter is not the table's binding (that would run only once the
    key had bubbled up to the app) but an `Entered` message to its screen, posted from the list's
    own queue; the keys typed after it wait in the app's key hold (`HostApp._route_key`) until the
    screen has handled it and calls `release`. Its cursor keys (its own bindings) run in its own
    queue too (`HostApp._route_key`), so ↓ ⏎ in one read adds the row ↓ moved to."""

    class Entered(Message):
        """Enter on the list: the screen adds the highlighted row, then calls `ResultList.release`."""

        def __init__(self, result_list: ResultList) -> None:
            super().__init__()
            self.result_list = result_list

        @property
        def control(self) -> ResultList:
            """The list (so `@on(ResultList.Entered, "#…")` can match it)."""
            return self.result_list

    def __init__(self, *args: object, hold_after_enter: bool = False, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._hold_after_enter = hold_after_enter

    @property
    def holds_after_enter(self) -> bool:
        """The keys typed after this list's Enter wait for its screen (`HostApp._route_key`)."""
        return self._hold_after_enter

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter" and self._hold_after_enter:
            event.stop()
            event.prevent_default()
            self.post_message(self.Entered(self))
            return
        await super()._on_key(event)

    def release(self) -> None:
        """The screen has handled the Enter: the keys typed since go on to the dialog it opened (a
        `TypedAheadTarget` on top). When it opened none (no row, a row that cannot be added, or
        another screen came up meanwhile) they are dropped with a bell: they were typed for the
        dialog, and in the search box their Enter would add something else."""
        app = self.app
        if isinstance(app, HoldsKeys):
            app.key_hold.release(self, drop=not isinstance(app.screen, TypedAheadTarget))


class ListFocus:
    """↓ from a search box to a list, counting the arrows typed before the focus lands."""

    def __init__(self) -> None:
        self.asked = False  # a ↓ asked for the list's focus and it has not landed yet

    def down(self, table: DataTable[CellType]) -> None:
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


__all__ = ["ListFocus", "ResultList", "SearchBox", "TypedAheadTarget", "type_into"]
