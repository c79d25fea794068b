"""Shared screen-test setup: every test leaves the interface language as it found it (English)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tui_crm.i18n import set_language


@pytest.fixture(autouse=True)
def english_after() -> Iterator[None]:
    yield
    set_language("en")
