"""Orders made in 1C as real bases send them, against the ut11 and ka1 sandboxes over real loopback
and a real store: their lines' VAT rates and УТ 11's cancelled lines.

УТ 11.5 keeps a line's rate as a reference to `Catalog_СтавкиНДС` (`СтавкаНДС_Key`). The orders
job used to store that key as the line's rate, and reading the invoice back ended in
`ValueError: '<guid>' is not a valid VatRate` (the invoice screen, the outbox). The key is now
turned into the rate's name; a rate the CRM cannot name (a key missing from the catalog, an enum
member it does not know) quarantines that order with the reason, and the other orders apply.

УТ 11 keeps a line the manager cancelled (`Товары.Отменено = true`) in the order; it is ordered no
more (1C reserves and ships nothing for it). The CRM took it as ordered: the invoice showed it and
the order could never be fully shipped.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from onec_sandbox.server import RunningSandbox, start_in_thread
from onec_sandbox.state import SandboxState
from tests.clock import TestClock
from tests.sync.sandbox_kit import new_client, save_invoice
from tui_crm.domain.vat import VatRate
from tui_crm.store import Store
from tui_crm.sync.odata import ODataClient
from tui_crm.sync.profile import load_profile
from tui_crm.sync.service import SyncService

UT11_ORDER = "Document_ЗаказКлиента"
KA1_ORDER = "Document_ЗаказПокупателя"
VAT = "Catalog_СтавкиНДС"


@pytest.fixture(params=["ut11", "ka1"])
def sandbox(request: pytest.FixtureRequest) -> Iterator[RunningSandbox]:
    running = start_in_thread(SandboxState.seeded(products=10, warehouses=1, seed=5, config=request.param))
    try:
        yield running
    finally:
        running.stop()


class Crm:
    """A store in a DuckDB file and a service of the profile on the sandbox, and the clerk."""

    def __init__(self, sandbox: RunningSandbox, path: Any, profile: str) -> None:
        self.store = Store.open(str(path / "crm.duckdb"), clock=TestClock())
        self.service = SyncService(self.store, ODataClient(sandbox.base_url, retries=1, backoff=0.0),
                                   profile=load_profile(profile))
        self.clerk = ODataClient(sandbox.base_url, retries=1, backoff=0.0)

    async def pushed_order(self, entity: str) -> dict[str, Any]:
        """An order of a new client pushed by the CRM, as 1C has it."""
        assert await self.service.pull_now() is not None, self.service.last_error
        client = new_client()
        self.store.save_client(client, queue=True)
        iid = save_invoice(self.store, client.id, lines=1, qty="1")
        while self.store.outbox_items():
            result = await self.service.push_now()
            assert result is not None and not result.failed, result
        doc = await self.clerk.get_entity(entity, iid)
        assert doc is not None
        return doc

    def orders_note(self) -> str:
        runs = [r for r in self.store.recent_runs() if r.job == "orders"]
        assert runs and runs[0].error is not None
        return runs[0].error

    async def aclose(self) -> None:
        await self.clerk.aclose()
        await self.service.aclose()
        self.store.close()


def _copy(doc: dict[str, Any], **lines: Any) -> dict[str, Any]:
    """An order the clerk makes in 1C from one the CRM pushed: a new key, line fields changed."""
    body = {k: copy.deepcopy(v) for k, v in doc.items()
            if not k.startswith("odata") and k not in ("Ref_Key", "Number", "DataVersion", "Posted")}
    body["Ref_Key"] = str(uuid.uuid4())
    for row in body["Товары"]:
        row.pop("Ref_Key", None)
        row.update(lines)
    return body


@pytest.mark.parametrize("sandbox", ["ut11"], indirect=True)
async def test_ut11_orders_made_in_1c_keep_the_rate_by_name_and_an_unknown_key_is_quarantined(
        sandbox: RunningSandbox, tmp_path: Any) -> None:
    crm = Crm(sandbox, tmp_path, "ut11")
    try:
        mine = await crm.pushed_order(UT11_ORDER)
        rates = {r["Ref_Key"] for r in await crm.clerk.get_all(VAT)}
        assert mine["Товары"][0]["СтавкаНДС_Key"] in rates   # a catalog reference, as in a real 11.5 base
        good = _copy(mine)
        bad = _copy(mine, СтавкаНДС_Key=str(uuid.uuid4()))   # an element the catalog does not have
        await crm.clerk.create(UT11_ORDER, good)
        await crm.clerk.create(UT11_ORDER, bad)

        assert await crm.service.pull_now() is not None
        made = crm.store.get_invoice(good["Ref_Key"])   # was: ValueError '<guid>' is not a valid VatRate
        assert made is not None and made.origin == "accounting"
        assert [line.vat_rate for line in made.invoice.lines] == [VatRate.НДС20]
        assert crm.store.get_invoice(bad["Ref_Key"]) is None
        note = crm.orders_note()
        assert f"{UT11_ORDER} (Ref_Key {bad['Ref_Key']})" in note
        assert "СтавкаНДС_Key of a line is no VAT rate the CRM knows" in note
    finally:
        await crm.aclose()


@pytest.mark.parametrize("sandbox", ["ka1"], indirect=True)
async def test_ka1_an_order_made_in_1c_with_a_rate_the_crm_does_not_know_is_quarantined(
        sandbox: RunningSandbox, tmp_path: Any) -> None:
    crm = Crm(sandbox, tmp_path, "ka1")
    try:
        mine = await crm.pushed_order(KA1_ORDER)
        good = _copy(mine, СтавкаНДС="НДС22")   # the general rate from 2026
        bad = _copy(mine)
        await crm.clerk.create(KA1_ORDER, good)
        await crm.clerk.create(KA1_ORDER, bad)
        # a member of a changed configuration's СтавкиНДС (the sandbox's own enum refuses it)
        for row in sandbox.state.objects[KA1_ORDER][bad["Ref_Key"]]["Товары"]:
            row["СтавкаНДС"] = "НДС12"
        assert await crm.service.pull_now() is not None
        made = crm.store.get_invoice(good["Ref_Key"])
        assert made is not None and [line.vat_rate for line in made.invoice.lines] == [VatRate.НДС22]
        assert crm.store.get_invoice(bad["Ref_Key"]) is None   # was: stored, then ValueError on reading it
        assert "СтавкаНДС of a line is no VAT rate the CRM knows: 'НДС12'" in crm.orders_note()
    finally:
        await crm.aclose()


@pytest.mark.parametrize("sandbox", ["ut11"], indirect=True)
async def test_ut11_keep_theirs_takes_the_orders_lines_with_their_rates_by_name(
        sandbox: RunningSandbox, tmp_path: Any) -> None:
    crm = Crm(sandbox, tmp_path, "ut11")
    try:
        mine = await crm.pushed_order(UT11_ORDER)
        iid = mine["Ref_Key"]
        await crm.clerk.update(UT11_ORDER, iid, {"Комментарий": "из 1С"})
        rec = crm.store.get_invoice(iid)
        assert rec is not None
        crm.store.save_invoice(iid, replace(rec.invoice, comment="из CRM"), date=rec.date, queue=True)
        await crm.service.push_now()
        conflict = crm.store.open_conflict("invoice", iid)
        assert conflict is not None
        assert await crm.service.keep_theirs(conflict.id)
        kept = crm.store.get_invoice(iid)   # was: ValueError '<guid>' is not a valid VatRate
        assert kept is not None and kept.invoice.comment == "из 1С"
        assert [line.vat_rate for line in kept.invoice.lines] == [VatRate.НДС20]
    finally:
        await crm.aclose()


@pytest.mark.parametrize("sandbox", ["ut11"], indirect=True)
async def test_ut11_a_cancelled_line_of_an_order_made_in_1c_is_not_ordered(
        sandbox: RunningSandbox, tmp_path: Any) -> None:
    crm = Crm(sandbox, tmp_path, "ut11")
    try:
        mine = await crm.pushed_order(UT11_ORDER)
        made = _copy(mine)
        [line] = made["Товары"]
        other = next(p["Ref_Key"] for p in await crm.clerk.get_all("Catalog_Номенклатура")
                     if not p.get("IsFolder") and p["Ref_Key"] != line["Номенклатура_Key"])
        made["Товары"] = [line, {**line, "LineNumber": "2", "Номенклатура_Key": other, "Отменено": True}]
        await crm.clerk.create(UT11_ORDER, made)
        assert await crm.service.pull_now() is not None
        got = crm.store.get_invoice(made["Ref_Key"])
        assert got is not None
        assert [x.product_id for x in got.invoice.lines] == [line["Номенклатура_Key"]]   # was: both lines
    finally:
        await crm.aclose()
