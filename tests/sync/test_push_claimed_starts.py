"""The claimed invoices' starts are read with the claim (`OutboxStore.invoice_push_starts`, two
statements for the claim instead of two per invoice): they are what `invoice_push_start` reads,
and an invoice edited after the claim still reaches accounting as edited — its save queues a new
item (the claimed one is ``sending``), which the next push sends with a start of its own."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

import httpx

from tests.sync.sandbox_kit import (
    ORDER,
    NetLikeTransport,
    make_rig,
    new_client,
    new_invoice,
    save_invoice,
)
from tui_crm.domain.models import SyncState

COUNTERPARTY = "Catalog_Контрагенты"


class _EditOnFirstOrder(NetLikeTransport):
    """Runs ``on_first_order`` before the first POST to ``entity`` (an order by default) reaches
    the sandbox."""

    entity = ORDER

    def __init__(self, app: Any, timeout: float = 5.0) -> None:
        super().__init__(app, timeout)
        self.on_first_order: Any = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if (request.method == "POST" and self.on_first_order is not None
                and request.url.path.rstrip("/").endswith(self.entity)):
            hook, self.on_first_order = self.on_first_order, None
            hook()
        return await super().handle_async_request(request)


class _EditOnFirstCounterparty(_EditOnFirstOrder):
    entity = COUNTERPARTY


async def test_the_starts_read_with_the_claim_are_the_invoices_own_starts() -> None:
    rig = make_rig()
    try:
        await rig.service.pull_now()
        cp = sorted(rig.store.counterparty_ids())[0]
        ids = [save_invoice(rig.store, cp, lines=n) for n in (1, 3, 2)]
        got = rig.store.invoice_push_starts([*ids, "no-such-invoice"])
        assert sorted(got) == sorted(ids)
        for iid in ids:
            assert got[iid] == rig.store.invoice_push_start(iid, client=False)
        assert [len(got[iid].lines) for iid in ids] == [1, 3, 2]
        assert [line[0] for line in got[ids[1]].lines] == [1, 2, 3]
        assert rig.store.invoice_push_starts([]) == {}
    finally:
        await rig.aclose()


async def test_the_client_starts_read_with_the_claim_are_the_clients_own_starts() -> None:
    rig = make_rig()
    try:
        await rig.service.pull_now()
        plain, with_contacts = new_client("ООО «Первый»"), new_client("ООО «Второй»", inn="7736207543")
        for c in (plain, with_contacts):
            rig.store.save_client(c, queue=True)
        rig.store.set_contact_seen(with_contacts.id, "phone", "+7 912 000-00-00")
        rig.store.set_contact_seen(with_contacts.id, "email", "")
        got = rig.store.client_push_starts([plain.id, with_contacts.id, "no-such-client"])
        assert sorted(got) == sorted([plain.id, with_contacts.id])
        for c in (plain, with_contacts):
            rec, custom = rig.store.client_push_start(c.id)
            assert got[c.id] == (rec, custom, rig.store.contact_seen(c.id))
        assert got[with_contacts.id][2] == {"phone": "+7 912 000-00-00", "email": ""}
        assert got[plain.id][2] == {}
        assert rig.store.client_push_starts([]) == {}
    finally:
        await rig.aclose()


async def test_an_invoice_edited_after_the_claim_reaches_accounting_as_edited() -> None:
    rig = make_rig(transport_class=_EditOnFirstOrder, push_concurrency=1)
    try:
        await rig.service.pull_now()
        cp = sorted(rig.store.counterparty_ids())[0]
        first = save_invoice(rig.store, cp)
        second, inv = new_invoice(rig.store, cp)
        rig.store.save_invoice(second, inv, date=datetime(2026, 11, 30, 10, 0), queue=True)
        edited = dataclasses.replace(inv, comment="правка после захвата")
        transport = rig.transport
        assert isinstance(transport, _EditOnFirstOrder)
        # both are claimed; while the first one's order goes out, the clerk saves the second again
        transport.on_first_order = lambda: rig.store.save_invoice(
            second, edited, date=datetime(2026, 11, 30, 10, 0), queue=True)
        result = await rig.service.push_now()
        assert result is not None and [k for k, _ in result.pushed] == ["invoice", "invoice"]
        assert transport.on_first_order is None
        assert rig.state.objects[ORDER][second]["Комментарий"] == "из CRM"   # as claimed
        assert [i.object_id for i in rig.store.outbox_items(("pending",))] == [second]
        # its edit has not gone yet: it must not look "in accounting" until the next push
        assert rig.store.get_invoice(second).sync_state is SyncState.QUEUED
        assert rig.store.get_invoice(first).sync_state is SyncState.IN_ACCOUNTING
        result = await rig.service.push_now()
        assert result is not None and [k for k, _ in result.pushed] == ["invoice"]
        assert rig.state.objects[ORDER][second]["Комментарий"] == "правка после захвата"
        assert rig.state.objects[ORDER][first]["Комментарий"] == "из CRM"
        assert rig.store.outbox_items(("pending", "sending")) == []
        assert rig.store.get_invoice(second).sync_state is SyncState.IN_ACCOUNTING
    finally:
        await rig.aclose()


async def test_a_client_edited_while_its_push_is_in_flight_stays_queued_until_the_edit_goes() -> None:
    rig = make_rig(transport_class=_EditOnFirstCounterparty, push_concurrency=1)
    try:
        await rig.service.pull_now()
        client = new_client()
        rig.store.save_client(client, queue=True)
        edited = dataclasses.replace(client, comment="правка во время отправки")
        transport = rig.transport
        assert isinstance(transport, _EditOnFirstCounterparty)
        transport.on_first_order = lambda: rig.store.save_client(edited, queue=True)
        await rig.service.push_now()
        assert transport.on_first_order is None
        rec = rig.store.get_client(client.id)
        assert rec is not None and rec.sync_state is SyncState.QUEUED
        assert [i.object_id for i in rig.store.outbox_items(("pending",))] == [client.id]
        await rig.service.push_now()
        rec = rig.store.get_client(client.id)
        assert rec is not None and rec.sync_state is SyncState.IN_ACCOUNTING
        assert rig.store.outbox_items(("pending", "sending")) == []
        assert rig.state.objects[COUNTERPARTY][client.id]["Комментарий"] == "правка во время отправки"
    finally:
        await rig.aclose()
