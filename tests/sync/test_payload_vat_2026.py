"""БП 3 keeps a kind of VAT rate on its products (`ВидСтавкиНДС`: `Общая`, `Пониженная`, …),
not a rate; the CRM line takes the rate the kind stands for. The general rate is 22 % from
1 January 2026: a 2026 base's `Общая` product used to come with НДС20, so every line of a 2026
invoice carried the old rate until the operator changed it by hand. Against the bp3 sandbox over
real loopback and a DuckDB file; "today" is the store's test clock, never the machine's date.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from onec_sandbox.server import RunningSandbox, start_in_thread
from onec_sandbox.state import SandboxState
from tests.clock import TestClock
from tui_crm.store import Store
from tui_crm.sync.odata import ODataClient
from tui_crm.sync.profile import load_profile
from tui_crm.sync.pull import pull_mirror

P = load_profile("bp3")


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    running = start_in_thread(SandboxState.seeded(products=30, warehouses=1, seed=5, config="bp3"))
    try:
        yield running
    finally:
        running.stop()


def _rates(store: Store, sandbox: RunningSandbox) -> dict[str, set[str]]:
    """The mirror's rates by the kind 1C has on the product."""
    kinds = {k: r.get("ВидСтавкиНДС") for k, r in sandbox.state.objects["Catalog_Номенклатура"].items()
             if not r.get("IsFolder")}
    out: dict[str, set[str]] = {}
    for pid, rate in store.db.cursor().execute("SELECT id, vat_rate FROM products").fetchall():
        out.setdefault(str(kinds[pid]), set()).add(rate)
    return out


async def test_the_general_kind_is_22_percent_from_2026_and_the_mirror_moves_with_the_new_year(
        sandbox: RunningSandbox, tmp_path: Any) -> None:
    clock = TestClock(datetime(2025, 12, 31, 12, 0))   # 15:00 in Moscow, the sandbox's zone aside
    store = Store.open(str(tmp_path / "crm.duckdb"), clock=clock)
    try:
        async with ODataClient(sandbox.base_url, retries=1, backoff=0.0) as client:
            await pull_mirror(client, store, profile=P)
            before = _rates(store, sandbox)
            assert before.get("Общая") == {"НДС20"}, before
            clock.advance(days=2)                                # 2 January 2026
            await pull_mirror(client, store, profile=P)          # no product changed in 1C
            after = _rates(store, sandbox)
        assert after["Общая"] == {"НДС22"}                      # was НДС20
        assert {k: v for k, v in after.items() if k != "Общая"} == {k: v for k, v in before.items() if k != "Общая"}
    finally:
        store.close()
