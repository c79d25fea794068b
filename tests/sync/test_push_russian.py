"""A push's own refusals and waits reach the outbox in the interface language: the invoice and
order screens show that text (`iv.sync_failed`, `iv.sync_retrying`), and in Russian it was English
("accounting has posted order …", "the organization is not known yet …"). The log keeps English."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from tests.sync.sandbox_kit import ORDER, Rig, clerk_post, make_rig, new_client, new_invoice
from tui_crm.domain.invoice import Invoice
from tui_crm.i18n import set_language
from tui_crm.sync.push import Deferred, Refused

WHEN = datetime(2026, 11, 30, 10, 0)


async def _in_accounting(rig: Rig) -> tuple[str, Invoice, str]:
    """A new client's invoice pushed to the sandbox: its id, the invoice, its number in 1C."""
    await rig.service.pull_now()
    client = new_client()
    rig.store.save_client(client, queue=True)
    iid, inv = new_invoice(rig.store, client.id)
    rig.store.save_invoice(iid, inv, date=WHEN)
    await rig.service.push_now()
    return iid, inv, rig.state.objects[ORDER][iid]["Number"]


async def test_an_edit_of_an_order_posted_in_accounting_is_refused_in_russian() -> None:
    rig = make_rig()
    try:
        iid, inv, number = await _in_accounting(rig)
        await clerk_post(rig.clerk, iid)
        set_language("ru")
        rig.store.save_invoice(iid, replace(inv, comment="после проведения"), date=WHEN)
        await rig.service.push_now()
        failed = rig.store.outbox_failed_items()
        assert len(failed) == 1
        said = failed[0].last_error or ""
        assert said == (f"заказ {number} проведён в учёте; изменения в нём не принимаются. "
                        "Попросите бухгалтерию отменить проведение и повторите.")
    finally:
        await rig.aclose()


async def test_a_reserve_of_an_order_marked_for_deletion_in_accounting_is_refused_in_russian() -> None:
    rig = make_rig()
    try:
        iid, _inv, number = await _in_accounting(rig)
        assert rig.store.request_reserve(iid, "post") is None
        await rig.clerk.update(ORDER, iid, {"DeletionMark": True})
        set_language("ru")
        await rig.service.push_now()
        failed = rig.store.outbox_failed_items()
        assert [f.last_error for f in failed] == [
            f"заказ {number} помечен в учёте на удаление; ничего не зарезервировано"]
    finally:
        await rig.aclose()


def test_every_refusal_and_wait_is_english_for_the_log_whatever_the_language() -> None:
    set_language("ru")
    assert str(Refused("push.order_marked_unreserved", number="ТД00-000001")) == (
        "accounting has marked order ТД00-000001 for deletion; nothing was reserved")
    assert str(Deferred("push.wait_invoice_why", why="сбой")) == (
        "waiting for the invoice to reach accounting: сбой")
