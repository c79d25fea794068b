"""Snapshots of the new panels at 80×24 and 120×36, in English and Russian: the client card's
Extra tab with the example profile's two fields (branch code, industry), and the invoice's
extra-fields dialog (delivery date). Frozen clock, seeded store, no network."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.clock import TestClock
from tests.custom.kit import BUILDING, example_fields, mirror_industries
from tests.seed import (
    CLIENT_ROMASHKA,
    FROZEN_NOW,
    INVOICE_ID,
    seed_clients,
    seed_invoice,
    seed_store,
    settle,
)
from tui_crm.app import CrmApp
from tui_crm.i18n import set_language
from tui_crm.store import Store

SIZES = {"80x24": (80, 24), "120x36": (120, 36)}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "crm.duckdb", clock=TestClock())
    seed_store(s)
    seed_clients(s)
    mirror_industries(s)
    s.set_custom("client", CLIENT_ROMASHKA, {"branch_code": "MSK-01", "industry": BUILDING})
    yield s
    s.close()


@pytest.fixture(autouse=True)
def _english_after() -> Iterator[None]:
    yield
    set_language("en")


def make_app(store: Store, lang: str) -> CrmApp:
    set_language(lang)
    return CrmApp(store, None, clock=lambda: FROZEN_NOW, live_clock=False, custom_fields=example_fields())


@pytest.mark.parametrize("lang", ["en", "ru"])
@pytest.mark.parametrize("size", list(SIZES))
def test_client_card_extra_tab(snap_compare, store: Store, size: str, lang: str) -> None:
    """The Extra tab: the branch code typed, the industry shown by its name from the mirror."""

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        pilot.app.open_client(CLIENT_ROMASHKA)
        await settle(pilot)
        await pilot.press("alt+3")
        await settle(pilot)

    assert snap_compare(make_app(store, lang), terminal_size=SIZES[size], run_before=run_before)


@pytest.mark.parametrize("lang", ["en", "ru"])
@pytest.mark.parametrize("size", list(SIZES))
def test_invoice_extra_fields_dialog(snap_compare, store: Store, size: str, lang: str) -> None:
    """The invoice's dialog (x) over the header; the header line says which key opens it."""
    seed_invoice(store)

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        pilot.app.open_invoice(INVOICE_ID)
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        await pilot.press(*"05.12.2026")
        await settle(pilot)

    assert snap_compare(make_app(store, lang), terminal_size=SIZES[size], run_before=run_before)
