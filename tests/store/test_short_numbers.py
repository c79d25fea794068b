"""F4 and `tui-crm status` find invoices by the short number an operator types (issue 11, item
16): 1C pads numbers with the prefix and zeros (`ТД000000001`), the operator types `ТД1` or `1`.
УТ 11 and БП 3 number `БС00-000009` (organization + infobase prefix, a dash, 6 digits): the operator
types `БС9`, `БС-9`, `9`, or the prefix as 1C shows it and the counter without its zeros, `БС00-9`."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.clock import TestClock
from tests.seed import seed_invoice, seed_store
from tui_crm.store import Store

NUMBERS = {"i1": "ТД000000001", "i2": "ТД000000010", "i3": "ЦБ-000123", "i4": "00УТ-000045",
           "i5": "БС00-000009", "i6": "0000-000007", "i7": "БС00-000019"}


@pytest.fixture
def store(tmp_path: Path):
    s = Store.open(tmp_path / "crm.duckdb", clock=TestClock())
    seed_store(s)
    for n, number in enumerate(NUMBERS.values(), start=1):
        seed_invoice(s, invoice_id=f"e0000000-0000-0000-0000-{n:012d}", number=number)
    yield s
    s.close()


def numbers(store: Store, text: str) -> list[str]:
    return [h.title for h in store.lookup(text) if h.kind == "invoice"]


@pytest.mark.parametrize(("typed", "first"), [
    ("ТД1", "ТД000000001"), ("тд1", "ТД000000001"), ("ТД 1", "ТД000000001"), ("ТД-1", "ТД000000001"),
    ("1", "ТД000000001"), ("001", "ТД000000001"), ("ТД10", "ТД000000010"), ("10", "ТД000000010"),
    ("ЦБ123", "ЦБ-000123"), ("цб-123", "ЦБ-000123"), ("123", "ЦБ-000123"), ("45", "00УТ-000045"),
    ("ТД000000001", "ТД000000001"),
    ("БС9", "БС00-000009"), ("бс 9", "БС00-000009"), ("БС-9", "БС00-000009"), ("9", "БС00-000009"),
    ("БС00-9", "БС00-000009"), ("бс00-09", "БС00-000009"), ("БС00-000009", "БС00-000009"),
    ("БС19", "БС00-000019"), ("00-7", "0000-000007"), ("0000-7", "0000-000007"), ("7", "0000-000007"),
])
def test_short_numbers_find_the_padded_number_first(store: Store, typed: str, first: str) -> None:
    found = numbers(store, typed)
    assert found and found[0] == first, (typed, found)


def test_a_prefix_of_another_series_does_not_match(store: Store) -> None:
    assert "ТД000000001" not in numbers(store, "ЦБ1")
    assert numbers(store, "ТД2") == []
    assert set(numbers(store, "ТД")) == {"ТД000000001", "ТД000000010"}
    assert numbers(store, "БС01-9") == [] and numbers(store, "БС-19") == ["БС00-000019"]
    assert "БС00-000009" not in numbers(store, "00-9")   # its prefix is БС00, not 00


def test_status_finds_short_numbers_too(store: Store) -> None:
    assert [o.number for o in store.order_progress(text="ТД1")] == ["ТД000000001"]
    assert [o.number for o in store.order_progress(text="цб123")] == ["ЦБ-000123"]
    assert [o.number for o in store.order_progress(text="БС00-9")] == ["БС00-000009"]
    assert [o.number for o in store.order_progress(text="00-7")] == ["0000-000007"]
