"""The whole operator flow (docs/architecture.md §1), driven by keys, against the sandbox over real loopback.

New client card → save (pushed to accounting) → new invoice → picker → quantity → save (pushed,
gets its 1C number) → the clerk posts it (the invoice locks) → pays 40 % by bank (partly paid) →
pays the rest in cash (paid) → ships half (partly shipped), then the rest (shipped). Run against
the sandbox in each configuration (КА 1.1, УТ 11.5 and БП 3.0) with the profile of the same name. The
clerk's actions go through the sandbox CLI over HTTP, exactly as in the demo. Waits are bounded
polls, never fixed sleeps.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from textual.widgets import DataTable, Input

from onec_sandbox import cli as sandbox_cli
from onec_sandbox.server import RunningSandbox, start_in_thread
from onec_sandbox.state import SandboxState
from tests.clock import TestClock
from tui_crm.app import CrmApp
from tui_crm.config import AccountingSettings
from tui_crm.domain.models import SyncState
from tui_crm.i18n import set_language
from tui_crm.screens.client_card import ClientCardScreen
from tui_crm.screens.forms import QuantityScreen
from tui_crm.screens.invoice import InvoiceScreen
from tui_crm.screens.order import OrderScreen
from tui_crm.screens.picker import PickerScreen
from tui_crm.store import ClientRow, Store
from tui_crm.sync.service import SyncService


@pytest.fixture(params=[(c, ignore) for c in ("ka1", "ut11", "bp3") for ignore in (False, True)],
                ids=lambda p: f"{p[0]}-{'if-match-ignored' if p[1] else 'if-match-honoured'}")
def sandbox(request: pytest.FixtureRequest) -> Iterator[RunningSandbox]:
    """The sandbox in each configuration the CRM pushes to, honouring `If-Match` as the vendor
    documents and ignoring it as live bases were found to; the CRM uses the profile of the same
    name."""
    config, ignore_if_match = request.param
    running = start_in_thread(SandboxState.seeded(products=60, warehouses=3, seed=11, config=config),
                              ignore_if_match=ignore_if_match)
    try:
        yield running
    finally:
        running.stop()


def clerk(sandbox: RunningSandbox, *argv: str) -> int:
    """One accounting clerk command through the sandbox CLI (it talks OData over loopback)."""
    parser = argparse.ArgumentParser()
    sandbox_cli.add_arguments(parser)
    return sandbox_cli.run(parser.parse_args([argv[0], "--url", sandbox.base_url, *argv[1:]]))


def status_json(sandbox: RunningSandbox, folder: Path, number: str) -> dict:
    """`tui-crm status NUMBER --json` as the operator would run it in another shell."""
    settings = folder / "config.toml"
    settings.write_text(f'[accounting]\nprofile = "{sandbox.state.config.name}"\n', encoding="utf-8")
    env = {**os.environ, "TUI_CRM_CONFIG": str(settings), "PYTHONIOENCODING": "utf-8"}
    done = subprocess.run([sys.executable, "-m", "tui_crm.cli", "status", number, "--json", "--url",
                           sandbox.base_url, "--store", str(folder / "crm.duckdb")],
                          capture_output=True, text=True, timeout=90, env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


async def wait_for(pilot, condition: Callable[[], object], what: str, seconds: float = 30.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for: {what}")
        await pilot.pause(0.1)


async def type_into(pilot, input_id: str, text: str) -> None:
    widget = pilot.app.screen.query_one(f"#{input_id}", Input)
    widget.focus()
    await pilot.pause()
    await pilot.press(*text)


async def test_operator_flow_against_the_sandbox(sandbox: RunningSandbox, tmp_path: Path) -> None:
    set_language("en")
    store = Store.open(tmp_path / "crm.duckdb", clock=TestClock())
    service = SyncService.from_settings(store, AccountingSettings(
        url=sandbox.base_url, timeout=10, profile=sandbox.state.config.name))
    app = CrmApp(store, service, pull_seconds=2, live_seconds=1, language="en")
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            await wait_for(pilot, lambda: store.last_success() is not None, "the first pull")

            # 1. The client card: fill, save; it reaches accounting on its own.
            await pilot.press("f2")
            await wait_for(pilot, lambda: isinstance(app.screen, ClientCardScreen), "the client card")
            await type_into(pilot, "name", "Ромашка ООО")
            await type_into(pilot, "full_name", "ООО «Ромашка»")
            await type_into(pilot, "inn", "7707083893")
            await type_into(pilot, "kpp", "773601001")
            await type_into(pilot, "phones", "8 (912) 345-67-89")
            await type_into(pilot, "email", "info@romashka.ru")
            await pilot.press("f2")

            def saved() -> list[ClientRow]:  # the sandbox has a counterparty of that name too
                return [r for r in store.client_rows("Ромашка") if r.origin == "crm"]

            await wait_for(pilot, saved, "the client saved")
            client = saved()[0]
            assert client.phones == ("+79123456789",)
            await wait_for(
                pilot, lambda: store.get_client(client.id).sync_state is SyncState.IN_ACCOUNTING,  # type: ignore[union-attr]
                "the client in accounting",
            )
            if sandbox.state.config.name == "ut11":  # a Партнер and its Контрагент, contacts inside
                party = sandbox.state.objects["Catalog_Контрагенты"][client.id]
                assert party["Партнер_Key"] in sandbox.state.objects["Catalog_Партнеры"]
                assert {r["Представление"] for r in party["КонтактнаяИнформация"]} == {
                    "+79123456789", "info@romashka.ru"}
            if sandbox.state.config.name == "bp3":  # БП 3: contacts inside, kinds of БП 3
                party = sandbox.state.objects["Catalog_Контрагенты"][client.id]
                kinds = {r["Вид_Key"]: r["Представление"] for r in party["КонтактнаяИнформация"]}
                named = {k["PredefinedDataName"]: kinds.get(k["Ref_Key"])
                         for k in sandbox.state.objects["Catalog_ВидыКонтактнойИнформации"].values()}
                assert (named["ТелефонКонтрагента"], named["EmailКонтрагенты"]) == (
                    "+79123456789", "info@romashka.ru")

            # 2. A new invoice for that client, lines from the picker.
            await pilot.press("f3")
            await wait_for(pilot, lambda: isinstance(app.screen, InvoiceScreen), "the invoice editor")
            await pilot.press("a")
            await wait_for(pilot, lambda: isinstance(app.screen, PickerScreen), "the picker")
            table = app.screen.query_one(DataTable)
            await wait_for(pilot, lambda: table.row_count > 0, "picker rows")
            def free(i: int) -> Decimal:
                text = str(table.get_row_at(i)[2]).replace(" ", "").replace(",", ".").strip("⚠ ")
                return Decimal(text or "0")

            # the first product with enough free stock to ship, and a price
            row_index = next(
                i for i in range(table.row_count)
                if free(i) >= 5 and "—" not in str(table.get_row_at(i)[3])
            )
            code = str(table.get_row_at(row_index)[0]).strip()
            await pilot.press(*code.lower())
            await wait_for(pilot, lambda: table.row_count == 1, f"the search for {code}")
            await pilot.press("enter")  # in the search: ask the quantity of the highlighted row
            await wait_for(pilot, lambda: isinstance(app.screen, QuantityScreen), "the quantity form")
            qty_input = app.screen.query_one("#qty-input", Input)
            qty_input.value = ""
            await pilot.press("2", "enter")
            await wait_for(pilot, lambda: isinstance(app.screen, PickerScreen), "back in the picker")
            await pilot.press("escape")
            await wait_for(pilot, lambda: isinstance(app.screen, InvoiceScreen), "back in the invoice")
            await pilot.press("f2")
            await wait_for(pilot, lambda: store.list_invoices(client_id=client.id), "the invoice saved")
            invoice_id = store.list_invoices(client_id=client.id)[0].id
            await wait_for(pilot, lambda: store.get_invoice(invoice_id).number, "the 1C number")  # type: ignore[union-attr]
            record = store.get_invoice(invoice_id)
            assert record is not None and record.invoice.lines[0].quantity == Decimal(2)
            number, total = record.number, record.total

            # 3. The clerk posts it: the CRM copy locks and refuses edits with a reason.
            assert await asyncio.to_thread(clerk, sandbox, "post", number) == 0
            await wait_for(pilot, lambda: store.get_invoice(invoice_id).posted, "the posted state")  # type: ignore[union-attr]
            await wait_for(pilot, lambda: getattr(app.screen, "locked", False), "the invoice screen to lock")
            await pilot.press("a")
            await pilot.pause()
            assert isinstance(app.screen, InvoiceScreen)  # the picker did not open

            # 4. Order view; 40 % by bank → partly paid; the rest in cash → paid; ship → shipped.
            await pilot.press("o")
            await wait_for(pilot, lambda: isinstance(app.screen, OrderScreen), "the order view")
            bank = (total * Decimal("0.4")).quantize(Decimal("0.01"))
            assert await asyncio.to_thread(clerk, sandbox, "pay", number, "--amount", str(bank)) == 0
            paid_badge = app.screen.query_one("#ord-paid")
            await wait_for(pilot, lambda: "Partially paid" in str(paid_badge.render()), "partly paid")
            assert await asyncio.to_thread(
                clerk, sandbox, "pay", number, "--amount", str(total - bank), "--cash") == 0
            await wait_for(pilot, lambda: "Paid 100" in str(paid_badge.render()), "paid")
            shipped_badge = app.screen.query_one("#ord-shipped")
            assert "Not shipped" in str(shipped_badge.render())
            assert await asyncio.to_thread(clerk, sandbox, "ship", number, "--line", "1", "--qty", "1") == 0
            await wait_for(pilot, lambda: "Partially shipped" in str(shipped_badge.render()), "partly shipped")
            assert await asyncio.to_thread(clerk, sandbox, "ship", number) == 0
            await wait_for(pilot, lambda: "Shipped 100" in str(shipped_badge.render()), "shipped")
            await pilot.press("2")
            await pilot.pause()
            payments = app.screen.query_one("#ord-payments", DataTable)
            assert payments.row_count == 2
            if sandbox.state.config.name == "bp3":  # the deal is the invoice; shipments moved 41.01
                st = sandbox.state
                invoice = next(d for d in st.objects["Document_СчетНаОплатуПокупателю"].values()
                               if d["Number"] == number)
                sales = [d for d in st.objects["Document_РеализацияТоваровУслуг"].values()
                         if d["СчетНаОплатуПокупателю_Key"] == invoice["Ref_Key"] and d["Posted"]]
                assert sorted(sum(Decimal(str(r["Количество"])) for r in d["Товары"]) for d in sales) == [1, 1]
                assert st.acc["Хозрасчетный"].movements.get(invoice["Ref_Key"], []) == []  # posted, no records

            # 5. `tui-crm status` in another shell: the TUI holds the store, so it asks accounting
            answer = await asyncio.to_thread(status_json, sandbox, tmp_path, number)
            assert answer["source"] == "accounting"
            found = answer["invoices"][0]
            assert (found["number"], found["paid_pct"], found["shipped_pct"], found["posted"]) == (
                number, "100.0", "100.0", True)
    finally:
        store.close()
