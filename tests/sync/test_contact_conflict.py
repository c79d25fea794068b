"""КА 1.1 contact records (InformationRegister_КонтактнаяИнформация) have no DataVersion: before
changing one the push re-reads it and compares it with the value the CRM last wrote; an
accountant's edit goes to the conflict flow instead of being overwritten. Over real loopback."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from onec_sandbox.server import RunningSandbox, start_in_thread
from onec_sandbox.state import SandboxState
from tests.sync.sandbox_kit import new_client
from tui_crm.domain.models import SyncState
from tui_crm.store import Store
from tui_crm.sync.odata import ODataClient, lit_guid, lit_str
from tui_crm.sync.service import SyncService

REG = "InformationRegister_КонтактнаяИнформация"
PARTY = "StandardODATA.Catalog_Контрагенты"
KIND = "StandardODATA.Catalog_ВидыКонтактнойИнформации"


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    running = start_in_thread(SandboxState.seeded(products=20, warehouses=1, seed=9))
    try:
        yield running
    finally:
        running.stop()


def phone_path(sandbox: RunningSandbox, owner: str) -> str:
    kind = next(k["Ref_Key"] for k in sandbox.state.objects["Catalog_ВидыКонтактнойИнформации"].values()
                if k.get("PredefinedDataName") == "ТелефонКонтрагента")
    return (f"{REG}(Объект={lit_guid(owner)},Объект_Type={lit_str(PARTY)},Тип={lit_str('Телефон')},"
            f"Вид={lit_guid(kind)},Вид_Type={lit_str(KIND)})")


def phone_in_1c(sandbox: RunningSandbox, owner: str) -> str:
    return next(c["Представление"] for c in sandbox.state.contacts.values()
                if c["Объект"] == owner and c["Тип"] == "Телефон")


@pytest.mark.parametrize("choice", ["theirs", "ours"])
async def test_accountants_edit_of_a_contact_record_is_a_conflict(sandbox: RunningSandbox, choice: str) -> None:
    now = [datetime(2026, 11, 30, 10, 0)]
    store = Store.open(None, clock=lambda: now[0])
    service = SyncService(store, ODataClient(sandbox.base_url, retries=1, backoff=0.0), clock=lambda: now[0])
    clerk = ODataClient(sandbox.base_url)
    try:
        await service.pull_now()
        client = new_client("ООО «Контакт»", inn="7736050003", phone="+7 912 000-00-01")
        store.save_client(client, queue=True)
        await service.push_now()
        assert phone_in_1c(sandbox, client.id) == "+7 912 000-00-01"
        # the accountant corrects the phone in 1C; the manager edits the e-mail in the CRM
        await clerk._request("PATCH", phone_path(sandbox, client.id), body={"Представление": "+7 495 111-22-33"})
        rec = store.get_client(client.id)
        assert rec is not None
        store.save_client(replace(rec.client, email="new@test.ru", phones=("+7 912 000-00-02",)), queue=True)
        now[0] += timedelta(minutes=5)
        await service.push_now()
        assert phone_in_1c(sandbox, client.id) == "+7 495 111-22-33"           # not overwritten
        conflict = store.open_conflict("client", client.id)
        assert conflict is not None
        assert [(d.field, d.ours, d.theirs) for d in conflict.diffs] == [
            ("phone", "+7 912 000-00-02", "+7 495 111-22-33")]
        assert store.get_client(client.id).sync_state is SyncState.CONFLICT  # type: ignore[union-attr]
        if choice == "theirs":
            assert await service.keep_theirs(conflict.id)
            rec = store.get_client(client.id)
            assert rec is not None and rec.client.phones == ("+7 495 111-22-33",)
            assert rec.sync_state is SyncState.IN_ACCOUNTING
            assert phone_in_1c(sandbox, client.id) == "+7 495 111-22-33"
        else:
            assert await service.apply_ours(conflict.id)
            now[0] += timedelta(minutes=5)
            await service.push_now()
            assert phone_in_1c(sandbox, client.id) == "+7 912 000-00-02"
            assert store.get_client(client.id).sync_state is SyncState.IN_ACCOUNTING  # type: ignore[union-attr]
        # and the next edit goes through without a conflict (the value seen is 1C's now)
        rec = store.get_client(client.id)
        assert rec is not None
        store.save_client(replace(rec.client, phones=("+7 912 000-00-03",)), queue=True)
        now[0] += timedelta(minutes=5)
        await service.push_now()
        assert phone_in_1c(sandbox, client.id) == "+7 912 000-00-03"
        assert store.open_conflict("client", client.id) is None
    finally:
        await service.aclose()
        await clerk.aclose()
        store.close()
