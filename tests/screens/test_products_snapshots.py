"""Snapshots of the products screen on a seeded store with a frozen clock (no network)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.clock import TestClock
from tests.seed import FROZEN_NOW, seed_store
from tui_crm.app import CrmApp
from tui_crm.i18n import set_language
from tui_crm.store import Store

SIZE = (110, 30)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "crm.duckdb", clock=TestClock())
    seed_store(s)
    yield s
    s.close()


def make_app(store: Store, lang: str = "en") -> CrmApp:
    set_language(lang)
    return CrmApp(store, None, clock=lambda: FROZEN_NOW, live_clock=False, home="products")


async def _settle(pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def test_products_screen(snap_compare, store: Store) -> None:
    assert snap_compare(make_app(store), terminal_size=SIZE, run_before=_settle)


def test_products_filtered_by_typing(snap_compare, store: Store) -> None:
    async def run_before(pilot) -> None:
        await _settle(pilot)
        await pilot.press(*"молоко")
        await _settle(pilot)

    assert snap_compare(make_app(store), terminal_size=SIZE, run_before=run_before)


def test_products_screen_in_russian(snap_compare, store: Store) -> None:
    try:
        assert snap_compare(make_app(store, "ru"), terminal_size=SIZE, run_before=_settle)
    finally:
        set_language("en")
