"""What the push reads once for its claimed invoices (`OutboxStore.invoice_push_batch`) instead of
once per invoice: a contract the claim's read did not have is looked up in 1C once per client and
push, and a reservation request made before the push still marks the order it creates. And the
backoff of an item deferred without end (found by bench/push.py's 5 % 5xx run)."""

from __future__ import annotations

import random
from typing import Any
from urllib.parse import unquote

import httpx

from tests.sync.sandbox_kit import ORDER, NetLikeTransport, make_rig, new_client, save_invoice
from tui_crm.sync.push import BACKOFF_BASE, BACKOFF_CAP, RESERVE_MARK, backoff

CONTRACTS = "Catalog_ДоговорыКонтрагентов"


class _CountingTransport(NetLikeTransport):
    """Counts the GETs of the contracts catalog (the push's `contracts_of` look-up)."""

    def __init__(self, app: Any, timeout: float = 5.0) -> None:
        super().__init__(app, timeout)
        self.contract_reads = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and CONTRACTS in unquote(request.url.raw_path.decode("ascii")):
            self.contract_reads += 1
        return await super().handle_async_request(request)


async def test_a_contract_found_in_1c_serves_the_clients_later_invoices_of_the_push() -> None:
    rig = make_rig(transport_class=_CountingTransport, push_concurrency=1)
    try:
        await rig.service.pull_now()
        cp = sorted(rig.store.counterparty_ids())[0]
        org = rig.store.organization()
        assert org is not None
        theirs = rig.store.find_contract(cp, org[0], "СПокупателем")
        assert theirs is not None
        # the mirror forgets it: the push finds it in 1C (a contract made there since the pull)
        with rig.store.transaction() as cur:
            cur.execute("DELETE FROM contracts WHERE counterparty_id = ?", [cp])
        invoices = [save_invoice(rig.store, cp) for _ in range(3)]
        transport = rig.transport
        assert isinstance(transport, _CountingTransport)
        transport.contract_reads = 0   # the pull's
        result = await rig.service.push_now()
        assert result is not None and len(result.pushed) == 3
        assert [rig.state.objects[ORDER][iid]["ДоговорКонтрагента_Key"] for iid in invoices] == [theirs] * 3
        assert transport.contract_reads == 1
        assert [k for k, v in rig.state.objects[CONTRACTS].items() if v["Owner_Key"] == cp] == [theirs]
    finally:
        await rig.aclose()


async def test_a_reservation_request_made_before_the_push_marks_the_order_it_creates() -> None:
    rig = make_rig()
    try:
        await rig.service.pull_now()
        client = new_client()
        rig.store.save_client(client, queue=True)
        iid = save_invoice(rig.store, client.id)
        assert rig.store.request_reserve(iid, "request") is None
        result = await rig.service.push_now()
        assert result is not None and [k for k, _ in result.pushed] == ["client", "invoice", "reserve"]
        # the first body kept for the order is its create's: the mark was in it already
        assert rig.store.sent_bodies(ORDER, iid)[0]["Комментарий"].startswith(RESERVE_MARK)
        assert rig.state.objects[ORDER][iid]["Комментарий"].startswith(RESERVE_MARK)
    finally:
        await rig.aclose()


def test_backoff_of_an_item_deferred_a_thousand_times_is_the_cap() -> None:
    """An invoice whose client keeps failing is deferred at every push, its attempts growing
    without end: its backoff stays the cap (it once overflowed a float and stopped the push)."""
    rng = random.Random(1)
    assert all(BACKOFF_CAP * 0.5 <= backoff(n, rng) <= BACKOFF_CAP * 1.5 for n in (12, 1025, 5000))
    assert BACKOFF_BASE * 0.5 <= backoff(1, rng) <= BACKOFF_BASE * 1.5
