"""Accounting → mirror: fetch catalogs, prices and stock, then replace the mirror in one transaction.

Everything is fetched and validated first; only then does one store transaction replace the
mirror and rebuild the picker table. A network failure or a malformed row therefore leaves the
previous mirror exactly as it was, and the run is recorded with its error.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from tui_crm.store import Store, utcnow
from tui_crm.sync import odata
from tui_crm.sync.odata import ODataClient, ODataError, virtual_table

log = logging.getLogger("tui_crm.sync.pull")


@dataclass(frozen=True)
class Ka1Names:
    """КА 1.1 / УТ 10.3 metadata names the mirror pull reads (reference/onec-odata.md §6)."""

    warehouses: str = "Catalog_Склады"
    price_types: str = "Catalog_ТипыЦенНоменклатуры"
    products: str = "Catalog_Номенклатура"
    units: str = "Catalog_ЕдиницыИзмерения"
    stock_register: str = "AccumulationRegister_ТоварыНаСкладах"
    reserve_register: str = "AccumulationRegister_ТоварыВРезервеНаСкладах"
    prices_register: str = "InformationRegister_ЦеныНоменклатуры_RecordType"


KA1 = Ka1Names()


class BadData(ODataError):
    """Accounting sent a row we cannot trust; the pull is abandoned and the mirror kept."""

    def __init__(self, entity: str, reason: str, row: dict[str, Any] | None = None) -> None:
        key = (row or {}).get("Ref_Key")
        where = f" (Ref_Key {key})" if isinstance(key, str) else ""
        super().__init__(f"Accounting sent a malformed {entity} row{where}: {reason}")
        self.entity = entity
        self.reason = reason


# -- strict field readers -------------------------------------------------------------------
def _ref(row: dict[str, Any], name: str, entity: str, *, required: bool = True) -> str | None:
    value = row.get(name)
    if value is None or value == "" or value == odata.EMPTY_REF:
        if required:
            raise BadData(entity, f"{name} is empty", row)
        return None
    if not isinstance(value, str):
        raise BadData(entity, f"{name} is not a reference: {value!r}", row)
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise BadData(entity, f"{name} is not a GUID: {value[:60]!r}", row) from None


def _text(row: dict[str, Any], name: str, entity: str, *, max_len: int = 1000) -> str:
    value = row.get(name, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BadData(entity, f"{name} is not text: {value!r}", row)
    if len(value) > max_len:
        raise BadData(entity, f"{name} is longer than {max_len} characters", row)
    if any(ord(ch) < 32 and ch not in "\t\n\r" for ch in value):
        raise BadData(entity, f"{name} contains control characters", row)
    return value.strip()


def _bool(row: dict[str, Any], name: str, entity: str) -> bool:
    value = row.get(name, False)
    if not isinstance(value, bool):
        raise BadData(entity, f"{name} is not true/false: {value!r}", row)
    return value


def _number(row: dict[str, Any], name: str, entity: str, places: int) -> Decimal:
    value = row.get(name, 0)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise BadData(entity, f"{name} is not a number: {value!r}", row)
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise BadData(entity, f"{name} is not a number: {value!r}", row) from None
    if not number.is_finite() or abs(number) >= Decimal(10) ** (15 - places):
        raise BadData(entity, f"{name} is out of range: {value!r}", row)
    return number.quantize(Decimal(1).scaleb(-places))


# -- the snapshot ---------------------------------------------------------------------------
@dataclass
class MirrorSnapshot:
    warehouses: list[tuple[Any, ...]] = field(default_factory=list)
    price_types: list[tuple[Any, ...]] = field(default_factory=list)
    products: list[tuple[Any, ...]] = field(default_factory=list)
    prices: list[tuple[Any, ...]] = field(default_factory=list)
    stock: list[tuple[Any, ...]] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(len(x) for x in (self.warehouses, self.price_types, self.products, self.prices, self.stock))


@dataclass(frozen=True)
class PullResult:
    rows: int
    requests: int
    seconds: float


async def _all(client: ODataClient, entity: str, select: str, orderby: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    async for page in client.iter_pages(entity, select=select, orderby=orderby):
        rows.extend(page)
    return rows


async def fetch_snapshot(client: ODataClient, names: Ka1Names = KA1) -> MirrorSnapshot:
    """Read everything the mirror holds from accounting, validating each row."""
    snap = MirrorSnapshot()

    e = names.warehouses
    for r in await _all(client, e, "Ref_Key,DataVersion,DeletionMark,Code,Description,IsFolder", "Ref_Key"):
        snap.warehouses.append(
            (_ref(r, "Ref_Key", e), _text(r, "Code", e), _text(r, "Description", e),
             _bool(r, "IsFolder", e), _bool(r, "DeletionMark", e), _text(r, "DataVersion", e))
        )

    e = names.price_types
    for r in await _all(
        client, e, "Ref_Key,DataVersion,DeletionMark,Code,Description,ЦенаВключаетНДС,ВалютаЦены_Key", "Ref_Key"
    ):
        snap.price_types.append(
            (_ref(r, "Ref_Key", e), _text(r, "Code", e), _text(r, "Description", e),
             _bool(r, "ЦенаВключаетНДС", e), _ref(r, "ВалютаЦены_Key", e, required=False),
             _bool(r, "DeletionMark", e), _text(r, "DataVersion", e))
        )

    e = names.units
    unit_names: dict[str, str] = {}
    for r in await _all(client, e, "Ref_Key,Description", "Ref_Key"):
        ref = _ref(r, "Ref_Key", e)
        assert ref is not None
        unit_names[ref] = _text(r, "Description", e)

    e = names.products
    select = (
        "Ref_Key,DataVersion,DeletionMark,IsFolder,Code,Description,Артикул,НаименованиеПолное,"
        "ЕдиницаХраненияОстатков_Key,СтавкаНДС,Услуга"
    )
    for r in await _all(client, e, select, "Ref_Key"):
        if _bool(r, "IsFolder", e):
            continue  # groups of the catalog are not products
        unit = _ref(r, "ЕдиницаХраненияОстатков_Key", e, required=False)
        snap.products.append(
            (_ref(r, "Ref_Key", e), _text(r, "Code", e), _text(r, "Артикул", e), _text(r, "Description", e),
             _text(r, "НаименованиеПолное", e, max_len=4000), unit, unit_names.get(unit or "", ""),
             _text(r, "СтавкаНДС", e), _bool(r, "Услуга", e), _bool(r, "DeletionMark", e),
             _text(r, "DataVersion", e))
        )

    e = names.prices_register
    best: dict[tuple[str, str], tuple[Any, ...]] = {}
    for r in await _all(
        client,
        virtual_table(e, "SliceLast"),
        "ТипЦен_Key,Номенклатура_Key,ХарактеристикаНоменклатуры_Key,Цена,ЕдиницаИзмерения_Key,Period",
        "ТипЦен_Key,Номенклатура_Key,ХарактеристикаНоменклатуры_Key",
    ):
        key = (_ref(r, "ТипЦен_Key", e), _ref(r, "Номенклатура_Key", e))
        if _ref(r, "ХарактеристикаНоменклатуры_Key", e, required=False) is not None and key in best:
            continue  # the product's own price (no characteristic) wins over a variant's
        best[key] = (*key, _number(r, "Цена", e, 2), _ref(r, "ЕдиницаИзмерения_Key", e, required=False),
                     odata.parse_date(r.get("Period")))
    snap.prices = list(best.values())

    stock: dict[tuple[str, str], list[Decimal]] = {}
    e = names.stock_register
    for r in await _all(
        client, virtual_table(e, "Balance"), "Склад_Key,Номенклатура_Key,КоличествоBalance",
        "Склад_Key,Номенклатура_Key",
    ):
        key = (_ref(r, "Склад_Key", e), _ref(r, "Номенклатура_Key", e))
        stock.setdefault(key, [Decimal(0), Decimal(0)])[0] += _number(r, "КоличествоBalance", e, 3)
    e = names.reserve_register
    try:
        reserves = await _all(
            client, virtual_table(e, "Balance"), "Склад_Key,Номенклатура_Key,КоличествоBalance",
            "Склад_Key,Номенклатура_Key",
        )
    except odata.NotFound:
        # Not every base publishes the reserve register over OData; free stock = on hand then.
        log.warning("%s is not published; free stock is shown without reserves", e)
        reserves = []
    for r in reserves:
        key = (_ref(r, "Склад_Key", e), _ref(r, "Номенклатура_Key", e))
        stock.setdefault(key, [Decimal(0), Decimal(0)])[1] += _number(r, "КоличествоBalance", e, 3)
    snap.stock = [(wh, prod, q[0], q[1]) for (wh, prod), q in stock.items()]
    return snap


def apply_snapshot(store: Store, snap: MirrorSnapshot, now: datetime | None = None) -> None:
    """Replace the whole mirror in one transaction (all or nothing)."""
    with store.transaction() as cur:
        store.replace_warehouses(cur, snap.warehouses)
        store.replace_price_types(cur, snap.price_types)
        store.replace_products(cur, snap.products)
        store.replace_prices(cur, snap.prices)
        store.replace_stock(cur, snap.stock)
        store.rebuild_picker(cur)
        store.set_meta(cur, "mirror_pulled_at", (now or utcnow()).isoformat())


def describe(exc: BaseException) -> str:
    """One plain line for the sync log and the status bar."""
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:500]


async def pull_mirror(
    client: ODataClient,
    store: Store,
    *,
    names: Ka1Names = KA1,
    clock: Callable[[], datetime] = utcnow,
) -> PullResult:
    """One full mirror pull, recorded in sync_runs whether it succeeds or not."""
    started = time.perf_counter()
    requests_before = client.stats.requests
    run_id = await asyncio.to_thread(store.start_run, "pull", clock())
    try:
        snap = await fetch_snapshot(client, names)
        await asyncio.to_thread(apply_snapshot, store, snap, clock())
    except BaseException as exc:
        requests = client.stats.requests - requests_before
        log.warning("pull failed: %s", describe(exc))
        # Recorded synchronously: this also runs when the task is being cancelled.
        store.finish_run(run_id, ok=False, requests=requests, error=describe(exc), finished_at=clock())
        raise
    requests = client.stats.requests - requests_before
    await asyncio.to_thread(
        lambda: store.finish_run(run_id, ok=True, rows_read=snap.rows, requests=requests, finished_at=clock())
    )
    return PullResult(rows=snap.rows, requests=requests, seconds=time.perf_counter() - started)
