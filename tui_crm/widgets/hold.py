"""Keys typed behind an action that has not run yet wait for it, in the order typed.

Over SSH and tmux a fast typist's keys arrive in bursts, several a read, and the terminal driver
posts each read to the app as the app is still handling the one before. Some keys start something
that lands later, in another widget's queue: Tab moves the focus (the screen's binding, run behind
the keys typed before it), Enter in the picker's search adds a row once the rows of the text typed
are on screen and opens the quantity dialog, Enter on the picker's list does the same for its
highlighted row. The keys typed after such a key belong to what it leads to (the next field, the
dialog), so they must wait until it has happened. This is the one way keys reach that dialog.

One `KeyHold`, owned by the app, does the waiting for every such key:
- `hold(holder)` — the keys arriving from now on wait, in one queue, in the order typed;
- `release(holder)` — they go on, in that order, each routed as if it had just been typed (to the
  widget focused *now*); keys that arrive while they are going on queue behind them, never ahead.
  That last rule is the point of one queue: handing the held keys on by posting them to the app
  again put them behind keys the driver had posted meanwhile, and a form typed over a slow link
  came out spread over its fields out of order ("+7 912 000-11-22, 8(495ООО «Рога»" in the ИНН).
- The app's and the screen's priority keys (Ctrl+Q quits, the palette) never wait: whatever a
  hold waits for, the operator can always leave (the app asks `is_priority` first).
- A holder that goes away ends its hold: its keys go on (`keep_if_gone`, a field whose form closed:
  to what has the focus now) or are dropped with a bell (an Enter whose screen closed: what was
  typed after it must not land in a screen it was not meant for).
- A screen that takes keys typed ahead of it (`TypedAheadTarget`, the quantity dialog) gets them
  once its input has the focus: the hand-on waits for the dialog's first refresh. Keys that arrive
  while such a dialog is on top but its input has not the focus yet wait the same way, also when
  no hold is on any more (the Enter that opened it came alone in an earlier read).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from textual import events

if TYPE_CHECKING:
    from textual.app import App
    from textual.widget import Widget


class TypedAheadTarget:
    """A dialog that takes the keys typed ahead of it (the quantity dialog the picker's Enter
    opens): held keys are handed on to it once its input has the focus; to any other screen that
    came up meanwhile they are dropped (`SearchBox.release`). Its own Enter holds the keys typed
    after it too, for the screen it returns to: the dialog calls `release_after_enter(input)`
    once its Enter has been handled (refused: it stays; accepted: as it goes away)."""


def release_after_enter(dialog: Widget, field: Widget) -> None:
    """A `TypedAheadTarget` ``dialog`` has handled the Enter in its ``field``: the keys typed after
    it go on (also from its `on_unmount`, when the field is no longer in its DOM)."""
    app = dialog.app
    if isinstance(app, HoldsKeys):
        app.key_hold.release(field)


class HoldsKeys:
    """An app that owns a `KeyHold` (the host app): what a widget asks to hand held keys on."""

    key_hold: KeyHold


class KeyHold:
    """The app's one queue of keys waiting behind a key that has not taken effect yet."""

    def __init__(self, app: App[None], route: Callable[[events.Key], Awaitable[None]]) -> None:
        self._app = app
        self._route = route  # how the app handles a key as typed (focus moves, field keys, bindings)
        self._waiting: deque[events.Key] = deque()
        self._holder: Widget | None = None
        self._keep_if_gone = True
        self._pumping = False
        self._deferred = 0

    @property
    def holder(self) -> Widget | None:
        """The widget whose queued action the keys wait for, if any."""
        return self._holder

    def hold(self, holder: Widget, *, keep_if_gone: bool) -> None:
        """From now on keys wait until `release(holder)`."""
        self._holder, self._keep_if_gone = holder, keep_if_gone

    def take(self, key: events.Key) -> bool:
        """A key as the terminal sent it: True if it waits (a hold is on, or keys released a moment
        ago are still going on ahead of it); False if the app handles it now."""
        if self._holder is not None and not self._holder.is_attached:
            self.release(self._holder, drop=not self._keep_if_gone)  # its screen closed
        if self._holder is None and not self._waiting:
            if not self._dialog_opening():
                return False
            # typed ahead of a dialog whose input has not the focus yet (the Enter that opened it
            # was handled before this read came): it waits for the input as held keys do
            self._waiting.append(key)
            self._app.call_later(self._pump)
            return True
        self._waiting.append(key)
        return True

    def _dialog_opening(self) -> bool:
        """A `TypedAheadTarget` is on top and its input has not the focus yet (it takes it as it
        mounts): keys wait for that, a few refreshes at most."""
        screen = self._app.screen
        return isinstance(screen, TypedAheadTarget) and screen.focused is None and self._deferred < 20

    def release(self, holder: Widget, *, drop: bool = False) -> None:
        """The holder's action has run: the keys that waited go on (or are dropped, with a bell,
        when they would land where they were not meant). A stale holder changes nothing."""
        if holder is not self._holder:
            return
        self._holder = None
        if drop:
            if self._waiting:
                self._waiting.clear()
                self._app.bell()
            return
        if self._waiting:
            # on the app's own queue: keys the driver posted before this call are taken (queued
            # behind the waiting ones) before the waiting ones go on
            self._app.call_later(self._pump)

    async def _pump(self) -> None:
        if self._pumping:
            return
        self._pumping = True
        try:
            while self._waiting and self._holder is None:
                if self._dialog_opening():
                    # the dialog is not up yet (its input takes the focus as it mounts): after its
                    # first refresh (a few at most; then the keys go on to the screen regardless)
                    self._deferred += 1
                    self._app.call_after_refresh(self._pump)
                    return
                self._deferred = 0
                await self._route(self._waiting.popleft())
        finally:
            self._pumping = False


__all__ = ["HoldsKeys", "KeyHold", "TypedAheadTarget", "release_after_enter"]
