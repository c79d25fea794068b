"""Outbox push against the in-process sandbox: what reaches accounting, idempotency after lost
answers, updates with If-Match, posted orders refused, backoff, retry and discard."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import Decimal

from tests.sync.sandbox_kit import (
    ORDER,
    clerk_post,
    make_rig,
    new_client,
    new_invoice,
    save_invoice,
)
from tui_crm.domain.models import SyncState
from tui_crm.sync.push import derived_key

CP = "Catalog_Контрагенты"
BILL = "Document_СчетНаОплатуПокупателю"


async def _ready(**kw):
    rig = make_rig(**kw)
    await rig.service.pull_now()
    return rig


async def test_client_and_invoice_reach_accounting_with_1c_shapes() -> None:
    rig = await _ready()
    try:
        client = new_client()
        rig.store.save_client(client, queue=True)
        iid = save_invoice(rig.store, client.id, lines=3)
        result = await rig.service.push_now()
        assert result is not None and [k for k, _ in result.pushed] == ["client", "invoice"]
        cp = rig.state.objects[CP][client.id]
        assert (cp["ИНН"], cp["ЮрФизЛицо"], cp["Покупатель"]) == ("7707083893", "ЮрЛицо", True)
        contacts = [c for c in rig.state.contacts.values() if c["Объект"] == client.id]
        assert sorted(c["Тип"] for c in contacts) == ["Адрес", "АдресЭлектроннойПочты", "Телефон"]
        assert all(c["Объект_Type"] == "StandardODATA.Catalog_Контрагенты" for c in contacts)
        order = rig.state.objects[ORDER][iid]
        assert order["Контрагент_Key"] == client.id and order["СкладГруппа_Type"] == "StandardODATA.Catalog_Склады"
        assert [r["LineNumber"] for r in order["Товары"]] == ["1", "2", "3"]
        inv = rig.store.get_invoice(iid)
        assert inv is not None and inv.sync_state is SyncState.IN_ACCOUNTING and inv.number == order["Number"]
        assert Decimal(str(order["СуммаДокумента"])) == inv.total
        contract = rig.state.objects["Catalog_ДоговорыКонтрагентов"][order["ДоговорКонтрагента_Key"]]
        assert contract["Owner_Key"] == client.id and contract["ВидДоговора"] == "СПокупателем"
        bill = rig.state.objects[BILL][derived_key("bill", iid)]
        assert bill["ЗаказПокупателя_Key"] == iid and bill["Контрагент"] == client.id
        assert bill["Контрагент_Type"] == "StandardODATA.Catalog_Контрагенты"
        rec = rig.store.get_client(client.id)
        assert rec is not None and rec.sync_state is SyncState.IN_ACCOUNTING and rec.accounting_code
        # 1C can post what we sent
        await clerk_post(rig.clerk, iid)
    finally:
        await rig.aclose()


async def test_invoice_pushes_its_draft_client_first() -> None:
    rig = await _ready()
    try:
        client = new_client()
        rig.store.save_client(client, queue=False)   # a draft, never queued
        iid = save_invoice(rig.store, client.id)
        await rig.service.push_now()
        assert client.id in rig.state.objects[CP] and iid in rig.state.objects[ORDER]
    finally:
        await rig.aclose()


async def test_lost_answers_never_make_duplicates() -> None:
    rig = await _ready()
    try:
        client = new_client()
        rig.store.save_client(client, queue=True)
        iid = save_invoice(rig.store, client.id)
        rig.faults.configure({"drop_next": 1, "only": "Document_"})   # the order commits, the answer is lost
        await rig.service.push_now()
        assert iid in rig.state.objects[ORDER]
        item = rig.store.outbox_open_for("invoice", iid)
        # no step is recorded before the order's request (a resume looks the order up by its key);
        # the body sent is, so the retry takes 1C's order for ours
        assert item is not None and item.state == "pending" and item.step == ""
        assert rig.store.sent_bodies(ORDER, iid)
        with rig.store.transaction() as cur:
            cur.execute("UPDATE outbox SET next_attempt_at = ?", [datetime(2000, 1, 1)])
        await rig.service.push_now()
        assert sum(1 for k in rig.state.objects[ORDER] if k == iid) == 1
        assert len(rig.state.objects[ORDER]) == 1
        inv = rig.store.get_invoice(iid)
        assert inv is not None and inv.sync_state is SyncState.IN_ACCOUNTING and inv.number
    finally:
        await rig.aclose()


async def test_existing_key_is_adopted() -> None:
    rig = await _ready()
    try:
        client = new_client()
        await rig.clerk.create(CP, {"Ref_Key": client.id, "Description": "made in 1C first"})
        rig.store.save_client(client, queue=True)
        await rig.service.push_now()
        # 1C holds something else under our key: not taken as ours, not overwritten — the operator
        # sees both versions (issue 10: adopt-on-create compares)
        assert rig.state.objects[CP][client.id]["Description"] == "made in 1C first"
        conflict = rig.store.open_conflict("client", client.id)
        assert conflict is not None and ("name", client.name, "made in 1C first") in [
            (d.field, d.ours, d.theirs) for d in conflict.diffs]
        # applying ours adopts it and brings it up to date
        assert await rig.service.apply_ours(conflict.id)
        await rig.service.push_now()
        assert rig.state.objects[CP][client.id]["Description"] == client.name
        rec = rig.store.get_client(client.id)
        assert rec is not None and rec.sync_state is SyncState.IN_ACCOUNTING
    finally:
        await rig.aclose()


async def test_unposted_order_is_updated_with_if_match_and_posted_one_is_refused() -> None:
    rig = await _ready()
    try:
        client = new_client()
        rig.store.save_client(client, queue=True)
        iid, inv = new_invoice(rig.store, client.id)
        rig.store.save_invoice(iid, inv, date=datetime(2026, 11, 30, 10, 0))
        await rig.service.push_now()
        dv_before = rig.state.objects[ORDER][iid]["DataVersion"]
        rig.store.save_invoice(iid, inv.__class__(**{**inv.__dict__, "comment": "второй вариант"}) if False else
                               _with_comment(inv, "второй вариант"), date=datetime(2026, 11, 30, 10, 0))
        item = rig.store.outbox_open_for("invoice", iid)
        assert item is not None and item.action == "update"
        await rig.service.push_now()
        order = rig.state.objects[ORDER][iid]
        assert order["Комментарий"] == "второй вариант" and order["DataVersion"] != dv_before
        assert rig.store.get_invoice(iid).data_version == order["DataVersion"]  # type: ignore[union-attr]
        # accounting changes it behind our back → a conflict, nothing written, no blind retry
        await rig.clerk.update(ORDER, iid, {"Комментарий": "бухгалтер"})
        rig.store.save_invoice(iid, _with_comment(inv, "третий"), date=datetime(2026, 11, 30, 10, 0))
        await rig.service.push_now()
        waiting = rig.store.outbox_open_for("invoice", iid)
        assert waiting is not None and waiting.state == "conflict"
        assert "Changed in accounting" in (waiting.last_error or "")
        assert rig.state.objects[ORDER][iid]["Комментарий"] == "бухгалтер"
        assert not await rig.service.retry(waiting.id)
        conflict = rig.store.open_conflict("invoice", iid)
        assert conflict is not None and await rig.service.apply_ours(conflict.id)
        await rig.service.push_now()
        assert rig.state.objects[ORDER][iid]["Комментарий"] == "третий"
        # once posted in 1C, edits are refused with a reason and the CRM learns it is posted
        await clerk_post(rig.clerk, iid)
        rig.store.save_invoice(iid, _with_comment(inv, "после проведения"), date=datetime(2026, 11, 30, 10, 0))
        await rig.service.push_now()
        failed = rig.store.outbox_failed_items()
        assert "posted" in (failed[0].last_error or "")
        rec = rig.store.get_invoice(iid)
        assert rec is not None and rec.posted and rec.sync_state is SyncState.FAILED
        assert rig.state.objects[ORDER][iid]["Комментарий"] == "третий"
        assert await rig.service.discard(failed[0].id)
        assert rig.store.get_invoice(iid).sync_state is SyncState.IN_ACCOUNTING  # type: ignore[union-attr]
    finally:
        await rig.aclose()


def _with_comment(inv, comment: str):
    from dataclasses import replace

    return replace(inv, comment=comment)


async def test_offline_backs_off_with_jitter_and_keeps_the_message() -> None:
    now = [datetime(2026, 11, 30, 12, 0)]
    rig = make_rig(clock=lambda: now[0])
    try:
        await rig.service.pull_now()
        client = new_client()
        rig.store.save_client(client, queue=True, now=now[0])
        rig.faults.configure({"html_rate": 1.0})   # a proxy page instead of 1C
        await rig.service.push_now()
        item = rig.store.outbox_open_for("client", client.id)
        assert item is not None and item.state == "pending" and item.last_error
        first_wait = item.next_attempt_at - now[0]
        assert timedelta(seconds=0.9) <= first_wait <= timedelta(seconds=3.1)
        assert rig.service.online is False
        before = rig.client.stats.requests
        await rig.service.push_now()           # not due yet: no request at all
        assert rig.client.stats.requests == before
        now[0] = item.next_attempt_at + timedelta(seconds=1)
        await rig.service.push_now()
        item2 = rig.store.outbox_open_for("client", client.id)
        assert item2 is not None and item2.attempts == 2
        assert item2.next_attempt_at - now[0] >= timedelta(seconds=1.9)
        rig.faults.configure({"reset": True})
        now[0] = item2.next_attempt_at + timedelta(seconds=1)
        await rig.service.push_now()
        assert rig.store.get_client(client.id).sync_state is SyncState.IN_ACCOUNTING  # type: ignore[union-attr]
        assert rig.service.online is True
    finally:
        await rig.aclose()


async def test_server_errors_are_retried_then_fail_with_1c_message() -> None:
    now = [datetime(2026, 11, 30, 12, 0)]
    rig = make_rig(clock=lambda: now[0])
    try:
        await rig.service.pull_now()
        client = new_client()
        rig.store.save_client(client, queue=True, now=now[0])
        rig.faults.configure({"error_rate": 1.0})
        for _ in range(10):
            await rig.service.push_now()
            item = rig.store.outbox_items(("pending", "failed"))[0]
            now[0] = item.next_attempt_at + timedelta(seconds=1)
        failed = rig.store.outbox_failed_items()
        assert len(failed) == 1 and failed[0].attempts == 6
        assert "внутренняя ошибка" in (failed[0].last_error or "")
        rec = rig.store.get_client(client.id)
        assert rec is not None and rec.sync_state is SyncState.FAILED and rec.sync_error == failed[0].last_error
    finally:
        await rig.aclose()


async def test_refusal_keeps_1c_message() -> None:
    rig = await _ready()
    try:
        client = new_client()
        rig.store.save_client(client, queue=True)
        iid = save_invoice(rig.store, client.id)
        with rig.store.transaction() as cur:   # a product accounting does not know
            cur.execute("UPDATE invoice_lines SET product_id = ? WHERE invoice_id = ? AND line_no = 1",
                        [str(uuid.uuid4()), iid])
        await rig.service.push_now()
        client_rec = rig.store.get_client(client.id)
        assert client_rec is not None and client_rec.sync_state is SyncState.IN_ACCOUNTING
        # the sandbox accepts unknown refs on write (like 1C); the order lands and only posting fails
        assert iid in rig.state.objects[ORDER]
    finally:
        await rig.aclose()
