"""A field the profile selects that accounting's rows lack: the document jobs (orders, payments,
shipments, debt, reserves) and the live reads report it like the mirror pull does — once per
entity and field per run, in the log and on the run's line in the sync log — instead of reading a
silent 0 or "". The sandbox (over real loopback) leaves the field out of its rows (`Faults.omit`)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from decimal import Decimal

import pytest

from onec_sandbox.server import RunningSandbox, start_in_thread
from onec_sandbox.state import SandboxState
from tests.clock import TestClock
from tests.sync.sandbox_kit import clerk_pay, clerk_post, clerk_ship, new_client, save_invoice
from tui_crm.store import Store
from tui_crm.sync.odata import ODataClient
from tui_crm.sync.service import SyncService

ORDER_TOTAL = "Document_ЗаказПокупателя.СуммаДокумента"
BANK_DATE = "Document_ПлатежноеПоручениеВходящее.Date"
SALE_NUMBER = "Document_РеализацияТоваровУслуг.Number"
DEBT = "AccumulationRegister_ВзаиморасчетыСКонтрагентами.СуммаВзаиморасчетовBalance"


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    running = start_in_thread(SandboxState.seeded(products=40, warehouses=2, seed=8))
    try:
        yield running
    finally:
        running.stop()


def last_note(store: Store, job: str) -> str | None:
    row = store.db.cursor().execute(
        "SELECT error FROM sync_runs WHERE job = ? ORDER BY id DESC LIMIT 1", [job]).fetchone()
    assert row is not None, f"no {job} run"
    return row[0]


async def test_document_jobs_and_live_reads_report_a_missing_field(
        sandbox: RunningSandbox, caplog: pytest.LogCaptureFixture) -> None:
    store = Store.open(None, clock=TestClock())
    client = ODataClient(sandbox.base_url, retries=1, backoff=0.0)
    clerk = ODataClient(sandbox.base_url)
    service = SyncService(store, client)
    try:
        await service.pull_now(full=True)
        party = new_client()
        store.save_client(party, queue=True)
        iid = save_invoice(store, party.id, lines=1, qty="2")
        await service.push_now()
        await clerk_post(clerk, iid)
        await clerk_pay(clerk, iid, Decimal("10"))
        await clerk_ship(clerk, iid, Decimal("0.5"))
        await service.pull_now()
        assert last_note(store, "orders") is None and last_note(store, "debt") is None
        debt_before = store.get_client(party.id).debt  # type: ignore[union-attr]
        assert debt_before  # shipped half, paid 10

        sandbox.faults.omit = ", ".join((ORDER_TOTAL, BANK_DATE, SALE_NUMBER, DEBT))
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="tui_crm.sync.fields"):
            await service.pull_now()
        for job, field in (("orders", ORDER_TOTAL), ("debt", DEBT)):
            note = last_note(store, job)
            assert note is not None and "lack fields the profile expects" in note and field in note, (job, note)
        # the debt without its amount is not read as 0: the figure shown stays
        assert store.get_client(party.id).debt == debt_before  # type: ignore[union-attr]
        # payments/shipments of an order whose balance moved: make it move
        await clerk_pay(clerk, iid, Decimal("5"), cash=True)
        with caplog.at_level(logging.WARNING, logger="tui_crm.sync.fields"):
            await service.pull_now()
        assert BANK_DATE in (last_note(store, "payments") or "")
        assert SALE_NUMBER in (last_note(store, "shipments") or "")
        # once per entity and field per run: one warning for the order total in each orders run
        orders_runs = store.db.cursor().execute(
            "SELECT count(*) FROM sync_runs WHERE job = 'orders' AND error LIKE '%СуммаДокумента%'").fetchone()
        warned = [r for r in caplog.records if "Document_ЗаказПокупателя: " in r.getMessage()
                  and "СуммаДокумента" in r.getMessage()]
        assert orders_runs is not None and len(warned) == orders_runs[0] == 2

        # live: the order on screen, read every tick; reported on one "live" line, not per tick
        service.watch_orders([iid])
        for _ in range(3):
            await service.live_tick()
        lines = store.db.cursor().execute("SELECT error FROM sync_runs WHERE job = 'live'").fetchall()
        assert len(lines) == 1 and ORDER_TOTAL in lines[0][0]
    finally:
        await service.aclose()
        await clerk.aclose()
        store.close()
        await asyncio.sleep(0)


async def test_a_missing_field_is_noted_in_russian(sandbox: RunningSandbox) -> None:
    """The run's line in the interface language (it read "Accounting's rows lack fields …" in
    Russian too); the entity and field stay as 1C names them."""
    from tui_crm.i18n import set_language

    store = Store.open(None, clock=TestClock())
    service = SyncService(store, ODataClient(sandbox.base_url, retries=1, backoff=0.0))
    sandbox.faults.omit = "Catalog_Номенклатура.Артикул"
    set_language("ru")
    try:
        assert await service.pull_now(full=True) is not None, service.last_error
        assert last_note(store, "mirror") == ("В строках учёта нет полей, которых ждёт профиль (прочитаны как "
                                              "пустые): Catalog_Номенклатура.Артикул"), last_note(store, "mirror")
    finally:
        set_language("en")
        await service.aclose()
        store.close()
        await asyncio.sleep(0)
