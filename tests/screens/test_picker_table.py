"""PickerTable paints exactly what DataTable paints (its faster cell path must not show)."""

from __future__ import annotations

from decimal import Decimal

from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import DataTable

from tui_crm.screens.picker import PickerTable
from tui_crm.widgets.money import money_text, qty_text

ROWS = [
    ("00-00000001", "Кофе зерновой Jacobs 123", Decimal("12.5"), Decimal("1234.5"), "шт"),
    ("00-00000002", "Очень длинное наименование товара, которое не влезает в колонку никак", Decimal(0), None, "упак"),
    ("00-00000003", "Tab\tinside and [bold]markup[/] text", Decimal(-3), Decimal(1), "кг"),
    ("", "", Decimal(1000000), Decimal("99999999.99"), ""),
    ("X" * 30, "漢字テスト wide chars 漢字", Decimal("5.125"), Decimal("0.01"), "м"),
]


def cells(n: int) -> list[tuple[Text, ...]]:
    out = []
    for i in range(n):
        code, name, free, price, unit = ROWS[i % len(ROWS)]
        out.append((Text(code), Text(name), qty_text(free, style="bold red" if free <= 0 else ""),
                    money_text(price), Text(unit)))
    return out


class TableApp(App[None]):
    def __init__(self, table: DataTable[Text]) -> None:
        super().__init__()
        self.table = table

    def compose(self) -> ComposeResult:
        yield self.table

    def on_mount(self) -> None:
        for key, width in [("code", 12), ("name", 46), ("free", 9), ("price", 11), ("unit", 6)]:
            self.table.add_column(key, key=key, width=width)


async def painted(table: DataTable[Text], fill: object, *, focus: bool) -> list[list[object]]:
    app = TableApp(table)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        fill(table)  # type: ignore[operator]
        await pilot.pause()
        if focus:
            table.focus()
            await pilot.press("down", "down", "down")
            await pilot.pause()
        return [list(strip) for strip in table.render_lines(table.region.reset_offset)]


async def test_picker_table_paints_like_datatable() -> None:
    def add_all(table: DataTable[Text]) -> None:
        for i, row in enumerate(cells(23)):
            table.add_row(*row, key=str(i))

    def in_place(table: PickerTable) -> None:
        table.show_rows(cells(40))  # more rows, then fewer, then the same count rewritten
        table.show_rows(cells(7)[::-1])
        table.show_rows(cells(23))

    for focus in (False, True):
        expected = await painted(DataTable(cursor_type="row", zebra_stripes=True), add_all, focus=focus)
        got = await painted(PickerTable(cursor_type="row", zebra_stripes=True), in_place, focus=focus)
        assert got == expected


async def test_show_rows_keys_by_position_and_empties() -> None:
    table = PickerTable()
    app = TableApp(table)
    async with app.run_test(size=(100, 30)) as pilot:
        table.show_rows(cells(5))
        await pilot.pause()
        assert table.row_count == 5 and [str(r.key.value) for r in table.ordered_rows] == ["0", "1", "2", "3", "4"]
        table.show_rows(cells(2))
        assert table.row_count == 2 and str(table.get_row_at(1)[1]) == ROWS[1][1]
        table.show_rows([])
        assert table.row_count == 0


async def test_rewrite_after_a_paint_shows_the_new_cells() -> None:
    """`show_rows` writes the cells of a same-size answer in place and refreshes once (not per
    cell, as `update_cell` does): the rows painted for the previous answer must not survive in
    any render cache."""
    def add_all(table: DataTable[Text]) -> None:
        for i, row in enumerate(cells(12)[::-1]):
            table.add_row(*row, key=str(i))

    expected = await painted(DataTable(cursor_type="row", zebra_stripes=True), add_all, focus=False)
    table = PickerTable(cursor_type="row", zebra_stripes=True)
    app = TableApp(table)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        table.show_rows(cells(12))
        await pilot.pause()
        first = [list(strip) for strip in table.render_lines(table.region.reset_offset)]
        table.show_rows(cells(12)[::-1])  # same count: every cell rewritten in place
        await pilot.pause()
        got = [list(strip) for strip in table.render_lines(table.region.reset_offset)]
    assert got != first
    assert got == expected
