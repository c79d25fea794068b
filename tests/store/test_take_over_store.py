"""The first save of a counterparty only accounting had (store side): the CRM copy starts from the
version the mirror read, is queued as an update of it, and keeps the debt accounting keeps."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from tests.seed import COUNTERPARTY_ALFA, seeded_store
from tui_crm.domain.models import SyncState


def test_a_taken_over_counterparty_keeps_its_version_code_and_debt(tmp_path: Path) -> None:
    store = seeded_store(tmp_path / "crm.duckdb")
    try:
        with store.transaction() as cur:
            cur.execute("UPDATE counterparties SET data_version = 'AAAAAQ==', comment = 'бухгалтер: по счёту' "
                        "WHERE id = ?", [COUNTERPARTY_ALFA])
            store.set_debts(cur, {COUNTERPARTY_ALFA: Decimal("1660.56")})
        before = store.counterparty_client(COUNTERPARTY_ALFA)
        assert before is not None and before.client.comment == "бухгалтер: по счёту"
        store.save_client(replace(before.client, phones=("+79161234567",)), queue=True)
        rec = store.get_client(COUNTERPARTY_ALFA)
        assert rec is not None and rec.sync_state is SyncState.QUEUED
        assert rec.debt == Decimal("1660.56")          # the card and the list keep showing it
        assert rec.accounting_code == "00-000077" and rec.client.comment == "бухгалтер: по счёту"
        assert store.base_version("client", COUNTERPARTY_ALFA) == "AAAAAQ=="
        item = store.outbox_open_for("client", COUNTERPARTY_ALFA)
        assert item is not None and item.action == "update"
    finally:
        store.close()
