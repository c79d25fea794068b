"""Concurrent edits: an accountant's change made between the CRM's last look and its PATCH is never
overwritten, whether the base honours If-Match (the vendor's 412) or ignores it (as live bases were
found to do). The push compares DataVersion itself, records a conflict, and the operator chooses."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal

import httpx
import pytest

from tests.sync.sandbox_kit import ORDER, Rig, make_rig, new_client, new_invoice
from tui_crm.domain.models import SyncState

CP = "Catalog_Контрагенты"
DATE = datetime(2026, 11, 30, 10, 0)
MODES = [pytest.param(False, id="if-match-honoured"), pytest.param(True, id="if-match-ignored")]


async def _pushed_client(rig: Rig):
    await rig.service.pull_now()
    client = new_client("ООО «Север»", inn="7736050003")
    rig.store.save_client(client, queue=True)
    await rig.service.push_now()
    assert rig.store.get_client(client.id).sync_state is SyncState.IN_ACCOUNTING  # type: ignore[union-attr]
    return client


async def _pushed_invoice(rig: Rig):
    client = await _pushed_client(rig)
    iid, inv = new_invoice(rig.store, client.id)
    rig.store.save_invoice(iid, inv, date=DATE)
    await rig.service.push_now()
    assert rig.store.get_invoice(iid).number  # type: ignore[union-attr]
    return iid, inv


@pytest.mark.parametrize("ignore_if_match", MODES)
async def test_accountants_edit_of_a_counterparty_is_kept_and_shown(ignore_if_match: bool) -> None:
    rig = make_rig(ignore_if_match=ignore_if_match)
    try:
        client = await _pushed_client(rig)
        await rig.clerk.update(CP, client.id, {"Description": "Север (бухгалтерия)"})
        rig.store.save_client(replace(client, name="ООО «Север-2»"), queue=True)
        result = await rig.service.push_now()
        assert result is not None and result.conflicts == [("client", client.id)]
        assert rig.state.objects[CP][client.id]["Description"] == "Север (бухгалтерия)"   # not overwritten
        item = rig.store.outbox_open_for("client", client.id)
        assert item is not None and item.state == "conflict"
        rec = rig.store.get_client(client.id)
        assert rec is not None and rec.sync_state is SyncState.CONFLICT
        conflict = rig.store.open_conflict("client", client.id)
        assert conflict is not None
        assert [(d.field, d.ours, d.theirs) for d in conflict.diffs] == [
            ("name", "ООО «Север-2»", "Север (бухгалтерия)")]
        # the next push does not retry it blindly
        await rig.service.push_now()
        assert rig.state.objects[CP][client.id]["Description"] == "Север (бухгалтерия)"
        # keep 1C's version: the CRM copy takes it, our change is dropped, accounting untouched
        assert await rig.service.keep_theirs(conflict.id)
        rec = rig.store.get_client(client.id)
        assert rec is not None and rec.client.name == "Север (бухгалтерия)"
        assert rec.sync_state is SyncState.IN_ACCOUNTING
        assert rig.store.outbox_open_for("client", client.id) is None
        assert rig.state.objects[CP][client.id]["Description"] == "Север (бухгалтерия)"
        assert not await rig.service.keep_theirs(conflict.id)   # already resolved
        # and the next edit goes through (the copy is now based on 1C's version)
        rig.store.save_client(replace(rec.client, kpp="773601002"), queue=True)
        await rig.service.push_now()
        assert rig.state.objects[CP][client.id]["КПП"] == "773601002"
        assert rig.state.objects[CP][client.id]["Description"] == "Север (бухгалтерия)"
    finally:
        await rig.aclose()


@pytest.mark.parametrize("ignore_if_match", MODES)
async def test_apply_ours_rereads_the_version_and_writes(ignore_if_match: bool) -> None:
    rig = make_rig(ignore_if_match=ignore_if_match)
    try:
        iid, inv = await _pushed_invoice(rig)
        await rig.clerk.update(ORDER, iid, {"Комментарий": "бухгалтер: срочно"})
        rig.store.save_invoice(iid, replace(inv, comment="менеджер: скидка"), date=DATE)
        await rig.service.push_now()
        assert rig.state.objects[ORDER][iid]["Комментарий"] == "бухгалтер: срочно"
        conflict = rig.store.open_conflict("invoice", iid)
        assert conflict is not None and ("comment", "менеджер: скидка", "бухгалтер: срочно") in [
            (d.field, d.ours, d.theirs) for d in conflict.diffs]
        assert rig.store.get_invoice(iid).sync_state is SyncState.CONFLICT  # type: ignore[union-attr]
        # the accountant changes it once more before our choice reaches accounting: a new conflict
        await rig.clerk.update(ORDER, iid, {"Комментарий": "бухгалтер: ещё раз"})
        assert await rig.service.apply_ours(conflict.id)
        await rig.service.push_now()
        assert rig.state.objects[ORDER][iid]["Комментарий"] == "бухгалтер: ещё раз"
        again = rig.store.open_conflict("invoice", iid)
        assert again is not None and again.id != conflict.id
        # apply ours over the version now shown: written
        assert await rig.service.apply_ours(again.id)
        await rig.service.push_now()
        assert rig.state.objects[ORDER][iid]["Комментарий"] == "менеджер: скидка"
        rec = rig.store.get_invoice(iid)
        assert rec is not None and rec.sync_state is SyncState.IN_ACCOUNTING
        assert rig.store.open_conflict("invoice", iid) is None
    finally:
        await rig.aclose()


@pytest.mark.parametrize("ignore_if_match", MODES)
async def test_keep_theirs_takes_the_orders_lines_and_edit_then_save_merges(ignore_if_match: bool) -> None:
    rig = make_rig(ignore_if_match=ignore_if_match)
    try:
        iid, inv = await _pushed_invoice(rig)
        rows = rig.state.objects[ORDER][iid]["Товары"]
        plain_rows = [{k: float(v) if isinstance(v, Decimal) else v for k, v in r.items()} for r in rows]
        changed = [{**r, "Количество": 7} if r["LineNumber"] == "1" else r for r in plain_rows]
        await rig.clerk.update(ORDER, iid, {"Товары": changed})
        rig.store.save_invoice(iid, replace(inv, comment="другой"), date=DATE)
        await rig.service.push_now()
        conflict = rig.store.open_conflict("invoice", iid)
        assert conflict is not None
        assert ("quantity", 1) in [(d.field, d.line) for d in conflict.diffs]
        assert rig.state.objects[ORDER][iid]["Товары"][0]["Количество"] == 7
        # edit: the operator takes the accountant's quantity into the invoice and saves; the push
        # compares again and shows what still differs (amounts the CRM recomputed, the comment)
        lines = tuple(replace(line, quantity=line.quantity if n else Decimal(7))
                      for n, line in enumerate(inv.lines))
        rig.store.save_invoice(iid, replace(inv, lines=lines, comment="другой"), date=DATE)
        await rig.service.push_now()
        edited = rig.store.open_conflict("invoice", iid)
        assert edited is not None and edited.id != conflict.id
        assert ("quantity", 1) not in [(d.field, d.line) for d in edited.diffs]
        assert ("comment", None) in [(d.field, d.line) for d in edited.diffs]
        assert rig.state.objects[ORDER][iid]["Комментарий"] != "другой"
        assert await rig.service.apply_ours(edited.id)
        await rig.service.push_now()
        assert rig.state.objects[ORDER][iid]["Комментарий"] == "другой"
        assert rig.state.objects[ORDER][iid]["Товары"][0]["Количество"] == 7
        rec = rig.store.get_invoice(iid)
        assert rec is not None and rec.sync_state is SyncState.IN_ACCOUNTING, rec.sync_error
        assert rig.store.open_conflict("invoice", iid) is None
        # keep theirs: a second accountant edit, our conflicting edit, then 1C's version wins
        await rig.clerk.update(ORDER, iid, {"Комментарий": "из 1С"})
        rig.store.save_invoice(iid, replace(inv, lines=lines, comment="из CRM"), date=DATE)
        await rig.service.push_now()
        conflict = rig.store.open_conflict("invoice", iid)
        assert conflict is not None
        assert await rig.service.keep_theirs(conflict.id)
        rec = rig.store.get_invoice(iid)
        assert rec is not None and rec.invoice.comment == "из 1С" and rec.sync_state is SyncState.IN_ACCOUNTING
        assert rec.invoice.lines[0].quantity == 7
        assert rig.state.objects[ORDER][iid]["Комментарий"] == "из 1С"
    finally:
        await rig.aclose()


async def test_change_between_our_read_and_our_write_is_a_conflict_when_if_match_is_honoured() -> None:
    """The DataVersion race: 1C changes the order after the push's GET and before its PATCH; the
    base refuses the stale If-Match (412) and the push records a conflict instead of retrying over it."""
    rig = make_rig()
    try:
        iid, inv = await _pushed_invoice(rig)
        assert rig.transport is not None
        inner = rig.transport.inner
        raced: list[str] = []

        class Racing(httpx.AsyncBaseTransport):
            async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
                if request.method == "PATCH" and ORDER in request.url.path and not raced:
                    raced.append(request.headers.get("if-match", ""))
                    await rig.clerk.update(ORDER, iid, {"Комментарий": "бухгалтер успел"})
                return await inner.handle_async_request(request)

        rig.transport.inner = Racing()  # type: ignore[assignment]
        rig.store.save_invoice(iid, replace(inv, comment="менеджер"), date=DATE)
        await rig.service.push_now()
        assert raced and raced[0]   # our PATCH carried If-Match
        assert rig.state.objects[ORDER][iid]["Комментарий"] == "бухгалтер успел"
        item = rig.store.outbox_open_for("invoice", iid)
        assert item is not None and item.state == "conflict"
        conflict = rig.store.open_conflict("invoice", iid)
        assert conflict is not None
        assert conflict.their_version == rig.state.objects[ORDER][iid]["DataVersion"]
    finally:
        await rig.aclose()

