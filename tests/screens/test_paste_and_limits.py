"""What a paste or a typed character did not put in is said, in the operator's language.

A one-line field keeps a multi-line paste's first line (by design: a client's name, a search),
but the operator was not told the rest was dropped. A multi-line field (TextArea) takes every
line. The invoice comment (500 characters) refused a longer paste whole and every key past the
limit, with at most a bell (which SSH sessions rarely sound)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from textual import events
from textual.app import ComposeResult
from textual.widgets import Input, TextArea

from tests.clock import TestClock
from tests.seed import INVOICE_ID, screen_app, seed_client, seed_invoice, seed_store, settle
from tui_crm.screens.base import HostedScreen
from tui_crm.screens.invoice import InvoiceScreen
from tui_crm.store import Store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "crm.duckdb", clock=TestClock())
    seed_store(s)
    seed_client(s)
    seed_invoice(s)
    yield s
    s.close()


def capture(app: Any) -> list[tuple[str, str]]:
    seen: list[tuple[str, str]] = []
    original = app.notify

    def notify(message: str, *args: Any, **kwargs: Any) -> Any:  # run_test() shows no toasts
        seen.append((str(message), str(kwargs.get("severity", "information"))))
        return original(message, *args, **kwargs)

    app.notify = notify
    return seen


class Fields(HostedScreen[None]):
    """A one-line and a multi-line field, as screens use them."""

    BINDINGS: ClassVar[list[Any]] = []

    def compose(self) -> ComposeResult:
        yield Input(id="one")
        yield TextArea(id="many")


@pytest.mark.parametrize(("lang", "said"), [("en", "2 more line(s) not pasted"), ("ru", "не вставлено строк: 2")])
async def test_a_multi_line_paste_into_a_one_line_field_says_what_was_left_out(
    store: Store, lang: str, said: str,
) -> None:
    app = screen_app(store, lambda s: Fields(), lang=lang)
    seen = capture(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        one = app.screen.query_one("#one", Input)
        one.focus()
        app.post_message(events.Paste("ООО Ромашка\nул. Ленина, 1\n\nтел. 123"))
        await settle(pilot)
        assert one.value == "ООО Ромашка"
        assert any(said in m and sev == "warning" for m, sev in seen), seen


async def test_a_multi_line_paste_into_a_text_area_keeps_every_line(store: Store) -> None:
    app = screen_app(store, lambda s: Fields())
    seen = capture(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        many = app.screen.query_one("#many", TextArea)
        many.focus()
        app.post_message(events.Paste("first\nsecond\nthird"))
        await settle(pilot)
        assert many.text == "first\nsecond\nthird"
        assert seen == []


async def test_a_single_line_paste_says_nothing(store: Store) -> None:
    app = screen_app(store, lambda s: Fields())
    seen = capture(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        one = app.screen.query_one("#one", Input)
        one.focus()
        app.post_message(events.Paste("ООО Ромашка\n"))
        await settle(pilot)
        assert one.value == "ООО Ромашка" and seen == []


@pytest.mark.parametrize(("lang", "said"), [("en", "500"), ("ru", "500")])
async def test_a_paste_over_the_comment_limit_is_cut_and_says_so(store: Store, lang: str, said: str) -> None:
    """Before: the 600-character paste was refused whole, the comment stayed empty, no word."""
    app = screen_app(store, lambda s: InvoiceScreen(s, INVOICE_ID), lang=lang)
    seen = capture(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        comment = app.screen.query_one("#inv-comment", Input)
        comment.focus()
        await pilot.press(*"abc")
        app.post_message(events.Paste("x" * 600))
        await settle(pilot)
        assert comment.value == "abc" + "x" * 497
        cut = [m for m, sev in seen if said in m and "103" in m and sev == "warning"]
        assert cut, seen
        assert ("cut" in cut[0]) if lang == "en" else ("обрезан" in cut[0])


async def test_typing_past_the_comment_limit_says_so_once(store: Store) -> None:
    app = screen_app(store, lambda s: InvoiceScreen(s, INVOICE_ID))
    seen = capture(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        comment = app.screen.query_one("#inv-comment", Input)
        comment.focus()
        await settle(pilot)
        comment.value = "y" * 499
        await pilot.press("end", "a", "b", "c", "d")
        await settle(pilot)
        assert comment.value == "y" * 499 + "a"
        told = [m for m, _ in seen if "500" in m]
        assert len(told) == 1, seen
        await pilot.press("backspace", "e", "f")
        await settle(pilot)
        assert len([m for m, _ in seen if "500" in m]) == 2  # told again after going back under


async def test_a_paste_whose_lines_end_in_carriage_returns_is_lines_too(store: Store) -> None:
    """Terminals (and tmux) send a pasted line break as a carriage return: the whole paste went
    into the one-line field as "first␍second␍third", and the TextArea got one line."""
    app = screen_app(store, lambda s: Fields(), lang="ru")
    seen = capture(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        one = app.screen.query_one("#one", Input)
        one.focus()
        app.post_message(events.Paste("первая строка\rвторая\r\nтретья"))
        await settle(pilot)
        assert one.value == "первая строка"
        assert any("не вставлено строк: 2" in m for m, _ in seen), seen
        many = app.screen.query_one("#many", TextArea)
        many.focus()
        app.post_message(events.Paste("first\rsecond\rthird"))
        await settle(pilot)
        assert many.text == "first\nsecond\nthird"
