"""Table cells for money, quantities and percentages, formatted by us (never by DataTable), and
the client's debt as the clients list and the card both say it.

DataTable would parse plain strings as markup and print floats with two decimals; these helpers
return right-aligned `rich.text.Text` formatted by `tui_crm.domain.money` in the UI language.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal, cast

from rich.text import Text

from tui_crm.domain.money import format_money, format_qty
from tui_crm.domain.status import format_percent
from tui_crm.i18n import language, register, tr

register({
    "debt.owes": {"en": "owes {amount}", "ru": "долг {amount}"},
    # a negative debt is money the client paid ahead (БП 3: 62.02), said in words, not with a minus
    "debt.advance": {"en": "advance {amount}", "ru": "аванс {amount}"},
})


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


def debt_text(debt: Decimal | None, lang: str, *, owes_word: bool = False) -> Text:
    """The debt accounting keeps for a client, one wording for the clients list's cell and the
    card's line: what the client owes in bold (the bare amount in the cell, "owes 1 660,56" with
    `owes_word`), money paid ahead in words ("advance 1 660,56", never "-1 660,56"), a dim dash
    when accounting keeps no debt for it."""
    code: Literal["en", "ru"] = "ru" if lang == "ru" else "en"
    if debt is None:
        return Text("—", justify="right", style="dim")
    if debt < 0:
        return Text(tr("debt.advance", amount=format_money(-debt, code)), justify="right")
    amount = format_money(debt, code)
    return Text(tr("debt.owes", amount=amount) if owes_word else amount, justify="right",
                style="bold" if debt else "")
