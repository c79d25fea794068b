"""`tui-crm sync`'s progress lines (cli._progress_printer) when stderr is not a terminal: one line
per stage, the stage's first report, whatever the pull reports in between."""

from __future__ import annotations

import io

from tui_crm.cli import _progress_printer


def test_progress_writes_one_line_per_stage_when_not_a_tty() -> None:
    stream = io.StringIO()
    show = _progress_printer(stream)
    show("products", 0, 4)
    show("products", 2, 4)
    show("products", 4, 4)  # the stage's end: not throttled, but the stage was already shown
    show("stock", 7, None)
    show("stock", 9, None)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2, lines
    assert lines[0].startswith("sync: products")
    assert lines[0].endswith("0 rows of 4")
    assert lines[1].startswith("sync: stock")
    assert lines[1].endswith("7 rows")
