"""The footer every screen shows: F1 help first and quit last, whatever the width.

Textual's Footer lists the screen's keys and then the app's, and cuts the row at the terminal's
edge: at 80 columns (and on the invoice even at 120) help and quit fell off. This footer builds
the same keys, puts help first and quit last, and leaves out, whole, the keys that do not fit,
least important first: the app's other keys, then the screen's from its last; a key left out stays
in F1 help and the command palette (issue 11, "F1 and quit always in the footer").
"""

from __future__ import annotations

from collections import defaultdict

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

# Binding ids (app.py) that are always shown, and where.
FIRST = "app.help"
LAST = "app.quit"


def key_width(key_display: str, description: str) -> int:
    """The cells a FooterKey takes in the non-compact style: ` key ` + `desc `."""
    width = Text(key_display).cell_len + 2
    if description:
        width += Text(description).cell_len + 1
    return width


class CrmFooter(Footer):
    """Footer with help and quit always visible; keys that do not fit are left out whole."""

    def __init__(self, *, keys_at_mount: bool = False) -> None:
        """`keys_at_mount`: list the screen's keys as the footer mounts, with its screen (a modal's
        footer: its first frame has them). Textual's footer waits for the screen's first
        bindings signal and then for a refresh, so a screen's first frames had an empty footer
        bar; that is fine for a full screen, not under a dialog that is already taking keys."""
        super().__init__()
        self._laid_for = -1
        self._keys_at_mount = keys_at_mount

    def _width(self) -> int:
        return self.size.width or self.app.size.width

    def compose(self) -> ComposeResult:
        if not (self._bindings_ready or self._keys_at_mount):
            return
        self._laid_for = self._width()
        active = self.screen.active_bindings
        by_action: dict[str, list[tuple[Binding, bool, str]]] = defaultdict(list)
        for _namespace, binding, enabled, tooltip in active.values():
            if binding.show:
                by_action[binding.action].append((binding, enabled, tooltip))
        items = [entries[0] for entries in by_action.values()]
        first = [i for i in items if i[0].id == FIRST]
        last = [i for i in items if i[0].id == LAST]
        screen_keys = [i for i in items if i not in first and i not in last and not (i[0].id or "").startswith("app.")]
        app_keys = [i for i in items if i not in first and i not in last and i not in screen_keys]
        palette = active.get(self.app.COMMAND_PALETTE_BINDING) if self.show_command_palette else None

        def width_of(item: tuple[Binding, bool, str]) -> int:
            return key_width(self.app.get_key_display(item[0]), item[0].description)

        room = self._width()
        if palette is not None and self.app.ENABLE_COMMAND_PALETTE:
            room -= width_of((palette.binding, palette.enabled, palette.tooltip)) + 2  # its border and padding
        chosen: set[int] = set()
        for item in first + last + screen_keys + app_keys:  # by importance
            width = width_of(item)
            if width <= room:
                chosen.add(id(item))
                room -= width
            elif item in first or item in last:
                chosen.add(id(item))  # never left out: a terminal narrower than this cuts it
        self.styles.grid_size_columns = len(chosen)
        for item in first + screen_keys + app_keys + last:
            if id(item) not in chosen:
                continue
            binding, enabled, tooltip = item
            key = FooterKey(
                binding.key,
                self.app.get_key_display(binding),
                binding.description,
                binding.action,
                disabled=not enabled,
                tooltip=tooltip,
            )
            # The key starts in the footer's style: left to its own default (compact) and then
            # bound, each key was restyled twice as it mounted (10 of the 14 restyles before the
            # first frame of the cold start, bench/start.py). The binding still follows the
            # footer's later changes.
            key.set_reactive(FooterKey.compact, self.compact)
            key.set_class(self.compact, "-compact", update=False)
            yield key.data_bind(compact=Footer.compact)
        if palette is not None and self.app.ENABLE_COMMAND_PALETTE:
            binding = palette.binding
            yield FooterKey(
                binding.key,
                self.app.get_key_display(binding),
                binding.description,
                binding.action,
                classes="-command-palette",
                disabled=not palette.enabled,
                tooltip=binding.tooltip or binding.description,
            )

    def on_resize(self, _event: events.Resize) -> None:
        if self._bindings_ready and self._width() != self._laid_for:
            self.call_after_refresh(self.recompose)
