"""Every loop is bounded, over real loopback (issue 9): a request that hangs past the timeout ends
the pull with a plain reason recorded in the sync log and frees the pull lock; the cycle deadline
and the page cap come from the settings file, in range."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from onec_sandbox.server import RunningSandbox, start_in_thread
from onec_sandbox.state import SandboxState
from tests.clock import TestClock
from tui_crm.config import ConfigError, load
from tui_crm.store import Store
from tui_crm.sync.service import SyncService

PRODUCTS = "Catalog_Номенклатура"


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    running = start_in_thread(SandboxState.seeded(products=40, warehouses=2, seed=6))
    try:
        yield running
    finally:
        running.stop()


def _service(tmp_path: Path, sandbox: RunningSandbox, toml: str) -> SyncService:
    path = tmp_path / "config.toml"
    path.write_text(f'[accounting]\nurl = "{sandbox.base_url}"\n{toml}', encoding="utf-8")
    settings = load(path)
    store = Store.open(tmp_path / "crm.duckdb", clock=TestClock())
    return SyncService.from_settings(store, settings.accounting, sync=settings.sync)


async def test_a_request_hanging_past_the_timeout_fails_the_pull_plainly_and_frees_the_lock(
        tmp_path: Path, sandbox: RunningSandbox) -> None:
    service = _service(tmp_path, sandbox, "timeout = 0.5\n[sync]\ncycle_deadline = 120\n")
    try:
        assert service.cycle_deadline == timedelta(seconds=120)
        sandbox.faults.configure({"hang_rate": 1.0, "hang_s": 60, "only": PRODUCTS})
        assert await service.pull_now(full=True) is None
        assert "did not answer in time" in (service.last_error or "")
        assert f"GET {PRODUCTS}" in (service.last_error or "")
        assert not service.running and not service._lock.locked()
        pull = next(r for r in service.store.recent_runs() if r.job == "pull")
        assert pull.ok is False and pull.finished_at is not None and pull.error == service.last_error
        sandbox.faults.configure({"reset": True})
        assert await service.pull_now(full=True) is not None, service.last_error   # the next cycle runs
        assert service.store.mirror_counts()["products"] > 0
    finally:
        await service.aclose()
        service.store.close()


async def test_the_page_cap_comes_from_the_settings(tmp_path: Path, sandbox: RunningSandbox) -> None:
    service = _service(tmp_path, sandbox, "page_size = 10\nmax_pages = 3\n")
    try:
        assert await service.pull_now(full=True) is None
        # the first paged read to pass the cap: a catalog, or the (now paged) contact register
        assert re.search(r"sent more than 3 pages of 10 rows for (Catalog|InformationRegister)_",
                         service.last_error or "")
        assert "raise accounting.max_pages" in (service.last_error or "")
    finally:
        await service.aclose()
        service.store.close()


@pytest.mark.parametrize(("key", "value"), [
    ("sync.cycle_deadline", "nan"), ("sync.cycle_deadline", "inf"), ("sync.cycle_deadline", "1"),
    ("sync.cycle_deadline", "1e300"), ("sync.max_shrink_percent", "0"), ("sync.max_shrink_percent", "101"),
    ("sync.max_shrink_percent", "nan"), ("accounting.max_pages", "0"), ("accounting.max_pages", "1e9"),
    ("accounting.max_pages", "99999999999"),
])
def test_the_new_numbers_are_finite_and_in_range(tmp_path: Path, key: str, value: str) -> None:
    section, name = key.split(".")
    path = tmp_path / "config.toml"
    path.write_text(f"[{section}]\n{name} = {value}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        load(path)


def test_the_new_keys_are_read(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[sync]\ncycle_deadline = 300\nmax_shrink_percent = 20\n[accounting]\nmax_pages = 500\n",
                    encoding="utf-8")
    s = load(path)
    assert (s.sync.cycle_deadline, s.sync.max_shrink_percent, s.accounting.max_pages) == (300.0, 20.0, 500)
    with pytest.raises(ConfigError, match=r"did you mean cycle_deadline\?"):
        path.write_text("[sync]\ncycle_deadlin = 300\n", encoding="utf-8")
        load(path)
