"""Clients list, the home screen: type a name, phone or ИНН; `enter` opens the card, `n` a new one.

The list is a query with LIMIT run in a thread worker on every keystroke (docs/architecture.md §2): the
screen never holds more than a page of rows, however many clients the base has.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable, Input, Label
from textual.worker import Worker, WorkerState, get_current_worker

from tui_crm.domain.custom import CustomFilter, split_filter
from tui_crm.domain.models import SyncState
from tui_crm.domain.validation import normalize_phone
from tui_crm.i18n import language, register, tr
from tui_crm.problems import describe
from tui_crm.screens.base import HostedScreen
from tui_crm.store import ClientRow, Store
from tui_crm.widgets.badges import format_phone, sync_badge
from tui_crm.widgets.columns import Col, FitTable
from tui_crm.widgets.footer import CrmFooter
from tui_crm.widgets.money import debt_text
from tui_crm.widgets.search import ListFocus, SearchBox, type_into
from tui_crm.widgets.text import plain

register({
    "clients.filter_title": {"en": "Filter by a company field", "ru": "Фильтр по реквизиту компании"},
    "clients.filter_help": {
        "en": "Type field=text in the search box (contains, case aside; a reference by its item's "
              "name), field>N or field<N for numbers and dates, field=yes/no for a yes/no field; "
              "words before it still search names, phones and ИНН, e.g. «ромашка {example}=опт». "
              "Fields: {fields}.",
        "ru": "Введите в поиске поле=текст (содержит, без учёта регистра; ссылка — по названию "
              "элемента), поле>N или поле<N для чисел и дат, поле=да/нет для поля «да/нет»; слова "
              "перед ним ищут, как обычно, по названию, телефону и ИНН, например «ромашка {example}=опт». "
              "Поля: {fields}.",
    },
    "clients.title": {"en": "Clients", "ru": "Клиенты"},
    "clients.search": {"en": "Type a name, phone or ИНН…", "ru": "Название, телефон или ИНН…"},
    "clients.empty": {
        "en": "No clients yet. Press F2 to add the first one.",
        "ru": "Клиентов пока нет. F2 — добавить первого.",
    },
    "clients.none_found": {
        "en": "Nothing matches “{text}”. F2 creates a client with it.",
        "ru": "Ничего не найдено по «{text}». F2 — создать клиента.",
    },
    "clients.shown": {"en": "{count} shown", "ru": "показано: {count}"},
    "clients.more": {
        "en": "first {count} shown — type more to narrow",
        "ru": "показаны первые {count} — уточните поиск",
    },
    "clients.load_failed": {"en": "Could not read the clients: {error}",
                            "ru": "Не удалось прочитать клиентов: {error}"},
    "clients.from_accounting": {"en": "from accounting", "ru": "из учёта"},
    "clients.from_accounting_state": {"en": "From accounting", "ru": "Из учёта"},
    "col.client": {"en": "Client", "ru": "Клиент"},
    "col.inn": {"en": "ИНН", "ru": "ИНН"},
    "col.phone": {"en": "Phone", "ru": "Телефон"},
    "col.debt": {"en": "Debt", "ru": "Долг"},
    "col.sync": {"en": "Accounting", "ru": "Учёт"},
    "bind.new_client": {"en": "New client", "ru": "Новый клиент"},
    "bind.open": {"en": "Open", "ru": "Открыть"},
    "bind.clear": {"en": "Clear search", "ru": "Очистить поиск"},
})


@dataclass
class ClientsLoaded(Message):
    """A search finished in a worker; `text` lets the handler drop answers to older keystrokes."""

    text: str
    rows: list[ClientRow]


def prefill_from_search(text: str) -> dict[str, str]:
    """What the operator typed, put where a new card expects it: a phone, an ИНН or a name."""
    text = text.strip()
    if not text:
        return {}
    if re.fullmatch(r"\d{10}|\d{12}", text):
        return {"inn": text}
    if normalize_phone(text) is not None:
        return {"phones": text}
    if re.search(r"\d{3}", text):
        return {}
    return {"name": text}


class ClientsScreen(HostedScreen[None]):
    """Clients: list with type-to-filter; the app's home screen."""

    CSS_PATH = "clients.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f2,insert", "new_client", tr("bind.new_client"), id="clients.new"),
        Binding("n", "new_client", tr("bind.new_client"), show=False, id="clients.new_letter"),
        Binding("f3,slash", "focus_search", tr("bind.search"), id="clients.search"),
        Binding("escape", "clear_search", tr("bind.clear"), show=False, id="clients.clear"),
    ]

    LIMIT = 200

    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store
        self._rows: list[ClientRow] = []
        self._filter_problem = ""
        self._shown_once = False
        self._resumed = False  # the screen was shown once already (on_screen_resume)
        self._to_list = ListFocus()  # ↓ from the search to the list, typed-ahead arrows kept
        self._shown_text: str | None = None  # the search text the list's rows answer
        self._open_when_shown = False  # Enter came before the rows of the typed text

    def compose(self) -> ComposeResult:
        yield Label(tr("clients.title"), id="title", classes="screen-title")
        yield SearchBox(placeholder=tr("clients.search"), id="search")
        yield FitTable(self.columns(), id="clients")
        yield Label("", id="hint")
        yield self.status_bar()
        yield CrmFooter()

    def on_mount(self) -> None:
        self.title = tr("clients.title")
        self.query_one("#search", Input).focus()
        self._first_read()

    def _first_read(self) -> None:
        """The first rows are read here, on the event loop, so that the screen's first frame
        already holds them: one read of at most 201 rows (~5 ms on 1 000 clients), where a worker
        cost an empty frame and a hop first (~40 ms of the cold start, bench/start.py). Every
        later search runs in a worker. A read that fails is said the same way as there."""
        text = self.query_one("#search", Input).value
        words, flt = self._split_search(text)
        try:
            rows = self.store.client_rows(words, limit=self.LIMIT + 1, custom=flt)
        except Exception as exc:  # noqa: BLE001 - a locked or damaged file: in words, the app keeps running
            self.notify(tr("clients.load_failed", error=str(exc)), severity="error", markup=False, timeout=10)
            return
        self._show(rows, text)

    @staticmethod
    def columns() -> list[Col]:
        """By priority (docs: widgets/columns.py): the name and the debt always, then the state,
        the phone, the ИНН; at 80 columns the ИНН goes first."""
        return [
            Col("name", tr("col.client"), 36, min=16, grow=True),
            Col("inn", tr("col.inn"), 12, priority=3),
            Col("phone", tr("col.phone"), 20, min=16, priority=2),
            Col("debt", tr("col.debt"), 10, right=True, fit=True),
            Col("sync", tr("col.sync"), 18, priority=1),
        ]

    def help_notes(self) -> list[tuple[str, str]]:
        """How to filter by the profile's company-specific fields (only when there are some)."""
        specs = self.host.custom_fields.client
        if not specs:
            return []
        lang = language()
        names = ", ".join(f"{s.name} ({s.label(lang)})" for s in specs)
        return [(tr("clients.filter_title"), tr("clients.filter_help", fields=names, example=specs[0].name))]

    def on_screen_resume(self) -> None:
        """Back from a card: show what was saved there. The first resume is the screen's first
        showing, and the rows read as it mounted are current: a second read there cost a
        worker's query just before the first frame reached the terminal and a second fill of
        the 200 rows just after it (bench/start.py). Should the first read have failed, this
        one tries again."""
        first, self._resumed = not self._resumed, True
        if self.is_mounted and not (first and self._shown_once):
            self.run_search()

    def refresh_data(self) -> None:
        """Called by the app after a pull."""
        self.run_search()

    # -- loading -----------------------------------------------------------------------------
    def run_search(self) -> None:
        self._search(self.query_one("#search", Input).value)

    def _search(self, text: str) -> None:
        """A search, with a company-specific field filter (``industry=опт``) split off the words;
        a filter that cannot be read is said under the list and filters nothing."""
        words, flt = self._split_search(text)
        self._query(text, words, flt)

    def _split_search(self, text: str) -> tuple[str, CustomFilter | None]:
        """The searched words and the company-field filter of `text`; a filter that cannot be
        read is kept, worded, in `_filter_problem` (said under the list) and filters nothing."""
        words, flt, problem = split_filter(self.host.custom_fields.client, text)
        self._filter_problem = describe(problem) if problem is not None else ""
        return words, flt

    @work(thread=True, exclusive=True, group="clients-search", exit_on_error=False)
    def _query(self, text: str, words: str, flt: CustomFilter | None) -> None:
        rows = self.store.client_rows(words, limit=self.LIMIT + 1, custom=flt)
        if not get_current_worker().is_cancelled:
            self.post_message(ClientsLoaded(text, rows))

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        """A failed read (locked or damaged file) is said in words; the app keeps running."""
        if event.state == WorkerState.ERROR and event.worker.group == "clients-search":
            self.notify(tr("clients.load_failed", error=str(event.worker.error)), severity="error",
                        markup=False, timeout=10)

    @on(ClientsLoaded)
    def _loaded(self, msg: ClientsLoaded) -> None:
        if msg.text != self.query_one("#search", Input).value:
            return  # an older keystroke's answer arrived late
        self._show(msg.rows, msg.text)
        if self._open_when_shown:
            self._open_when_shown = False
            self.action_open_client()

    def _show(self, rows: list[ClientRow], text: str) -> None:
        if not self._shown_once:  # after the frame with the first rows: the app may go on starting
            self._shown_once = True
            self.call_after_refresh(self.host.first_rows_shown)
        more = len(rows) > self.LIMIT
        rows = rows[: self.LIMIT]
        table = self.query_one("#clients", FitTable)
        lang = language()
        cells: list[tuple[dict[str, Text], str | None]] = []
        for r in rows:
            name = plain(r.name)
            badge = sync_badge(r.sync_state)
            if r.origin == "accounting" and r.sync_state is SyncState.IN_ACCOUNTING:
                # made in 1C: said in the state column, so long names keep their own column
                badge = Text("◆ " + tr("clients.from_accounting_state"), style=badge.style)
            phone = format_phone(r.phones[0]) if r.phones else ""
            if len(r.phones) > 1:
                phone += f" +{len(r.phones) - 1}"
            debt = debt_text(r.debt, lang)
            cells.append(({"name": name, "inn": plain(r.inn), "phone": plain(phone), "debt": debt, "sync": badge},
                          r.id))
        table.set_rows(cells)
        self._rows = rows
        self._shown_text = text
        hint = self.query_one("#hint", Label)
        if self._filter_problem:
            hint.update(Text("⚠ " + self._filter_problem, style="bold"))
        elif not rows:
            hint.update(plain(tr("clients.none_found", text=text) if text.strip() else tr("clients.empty")))
        elif more:
            hint.update(Text(tr("clients.more", count=self.LIMIT), style="dim"))
        else:
            hint.update(Text(tr("clients.shown", count=len(rows)), style="dim"))

    # -- events ------------------------------------------------------------------------------
    @on(Input.Changed, "#search")
    def _typed(self) -> None:
        self.run_search()

    @on(Input.Submitted, "#search")
    def _submitted(self) -> None:
        """Enter in the search box opens the highlighted client (type a phone, press enter).
        Typed ahead of the search's answer ("Вектор" and Enter in one burst over SSH), Enter
        waits for the rows of what was typed: it used to open the first row of the list as it
        was before the search — another client."""
        if self._shown_text != self.query_one("#search", Input).value:
            self._open_when_shown = True
            return
        self.action_open_client()

    @on(DataTable.RowSelected, "#clients")
    def _selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self.open_client(event.row_key.value)

    @on(SearchBox.Down, "#search")
    def _search_down(self, event: SearchBox.Down) -> None:
        """↓ in the search: to the list; ↓ typed ahead of the focus move down it, so "Альфа ↓ ↓
        Enter" sent in one go opens the third client, not the first (`widgets/search.py`)."""
        event.stop()
        if self._rows:
            self._to_list.down(self.query_one("#clients", DataTable))

    @on(events.DescendantFocus)
    def _focus_landed(self) -> None:
        self._to_list.landed()

    def on_key(self, event: events.Key) -> None:
        """Typing on the list (where the focus is after coming back from a card) searches."""
        type_into(self.query_one("#search", SearchBox), event)

    # -- actions -----------------------------------------------------------------------------
    def current_client_id(self) -> str | None:
        table = self.query_one("#clients", DataTable)
        if not self._rows or table.cursor_row < 0 or table.cursor_row >= len(self._rows):
            return None
        return self._rows[table.cursor_row].id

    def action_open_client(self) -> None:
        client_id = self.current_client_id()
        if client_id is not None:
            self.open_client(client_id)

    def open_client(self, client_id: str) -> None:
        from tui_crm.screens.client_card import ClientCardScreen

        self.app.push_screen(ClientCardScreen(self.store, client_id))

    def action_new_client(self) -> None:
        from tui_crm.screens.client_card import ClientCardScreen

        prefill = prefill_from_search(self.query_one("#search", Input).value)
        self.app.push_screen(ClientCardScreen(self.store, None, prefill=prefill))

    def action_focus_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_clear_search(self) -> None:
        search = self.query_one("#search", Input)
        search.value = ""
        search.focus()
