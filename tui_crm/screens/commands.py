"""Command-palette providers, one per area (docs/architecture.md §2; after posting's commands.py and dolphie's palette).

- `ScreenProvider`: every key of the screen the palette was opened from, as a command; a new
  screen's actions therefore appear in the palette without anything to register here;
- `AppProvider`: the global keys (help, find, sync, products, sync log) and going home;
- `ClientsProvider`: new client and the clients list;
- `LookupProvider`: quick lookup "go to invoice or client by number, name, phone or ИНН";
- `ThemeProvider`: any built-in theme by name.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

from rich.align import Align
from rich.text import Text
from textual.binding import Binding
from textual.command import CommandList, CommandPalette, DiscoveryHit, Hit, Hits, Provider
from textual.widgets.option_list import Option

from tui_crm.domain.money import format_money
from tui_crm.i18n import language, register, retranslate, tr
from tui_crm.screens.help import offered
from tui_crm.widgets.badges import format_phone
from tui_crm.widgets.text import markup_literal, short

register({
    "cmd.go_clients": {"en": "Clients list", "ru": "Список клиентов"},
    "cmd.go_clients_help": {"en": "Go to the clients list (the home screen)", "ru": "Перейти к списку клиентов"},
    "cmd.new_client": {"en": "New client", "ru": "Новый клиент"},
    "cmd.new_client_help": {"en": "Open an empty client card", "ru": "Открыть пустую карточку клиента"},
    "cmd.key": {"en": "key {keys}", "ru": "клавиша {keys}"},
    "cmd.client": {"en": "Client", "ru": "Клиент"},
    "cmd.invoice": {"en": "Invoice", "ru": "Счёт"},
    "cmd.theme": {"en": "Theme: {name}", "ru": "Тема: {name}"},
    "cmd.theme_help": {"en": "Switch to the {name} colour theme", "ru": "Включить цветовую тему {name}"},
    "cmd.lookup": {"en": "Find an invoice or a client…", "ru": "Найти счёт или клиента…"},
    "cmd.no_matches": {"en": "No matches found", "ru": "Ничего не найдено"},
})


class CrmPalette(CommandPalette):
    """Textual's palette (ctrl+p, and F4's lookup) saying "nothing found" in the interface
    language: Textual words it in English inside `_start_no_matches_countdown`, so that method
    is Textual 8.2's own with the text translated (tests/screens/test_palette_snapshots.py checks it).
    Textual 8.2.8 offers no public way to set that text (no class var, message or hook: the
    literal sits inside this private method), so the override stays until one exists."""

    def _start_no_matches_countdown(self, search_value: str) -> None:
        self._stop_no_matches_countdown()

        def _show_no_matches() -> None:
            if search_value:
                self.query_one(CommandList).add_option(
                    Option(Align.center(Text(tr("cmd.no_matches"), style="not bold")),
                           disabled=True, id=self._NO_MATCHES)
                )
                self._list_visible = True
            else:
                self._list_visible = False

        self._no_matches_timer = self.set_timer(self._NO_MATCHES_COUNTDOWN, _show_no_matches)

# Actions that make no sense as palette commands: the palette itself, quit (a system command),
# moving focus and copying (Textual's own keys; F1 help still lists them).
_SKIP_ACTIONS = {
    "command_palette", "app.command_palette", "quit", "app.quit",
    "app.focus_next", "app.focus_previous", "focus_next", "focus_previous", "screen.copy_text",
}
Command = tuple[str, str, Callable[[], Any]]


def _key_text(app: Any, binding: Binding) -> str:
    """`F2 / alt+s`: every key of a binding as the footer would show it."""
    if binding.key_display:
        return binding.key_display
    keys = [k.strip() for k in binding.key.split(",") if k.strip()]
    return " / ".join(app.get_key_display(Binding(k, binding.action)) for k in keys)


def binding_commands(node: Any, app: Any) -> Iterator[Command]:
    """(title, help, run) for each described binding of `node` it offers now (as F1 lists them),
    one per action, keymap applied."""
    bindings = node._bindings.copy()
    if app._keymap:  # the user's remapped keys (App.set_keymap)
        bindings.apply_keymap(app._keymap)
    seen: dict[str, Binding] = {}
    for _key, binding in bindings:
        if binding.action in _SKIP_ACTIONS or not binding.description or not offered(node, binding.action):
            continue
        if binding.action in seen:
            first = seen[binding.action]
            seen[binding.action] = Binding(
                f"{first.key},{binding.key}", first.action, first.description, id=first.id
            )
            continue
        seen[binding.action] = binding
    for action, binding in seen.items():
        title = retranslate(binding.description)
        yield title, tr("cmd.key", keys=_key_text(app, binding)), partial(node.run_action, action)


def clients_commands(app: Any) -> list[Command]:
    return [
        (tr("cmd.go_clients"), tr("cmd.go_clients_help"), app.action_clients),
        (tr("cmd.new_client"), tr("cmd.new_client_help"), app.action_new_client),
        (tr("cmd.lookup"), tr("lookup.placeholder"), app.action_lookup),
    ]


def app_commands(app: Any, screen: Any) -> list[Command]:
    """Global keys as commands, then Textual's system commands (theme, quit…)."""
    commands = list(binding_commands(app, app))
    commands += [(c.title, c.help, c.callback) for c in app.get_system_commands(screen)]
    return commands


class _AreaProvider(Provider):
    """Searches one area's commands. Discovery (the list shown before typing) comes from
    `ScreenProvider` alone, in a fixed order: the palette shows discovery hits in the order they
    arrive, and several providers racing would reorder them from run to run."""

    def _commands(self) -> list[Command]:
        raise NotImplementedError

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, run in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), run, text=title, help=help_text)


class ScreenProvider(_AreaProvider):
    """The current screen's actions (save, new invoice, send to accounting…)."""

    def _commands(self) -> list[Command]:
        return list(binding_commands(self.screen, self.app))

    async def discover(self) -> Hits:
        app: Any = self.app
        everything = self._commands() + clients_commands(app) + app_commands(app, self.screen)
        seen: set[str] = set()
        for title, help_text, run in everything:
            if title not in seen:
                seen.add(title)
                yield DiscoveryHit(title, run, help=help_text)


class AppProvider(_AreaProvider):
    """Global actions: help, find, sync now, sync log, products, theme, quit."""

    def _commands(self) -> list[Command]:
        return app_commands(self.app, self.screen)


class ClientsProvider(_AreaProvider):
    """Clients area: the list, a new card and the lookup, from anywhere."""

    def _commands(self) -> list[Command]:
        return clients_commands(self.app)


class LookupProvider(Provider):
    """Go to an invoice or a client by invoice number, name, phone or ИНН (store query in a thread)."""

    LIMIT = 10

    async def search(self, query: str) -> Hits:
        text = query.strip()
        if len(text) < 2:
            return
        app: Any = self.app
        from tui_crm.screens.forms import format_date  # the forms module is not needed at start

        hits = await asyncio.to_thread(app.store.lookup, text, self.LIMIT)
        lang = language()
        for n, hit in enumerate(hits):
            score = 1.0 - n / 100  # keep the store's order: invoices by number first
            display = Text()
            if hit.kind == "invoice":
                display.append(f"{tr('cmd.invoice')} ", style="dim")
                display.append(short(hit.title), style="bold")
                if hit.detail:
                    display.append(f"  {short(hit.detail)}")
                help_parts = []
                if hit.date is not None:
                    help_parts.append(format_date(hit.date))
                if hit.total is not None:
                    help_parts.append(format_money(hit.total, lang))  # type: ignore[arg-type]
                help_text = " · ".join(help_parts)
            else:
                display.append(f"{tr('cmd.client')} ", style="dim")
                display.append(short(hit.title), style="bold")
                phone = format_phone(hit.phone) if hit.phone else ""
                help_text = " · ".join(short(x) for x in (hit.detail, phone) if x)
            yield Hit(
                score, display, partial(app.open_lookup_hit, hit.kind, hit.id, hit.posted),
                # Textual parses a hit's help as markup; ИНН, names and phones come from 1C.
                text=display.plain, help=markup_literal(help_text) or None,
            )


class ThemeProvider(Provider):
    """Every available theme, including the ANSI ones for odd terminals."""

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        app: Any = self.app
        for name in sorted(app.available_themes):
            title = tr("cmd.theme", name=name)
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), partial(setattr, app, "theme", name),
                          text=title, help=tr("cmd.theme_help", name=name))
