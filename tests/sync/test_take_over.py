"""Taking a counterparty that only accounting has into the CRM (the card's F2, or F3 on it).

Found walking the hostile demo: F3 on an accounting-only client whose 1C comment was not empty
parked the client in the conflict screen ("changed in accounting meanwhile"), and its first
invoice waited behind it. The CRM's copy was built from a mirror row that had no comment, so the
push would have blanked 1C's comment; the check caught that as an accountant's edit. An operator
who corrected a phone or the name on such a card met the same false conflict.

Now the mirror keeps the comment, and the CRM copy starts from the version it was read at: the
operator's edit is written, 1C's other fields stay as they are, and only a real edit made in 1C
after the CRM read the counterparty is a conflict. The sandbox is a real HTTP server on loopback."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime

import pytest

from onec_sandbox.server import RunningSandbox, start_in_thread
from onec_sandbox.state import SandboxState
from tui_crm.domain.models import SyncState
from tui_crm.store import Store
from tui_crm.sync.odata import ODataClient
from tui_crm.sync.service import AccountingSettings, SyncService

CP = "Catalog_Контрагенты"
DATE = datetime(2026, 11, 30, 10, 0)
COMMENT = "[link=https://evil.example]бухгалтер: оплата только по счёту[/link]"
# the counterparty's comment attribute per configuration (УТ 11 has no Комментарий on it)
COMMENT_FIELD = {"ka1": "Комментарий", "ut11": "ДополнительнаяИнформация", "bp3": "Комментарий"}


@pytest.fixture(params=["ka1", "ut11", "bp3"])
def sandbox(request: pytest.FixtureRequest) -> Iterator[tuple[str, RunningSandbox]]:
    running = start_in_thread(SandboxState.seeded(products=20, warehouses=1, seed=4, config=request.param))
    try:
        yield request.param, running
    finally:
        running.stop()


class Crm:
    def __init__(self, config: str, sandbox: RunningSandbox) -> None:
        self.store = Store.open(None, clock=lambda: DATE)
        self.service = SyncService.from_settings(
            self.store, AccountingSettings(url=sandbox.base_url, timeout=10, profile=config), clock=lambda: DATE)
        self.clerk = ODataClient(sandbox.base_url)

    async def aclose(self) -> None:
        await self.service.aclose()
        await self.clerk.aclose()
        self.store.close()


def _accounting_only(crm: Crm, sandbox: RunningSandbox) -> str:
    """A counterparty the CRM has no client for, with a comment written by the accountant."""
    for key, obj in sandbox.state.objects[CP].items():
        if not obj.get("IsFolder") and not obj.get("DeletionMark") and crm.store.get_client(key) is None:
            return str(key)
    raise AssertionError("the seed has no counterparty")


async def test_the_mirror_shows_the_comment_accounting_keeps(sandbox: tuple[str, RunningSandbox]) -> None:
    config, running = sandbox
    crm = Crm(config, running)
    try:
        await crm.service.pull_now()
        key = _accounting_only(crm, running)
        await crm.clerk.update(CP, key, {COMMENT_FIELD[config]: COMMENT})
        await crm.service.pull_now(full=True)
        rec = crm.store.counterparty_client(key)
        assert rec is not None and rec.client.comment == COMMENT
    finally:
        await crm.aclose()


@pytest.mark.parametrize("edit", ["none", "phone", "name"])
async def test_taking_it_over_writes_the_operators_edit_and_keeps_accountings_comment(
        sandbox: tuple[str, RunningSandbox], edit: str) -> None:
    config, running = sandbox
    crm = Crm(config, running)
    try:
        await crm.service.pull_now()
        key = _accounting_only(crm, running)
        await crm.clerk.update(CP, key, {COMMENT_FIELD[config]: COMMENT})
        await crm.service.pull_now(full=True)
        rec = crm.store.counterparty_client(key)
        assert rec is not None
        client = rec.client
        if edit == "phone":
            client = replace(client, phones=("+79161234567",))
        elif edit == "name":
            client = replace(client, name=client.name + " (опт)")
        before = copy.deepcopy(running.state.objects[CP][key])
        crm.store.save_client(client, queue=True)                  # the card's F2 on it
        await crm.service.push_now()
        assert crm.store.open_conflict("client", key) is None
        after = crm.store.get_client(key)
        assert after is not None and after.sync_state is SyncState.IN_ACCOUNTING
        theirs = running.state.objects[CP][key]
        assert theirs[COMMENT_FIELD[config]] == COMMENT
        assert theirs["Description"] == client.name
        # УТ 11: the counterparty keeps its own partner (no new Партнер made for it)
        assert theirs.get("Партнер_Key") == before.get("Партнер_Key")
        if edit != "phone" and "КонтактнаяИнформация" in before:
            # УТ 11 / БП 3: the contact rows stay as the accountant spelled them
            assert [r["Представление"] for r in theirs["КонтактнаяИнформация"]] == [
                r["Представление"] for r in before["КонтактнаяИнформация"]]
        if edit == "phone":
            await crm.service.pull_now(full=True)
            assert crm.store.counterparty_client(key) is not None
            assert "+79161234567" in crm.store.counterparty_client(key).client.phones  # type: ignore[union-attr]
    finally:
        await crm.aclose()


async def test_an_edit_made_in_accounting_after_the_crm_read_it_is_still_a_conflict(
        sandbox: tuple[str, RunningSandbox]) -> None:
    config, running = sandbox
    crm = Crm(config, running)
    try:
        await crm.service.pull_now()
        key = _accounting_only(crm, running)
        rec = crm.store.counterparty_client(key)
        assert rec is not None
        crm.store.save_client(replace(rec.client, name=rec.client.name + " (опт)"), queue=True)
        await crm.clerk.update(CP, key, {"Description": "Переименован в учёте"})
        await crm.service.push_now()
        assert running.state.objects[CP][key]["Description"] == "Переименован в учёте"
        conflict = crm.store.open_conflict("client", key)
        assert conflict is not None
        assert [(d.field, d.theirs) for d in conflict.diffs] == [("name", "Переименован в учёте")]
    finally:
        await crm.aclose()
