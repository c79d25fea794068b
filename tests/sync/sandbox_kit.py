"""Test kit for sync tests: an in-process sandbox with faults that behave like a network, a store
and a service wired to it, and the accounting clerk's actions over OData.

Why a transport wrapper: ``httpx.ASGITransport`` runs the app in the test's loop, so a sandbox
"hang" would never time out and a "dropped response" surfaces as the app's own exception. The
wrapper turns both into what a socket would give: ``httpx.ReadTimeout`` and ``httpx.ReadError``.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx

from onec_sandbox.app import create_app
from onec_sandbox.faults import Faults
from onec_sandbox.state import SandboxState
from tests.clock import TestClock
from tui_crm.domain.invoice import Invoice, InvoiceLine
from tui_crm.domain.models import Client
from tui_crm.domain.validation import ClientKind
from tui_crm.domain.vat import VatRate
from tui_crm.store import Store
from tui_crm.sync.odata import ODataClient
from tui_crm.sync.service import SyncService

BASE = "http://sandbox.test/demo/odata/standard.odata/"
ORDER = "Document_ЗаказПокупателя"
ORDER_TYPE = "StandardODATA.Document_ЗаказПокупателя"


class NetLikeTransport(httpx.AsyncBaseTransport):
    """ASGITransport with a read timeout and app exceptions turned into dropped connections.

    ``restart_after`` (a request count) stops the "server" before that request: ``on_restart``
    (set by the rig) reopens the sandbox from its data file, and that request and the next
    ``restart_down - 1`` find nothing listening (``httpx.ConnectError``), as while a real server
    process restarts.

    A request still in flight on the stopped "process" when it restarts (several push lanes at
    once) loses its connection (``httpx.ReadError``), as with a real process: the old app may
    still carry it out on its closed state, whose writes reach no file, so answering it would
    acknowledge a write the restarted base does not have — an impossible fault that made the
    push at concurrency > 1 end in false conflicts and "not found" (tests/sync/test_push_faults.py).
    A write the old process made before it stopped is in the file (``SandboxState.close``)."""

    def __init__(self, app: Any, timeout: float = 5.0) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.timeout = timeout
        self.requests = 0
        self.restart_after: int | None = None
        self.restart_down = 0
        self.down = 0
        self.on_restart: Any = None
        self.generation = 0   # restarts so far: a request answered by an older one is cut off

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        if self.restart_after is not None and self.requests >= self.restart_after:
            self.restart_after = None
            self.on_restart()
            self.generation += 1
            self.down = self.restart_down
        if self.down > 0:
            self.down -= 1
            raise httpx.ConnectError("connection refused (sandbox restarting)", request=request)
        generation = self.generation
        try:
            response = await asyncio.wait_for(self.inner.handle_async_request(request), self.timeout)
            await asyncio.wait_for(response.aread(), self.timeout)
            if self.generation != generation:
                raise httpx.ReadError("connection reset (the sandbox restarted meanwhile)", request=request)
            return response
        except TimeoutError:
            raise httpx.ReadTimeout("timed out", request=request) from None
        except httpx.HTTPError:
            raise
        except Exception as exc:  # noqa: BLE001 - an app failure mid-response is a "drop" fault
            raise httpx.ReadError(f"connection dropped: {exc}", request=request) from None


@dataclass
class Rig:
    state: SandboxState
    faults: Faults
    app: Any
    store: Store
    service: SyncService
    clerk: ODataClient
    transport: NetLikeTransport | None = None
    restarts: int = 0
    ignore_if_match: bool = False   # the sandbox carries out writes with a stale If-Match, like field bases

    @property
    def client(self) -> ODataClient:
        return self.service.client

    def restart_sandbox(self) -> None:
        """Stop and start the sandbox "process" on the same data file: the state is closed
        (written to its file) and reopened, and a new app serves it through the same transport.
        Needs a state with a file (``make_rig(state=SandboxState.seeded(path=...))``)."""
        assert self.state.path is not None and self.transport is not None
        path = self.state.path
        self.state.close()
        self.state = SandboxState.open(path)
        self.app = create_app(self.state, faults=self.faults, ignore_if_match=self.ignore_if_match)
        self.transport.inner = httpx.ASGITransport(app=self.app)
        self.restarts += 1

    async def aclose(self) -> None:
        await self.service.aclose()
        await self.clerk.aclose()
        self.store.close()


def make_rig(products: int = 40, warehouses: int = 2, *, timeout: float = 5.0, store: Store | None = None,
             state: SandboxState | None = None, seed: int = 1, ignore_if_match: bool = False,
             transport_class: type[NetLikeTransport] = NetLikeTransport, **service_kw: Any) -> Rig:
    state = state or SandboxState.seeded(products=products, warehouses=warehouses, seed=seed)
    faults = Faults()
    app = create_app(state, faults=faults, ignore_if_match=ignore_if_match)
    transport = transport_class(app, timeout)
    client = ODataClient(BASE, transport=transport, retries=1, backoff=0.0, timeout=timeout)
    clerk = ODataClient(BASE, transport=httpx.ASGITransport(app=app))
    store = store or Store.open(None, clock=TestClock())
    service = SyncService(store, client, **service_kw)
    rig = Rig(state, faults, app, store, service, clerk, transport, ignore_if_match=ignore_if_match)
    transport.on_restart = rig.restart_sandbox
    return rig


def new_client(name: str = "ООО «Тест»", *, inn: str = "7707083893", phone: str = "+7 912 345-67-89",
               email: str = "buh@test.ru", address: str = "Москва, ул. Ленина, 1") -> Client:
    return Client(id=str(uuid.uuid4()), kind=ClientKind.LEGAL_ENTITY, name=name, full_name=name + " полное",
                  inn=inn, kpp="773601001", phones=(phone,), email=email, address=address)


def new_invoice(store: Store, client_id: str, *, lines: int = 2, qty: str = "2") -> tuple[str, Invoice]:
    wh = store.warehouses()[0].id
    pt = store.price_types()[0].id
    rows = [r for r in store.picker_search(wh, pt, "", limit=50) if r.price is not None][:lines]
    inv = Invoice(
        lines=tuple(InvoiceLine(r.product_id, r.code, r.name, r.unit, Decimal(qty), r.price, Decimal("5"),
                                VatRate(r.vat_rate or "НДС20")) for r in rows),
        client_id=client_id, warehouse_id=wh, price_type_id=pt, comment="из CRM",
    )
    return str(uuid.uuid4()), inv


def save_invoice(store: Store, client_id: str, **kw: Any) -> str:
    iid, inv = new_invoice(store, client_id, **kw)
    store.save_invoice(iid, inv, date=datetime(2026, 11, 30, 10, 0), queue=True)
    return iid


# -- the accounting clerk, through OData like any 1C user ------------------------------------

async def clerk_post(clerk: ODataClient, order_id: str) -> None:
    await clerk.post_document(ORDER, order_id)


async def clerk_pay(clerk: ODataClient, order_id: str, amount: Decimal, *, cash: bool = False) -> str:
    order = await clerk.get_entity(ORDER, order_id)
    assert order is not None
    row = {"LineNumber": "1", "ДоговорКонтрагента_Key": order["ДоговорКонтрагента_Key"], "Сделка": order_id,
           "Сделка_Type": ORDER_TYPE, "КурсВзаиморасчетов": 1, "КратностьВзаиморасчетов": "1",
           "СуммаПлатежа": float(amount), "СуммаВзаиморасчетов": float(amount), "СтавкаНДС": "НДС20",
           "СуммаНДС": 0}
    ref = str(uuid.uuid4())
    body: dict[str, Any] = {
        "Ref_Key": ref, "ВидОперации": "ОплатаПокупателя", "Организация_Key": order["Организация_Key"],
        "ДоговорКонтрагента_Key": order["ДоговорКонтрагента_Key"], "ВалютаДокумента_Key": order["ВалютаДокумента_Key"],
        "СуммаДокумента": float(amount), "Оплачено": True, "РасшифровкаПлатежа": [row]}
    if cash:
        entity = "Document_ПриходныйКассовыйОрдер"
        body.update({"Контрагент": order["Контрагент_Key"], "Контрагент_Type": "StandardODATA.Catalog_Контрагенты"})
    else:
        entity = "Document_ПлатежноеПоручениеВходящее"
        body["Контрагент_Key"] = order["Контрагент_Key"]
    await clerk.create(entity, body)
    await clerk.post_document(entity, ref)
    return ref


async def clerk_ship(clerk: ODataClient, order_id: str, fraction: Decimal = Decimal(1)) -> str:
    order = await clerk.get_entity(ORDER, order_id)
    assert order is not None
    rows = []
    for n, src in enumerate(order["Товары"], start=1):
        q = Decimal(str(src["Количество"])) * fraction
        rows.append({"LineNumber": str(n), "Номенклатура_Key": src["Номенклатура_Key"],
                     "ЕдиницаИзмерения_Key": src["ЕдиницаИзмерения_Key"], "Коэффициент": 1, "Количество": float(q),
                     "Цена": src["Цена"], "Сумма": float(Decimal(str(src["Сумма"])) * fraction),
                     "СтавкаНДС": src["СтавкаНДС"], "СуммаНДС": 0, "ЗаказПокупателя_Key": order_id,
                     "Склад_Key": order["СкладГруппа"]})
    ref = str(uuid.uuid4())
    body = {"Ref_Key": ref, "Организация_Key": order["Организация_Key"],
            "Контрагент_Key": order["Контрагент_Key"],
            "ДоговорКонтрагента_Key": order["ДоговорКонтрагента_Key"],
            "ВалютаДокумента_Key": order["ВалютаДокумента_Key"],
            "Склад_Key": order["СкладГруппа"], "Сделка": order_id, "Сделка_Type": ORDER_TYPE,
            "СуммаДокумента": float(sum(Decimal(str(r["Сумма"])) for r in rows)), "Товары": rows}
    await clerk.create("Document_РеализацияТоваровУслуг", body)
    await clerk.post_document("Document_РеализацияТоваровУслуг", ref)
    return ref


def objects(state: SandboxState, entity: str) -> dict[str, dict]:
    return state.objects[entity]
