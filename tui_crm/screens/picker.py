"""Product picker: a modal over the invoice that searches as you type and adds lines.

Every keystroke asks the store for the first rows of the denormalised picker table (one
warehouse, one price type). Queries run one at a time in a thread worker: while one runs, only
the newest text waits, so a fast typist never piles queries onto a 2-core box, and an answer to
an older text is never shown (stale-answer guard). `enter` on a row asks for a quantity and adds
the line; the picker stays open for more; `escape` closes it and returns what was added.
While the picker is open, the rows on screen are kept live: it tells the host which products are
on screen — the rows in the table's scroll window, not all the answer's rows (`visible_ids`,
`host.watch_products`, again on scroll and resize) — the engine's live job refreshes exactly
those every second, and the resulting `LiveRowsUpdated` message re-reads the rows on screen
(`live_rows_changed`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.geometry import Size
from textual.message import Message
from textual.reactive import Reactive
from textual.widgets import DataTable, Input, Label, Static
from textual.widgets.data_table import RowKey
from textual.worker import Worker, WorkerState

from tui_crm.i18n import register, tr
from tui_crm.screens.base import HostedModal
from tui_crm.screens.forms import QuantityScreen
from tui_crm.store import PickerRow, Store
from tui_crm.widgets.columns import SCROLLBAR, Col, content_widths, fit_columns, rows_on_screen
from tui_crm.widgets.money import money_text, qty_text
from tui_crm.widgets.search import ListFocus, ResultList, SearchBox, type_into
from tui_crm.widgets.text import plain

register(
    {
        "pk.title": {
            "en": "Add products — {warehouse} · {price_type}",
            "ru": "Подбор товаров — {warehouse} · {price_type}",
        },
        "pk.search": {"en": "Type a name, code or article…", "ru": "Наименование, код или артикул…"},
        "pk.shown": {"en": "{count} shown", "ru": "показано: {count}"},
        "pk.more": {"en": "{count} shown, type more to narrow", "ru": "показано {count}, уточните поиск"},
        "pk.none": {
            "en": "Nothing matches “{text}” on this warehouse.",
            "ru": "На этом складе ничего не найдено по «{text}».",
        },
        "pk.empty": {
            "en": "The catalog is empty: waiting for the first pull from accounting.",
            "ru": "Каталог пуст: ждём первой загрузки из учёта.",
        },
        "pk.keys": {"en": "enter add · ↓ to the list · esc close", "ru": "enter добавить · ↓ к списку · esc закрыть"},
        "pk.added": {"en": "Added {name} × {qty} {unit}", "ru": "Добавлено: {name} × {qty} {unit}"},
        "pk.added_count": {"en": "{count} added", "ru": "добавлено строк: {count}"},
        "pk.no_price": {
            "en": "{name} has no price in this price type; ask accounting to set one.",
            "ru": "У товара «{name}» нет цены этого типа; попросите бухгалтерию её установить.",
        },
        "pk.search_failed": {"en": "Search failed: {error}", "ru": "Поиск не удался: {error}"},
        "pk.bind_add_line": {"en": "Add line", "ru": "Добавить"},
        "pk.bind_close": {"en": "Close", "ru": "Закрыть"},
        "pk.bind_to_list": {"en": "To list", "ru": "К списку"},
    }
)

# -- the picker's table ----------------------------------------------------------------------
_PLAIN = Style.null()


class PickerTable(ResultList):
    """The picker's DataTable, made cheaper to repaint on every keystroke (bench/picker.py).

    It is the search's `ResultList`: its Enter adds the highlighted row with the keys typed after
    it held for the quantity dialog (widgets/search.py). Three things differ from the built-in
    table in drawing, nothing visible does:

    - `show_rows` rewrites the cells of the rows already there (`update_cell`) and adds or
      removes only the difference, instead of `clear()` + `add_row` × 50: no layout refresh and
      no re-measuring of 50 new rows when the count stays (the columns have fixed widths);
    - `_get_row_style` reads the zebra/header styles from Textual's per-widget style cache;
    - `_render_cell` draws a one-line `Text` cell straight from its segments instead of through
      `console.render_lines(Styled(Padding(...)))`; the strips are identical (checked against
      DataTable in tests/screens/test_picker_table.py), a frame of rows costs about a third
      less. Anything else (header, multi-line, other renderables) goes the built-in way.
    """

    def show_rows(self, rows: list[tuple[Text, ...]]) -> None:
        """Make the table hold exactly `rows`, keyed by position ("0", "1", …)."""
        if not rows:
            if self.row_count:
                self.clear()
            return
        old = self.row_count
        columns = [column.key for column in self.ordered_columns]
        # What `update_cell` does per cell (store the value, invalidate the render caches by
        # `_update_count`, refresh), once for all of them: 250 refresh() calls a keystroke were
        # a fifth of the handler's time (cProfile of bench/picker.py).
        for index, cells in enumerate(rows[:old]):
            row = self._data[RowKey(str(index))]
            for column, value in zip(columns, cells, strict=True):
                row[column] = value
        if old:
            self._update_count += 1
            self.refresh()
        for index in range(old, len(rows)):
            self.add_row(*rows[index], key=str(index))
        for index in range(old - 1, len(rows) - 1, -1):
            self.remove_row(str(index))

    def _get_row_style(self, row_index: int, base_style: Style) -> Style:
        """DataTable's row style (header, fixed, zebra) from the widget's cache of component
        styles instead of building a fresh `RenderStyles` and walking the ancestors for every
        line painted; Textual empties that cache on every refresh and style change."""
        if row_index == -1:
            return self.get_component_rich_style("datatable--header")
        if row_index < self.fixed_rows:
            return self.get_component_rich_style("datatable--fixed")
        if self.zebra_stripes:
            return self.get_component_rich_style("datatable--odd-row" if row_index % 2 else "datatable--even-row")
        return base_style

    def _render_cell(
        self,
        row_index: int,
        column_index: int,
        base_style: Style,
        width: int,
        cursor: bool = False,
        hover: bool = False,
    ) -> list[list[Segment]]:
        if row_index < 0 or column_index < 0 or self.fixed_rows or self.fixed_columns:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        row_key = self._row_locations.get_key(row_index)
        column_key = self._column_locations.get_key(column_index)
        if row_key is None or column_key is None:  # no such row or column: render it as DataTable does
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        cache_key = (row_key, column_key, base_style, cursor, hover, self._show_hover_cursor,
                     self._update_count, self._pseudo_class_state)
        cache = self._cell_render_cache
        if cache_key in cache:
            return cache[cache_key]
        cell = self._data[row_key][column_key]
        if (
            not isinstance(cell, Text)
            or self.rows[row_key].height != 1
            or "\n" in cell.plain
            or "\t" in cell.plain
            or cell.overflow not in (None, "fold", "crop")
            or cell.justify not in (None, "default", "left", "right")
        ):
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        component_style, post_style = self._get_styles_to_render_cell(
            False, False, False, hover, cursor, self.show_cursor, self._show_hover_cursor,
            self.cursor_foreground_priority == "css", self.cursor_background_priority == "css",
        )
        pre_style = base_style + Style.from_meta({"row": row_index, "column": column_index}) + component_style
        pad = self.cell_padding
        inner = max(0, width - 2 * pad)
        # What Text.wrap(no_wrap=True) + justify + truncate make of one line, as rich does it.
        line = cell.copy()
        if cell.justify == "right":
            line.rstrip()
            line.truncate(inner, overflow="fold")
            line.pad_left(inner - cell_len(line.plain))
        elif cell.justify == "left":
            line.truncate(inner, overflow="fold", pad=True)
        line.truncate(inner, overflow="fold")
        line = Text("\n").join([line])
        segments = [Segment(" " * pad, _PLAIN)] if pad else []
        segments.extend(seg for seg in line.render(self.app.console, end="") if seg.text)
        used = cell_len(line.plain)
        if used < inner:
            segments.append(Segment(" " * (inner - used)))
        if pad:
            segments.append(Segment(" " * pad, _PLAIN))
        styled: list[Segment] = []
        for text, style, control in segments:
            combined = pre_style + style if style is not None else pre_style
            if post_style:
                combined = combined + post_style
            styled.append(Segment(text, combined, control))
        lines = [styled]
        cache[cache_key] = lines
        return lines


class SearchInput(SearchBox):
    """The picker's search box: an `Input` whose growing text does not lay the screen out again.

    Input sets its `virtual_size` to the text's width on every change, and Widget's
    `virtual_size` asks for a layout of the whole screen when it changes: one reflow per
    keystroke, on the main thread while the search runs in its worker (bench/picker.py --ab: about
    a sixth of the main thread's CPU a keystroke). The box has a fixed size and no scrollbars, so a repaint
    is enough; the value still scrolls horizontally by its virtual size as before."""

    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)


# -- the picker ------------------------------------------------------------------------------
@dataclass
class ProductsFound(Message):
    """A search finished in the worker; carries the text it answers and its rows."""

    text: str
    rows: list[PickerRow]
    seconds: float


def picker_columns() -> list[Col]:
    """By priority (widgets/columns.py): name, free stock, price and unit always; the code goes
    first when narrow (typing it still finds the product)."""
    return [
        Col("code", tr("col.code"), 12, priority=1),
        Col("name", tr("col.name"), 46, min=38, grow=True),
        Col("free", tr("col.free"), 9, min=6, right=True, fit=True),
        Col("price", tr("col.price"), 11, min=8, right=True, fit=True),
        Col("unit", tr("col.unit"), 6, min=4, fit=True),
    ]


class PickerScreen(HostedModal[list[tuple[PickerRow, Decimal]] | None]):
    """Search as you type, `enter` → quantity → line added; stays open until `escape`.

    `on_add(row, quantity)` is called for each line as it is added (the invoice uses it so the
    line appears at once); the screen's result is the list of everything added (None if nothing).
    """

    FULL_SIZE = True  # 90 % of the screen: toasts float over its table
    CSS_PATH = "picker.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", tr("pk.bind_close"), id="picker.close"),
        Binding("f4", "add", tr("pk.bind_add_line"), id="picker.add", key_display="enter/F4"),
        Binding("down", "to_list", tr("pk.bind_to_list"), show=False, id="picker.to-list"),
        Binding("f3", "focus_search", tr("bind.search"), show=False, id="picker.search"),
    ]

    LIMIT = 50  # about two screens; typing more narrows (bench/picker.py)

    def __init__(
        self,
        store: Store,
        warehouse_id: str,
        price_type_id: str | None,
        *,
        on_add: Callable[[PickerRow, Decimal], None] | None = None,
        initial_text: str = "",
    ) -> None:
        super().__init__()
        self.store = store
        self.warehouse_id = warehouse_id
        self.price_type_id = price_type_id
        self.on_add = on_add
        self.added: list[tuple[PickerRow, Decimal]] = []
        self._initial_text = initial_text
        self._rows: dict[str, PickerRow] = {}
        self._order: list[str] = []  # product ids in table order (table rows are keyed by position)
        self._hint: Text | None = None
        self._shown_text: str | None = None
        self._inflight = False
        self._again = False
        self._watched: tuple[str, ...] = ()
        self._layout: list[tuple[Col, int]] = []
        self._add_when_shown = False  # Enter came before the rows of the typed text
        self._to_list = ListFocus()  # ↓ from the search to the list, typed-ahead arrows kept
        self._downs_when_shown = 0  # ↓ typed before the rows of the text were on screen
        # For bench/picker.py: (text, perf_counter) after the table for `text` was painted.
        self.last_render: tuple[str, float] | None = None

    # -- layout ------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        names = {r.id: r.name for r in self.store.warehouses()}
        prices = {r.id: r.name for r in self.store.price_types()}
        with Vertical(id="picker-box"):
            yield Label(
                plain(
                    tr(
                        "pk.title",
                        warehouse=names.get(self.warehouse_id, "?"),
                        price_type=prices.get(self.price_type_id or "", "—"),
                    )
                ),
                id="picker-title",
            )
            # select_on_focus off: the Focus event arrives after keys already forwarded to the
            # box and would select (then overwrite) them; the picker selects the query itself.
            yield SearchInput(value=self._initial_text, placeholder=tr("pk.search"), id="picker-search",
                              select_on_focus=False, hold_after_enter=True)
            yield PickerTable(id="picker-table", cursor_type="row", zebra_stripes=True, hold_after_enter=True)
            with Horizontal(id="picker-foot"):
                yield Static("", id="picker-hint")
                yield Static("", id="picker-added")
            yield Label(tr("pk.keys"), id="picker-keys")

    def on_mount(self) -> None:
        self._lay_columns()
        # Scrolling (or the cursor moving past the edge) changes the rows on screen.
        self.watch(self.query_one("#picker-table", PickerTable), "scroll_y", self._scrolled, init=False)
        self.query_one("#picker-search", Input).focus()
        self.request_search()

    def on_unmount(self) -> None:
        self.host.unwatch_products(self)

    # -- columns by width (widgets/columns.py) -----------------------------------------------
    def _lay_columns(self, cells: list[dict[str, Text]] | None = None) -> bool:
        """Choose the columns for the table's width and the widest figures shown (`cells`, the
        rows' cells when the caller has them already); True if they changed (the table is then
        emptied, to be refilled by the caller)."""
        table = self.query_one("#picker-table", PickerTable)
        width = (table.region.width or self.app.size.width - 6) - table.styles.gutter.width - SCROLLBAR
        if cells is None:
            cells = [self._cells(self._rows[pid]) for pid in self._order]
        layout = fit_columns(picker_columns(), width, content_widths(cells))
        if layout == self._layout:
            return False
        self._layout = layout
        table.clear(columns=True)
        for col, col_width in layout:
            table.add_column(col.header(), key=col.key, width=col_width)
        return True

    def on_resize(self, _event: events.Resize) -> None:
        cells = [self._cells(self._rows[pid]) for pid in self._order]
        if self._lay_columns(cells) and cells:
            self._fill(cells)
        self.call_after_refresh(self._watch_visible)  # more or fewer rows fit now

    def _scrolled(self, _old: float, _new: float) -> None:
        self._watch_visible()

    @staticmethod
    def _cells(r: PickerRow) -> dict[str, Text]:
        return {
            "code": plain(r.code),
            "name": plain(r.name),
            "free": qty_text(r.free_stock, style="bold red" if r.free_stock <= 0 else ""),
            "price": money_text(r.price),
            "unit": plain(r.unit),
        }

    def _fill(self, cells: list[dict[str, Text]]) -> None:
        keys = [col.key for col, _ in self._layout]
        self.query_one("#picker-table", PickerTable).show_rows([tuple(row[k] for k in keys) for row in cells])

    # -- searching ---------------------------------------------------------------------------
    @property
    def search_text(self) -> str:
        return self.query_one("#picker-search", Input).value

    @property
    def shown_text(self) -> str | None:
        """The search text whose rows the table holds now (None before the first answer)."""
        return self._shown_text

    def request_search(self) -> None:
        """Run the search for the current text now, or right after the one in flight."""
        if self._inflight:
            self._again = True  # the running query's handler starts the newest text
            return
        self._inflight = True
        self._again = False
        self._search(self.search_text)

    @work(thread=True, group="picker-search", exit_on_error=False)
    def _search(self, text: str) -> None:
        started = time.perf_counter()
        rows = self.store.picker_search(self.warehouse_id, self.price_type_id, text, limit=self.LIMIT)
        self.post_message(ProductsFound(text, rows, time.perf_counter() - started))

    @on(ProductsFound)
    def _found(self, msg: ProductsFound) -> None:
        self._inflight = False
        again, self._again = self._again, False
        if msg.text == self.search_text:
            self._show(msg.rows, msg.text)
        if again or msg.text != self.search_text:
            self.request_search()  # typed on (or data changed) meanwhile: run the newest text

    @on(Worker.StateChanged)
    def _worker_state(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "picker-search":
            return
        if event.state == WorkerState.ERROR:
            self.notify(tr("pk.search_failed", error=event.worker.error), severity="error")
        if event.state in (WorkerState.ERROR, WorkerState.CANCELLED):
            self._inflight = False
            if self._add_when_shown:  # no rows will come for that Enter: the keys after it go on
                self._add_when_shown = False
                if self.is_attached:
                    self.query_one("#picker-search", SearchInput).release()

    def _show(self, rows: list[PickerRow], text: str) -> None:
        table = self.query_one("#picker-table", PickerTable)
        keep: str | None = None
        if table.row_count and self._shown_text == text:  # same search re-read: keep the row
            keep = self._product_at(table.cursor_row)
        self._order = [r.product_id for r in rows]
        self._rows = {r.product_id: r for r in rows}
        cells = [self._cells(r) for r in rows]  # formatted once, for the widths and the table
        self._lay_columns(cells)  # a wider price than the column has: the column widens (never cut)
        self._fill(cells)
        if keep is not None and keep in self._rows:
            table.move_cursor(row=self._order.index(keep), scroll=False)
        elif self._shown_text != text:  # a new search starts at its first row
            table.move_cursor(row=0, column=0, animate=False)
        table.refresh()  # even when nothing changed, the frame shows this text's rows
        self._shown_text = text
        if rows:
            key = "pk.more" if len(rows) >= self.LIMIT else "pk.shown"
            hint = Text(tr(key, count=len(rows)), style="dim")
        elif text.strip():
            hint = plain(tr("pk.none", text=text.strip()))
        else:
            hint = Text(tr("pk.empty"))
        downs, self._downs_when_shown = self._downs_when_shown, 0
        for _ in range(downs):  # ↓ typed before these rows were on screen: to the list, down it
            self._to_list.down(table)
        if self._add_when_shown:  # Enter was pressed before these rows were on screen
            self._add_when_shown = False
            if self.app.screen is self:  # not under a screen that came up meanwhile (a question)
                self.action_add()
            self.query_one("#picker-search", SearchInput).release()  # to the quantity, if it opened
        if hint != self._hint:  # an unchanged hint would still cost a layout (width: auto)
            self._hint = hint
            self.query_one("#picker-hint", Static).update(hint)
        self._watch_visible()
        self.call_after_refresh(self._mark_rendered, text)

    def visible_ids(self) -> tuple[str, ...]:
        """The products on the table's rows that are on screen now (the scroll window). Before
        the table has a size, every row of the answer (it is narrowed once laid out)."""
        return rows_on_screen(self.query_one("#picker-table", PickerTable), self._order)

    def _watch_visible(self) -> None:
        """Tell the host which rows are on screen, so the live job asks accounting about those
        only: requests follow the rows the operator sees, not the LIMIT of the search."""
        if not self.is_attached:
            return
        ids = self.visible_ids()
        if ids != self._watched:
            self._watched = ids
            self.host.watch_products(self, self.warehouse_id, self.price_type_id, list(ids))

    def _product_at(self, row: int) -> str | None:
        """The product id on table row `row` (rows are keyed by position)."""
        return self._order[row] if 0 <= row < len(self._order) else None

    def _mark_rendered(self, text: str) -> None:
        self.last_render = (text, time.perf_counter())

    def live_rows_changed(self) -> None:
        """The live job wrote new stock/prices of the rows on screen: re-read and repaint them."""
        self.request_search()

    def refresh_data(self) -> None:
        """Re-read the rows on screen (after a pull)."""
        self.request_search()

    # -- events ------------------------------------------------------------------------------
    @on(Input.Changed, "#picker-search")
    def _typed(self) -> None:
        self.request_search()

    @on(Input.Submitted, "#picker-search")
    def _submitted(self) -> None:
        """Enter in the search adds the highlighted row (the first one after a new search); if
        the rows of the text typed so far are not on screen yet, as soon as they are. The keys
        typed after Enter wait in the box until then, and go to the quantity dialog
        (widgets/search.py)."""
        if self._shown_text != self.search_text or self._inflight:
            self._add_when_shown = True  # the keys typed after it wait too (released in `_show`)
            return
        self.action_add()
        self.query_one("#picker-search", SearchInput).release()  # to the quantity, if it opened

    @on(DataTable.RowSelected, "#picker-table")
    def _row_chosen(self, event: DataTable.RowSelected) -> None:
        product_id = self._product_at(event.cursor_row)
        if product_id is not None:
            self._ask_quantity(product_id)

    @on(ResultList.Entered, "#picker-table")
    def _list_entered(self, event: ResultList.Entered) -> None:
        """Enter on the list adds its highlighted row. The keys typed after it waited in the app's
        key hold (they are the quantity dialog's): they go on to the dialog if it opened, else they
        are dropped with a bell (`ResultList.release`)."""
        event.stop()
        if self.app.screen is self:  # not under a screen that came up meanwhile (a question)
            self.action_add()
        event.result_list.release()

    def on_key(self, event: events.Key) -> None:
        """A printable key the focused widget left goes on into the search box: the list had
        focus, or nothing had focus yet (keys typed while the picker was still opening wait in the
        screen's queue until it has mounted)."""
        type_into(self.query_one("#picker-search", SearchInput), event)

    @on(SearchBox.Down)
    def _search_down(self, event: SearchBox.Down) -> None:
        event.stop()
        self.action_to_list()

    def action_to_list(self) -> None:
        """↓ in the search box: to the list, on the row Enter would add; ↓ typed ahead of the
        focus move down it (`widgets/search.py` says why: they were lost, and Enter added the
        first row — a wrong product on the invoice)."""
        if self._shown_text != self.search_text or self._inflight:
            self._downs_when_shown += 1  # typed ahead of the rows of the text: counted on them
            return
        self._to_list.down(self.query_one("#picker-table", DataTable))

    @on(events.DescendantFocus)
    def _focus_landed(self) -> None:
        self._to_list.landed()

    def action_focus_search(self) -> None:
        self.query_one("#picker-search", Input).focus()

    def action_add(self) -> None:
        table = self.query_one("#picker-table", DataTable)
        if not table.row_count:
            return
        product_id = self._product_at(max(table.cursor_row, 0))
        if product_id is not None:
            self._ask_quantity(product_id)

    def _ask_quantity(self, product_id: str) -> None:
        row = self._rows.get(product_id)
        if row is None:
            return
        if row.price is None:
            self.notify(tr("pk.no_price", name=row.name), severity="warning", markup=False)
            return

        def added(quantity: Decimal | None) -> None:
            search = self.query_one("#picker-search", Input)
            search.focus()
            if quantity is None:
                return
            # The next product is typed over the last query: select all of it.
            search.select_all()
            self.added.append((row, quantity))
            if self.on_add is not None:
                self.on_add(row, quantity)
            self.query_one("#picker-added", Static).update(
                Text(
                    tr("pk.added", name=row.name, qty=qty_text(quantity).plain, unit=row.unit)
                    + f"  ({tr('pk.added_count', count=len(self.added))})",
                    style="bold",
                )
            )

        self.app.push_screen(QuantityScreen(row, reserves=self.host.keeps_reserves), added)

    def action_close(self) -> None:
        self.dismiss(list(self.added) if self.added else None)
