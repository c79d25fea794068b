"""Products screen: choose a warehouse and a price type, type to filter, see free stock and price."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import DataTable, Input, Label, Select
from textual.worker import get_current_worker

from tui_crm.domain.money import format_money, format_qty
from tui_crm.i18n import language, tr
from tui_crm.screens.base import HostedScreen
from tui_crm.store import NamedRef, PickerRow, Store
from tui_crm.widgets.columns import Col, FitTable, rows_on_screen
from tui_crm.widgets.footer import CrmFooter
from tui_crm.widgets.search import SearchBox, type_into
from tui_crm.widgets.text import plain


@dataclass
class ProductsLoaded(Message):
    """A search finished in a worker; the handler puts the rows on screen."""

    query: tuple[str, str | None, str]
    rows: list[PickerRow]


@dataclass
class RefsLoaded(Message):
    warehouses: list[NamedRef]
    price_types: list[NamedRef]


def product_columns() -> list[Col]:
    """By priority (widgets/columns.py): name, free stock, price and unit always; the code goes
    first when narrow (it is still searched by)."""
    return [
        Col("code", tr("col.code"), 12, priority=1),
        Col("name", tr("col.name"), 48, min=24, grow=True),
        Col("free", tr("col.free"), 10, min=6, right=True, fit=True),
        Col("price", tr("col.price"), 12, min=8, right=True, fit=True),
        Col("unit", tr("col.unit"), 6, min=4, fit=True),
    ]


class ProductsScreen(HostedScreen[None]):
    """Stock and prices of the catalog per warehouse and price type, outside any invoice.

    The rows on screen are kept live like the picker's: the rows in the table's scroll window
    (`visible_ids`), told to `host.watch_products` again on scroll, resize and every new answer,
    so the live job's requests follow what the operator sees, not the search's LIMIT."""

    CSS_PATH = "products.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f3,slash", "focus_search", tr("bind.search"), id="products.search"),
        Binding("f2", "focus_warehouse", tr("bind.warehouse"), id="products.warehouse"),
        Binding("f5,ctrl+r", "sync_now", tr("bind.refresh"), id="products.sync"),
        Binding("escape", "back", tr("bind.back"), id="products.back", key_display="Esc"),
    ]

    LIMIT = 200

    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store
        self.warehouse_id: str | None = None
        self.price_type_id: str | None = None
        self._refs: tuple[list[NamedRef], list[NamedRef]] = ([], [])
        self._shown_once = False
        self._order: list[str] = []   # product ids of the table's rows, in order
        self._watched: tuple[str | None, str | None, tuple[str, ...]] = (None, None, ())

    def compose(self) -> ComposeResult:
        yield Label(tr("products.title"), id="title", classes="screen-title")
        with Horizontal(id="filters"):
            yield Select[str]([], prompt=tr("products.warehouse"), id="warehouse", allow_blank=True)
            yield Select[str]([], prompt=tr("products.price_type"), id="price-type", allow_blank=True)
            yield SearchBox(placeholder=tr("products.search"), id="search")
        yield FitTable(product_columns(), id="products")
        yield Label("", id="hint")
        yield self.status_bar()
        yield CrmFooter()

    def on_mount(self) -> None:
        self.title = tr("products.title")
        # Scrolling (or the cursor moving past the edge) changes the rows on screen.
        self.watch(self.query_one("#products", FitTable), "scroll_y", self._scrolled, init=False)
        self.query_one("#search", Input).focus()
        self.reload_refs()

    # -- loading -----------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="refs")
    def reload_refs(self) -> None:
        self.post_message(RefsLoaded(self.store.warehouses(), self.store.price_types()))

    @on(RefsLoaded)
    def _refs_loaded(self, msg: RefsLoaded) -> None:
        if (msg.warehouses, msg.price_types) != self._refs:
            self._refs = (msg.warehouses, msg.price_types)
            self.warehouse_id = self._fill_select("#warehouse", msg.warehouses, self.warehouse_id)
            self.price_type_id = self._fill_select("#price-type", msg.price_types, self.price_type_id)
        self.run_search()

    def _fill_select(self, selector: str, refs: list[NamedRef], current: str | None) -> str | None:
        """Fill one Select; returns what it now shows (`current` if still there, else the first)."""
        select = self.query_one(selector, Select)
        ids = [r.id for r in refs]
        with self.prevent(Select.Changed):
            select.set_options([(plain(r.name), r.id) for r in refs])
            chosen = current if current in ids else (ids[0] if ids else None)
            if chosen is not None:
                select.value = chosen
        return chosen

    def refresh_data(self) -> None:
        """After a pull: new refs, new rows, cursor kept where it was."""
        self.reload_refs()

    def live_rows_changed(self) -> None:
        """The live job wrote new stock/prices of the rows on screen: re-read them."""
        self.run_search()

    def on_unmount(self) -> None:
        self.host.unwatch_products(self)

    def run_search(self) -> None:
        text = self.query_one("#search", Input).value
        if self.warehouse_id is None:
            self._show([], text)
            return
        self._search((self.warehouse_id, self.price_type_id, text))

    @work(thread=True, exclusive=True, group="search")
    def _search(self, query: tuple[str, str | None, str]) -> None:
        warehouse_id, price_type_id, text = query
        rows = self.store.picker_search(warehouse_id, price_type_id, text, limit=self.LIMIT)
        if not get_current_worker().is_cancelled:
            self.post_message(ProductsLoaded(query, rows))

    @on(ProductsLoaded)
    def _loaded(self, msg: ProductsLoaded) -> None:
        current = (self.warehouse_id, self.price_type_id, self.query_one("#search", Input).value)
        if msg.query != current:
            return  # an older keystroke's answer arrived late
        self._show(msg.rows, msg.query[2])

    def _show(self, rows: list[PickerRow], text: str) -> None:
        if not self._shown_once:  # after the frame with the first rows: the app may go on starting
            self._shown_once = True
            self.call_after_refresh(self.host.first_rows_shown)
        table = self.query_one("#products", FitTable)
        lang = language()
        cells: list[tuple[dict[str, Text], str | None]] = []
        for r in rows:
            free = Text(format_qty(r.free_stock, lang), justify="right")  # type: ignore[arg-type]
            if r.free_stock <= 0:
                free.stylize("red")
            price = (
                Text(format_money(r.price, lang), justify="right")  # type: ignore[arg-type]
                if r.price is not None
                else Text("—", justify="right", style="dim")
            )
            cells.append(({"code": plain(r.code), "name": plain(r.name), "free": free, "price": price,
                           "unit": plain(r.unit)}, r.product_id))
        table.set_rows(cells)
        hint = self.query_one("#hint", Label)
        if not rows:
            empty = tr("products.none_found", text=text) if text and self.warehouse_id else tr("products.empty")
            hint.update(plain(empty))  # quotes what was typed (or pasted)
        else:
            hint.update(Text(tr("products.shown", count=len(rows)), style="dim"))
        self._order = [r.product_id for r in rows]
        self._watch_visible()

    # -- live rows: the scroll window ---------------------------------------------------------
    def visible_ids(self) -> tuple[str, ...]:
        """The products on the table's rows that are on screen now (the scroll window). Before
        the table has a size, every row of the answer (it is narrowed once laid out)."""
        return rows_on_screen(self.query_one("#products", FitTable), self._order)

    def _watch_visible(self) -> None:
        """Tell the host which rows are on screen (only when that changed), so the live job asks
        accounting about those only."""
        if not self.is_attached:
            return
        watch = (self.warehouse_id, self.price_type_id, self.visible_ids())
        if watch != self._watched:
            self._watched = watch
            self.host.watch_products(self, watch[0], watch[1], list(watch[2]))

    def _scrolled(self, _old: float, _new: float) -> None:
        self._watch_visible()

    def on_resize(self, _event: events.Resize) -> None:
        self.call_after_refresh(self._watch_visible)  # more or fewer rows fit now

    # -- events ------------------------------------------------------------------------------
    @on(Input.Changed, "#search")
    def _typed(self) -> None:
        self.run_search()

    @on(Input.Submitted, "#search")
    def _submitted(self) -> None:
        self.query_one("#products", DataTable).focus()

    @on(SearchBox.Down, "#search")
    def _search_down(self, event: SearchBox.Down) -> None:
        """↓ in the search: to the list, as Enter and as on the clients list."""
        event.stop()
        self.query_one("#products", DataTable).focus()

    def on_key(self, event: events.Key) -> None:
        """Typing on the list (where Enter in the search puts the focus) searches."""
        type_into(self.query_one("#search", SearchBox), event)

    @on(Select.Changed, "#warehouse")
    def _warehouse(self, event: Select.Changed) -> None:
        self.warehouse_id = event.value if isinstance(event.value, str) else None
        self.run_search()

    @on(Select.Changed, "#price-type")
    def _price_type(self, event: Select.Changed) -> None:
        self.price_type_id = event.value if isinstance(event.value, str) else None
        self.run_search()

    def action_focus_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_focus_warehouse(self) -> None:
        self.query_one("#warehouse", Select).focus()

    def action_clear_search(self) -> None:
        search = self.query_one("#search", Input)
        search.value = ""
        search.focus()

    def action_back(self) -> None:
        """Esc: first clears a typed search; then goes back to where F8 was pressed (the
        products screen is never a dead end). As the home screen it only clears."""
        search = self.query_one("#search", Input)
        if search.value or len(self.app.screen_stack) <= 1:
            self.action_clear_search()
        else:
            self.dismiss(None)

    def action_sync_now(self) -> None:
        self.host.pull_now()
