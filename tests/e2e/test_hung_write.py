"""A write the CRM gave up on (its answer did not come before the timeout) may still commit in
accounting later — 1C does not cancel a request when the client goes away. A newer save must
not be overwritten by such a late write. Over real loopback HTTP: the in-process rig cancels a
hung request, a real server finishes it."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from pathlib import Path

from onec_sandbox.server import start_in_thread
from onec_sandbox.state import SandboxState
from tests.clock import TestClock
from tests.sync.sandbox_kit import ORDER, new_client, new_invoice
from tui_crm.store import Store
from tui_crm.sync.odata import ODataClient
from tui_crm.sync.service import SyncService

BILL = "Document_СчетНаОплатуПокупателю"


async def test_a_late_invoice_document_write_does_not_overwrite_a_newer_edit(tmp_path: Path) -> None:
    sandbox = start_in_thread(SandboxState.seeded(products=10, warehouses=1, seed=3))
    clock = TestClock()
    store = Store.open(tmp_path / "crm.duckdb", clock=clock)
    client = ODataClient(sandbox.base_url, timeout=0.5, retries=0)
    service = SyncService(store, client)
    st = sandbox.state
    try:
        assert await service.pull_now() is not None
        c = new_client("ООО «Поздняя запись»")
        store.save_client(c, queue=True)
        iid, inv = new_invoice(store, c.id)
        store.save_invoice(iid, replace(inv, comment="первая"), date=clock(), queue=True)
        await service.push_now()
        assert store.outbox_count() == 0

        store.save_invoice(iid, replace(inv, comment="правка А"), date=clock())
        sandbox.faults.configure({"only": BILL, "hang_next": 1, "hang_s": 2.0})
        result = await service.push_now()        # the order takes edit A; the document's PATCH hangs
        hung_at = time.monotonic()
        assert result is not None and result.offline and "did not answer in time" in result.offline
        store.save_invoice(iid, replace(inv, comment="правка Б"), date=clock())
        clock.advance(minutes=10)
        await service.push_now()
        assert store.outbox_count() == 0, store.outbox_items()

        def bill() -> dict:
            [b] = [b for b in st.objects[BILL].values() if b["ЗаказПокупателя_Key"] == iid]
            return b

        # The hung PATCH sleeps 2 s on the server and then runs; give it time to (try to) land.
        await asyncio.sleep(max(0.0, hung_at + 3.5 - time.monotonic()))
        assert st.objects[ORDER][iid]["Комментарий"] == "правка Б"
        assert bill()["Комментарий"] == "правка Б"
    finally:
        await service.aclose()
        store.close()
        sandbox.stop()
