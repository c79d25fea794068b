"""The conflict view: both versions side by side at 80×24 and 120×36, in English and Russian, with
1C's text shown as plain text; reached from the sync log."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.clock import TestClock
from tests.seed import INVOICE_ID, screen_app, seed_client, seed_invoice, seed_store, settle
from tui_crm.screens.conflict import ConflictScreen
from tui_crm.screens.sync_log import SyncLogScreen
from tui_crm.store import FieldDiff, Store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "crm.duckdb", clock=TestClock())
    seed_store(s)
    seed_client(s)
    seed_invoice(s)
    item = s.outbox_open_for("invoice", INVOICE_ID)
    assert item is not None
    s.record_conflict(
        item.id, "invoice", INVOICE_ID, seen_version="AAAAAQAAAAA=", their_version="AAAAAgAAAAA=",
        theirs={"Комментарий": "[bold]бухгалтер[/bold]: срочно"}, ours={"Комментарий": "менеджер"},
        diffs=[FieldDiff("comment", None, "менеджер: скидка 5 %", "[bold]бухгалтер[/bold]: срочно"),
               FieldDiff("quantity", 1, "2", "7"),
               FieldDiff("amount", 1, "2 000", "7 000"),
               FieldDiff("total", None, "2 000", "7 000")],
        message="Changed in accounting since the CRM last read it; nothing was written.")
    yield s
    s.close()


def _app(store: Store, lang: str):
    return screen_app(store, lambda st: ConflictScreen(st, "invoice", INVOICE_ID), lang=lang)


@pytest.mark.parametrize("lang", ["en", "ru"])
@pytest.mark.parametrize("size", [(80, 24), (120, 36)], ids=["80x24", "120x36"])
def test_conflict_view(snap_compare, store: Store, lang: str, size: tuple[int, int]) -> None:
    async def run_before(pilot) -> None:
        await settle(pilot)

    assert snap_compare(_app(store, lang), terminal_size=size, run_before=run_before)


async def test_conflict_is_plain_text_and_reached_from_the_sync_log(store: Store) -> None:
    app = screen_app(store, SyncLogScreen)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("tab", "enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ConflictScreen)
        assert screen.conflict is not None and len(screen.conflict.diffs) == 4
        table = screen.query_one("#cf-fields")
        cells = [str(c) for c in table.get_row_at(0)]  # type: ignore[attr-defined]
        assert "[bold]бухгалтер[/bold]: срочно" in cells   # markup from 1C is shown as typed
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, SyncLogScreen)


async def test_f11_on_an_invoice_whose_client_waits_opens_the_clients_versions(tmp_path: Path) -> None:
    """The toast of a client's conflict says "F11" while the operator is on the client's new
    invoice (F3 on the card pushes the client first): F11 there must show the client's versions,
    not "no conflict" for the invoice."""
    from tui_crm.screens.invoice import InvoiceScreen

    s = Store.open(tmp_path / "crm.duckdb", clock=TestClock())
    try:
        seed_store(s)
        client_id = seed_client(s)
        s.queue_push("client", client_id, "update", TestClock()())
        item = s.outbox_open_for("client", client_id)
        assert item is not None
        s.record_conflict(item.id, "client", client_id, seen_version="A", their_version="B",
                          theirs={"Description": "Ромашка (бухгалтерия)"}, ours={"Description": "ООО «Ромашка»"},
                          diffs=[FieldDiff("name", None, "ООО «Ромашка»", "Ромашка (бухгалтерия)")],
                          message="Changed in accounting since the CRM last read it; nothing was written.")
        app = screen_app(s, lambda st: InvoiceScreen(st, None, client_id))
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            await pilot.press("f11")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, ConflictScreen)
            assert screen.conflict is not None and screen.conflict.kind == "client"
            assert [d.field for d in screen.conflict.diffs] == ["name"]
    finally:
        s.close()


async def test_f11_on_an_unsaved_invoice_with_nothing_waiting_says_so(tmp_path: Path) -> None:
    """An invoice not saved yet has no versions to compare: F11 says so in words and stays on
    the invoice (it used to open the conflict screen titled with the new invoice's uuid)."""
    from tui_crm.screens.invoice import InvoiceScreen

    s = Store.open(tmp_path / "crm.duckdb", clock=TestClock())
    try:
        seed_store(s)
        client_id = seed_client(s)
        app = screen_app(s, lambda st: InvoiceScreen(st, None, client_id))
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            invoice = app.screen
            await pilot.press("f11")
            await settle(pilot)
            assert app.screen is invoice
            said = [str(n.message) for n in app._notifications]
            assert any("not saved yet" in m for m in said), said
            assert not any(invoice.invoice_id in m for m in said)  # type: ignore[attr-defined]
    finally:
        s.close()
