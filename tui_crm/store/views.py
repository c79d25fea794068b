"""Reads shaped for the operator screens: the clients list, quick lookup, accounting-only clients.

Kept apart from `crm.py` so the screens can grow their queries without touching the write path.
The clients list unions CRM clients with accounting counterparties the CRM has not adopted yet,
so a client entered in 1C by someone else is found the same way as one made here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from tui_crm.domain.custom import CustomFilter
from tui_crm.domain.models import Client, SyncState
from tui_crm.domain.validation import ClientKind, phone_search_key
from tui_crm.store.crm import ClientRecord
from tui_crm.store.custom import filter_sql
from tui_crm.store.db import Database
from tui_crm.store.search import short_number_match

_MAX_WORDS = 8


@dataclass(frozen=True)
class ClientRow:
    """One line of the clients list."""

    id: str
    name: str
    inn: str
    phones: tuple[str, ...]
    debt: Decimal | None
    sync_state: SyncState
    sync_error: str | None
    origin: str  # "crm" | "accounting" (a counterparty not yet in the CRM)
    code: str = ""  # accounting's code, once accounting has the client


@dataclass(frozen=True)
class LookupHit:
    """A quick-lookup answer: a client or an invoice."""

    kind: str  # "client" | "invoice"
    id: str
    title: str
    detail: str
    client_id: str | None = None
    date: datetime | None = None
    total: Decimal | None = None
    posted: bool = False
    phone: str = ""


def phone_keys_for_query(text: str) -> list[str]:
    """Digit strings to look for in stored phone keys.

    `phone_search_key` drops a +7/8 prefix only when unambiguous; an operator who types
    `8 912 34` or `8(912)` has clearly written a trunk prefix too, so that form is tried as well.
    """
    key = phone_search_key(text)
    if len(key) < 3:
        return []
    keys = [key]
    if re.match(r"^\s*[78][\s(\-.]", text) and len(key) > 4:
        keys.append(key[1:])
    return keys


class ViewsStore:
    """Read models for screens; mixed into `Store`."""

    db: Database

    def client_rows(self, text: str = "", limit: int = 200, custom: CustomFilter | None = None) -> list[ClientRow]:
        """Type-to-filter over clients and unadopted counterparties, by name words, ИНН or phone,
        and by one company-specific field (`custom`): the one "which clients match this text"
        read (clients list, F4 lookup, `tui-crm status`)."""
        words = [w for w in text.lower().split() if w][:_MAX_WORDS]
        phone_keys = phone_keys_for_query(text) if any(ch.isdigit() for ch in text) else []
        crm_where, acc_where = "TRUE", "TRUE"
        crm_params: list[Any] = []
        acc_params: list[Any] = []
        if words:
            crm_where = " AND ".join("contains(search, ?)" for _ in words)
            crm_params = list(words)
            acc_where = " AND ".join(
                "contains(lower(name || ' ' || full_name || ' ' || inn), ?)" for _ in words
            )
            acc_params = list(words)
            if phone_keys:
                by_phone = " OR ".join("contains(phone_keys, ?)" for _ in phone_keys)
                crm_where = f"(({crm_where}) OR {by_phone})"
                crm_params += phone_keys
                acc_where = f"(({acc_where}) OR {by_phone})"
                acc_params += phone_keys
        if custom is not None:
            fragment, params = filter_sql(custom)
            crm_where = f"({crm_where}) AND {fragment}"
            crm_params += params
            acc_where = f"({acc_where}) AND {fragment}"
            acc_params += params
        sql = f"""
            SELECT id, name, inn, phones, debt, sync_state, sync_error, origin, accounting_code FROM clients
            WHERE {crm_where}
            UNION ALL
            SELECT id, name, inn, coalesce(phones, []::VARCHAR[]), debt, 'in_accounting', NULL, 'accounting', code
            FROM counterparties
            WHERE NOT is_folder AND NOT deletion_mark AND id NOT IN (SELECT id FROM clients)
              AND {acc_where}
            ORDER BY lower(name), id
            LIMIT ?
        """
        rows = self.db.cursor().execute(sql, [*crm_params, *acc_params, limit]).fetchall()
        return [
            ClientRow(r[0], r[1], r[2], tuple(r[3] or ()), r[4], SyncState(r[5]), r[6], r[7], r[8] or "")
            for r in rows
        ]

    def clients_named(self, text: str, limit: int = 10) -> list[ClientRow]:
        """Clients (CRM, or accounting's unadopted counterparties) that `text` names exactly: the
        id, the ИНН, the accounting code or the whole name (case aside). How a script says which
        client (`tui-crm invoice add --client`); several rows mean the text is ambiguous."""
        needle = text.strip()
        if not needle:
            return []
        low = needle.lower()
        rows = self.db.cursor().execute(
            """
            SELECT id, name, inn, phones, debt, sync_state, sync_error, origin, accounting_code FROM clients
            WHERE id = ? OR (inn <> '' AND inn = ?) OR (accounting_code <> '' AND accounting_code = ?)
               OR lower(name) = ?
            UNION ALL
            SELECT id, name, inn, coalesce(phones, []::VARCHAR[]), debt, 'in_accounting', NULL, 'accounting', code
            FROM counterparties
            WHERE NOT is_folder AND NOT deletion_mark AND id NOT IN (SELECT id FROM clients)
              AND (id = ? OR (inn <> '' AND inn = ?) OR (code <> '' AND code = ?) OR lower(name) = ?)
            ORDER BY lower(name), id
            LIMIT ?
            """,
            [needle, needle, needle, low, needle, needle, needle, low, limit],
        ).fetchall()
        return [
            ClientRow(r[0], r[1], r[2], tuple(r[3] or ()), r[4], SyncState(r[5]), r[6], r[7], r[8] or "")
            for r in rows
        ]

    def counterparty_client(self, counterparty_id: str) -> ClientRecord | None:
        """An accounting counterparty the CRM has not adopted, shaped as a client record."""
        r = self.db.cursor().execute(
            "SELECT id, name, full_name, inn, kpp, legal_form, code, phones, email, address, debt, comment "
            "FROM counterparties WHERE id = ?",
            [counterparty_id],
        ).fetchone()
        if r is None:
            return None
        try:
            kind = ClientKind.from_onec(r[5], r[3])
        except ValueError:
            kind = ClientKind.LEGAL_ENTITY
        client = Client(id=r[0], kind=kind, name=r[1], full_name=r[2], inn=r[3], kpp=r[4],
                        phones=tuple(r[7] or ()), email=r[8] or "", address=r[9] or "", comment=r[11] or "")
        epoch = datetime(1970, 1, 1)
        return ClientRecord(client, "accounting", SyncState.IN_ACCOUNTING, None, r[6], r[10], epoch, epoch)

    def lookup(self, text: str, limit: int = 10) -> list[LookupHit]:
        """Quick lookup: invoices by number, then clients by name, phone or ИНН."""
        text = text.strip()
        if not text:
            return []
        hits: list[LookupHit] = []
        needle = text.lower()
        short_sql, short_params = short_number_match("i.number", text)
        for r in self.db.cursor().execute(
            "SELECT i.id, i.number, i.date, i.total, i.client_id, coalesce(c.name, cp.name, ''), i.posted "
            "FROM invoices i LEFT JOIN clients c ON c.id = i.client_id "
            "LEFT JOIN counterparties cp ON cp.id = i.client_id "
            f"WHERE i.number <> '' AND (contains(lower(i.number), ?) OR {short_sql}) "
            f"ORDER BY {short_sql} DESC, i.date DESC, i.id LIMIT ?",
            [needle, *short_params, *short_params, limit],
        ).fetchall():
            hits.append(LookupHit("invoice", r[0], r[1], r[5], client_id=r[4], date=r[2], total=r[3],
                                  posted=bool(r[6])))
        for row in self.client_rows(text, limit=limit):
            hits.append(LookupHit("client", row.id, row.name, row.inn, client_id=row.id,
                                  phone=row.phones[0] if row.phones else ""))
        return hits
