"""БП 3 client debt: the balance of Хозрасчетный on 62.01 (what buyers owe) and 62.02 (advances
they paid) by the subconto Контрагенты, against the bp3 sandbox over real loopback and a real
store: a posted sale raises it, a payment lowers it, an overpayment is an advance (a negative
debt) that the next sale uses up, and a balance row whose subconto is of another type is left out
with a line in the sync log."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Iterator
from decimal import Decimal
from urllib.parse import unquote

import httpx
import pytest

from onec_sandbox import cli as sandbox_cli
from onec_sandbox.configs import bp3 as bp3_config
from onec_sandbox.posting import write
from onec_sandbox.server import RunningSandbox, start_in_thread
from onec_sandbox.state import SandboxState
from tests.clock import TestClock
from tests.sync.sandbox_kit import new_client, save_invoice
from tui_crm.i18n import set_language
from tui_crm.store import Store
from tui_crm.sync import parse, queries
from tui_crm.sync.odata import ODataClient
from tui_crm.sync.profile import load_profile
from tui_crm.sync.pull import quarantine_note
from tui_crm.sync.service import SyncService

P = load_profile("bp3")
T = "StandardODATA."


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    running = start_in_thread(SandboxState.seeded(products=40, warehouses=2, seed=5, config="bp3"))
    try:
        yield running
    finally:
        running.stop()


class Recording(httpx.AsyncHTTPTransport):
    """The real loopback transport, noting each request's decoded URL."""

    def __init__(self, seen: list[str]) -> None:
        super().__init__()
        self.seen = seen

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(unquote(str(request.url)))
        return await super().handle_async_request(request)


def clerk(sandbox: RunningSandbox, *argv: str) -> int:
    parser = argparse.ArgumentParser()
    sandbox_cli.add_arguments(parser)
    return sandbox_cli.run(parser.parse_args([argv[0], "--url", sandbox.base_url, *argv[1:]]))


def debt(store: Store, client_id: str) -> Decimal | None:
    row = store.db.cursor().execute("SELECT debt FROM counterparties WHERE id = ?", [client_id]).fetchone()
    return None if row is None else row[0]


def balance(st: SandboxState, code: str, party: str) -> Decimal:
    """The sandbox's own Сумма balance (debit − credit) of account `code` for a counterparty."""
    acc = bp3_config.account(st, code)
    return sum((v[0] for k, v in st.acc["Хозрасчетный"].totals.items() if k[0] == acc and k[2] == party),
               Decimal(0))


def last_note(store: Store) -> str | None:
    row = store.db.cursor().execute(
        "SELECT error FROM sync_runs WHERE job = 'debt' ORDER BY started_at DESC LIMIT 1").fetchone()
    return None if row is None else row[0]


async def _pushed(service: SyncService, store: Store, client_id: str, qty: str) -> tuple[str, Decimal]:
    iid = save_invoice(store, client_id, lines=1, qty=qty)
    await service.push_now()
    record = store.get_invoice(iid)
    assert record is not None and record.number
    return record.number, record.total


async def test_bp3_debt_follows_sales_payments_and_advances(sandbox: RunningSandbox) -> None:
    store = Store.open(None, clock=TestClock())
    seen: list[str] = []
    odata = ODataClient(sandbox.base_url, retries=1, backoff=0.0, transport=Recording(seen))
    service = SyncService(store, odata, profile=P)
    st = sandbox.state
    try:
        await service.pull_now(full=True)
        client = new_client()
        store.save_client(client, queue=True)
        number, total = await _pushed(service, store, client.id, "2")
        assert await asyncio.to_thread(clerk, sandbox, "post", number) == 0
        await service.pull_now(full=True)
        assert debt(store, client.id) == Decimal(0)          # an accepted invoice is no debt yet

        # the sale: Dt 62.01 — the client owes the invoice's sum (card and list show it)
        assert await asyncio.to_thread(clerk, sandbox, "ship", number) == 0
        await service.pull_now()
        assert debt(store, client.id) == total
        shown = store.get_client(client.id)
        assert shown is not None and shown.debt == total
        # one request for the debt, restricted to the two accounts in AccountCondition
        reads = [u for u in seen if "$select=ExtDimension1,ExtDimension1_Type,СуммаBalance&" in u]
        assert reads and all(bp3_config.account(st, "62.01") in u and bp3_config.account(st, "62.02") in u
                             for u in reads)

        # 40 % by bank lowers it; paying the rest and 100 more by cash leaves an advance: 62.02
        part = (total * Decimal("0.4")).quantize(Decimal("0.01"))
        assert await asyncio.to_thread(clerk, sandbox, "pay", number, "--amount", str(part)) == 0
        await service.pull_now()
        assert debt(store, client.id) == total - part
        extra = Decimal("100.00")
        assert await asyncio.to_thread(clerk, sandbox, "pay", number, "--amount", str(total - part + extra),
                                       "--cash") == 0
        await service.pull_now()
        assert balance(st, "62.01", client.id) == 0 and balance(st, "62.02", client.id) == -extra
        assert debt(store, client.id) == -extra              # an advance: a negative debt

        # the next sale uses the advance up first (Dt 62.02 Kt 62.01)
        number2, total2 = await _pushed(service, store, client.id, "1")
        assert await asyncio.to_thread(clerk, sandbox, "post", number2) == 0
        assert await asyncio.to_thread(clerk, sandbox, "ship", number2) == 0
        await service.pull_now()
        assert balance(st, "62.02", client.id) == 0
        assert debt(store, client.id) == total2 - extra
        assert last_note(store) is None
    finally:
        await service.aclose()
        store.close()


async def test_a_balance_of_another_subconto_type_is_left_out_and_said(sandbox: RunningSandbox) -> None:
    store = Store.open(None, clock=TestClock())
    service = SyncService(store, ODataClient(sandbox.base_url, retries=1, backoff=0.0), profile=P)
    st = sandbox.state
    try:
        await service.pull_now(full=True)
        client = new_client()
        store.save_client(client, queue=True)
        number, total = await _pushed(service, store, client.id, "1")
        assert await asyncio.to_thread(clerk, sandbox, "post", number) == 0
        assert await asyncio.to_thread(clerk, sandbox, "ship", number) == 0
        # an accountant's entry on 62.01 against a person (not a counterparty), 500 rubles
        org = next(iter(st.objects["Catalog_Организации"]))
        person = "5e0e7f4b-4a5d-11ee-8c90-0242ac120009"
        dims = bp3_config._dims(st, {"Организация_Key": org}, "62.01", (person, T + "Catalog_ФизическиеЛица"))
        write(st, "Хозрасчетный", "6e0e7f4b-4a5d-11ee-8c90-0242ac12000a",
              [("2026-11-30T10:00:00", 1, dims, [Decimal(500), Decimal(0)])])
        await service.pull_now()
        assert debt(store, client.id) == total              # the other row changes nothing
        note = last_note(store)
        assert note is not None and "not a counterparty" in note and "Catalog_ФизическиеЛица" in note
        assert "malformed" not in note
    finally:
        await service.aclose()
        store.close()


def test_debt_row_reads_the_counterparty_subconto_and_refuses_other_types() -> None:
    row = {"Account_Key": "0123abcd-4a5d-11ee-8c90-0242ac120002", "СуммаBalance": -1660.56,
           "ExtDimension1": "aa0e7f4b-4a5d-11ee-8c90-0242ac120002", "ExtDimension1_Type": T + "Catalog_Контрагенты"}
    assert parse.debt_row(P, row) == ("aa0e7f4b-4a5d-11ee-8c90-0242ac120002", Decimal("-1660.56"))
    with pytest.raises(parse.OtherSubconto) as other:
        parse.debt_row(P, {**row, "ExtDimension1_Type": T + "Catalog_ФизическиеЛица"})
    # the sync log's note in the interface language: the subconto and types as 1C names them
    english = quarantine_note([other.value])
    set_language("ru")
    try:
        russian = quarantine_note([other.value])
    finally:
        set_language("en")
    assert english.startswith("Left out 1 balance row(s) of ") and "not a counterparty" in english
    assert russian == (f"Не учтены строки остатков {P['debt'].entity}, где субконто клиента — не контрагент "
                       "(Catalog_ФизическиеЛица): 1; показан долг только контрагентов."), russian
    assert parse.debt_row(P, {**row, "ExtDimension1": "", "ExtDimension1_Type": T + "Undefined"}) is None
    q = queries.debt(P, ["11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222"])
    assert q is not None and q.heavy and "AccountCondition=" in q.path
    assert set(q.select) == {"ExtDimension1", "ExtDimension1_Type", "СуммаBalance"}
