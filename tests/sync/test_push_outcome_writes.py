"""What the push's sixth round changed in its store writes, against the in-process sandbox: a
create records no step between its requests (a retry finds and adopts what the last attempt
made), contact values of kinds with no row yet go in with a plain INSERT and those with one
are replaced, a contract just created goes into the mirror without replacing a row a pull put
there, and an item's outcome still closes an open conflict of its object."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import datetime

from tests.sync.sandbox_kit import ORDER, make_rig, new_client, new_invoice
from tui_crm.store.db import Database
from tui_crm.sync.push import derived_key

CP = "Catalog_Контрагенты"
BILL = "Document_СчетНаОплатуПокупателю"
CONTACTS = "InformationRegister_КонтактнаяИнформация"
WHEN = datetime(2026, 11, 30, 10, 0)


async def _ready(**kw):
    rig = make_rig(**kw)
    await rig.service.pull_now()
    return rig


def _due_now(db: Database) -> None:
    with db.transaction() as cur:
        cur.execute("UPDATE outbox SET next_attempt_at = ?", [datetime(2000, 1, 1)])


async def test_a_contact_record_whose_answer_was_lost_is_written_once_and_its_values_kept() -> None:
    """No phone (its value is '' without a request), then the e-mail record is written in 1C
    and its answer lost: the attempt keeps what it did (the phone's '' as a new row, plain
    INSERT). The retry reads those rows, finds the e-mail record by its key, and records all
    three — the phone's row replaced, the others inserted."""
    rig = await _ready()
    try:
        client = new_client("ООО «Без телефона»", phone="")
        rig.store.save_client(client, queue=True)
        rig.faults.configure({"only": CONTACTS, "drop_next": 1})
        result = await rig.service.push_now()
        assert result is not None and result.offline
        item = rig.store.outbox_open_for("client", client.id)
        assert item is not None and item.state == "pending" and item.step == ""
        assert rig.store.contact_seen(client.id) == {"phone": ""}
        rig.faults.configure({"reset": True})
        _due_now(rig.store.db)
        await rig.service.push_now()
        assert rig.store.outbox_count() == 0
        assert rig.store.contact_seen(client.id) == {"phone": "", "email": client.email, "address": client.address}
        mine = [c for c in rig.state.contacts.values() if c["Объект"] == client.id]
        assert Counter(c["Тип"] for c in mine) == Counter({"АдресЭлектроннойПочты": 1, "Адрес": 1})
        assert Counter(o["Description"] for o in rig.state.objects[CP].values())[client.name] == 1
        rec = rig.store.get_client(client.id)
        cp = rig.state.objects[CP][client.id]
        assert rec is not None and rec.accounting_code == cp["Code"]
        assert rig.store.base_version("client", client.id) == cp["DataVersion"]
    finally:
        await rig.aclose()


async def test_an_invoice_document_that_failed_retries_from_the_start_and_adopts_the_order() -> None:
    """The order is created, the invoice document's request fails: no step is recorded, the
    order's state and nothing else is committed; the retry finds the order by its key (one
    order, one document) and the outcome records the refs it was written with."""
    rig = await _ready()
    try:
        client = new_client()
        rig.store.save_client(client, queue=True)
        iid, inv = new_invoice(rig.store, client.id)
        rig.store.save_invoice(iid, inv, date=WHEN, queue=True)
        rig.faults.configure({"only": BILL, "error_next": 1})
        await rig.service.push_now()
        item = rig.store.outbox_open_for("invoice", iid)
        assert item is not None and item.state == "pending" and item.step == ""
        assert iid in rig.state.objects[ORDER]
        assert rig.store.invoice_refs(iid) == (None, None, None)   # not recorded before the outcome
        rec = rig.store.get_invoice(iid)
        assert rec is not None and rec.number == rig.state.objects[ORDER][iid]["Number"]
        rig.faults.configure({"reset": True})
        _due_now(rig.store.db)
        await rig.service.push_now()
        assert rig.store.outbox_count() == 0
        assert list(rig.state.objects[ORDER]) == [iid]
        bills = [b for b in rig.state.objects[BILL].values() if b["ЗаказПокупателя_Key"] == iid]
        assert len(bills) == 1
        contract, org, bill = rig.store.invoice_refs(iid)
        order = rig.state.objects[ORDER][iid]
        assert (contract, org, bill) == (order["ДоговорКонтрагента_Key"], order["Организация_Key"],
                                         derived_key("bill", iid))
    finally:
        await rig.aclose()


async def test_a_contract_just_created_does_not_replace_the_row_a_pull_put_in_the_mirror() -> None:
    rig = await _ready()
    try:
        store = rig.store
        row = ("k1", "cp-1", "o1", "Основной договор", "sale", "", "v1", None, False)
        with store.transaction() as cur:
            store.remember_contract(cur, row, created=True)
        with store.transaction() as cur:   # as if a pull had mirrored it since: kept, no error
            store.remember_contract(cur, (*row[:6], "v2", *row[7:]), created=True)
        got = store.db.cursor().execute("SELECT data_version FROM contracts WHERE id = 'k1'").fetchall()
        assert got == [("v1",)]
        with store.transaction() as cur:   # found in 1C (not just created): replaced, as before
            store.remember_contract(cur, (*row[:6], "v3", *row[7:]))
        assert store.db.cursor().execute("SELECT data_version FROM contracts WHERE id = 'k1'").fetchall() == [("v3",)]
    finally:
        await rig.aclose()


async def test_an_item_done_after_its_conflict_closes_the_conflict_as_sent() -> None:
    """The outcome touches the conflicts table only for objects with an open conflict at the
    claim: an edit that agrees with accounting's version is sent, and its conflict is closed."""
    rig = await _ready()
    try:
        client = new_client()
        rig.store.save_client(client, queue=True)
        iid, inv = new_invoice(rig.store, client.id)
        rig.store.save_invoice(iid, inv, date=WHEN, queue=True)
        await rig.service.push_now()
        await rig.clerk.update(ORDER, iid, {"Комментарий": "бухгалтер"})
        rig.store.save_invoice(iid, replace(inv, comment="третий"), date=WHEN)
        await rig.service.push_now()
        conflict = rig.store.open_conflict("invoice", iid)
        assert conflict is not None
        assert rig.store.open_conflict_objects() == {("invoice", iid)}
        # the operator edits the invoice to say what accounting says: sent, the conflict closed
        rig.store.save_invoice(iid, replace(inv, comment="бухгалтер"), date=WHEN)
        await rig.service.push_now()
        assert rig.store.outbox_count() == 0
        assert rig.store.open_conflict("invoice", iid) is None
        closed = rig.store.conflict(conflict.id)
        assert closed is not None and closed.resolution == "sent"
        assert rig.store.open_conflict_objects() == set()
    finally:
        await rig.aclose()


def test_outbox_done_without_conflicts_leaves_the_conflicts_table_alone(tmp_path) -> None:
    from tests.clock import TestClock
    from tui_crm.store import Store

    store = Store.open(tmp_path / "s.duckdb", clock=TestClock())
    try:
        client = new_client()
        store.save_client(client, queue=True)
        (item,) = store.claim_outbox()
        store.record_conflict(item.id, "client", client.id, seen_version="1", their_version="2", theirs={},
                              ours={}, diffs=[], message="m")
        store.outbox_done(item.id, conflicts=False)
        assert store.open_conflict("client", client.id) is not None   # told there was none: untouched
        store.outbox_done(item.id)
        assert store.open_conflict("client", client.id) is None
    finally:
        store.close()
