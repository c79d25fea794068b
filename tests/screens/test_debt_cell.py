"""The clients list's debt cell: what the client owes in bold, an advance the client paid (a
negative debt: БП 3's 62.02) in words — never a minus — in English and Russian, a dash when
accounting keeps no debt."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from tui_crm.i18n import set_language
from tui_crm.screens.clients import debt_text


@pytest.fixture(autouse=True)
def english_after() -> Iterator[None]:
    yield
    set_language("en")


@pytest.mark.parametrize(("lang", "owed", "advance"), [
    ("en", "1 660.56", "advance 1 660.56"),
    ("ru", "1 660,56", "аванс 1 660,56"),
])
def test_an_advance_is_said_in_words(lang: str, owed: str, advance: str) -> None:
    set_language(lang)
    cell = debt_text(Decimal("-1660.56"), lang)
    assert cell.plain == advance and "-" not in cell.plain and "−" not in cell.plain
    assert cell.style != "bold"
    owes = debt_text(Decimal("1660.56"), lang)
    assert owes.plain == owed and owes.style == "bold"
    assert debt_text(Decimal(0), lang).plain == ("0.00" if lang == "en" else "0,00")
    assert debt_text(None, lang).plain == "—"
