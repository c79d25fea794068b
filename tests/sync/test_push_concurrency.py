"""Pushes with several clients at once (`sync.push_concurrency`): the requests in flight toward
1C never exceed the setting, a client still reaches accounting before its invoices (and their
contract before the order), and under 5xx and commit-then-drop faults every client and invoice
ends in accounting exactly once. The setting itself is validated like the other numbers."""

from __future__ import annotations

import asyncio
import json
import random
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from onec_sandbox.state import SandboxState
from tests.sync.sandbox_kit import ORDER, NetLikeTransport, Rig, make_rig, new_client, save_invoice
from tui_crm.config import ConfigError, load
from tui_crm.domain.models import SyncState
from tui_crm.sync.push import PUSH_CONCURRENCY, Pusher

CP = "Catalog_Контрагенты"
CONTRACT = "Catalog_ДоговорыКонтрагентов"
BILL = "Document_СчетНаОплатуПокупателю"


class Watching(NetLikeTransport):
    """The kit's transport, noting the writes in the order the server got them and the most
    requests that were in flight at once."""

    def __init__(self, app: Any, timeout: float = 5.0) -> None:
        super().__init__(app, timeout)
        self.writes: list[tuple[str, str, dict[str, Any]]] = []
        self.in_flight = 0
        self.most_in_flight = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if request.method in ("POST", "PATCH"):
                path = request.url.path.split("/standard.odata/", 1)[1]
                self.writes.append((request.method, path, json.loads(request.content or b"{}")))
            return await super().handle_async_request(request)
        finally:
            self.in_flight -= 1


def _watched_rig(concurrency: int, **kw: Any) -> tuple[Rig, Watching]:
    rig = make_rig(push_concurrency=concurrency, transport_class=Watching, **kw)
    assert isinstance(rig.transport, Watching)
    return rig, rig.transport


def _owner(path: str, body: dict[str, Any]) -> str | None:
    """The client a write is for (counterparty, its contacts and contract, its orders)."""
    if path.startswith(CP):
        return str(body.get("Ref_Key"))
    for key in ("Объект", "Owner_Key", "Контрагент_Key", "Контрагент"):
        if key in body:
            return str(body[key])
    return None


async def test_clients_go_at_once_within_the_bound_and_each_before_its_invoices() -> None:
    now = [datetime(2026, 11, 30, 13, 0)]   # after the store clock's saves (TestClock: 12:00)
    rig, watching = _watched_rig(3, clock=lambda: now[0])
    try:
        assert await rig.service.pull_now() is not None
        rig.faults.configure({"latency_ms": 5})   # every answer takes a moment: lanes overlap
        clients = []
        for n in range(8):
            c = new_client(f"ООО «Поток {n}»", phone=f"+7 900 {n:03d}-00-00")
            rig.store.save_client(c, queue=True, now=now[0])
            clients.append(c.id)
        invoices = [save_invoice(rig.store, cid, lines=2) for cid in clients for _ in range(2)]
        watching.writes.clear()
        watching.most_in_flight = 0
        result = await rig.service.push_now()
        assert result is not None and not result.failed and not result.offline
        assert rig.store.outbox_count() == 0

        assert 1 < watching.most_in_flight <= 3     # several clients at once, never more than asked
        for cid in clients:
            mine = [(m, p.split("(")[0]) for m, p, b in watching.writes if _owner(p, b) == cid]
            entities = [e for _, e in mine]
            assert entities[0] == CP                                  # the client first
            assert entities.index(CONTRACT) < entities.index(ORDER)   # its contract before the order
            orders = [i for i, e in enumerate(entities) if e == ORDER]
            bills = [i for i, e in enumerate(entities) if e == BILL]
            assert len(orders) == len(bills) == 2 and all(o < b for o, b in zip(orders, bills, strict=True))
        for iid in invoices:
            rec = rig.store.get_invoice(iid)
            assert rec is not None and rec.sync_state is SyncState.IN_ACCOUNTING
            assert rec.number == rig.state.objects[ORDER][iid]["Number"]
    finally:
        await rig.aclose()


async def test_a_new_client_and_its_invoice_cost_at_most_three_requests_each_beyond_contacts() -> None:
    """Counterparty + one record per contact kind for the client; contract + order + invoice
    document for its first invoice (no look-ups: the push created the counterparty itself)."""
    rig, watching = _watched_rig(2)
    try:
        assert await rig.service.pull_now() is not None
        c = new_client("ООО «Один»", email="", address="")
        rig.store.save_client(c, queue=True)
        save_invoice(rig.store, c.id)
        before = rig.client.stats.requests
        await rig.service.push_now()
        entities = Counter(p.split("(")[0].split("?")[0] for _, p, _ in watching.writes)
        # the contact kinds are read once per process (one GET), the rest are the writes
        assert rig.client.stats.requests - before == 1 + sum(entities.values())
        assert entities == Counter({CP: 1, "InformationRegister_КонтактнаяИнформация": 1,
                                    CONTRACT: 1, ORDER: 1, BILL: 1})
    finally:
        await rig.aclose()


async def test_exactly_once_under_5xx_and_dropped_answers_with_four_at_once(tmp_path: Path) -> None:
    now = [datetime(2026, 11, 30, 13, 0)]   # after the store clock's saves (TestClock: 12:00)
    state = SandboxState.seeded(products=20, warehouses=2, seed=1, path=tmp_path / "sandbox.sqlite")
    rig, _ = _watched_rig(4, state=state, clock=lambda: now[0], rng=random.Random(5))
    try:
        assert await rig.service.pull_now() is not None
        existing = sorted(rig.store.counterparty_ids())[:3]
        clients = []
        for n in range(10):
            c = new_client(f"ООО «Сбой {n}»", phone=f"+7 901 {n:03d}-00-00", email=f"s{n}@x.ru")
            rig.store.save_client(c, queue=True, now=now[0])
            clients.append(c.id)
        invoices = [save_invoice(rig.store, cid, lines=2) for cid in clients + existing for _ in range(2)]
        rig.faults.configure({"reset": True, "seed": 11, "error_rate": 0.15, "drop_rate": 0.15})
        for _ in range(200):   # a dropped answer stops a whole round: under load a round may do little
            await rig.service.push_now()
            for item in rig.store.outbox_failed_items():
                rig.store.outbox_retry(item.id, now[0])
            if rig.store.outbox_count() == 0:
                break
            now[0] += timedelta(minutes=10)
        rig.faults.configure({"reset": True})
        assert rig.store.outbox_count() == 0, rig.store.outbox_items()

        st = rig.state
        names = Counter(o["Description"] for o in st.objects[CP].values() if o["Description"].startswith("ООО «Сбой"))
        assert len(names) == len(clients) and set(names.values()) == {1}
        for cid in clients:
            contracts = [k for k, o in st.objects[CONTRACT].items() if o["Owner_Key"] == cid]
            assert len(contracts) == 1
            kinds = Counter(c["Тип"] for c in st.contacts.values() if c["Объект"] == cid)
            assert kinds == Counter({"Телефон": 1, "АдресЭлектроннойПочты": 1, "Адрес": 1})
        ours = {k: o for k, o in st.objects[ORDER].items() if k in set(invoices)}
        assert len(ours) == len(invoices)
        bills = Counter(b["ЗаказПокупателя_Key"] for b in st.objects[BILL].values())
        assert all(bills[iid] == 1 for iid in invoices)
        for iid in invoices:
            rec = rig.store.get_invoice(iid)
            assert rec is not None and rec.sync_state is SyncState.IN_ACCOUNTING
            assert rec.number == ours[iid]["Number"]
    finally:
        await rig.aclose()


@pytest.mark.parametrize("text", ["0", "33", "-1", "2.5", "true", '"4"', "1e3"])
def test_push_concurrency_out_of_range_or_not_a_whole_number_is_refused(tmp_path: Path, text: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(f"[sync]\npush_concurrency = {text}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"sync\.push_concurrency must be"):
        load(path)


async def test_push_concurrency_is_read_and_reaches_the_push(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[sync]\npush_concurrency = 8\n", encoding="utf-8")
    settings = load(path)
    assert settings.sync.push_concurrency == 8
    assert load(tmp_path / "none.toml").sync.push_concurrency == PUSH_CONCURRENCY == 4
    rig = make_rig(push_concurrency=settings.sync.push_concurrency)
    try:
        assert rig.service.pusher.concurrency == 8
        with pytest.raises(ValueError, match="push concurrency"):
            Pusher(rig.client, rig.store, rig.service.profile, rig.service.writer, concurrency=0)
    finally:
        await rig.aclose()


async def test_a_write_in_flight_when_the_sandbox_restarts_is_not_acknowledged_and_ends_once(tmp_path: Path) -> None:
    """The cause of the concurrency-4 flake of tests/sync/test_push_faults.py, pinned down with
    events, not timing: lane A's counterparty POST is held inside the sandbox "process" while
    lane B's request restarts it; A's request then runs on the stopped process, whose writes
    reach no file. The rig used to answer it 201, so the CRM took a client as written that the
    restarted base never had ("not found", false conflicts, stale contacts later). A real
    process that stops cuts the connection: the push must see that, look the key up on the next
    push and create the client exactly once."""
    now = [datetime(2026, 11, 30, 13, 0)]   # after the store clock's saves (TestClock: 12:00)
    state = SandboxState.seeded(products=10, warehouses=1, seed=1, path=tmp_path / "sandbox.sqlite")
    rig = make_rig(state=state, push_concurrency=2, clock=lambda: now[0], rng=random.Random(1))
    transport = rig.transport
    assert transport is not None
    try:
        assert await rig.service.pull_now() is not None
        a = new_client("ООО «Держим»", phone="+7 902 000-00-01")
        b = new_client("ООО «Рестарт»", phone="+7 902 000-00-02")
        for c in (a, b):
            rig.store.save_client(c, queue=True, now=now[0])

        old_app = rig.app
        held = asyncio.Event()
        restarted = asyncio.Event()
        restart = transport.on_restart

        def on_restart() -> None:
            restart()
            restarted.set()

        transport.on_restart = on_restart

        async def holding(scope: dict[str, Any], receive: Any, send: Any) -> None:
            if scope.get("method") == "POST" and scope.get("path", "").endswith(CP) and not held.is_set():
                held.set()
                transport.restart_after = transport.requests + 1   # the next request (lane B's) restarts
                await restarted.wait()
            await old_app(scope, receive, send)

        transport.inner = httpx.ASGITransport(app=holding)
        await rig.service.push_now()
        assert held.is_set() and rig.restarts == 1
        for _ in range(5):
            if rig.store.outbox_count() == 0:
                break
            now[0] += timedelta(minutes=10)
            await rig.service.push_now()
        assert rig.store.outbox_count() == 0, rig.store.outbox_items()
        for c in (a, b):
            assert c.id in rig.state.objects[CP], c.name     # in the restarted base, not only in the CRM
            rec = rig.store.get_client(c.id)
            assert rec is not None and rec.sync_state is SyncState.IN_ACCOUNTING
            assert rig.store.open_conflict("client", c.id) is None
            phones = [r["Представление"] for r in rig.state.contacts.values()
                      if r["Объект"] == c.id and r["Тип"] == "Телефон"]
            assert phones == list(c.phones)
        names = Counter(o["Description"] for o in rig.state.objects[CP].values())
        assert names[a.name] == names[b.name] == 1
    finally:
        await rig.aclose()
