"""What every modal dialog shows around its box, at 80×24 (walked in tmux): its buttons are never
under a toast, and the footer shows the dialog's keys, not the keys of the screen below it.

The full app on a real store; toasts are on (`run_test(notifications=True)`), as in a terminal.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Button
from textual.widgets._footer import FooterKey
from textual.widgets._toast import Toast, ToastRack

import tui_crm
from tests.clock import TestClock
from tests.screens.test_80x24_snapshots import make_app
from tests.seed import (
    INVOICE_ID,
    add_shipment,
    mark_posted,
    screen_app,
    seed_client,
    seed_clients,
    seed_invoice,
    seed_store,
    settle,
)
from tui_crm.host import TOAST_LIMIT
from tui_crm.screens.order import OrderScreen
from tui_crm.screens.shipment_request import ShipmentRequestScreen
from tui_crm.store import Store
from tui_crm.widgets.confirm import ConfirmModal
from tui_crm.widgets.dialog import CrmModal, toast_rack


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "crm.duckdb", clock=TestClock())
    seed_store(s)
    seed_clients(s)
    seed_invoice(s)
    mark_posted(s)
    yield s
    s.close()


async def _discard_question_after_accounting_changed(pilot, store: Store) -> ConfirmModal:
    """The walk: the order's shipment request form, a quantity typed, accounting changes the
    order (a shipment arrives: two toasts), Esc: "Discard the quantities you typed?"."""
    app = pilot.app
    await settle(pilot)
    app.open_invoice(INVOICE_ID, posted=True)
    await settle(pilot)
    order = app.screen
    await pilot.press("s")
    await settle(pilot)
    assert isinstance(app.screen, ShipmentRequestScreen)
    await pilot.press("down", "1")
    add_shipment(store, "РТУ-000001", ((1, "6"),))
    order.refresh_data()  # what the app does after a pull
    await settle(pilot)
    await pilot.press("escape")
    await settle(pilot)
    dialog = app.screen
    assert isinstance(dialog, ConfirmModal)
    return dialog


def _hidden_cells(screen, widget) -> list[tuple[int, int]]:
    """The cells of `widget` where the screen shows something else (what the operator cannot see)."""
    region = widget.region
    return [(x, y) for y in range(region.y, region.bottom) for x in range(region.x, region.right)
            if screen.get_widget_at(x, y)[0] is not widget]


@pytest.mark.parametrize("lang", ["en", "ru"])
async def test_toasts_never_cover_a_dialogs_buttons_at_80x24(store: Store, lang: str) -> None:
    app = make_app(store, lang)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        dialog = await _discard_question_after_accounting_changed(pilot, store)
        for text in ("one more", "and another, long enough to wrap over three lines of a toast at "
                     "eighty columns, as a sync error from 1C does"):
            app.notify(text)
        await settle(pilot)
        assert list(dialog.query(Toast)), "the toasts are shown on the dialog's screen"
        buttons = list(dialog.query(Button))
        assert len(buttons) == 2
        # The screens below show none: theirs showed through the dimmed background, cut by the box.
        assert [s for s in app.screen_stack[:-1] if s.query_one(ToastRack).display] == []
        for button in buttons:
            assert _hidden_cells(dialog, button) == [], f"{button.label} is covered"
        # and at 160×48 too
        await pilot.resize_terminal(160, 48)
        await settle(pilot)
        for button in buttons:
            assert _hidden_cells(dialog, button) == [], f"{button.label} is covered at 160×48"
        await pilot.press("escape")  # keep editing: the form shows the toasts still current
        await settle(pilot)
        assert isinstance(app.screen, ShipmentRequestScreen)
        assert app.screen.query_one(ToastRack).display and list(app.screen.query(Toast))


async def test_the_footer_shows_the_dialogs_keys_not_the_screens_below(store: Store) -> None:
    app = make_app(store)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        dialog = await _discard_question_after_accounting_changed(pilot, store)
        keys = [k for k in dialog.query(FooterKey) if k.display]
        shown = {(k.key_display, k.description) for k in keys}
        assert ("d", "Discard") in shown
        assert ("esc", "Keep editing") in shown  # the key its button names
        bottom = dialog.size.height - 1
        on_bottom_row = {dialog.get_widget_at(x, bottom)[0] for x in range(dialog.size.width)}
        assert set(keys) <= on_bottom_row  # drawn over the form's footer (F2 Send, Esc Cancel)
        assert not any(isinstance(w, FooterKey) and w.screen is not dialog for w in on_bottom_row)


def test_every_modal_screen_is_a_crm_modal() -> None:
    """The chrome above lives in one place, `CrmModal`: every modal screen of the app is one
    (the command palette is Textual's own and keeps its look)."""
    from tui_crm.screens.commands import CrmPalette

    for info in pkgutil.walk_packages(tui_crm.__path__, "tui_crm."):
        if info.name.startswith(("tui_crm.sync", "tui_crm.web", "tui_crm.store", "tui_crm.domain")):
            continue
        importlib.import_module(info.name)
    modals = {cls for module in list(__import__("sys").modules.values())
              if getattr(module, "__name__", "").startswith("tui_crm.")
              for _, cls in inspect.getmembers(module, inspect.isclass)
              if issubclass(cls, ModalScreen) and cls.__module__.startswith("tui_crm.")}
    assert len(modals) >= 8
    assert sorted(c.__qualname__ for c in modals
                  if not issubclass(c, CrmModal) and not issubclass(c, CrmPalette)) == []


def test_the_dialog_base_imports_no_private_textual_module() -> None:
    """`CrmModal` restyles Textual's toast rack by the id Textual gives it (`toast_rack`), not by
    importing its class from `textual.widgets._toast`, which a Textual upgrade may move."""
    source = Path(inspect.getfile(CrmModal)).read_text(encoding="utf-8")
    modules = [node.module or "" for node in ast.walk(ast.parse(source)) if isinstance(node, ast.ImportFrom)]
    modules += [alias.name for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Import)
                for alias in node.names]
    assert [m for m in modules if m.startswith("textual") and any(p.startswith("_") for p in m.split("."))] == []


async def test_textual_still_keeps_a_screens_toasts_in_the_rack_the_dialog_restyles(store: Store) -> None:
    """The one thing `CrmModal` takes from Textual's insides: the id of the container a screen's
    toasts are mounted in (Textual 8.2: `ToastRack(id="textual-toastrack")`). If an upgrade
    renames it, this fails here, by name, rather than toasts quietly floating over buttons again."""
    app = make_app(store)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        dialog = await _discard_question_after_accounting_changed(pilot, store)
        rack = toast_rack(dialog)
        assert isinstance(rack, ToastRack)
        toasts = list(dialog.query(Toast))
        assert toasts and all(rack in toast.ancestors for toast in toasts)
        # restyled: laid out above the box (Textual docks it over the screen's bottom rows)
        box = dialog.query_one(Vertical)
        assert rack.styles.dock != "bottom" and rack.region.bottom <= box.region.y
        assert all(t.region.bottom <= box.region.y for t in toasts)
        # the screens below: the same rack, hidden
        below = app.screen_stack[-2]
        assert toast_rack(below) is below.query_one(ToastRack) and not below.query_one(ToastRack).display


@pytest.mark.parametrize("lang", ["en", "ru"])
async def test_a_dialogs_first_frame_already_has_its_footer_keys(store: Store, lang: str) -> None:
    """The footer is composed with the dialog and lists its keys as it mounts: the first frame the
    terminal gets of the dialog shows "d Discard · esc Keep editing" under the box. Mounted after
    the dialog, the footer came a frame late and its keys several (until Textual's bindings
    signal), a blank bar under the buttons while keys typed ahead were still being handled.

    Frames are watched where the app hands each finished one to the terminal driver (`_display`,
    as bench/picker.py does); what is on screen at that moment is what the frame holds."""
    app = make_app(store, lang)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        frames: list[tuple[int, int]] = []  # per frame of a dialog: (buttons shown, footer keys shown)
        display = app._display

        def watched(screen, renderable) -> None:  # type: ignore[no-untyped-def]
            display(screen, renderable)
            if isinstance(screen, CrmModal):
                frames.append((len([b for b in screen.query(Button) if b.region.area]),
                               len([k for k in screen.query(FooterKey) if k.region.area and k.display])))

        app._display = watched  # type: ignore[method-assign]
        await _discard_question_after_accounting_changed(pilot, store)
        assert frames and frames[0] == (2, 2), frames


@pytest.mark.parametrize("lang", ["en", "ru"])
async def test_the_newest_toast_is_whole_above_the_tallest_dialog_at_80x24(tmp_path: Path, lang: str) -> None:
    """The tallest dialog of the app, the reserve confirmation (title, three lines of question),
    leaves 10 rows above it at 80×24; a sync error's toast as long as a toast gets (`TOAST_LIMIT`,
    a title, 9 rows) came after another one. Textual keeps the rack invisible (it lets clicks
    through) and so never gave it a size: it did not scroll, and the newest toast ran on under
    the box, its last four rows (the end of 1C's message) hidden. Over a dialog only the newest
    toast is shown now; the others come back with the screen below."""
    store = Store.open(tmp_path / "crm.duckdb", clock=TestClock())
    seed_store(store)
    seed_client(store)
    seed_invoice(store)
    mark_posted(store)
    store.invoice_pushed(INVOICE_ID, number="КА-000123", data_version="1", posted=False)
    app = screen_app(store, lambda s: OrderScreen(s, INVOICE_ID), lang=lang, reserve_policy="post")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ConfirmModal)
        box = dialog.query_one(Vertical)
        assert box.region.y == 10  # the rows left for toasts
        app.notify("Accounting changed the order")
        app.notify(("1C: the document could not be written, a field is filled in wrong; " * 5)[:TOAST_LIMIT],
                   title="Sending failed", severity="error")
        await settle(pilot)
        newest = list(dialog.query(Toast))[-1]
        assert newest.region.height == 9
        assert _hidden_cells(dialog, newest) == []
        assert all(button.region.y >= box.region.y for button in dialog.query(Button))
        # Only the newest is shown over a dialog; the older one is back once the dialog is gone.
        assert [t.parent.display for t in dialog.query(Toast)] == [False, True]   # each in a holder
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmModal)
        assert [t.parent.display for t in app.screen.query(Toast)] == [True, True]
    store.close()
