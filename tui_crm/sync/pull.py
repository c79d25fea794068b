"""Accounting → mirror: warehouses, price types, units, products, prices, stock and reserves.

Pages are parsed as they arrive and streamed into TEMP stage tables on the writer thread, so
memory stays flat on a 100k-product base with 1M stock rows; one transaction at the end MERGEs the
stages into the mirror and rebuilds the picker table. A network failure therefore leaves the
previous mirror exactly as it was, and the run is recorded with its error. A malformed row is
quarantined: skipped, logged with entity, Ref_Key and reason, counted in `PullResult.skipped`
and noted on the run in the sync log; the rest of the pull applies.

Stock is read per warehouse and prices per price type (restrictions in the virtual table's
``Condition``), each in one request: paging a virtual table with ``$skip`` would make 1C
recompute the balance for every page.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from tui_crm.i18n import register, tr
from tui_crm.store import Store
from tui_crm.store.mirror import (
    MIRROR_STAGES,
    PRODUCT_COLUMNS,
    STAGE_PRICE_COLUMNS,
    STAGE_STOCK_COLUMNS,
    UNIT_COLUMNS,
)
from tui_crm.sync import columns, parse, queries
from tui_crm.sync.columns import Col, PageConverter
from tui_crm.sync.fields import MissingFields
from tui_crm.sync.guards import MAX_SHRINK_PERCENT, CatalogueShrink, check_shrink
from tui_crm.sync.odata import NotFound, ODataClient, ODataError, Words, to_server_time, word
from tui_crm.sync.parse import BadData
from tui_crm.sync.profile import Profile, load_profile
from tui_crm.sync.queries import Query
from tui_crm.sync.reach import error_words
from tui_crm.sync.runs import describe, recorded_run
from tui_crm.sync.writer import StoreWriter

log = logging.getLogger("tui_crm.sync.pull")

__all__ = ["BadData", "Progress", "PullResult", "pull_mirror", "quarantine_note"]

Progress = Callable[[str, int, int | None], None]

_STAGES = MIRROR_STAGES


@dataclass(frozen=True)
class PullResult:
    rows: int
    requests: int
    seconds: float
    skipped: int = 0     # malformed rows quarantined (not in the mirror)


async def account_refs(client: ODataClient, p: Profile, key: str) -> list[str]:
    """Ref_Keys of the accounts whose balance a concept reads from an accounting register (БП 3:
    `[stock]` 41.01, `[debt]` 62.01 and 62.02 in the chart of accounts `Хозрасчетный`); [] when
    the concept's register is not an accounting register. The keys of predefined accounts differ
    from base to base, so they are looked up by code."""
    q = queries.register_accounts(p, key)
    if q is None:
        return []
    refs = [r for r in (parse.ref(row, "Ref_Key", q.path) for row in await client.get_all(q)) if r]
    if not refs:
        accounts = p[key].options.get("accounts")
        exc = ODataError(f"The chart of accounts {q.path} has no account {accounts} "
                         f"(the profile's [{key}] accounts): {'stock' if key == 'stock' else key} cannot "
                         "be read. Check the codes in the profile against the base's chart of accounts.")
        # the sync log's sentence in the interface language (reach.error_words); str() stays English
        what: Words | str = Words(f"pull.what.{key}") if key in ("stock", "debt") else key
        exc.words = [Words("pull.no_account", {"chart": q.path, "accounts": accounts, "key": key, "what": what})]
        raise exc
    return refs


async def stock_account_refs(client: ODataClient, p: Profile) -> list[str]:
    """`account_refs` of the stock (БП 3: 41.01)."""
    return await account_refs(client, p, "stock")


async def stock_without_warehouses(client: ODataClient, p: Profile, accounts: Sequence[str]) -> list[BadData]:
    """When no warehouse had stock: a few rows of the stock accounts whatever their warehouse.
    Rows there that no warehouse subconto holds mean the base keeps stock without warehouses
    (БП 3 with warehouse accounting off): that is reported, never shown as empty warehouses."""
    for row in await client.get_all(queries.stock_probe(p, accounts)):
        try:
            parse.stock_row(p, row)
        except parse.NoWarehouseStock as exc:
            log.warning("stock: %s", exc.reason)
            return [exc]
        except BadData:
            continue
    return []


register({
    "pull.no_account": {
        "en": "The chart of accounts {chart} has no account {accounts} (the profile's [{key}] accounts): {what} "
              "cannot be read. Check the codes in the profile against the base's chart of accounts.",
        "ru": "В плане счетов {chart} нет счёта {accounts} (счета [{key}] профиля): {what} не прочитать. Сверьте "
              "коды в профиле с планом счетов базы.",
    },
    "pull.what.stock": {"en": "stock", "ru": "остатки"},
    "pull.what.debt": {"en": "debt", "ru": "долги"},
    "pull.left_out": {
        "en": "Left out {n} balance row(s) of {entity} whose client subconto is not a counterparty ({kinds}): the "
              "debt shown is the counterparties' only.",
        "ru": "Не учтены строки остатков {entity}, где субконто клиента — не контрагент ({kinds}): {n}; показан "
              "долг только контрагентов.",
    },
    "pull.skipped": {
        "en": "Skipped {n} malformed row(s) from accounting, the rest applied: {entity}{where}: {reason}{more}",
        "ru": "Пропущено испорченных строк из учёта: {n}, остальное применено: {entity}{where}: {reason}{more}",
    },
    "pull.more": {"en": " and {n} more", "ru": " и ещё {n}"},
})


def quarantine_note(skipped: Sequence[BadData]) -> str:
    """The sync log's line for a run that skipped malformed rows (the first one's reason), in the
    interface language; the 1C entity, row key and field stay as accounting sent them."""
    for bad in skipped:
        if isinstance(bad, parse.NoWarehouseStock):
            # Not a malformed row: the base's settings. Said first, in words of its own (the language's).
            return error_words(bad) or str(bad)
    # Balance rows of another subconto type (БП 3: 62.01 of an employee): left out on purpose.
    other = [b for b in skipped if isinstance(b, parse.OtherSubconto)]
    bad_rows = [b for b in skipped if not isinstance(b, parse.OtherSubconto)]
    notes = []
    if other:
        kinds = ", ".join(sorted({b.found for b in other}))
        notes.append(tr("pull.left_out", n=len(other), entity=other[0].entity, kinds=kinds))
    if bad_rows:
        first = bad_rows[0]
        where = f" (Ref_Key {first.key})" if first.key else ""
        more = tr("pull.more", n=len(bad_rows) - 1) if len(bad_rows) > 1 else ""
        reason = word([first.reason_words], lambda key: str(tr(key)))
        notes.append(tr("pull.skipped", n=len(bad_rows), entity=first.entity, where=where, reason=reason,
                        more=more))
    return " ".join(notes)




async def _stream(
    client: ODataClient, writer: StoreWriter, q: Query, stage: str, convert: Callable[[dict[str, Any]], Any],
    *, progress: Progress | None, label: str, total: int | None = None, done: list[int] | None = None,
    page_size: int | None = None, quarantine: list[BadData], missing: MissingFields | None = None,
) -> int:
    """Fetch a small query page by page, convert rows one by one and append them to a stage
    table, overlapping the next fetch with the previous insert; a malformed row is quarantined."""
    columns = _STAGES[stage]
    pending: asyncio.Future[Any] | None = None
    count = 0
    counter = done if done is not None else [0]
    async for page in client.pages(q, page_size=page_size):
        if missing is not None:
            missing.check(q.path, page, q.select)
        rows = []
        for r in page:
            try:
                if not isinstance(r, dict):
                    raise BadData(label, parse.why("not_object", value=repr(str(r)[:60])))
                out = convert(r)
            except BadData as exc:
                quarantine.append(exc)
                continue
            if out is not None:
                rows.append(out)
        count += len(page)
        counter[0] += len(page)
        if pending is not None:
            await pending
        pending = asyncio.ensure_future(writer.run(writer.stage, stage, columns, rows))
        if progress is not None:
            progress(label, counter[0], total)
    if pending is not None:
        await pending
    return count


@dataclass
class _Step:
    """One query of the big part of the pull and where its rows go."""

    query: Query
    stage: str
    convert: PageConverter
    label: str
    counter: list[int]
    total: int | None = None
    optional: bool = False     # NotFound: skipped with a warning (an unpublished register)
    rows: int = 0


def _converters(p: Profile, vat_names: Mapping[str, str] | None = None,
                on: date | None = None) -> dict[str, PageConverter]:
    """Column-wise converters for the big stages; each mirrors a row reader of `parse` exactly
    (same fields, same readers, same order), which stays the judge for any page it doubts."""
    out: dict[str, PageConverter] = {}
    if p["unit"].present:
        c = p["unit"]
        out["unit"] = PageConverter(c.entity, [
            Col("ref", c.f("id"), required=True), columns.ref(c, "owner"), Col("text", c.f("name")),
            Col("num", c.opt("factor"), 3, post=lambda f: f if f > 0 else Decimal(1)),
        ], lambda r: parse.unit(p, r), width=len(UNIT_COLUMNS))
    c = p["product"]
    out["product"] = PageConverter(c.entity, [
        Col("ref", c.f("id"), required=True), Col("text", c.f("code")), Col("text", c.opt("article")),
        Col("text", c.f("name")), Col("text", c.opt("full_name")), Col("ref", c.opt("unit")),
        Col("const", value=""),
        Col("text", c.opt("vat_rate"), post=lambda v: parse.vat_rate_of(p, v, on)) if vat_names is None else
        Col("text", c.opt("vat_rate"), post=lambda v: vat_names.get(v, "")),
        Col("flag", c.opt("is_service")),
        Col("flag", c.opt("deletion_mark")), Col("text", c.opt("data_version")),
    ], lambda r: parse.product(p, r, {}, vat_names, on), width=len(PRODUCT_COLUMNS),
        skip=Col("flag", c.opt("is_folder")))
    c = p["prices"]
    out["prices"] = PageConverter(c.entity, [
        Col("ref", c.f("price_type"), required=True), columns.ref(c, "product", required=True),
        Col("ref", c.opt("variant"), post=lambda v: v is not None), Col("num", c.f("price"), 2),
        Col("ref", c.opt("unit")), Col("date", c.opt("period")),
    ], lambda r: parse.price_row(p, r), width=len(STAGE_PRICE_COLUMNS))
    c = p["stock"]
    out["stock"] = PageConverter(c.entity, [
        columns.ref(c, "warehouse", required=True), columns.ref(c, "product", required=True),
        Col("num", c.f("quantity"), 3), Col("num", c.opt("reserved"), 3),
    ], lambda r: parse.stock_row(p, r), width=len(STAGE_STOCK_COLUMNS))
    if p["reserves"].present:
        c = p["reserves"]
        out["reserves"] = PageConverter(c.entity, [
            columns.ref(c, "warehouse", required=True), columns.ref(c, "product", required=True),
            Col("const", value=0), Col("num", c.f("quantity"), 3),
        ], lambda r: (lambda t: (t[0], t[1], 0, t[2]))(parse.stock_row(p, r, "reserves")),
            width=len(STAGE_STOCK_COLUMNS))
    return out


async def _first_page(pages: AsyncGenerator[list[dict], None]) -> list[dict] | None:
    try:
        return await pages.__anext__()
    except StopAsyncIteration:
        return None


async def _run_steps(client: ODataClient, writer: StoreWriter, steps: list[_Step], *,
                     progress: Progress | None, page_size: int | None, missing: MissingFields | None = None) -> int:
    """Fetch the steps' pages in order; each page is converted on a helper thread while the next
    request is in flight, and staged on the writer thread while the page after it is converted.

    On this path the CRM's own CPU work (JSON decoding, checking 1.25M rows, CSV) used to add to
    the time 1C needs to produce the pages; now they overlap (1C is another process, DuckDB
    releases the GIL). At most three pages are in memory: converting, staging, arriving.

    The next step's first request goes out as soon as this step's last answer has arrived (the
    pager's ``on_last`` hint, from the bytes), before that answer is decoded: between two reads 1C
    no longer waits for the CRM's JSON decoding (~0.1–0.3 s a page, 21 pages). Only one step is
    read ahead, and its pages are still taken in step order.
    """
    loop = asyncio.get_running_loop()
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="crm-sync-convert")
    converting: tuple[_Step, asyncio.Future[list[list[str]]]] | None = None
    staging: asyncio.Future[Any] | None = None
    rows = 0
    readers: dict[int, AsyncGenerator[list[dict], None]] = {}
    ahead: dict[int, asyncio.Future[list[dict] | None]] = {}   # a step's first page, asked early
    arrived_last: set[int] = set()
    current = [0]

    def open_step(i: int) -> AsyncGenerator[list[dict], None]:
        readers[i] = client.pages(steps[i].query, page_size=page_size, on_last=lambda: last_arrived(i))
        return readers[i]

    def last_arrived(i: int) -> None:
        arrived_last.add(i)
        if i == current[0]:
            read_ahead(i + 1)

    def read_ahead(j: int) -> None:
        if j < len(steps) and j not in readers:
            ahead[j] = asyncio.ensure_future(_first_page(open_step(j)))

    async def flush() -> None:
        nonlocal converting, staging
        if converting is None:
            return
        step, fut = converting
        converting = None
        cols = await fut
        if staging is not None:
            await staging
        staging = asyncio.ensure_future(writer.run(writer.stage_columns, step.stage, _STAGES[step.stage], cols))

    async def take(step: _Step, page: list[dict]) -> None:
        nonlocal converting, rows
        if missing is not None:
            missing.check(step.convert.entity, page, step.query.select)
        await flush()
        converting = (step, loop.run_in_executor(pool, step.convert, page))
        step.rows += len(page)
        step.counter[0] += len(page)
        rows += len(page)
        if progress is not None:
            progress(step.label, step.counter[0], step.total)

    try:
        for i, step in enumerate(steps):
            current[0] = i
            reader = readers.get(i) or open_step(i)
            if i in arrived_last:    # its last answer came while it was read ahead
                read_ahead(i + 1)
            try:
                first = ahead.pop(i, None)
                if first is not None:
                    page = await first
                    if page is not None:
                        await take(step, page)
                async for page in reader:
                    await take(step, page)
            except NotFound:
                if not step.optional:
                    raise
                # Not every base publishes the reserve register; free stock = on hand then.
                log.warning("%s is not published; free stock is shown without reserves", step.query.path)
        await flush()
        if staging is not None:
            await staging
            staging = None
    finally:
        # On failure, stop the read ahead and let the thread work in flight finish before the
        # stages are dropped.
        for task in ahead.values():
            task.cancel()
        for task in ahead.values():
            with contextlib.suppress(BaseException):
                await task
        for reader in readers.values():
            with contextlib.suppress(BaseException):
                await reader.aclose()
        for fut in (converting[1] if converting else None, staging):
            if fut is not None:
                with contextlib.suppress(BaseException):
                    await asyncio.shield(fut)
        pool.shutdown(wait=False)
    return rows


async def fetch_into_stages(
    client: ODataClient, writer: StoreWriter, p: Profile, *, progress: Progress | None = None,
    page_size: int | None = None, quarantine: list[BadData] | None = None, missing: MissingFields | None = None,
) -> tuple[int, dict[str, int]]:
    """Read the whole mirror into the writer's stage tables; returns (rows read, catalog counts).
    Malformed rows are skipped and appended to ``quarantine``."""
    skipped = quarantine if quarantine is not None else []
    await writer.run(writer.store.create_mirror_stages)
    rows = 0
    counts: dict[str, int] = {}

    rows += await _stream(client, writer, queries.catalog(p, "warehouse"), "stage_m_warehouses",
                          lambda r: parse.warehouse(p, r), progress=progress, label="warehouses",
                          page_size=page_size, quarantine=skipped, missing=missing)
    price_types: list[str] = []

    def price_type(r: dict[str, Any]) -> tuple[Any, ...]:
        t = parse.price_type(p, r)
        if not t[5]:
            price_types.append(t[0])
        return t

    rows += await _stream(client, writer, queries.catalog(p, "price_type"), "stage_m_price_types", price_type,
                          progress=progress, label="price types", page_size=page_size, quarantine=skipped,
                          missing=missing)
    warehouses = await writer.run(writer.store.staged_warehouse_ids)
    total = None
    if progress is not None:
        total = await client.count(p["product"].entity)

    vat_names = None
    if p["vat_rate"].present:  # УТ 11.5: products carry a reference to the VAT rate catalog
        vat_names = parse.vat_rate_names(p, await client.get_all(queries.catalog(p, "vat_rate")))
    # a kind of VAT rate (БП 3) is read for today in 1C's time: the general one is 22 % from 2026
    conv = _converters(p, vat_names, to_server_time(writer.store.clock()).date())
    steps: list[_Step] = []
    if p["unit"].present:
        steps.append(_Step(queries.catalog(p, "unit"), "stage_m_units", conv["unit"], "units", [0]))
    product = _Step(queries.catalog(p, "product"), "stage_m_products", conv["product"], "products", [0], total)
    steps.append(product)
    done = [0]
    steps += [_Step(queries.prices(p, pt), "stage_m_prices", conv["prices"], "prices", done) for pt in price_types]
    accounts = await stock_account_refs(client, p)
    stock_rows = [0]
    steps += [_Step(queries.stock(p, wh, accounts=accounts), "stage_m_stock", conv["stock"], "stock", stock_rows)
              for wh in warehouses]
    rq = queries.reserves(p)
    if rq is not None:
        steps.append(_Step(rq, "stage_m_stock", conv["reserves"], "reserves", [0], optional=True))
    rows += await _run_steps(client, writer, steps, progress=progress, page_size=page_size, missing=missing)
    if accounts and warehouses and stock_rows[0] == 0:
        skipped.extend(await stock_without_warehouses(client, p, accounts))
    counts["product"] = product.rows
    for s in steps:
        skipped.extend(s.convert.quarantined)
        s.convert.quarantined.clear()
    slow = {s.convert.entity: s.convert.slow_pages for s in steps if s.convert.slow_pages}
    if slow:
        log.info("pages converted row by row (the fast path doubted them): %s", slow)
    return rows, counts


async def pull_mirror(
    client: ODataClient,
    store: Store,
    *,
    profile: Profile | None = None,
    writer: StoreWriter | None = None,
    progress: Progress | None = None,
    clock: Callable[[], datetime] | None = None,
    shrink_limit: float = MAX_SHRINK_PERCENT,
    accept_shrink: bool = False,
) -> PullResult:
    """One full mirror pull, recorded in sync_runs (job "mirror") whether it succeeds or not.

    Before anything is applied the staged warehouses, price types and products are compared with
    the mirror (`tui_crm.sync.guards`): a catalogue that would be emptied or cut by more than
    ``shrink_limit`` percent raises `CatalogueShrink` and the previous mirror is kept, unless
    ``accept_shrink`` (the operator's explicit override)."""
    p = profile or load_profile("ka1")
    clock = clock or store.clock
    own_writer = writer is None
    w = writer or StoreWriter(store)
    skipped: list[BadData] = []
    missing = MissingFields()
    try:
        async with recorded_run(w, "mirror", clock, client.stats) as run:
            rows, counts = await fetch_into_stages(client, w, p, progress=progress, quarantine=skipped,
                                                   missing=missing)
            for bad in skipped:
                log.warning("quarantined a malformed %s row (Ref_Key %s): %s", bad.entity, bad.key or "unknown",
                            bad.reason)
            if not accept_shrink:
                before = await w.run(store.catalogue_sizes)
                after = await w.run(store.catalogue_sizes, True)
                shrinks = check_shrink(before, after, shrink_limit)
                if shrinks:
                    await w.run(store.drop_mirror_stages)
                    raise CatalogueShrink(shrinks, shrink_limit, counts)
            if progress is not None:
                progress("saving", rows, rows)
            run.written = await w.run(store.apply_mirror_stages, clock(), counts)
            run.rows = rows
            notes = [quarantine_note(skipped) if skipped else None, missing.note()]
            if any(notes):
                run.error = " ".join(n for n in notes if n)
    except BaseException as exc:
        log.warning("mirror pull failed: %s", describe(exc))
        raise
    finally:
        if own_writer:
            w.close()
    return PullResult(rows=run.rows, requests=run.requests, seconds=run.seconds, skipped=len(skipped))
