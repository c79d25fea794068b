"""БП 3 shipment request with a service (issue 12 leftover): the unposted РеализацияТоваровУслуг
the CRM writes keeps goods in `Товары` and a service (Catalog_Номенклатура.Услуга) in `Услуги`,
as a real base demands; the warehouse posts it with the clerk's `post-shipment` and both lines
count as shipped. A service put in `Товары` is refused with 1C-like words. Real sandbox over
loopback, real store."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest

from onec_sandbox import cli as sandbox_cli
from onec_sandbox.server import RunningSandbox, start_in_thread
from onec_sandbox.state import SandboxState
from tests.clock import TestClock
from tests.sync.sandbox_kit import new_client, new_invoice
from tui_crm.domain.shipment import RequestState
from tui_crm.store import Store
from tui_crm.sync.odata import ODataClient
from tui_crm.sync.profile import load_profile
from tui_crm.sync.service import SyncService

P = load_profile("bp3")
SALE = "Document_РеализацияТоваровУслуг"
ITEMS = "Catalog_Номенклатура"


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    running = start_in_thread(SandboxState.seeded(products=40, warehouses=2, seed=3, config="bp3"))
    try:
        yield running
    finally:
        running.stop()


def clerk(sandbox: RunningSandbox, *argv: str) -> int:
    parser = argparse.ArgumentParser()
    sandbox_cli.add_arguments(parser)
    return sandbox_cli.run(parser.parse_args([argv[0], "--url", sandbox.base_url, *argv[1:]]))


async def test_a_service_line_goes_in_uslugi_and_both_lines_ship(sandbox: RunningSandbox) -> None:
    store = Store.open(None, clock=TestClock())
    service = SyncService(store, ODataClient(sandbox.base_url, retries=1, backoff=0.0), profile=P)
    st = sandbox.state
    try:
        await service.pull_now(full=True)
        client = new_client()
        store.save_client(client, queue=True)
        iid, inv = new_invoice(store, client.id, lines=2, qty="3")
        goods, work = inv.lines
        # the accountant marks the second product a service (Услуга); the next pull learns it
        item = st.objects[ITEMS][work.product_id]
        item["Услуга"], item["DataVersion"] = True, st.new_data_version()
        await service.pull_now(full=True)
        assert store.service_ids([goods.product_id, work.product_id]) == {work.product_id}
        store.save_invoice(iid, inv, date=TestClock()(), queue=True)
        result = await service.push_now()
        assert result is not None and not result.failed, result
        record = store.get_invoice(iid)
        assert record is not None and record.number

        rid, refused = store.request_shipment(iid, {1: Decimal(1), 2: Decimal(2)})
        assert refused is None and rid is not None
        result = await service.push_now()
        assert result is not None and result.pushed == [("shipment", rid)], result
        doc = st.objects[SALE][rid]
        assert doc["Posted"] is False
        assert [(r["Номенклатура_Key"], Decimal(str(r["Количество"]))) for r in doc["Товары"]] == [
            (goods.product_id, Decimal(1))]
        [row] = doc["Услуги"]
        assert (row["Номенклатура_Key"], Decimal(str(row["Количество"]))) == (work.product_id, Decimal(2))
        assert row["LineNumber"] == "1" and row["Содержание"] == item["Description"]
        assert Decimal(str(row["Цена"])) == work.price and "Склад_Key" not in row

        # the warehouse posts it with the clerk's own command; both lines count as shipped
        assert await asyncio.to_thread(clerk, sandbox, "post-shipment", record.number) == 0
        assert st.objects[SALE][rid]["Posted"] is True
        await service.jobs.shipment_requests([iid])
        await service.jobs.shipments([iid])
        [req] = store.shipment_requests(iid)
        assert req.state is RequestState.SHIPPED
        [sale] = store.invoice_shipments(iid)
        assert sorted((sl.product_id, sl.quantity) for sl in sale.lines) == sorted(
            [(goods.product_id, Decimal(1)), (work.product_id, Decimal(2))])
    finally:
        await service.aclose()
        store.close()


def test_a_service_in_tovary_is_refused_as_1c_does(sandbox: RunningSandbox) -> None:
    st = sandbox.state
    service = next(p for p in st.objects[ITEMS].values() if not p["IsFolder"])
    service["Услуга"] = True
    contract = next(iter(st.objects["Catalog_ДоговорыКонтрагентов"].values()))
    body = {"Date": "2026-11-30T10:00:00", "ВидОперации": "Товары",
            "Организация_Key": contract["Организация_Key"], "Контрагент_Key": contract["Owner_Key"],
            "ДоговорКонтрагента_Key": contract["Ref_Key"],
            "Склад_Key": next(iter(st.objects["Catalog_Склады"])),
            "Товары": [{"LineNumber": "1", "Номенклатура_Key": service["Ref_Key"], "Количество": 1,
                        "Цена": 100, "Сумма": 100}]}
    with httpx.Client(base_url=sandbox.base_url) as http:
        made = http.post(f"{SALE}?$format=json", json=body)
        assert made.status_code == 201, made.text
        ref = made.json()["Ref_Key"]
        r = http.post(f"{SALE}(guid'{ref}')/Post?$format=json")
        assert r.status_code == 500
        message = r.json()["odata.error"]["message"]["value"]
        assert "услуга" in message and "Услуги" in message
        # in `Услуги` the same line posts
        rows = body["Товары"]
        assert http.patch(f"{SALE}(guid'{ref}')?$format=json", json={"Товары": [], "Услуги": rows}).status_code == 200
        assert http.post(f"{SALE}(guid'{ref}')/Post?$format=json").status_code == 200
