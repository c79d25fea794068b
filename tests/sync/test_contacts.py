"""Contacts from accounting (issue 11, item 1): a counterparty's phones, e-mail and address are
mirrored for every profile (phones normalised), listed, found by any form of the phone, shown on
the card and used by the new client's duplicate check."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from tests.clock import TestClock
from tests.sync.sandbox_kit import make_rig
from tui_crm.store import Store
from tui_crm.store.db import load_migrations
from tui_crm.sync import parse
from tui_crm.sync.profile import load_profile

VEKTOR = "1c9d6e3a-4a5d-11ee-8c90-0242ac120002"
PHONE_KIND = "6b9d6e3a-4a5d-11ee-8c90-0242ac120002"


def phone_forms(e164: str) -> list[str]:
    """What an operator types for +79199695866: '+7 919 969 58 66', '89199695866', '969-58-66'."""
    d = e164[2:]
    return [f"+7 {d[:3]} {d[3:6]} {d[6:8]} {d[8:]}", "8" + d, f"{d[3:6]}-{d[6:8]}-{d[8:]}",
            f"+7 ({d[:3]}) {d[3:6]}-{d[6:8]}-{d[8:]}"]


async def test_ka1_pull_mirrors_contacts_and_every_phone_form_finds_the_counterparty() -> None:
    rig = make_rig()
    try:
        assert await rig.service.pull_now() is not None, rig.service.last_error
        cid, name, phones, email, address = rig.store.db.cursor().execute(
            "SELECT id, name, phones, email, address FROM counterparties ORDER BY name LIMIT 1").fetchone()
        assert len(phones) == 1 and phones[0].startswith("+7") and len(phones[0]) == 12  # normalised
        assert email and address
        for form in phone_forms(phones[0]):
            rows = rig.store.client_rows(form)
            assert [r.id for r in rows] == [cid], form
            assert rows[0].phones == (phones[0],) and rows[0].origin == "accounting"
            hits = [h for h in rig.store.lookup(form) if h.kind == "client"]  # F4
            assert [h.id for h in hits] == [cid] and hits[0].phone == phones[0], form
        card = rig.store.counterparty_client(cid)
        assert card is not None and card.client.name == name
        assert (card.client.phones, card.client.email, card.client.address) == ((phones[0],), email, address)
        dup = rig.store.find_duplicates(phones=(phone_forms(phones[0])[1],))
        assert [(h.id, h.reason, h.source) for h in dup] == [(cid, "phone", "accounting")]
        # the full list shows accounting's phone beside the name
        listed = {r.id: r for r in rig.store.client_rows("", limit=500)}
        assert listed[cid].phones == (phones[0],)
    finally:
        await rig.aclose()


def _vector_row(profile: str) -> dict[str, object]:
    """A УТ 11 / БП 3 counterparty with its contact table part, as 1C answers."""
    return {
        "Ref_Key": VEKTOR, "Code": "00-000001", "Description": 'ООО "Вектор"', "НаименованиеПолное": "Вектор",
        "ИНН": "7707083893", "КПП": "773601001", "DeletionMark": False, "IsFolder": False, "DataVersion": "AAA",
        "ЮрФизЛицо": "ЮрЛицо",
        "КонтактнаяИнформация": [
            {"LineNumber": "1", "Тип": "Телефон", "Вид_Key": PHONE_KIND, "Представление": "8 (495) 123-45-67"},
            {"LineNumber": "2", "Тип": "АдресЭлектроннойПочты", "Вид_Key": "7b9d6e3a-4a5d-11ee-8c90-0242ac120002",
             "Представление": "info@vector.ru"},
            {"LineNumber": "3", "Тип": "Адрес", "Вид_Key": "8b9d6e3a-4a5d-11ee-8c90-0242ac120002",
             "Представление": "Москва, ул. Ленина, 1"},
        ],
    }


@pytest.mark.parametrize("profile", ["ut11", "bp3"])
def test_table_part_profiles_mirror_contacts_searchable(profile: str) -> None:
    p = load_profile(profile)
    kinds = {PHONE_KIND: "phone", "7b9d6e3a-4a5d-11ee-8c90-0242ac120002": "email",
             "8b9d6e3a-4a5d-11ee-8c90-0242ac120002": "address"}
    row = _vector_row(profile)
    cp = parse.counterparty(p, row, parse.contacts_from_table_part(p, row, kinds))
    assert cp is not None and cp[10] == ["+74951234567"]
    store = Store.open(None, clock=TestClock())
    try:
        with store.transaction() as cur:
            store.replace_counterparties(cur, [cp])
        for form in phone_forms("+74951234567"):
            assert [r.id for r in store.client_rows(form)] == [VEKTOR], form
        card = store.counterparty_client(VEKTOR)
        assert card is not None
        assert (card.client.phones, card.client.email, card.client.address) == (
            ("+74951234567",), "info@vector.ru", "Москва, ул. Ленина, 1")
        assert [h.id for h in store.find_duplicates(phones=("+7 495 123 45 67",))] == [VEKTOR]
    finally:
        store.close()


def test_a_phone_that_is_no_number_is_kept_as_1c_has_it() -> None:
    p = load_profile("ut11")
    row = _vector_row("ut11")
    row["КонтактнаяИнформация"] = [{"LineNumber": "1", "Тип": "Телефон", "Вид_Key": PHONE_KIND,
                                    "Представление": "  спросить секретаря  "}]
    cp = parse.counterparty(p, row, parse.contacts_from_table_part(p, row, {PHONE_KIND: "phone"}))
    assert cp is not None and cp[10] == ["спросить секретаря"]


def test_migration_5_turns_old_phone_text_into_a_searchable_list(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, "
                "applied_at TIMESTAMP NOT NULL)")
    for mig in load_migrations()[:4]:
        con.execute(mig.sql)
        con.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)", [mig.version, mig.name, datetime(2026, 1, 1)])
    con.execute("INSERT INTO counterparties (id, name, phones) VALUES ('a', 'АльфаПлюс', '+7 (919) 969-58-66'), "
                "('b', 'Без телефона', '')")
    con.close()
    store = Store.open(path, clock=TestClock())
    try:
        rows = store.db.cursor().execute("SELECT id, phones FROM counterparties ORDER BY id").fetchall()
        assert rows == [("a", ["+7 (919) 969-58-66"]), ("b", [])]
        assert [r.id for r in store.client_rows("969-58-66")] == ["a"]
    finally:
        store.close()
