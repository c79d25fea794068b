"""Table cells for money, quantities and percentages, formatted by us (never by DataTable).

DataTable would parse plain strings as markup and print floats with two decimals; these helpers
return right-aligned `rich.text.Text` formatted by `tui_crm.domain.money` in the UI language.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal, cast

from rich.text import Text

from tui_crm.domain.money import format_money, format_qty
from tui_crm.domain.status import format_percent
from tui_crm.i18n import language


def ui_lang() -> Literal["en", "ru"]:
    """The interface language as the domain formatters expect it."""
    return cast(Literal["en", "ru"], language() if language() in ("en", "ru") else "en")


def money_text(value: Decimal | None, *, style: str = "") -> Text:
    """`12 345.60` / `12 345,60`, right-aligned; `—` for an unknown amount."""
    if value is None:
        return Text("—", justify="right", style="dim")
    return Text(format_money(value, ui_lang()), justify="right", style=style)


def qty_text(value: Decimal | None, *, style: str = "") -> Text:
    if value is None:
        return Text("—", justify="right", style="dim")
    return Text(format_qty(value, ui_lang()), justify="right", style=style)


def pct_text(value: Decimal, *, style: str = "") -> Text:
    """A discount percent as typed (`10`, `2.5`), or empty for zero."""
    if value == 0:
        return Text("", justify="right")
    return Text(format_qty(value, ui_lang()), justify="right", style=style)


def share_text(share: Decimal, places: int = 0) -> str:
    """`40 %` / `<1 %` in the UI language."""
    return format_percent(share, places, ui_lang())
