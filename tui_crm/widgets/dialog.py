"""`CrmModal`: the base of every modal screen of the app — what a dialog shows around its box.

* **Its own footer.** A modal screen lets the screen below show through, dimmed, footer and all:
  the discard question showed the form's "F2 Send · Esc Cancel" under its own buttons. Every
  modal has a `CrmFooter` of its own, over the one below, listing the keys that work in it. It is
  composed with the modal (`mount_composed_widgets`, Textual's public hook after `compose`) and
  lists the keys as it mounts, so the modal's first frame has them: mounted after the modal, it
  came a frame late and its keys several frames later, under a box already taking keys.
* **Toasts above the box, never over it** (a dialog, the default). Textual docks a screen's
  toasts at its bottom right on a layer of their own, so at 80×24 a toast ("Accounting changed
  the order…") lay over a centred dialog's buttons. In a dialog the toast rack takes part in the
  screen's layout instead: the box sits at the bottom, just above its footer, and the toasts get
  the rows above it (`height: 1fr`), lined up with the box's left edge; the box has the rows it
  needs first, so a toast cannot reach it, and it does not move when a toast comes or goes.
  Only the newest toast is shown over a dialog: the rack cannot scroll (Textual keeps it
  invisible, and an invisible widget gets no size), so with two toasts the newest ran on under
  the box, its end hidden (80×24, the reserve confirmation: 10 rows, a long sync error of 9 after
  another toast). The older ones are shown again on the screen below once the dialog closes.
* The screens below show no toasts meanwhile (they would show through, cut by the box); Textual
  shows them again when their screen is back on top.
* **Textual's insides, in one place.** Textual 8.2 has no public name for the container of a
  screen's toasts (`textual.widgets._toast.ToastRack`); it gives it an id, `textual-toastrack`
  (`TOAST_RACK_ID`). The CSS below and `toast_rack()` use that id and nothing else of it;
  tests/screens/test_dialog_chrome.py fails by name if an upgrade changes it.
* A modal that fills the screen (`FULL_SIZE`: the picker, F1 help, an error's full text) has no
  room beside it and no buttons: its toasts float over it as on a full screen.
"""

from __future__ import annotations

from typing import ClassVar, TypeVar

from textual import events
from textual.css.query import NoMatches
from textual.screen import ModalScreen, Screen
from textual.widget import Widget

from tui_crm.widgets.footer import CrmFooter

ResultT = TypeVar("ResultT")

TOAST_RACK_ID = "textual-toastrack"
"""The id Textual (8.2, `Screen._extend_compose`) gives the container of a screen's toasts, a child
of every screen when notifications are on. Its class has no public name."""


def toast_rack(screen: Screen[object]) -> Widget | None:
    """The container of `screen`'s toasts (None if Textual made none: notifications off)."""
    try:
        return screen.get_child_by_id(TOAST_RACK_ID)
    except NoMatches:
        return None


class CrmModal(ModalScreen[ResultT]):
    """A modal screen with its own footer; a dialog (not `FULL_SIZE`) keeps toasts off its box."""

    FULL_SIZE: ClassVar[bool] = False
    """True for a modal that fills the screen: its toasts float over it (it has no buttons)."""

    # The rack is as wide as its toasts (a full-width rack would widen what the screen centres
    # and put the box at the left edge); a toast keeps its 60 cells rather than half of that.
    # In the rack, each toast is wrapped in a holder (rack > holder > toast).
    DEFAULT_CSS = f"""
    CrmModal.-dialog {{ align: center bottom; }}
    CrmModal.-dialog > #{TOAST_RACK_ID} {{
        layer: default;
        dock: none;
        height: 1fr;
        width: auto;
        margin-bottom: 0;
    }}
    CrmModal.-dialog > #{TOAST_RACK_ID} > * {{ width: auto; display: none; }}
    CrmModal.-dialog > #{TOAST_RACK_ID} > *:last-child {{ display: block; }}
    CrmModal.-dialog > #{TOAST_RACK_ID} > * > * {{ max-width: 100%; }}
    """

    def __init__(self, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.set_class(not self.FULL_SIZE, "-dialog")

    async def mount_composed_widgets(self, widgets: list[Widget]) -> None:
        # After the subclass's `compose` (which need not know about it), in the same mount: the
        # footer is there, keys and all, when the modal first lays out and paints.
        await super().mount_composed_widgets([*widgets, CrmFooter(keys_at_mount=True)])

    def on_screen_resume(self, _event: events.ScreenResume) -> None:
        # The toasts are shown on this screen; the screens below keep theirs mounted until they
        # come back (Textual shows them again then), and those showed through the dimmed
        # background beside this box as cut pieces of text.
        for screen in self.app.screen_stack:
            if screen is self:
                break
            rack = toast_rack(screen)
            if rack is not None:
                rack.display = False
