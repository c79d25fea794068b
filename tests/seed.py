"""A small, deterministic mirror for screen tests: no network, no sandbox, fixed ids."""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime
from decimal import Decimal

from textual.worker import WorkerCancelled

from tests.clock import TestClock
from tui_crm.host import HostApp
from tui_crm.store import Store
from tui_crm.sync.service import SyncService
from tui_crm.widgets.status_bar import SyncView

FROZEN_NOW = datetime(2026, 11, 30, 12, 0, 0)
WAREHOUSES = [
    ("a0000000-0000-0000-0000-000000000001", "Основной склад"),
    ("a0000000-0000-0000-0000-000000000002", "Склад Юг"),
]
PRICE_TYPES = [
    ("b0000000-0000-0000-0000-000000000001", "Оптовая"),
    ("b0000000-0000-0000-0000-000000000002", "Розничная"),
]
_NAMES = [
    ("Молоко Простоквашино 3,2% 1 л", "л", "НДС10", "89.90"),
    ("Молоко Домик в деревне 2,5% 0,9 л", "шт", "НДС10", "79.50"),
    ("Кофе Жокей молотый 250 г", "шт", "НДС20", "349.00"),
    ("Кофе Jacobs Monarch зерно 1 кг", "шт", "НДС20", "1 490.00"),
    ("Чай Greenfield Earl Grey 100 пак.", "упак", "НДС20", "289.00"),
    ("Сыр Российский 50% весовой", "кг", "НДС10", "689.00"),
    ("Сахар-песок 1 кг", "кг", "НДС10", "74.90"),
    ("Бумага офисная SvetoCopy A4 500 л.", "упак", "НДС20", "429.00"),
    ("Ручка шариковая BIC синяя", "шт", "НДС20", "19.90"),
    ("Перфоратор Makita HR2470", "шт", "НДС20", "11 990.00"),
    ("Саморез по дереву 3,5x35 (1000 шт)", "упак", "НДС20", "540.00"),
    ("Цемент М500 50 кг", "шт", "НДС20", "520.00"),
]


def seed_store(store: Store, *, last_pull: datetime | None = datetime(2026, 11, 30, 11, 59, 48)) -> None:
    """The product mirror, written through the pull's own writer (`Store.write_mirror`)."""
    from tui_crm.store import PriceRow, PriceTypeRow, ProductRow, StockRow, WarehouseRow

    products, prices, stock = [], [], []
    for n, (name, unit, vat, price) in enumerate(_NAMES, 1):
        pid = f"c0000000-0000-0000-0000-{n:012d}"
        products.append(ProductRow(pid, f"00-{n:08d}", f"ART-{n:03d}", name, name, None, unit, vat,
                                   data_version="1"))
        base = Decimal(price.replace(" ", ""))
        prices.append(PriceRow(PRICE_TYPES[0][0], pid, base))
        prices.append(PriceRow(PRICE_TYPES[1][0], pid, (base * Decimal("1.2")).quantize(Decimal("0.01"))))
        stock.append(StockRow(WAREHOUSES[0][0], pid, Decimal(n * 7 % 40), Decimal(n % 3)))
        if n % 2:
            stock.append(StockRow(WAREHOUSES[1][0], pid, Decimal(n), Decimal(0)))
    store.write_mirror(
        warehouses=[WarehouseRow(i, f"00000000{n}", name, data_version="1")
                    for n, (i, name) in enumerate(WAREHOUSES, 1)],
        price_types=[PriceTypeRow(i, f"00000000{n}", name, data_version="1")
                     for n, (i, name) in enumerate(PRICE_TYPES, 1)],
        products=products, prices=prices, stock=stock,
    )
    if last_pull is not None:
        run = store.start_run("pull", last_pull)
        store.finish_run(run, ok=True, rows_read=60, requests=7, finished_at=last_pull)


# -- clients and invoices (operator screens) ----------------------------------------------------
CLIENT_ROMASHKA = "d0000000-0000-0000-0000-000000000001"
CLIENT_IVANOV = "d0000000-0000-0000-0000-000000000002"
CLIENT_PETROVA = "d0000000-0000-0000-0000-000000000003"
CLIENT_STROY = "d0000000-0000-0000-0000-000000000004"
CLIENT_VEKTOR = "d0000000-0000-0000-0000-000000000005"
COUNTERPARTY_ALFA = "e0000000-0000-0000-0000-000000000001"
INVOICE_1 = "f0000000-0000-0000-0000-000000000001"
INVOICE_2 = "f0000000-0000-0000-0000-000000000002"
INN_ROMASHKA = "7707083893"
INN_STROY = "7736050003"
INN_IVANOV = "500100732259"
INN_ALFA = "7728168971"


def seed_clients(store: Store) -> None:
    """Five CRM clients in every sync state, one accounting-only counterparty, two invoices."""
    from tui_crm.domain.invoice import Invoice, InvoiceLine
    from tui_crm.domain.models import Client
    from tui_crm.domain.validation import ClientKind
    from tui_crm.domain.vat import VatRate
    from tui_crm.store import PaymentRow

    at = datetime(2026, 11, 20, 10, 0, 0)
    clients = [
        (Client(CLIENT_ROMASHKA, ClientKind.LEGAL_ENTITY, "Ромашка ООО", "Общество с ограниченной "
                "ответственностью «Ромашка»", INN_ROMASHKA, "770701001", ("+79123456789",),
                "zakaz@romashka.ru", "Москва, ул. Ленина, 1", "Звонить до 17:00"), "in_accounting", None),
        (Client(CLIENT_IVANOV, ClientKind.SOLE_PROPRIETOR, "ИП Иванов Сергей Петрович", "", INN_IVANOV,
                "", ("+74951234567", "+79031112233")), "queued", None),
        (Client(CLIENT_PETROVA, ClientKind.INDIVIDUAL, "Петрова Анна", phones=("+79269998877",)),
         "local_only", None),
        (Client(CLIENT_STROY, ClientKind.LEGAL_ENTITY, "СтройМаркет АО", "", INN_STROY, "773601001",
                ("+78123334455",)), "failed",
         "Поле \"КПП\" заполнено неверно: контрагент с таким ИНН уже есть (код 00-000123)"),
        (Client(CLIENT_VEKTOR, ClientKind.LEGAL_ENTITY, "Вектор ООО", "", "7802312751", "780201001",
                ()), "in_accounting", None),
    ]
    for client, _state, _error in clients:
        store.save_client(client, now=at)
    with store.transaction() as cur:
        for client, state, error in clients:
            cur.execute("UPDATE clients SET sync_state = ?, sync_error = ? WHERE id = ?",
                        [state, error, client.id])
        cur.execute("UPDATE clients SET debt = 15340.50, accounting_code = '00-000045' WHERE id = ?",
                    [CLIENT_ROMASHKA])
        cur.execute("UPDATE clients SET debt = 0, accounting_code = '00-000046' WHERE id = ?",
                    [CLIENT_VEKTOR])
        # a counterparty only accounting has, as the reference pull writes it (COUNTERPARTY_COLUMNS)
        store.replace_counterparties(cur, [(COUNTERPARTY_ALFA, "00-000077", "Альфа-Трейд ООО", "ООО «Альфа-Трейд»",
                                            INN_ALFA, "772801001", "ЮрЛицо", False, False, "", [], "", "", "", "{}")])
    line = InvoiceLine(f"c0000000-0000-0000-0000-{3:012d}", "00-00000003", "Кофе Жокей молотый 250 г",
                       "шт", Decimal(10), Decimal("349.00"), Decimal(0), VatRate.НДС20)
    line2 = InvoiceLine(f"c0000000-0000-0000-0000-{8:012d}", "00-00000008",
                        "Бумага офисная SvetoCopy A4 500 л.", "упак", Decimal(20), Decimal("429.00"),
                        Decimal(5), VatRate.НДС20)
    store.save_invoice(INVOICE_1, Invoice(lines=(line, line2), client_id=CLIENT_ROMASHKA,
                                          warehouse_id=WAREHOUSES[0][0], price_type_id=PRICE_TYPES[0][0]),
                       date=datetime(2026, 11, 18, 9, 30), queue=False, now=at)
    store.save_invoice(INVOICE_2, Invoice(lines=(line,), client_id=CLIENT_ROMASHKA,
                                          warehouse_id=WAREHOUSES[0][0], price_type_id=PRICE_TYPES[0][0]),
                       date=datetime(2026, 11, 27, 15, 5), queue=True, now=at)
    with store.transaction() as cur:
        cur.execute("UPDATE invoices SET number = 'ЦБ-000123', posted = TRUE, sync_state = 'in_accounting' "
                    "WHERE id = ?", [INVOICE_1])
        store.replace_payments(cur, [INVOICE_1], [PaymentRow("p1", "bank", "57", datetime(2026, 11, 25), INVOICE_1,
                                                             Decimal(5000), True)])


# -- order flow fixtures (invoice / order / sync screens) ----------------------------------------
CLIENT_ID = "d0000000-0000-0000-0000-000000000001"
INVOICE_ID = "e0000000-0000-0000-0000-000000000001"


def seed_client(store: Store, *, client_id: str = CLIENT_ID, name: str = "ООО «Ромашка»") -> str:
    """One CRM client (already in accounting) the invoice tests write to."""
    from tui_crm.domain.models import Client
    from tui_crm.domain.validation import ClientKind

    store.save_client(
        Client(id=client_id, kind=ClientKind.LEGAL_ENTITY, name=name, full_name=name, inn="7707083893",
               kpp="773601001", phones=("+7 495 123-45-67",)),
        queue=False, now=FROZEN_NOW,
    )
    with store.transaction() as cur:
        cur.execute("UPDATE clients SET sync_state = 'in_accounting' WHERE id = ?", [client_id])
    return client_id


def seed_invoice(
    store: Store,
    *,
    invoice_id: str = INVOICE_ID,
    client_id: str = CLIENT_ID,
    lines: tuple[tuple[int, str], ...] = ((1, "10"), (3, "4"), (6, "2.5")),
    document_discount: str = "0",
    number: str = "",
    posted: bool = False,
    sync_state: str | None = None,
    sync_error: str | None = None,
) -> str:
    """An invoice on the first warehouse/price type; `lines` are (product no. 1..12, quantity)."""
    from tui_crm.domain.invoice import Invoice, InvoiceLine
    from tui_crm.domain.vat import VatRate

    if store.get_client(client_id) is None:
        seed_client(store, client_id=client_id)
    wh, pt = WAREHOUSES[0][0], PRICE_TYPES[0][0]
    rows = store.picker_rows_for(wh, pt, [f"c0000000-0000-0000-0000-{n:012d}" for n, _ in lines])
    inv_lines = []
    for n, qty in lines:
        r = rows[f"c0000000-0000-0000-0000-{n:012d}"]
        inv_lines.append(InvoiceLine(r.product_id, r.code, r.name, r.unit, Decimal(qty), r.price or Decimal(0),
                                     vat_rate=VatRate(r.vat_rate)))
    invoice = Invoice(lines=tuple(inv_lines), client_id=client_id, warehouse_id=wh, price_type_id=pt,
                      document_discount_pct=Decimal(document_discount))
    store.save_invoice(invoice_id, invoice, date=FROZEN_NOW, queue=True, now=FROZEN_NOW)
    with store.transaction() as cur:
        if number or posted or sync_state:
            cur.execute(
                "UPDATE invoices SET number = ?, posted = ?, sync_state = ?, sync_error = ? WHERE id = ?",
                [number, posted, sync_state or ("in_accounting" if number else "queued"), sync_error, invoice_id],
            )
        if number:
            cur.execute("UPDATE outbox SET state = 'done', step = 'posted' WHERE object_id = ?", [invoice_id])
    return invoice_id


def mark_posted(store: Store, invoice_id: str = INVOICE_ID, number: str = "КА-000123") -> None:
    """The push completed and accounting posted the order: number, posted, in accounting."""
    item = store.outbox_open_for("invoice", invoice_id)
    if item is not None:
        store.outbox_done(item.id)
    store.invoice_pushed(invoice_id, number=number, data_version="posted", posted=True)


def add_payment(
    store: Store, number: str, amount: str, *, kind: str = "bank", day: int = 1,
    invoice_id: str = INVOICE_ID, posted: bool = True,
) -> None:
    """A payment settled against the order, as the pull writes it (November `day`, 2026)."""
    from tui_crm.store import PaymentRow

    payment = PaymentRow(f"f1000000-0000-0000-0000-{int(number.split('-')[-1]):012d}", kind, number,
                         datetime(2026, 11, day, 10, 30), invoice_id, Decimal(amount), posted)
    payments = [*store.invoice_payments(invoice_id), payment]
    with store.transaction() as cur:
        store.replace_payments(cur, [invoice_id], payments)


def add_shipment(
    store: Store, number: str, lines: tuple[tuple[int, str], ...], *, day: int = 30,
    invoice_id: str = INVOICE_ID,
) -> None:
    """A posted shipment based on the order, as the pull writes it; `lines` are (product no., quantity)."""
    from tui_crm.store import ShipmentLine, ShipmentRow

    shipment = ShipmentRow(
        f"f2000000-0000-0000-0000-{int(number.split('-')[-1]):012d}", number, datetime(2026, 11, day, 15, 0),
        invoice_id, True,
        tuple(ShipmentLine(line_no, f"c0000000-0000-0000-0000-{n:012d}", Decimal(qty))
              for line_no, (n, qty) in enumerate(lines, 1)),
    )
    shipments = [*store.invoice_shipments(invoice_id), shipment]
    with store.transaction() as cur:
        store.replace_shipments(cur, [invoice_id], shipments)


def screen_app(store: Store, make_screen, *, lang: str = "en", service: SyncService | None = None,
               sync_view: SyncView | None = None, reserve_policy: str = "request") -> HostApp:
    """One screen hosted by the real `HostApp` (services, engine messages) without CrmApp's
    global keys and navigation, so screen tests do not change with those. Frozen clock."""
    from tui_crm.i18n import set_language

    set_language(lang)

    class ScreenApp(HostApp):
        TITLE = "tui-crm"

        def __init__(self) -> None:
            super().__init__(store, service, clock=lambda: FROZEN_NOW, live_clock=False,
                             sync_view=sync_view or SyncView(online=True, last_success=store.last_success()),
                             reserve_policy=reserve_policy)

        def on_mount(self) -> None:
            self.push_screen(make_screen(store))

        def outbox_changed(self) -> None:
            """Screen snapshots show no outbox figure in the status bar (CrmApp's tests do)."""

    return ScreenApp()


def seeded_store(path: object) -> Store:
    """A store with the product mirror and the clients/invoices above (for screen tests)."""
    store = Store.open(path, clock=TestClock())  # type: ignore[arg-type]
    seed_store(store)
    seed_clients(store)
    return store


async def settle(pilot: object) -> None:
    """Wait until workers are done and their messages handled (no sleeping).

    A worker cancelled meanwhile is done too: an exclusive worker is cancelled when the screen
    starts a newer one of its group (the card's duplicate check, re-run as an ИНН is typed key by
    key), and Textual's `wait_for_complete` raised `WorkerCancelled` for it. A failed one still fails."""
    app = pilot.app  # type: ignore[attr-defined]
    for _ in range(3):
        for worker in list(app.workers):
            with suppress(WorkerCancelled):
                await worker.wait()
        await pilot.pause()  # type: ignore[attr-defined]


def seed_sync_log(store: Store) -> None:
    """Pull runs (one failed with 1C's message) and an outbox with a pending and a failed push."""
    failed = store.start_run("pull", datetime(2026, 11, 30, 11, 58, 0))
    store.finish_run(failed, ok=False, requests=1, finished_at=datetime(2026, 11, 30, 11, 58, 30),
                     error="Ошибка при выполнении запроса GET к ресурсу /odata/standard.odata/"
                           "AccumulationRegister_ТоварыНаСкладах/Balance: {(1, 1)}: Таймаут ожидания "
                           "блокировки (код 2)")
    push = store.start_run("push", datetime(2026, 11, 30, 11, 59, 50))
    store.finish_run(push, ok=True, rows_read=1, requests=3, finished_at=datetime(2026, 11, 30, 11, 59, 51))
    seed_invoice(store, invoice_id="e0000000-0000-0000-0000-000000000002", lines=((4, "1"),))
    seed_invoice(store)
    with store.transaction() as cur:
        cur.execute(
            "UPDATE outbox SET state = 'failed', attempts = 3, last_error = ? WHERE object_id = ?",
            ["Не удалось записать \"Заказ покупателя\": Поле \"Договор контрагента\" не заполнено; "
             "проведение документа невозможно (Документ.ЗаказПокупателя.МодульОбъекта(412))",
             "e0000000-0000-0000-0000-000000000002"],
        )
        cur.execute(
            "UPDATE invoices SET sync_state = 'failed', sync_error = 'Поле \"Договор контрагента\" "
            "не заполнено' WHERE id = ?",
            ["e0000000-0000-0000-0000-000000000002"],
        )
