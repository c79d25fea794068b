"""УТ 11 client debt: РасчетыСКлиентами by АналитикаУчетаПоПартнерам, mapped to counterparties
through the analytics keys the reference pull keeps in the store, against the ut11 sandbox over
real loopback (a posted sale raises the debt, a posted payment lowers it)."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Iterator
from decimal import Decimal

import pytest

from onec_sandbox import cli as sandbox_cli
from onec_sandbox.server import RunningSandbox, start_in_thread
from onec_sandbox.state import SandboxState
from tests.clock import TestClock
from tests.sync.sandbox_kit import new_client, save_invoice
from tui_crm.store import Store
from tui_crm.sync.odata import ODataClient
from tui_crm.sync.profile import load_profile
from tui_crm.sync.service import SyncService

P = load_profile("ut11")
KEYS = "Catalog_КлючиАналитикиУчетаПоПартнерам"


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    running = start_in_thread(SandboxState.seeded(products=40, warehouses=2, seed=5, config="ut11"))
    try:
        yield running
    finally:
        running.stop()


def clerk(sandbox: RunningSandbox, *argv: str) -> int:
    parser = argparse.ArgumentParser()
    sandbox_cli.add_arguments(parser)
    return sandbox_cli.run(parser.parse_args([argv[0], "--url", sandbox.base_url, *argv[1:]]))


def debt(store: Store, client_id: str) -> Decimal | None:
    row = store.db.cursor().execute("SELECT debt FROM counterparties WHERE id = ?", [client_id]).fetchone()
    return None if row is None else row[0]


async def test_ut11_debt_goes_up_with_a_sale_and_down_with_a_payment(sandbox: RunningSandbox) -> None:
    store = Store.open(None, clock=TestClock())
    service = SyncService(store, ODataClient(sandbox.base_url, retries=1, backoff=0.0), profile=P)
    try:
        await service.pull_now(full=True)
        client = new_client()
        store.save_client(client, queue=True)
        iid = save_invoice(store, client.id, lines=1, qty="2")
        await service.push_now()
        record = store.get_invoice(iid)
        assert record is not None and record.number
        number, total = record.number, record.total
        assert await asyncio.to_thread(clerk, sandbox, "post", number) == 0
        await service.pull_now(full=True)
        assert debt(store, client.id) == Decimal(0)          # an order is no debt yet

        # the sale: debt = its sum; the analytics key is made by 1C, read by id, kept
        assert await asyncio.to_thread(clerk, sandbox, "ship", number) == 0
        await service.pull_now()
        assert debt(store, client.id) == total
        keys = store.db.cursor().execute("SELECT id, counterparty_id FROM debt_keys").fetchall()
        assert [c for _k, c in keys] == [client.id]
        assert set(sandbox.state.objects[KEYS]) == {k for k, _c in keys}
        client_row = store.get_client(client.id)
        assert client_row is not None and client_row.debt == total   # what the card and the list show

        # a 40 % payment lowers it; the rest clears it
        part = (total * Decimal("0.4")).quantize(Decimal("0.01"))
        assert await asyncio.to_thread(clerk, sandbox, "pay", number, "--amount", str(part)) == 0
        await service.pull_now()
        assert debt(store, client.id) == total - part
        assert await asyncio.to_thread(clerk, sandbox, "pay", number, "--amount", str(total - part), "--cash") == 0
        await service.pull_now()
        assert debt(store, client.id) == Decimal(0)

        # the reference pull refreshes the whole key copy (one paged read of the catalog)
        store.db.cursor().execute("DELETE FROM debt_keys")
        await service.pull_now(full=True)
        kept = store.db.cursor().execute("SELECT count(*) FROM debt_keys").fetchone()
        assert kept == (len(sandbox.state.objects[KEYS]),)
        runs = store.db.cursor().execute(
            "SELECT error FROM sync_runs WHERE job = 'debt' ORDER BY started_at DESC LIMIT 1").fetchone()
        assert runs == (None,)
    finally:
        await service.aclose()
        store.close()


async def test_a_key_without_a_counterparty_is_noted_not_guessed(sandbox: RunningSandbox) -> None:
    store = Store.open(None, clock=TestClock())
    service = SyncService(store, ODataClient(sandbox.base_url, retries=1, backoff=0.0), profile=P)
    try:
        await service.pull_now(full=True)
        client = new_client()
        store.save_client(client, queue=True)
        iid = save_invoice(store, client.id, lines=1, qty="1")
        await service.push_now()
        record = store.get_invoice(iid)
        assert record is not None
        assert await asyncio.to_thread(clerk, sandbox, "post", record.number) == 0
        assert await asyncio.to_thread(clerk, sandbox, "ship", record.number) == 0
        for key in sandbox.state.objects[KEYS].values():    # an accountant cleared the counterparty
            key["Контрагент_Key"] = "00000000-0000-0000-0000-000000000000"
        await service.pull_now()
        assert debt(store, client.id) == Decimal(0)
        note = store.db.cursor().execute(
            "SELECT error FROM sync_runs WHERE job = 'debt' ORDER BY started_at DESC LIMIT 1").fetchone()
        assert note is not None and "has no counterparty" in note[0]
    finally:
        await service.aclose()
        store.close()
