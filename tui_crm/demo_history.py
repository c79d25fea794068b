"""A few weeks of history in a fresh demo's accounting, so that the first screen is believable.

A new demo base has catalogs, clients and stock but no deals: every debt 0.00, no order to open.
`write_history` makes eight invoices dated over the last four weeks for clients accounting has,
exactly as an operator would — `quick.add_invoice` (the shell's `tui-crm invoice add`), pushed by
the sync engine — and then lets the clerk of the sandbox act on them with the clerk's own
commands (`tui-crm sandbox post | pay | ship`, over OData): some posted, paid in full, in part or
not at all, shipped in full, in part or not yet, two left for the operator to post. So the list
shows debts, the card's Invoices tab has orders in every state, and an order view has payments
and shipments. Nothing here is special to the demo: it is the product's own paths, run once.

Only `tui-crm demo` calls it, on a base it has just seeded (`--no-history` skips it); a failure
is one line on the console and the demo starts anyway.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from tui_crm.config import AccountingSettings, SyncSettings
from tui_crm.domain.zone import utc_to_wall
from tui_crm.quick import add_invoice
from tui_crm.store import Store
from tui_crm.store.views import ClientRow


@dataclass(frozen=True)
class Fate:
    """What accounting has done with one invoice by today."""

    days_ago: int
    post: bool = True
    paid: Decimal = Decimal(0)      # share of the total, paid by bank (cash when `cash`)
    cash: bool = False
    ship: str = ""                  # "" not shipped, "all", "first" (the first line only)


#: Oldest first: two closed deals, two shipped and owed (one part-paid), one half done, one
#: posted and waiting, two the operator still has to post.
FATES = (
    Fate(26, paid=Decimal(1), ship="all"),
    Fate(21, paid=Decimal(1), cash=True, ship="all"),
    Fate(16, paid=Decimal("0.4"), ship="all"),
    Fate(12, ship="all"),
    Fate(8, paid=Decimal("0.5"), ship="first"),
    Fate(5),
    Fate(2, post=False),
    Fate(1, post=False),
)


#: Days from an invoice to its payment and to its shipment (capped at today).
PAID_AFTER, SHIPPED_AFTER = 2, 4


#: The clerk's command line (`tui-crm sandbox …` without the words `tui-crm sandbox`) → exit code;
#: the CLI hands in the sandbox's own entry point (tui_crm imports the sandbox only there).
Clerk = Callable[[list[str]], int]


def _clerk(clerk: Clerk, url: str, *argv: str) -> None:
    """One clerk command against the demo's sandbox, its console output swallowed."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = clerk([*argv, "--url", url])
    if code != 0:
        raise RuntimeError(f"tui-crm sandbox {' '.join(argv)}: {out.getvalue().strip()}")


async def _invoices(store: Store, accounting: AccountingSettings,
                    sync: SyncSettings) -> list[tuple[str, Decimal, Fate]]:
    """Pull, write one invoice per fate, push them; (1C number, total, fate) of each."""
    from tui_crm.sync.service import SyncService

    service = SyncService.from_settings(store, accounting, sync=sync)
    try:
        if await service.pull_now() is None:
            raise RuntimeError(f"pull failed: {service.last_error}")
        warehouses, price_types = store.warehouses(), store.price_types()
        if not warehouses or not price_types:
            raise RuntimeError("the base has no warehouse or price type")
        warehouse, price_type = warehouses[0], price_types[0]
        products = [r for r in store.picker_search(warehouse.id, price_type.id, "", limit=400)
                    if r.price is not None and r.free_stock >= 20]
        clients: list[ClientRow] = [c for c in store.client_rows(limit=400) if c.origin == "accounting"]
        if len(products) < 10 or len(clients) < len(FATES):
            raise RuntimeError("the base has too few products in stock or clients")
        rng = random.Random(20261205)  # the same history for every fresh demo
        today = utc_to_wall(store.clock())
        made: list[tuple[str, Fate]] = []
        for fate, client in zip(FATES, rng.sample(clients, len(FATES)), strict=True):
            lines = [f"{p.code}:{rng.randint(1, 6)}" for p in rng.sample(products, rng.randint(2, 4))]
            day = (today - timedelta(days=fate.days_ago)).strftime("%d.%m.%Y")
            answer = add_invoice(store, {"client": client.id, "warehouse": warehouse.id,
                                         "price_type": price_type.id, "lines": lines, "date": day})
            made.append((answer["id"], fate))
        for _ in range(10):
            pushed = await service.push_now()
            if pushed is None or not pushed.attempted or pushed.offline:
                break
    finally:
        await service.aclose()
    out = []
    for iid, fate in made:
        rec = store.get_invoice(iid)
        if rec is None or not rec.number:
            raise RuntimeError("an invoice did not reach accounting")
        out.append((rec.number, rec.invoice.total, fate))
    return out


def write_history(url: str, store: Store, accounting: AccountingSettings, sync: SyncSettings, clerk: Clerk) -> int:
    """Write the history (see the module docstring) into the demo base at `url` through `store`;
    the number of invoices written."""
    made = asyncio.run(_invoices(store, accounting, sync))
    today = utc_to_wall(store.clock()).date()

    def day(after: int, fate: Fate) -> str:
        """The document's date: `after` days after the invoice, never later than today."""
        return (today - timedelta(days=max(0, fate.days_ago - after))).isoformat()

    for number, total, fate in made:
        if not fate.post:
            continue
        _clerk(clerk, url, "post", number)
        if fate.paid:
            amount = (total * fate.paid).quantize(Decimal("0.01"))
            _clerk(clerk, url, "pay", number, "--amount", str(amount), "--date", day(PAID_AFTER, fate),
                   *(["--cash"] if fate.cash else []))
        if fate.ship:
            _clerk(clerk, url, "ship", number, "--date", day(SHIPPED_AFTER, fate),
                   *(["--line", "1"] if fate.ship == "first" else []))
    return len(made)
