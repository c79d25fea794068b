"""УТ 11's push of a new client and its first invoice, request by request (issue 13: "≤ 3
requests per new client"), against the ut11 sandbox over real loopback and a real store.

`bench/push.py --config ut11` showed a new client costing four requests: a GET of its partner
before the partner's first POST (nothing can be there yet), the POSTs of the partner and the
counterparty, and at its first invoice a GET of the counterparty to learn the partner the push
had just written (the title of the commit that fixed it says five: that count took the reads of
counterparties accounting already had for the new clients'). Now a new client is its two
POSTs. A partner already in 1C under the derived key (an earlier item discarded after the
partner's POST) is still adopted, through 1C's "key exists" answer, and the counterparty points
at it. No timing is asserted: requests are counted.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import unquote

import httpx
import pytest

from onec_sandbox.server import RunningSandbox, start_in_thread
from onec_sandbox.state import SandboxState
from tests.clock import TestClock
from tests.sync.sandbox_kit import new_client, save_invoice
from tui_crm.domain.models import SyncState
from tui_crm.store import Store
from tui_crm.sync.odata import ODataClient
from tui_crm.sync.profile import load_profile
from tui_crm.sync.push import derived_key
from tui_crm.sync.service import SyncService

P = load_profile("ut11")
PARTNERS = "Catalog_Партнеры"
COUNTERPARTIES = "Catalog_Контрагенты"
ORDERS = "Document_ЗаказКлиента"
BILLS = "Document_СчетНаОплатуКлиенту"


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    running = start_in_thread(SandboxState.seeded(products=20, warehouses=1, seed=3, config="ut11"))
    try:
        yield running
    finally:
        running.stop()


class Recording(httpx.AsyncHTTPTransport):
    """The real loopback transport, noting each request as (method, entity set)."""

    def __init__(self, seen: list[tuple[str, str]]) -> None:
        super().__init__()
        self.seen = seen

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        tail = unquote(request.url.path).split("/standard.odata/", 1)[1]
        self.seen.append((request.method, tail.split("(", 1)[0].split("/", 1)[0]))
        return await super().handle_async_request(request)


class Ut11:
    def __init__(self, sandbox: RunningSandbox) -> None:
        self.seen: list[tuple[str, str]] = []
        self.store = Store.open(None, clock=TestClock())
        self.service = SyncService(self.store, ODataClient(sandbox.base_url, retries=1, backoff=0.0,
                                                           transport=Recording(self.seen)), profile=P)
        self.clerk = ODataClient(sandbox.base_url)

    async def aclose(self) -> None:
        await self.service.aclose()
        await self.clerk.aclose()
        self.store.close()


async def test_a_new_client_is_its_partner_and_counterparty_posts(sandbox: RunningSandbox) -> None:
    crm = Ut11(sandbox)
    try:
        assert await crm.service.pull_now(full=True) is not None, crm.service.last_error
        # the push's one-off reads (contact kinds, the standard agreement, VAT rates) come with a
        # first new client and its invoice, so what the second sends is that client's and invoice's
        first = new_client("ООО «Первый»")
        crm.store.save_client(first, queue=True)
        save_invoice(crm.store, first.id)
        assert (await crm.service.push_now()).failed == []
        client = new_client("ООО «Новый партнёр»")
        crm.store.save_client(client, queue=True)
        iid = save_invoice(crm.store, client.id)
        crm.seen.clear()
        result = await crm.service.push_now()
        assert result.failed == []
        assert crm.seen == [("POST", PARTNERS), ("POST", COUNTERPARTIES), ("POST", ORDERS), ("POST", BILLS)]
        cp = await crm.clerk.get_entity(COUNTERPARTIES, client.id)
        assert cp is not None and cp["Партнер_Key"] == derived_key("partner", client.id)
        order = await crm.clerk.get_entity(ORDERS, iid)
        assert order is not None and order["Партнер_Key"] == derived_key("partner", client.id)
        assert order["Контрагент_Key"] == client.id
    finally:
        await crm.aclose()


async def test_a_partner_already_in_accounting_is_adopted_on_the_first_attempt(sandbox: RunningSandbox) -> None:
    crm = Ut11(sandbox)
    try:
        assert await crm.service.pull_now(full=True) is not None, crm.service.last_error
        client = new_client("ООО «Уже с партнёром»")
        pkey = derived_key("partner", client.id)
        # made by an earlier attempt whose item was discarded: the same derived key, an old name
        await crm.clerk.create(PARTNERS, {"Ref_Key": pkey, "Description": "старое имя", "Клиент": True})
        crm.store.save_client(client, queue=True)
        iid = save_invoice(crm.store, client.id)
        crm.seen.clear()
        result = await crm.service.push_now()
        assert result.failed == []
        # the POST meets "key exists" (code 15): the partner is read, adopted and brought up to date
        assert [r for r in crm.seen if r[1] in (PARTNERS, COUNTERPARTIES)] == [
            ("POST", PARTNERS), ("GET", PARTNERS), ("PATCH", PARTNERS), ("POST", COUNTERPARTIES)]
        partner = await crm.clerk.get_entity(PARTNERS, pkey)
        assert partner is not None and partner["Description"] == client.name
        cp = await crm.clerk.get_entity(COUNTERPARTIES, client.id)
        assert cp is not None and cp["Партнер_Key"] == pkey
        order = await crm.clerk.get_entity(ORDERS, iid)
        assert order is not None and order["Партнер_Key"] == pkey
        rec = crm.store.get_client(client.id)
        assert rec is not None and rec.sync_state is SyncState.IN_ACCOUNTING
    finally:
        await crm.aclose()


async def test_lanes_starting_together_read_the_agreement_and_vat_rates_once(sandbox: RunningSandbox) -> None:
    """Four invoices of four clients go out in four lanes at once; each lane's first order needs
    the organization's standard agreement and the VAT rates' keys. One lane reads them, the
    others wait for its answer (each lane read them itself before: 2-4 reads of each)."""
    crm = Ut11(sandbox)
    try:
        assert await crm.service.pull_now(full=True) is not None, crm.service.last_error
        clients = sorted(crm.store.counterparty_ids())[:4]
        assert len(clients) == 4
        for cid in clients:
            save_invoice(crm.store, cid)
        crm.seen.clear()
        result = await crm.service.push_now()
        assert result is not None and result.failed == []
        assert len(result.pushed) == 4
        reads = [e for m, e in crm.seen if m == "GET"]
        assert reads.count(P["agreement"].entity) == 1
        assert reads.count(P["vat_rate"].entity) == 1
    finally:
        await crm.aclose()
