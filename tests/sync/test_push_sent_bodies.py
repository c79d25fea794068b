"""What the push keeps in `sent_bodies`, and what it reads once per push.

`sent_bodies` is read back only by the adopt / edit checks of the counterparty and the order
(`Pusher._check_adopted`, `_check_differences`): those bodies are in the store before their
request goes out (shown with an answer the sandbox drops after carrying out the write — nothing
of the push runs after that but its "offline" outcome). The contract's and the invoice
document's bodies are not kept (nothing reads them). The per-push lookups (units, factors,
organization, currency) are read again by the next push: a change a pull brings in between is
in the next order. Real sandbox over loopback, real DuckDB file."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from onec_sandbox.server import RunningSandbox, start_in_thread
from onec_sandbox.state import SandboxState
from tests.sync.sandbox_kit import ORDER, new_client, new_invoice
from tui_crm.domain.models import SyncState
from tui_crm.store import Store
from tui_crm.sync.odata import ODataClient
from tui_crm.sync.service import SyncService

CP = "Catalog_Контрагенты"
CONTRACT = "Catalog_ДоговорыКонтрагентов"
BILL = "Document_СчетНаОплатуПокупателю"
UNIT = "Catalog_ЕдиницыИзмерения"
DATE = datetime(2026, 11, 30, 10, 0)


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    running = start_in_thread(SandboxState.seeded(products=20, warehouses=1, seed=4))
    try:
        yield running
    finally:
        running.stop()


class Crm:
    def __init__(self, sandbox: RunningSandbox, path: Path) -> None:
        self.now = [DATE]
        self.store = Store.open(path, clock=lambda: self.now[0])
        self.service = SyncService(self.store, ODataClient(sandbox.base_url, retries=1, backoff=0.0),
                                   clock=lambda: self.now[0])

    async def push_later(self) -> None:
        self.now[0] += timedelta(minutes=30)    # past any backoff of the lost attempt
        await self.service.push_now()

    async def aclose(self) -> None:
        await self.service.aclose()
        self.store.close()


async def test_checked_bodies_are_kept_before_their_request_the_others_not_at_all(
        sandbox: RunningSandbox, tmp_path: Path) -> None:
    crm = Crm(sandbox, tmp_path / "crm.duckdb")
    try:
        await crm.service.pull_now()
        client = new_client("ООО «Тело»", inn="7736050003")
        crm.store.save_client(client, queue=True)
        sandbox.faults.configure({"reset": True, "only": CP, "drop_next": 1})
        result = await crm.service.push_now()
        assert result is not None and result.offline     # 1C wrote it; the answer was lost
        assert sandbox.state.objects[CP][client.id]["Description"] == client.name
        assert [b["Description"] for b in crm.store.sent_bodies(CP, client.id)] == [client.name]
        await crm.push_later()
        assert crm.store.get_client(client.id).sync_state is SyncState.IN_ACCOUNTING  # type: ignore[union-attr]

        iid, inv = new_invoice(crm.store, client.id)
        crm.store.save_invoice(iid, inv, date=DATE, queue=True)
        sandbox.faults.configure({"reset": True, "only": ORDER, "drop_next": 1})
        result = await crm.service.push_now()
        assert result is not None and result.offline
        assert sandbox.state.objects[ORDER][iid]["Комментарий"] == inv.comment
        assert [b["Комментарий"] for b in crm.store.sent_bodies(ORDER, iid)] == [inv.comment]
        sandbox.faults.configure({"reset": True})
        await crm.push_later()
        rec = crm.store.get_invoice(iid)
        assert rec is not None and rec.sync_state is SyncState.IN_ACCOUNTING and rec.number
        contract_id, _, bill_id = crm.store.invoice_refs(iid)
        assert contract_id in sandbox.state.objects[CONTRACT] and bill_id in sandbox.state.objects[BILL]
        assert crm.store.sent_bodies(CONTRACT, contract_id or "") == []
        assert crm.store.sent_bodies(BILL, bill_id or "") == []
    finally:
        await crm.aclose()


async def test_a_unit_factor_a_pull_changed_between_two_pushes_is_in_the_next_order(
        sandbox: RunningSandbox, tmp_path: Path) -> None:
    crm = Crm(sandbox, tmp_path / "crm.duckdb")
    try:
        await crm.service.pull_now()
        client = new_client("ООО «Единица»", inn="7736050003")
        crm.store.save_client(client, queue=True)
        first, inv = new_invoice(crm.store, client.id, lines=1)
        crm.store.save_invoice(first, inv, date=DATE, queue=True)
        await crm.service.push_now()
        line = sandbox.state.objects[ORDER][first]["Товары"][0]
        unit = line["ЕдиницаИзмерения_Key"]
        assert Decimal(str(line["Коэффициент"])) == Decimal(str(sandbox.state.objects[UNIT][unit]["Коэффициент"]))

        sandbox.state.objects[UNIT][unit]["Коэффициент"] = 12   # an accountant's change, pulled next
        await crm.service.pull_now(full=True)
        second, inv2 = new_invoice(crm.store, client.id, lines=1)
        crm.store.save_invoice(second, inv2, date=DATE, queue=True)
        await crm.service.push_now()
        assert sandbox.state.objects[ORDER][second]["Товары"][0]["Коэффициент"] == 12
    finally:
        await crm.aclose()
