"""A create whose answer was lost is adopted on the retry only if 1C still holds what we sent:
an accountant's edit made between the lost answer and the retry goes to the conflict flow (both
versions side by side, the operator chooses), never silently taken as ours or overwritten.
The sandbox runs over real loopback and drops the answer after committing the write."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
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
DATE = datetime(2026, 11, 30, 10, 0)


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    running = start_in_thread(SandboxState.seeded(products=20, warehouses=1, seed=4))
    try:
        yield running
    finally:
        running.stop()


class Crm:
    def __init__(self, sandbox: RunningSandbox) -> None:
        self.now = [DATE]
        self.store = Store.open(None, clock=lambda: self.now[0])
        self.service = SyncService(self.store, ODataClient(sandbox.base_url, retries=1, backoff=0.0),
                                   clock=lambda: self.now[0])
        self.clerk = ODataClient(sandbox.base_url)

    async def push_later(self) -> None:
        self.now[0] += timedelta(minutes=30)    # past any backoff of the lost attempt
        await self.service.push_now()

    async def aclose(self) -> None:
        await self.service.aclose()
        await self.clerk.aclose()
        self.store.close()


async def test_lost_create_then_accountants_edit_is_a_conflict_not_ours(sandbox: RunningSandbox) -> None:
    crm = Crm(sandbox)
    try:
        await crm.service.pull_now()
        client = new_client("ООО «Потеря»", inn="7736050003")
        crm.store.save_client(client, queue=True)
        sandbox.faults.configure({"reset": True, "only": CP, "drop_next": 1})
        result = await crm.service.push_now()
        assert result is not None and result.offline           # 1C wrote it; the answer was lost
        assert sandbox.state.objects[CP][client.id]["Description"] == client.name
        await crm.clerk.update(CP, client.id, {"Description": "Потеря (бухгалтерия)"})
        await crm.push_later()
        # not adopted silently, not overwritten: a conflict with both versions
        assert sandbox.state.objects[CP][client.id]["Description"] == "Потеря (бухгалтерия)"
        conflict = crm.store.open_conflict("client", client.id)
        assert conflict is not None
        assert [(d.field, d.ours, d.theirs) for d in conflict.diffs] == [
            ("name", client.name, "Потеря (бухгалтерия)")]
        assert crm.store.get_client(client.id).sync_state is SyncState.CONFLICT  # type: ignore[union-attr]
        await crm.push_later()                                  # waits for the operator
        assert sandbox.state.objects[CP][client.id]["Description"] == "Потеря (бухгалтерия)"
        # the operator keeps accounting's version
        assert await crm.service.keep_theirs(conflict.id)
        rec = crm.store.get_client(client.id)
        assert rec is not None and rec.client.name == "Потеря (бухгалтерия)"
        assert rec.sync_state is SyncState.IN_ACCOUNTING
    finally:
        await crm.aclose()


async def test_lost_order_then_accountants_edit_then_apply_ours(sandbox: RunningSandbox) -> None:
    crm = Crm(sandbox)
    try:
        await crm.service.pull_now()
        client = new_client("ООО «Заказ»", inn="7736050003")
        crm.store.save_client(client, queue=True)
        await crm.service.push_now()
        iid, inv = new_invoice(crm.store, client.id)
        crm.store.save_invoice(iid, replace(inv, comment="менеджер"), date=DATE, queue=True)
        sandbox.faults.configure({"reset": True, "only": ORDER, "drop_next": 1})
        result = await crm.service.push_now()
        assert result is not None and result.offline
        assert sandbox.state.objects[ORDER][iid]["Комментарий"] == "менеджер"
        await crm.clerk.update(ORDER, iid, {"Комментарий": "бухгалтер: срочно"})
        await crm.push_later()
        assert sandbox.state.objects[ORDER][iid]["Комментарий"] == "бухгалтер: срочно"
        conflict = crm.store.open_conflict("invoice", iid)
        assert conflict is not None and ("comment", "менеджер", "бухгалтер: срочно") in [
            (d.field, d.ours, d.theirs) for d in conflict.diffs]
        # the operator applies ours over the version shown: written, and the push completes
        assert await crm.service.apply_ours(conflict.id)
        await crm.push_later()
        assert sandbox.state.objects[ORDER][iid]["Комментарий"] == "менеджер"
        rec = crm.store.get_invoice(iid)
        assert rec is not None and rec.sync_state is SyncState.IN_ACCOUNTING and rec.number
        assert crm.store.open_conflict("invoice", iid) is None
    finally:
        await crm.aclose()


async def test_lost_create_without_an_edit_is_adopted_as_ours(sandbox: RunningSandbox) -> None:
    crm = Crm(sandbox)
    try:
        await crm.service.pull_now()
        client = new_client("ООО «Тихо»", inn="7736050003")
        crm.store.save_client(client, queue=True)
        sandbox.faults.configure({"reset": True, "only": CP, "drop_next": 1})
        await crm.service.push_now()
        await crm.push_later()
        rec = crm.store.get_client(client.id)
        assert rec is not None and rec.sync_state is SyncState.IN_ACCOUNTING
        assert crm.store.open_conflict("client", client.id) is None
        assert [o for o in sandbox.state.objects[CP].values() if o["Description"] == client.name] != []
    finally:
        await crm.aclose()


class Restarted(Crm):
    """The CRM on a store file, so a test can end this process and start another on the same file."""

    def __init__(self, sandbox: RunningSandbox, path: Path) -> None:
        self.sandbox, self.path = sandbox, path
        self.now = [DATE]
        self.clerk = ODataClient(sandbox.base_url)
        self._open()

    def _open(self) -> None:
        self.store = Store.open(self.path, clock=lambda: self.now[0])
        self.service = SyncService(self.store, ODataClient(self.sandbox.base_url, retries=1, backoff=0.0),
                                   clock=lambda: self.now[0])

    async def restart(self) -> None:
        """A new CRM process: nothing of the old one's memory survives, only the store file."""
        await self.service.aclose()
        self.store.close()
        self._open()


async def test_lost_order_answer_then_a_restart_and_our_own_edit_is_not_a_conflict(
        sandbox: RunningSandbox, tmp_path: Path) -> None:
    """The soak's false conflicts: the order's create was carried out, its answer lost, the CRM
    process ended; the operator then edited the invoice. 1C holds what the CRM sent before, so
    the next process adopts it as ours and writes the edit — before, it raised "changed in
    accounting" with the operator's own earlier text as accounting's side."""
    crm = Restarted(sandbox, tmp_path / "crm.duckdb")
    try:
        await crm.service.pull_now()
        client = new_client("ООО «Рестарт»", inn="7736050003")
        crm.store.save_client(client, queue=True)
        await crm.service.push_now()
        iid, inv = new_invoice(crm.store, client.id)
        crm.store.save_invoice(iid, replace(inv, comment="первый текст"), date=DATE, queue=True)
        sandbox.faults.configure({"reset": True, "only": ORDER, "drop_next": 1})
        result = await crm.service.push_now()
        assert result is not None and result.offline
        assert sandbox.state.objects[ORDER][iid]["Комментарий"] == "первый текст"
        await crm.restart()
        crm.store.save_invoice(iid, replace(inv, comment="второй текст"), date=DATE, queue=True)
        await crm.push_later()
        assert crm.store.open_conflict("invoice", iid) is None
        assert sandbox.state.objects[ORDER][iid]["Комментарий"] == "второй текст"
        rec = crm.store.get_invoice(iid)
        assert rec is not None and rec.sync_state is SyncState.IN_ACCOUNTING and rec.number
    finally:
        await crm.aclose()


async def test_after_a_restart_an_accountants_edit_is_still_a_conflict(
        sandbox: RunningSandbox, tmp_path: Path) -> None:
    """What the store keeps is the CRM's own bodies only: an accountant's text is still theirs."""
    crm = Restarted(sandbox, tmp_path / "crm.duckdb")
    try:
        await crm.service.pull_now()
        client = new_client("ООО «Потеря 2»", inn="7736050003")
        crm.store.save_client(client, queue=True)
        sandbox.faults.configure({"reset": True, "only": CP, "drop_next": 1})
        result = await crm.service.push_now()
        assert result is not None and result.offline
        await crm.restart()
        await crm.clerk.update(CP, client.id, {"Description": "Потеря 2 (бухгалтерия)"})
        await crm.push_later()
        assert sandbox.state.objects[CP][client.id]["Description"] == "Потеря 2 (бухгалтерия)"
        conflict = crm.store.open_conflict("client", client.id)
        assert conflict is not None and ("name", client.name, "Потеря 2 (бухгалтерия)") in [
            (d.field, d.ours, d.theirs) for d in conflict.diffs]
    finally:
        await crm.aclose()


def test_the_same_body_sent_again_does_not_push_out_an_earlier_one(tmp_path: Path) -> None:
    """A write retried after 5xx answers is noted once per attempt: the body whose answer was
    lost before it (what 1C may still hold) must stay among the bodies kept."""
    store = Store.open(tmp_path / "crm.duckdb", clock=lambda: DATE)
    try:
        lost, edit = {"Комментарий": "первый текст"}, {"Комментарий": "второй текст"}
        store.remember_sent(ORDER, "k", lost)
        for _ in range(6):
            store.remember_sent(ORDER, "k", edit)
        assert store.sent_bodies(ORDER, "k") == [lost, edit]
        for n in range(6):
            store.remember_sent(ORDER, "k", {"Комментарий": f"правка {n}"})
        assert [b["Комментарий"] for b in store.sent_bodies(ORDER, "k")] == [
            "правка 2", "правка 3", "правка 4", "правка 5"]
        assert store.sent_bodies(ORDER, "other") == []
    finally:
        store.close()
