"""One "which clients match this text" read: the clients list, the F4 lookup and `tui-crm status`
find the same clients for the same text (CRM clients and unadopted accounting counterparties)."""

from __future__ import annotations

import pytest

from tests.seed import (
    CLIENT_IVANOV,
    CLIENT_ROMASHKA,
    COUNTERPARTY_ALFA,
    FROZEN_NOW,
    INN_ALFA,
    seeded_store,
)
from tui_crm.status_cmd import from_store


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ромаш", CLIENT_ROMASHKA),         # a name word
        ("8 903 111-22-33", CLIENT_IVANOV),  # the second phone, typed with a trunk prefix
        ("Альфа", COUNTERPARTY_ALFA),        # a counterparty only accounting has
        (INN_ALFA, COUNTERPARTY_ALFA),       # its ИНН
    ],
)
def test_list_lookup_and_status_find_the_same_clients(text: str, expected: str) -> None:
    store = seeded_store(None)
    listed = [r.id for r in store.client_rows(text)]
    assert expected in listed
    assert [h.id for h in store.lookup(text, limit=200) if h.kind == "client"] == listed
    assert [c["id"] for c in from_store(store, text, FROZEN_NOW)["clients"]] == listed[:20]


def test_status_shows_accounting_code_and_state() -> None:
    store = seeded_store(None)
    (romashka,) = from_store(store, "ромаш", FROZEN_NOW)["clients"]
    assert romashka["code"] == "00-000045" and romashka["sync_state"] == "in_accounting"
    assert romashka["debt"] == "15340.50" and romashka["phones"] == ["+79123456789"]
    (alfa,) = from_store(store, "Альфа", FROZEN_NOW)["clients"]
    assert alfa["code"] == "00-000077" and alfa["sync_state"] == "in_accounting"
