"""F1 help: the keys of the screen underneath and the global ones, in the interface language."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.table import Table
from rich.text import Text
from textual.actions import parse as parse_action
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widgets import Label, Static

from tui_crm.i18n import register, retranslate, tr
from tui_crm.screens.base import HostedScreen
from tui_crm.widgets.dialog import CrmModal
from tui_crm.widgets.text import plain

register({
    "help.title": {"en": "Keys", "ru": "Клавиши"},
    "help.screen": {"en": "On this screen ({name})", "ru": "На этом экране ({name})"},
    "help.screen_untitled": {"en": "On this screen", "ru": "На этом экране"},
    "help.global": {"en": "Everywhere", "ru": "Везде"},
    "help.footer": {
        "en": "Every action is also a command: ctrl+p or F12. Esc closes.",
        "ru": "Все действия есть в палитре команд: ctrl+p или F12. Esc — закрыть.",
    },
    "help.demo": {"en": "Demo: the accounting side", "ru": "Демо: сторона учёта"},
    "help.demo_url": {"en": "Accounting sandbox (1C-like OData): {url}",
                      "ru": "Песочница учёта (OData как в 1С): {url}"},
    "help.demo_clerk": {
        "en": "Act as the accounting clerk in another shell: tui-crm sandbox orders | post N | "
              "pay N --amount X | ship N (tui-crm sandbox --help lists more).",
        "ru": "Действия бухгалтера — в другом терминале: tui-crm sandbox orders | post N | "
              "pay N --amount X | ship N (tui-crm sandbox --help — остальные).",
    },
    "help.col_keys": {"en": "Keys", "ru": "Клавиши"},
    "help.col_action": {"en": "Action", "ru": "Действие"},
})


def offered(node: DOMNode, action: str) -> bool:
    """Whether `node` offers `action` now: its own `check_action`, as Textual's footer asks it. A
    card without a duplicate hides "Open duplicate", so F1 does not list it either (None, "shown
    but disabled", still lists it: the key exists there, it just does nothing at this moment)."""
    _namespace, name, parameters = parse_action(action)
    return node.check_action(name, parameters) is not False


def binding_rows(node: DOMNode, app: App[Any]) -> list[tuple[str, str]]:
    """(keys, description) for each described binding of `node` it offers now, one row per action."""
    bindings = node._bindings.copy()
    if app._keymap:  # the user's remapped keys (App.set_keymap)
        bindings.apply_keymap(app._keymap)
    rows: dict[str, tuple[list[str], str]] = {}
    for _key, binding in bindings:
        if not binding.description or binding.system or not offered(node, binding.action):
            continue
        display = binding.key_display or app.get_key_display(Binding(binding.key, binding.action))
        keys, _description = rows.setdefault(binding.action, ([], retranslate(binding.description)))
        if display not in keys:
            keys.append(display)
    return [(" / ".join(keys), description) for keys, description in rows.values()]


def _table(rows: list[tuple[str, str]]) -> Table:
    table = Table(box=None, show_header=False, expand=True, pad_edge=False)
    table.add_column(tr("help.col_keys"), width=22, no_wrap=True)
    table.add_column(tr("help.col_action"), ratio=1)
    for keys, description in rows:
        table.add_row(Text(keys, style="bold"), Text(description))
    return table


class HelpScreen(CrmModal[None]):
    """Lists the bindings of `screen` (the one F1 was pressed on) and of the app."""

    FULL_SIZE = True  # as tall as its keys: toasts float over it
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical {
        width: 76; height: auto; max-height: 100%;
        border: thick $primary; background: $panel; padding: 0 1;
    }
    HelpScreen #help-title { text-style: bold; width: 1fr; content-align: center middle; }
    HelpScreen .section { text-style: bold; color: $text-primary; margin-top: 1; }
    HelpScreen VerticalScroll { height: auto; max-height: 1fr; }
    HelpScreen #help-footer { color: $text-muted; margin-top: 1; width: 1fr; content-align: center middle; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,f1,q", "dismiss", tr("bind.close"), id="help.close"),
    ]

    def __init__(self, screen: Screen[Any], *, demo_url: str | None = None) -> None:
        super().__init__()
        self._target = screen
        self._demo_url = demo_url

    def compose(self) -> ComposeResult:
        # A screen without a title is named by nothing rather than by its Python class.
        name = str(self._target.title or "")
        with Vertical():
            yield Label(tr("help.title"), id="help-title")
            with VerticalScroll():
                # The title may be a client's name from 1C: plain text, never markup.
                yield Label(plain(tr("help.screen", name=name) if name else tr("help.screen_untitled")),
                            classes="section")
                yield Static(_table(binding_rows(self._target, self.app)), id="screen-keys")
                if isinstance(self._target, HostedScreen):
                    for title, text in self._target.help_notes():
                        yield Label(title, classes="section")
                        yield Static(plain(text), classes="help-note")
                yield Label(tr("help.global"), classes="section")
                yield Static(_table(binding_rows(self.app, self.app)), id="global-keys")
                if self._demo_url:  # `tui-crm demo`: where accounting is and how to act as its clerk
                    yield Label(tr("help.demo"), classes="section")
                    yield Static(plain(tr("help.demo_url", url=self._demo_url)), id="demo-url")
                    yield Static(tr("help.demo_clerk"), id="demo-clerk", markup=False)
            yield Label(tr("help.footer"), id="help-footer")
