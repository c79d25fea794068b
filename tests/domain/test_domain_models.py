"""Shared records: immutability, Decimal normalisation, derived properties."""

from __future__ import annotations

import dataclasses
from decimal import Decimal as D

import pytest

from tui_crm.domain.models import Client, PriceType, ProductRow, SyncState, Warehouse
from tui_crm.domain.validation import ClientKind
from tui_crm.domain.vat import VatRate


def test_records_are_frozen() -> None:
    wh = Warehouse("w1", "Основной склад")
    with pytest.raises(dataclasses.FrozenInstanceError):
        wh.name = "x"  # type: ignore[misc]
    assert PriceType("t1", "Розничная").includes_vat is True


def test_product_row_normalises_and_makes_lines() -> None:
    row = ProductRow("p1", "00001", "Бумага А4", "пач", "12.000", "350.00", VatRate.НДС20)
    assert row.free_stock == D("12.000") and row.price == D("350.00")
    line = row.make_line(D("3"), D("5"))
    assert (line.product_id, line.unit, line.vat_rate) == ("p1", "пач", VatRate.НДС20)
    assert line.amount == D("997.50")
    with pytest.raises(TypeError):
        ProductRow("p1", "1", "n", "шт", 1.0, None)  # type: ignore[arg-type]


def test_unpriced_product() -> None:
    row = ProductRow("p2", "00002", "Без цены", "шт", D("1"), None)
    assert not row.has_price
    with pytest.raises(ValueError):
        row.make_line(D("1"))


def test_client() -> None:
    client = Client(
        "c1", ClientKind.LEGAL_ENTITY, "ПАО Сбербанк", inn="7707083893", kpp="773601001",
        phones=["8 (495) 500-55-50", "мусор"],  # type: ignore[arg-type]
    )
    assert client.phones == ("8 (495) 500-55-50", "мусор")
    assert client.normalized_phones == ("+74955005550",)
    assert client.onec_legal_form == "ЮрЛицо"
    assert set(client.validate()) == {"phones"}
    assert client.validate()["phones"].innermost.params == {"text": "мусор"}


def test_sync_state() -> None:
    assert [s.value for s in SyncState] == ["local_only", "queued", "in_accounting", "failed", "conflict"]
    assert SyncState("queued") is SyncState.QUEUED
    assert SyncState.IN_ACCOUNTING.label == "In accounting"
