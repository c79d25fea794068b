"""The hostile corpus over every screen (issue 9, "A hostile corpus test").

A real DuckDB store is seeded so that the mirror AND the CRM tables carry texts from
`onec_sandbox/hostile.py` (markup, `[@click=…]`, ANSI/OSC escapes, CR, VT, NUL, bidi marks,
combining marks, emoji, 10k-character strings): product names, codes and units, warehouse and
price-type names, a counterparty (name, ИНН, КПП, phones, e-mail, address), a client (name, full
name, ИНН, КПП, phone, e-mail, address, comment), invoices (comment, 1C number), payment and
shipment documents, sync runs with 1C's error, an outbox item 1C refused, a quarantined row.
Then the full app (`CrmApp`) is driven by keys through every screen, modal, `Select`, toast, F1
help, the command palette and the F4 lookup.

The corpus is taken in two runs of 15 texts; in a run, object j of a list (clients, products,
warehouses, payments, runs…) carries text j, shifted per field, so every list shows all 15 and,
over both runs, every list field carries every text; single fields (the first client's card) see
one text per run. After each step the test asserts: the app still runs, nothing failed, no ESC
byte (nor any other control character or bidi override) is in any rendered segment, and the
literal cleaned text (`clean(text)`, or its start where the cell cuts it) is on screen, read
from the compositor's cells inside the region of the widget that shows it, not from the data
put in.

Everything is written through the store's own writers (`write_mirror`, `save_client`,
`replace_counterparties`, `save_invoice`, `invoice_pushed`, `outbox_failed`, `replace_payments`,
`replace_shipments`, `start_run`/`finish_run`); no SQL here. The engine's events (a pull that
failed, a push 1C refused, a payment or shipment arriving) go in through the host's engine
callback, the path the sync engine uses.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from rich.cells import cell_len
from rich.segment import Segment
from textual import events
from textual.app import App
from textual.command import CommandList, CommandPalette
from textual.geometry import Region
from textual.pilot import Pilot
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import DataTable, Input, Select
from textual.widgets._select import SelectOverlay

from onec_sandbox.hostile import CORPUS, cycle
from tests.clock import TestClock
from tests.seed import FROZEN_NOW, settle
from tui_crm.app import CrmApp
from tui_crm.domain.invoice import Invoice, InvoiceLine
from tui_crm.domain.models import Client
from tui_crm.domain.validation import ClientKind
from tui_crm.domain.vat import VatRate
from tui_crm.i18n import set_language
from tui_crm.screens.client_card import ClientCardScreen
from tui_crm.screens.clients import ClientsScreen
from tui_crm.screens.forms import LineEditScreen, QuantityScreen
from tui_crm.screens.help import HelpScreen
from tui_crm.screens.invoice import InvoiceScreen
from tui_crm.screens.order import OrderScreen
from tui_crm.screens.picker import PickerScreen
from tui_crm.screens.products import ProductsScreen
from tui_crm.screens.sync_log import ErrorTextScreen, SyncLogScreen
from tui_crm.store import (
    PaymentRow,
    PriceRow,
    PriceTypeRow,
    ProductRow,
    ShipmentLine,
    ShipmentRow,
    StockRow,
    Store,
    WarehouseRow,
)
from tui_crm.sync import events as sync
from tui_crm.sync.parse import BadData
from tui_crm.sync.pull import quarantine_note
from tui_crm.widgets.confirm import ConfirmModal
from tui_crm.widgets.text import clean

SIZE = (150, 50)
N = 15  # corpus texts per run: two runs cover the corpus
CHUNKS = [CORPUS[i:i + N] for i in range(0, len(CORPUS), N)]
CLIENT_PHONE = "+7912000770"     # + one digit per client; typed in the searches
POSTED_NUMBER = "ЦБ-0077"        # + two digits; typed in the F4 lookup, a corpus text follows it


def uid(prefix: str, n: int) -> str:
    return f"{prefix}900000-0000-0000-0000-{n:012d}"


CLIENT, DRAFT, POSTED = uid("d0", 0), uid("f0", 0), uid("f0", 1)

# Field slots: object j of a run's field `slot` carries text(base + j + slot) (wrapping), so each
# list field shows the run's N texts and, over both runs, the whole corpus.
(S_WAREHOUSE, S_PRICE_TYPE, S_PRODUCT, S_CODE, S_UNIT, S_CP_NAME, S_CP_INN, S_KPP, S_FULL_NAME, S_INN,
 S_NAME, S_PHONE, S_EMAIL, S_ADDRESS, S_COMMENT, S_INV_COMMENT, S_NUMBER, S_PAYMENT, S_SHIPMENT,
 S_RUN_ERROR, S_PUSH_ERROR, S_QUARANTINE, S_PULL_TOAST, S_CLIENT_ERROR) = range(24)


class Texts:
    """The corpus texts of one run, by field slot and object number."""

    def __init__(self, base: int) -> None:
        self.base = base

    def __call__(self, slot: int, j: int = 0) -> str:
        return cycle(self.base + (j + slot) % N)

    def all(self, slot: int, n: int = N) -> list[str]:
        return [self(slot, j) for j in range(n)]


def seed_hostile(store: Store, t: Texts) -> None:
    """The mirror and the CRM tables with corpus texts, through the store's own writers."""
    warehouses = [uid("a0", j) for j in range(N)]
    price_types = [uid("b0", j) for j in range(N)]
    products = [uid("c0", j) for j in range(N)]
    store.write_mirror(  # as a pull writes it: the pull's own stages and merge
        warehouses=[WarehouseRow(w, f"{j:09d}", t(S_WAREHOUSE, j), data_version="1")
                    for j, w in enumerate(warehouses)],
        price_types=[PriceTypeRow(p, f"{j:09d}", t(S_PRICE_TYPE, j), data_version="1")
                     for j, p in enumerate(price_types)],
        products=[ProductRow(p, t(S_CODE, j), f"ART-{j}", t(S_PRODUCT, j), t(S_PRODUCT, j), None, t(S_UNIT, j),
                             "НДС20", data_version="1") for j, p in enumerate(products)],
        prices=[PriceRow(price_types[0], p, Decimal("123.45")) for p in products],
        stock=[StockRow(warehouses[0], p, Decimal(7)) for p in products],
    )
    pulled = store.start_run("pull", datetime(2026, 11, 30, 11, 59, 48))
    store.finish_run(pulled, ok=True, rows_read=5, requests=7, finished_at=datetime(2026, 11, 30, 11, 59, 48))
    at = datetime(2026, 11, 20, 10, 0)
    for j in range(N):
        store.save_client(Client(uid("d0", j), ClientKind.LEGAL_ENTITY, t(S_NAME, j), t(S_FULL_NAME, j),
                                 t(S_INN, j), t(S_KPP, j), (f"{CLIENT_PHONE}{j % 10}", t(S_PHONE, j)),
                                 t(S_EMAIL, j), t(S_ADDRESS, j), t(S_COMMENT, j)), queue=j == 0, now=at)
    refused = store.outbox_open_for("client", CLIENT)  # the first client: 1C refused it, with its message
    assert refused is not None
    store.outbox_failed(refused.id, t(S_CLIENT_ERROR), now=at)
    with store.transaction() as cur:
        # counterparties only accounting has, through the reference pull's writer (COUNTERPARTY_COLUMNS)
        store.replace_counterparties(cur, [(uid("e0", j), f"00-{j:06d}", t(S_CP_NAME, j), t(S_CP_NAME, j),
                                            t(S_CP_INN, j), t(S_KPP, j), "ЮрЛицо", False, False, "1", [t(S_PHONE, j)],
                                            t(S_EMAIL, j), t(S_ADDRESS, j), t(S_COMMENT, j), "{}")
                                           for j in range(N)])
    lines = tuple(InvoiceLine(p, t(S_CODE, j), t(S_PRODUCT, j), t(S_UNIT, j), Decimal(3), Decimal("123.45"),
                              vat_rate=VatRate.НДС20) for j, p in enumerate(products))
    for k in range(N):  # 0: a draft, 1..: posted in accounting with a number; N/2..: refused by 1C
        store.save_invoice(uid("f0", k), Invoice(lines=lines if k == 0 else lines[:1], client_id=CLIENT,
                                                 warehouse_id=warehouses[0], price_type_id=price_types[0],
                                                 comment=t(S_INV_COMMENT, k)),
                           date=datetime(2026, 11, 1 + k, 9, 0), queue=True, now=at)
        item = store.outbox_open_for("invoice", uid("f0", k))
        assert item is not None
        if k >= N // 2:
            store.outbox_failed(item.id, t(S_PUSH_ERROR, k), now=at)
        elif k:
            store.outbox_done(item.id)
            store.invoice_pushed(uid("f0", k), number=f"{POSTED_NUMBER}{k:02d} {t(S_NUMBER, k)}", data_version="2",
                                 posted=True, now=at)
    with store.transaction() as cur:
        store.replace_payments(cur, [POSTED], [PaymentRow(uid("f1", j), "bank", t(S_PAYMENT, j),
                                                          datetime(2026, 11, 26), POSTED, Decimal(1), True)
                                               for j in range(N)])
        store.replace_shipments(cur, [POSTED], [ShipmentRow(uid("f2", j), t(S_SHIPMENT, j), datetime(2026, 11, 27),
                                                            POSTED, True, (ShipmentLine(1, products[0], Decimal(0)),))
                                                for j in range(N)])
    for j in range(N):
        run = store.start_run("pull", datetime(2026, 11, 30, 11, 0, j))
        store.finish_run(run, ok=False, requests=1, finished_at=datetime(2026, 11, 30, 11, 0, j),
                         error=t(S_RUN_ERROR, j))
    skipped = [BadData("product", t(S_QUARANTINE, j), {"Ref_Key": t(S_QUARANTINE, j + 1)}) for j in range(3)]
    quarantine = store.start_run("pull", datetime(2026, 11, 30, 11, 59))
    store.finish_run(quarantine, ok=True, rows_read=1, requests=3, finished_at=datetime(2026, 11, 30, 11, 59, 5),
                     error=quarantine_note(skipped))


# -- reading the screen --------------------------------------------------------------------------
def rendered(app: App[None]) -> list[Strip]:
    """The screen as the terminal would get it (the compositor's full update, as
    `export_screenshot` renders it), one strip per line."""
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    return [Strip.join(line) for line in update.strips]  # type: ignore[union-attr]


def cells(strips: list[Strip]) -> list[list[str]]:
    """Each line as its terminal cells: a wide character fills its cell and leaves the next
    empty; a zero-width character joins the cell before it."""
    grid = []
    for strip in strips:
        row: list[str] = []
        for text, _style, control in strip:
            if control:
                continue
            for char in text:
                width = cell_len(char)
                if width == 0 and row:
                    row[-1] += char
                elif width == 2:
                    row += [char, ""]
                else:
                    row.append(char)
        grid.append(row)
    return grid


def text_in(grid: list[list[str]], region: Region) -> str:
    return "\n".join("".join(row[region.x:region.right]) for row in grid[region.y:region.bottom])


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")  # and bidi overrides


def no_escape(strips: list[Strip]) -> None:
    """No ESC byte, nor any other control character, in the text sent to the terminal (control
    segments are Textual's own cursor moves)."""
    for strip in strips:
        for segment in strip:
            assert isinstance(segment, Segment)
            if not segment.control:
                assert not _CONTROL.search(segment.text), f"control character on screen: {segment.text!r}"


def normalise(text: str) -> str:
    """Zero-width characters and combining marks take no cell of their own: compare without them."""
    return "".join(c for c in text if cell_len(c) > 0)


def shown_in(lines: list[str], value: str, least: int = 4) -> bool:
    """`clean(value)` is on one of `lines` whole, or cut where its cell ends: at least `least`
    characters of it followed by an ellipsis, the cell's padding or the end of the region."""
    want = normalise(clean(value)).strip()
    if not want:
        return True
    least = min(least, len(want))
    for line in lines:
        line = normalise(line)
        at = line.find(want[:least])
        while at >= 0:
            n = least
            while n < len(want) and at + n < len(line) and line[at + n] == want[n]:
                n += 1
            rest = line[at + n:]
            if n == len(want) or rest[:1] in ("…", " ", ""):  # whole, or cut: ellipsis, cell padding, edge
                return True
            at = line.find(want[:least], at + 1)
    return False


def check(app: App[None], widget: Widget | None = None, *texts: str, least: int = 4) -> str:
    """Still running, nothing failed, no control character on screen, and each of `texts` shown
    literally (cleaned; cut where its cell ends) inside `widget`'s region (None: the screen)."""
    assert app.is_running
    assert app._exception is None
    strips = rendered(app)
    no_escape(strips)
    grid = cells(strips)
    region = app.screen.size.region if widget is None else widget.region
    shown = text_in(grid, region)
    for value in texts:
        assert shown_in(shown.splitlines(), value, least), f"{clean(value)[:80]!r} not shown in {widget!r}:\n{shown}"
    return shown


async def press(pilot: Pilot[None], *keys: str) -> None:
    await pilot.press(*keys)
    await settle(pilot)


def top(app: App[None]) -> object:
    return app.screen


# -- the test ------------------------------------------------------------------------------------
RUNS = [pytest.param(n * N, id=f"{chunk[0][0]}..{chunk[-1][0]}") for n, chunk in enumerate(CHUNKS)]


@pytest.fixture
def texts(request: pytest.FixtureRequest) -> Texts:
    return Texts(request.param)


@pytest.fixture
def store(tmp_path: Path, texts: Texts) -> Iterator[Store]:
    s = Store.open(tmp_path / "crm.duckdb", clock=TestClock())
    seed_hostile(s, texts)
    yield s
    s.close()


async def open_select(pilot: Pilot[None], select: Select[str], values: list[str]) -> None:
    """The Select shows one of `values` as its current value and all of them in its opened list
    (ten lines at a time: read at its start and at its end)."""
    check(pilot.app, select.query_one("#label"))
    assert any(shown_in(text_in(cells(rendered(pilot.app)), select.query_one("#label").region).splitlines(), v)
               for v in values)
    select.focus()
    await press(pilot, "enter")
    assert select.expanded
    overlay = select.query_one(SelectOverlay)
    await press(pilot, "home")
    seen = check(pilot.app, overlay).splitlines()
    await press(pilot, "end")
    seen += check(pilot.app, overlay).splitlines()
    for value in values:
        assert shown_in(seen, value), f"{clean(value)[:80]!r} not in the opened Select:\n" + "\n".join(seen)
    await press(pilot, "escape")
    assert not select.expanded


async def check_table(pilot: Pilot[None], table: Widget, *values: str) -> None:
    """Each of `values` is in `table` (a DataTable, the palette's list), read at the top and at
    the bottom of its rows."""
    table.scroll_home(animate=False, immediate=True)
    await pilot.pause()
    seen = check(pilot.app, table).splitlines()
    table.scroll_end(animate=False, immediate=True)
    await pilot.pause()
    seen += check(pilot.app, table).splitlines()
    table.scroll_home(animate=False, immediate=True)
    for value in values:
        assert shown_in(seen, value), f"{clean(value)[:80]!r} not in {table!r}:\n" + "\n".join(seen)


@pytest.mark.parametrize("texts", RUNS, indirect=True)
async def test_every_screen_shows_hostile_text_literally(store: Store, texts: Texts) -> None:
    t = texts
    set_language("en")
    app = CrmApp(store, clock=lambda: FROZEN_NOW, live_clock=False, autosync=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        # -- the clients list (CRM clients and accounting's counterparties), then its search
        assert isinstance(top(app), ClientsScreen)
        table = app.screen.query_one(DataTable)
        await check_table(pilot, table, *t.all(S_NAME), *t.all(S_CP_NAME), *t.all(S_INN))
        await press(pilot, "slash", *CLIENT_PHONE[2:])
        await check_table(pilot, table, *t.all(S_NAME), *t.all(S_INN))
        await press(pilot, "escape")
        await press(pilot, "f1")
        assert isinstance(top(app), HelpScreen)
        check(app)
        await press(pilot, "escape")
        # -- the client card: every field, F1 (its title is the client's name), the invoices tab
        table.focus()
        table.move_cursor(row=table.get_row_index(CLIENT))
        await press(pilot, "enter")
        card = top(app)
        assert isinstance(card, ClientCardScreen)
        check(app, card.query_one("#card-title"), t(S_NAME))
        check(app, card.query_one("#sync-line"), t(S_CLIENT_ERROR))
        for slot, field_id in ((S_NAME, "name"), (S_FULL_NAME, "full_name"), (S_INN, "inn"), (S_KPP, "kpp"),
                               (S_PHONE, "phones"), (S_EMAIL, "email"), (S_ADDRESS, "address"),
                               (S_COMMENT, "comment")):
            box = card.query_one(f"#{field_id}")
            if box.region.height:
                check(app, box, t(slot))
        duplicates = card.query_one("#duplicates")  # client 10 has client 0's phone
        duplicates.scroll_visible(animate=False, immediate=True)
        await pilot.pause()
        check(app, duplicates, t(S_NAME, 10))
        await press(pilot, "f1")
        assert isinstance(top(app), HelpScreen)
        check(app, top(app).query_one(".section"), t(S_NAME))
        await press(pilot, "escape")
        await press(pilot, "alt+2")
        invoices = card.query_one("#invoice-table", DataTable)
        await check_table(pilot, invoices, *[f"{POSTED_NUMBER}{k:02d} {t(S_NUMBER, k)}" for k in range(1, N // 2)])
        invoices.focus()
        invoices.move_cursor(row=invoices.get_row_index(DRAFT))
        # -- the invoice editor (draft): client, lines, both Selects opened, comment, F1
        await press(pilot, "enter")
        invoice = top(app)
        assert isinstance(invoice, InvoiceScreen)
        check(app, invoice.query_one("#inv-client"), t(S_NAME))
        lines = invoice.query_one(DataTable)
        await check_table(pilot, lines, *t.all(S_PRODUCT))
        await open_select(pilot, invoice.query_one("#inv-warehouse", Select), t.all(S_WAREHOUSE))
        await open_select(pilot, invoice.query_one("#inv-price-type", Select), t.all(S_PRICE_TYPE))
        check(app, invoice.query_one("#inv-comment"), t(S_INV_COMMENT))
        await press(pilot, "f1")
        check(app)
        await press(pilot, "escape")
        # -- the picker on the invoice's warehouse
        lines.focus()
        await press(pilot, "home", "e")  # the line form: the product's name and unit
        assert isinstance(top(app), LineEditScreen)
        check(app, top(app).query_one("#line-product"), t(S_PRODUCT))
        await press(pilot, "escape")
        await press(pilot, "a")
        picker = top(app)
        assert isinstance(picker, PickerScreen)
        check(app, picker.query_one("#picker-title"), t(S_WAREHOUSE))
        found = picker.query_one(DataTable)
        await check_table(pilot, found, *t.all(S_PRODUCT))
        found.focus()
        await press(pilot, "enter")  # the quantity dialog of the product under the cursor
        assert isinstance(top(app), QuantityScreen)
        check(app)
        await press(pilot, "escape", "escape")
        # -- the unsaved-changes dialog
        invoice.query_one("#inv-discount").focus()
        await press(pilot, "5", "escape")
        assert isinstance(top(app), ConfirmModal)
        check(app)
        await press(pilot, "d")  # discard: back on the card
        assert top(app) is card
        await press(pilot, "escape")
        assert isinstance(top(app), ClientsScreen)
        # -- the F4 lookup: invoices by number, then the posted order from it
        await press(pilot, "f4")
        await press(pilot, *POSTED_NUMBER[3:])
        await check_table(pilot, app.screen.query_one(CommandList),
                          *[f"{POSTED_NUMBER}{k:02d} {t(S_NUMBER, k)}" for k in range(1, N // 2)])
        await press(pilot, *"01", "enter")
        # -- the order view: items, payments, shipments; F1
        order = top(app)
        assert isinstance(order, OrderScreen)
        check(app, order.query_one("#ord-title"), f"{POSTED_NUMBER}01 {t(S_NUMBER, 1)}")
        check(app, order.query_one("#ord-client"), t(S_NAME))
        check(app, order.query_one(DataTable), t(S_PRODUCT))
        await press(pilot, "2")
        payments = order.query_one("#payment").query_one(DataTable)
        await check_table(pilot, payments, *t.all(S_PAYMENT))
        await press(pilot, "3")
        documents = list(order.query_one("#shipment").query(DataTable))[-1]
        await check_table(pilot, documents, *t.all(S_SHIPMENT))
        await press(pilot, "f1")
        check(app)
        await press(pilot, "escape", "escape")
        # -- the F4 lookup of clients: names, with ИНН as the hits' help text
        await press(pilot, "f4")
        await press(pilot, *CLIENT_PHONE[2:], "1")  # clients 1 and 11
        await check_table(pilot, app.screen.query_one(CommandList), t(S_NAME, 1), t(S_NAME, 11), t(S_INN, 1),
                          t(S_INN, 11))
        await press(pilot, "escape")
        # -- the command palette
        await press(pilot, "ctrl+p")
        assert CommandPalette.is_open(app)
        await press(pilot, *"client")
        check(app)
        await press(pilot, "escape")
        # -- products (F8): the table, both Selects opened
        await press(pilot, "f8")
        products = top(app)
        assert isinstance(products, ProductsScreen)
        found = products.query_one(DataTable)
        await check_table(pilot, found, *t.all(S_PRODUCT), *t.all(S_UNIT))
        search = products.query_one("#search", Input)  # every text pasted into the search box
        for value in t.all(S_COMMENT):
            search.value = ""
            search.focus()
            app.post_message(events.Paste(value))  # as the terminal's bracketed paste arrives
            await settle(pilot)
            search.cursor_position = 0  # the start of a long paste in view
            await pilot.pause()
            first = (clean(value, one_line=False).replace("\t", " ").splitlines() or [""])[0]
            check(app, search, first)
            check(app, products.query_one("#hint"))
            # a multi-line paste says the lines it left out (host.paste_for_input); that toast is
            # checked in test_paste_and_limits and must not cover the screens checked below
            app.clear_notifications()
        search.value = ""
        await settle(pilot)
        await open_select(pilot, products.query_one("#warehouse", Select), t.all(S_WAREHOUSE))
        await open_select(pilot, products.query_one("#price-type", Select), t.all(S_PRICE_TYPE))
        await press(pilot, "f1")
        check(app)
        await press(pilot, "escape", "escape")
        # -- the sync log (F6): runs with 1C's errors and a quarantine, the outbox 1C refused
        await press(pilot, "f6")
        log = top(app)
        assert isinstance(log, SyncLogScreen)
        runs, outbox = log.query(DataTable)
        await check_table(pilot, runs, *t.all(S_RUN_ERROR))
        check(app, outbox, *[t(S_PUSH_ERROR, k) for k in range(N // 2, N)])
        check(app, log.query_one("#sl-detail"), t(S_QUARANTINE, 0), t(S_QUARANTINE, 1))  # the newest error
        runs.focus()
        await press(pilot, "enter")  # the same in the error viewer
        assert isinstance(top(app), ErrorTextScreen)
        check(app, None, t(S_QUARANTINE, 0), t(S_QUARANTINE, 1))
        await press(pilot, "escape")
        outbox.focus()
        await press(pilot, "x")  # discard: confirm
        assert isinstance(top(app), ConfirmModal)
        check(app)
        await press(pilot, "escape")
        await press(pilot, "r")  # retry: offline, said in a toast
        check(app)
        await press(pilot, "escape")
        # -- toasts: a pull failure with 1C's message, payments and shipments arriving
        app._engine_event(sync.PullFinished(ok=False, at=FROZEN_NOW, error=t(S_PULL_TOAST)))
        await settle(pilot)
        check(app, None, t(S_PULL_TOAST))
        app._engine_event(sync.PaymentArrived(FROZEN_NOW, POSTED, "p", "bank", t(S_PAYMENT), Decimal(1)))
        await settle(pilot)
        check(app, None, f"{POSTED_NUMBER}01 {t(S_NUMBER, 1)}")
        for j in range(3):
            app._engine_event(sync.ShipmentArrived(FROZEN_NOW, POSTED, f"s{j}", t(S_SHIPMENT, j)))
        await settle(pilot)
        check(app, None, *t.all(S_SHIPMENT, 3))
        app._engine_event(sync.PushFinished(FROZEN_NOW, failed=(("client", CLIENT, t(S_CLIENT_ERROR, 1)),)))
        await settle(pilot)
        check(app, None, t(S_CLIENT_ERROR, 1))
        assert app.is_running
