"""`tui-crm status QUERY [--json]`: quick lookups over SSH without opening the TUI.

Answers from the local store (invoices and clients matching a number, name, phone or ИНН, with
paid %, shipped %, posted/locked and the age of the data). While a running TUI holds the store
(DuckDB locks the file against every other process), it answers from accounting directly over
OData and says so.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from tui_crm import cli_text  # noqa: F401 - registers the strings below
from tui_crm.config import Settings
from tui_crm.domain.zone import utc_to_wall
from tui_crm.i18n import tr

if TYPE_CHECKING:
    from tui_crm.store import Store


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")


def clean_query(query: str) -> str:
    """The search text as one line of plain text: bytes that are not UTF-8 (a shell can pass any)
    become U+FFFD, each run of control characters (tab, newline, escape, …) one space. OData has
    no escape for control characters, so the literal builder refuses them; a tab typed into a
    search means a space."""
    text = query.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return " ".join(_CONTROL.sub(" ", text).split())


MAX_QUERY = 200
"""Longest search text: a number, a name, a phone or an ИНН is far shorter, and a longer one
would only make an OData URL that the client or 1C's web server refuses."""


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _age(at: datetime | None, now: datetime) -> str:
    if at is None:
        return "never"
    seconds = int((now - at).total_seconds())
    if seconds < 90:
        return f"{max(seconds, 0)} s ago"
    if seconds < 5400:
        return f"{seconds // 60} min ago"
    if seconds < 172800:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} d ago"


_AGE = re.compile(r"(\d+) (s|min|h|d) ago")
_AGE_UNIT = {"s": "age.s", "min": "age.m", "h": "age.h", "d": "age.d"}  # i18n.format_age's words


def _say_age(age: str) -> str:
    """The answer's "age" (English, as --json gives it: "5 min ago", "never", "live") in the
    current language."""
    found = _AGE.fullmatch(age)
    if found:
        return tr("status.cmd.age.ago", age=tr(_AGE_UNIT[found[2]], n=int(found[1])))
    return str(tr(f"status.cmd.age.{age}")) if age in ("never", "live") else age


def _say_state(state: str) -> str:
    """A sync state ("in_accounting", …) as the screens word it (i18n "sync.*"), lower case."""
    text = str(tr(f"sync.{state}"))
    if text == f"sync.{state}":
        return state.replace("_", " ")
    return text[:1].lower() + text[1:]


def _num(v: Decimal | None) -> str:
    """An amount as the screens show it: 1C's rounding, the interface language's decimal mark
    (f"{v:,.2f}" rounded halves to even and always wrote a point)."""
    from tui_crm.widgets.money import format_money, ui_lang

    return "" if v is None else format_money(v, ui_lang())


def from_store(store: Store, query: str, now: datetime) -> dict[str, Any]:
    """Invoices with their progress and the clients the clients list would show for `query`."""
    orders = store.order_progress(text=query, limit=20)
    clients = store.client_rows(query, limit=20)
    return {
        "source": "store",
        "invoices": [
            {"id": o.id, "number": o.number, "client": o.client_name, "date": utc_to_wall(o.date).isoformat(sep=" "),
             "total": str(o.total), "paid_pct": str(o.paid_pct), "shipped_pct": str(o.shipped_pct),
             "posted": o.posted, "locked": o.posted, "sync_state": o.sync_state,
             "checked_at": utc_to_wall(o.checked_at).isoformat(sep=" ") if o.checked_at else None,
             "age": _age(o.checked_at, now)}
            for o in orders
        ],
        "clients": [
            {"id": c.id, "name": c.name, "inn": c.inn, "phones": list(c.phones),
             "debt": None if c.debt is None else str(c.debt), "sync_state": c.sync_state.value,
             "code": c.code}
            for c in clients
        ],
    }


async def from_accounting(settings: Settings, query: str) -> dict[str, Any]:
    """Same answer shape, straight from 1C (the store is held by a running TUI)."""
    from tui_crm.domain.number import search_words, word_found
    from tui_crm.domain.status import OrderedLine, percent, shipped_share
    from tui_crm.sync import parse, queries
    from tui_crm.sync.jobs import settlement_links
    from tui_crm.sync.odata.literals import lit_guid
    from tui_crm.sync.profile import load_profile
    from tui_crm.sync.service import client_from_settings

    p = load_profile(settings.accounting.profile, base_dir=(settings.source.parent if settings.source else None))
    client = client_from_settings(settings.accounting)
    try:
        cps: list[dict[str, Any]] = []
        if query.strip():
            cps = await client.get_all(queries.counterparty_search(p, query.strip()))
        cp = p["counterparty"]
        # Accounting's answer is data, not a promise: a row without a usable Ref_Key is skipped,
        # a null name or ИНН shows as empty.
        names: dict[str, str] = {}
        extra_names: dict[str, str] = {}
        inns: dict[str, str] = {}
        def key_of(row: dict[str, Any]) -> str | None:
            """The row's counterparty key, None when it has no usable Ref_Key."""
            try:
                return lit_guid(_text(row.get(cp.f("id"))))[5:-1]
            except (TypeError, ValueError):
                return None

        for r in cps:
            if (key := key_of(r)) is None:
                continue
            names.setdefault(key, _text(r.get(cp.f("name"))))
            inns.setdefault(key, _text(r.get(cp.f("inn"))))
            if len(names) >= 20:
                break
        # Each word of the search is found in the order's number or in its client's name or ИНН,
        # as the store finds it ("Ромашка 9": Ромашка's orders whose number is 9); one word's
        # clients are the whole text's, asked above.
        words = search_words(query.strip())
        word_clients: list[list[str]] = []
        for w in words if len(words) > 1 else []:
            ids: list[str] = []
            for r in await client.get_all(queries.counterparty_search(p, w)):
                if (key := key_of(r)) is None:
                    continue
                if key not in ids:
                    ids.append(key)
                    extra_names.setdefault(key, _text(r.get(cp.f("name"))))
                if len(ids) >= min(20, p.ids_per_request):
                    break
            word_clients.append(ids)
        if len(words) == 1:
            word_clients = [list(names)[:p.ids_per_request]]
        q = queries.orders_search(p, query.strip(), list(names)[:p.ids_per_request], word_clients)
        # The 20 newest: one page, not all of them.
        rows = await client.get_page(q.path, select=list(q.select), filter=q.filter, orderby=q.orderby, top=20)
        states = []
        ordered: dict[str, list[OrderedLine[str]]] = {}
        for r in rows[:20]:
            try:
                state, _wh, _pt, _incl, _comment, goods = parse.order_full(p, r)
            except parse.BadData:
                continue  # one odd row does not hide the others
            if state.client_id not in names and not all(
                    word_found(state.number or "", w) or state.client_id in ids
                    for w, ids in zip(words, word_clients, strict=True)):
                continue  # the filter's rare extra (tui_crm.sync.queries.substringof_number)
            states.append(state)
            # product, quantity, price, discount, amount, …: the share is weighed by amount,
            # as the store's answer and the order screen weigh it
            ordered[state.id] = [OrderedLine(line[0], line[1], line[4]) for line in goods]
        ids = [s.id for s in states]
        # Orders found by number name their clients too, as the store's answer does.
        unnamed = sorted({s.client_id for s in states if s.client_id and s.client_id not in names})
        for cq in (queries.counterparties_by_id(p, unnamed) if unnamed else []):
            for r in await client.get_all(cq):
                if (key := key_of(r)) is None:
                    continue
                extra_names[key] = _text(r.get(cp.f("name")))
        shipped: dict[str, dict[str, Decimal]] = {}
        for sq in (queries.shipments(p, ids) if ids else []):
            for r in await client.get_all(sq):
                try:
                    ship = parse.shipment(p, r, set(ids))
                except parse.BadData:
                    continue
                if ship is None or not ship.posted:
                    continue
                per_product = shipped.setdefault(ship.invoice_id, {})
                for sl in ship.lines:
                    per_product[sl.product_id] = per_product.get(sl.product_id, Decimal(0)) + sl.quantity
        paid: dict[str, Decimal] = {}
        links = await settlement_links(client, p, ids) if ids else None
        link_ids = list(links) if links is not None else ids
        for key in ("bank_payment", "cash_payment"):
            for pq in (queries.payments(p, key, link_ids) if link_ids else []):
                for r in await client.get_all(pq):
                    try:
                        found = parse.payments(p, key, r, set(ids), links)
                    except parse.BadData:
                        continue
                    for pay in found:
                        if pay.posted:
                            paid[pay.invoice_id] = paid.get(pay.invoice_id, Decimal(0)) + pay.amount
        invoices = []
        for s in states:
            total = s.total or Decimal(0)
            invoices.append({
                "id": s.id, "number": s.number,
                "client": names.get(s.client_id or "", "") or extra_names.get(s.client_id or "", ""),
                "date": utc_to_wall(s.date).isoformat(sep=" ") if s.date else None, "total": str(total),
                "paid_pct": str(percent(paid.get(s.id, Decimal(0)) / total) if total else 0),
                "shipped_pct": str(percent(shipped_share(ordered.get(s.id, []), shipped.get(s.id, {})))),
                "posted": s.posted, "locked": s.posted, "sync_state": "in_accounting",
                "checked_at": None, "age": "live"})
        clients: list[dict[str, Any]] = [{"id": k, "name": v, "inn": inns.get(k, ""), "phones": [], "debt": None,
                    "sync_state": "in_accounting", "code": ""} for k, v in names.items()]
        return {"source": "accounting", "invoices": invoices, "clients": clients,
                "requests": client.stats.requests}
    finally:
        await client.aclose()


def render(answer: dict[str, Any]) -> str:
    """The answer as plain text for a terminal. Names, numbers and ИНН come from 1C or a user:
    escape sequences in them (a 1C name that clears the screen, an OSC 52 clipboard write) are
    taken out by the one rule for shown text (tui_crm.widgets.text.clean), as the screens do."""
    from tui_crm.domain.money import round_whole
    from tui_crm.widgets.text import clean

    lines: list[str] = []
    if answer["source"] == "accounting":
        lines.append(tr("status.cmd.from_accounting"))
    inv = answer["invoices"]
    if inv:
        col = {k: tr(f"status.cmd.col.{k}") for k in ("number", "client", "total", "paid", "shipped", "state", "data")}
        states = [str(tr("status.cmd.posted")) if o["posted"] else _say_state(o["sync_state"]) for o in inv]
        wide = max(14, *(len(s) for s in states))  # "проведён, закрыт" is longer than "posted, locked"
        lines.append(f"{col['number']:<13} {col['client']:<28} {col['total']:>12} {col['paid']:>6} "
                     f"{col['shipped']:>8}  {col['state']:<{wide}} {col['data']}")
        for o, state in zip(inv, states, strict=True):
            shipped = "" if o["shipped_pct"] is None else f"{round_whole(o['shipped_pct'])}%"
            lines.append(f"{(clean(o['number']) or tr('status.cmd.no_number')):<13} {clean(o['client'])[:28]:<28} "
                         f"{_num(Decimal(o['total'])):>12} "
                         f"{round_whole(o['paid_pct']):>5}% {shipped:>8}  {state:<{wide}} {_say_age(o['age'])}")
    cl = answer["clients"]
    if cl:
        if inv:
            lines.append("")
        lines.append(f"{tr('status.cmd.col.client'):<32} {tr('status.cmd.col.inn'):<13} "
                     f"{tr('status.cmd.col.debt'):>12}  {tr('status.cmd.col.state')}")
        for c in cl:
            debt = "" if c["debt"] is None else _num(Decimal(c["debt"]))
            lines.append(f"{clean(c['name'])[:32]:<32} {clean(c['inn']):<13} {debt:>12}  "
                         f"{_say_state(c['sync_state'])}")
    if not inv and not cl:
        lines.append(tr("status.cmd.nothing"))
    return "\n".join(lines)


def run(settings: Settings, query: str, *, as_json: bool = False) -> int:
    """Exit codes: 0 found, 3 nothing found, 1 accounting could not be asked, 2 a blank search,
    store or settings unusable (missing, a folder, not a CRM data file, no permission, in use with
    no URL to ask)."""
    from tui_crm.config import ConfigError
    from tui_crm.store import Store, StoreError, StoreLocked

    query = clean_query(query)
    if not query:  # a blank search listed 20 clients: an answer to no question, taken as one
        print(tr("status.cmd.blank"), file=sys.stderr)
        return 2
    if len(query) > MAX_QUERY:
        print(tr("status.cmd.too_long", n=len(query), max=MAX_QUERY), file=sys.stderr)
        return 2
    path = settings.store_path
    # status only reads: a mistyped --store must not leave a new empty database behind.
    if not path.exists():
        print(tr("cli.store_missing", prog="tui-crm status", path=path), file=sys.stderr)
        return 2
    try:
        store = Store.open(path)
    except StoreLocked:
        if not settings.accounting.url:
            print(tr("status.cmd.in_use_no_url"), file=sys.stderr)
            return 2
        import httpx

        from tui_crm.sync.odata import ODataError
        from tui_crm.sync.profile import ProfileError

        try:
            answer = asyncio.run(from_accounting(settings, query))
        except (ProfileError, ConfigError) as exc:
            from tui_crm.sync.reach import error_words

            print(tr("status.cmd.cannot_ask", error=error_words(exc) or exc), file=sys.stderr)
            return 2
        except (ODataError, httpx.HTTPError) as exc:
            from tui_crm.sync.reach import error_words

            print(tr("status.cmd.could_not_ask", error=error_words(exc) or exc), file=sys.stderr)
            return 1
    except StoreError as exc:
        print(f"tui-crm status: {exc}", file=sys.stderr)
        return 2
    else:
        try:
            answer = from_store(store, query, store.clock())
        finally:
            store.close()
    if as_json:
        print(json.dumps(answer, ensure_ascii=False, indent=2))
    else:
        print(render(answer))
    return 0 if (answer["invoices"] or answer["clients"]) else 3
