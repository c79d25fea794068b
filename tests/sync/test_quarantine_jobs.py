"""Quarantine in the counterparty and document jobs (issue 9): a row accounting sends that cannot
be read is skipped with entity, Ref_Key and reason, counted and noted on the run in the sync log,
and the rest of the job applies — as the product mirror already did."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.sync.sandbox_kit import (
    ORDER,
    Rig,
    clerk_pay,
    clerk_post,
    clerk_ship,
    make_rig,
    new_client,
    save_invoice,
)
from tui_crm.store.mirror import SyncRun
from tui_crm.sync.events import PaymentArrived, ShipmentArrived, SyncEvent
from tui_crm.sync.profile import load_profile

P = load_profile("ka1")
BANK = P["bank_payment"].entity
SHIPMENT = P["shipment"].entity
COUNTERPARTIES = P["counterparty"].entity
CONTACTS = P["contact"].entity
DEBT = P["debt"].entity


class ExtraRow(httpx.AsyncBaseTransport):
    """In front of the sandbox: collection answers for an entity get one more row, made from the
    first row by ``spoil`` (registers are computed by the sandbox, so a bad row is added here)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.spoil: dict[str, Any] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        entity = next((e for e in self.spoil if request.url.path.endswith(e) or f"/{e}(" in request.url.path
                       or f"/{e}/" in request.url.path), None)
        if entity is None or "$count" in request.url.path:
            return response
        data = json.loads(await response.aread())
        if data.get("value"):
            data["value"].append(self.spoil[entity](dict(data["value"][0])))
        return httpx.Response(response.status_code, headers={"content-type": "application/json"},
                              content=json.dumps(data, ensure_ascii=False).encode(), request=request)


def _rig() -> tuple[Rig, ExtraRow]:
    rig = make_rig(products=10, seed=5)
    extra = ExtraRow(rig.client._http._transport)
    rig.client._http._transport = extra
    return rig, extra


def _run(runs: list[SyncRun], job: str) -> SyncRun:
    return next(r for r in runs if r.job == job)


def _note(run: SyncRun, entity: str, key: str | None, reason: str) -> None:
    where = f" (Ref_Key {key})" if key else ""
    assert run.ok, run.error
    assert run.error == f"Skipped 1 malformed row(s) from accounting, the rest applied: {entity}{where}: {reason}"


async def _two_paid_and_shipped_orders(rig: Rig) -> tuple[str, str, dict[str, str]]:
    assert await rig.service.pull_now(full=True) is not None, rig.service.last_error
    client = new_client()
    rig.store.save_client(client, queue=True)
    a, b = save_invoice(rig.store, client.id), save_invoice(rig.store, client.id)
    await rig.service.push_now()
    docs = {}
    for iid in (a, b):
        await clerk_post(rig.clerk, iid)
        docs[f"pay {iid}"] = await clerk_pay(rig.clerk, iid, Decimal("10.00"))
        docs[f"ship {iid}"] = await clerk_ship(rig.clerk, iid)
    return a, b, docs


async def test_bad_order_payment_and_shipment_rows_are_quarantined_the_rest_applies() -> None:
    rig, _ = _rig()
    events: list[SyncEvent] = []
    try:
        a, b, docs = await _two_paid_and_shipped_orders(rig)
        rig.state.objects[ORDER][b]["Number"] = 1.5                  # order B cannot be read
        rig.state.objects[BANK][docs[f"pay {a}"]]["Number"] = [1]    # nor order A's payment
        rig.state.objects[SHIPMENT][docs[f"ship {b}"]]["Posted"] = "yes"   # nor B's shipment
        rig.service.subscribe(events.append)
        assert await rig.service.pull_now() is not None, rig.service.last_error
        runs = rig.store.recent_runs()
        _note(_run(runs, "orders"), ORDER, b, "Number is not text: 1.5")
        _note(_run(runs, "payments"), BANK, docs[f"pay {a}"], "Number is not text: [1]")
        _note(_run(runs, "shipments"), SHIPMENT, docs[f"ship {b}"], "Posted is not true/false: 'yes'")
        inv_a, inv_b = rig.store.get_invoice(a), rig.store.get_invoice(b)
        assert inv_a is not None and inv_a.posted                     # A's state applied
        assert inv_b is not None and not inv_b.deletion_mark          # B is not taken for deleted
        paid = {e.invoice_id for e in events if isinstance(e, PaymentArrived)}
        shipped = {e.invoice_id for e in events if isinstance(e, ShipmentArrived)}
        assert paid == {b} and shipped == {a}                         # the readable rows arrived
    finally:
        await rig.aclose()


@pytest.mark.parametrize(("entity", "spoil", "reason"), [
    (COUNTERPARTIES, lambda r: {**r, "Ref_Key": "a0000000-0000-0000-0000-00000000000b", "Description": 1.5},
     "Description is not text: 1.5"),
    (CONTACTS, lambda r: {**r, P["contact"].f("value"): {"x": 1}},
     f"{P['contact'].f('value')} is not text: {{'x': 1}}"),
    (DEBT, lambda r: {**r, "Контрагент_Key": "not a guid"}, "Контрагент_Key is not a reference: 'not a guid'"),
])
async def test_reference_and_debt_jobs_quarantine_a_bad_row(entity: str, spoil: Any, reason: str) -> None:
    rig, extra = _rig()
    try:
        if entity == DEBT:   # the register has rows once an order is paid
            await _two_paid_and_shipped_orders(rig)
        extra.spoil[entity] = spoil
        assert await rig.service.pull_now(full=True) is not None, rig.service.last_error
        runs = rig.store.recent_runs()
        job = "debt" if entity == DEBT else "counterparties"
        key = "a0000000-0000-0000-0000-00000000000b" if entity == COUNTERPARTIES else None
        _note(_run(runs, job), entity, key, reason)
        cur = rig.store.db.cursor()
        good = cur.execute("SELECT count(*) FROM counterparties").fetchone()
        assert good is not None and good[0] == len([r for r in rig.state.objects[COUNTERPARTIES].values()
                                                    if not r.get("IsFolder")])
        if entity == CONTACTS:
            phones = cur.execute("SELECT count(*) FROM counterparties WHERE len(phones) > 0").fetchone()
            assert phones is not None and phones[0] > 0
        if entity == DEBT:
            debts = cur.execute("SELECT count(*) FROM counterparties WHERE debt <> 0").fetchone()
            assert debts is not None and debts[0] > 0
    finally:
        await rig.aclose()
