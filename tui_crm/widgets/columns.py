"""Table columns by priority: which columns a table shows, and how wide, for the width it has.

One helper for every table (issue 11: 80×24 is a first-class size). A screen describes its columns
once (`Col`: preferred width, the narrowest it may get, a priority, whether it is money) and hands
over its rows as `{column key: cell}`; `fit_columns` decides, `FitTable` (a DataTable) applies the
decision and makes it again when the table is resized.

The rules, in order:

- every shown column gets at least its `min` width and its header's; a `fit` column (money, quantities) gets at
  least the width of its widest cell, so an amount is never cut mid-number;
- when even the minimum widths do not fit, the column with the highest `priority` number is
  dropped (0 = never dropped), and the next, until they fit;
- the width left over goes to the columns below their preferred width (most important first),
  then to the `grow` column (the name), so the table fills its width.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import events
from textual.widgets import DataTable

# DataTable pads each cell by one column on either side (its `cell_padding`).
CELL_PADDING = 1
# The width a vertical scrollbar takes (app.tcss sets it to 1 for every FitTable); kept free so
# the columns do not move when the rows start to scroll.
SCROLLBAR = 1


@dataclass(frozen=True)
class Col:
    """One column: `label` is already in the interface language."""

    key: str
    label: str
    width: int
    min: int = 0  # narrowest it may get (0: its `width`)
    priority: int = 0  # 0: always shown; the highest number is dropped first
    right: bool = False  # right-aligned (numbers): the header too
    grow: bool = False  # takes the width left over (one per table: the name)
    fit: bool = False  # never narrower than its widest cell (money, quantities)

    def header(self) -> Text:
        return Text(self.label, justify="right" if self.right else "left", no_wrap=True)


def rows_on_screen(table: DataTable[Any], keys: Sequence[str]) -> tuple[str, ...]:
    """The `keys` (one per row, in table order) of the rows in `table`'s scroll window: what the
    live job should watch. Before the table has a size, all of them (narrowed once laid out)."""
    height = table.size.height - (table.header_height if table.show_header else 0)
    if height <= 0:
        return tuple(keys)
    first = max(0, round(table.scroll_y))
    return tuple(keys[first:first + height])


def cell_width(cell: object) -> int:
    """The widest line of a cell as the table shows it."""
    if isinstance(cell, Text):
        if "\n" not in cell.plain:  # the usual one-line cell: no split (a table's fill measures every cell)
            return cell.cell_len
        return max((line.cell_len for line in cell.split("\n")), default=0)
    if isinstance(cell, str):
        return Text(cell).cell_len
    return 0


def content_widths(rows: Sequence[Mapping[str, object]]) -> dict[str, int]:
    widths: dict[str, int] = {}
    for row in rows:
        for key, cell in row.items():
            widths[key] = max(widths.get(key, 0), cell_width(cell))
    return widths


def fit_columns(
    columns: Sequence[Col], width: int, content: Mapping[str, int] | None = None, *, padding: int = CELL_PADDING
) -> list[tuple[Col, int]]:
    """The columns to show in `width` terminal cells and the width of each, in their order."""
    content = content or {}

    def least(col: Col) -> int:
        floor = max(col.min or col.width, Text(col.label).cell_len)  # a header is never cut
        return max(floor, content.get(col.key, 0)) if col.fit else floor

    def preferred(col: Col) -> int:
        return max(col.width, least(col))

    shown = list(columns)
    while True:
        need = sum(least(c) + 2 * padding for c in shown)
        droppable = [c for c in shown if c.priority > 0]
        if need <= width or not droppable:
            break
        drop = max(droppable, key=lambda c: (c.priority, shown.index(c)))
        shown.remove(drop)
    widths = {c.key: least(c) for c in shown}
    spare = width - sum(widths[c.key] + 2 * padding for c in shown)
    for col in sorted(shown, key=lambda c: c.priority):
        if spare <= 0:
            break
        more = min(spare, preferred(col) - widths[col.key])
        widths[col.key] += more
        spare -= more
    growing = [c for c in shown if c.grow]
    if spare > 0 and growing:
        widths[growing[0].key] += spare
    return [(c, widths[c.key]) for c in shown]


def pack(pieces: Sequence[tuple[str, str]], width: int, sep: str) -> list[list[tuple[str, str]]]:
    """`(text, style)` pieces in lines of at most `width` cells, broken only between pieces (a
    figure like `Total 3 816.63` is never split); a piece wider than `width` gets a line of its own."""
    lines: list[list[tuple[str, str]]] = []
    used = 0
    for piece in pieces:
        size = Text(piece[0]).cell_len
        if lines and used + Text(sep).cell_len + size <= width:
            lines[-1].append(piece)
            used += Text(sep).cell_len + size
        else:
            lines.append([piece])
            used = size
    return lines


Row = tuple[Mapping[str, Any], str | None]


class FitTable(DataTable[Any]):
    """A DataTable that shows its columns by priority for its width (see the module's rules).

    Fill it with `set_rows([(cells, key), ...])`, `cells` being `{column key: cell}`; a cell of a
    column not shown is not drawn. The cursor stays on its row number across a refill.
    """

    DEFAULT_CSS = """
    FitTable {
        scrollbar-size-vertical: 1;
    }
    """

    def __init__(self, columns: Sequence[Col], **kwargs: Any) -> None:
        kwargs.setdefault("cursor_type", "row")
        kwargs.setdefault("zebra_stripes", True)
        super().__init__(**kwargs)
        self.spec: tuple[Col, ...] = tuple(columns)
        self._rows: list[Row] = []
        self._layout: list[tuple[Col, int]] | None = None
        self._laid_for = -1

    @property
    def shown(self) -> tuple[str, ...]:
        """The keys of the columns shown now."""
        return tuple(col.key for col, _ in self._layout or ())

    def available_width(self) -> int:
        width = self.region.width or self.app.size.width
        return max(width - self.styles.gutter.width - SCROLLBAR, 1)

    def set_rows(self, rows: Sequence[Row]) -> None:
        """Show these rows. The same rows again (same keys in the same order, the columns as they
        were: a re-read after the live job or a pull) are rewritten cell by cell, so the table
        keeps its scroll position and cursor; anything else refills it from the top."""
        old, self._rows = self._rows, list(rows)
        if self._layout is not None and old and [k for _, k in old] == [k for _, k in self._rows] and all(
                k is not None for _, k in old) and self._fits():
            keys = self.shown
            for (before, row_key), (after, _) in zip(old, self._rows, strict=True):
                assert row_key is not None  # every old key is (checked above)
                for k in keys:
                    if before.get(k, "") != after.get(k, ""):
                        self.update_cell(row_key, k, after.get(k, ""))
            return
        self._paint()

    def _fits(self) -> bool:
        """The columns laid out now are still the ones these rows need at this width."""
        return fit_columns(self.spec, self.available_width(),
                           content_widths([cells for cells, _ in self._rows])) == self._layout

    def set_columns(self, columns: Sequence[Col]) -> None:
        """New column labels or a new set (the language changed, another mode): redrawn now."""
        self.spec = tuple(columns)
        self._layout = None
        self._paint()

    def _paint(self) -> None:
        keep = self.cursor_row
        width = self.available_width()
        layout = fit_columns(self.spec, width, content_widths([cells for cells, _ in self._rows]))
        self._laid_for = width
        if layout != self._layout:
            self.clear(columns=True)
            for col, col_width in layout:
                self.add_column(col.header(), key=col.key, width=col_width)
            self._layout = layout
        else:
            self.clear()
        keys = self.shown
        for cells, key in self._rows:
            self.add_row(*(cells.get(k, "") for k in keys), key=key)
        if self._rows:
            self.move_cursor(row=min(max(keep, 0), len(self._rows) - 1), scroll=False)

    def on_resize(self, _event: events.Resize) -> None:
        if self.available_width() != self._laid_for:
            self._paint()
