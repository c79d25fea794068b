"""The same 1C document or catalog element twice in what the CRM reads, against the ka1 sandbox
over real loopback and a DuckDB file.

A payment that settles several orders is found by every batch of the payments read whose orders
it settles (`Lines/any(d: d/Сделка eq cast(…) or …)`, a few orders a request): the store summed
the copies, so a client who paid 100 showed 200 paid. A counterparty that comes twice (a row
shifted between `$skip` pages, a duplicate in an answer) ended the reference pull with DuckDB's
"duplicate key" instead of being taken once. A sale's row whose `LineNumber` is no whole number
ended the shipments job with a bare ValueError instead of quarantining that sale.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from onec_sandbox.server import RunningSandbox, start_in_thread
from onec_sandbox.state import SandboxState
from tests.clock import TestClock
from tests.sync.loopback import Answer, Seen, loopback
from tests.sync.sandbox_kit import ORDER, ORDER_TYPE, clerk_ship, new_client, save_invoice
from tui_crm.store import Store
from tui_crm.sync.odata import ODataClient
from tui_crm.sync.profile import load_profile
from tui_crm.sync.service import SyncService

P = load_profile("ka1")
BANK = "Document_ПлатежноеПоручениеВходящее"


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    running = start_in_thread(SandboxState.seeded(products=10, warehouses=1, seed=5, config="ka1"))
    try:
        yield running
    finally:
        running.stop()


async def test_a_payment_of_orders_in_two_batches_is_counted_once(sandbox: RunningSandbox, tmp_path: Any) -> None:
    store = Store.open(str(tmp_path / "crm.duckdb"), clock=TestClock())
    service = SyncService(store, ODataClient(sandbox.base_url, retries=1, backoff=0.0), profile=P)
    clerk = ODataClient(sandbox.base_url, retries=1, backoff=0.0)
    try:
        assert await service.pull_now() is not None, service.last_error
        client = new_client()
        store.save_client(client, queue=True)
        ids = [save_invoice(store, client.id, lines=1, qty="1") for _ in range(P.casts_per_request + 1)]
        while store.outbox_items():
            result = await service.push_now()
            assert result is not None and not result.failed, result
        first, last = ids[0], ids[-1]   # one in the first batch of the read, one in the second
        order = await clerk.get_entity(ORDER, first)
        assert order is not None
        rows = [{"LineNumber": str(n), "ДоговорКонтрагента_Key": order["ДоговорКонтрагента_Key"], "Сделка": iid,
                 "Сделка_Type": ORDER_TYPE, "КурсВзаиморасчетов": 1, "КратностьВзаиморасчетов": "1",
                 "СуммаПлатежа": amount, "СуммаВзаиморасчетов": amount, "СтавкаНДС": "НДС20", "СуммаНДС": 0}
                for n, (iid, amount) in enumerate(((first, 10), (last, 5)), start=1)]
        ref = str(uuid.uuid4())
        await clerk.create(BANK, {
            "Ref_Key": ref, "ВидОперации": "ОплатаПокупателя", "Организация_Key": order["Организация_Key"],
            "ДоговорКонтрагента_Key": order["ДоговорКонтрагента_Key"], "Контрагент_Key": order["Контрагент_Key"],
            "ВалютаДокумента_Key": order["ВалютаДокумента_Key"], "СуммаДокумента": 15, "Оплачено": True,
            "РасшифровкаПлатежа": rows})
        await clerk.post_document(BANK, ref)

        res = await service.jobs.payments(ids)
        assert res.error is None, res.error
        paid = {iid: [(p.id, p.amount) for p in store.invoice_payments(iid)] for iid in (first, last)}
        assert paid == {first: [(ref, Decimal("10.00"))], last: [(ref, Decimal("5.00"))]}   # was 20 and 10
    finally:
        await clerk.aclose()
        await service.aclose()
        store.close()


async def test_a_counterparty_twice_in_the_answer_is_taken_once_as_last_read(
        sandbox: RunningSandbox, tmp_path: Any) -> None:
    """A proxy on loopback in front of the sandbox repeats a counterparty at the end of the last
    page of the catalog, with the name the accountant has just given it."""
    cp = "Catalog_Контрагенты"
    twice: list[str] = []

    def serve(seen: Seen) -> Answer:
        query = "&".join(f"{quote(k, safe='$')}={quote(v, safe='')}" for k, v in seen.query.items())
        got = httpx.get(f"{sandbox.base_url}{quote(seen.path)}?{query}", timeout=10)
        body = got.content
        if seen.path == cp and got.status_code == 200:
            data = json.loads(body)
            rows = data["value"]
            if rows and len(rows) < int(seen.query.get("$top", "0")):   # the last page
                rows.append({**rows[0], "Description": "Север (переименован)"})
                twice.append(rows[0]["Ref_Key"])
                body = json.dumps(data, ensure_ascii=False).encode()
        return Answer(got.status_code, body, got.headers.get("content-type", "application/json"))

    store = Store.open(str(tmp_path / "crm.duckdb"), clock=TestClock())
    with loopback(serve) as box:
        service = SyncService(store, ODataClient(box.url, retries=0, backoff=0.0), profile=P)
        try:
            res = await service.jobs.reference()
            assert res.error is None, res.error    # was: Constraint Error … duplicate key
            assert twice
            rows = store.db.cursor().execute("SELECT name FROM counterparties WHERE id = ?", [twice[0]]).fetchall()
            assert rows == [("Север (переименован)",)]
        finally:
            await service.aclose()
            store.close()


async def test_a_sale_with_a_line_number_that_is_no_number_is_quarantined_and_the_rest_applied(
        sandbox: RunningSandbox, tmp_path: Any) -> None:
    store = Store.open(str(tmp_path / "crm.duckdb"), clock=TestClock())
    service = SyncService(store, ODataClient(sandbox.base_url, retries=1, backoff=0.0), profile=P)
    clerk = ODataClient(sandbox.base_url, retries=1, backoff=0.0)
    try:
        assert await service.pull_now() is not None, service.last_error
        client = new_client()
        store.save_client(client, queue=True)
        iid = save_invoice(store, client.id, lines=1, qty="2")
        while store.outbox_items():
            result = await service.push_now()
            assert result is not None and not result.failed, result
        good = await clerk_ship(clerk, iid, Decimal("0.5"))
        bad = await clerk_ship(clerk, iid, Decimal("0.5"))
        sandbox.state.objects["Document_РеализацияТоваровУслуг"][bad]["Товары"][0]["LineNumber"] = "1.5"
        res = await service.jobs.shipments([iid])
        assert [s.id for s in store.invoice_shipments(iid)] == [good]
        assert res.error is not None and f"(Ref_Key {bad})" in res.error
        assert "LineNumber is not a line number: '1.5'" in res.error   # was: ValueError, the job failed
    finally:
        await clerk.aclose()
        await service.aclose()
        store.close()
