"""Outbox → accounting, idempotent: clients (counterparty + contact information) and invoices
(contract if needed, the order with its goods, the linked invoice document).

The rules (docs/architecture.md §3, "Push"):
* every object's ``Ref_Key`` is chosen by the CRM before the first attempt (client and invoice ids
  are uuids; the contract and the invoice document get deterministic uuid5 keys);
* a create that is retried after any earlier attempt first looks the key up and adopts the
  object if it exists; "key exists" (code 15) is adopted too — a lost answer never makes a
  duplicate, whether or not the server honours client-supplied keys;
* the body of a counterparty's or an order's write (the only ones read back) is committed to
  ``sent_bodies`` before the request goes out, so a process killed before the answer does not
  take its own write for an accountant's edit;
* a create records no step between its requests (every key is known without one): a killed
  process starts the item again and each create looks its key up first; what the requests
  brought commits with the item's outcome. An update of a sent order, a reservation and a
  shipment request record each completed request as the item's ``step`` before the next one;
* a client always reaches accounting before its invoice;
* before each PATCH of a counterparty or an unposted order the push reads 1C's DataVersion
  and compares it with the one the CRM copy is based on (``base_version``): 1C bases were found
  to ignore a stale ``If-Match``, so the comparison is made here. A change whose fields differ
  from ours is a conflict: nothing is written, both versions are kept (store/conflicts.py) and
  the item waits for the operator. The PATCH itself still carries ``If-Match`` (a change between
  our read and our write is then a 412, handled the same way where the base honours it); a
  posted order is never edited (the item fails with the reason); the linked invoice document
  is PATCHed with ``If-Match`` of the version read just before, so a timed-out write of ours
  that 1C carries out late cannot overwrite a newer one;
* while accounting is unreachable items wait with exponential backoff plus jitter; a refusal
  keeps 1C's message and waits for the user to retry or discard.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import random
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from tui_crm.domain import custom
from tui_crm.domain.custom import FieldKind
from tui_crm.domain.invoice import combine_discounts
from tui_crm.domain.models import RESERVE_MARK, SHIPMENT_MARK, SyncState
from tui_crm.domain.money import round_money
from tui_crm.domain.validation import normalize_phone
from tui_crm.i18n import register
from tui_crm.store import Store
from tui_crm.store.conflicts import FieldDiff
from tui_crm.store.crm import ClientRecord, InvoiceRecord, OutboxItem
from tui_crm.store.outbox import InvoicePushStart
from tui_crm.store.shipments import ShipmentRequestLine, ShipmentRequestState
from tui_crm.sync import parse, queries
from tui_crm.sync.conflicts import EditConflict, field_diffs, same
from tui_crm.sync.odata import (
    EMPTY_DATE,
    EMPTY_REF,
    Conflict,
    KeyExists,
    NotFound,
    NotODataResponse,
    ODataClient,
    ODataError,
    Unreachable,
    Worded,
    Words,
    lit_guid,
    lit_str,
    to_server_time,
)
from tui_crm.sync.profile import Concept, CustomField, Profile
from tui_crm.sync.runs import describe
from tui_crm.sync.writer import GroupWriter, StoreWriter

log = logging.getLogger("tui_crm.sync.push")
T = TypeVar("T")

# Keys of objects the CRM creates besides clients and invoices are derived from the invoice /
# client id, so a retry after a crash computes the same key without having stored it.
_NS = uuid.UUID("6f1c2a4e-8d3b-4f5a-9c7e-2b1d0e3f4a5b")
BACKOFF_BASE = 2.0
BACKOFF_CAP = 300.0
# A 5xx answer with 1C's generic code -1 may be a passing failure (web server, lock timeout) or a
# real refusal; it is retried with backoff this many times before the item is marked failed.
MAX_SERVER_ERROR_ATTEMPTS = 6
# Clients pushed at once (each holds one request in flight, so one 1C session): a 1C base has a
# limited number of sessions (licences, the web server's pool), so this is small and a setting
# (`sync.push_concurrency`).
# Four by default: 4 lanes push more invoices a second than 1 (BENCHMARKS.md, "Push, third
# round": 1.8-2.8x against a 1C whose write takes ~20 ms). The false edit conflicts and stale
# contacts once seen at 4 (tests/sync/test_push_faults.py) came from the test rig (a sandbox
# restart acknowledged writes of other lanes still in flight; tests/sync/test_push_concurrency.py),
# and the kill -9 soak's false conflicts, at 1 and 4 lanes alike, from the bodies sent living only
# in memory (now `sent_bodies`); the kill -9 + 5xx soak is clean at 1 and at 4 (RELIABILITY.md).
PUSH_CONCURRENCY = 4
MAX_PUSH_CONCURRENCY = 32
# How long a counterparty the CRM has just created is taken to have no contract in 1C but ours
# (its first invoice then skips the contract look-ups); 1C users rarely add one that fast.
FRESH_CLIENT = timedelta(minutes=10)


# Recorded as the item's error (the screens word a conflict from the catalog, in both languages).
CONFLICT_MESSAGE = ("Changed in accounting since the CRM last read it; nothing was written. Compare the two "
                    "versions and choose: keep accounting's, apply the CRM's, or edit.")


def _contact_key(kind: str, values: Sequence[str]) -> frozenset[str]:
    """What a contact kind's rows say, however they are spelled: phone numbers normalised (several
    in one row or one per row alike), other kinds by their trimmed text."""
    if kind != "phone":
        return frozenset(v.strip() for v in values if v.strip())
    found: set[str] = set()
    for value in values:
        for part in value.split(","):
            if part.strip():
                found.add(normalize_phone(part) or part.strip())
    return frozenset(found)


def derived_key(kind: str, *parts: str) -> str:
    return str(uuid.uuid5(_NS, ":".join((kind, *parts))))


# What a push refusal or wait says, by key: the English here (``str(exc)``, the log files), the
# Russian in _RU; the outbox keeps the sentence in the interface language (`describe`), and the
# invoice and order screens show it. Values (1C names, keys, numbers, an earlier error) are shown
# as they are.
TEXT: dict[str, str] = {
    "push.unknown_kind": "unknown outbox item kind {kind}",
    "push.client_gone": "the client no longer exists in the CRM",
    "push.invoice_gone": "the invoice no longer exists in the CRM",
    "push.shipment_gone": "the shipment request no longer exists in the CRM",
    "push.counterparty_deleted": (
        "the counterparty was deleted in accounting; discard this item or re-create the client"
    ),
    "push.wait_client": "waiting for the client to reach accounting",
    "push.wait_client_why": "waiting for the client to reach accounting: {why}",
    "push.wait_invoice": "waiting for the invoice to reach accounting",
    "push.wait_invoice_why": "waiting for the invoice to reach accounting: {why}",
    "push.no_client": "the invoice has no client",
    "push.no_organization": "the organization is not known yet; waiting for the first pull from accounting",
    "push.no_partner": "the client's counterparty has no partner (Партнер) in accounting; set one there, then retry",
    "push.no_agreement": (
        "accounting has no standard agreement with clients (Соглашение, Типовое) for the organization; "
        "create one in 1C, then retry"
    ),
    "push.order_deleted_unreserved": "the order was deleted in accounting; nothing was reserved",
    "push.order_marked_unreserved": "accounting has marked order {number} for deletion; nothing was reserved",
    "push.no_shipment_requests": "shipment requests are not available for this accounting configuration yet",
    "push.kept_changing": "{entity} {key} kept changing in accounting while the CRM wrote it; trying again later",
    "push.order_deleted_kept": "the order was deleted in accounting; the CRM copy is kept — discard this item",
    "push.order_posted": (
        "accounting has posted order {number}; edits of it are refused. Ask accounting to unpost it, then retry."
    ),
    "push.order_marked": (
        "accounting has marked for deletion order {number}; edits of it are refused. "
        "Ask accounting to unpost it, then retry."
    ),
    "push.keys_ignored": (
        "Accounting created {entity} under its own key {got} instead of {key}: this base ignores client-chosen "
        "keys, so pushes cannot be made safe against retries. Check it in 1C and discard this item."
    ),
}
_RU: dict[str, str] = {
    "push.unknown_kind": "неизвестный вид элемента очереди отправки: {kind}",
    "push.client_gone": "клиента больше нет в CRM",
    "push.invoice_gone": "счёта больше нет в CRM",
    "push.shipment_gone": "распоряжения на отгрузку больше нет в CRM",
    "push.counterparty_deleted": "контрагент удалён в учёте; отбросьте этот элемент или заведите клиента заново",
    "push.wait_client": "ждём, пока клиент попадёт в учёт",
    "push.wait_client_why": "ждём, пока клиент попадёт в учёт: {why}",
    "push.wait_invoice": "ждём, пока счёт попадёт в учёт",
    "push.wait_invoice_why": "ждём, пока счёт попадёт в учёт: {why}",
    "push.no_client": "в счёте не указан клиент",
    "push.no_organization": "организация ещё не известна; ждём первой загрузки из учёта",
    "push.no_partner": "у контрагента клиента в учёте не указан партнёр (Партнер); укажите его там и повторите",
    "push.no_agreement": (
        "в учёте нет типового соглашения с клиентами (Соглашение, Типовое) для организации; создайте его в 1С "
        "и повторите"
    ),
    "push.order_deleted_unreserved": "заказ удалён в учёте; ничего не зарезервировано",
    "push.order_marked_unreserved": "заказ {number} помечен в учёте на удаление; ничего не зарезервировано",
    "push.no_shipment_requests": "распоряжения на отгрузку для этой конфигурации учёта пока недоступны",
    "push.kept_changing": "{entity} {key} менялся в учёте всё время, пока CRM его записывала; попробуем позже",
    "push.order_deleted_kept": "заказ удалён в учёте; копия в CRM сохранена — отбросьте этот элемент",
    "push.order_posted": (
        "заказ {number} проведён в учёте; изменения в нём не принимаются. Попросите бухгалтерию отменить "
        "проведение и повторите."
    ),
    "push.order_marked": (
        "заказ {number} помечен в учёте на удаление; изменения в нём не принимаются. Попросите бухгалтерию "
        "снять пометку и повторите."
    ),
    "push.keys_ignored": (
        "Учёт создал {entity} под своим ключом {got} вместо {key}: эта база не принимает ключи, выбранные "
        "клиентом, и повторная отправка не может быть безопасной. Проверьте объект в 1С и отбросьте этот "
        "элемент."
    ),
}
register({key: {"en": en, "ru": _RU[key]} for key, en in TEXT.items()})


class Refused(Worded):
    """The push cannot be done as asked (posted order, deleted in accounting…); user must act.
    Said from `TEXT` (English, the log files) and in the interface language for the outbox."""

    TEXT = TEXT   # this module's dictionary (the class body reads the module name)


def gone(entity: str, key: str) -> NotFound:
    """The object is no longer in accounting (deleted between two requests): 1C's code 9, worded
    in the interface language by reach.error_words; the entity and key as 1C names them."""
    return NotFound(words=[Words("odata.gone", {"entity": entity, "key": key})], code="9", status=404)


class Deferred(Worded):
    """Not yet possible (the client is not in accounting yet, no organization mirrored yet)."""

    TEXT = TEXT   # this module's dictionary


class KeysIgnored(Refused):
    """The server created the object under a key of its own: idempotent push is impossible."""


@dataclass
class PushResult:
    pushed: list[tuple[str, str]] = field(default_factory=list)      # (kind, object id)
    failed: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, id, message)
    conflicts: list[tuple[str, str]] = field(default_factory=list)   # (kind, object id)
    deferred: int = 0
    offline: str | None = None
    requests: int = 0
    stopped: bool = False   # past the engine's deadline (`SyncService._bounded_push`); `offline` says why

    @property
    def attempted(self) -> int:
        return len(self.pushed) + len(self.failed) + len(self.conflicts) + self.deferred


def backoff(attempts: int, rng: random.Random | None = None) -> float:
    """Seconds to wait after ``attempts`` failed attempts: 2, 4, 8 … capped at 5 min, ±50 % jitter."""
    # the exponent is capped: an item deferred a thousand times (its client keeps failing) made
    # 2 ** attempts too large for a float, and the whole push stopped with OverflowError
    base = min(BACKOFF_CAP, BACKOFF_BASE * (2 ** min(max(0, attempts - 1), 30)))
    return base * (rng or random).uniform(0.5, 1.5)


def wire_put(body: dict[str, Any], c: Concept, crm: str, value: Any, *, line: bool = False) -> None:
    """Write `value` under the 1C property the profile maps `crm` to (a line's when `line`), with
    its `_Type` when that property is composite; an unmapped field or a None value writes nothing."""
    name = (c.line_fields if line else c.fields).get(crm)
    if not name or value is None:
        return
    body[name] = value
    typ = c.line_type_of(name) if line else c.type_of(name)
    if typ:
        body[f"{name}_Type"] = parse.type_name(typ)


def _line_wire(c: Concept) -> dict[str, tuple[str, str, str]]:
    """`wire_put` of a concept's line fields, worked out once per body instead of once per value:
    for each mapped CRM line field its 1C property, and its ``_Type`` property and value when the
    property is composite (else two empty strings)."""
    out: dict[str, tuple[str, str, str]] = {}
    for crm, name in c.line_fields.items():
        if not name:
            continue
        typ = c.line_type_of(name)
        out[crm] = (name, f"{name}_Type", parse.type_name(typ)) if typ else (name, "", "")
    return out


def _json_number(v: Decimal) -> int | float:
    return int(v) if v == v.to_integral_value() else float(v)


def custom_wire(cf: CustomField, stored: Any) -> Any:
    """A custom field's stored JSON value as 1C's OData wants it for the field's kind: an empty
    value is 1C's empty string / zero / empty date / empty reference, never a JSON null."""
    spec = cf.field_spec
    value = custom.from_json(spec, stored)
    if spec.kind is FieldKind.YES_NO:
        return value is True
    if spec.kind is FieldKind.NUMBER:
        return _json_number(value) if isinstance(value, Decimal) else 0
    if spec.kind is FieldKind.DATE:
        return f"{value.isoformat()}T00:00:00" if isinstance(value, date) else EMPTY_DATE
    if spec.kind is FieldKind.REFERENCE:
        return value if isinstance(value, str) else EMPTY_REF
    return value if isinstance(value, str) else ""


@dataclass(frozen=True)
class InvoiceData:
    """One read of a stored invoice for its push: the record, its lines as sent to 1C, their
    units and unit factors, the national currency, the invoice's custom fields and its latest
    reservation request (the order's comment and lines depend on it)."""

    rec: InvoiceRecord
    lines: list[tuple[Any, ...]]
    units: dict[str, str | None]
    factors: dict[str, Decimal]
    currency: str | None
    custom: dict[str, Any]
    reserve: OutboxItem | None = None


@dataclass(frozen=True)
class _InvoiceStart:
    """What an invoice's push reads before its first request, in one turn of the writer thread
    (off the event loop): the invoice, its client's state, the organization and the refs an
    earlier attempt recorded."""

    data: InvoiceData
    client: ClientRecord | None
    organization: tuple[str, str, str] | None
    contract_id: str | None
    bill_id: str | None
    known_contract: str | None   # the client's sales contract with the organization, if the CRM knows one


_UNREAD: Any = object()   # a `_Lookups` value not read yet in this push


@dataclass
class _Lookups:
    """Store reads that do not change within one push, read once per push instead of once per
    invoice (or per line): the organization orders are written for, the national currency,
    products' units and units' factors. Dropped at the start of each push (`Pusher.run`), so a
    pull between two pushes is seen by the next one.

    Why: before this, each invoice read them again before its first request — ~5 ms of the
    writer thread's ~40 ms per invoice over loopback (BENCHMARKS.md, "Push, fourth round")."""

    organization: Any = _UNREAD            # tuple[str, str, str] | None once read
    currency: Any = _UNREAD                # str | None once read
    units: dict[str, str | None] = field(default_factory=dict)    # product -> unit (None: unknown)
    factors: dict[str, Decimal] = field(default_factory=dict)     # unit -> factor
    # The claimed invoices (`OutboxStore.invoice_push_batch`, read with the claim): whether each
    # has a reservation request, and its client's sales contract in the mirror. An invoice not
    # among them (pushed inline, or by a caller of `push_item`) reads both itself.
    claimed: dict[str, tuple[bool, str | None]] = field(default_factory=dict)
    # Clients' sales contracts this push found in 1C or made (the mirror read at the claim
    # does not have them; a client's later invoice in this push needs no look-up).
    contracts: dict[str, str] = field(default_factory=dict)
    # The claimed invoices whose client needs no push first (`OutboxStore.invoice_clients_ready`),
    # each with its client's remembered contract: their starts do not read the client.
    ready: dict[str, str | None] = field(default_factory=dict)
    # Clients this push brought to accounting (their item done): their invoices' starts do not
    # read the client either.
    pushed: set[str] = field(default_factory=set)
    # The claimed invoices' starts (`OutboxStore.invoice_push_starts`, read with the claim: two
    # statements for the claim instead of two per invoice). Each is used once, by the invoice's
    # first attempt in this push; a second item of one invoice in a claim, an attempt pushed by
    # a caller of `push_item` and an invoice pushed again read their own.
    starts: dict[str, InvoicePushStart] = field(default_factory=dict)
    # The claimed clients' starts, the same way (`OutboxStore.client_push_starts`): the client,
    # its custom fields and its contact values last seen.
    client_starts: dict[str, tuple[ClientRecord, dict[str, Any], dict[str, str]]] = field(default_factory=dict)
    # Claimed new clients whose counterparty's body is known at the claim (`Pusher._prepare_clients`):
    # the bodies, kept in `sent_bodies` with the claim's commit and sent as they are.
    client_noted: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Claimed invoices whose order body is known at the claim (`Pusher._prepare_orders`): their
    # starts, and the order bodies kept in `sent_bodies` with the claim's commit. An invoice whose
    # body at its turn is that one sends its order with no commit of its own before the request.
    prepared: dict[str, _InvoiceStart] = field(default_factory=dict)
    # ... each with what its body was built from besides the start (`Pusher._order_inputs`): at
    # the invoice's turn, the same inputs are the same body, which is not built again.
    noted: dict[str, tuple[tuple[object, ...], dict[str, Any]]] = field(default_factory=dict)


@dataclass
class _OrderWritten:
    """An order this attempt created or adopted: its state as 1C answered (number, DataVersion,
    posted, deletion mark), kept to commit with the item's outcome, and what that outcome adds
    once the invoice's push is over (`Pusher._order_outcome`)."""

    invoice_id: str
    item_id: int
    state: tuple[str, str, bool, bool]
    done: bool = False
    bill_id: str | None = None
    bill_number: str | None = None
    contract_id: str | None = None        # the refs the order was written with (`invoice_refs`)
    organization_id: str | None = None


@dataclass
class _ClientWritten:
    """A counterparty this attempt created or wrote: its 1C code and DataVersion as 1C answered,
    kept to commit with the item's outcome (`Pusher._client_outcome`), in one statement with the
    client's state when the push got that far."""

    client_id: str
    item_id: int
    code: str
    data_version: str
    done: bool = False


def _observe(fut: asyncio.Future[Any]) -> None:
    """Take a settled future's error as seen (nobody waits for it any more, `Pusher._abandon_settling`)."""
    if not fut.cancelled() and fut.exception() is not None:
        log.warning("a push outcome was not written: %s", fut.exception())


@dataclass
class _Stop:
    """Shared by the lanes of one push: why it stopped starting items (accounting unreachable),
    the attempts of the item that saw it (for the backoff of the rest), and the items started."""

    reason: str | None = None
    attempts: int = 1
    started: set[int] = field(default_factory=set)


class Pusher:
    """Pushes claimed outbox items; one instance per service."""

    def __init__(self, client: ODataClient, store: Store, profile: Profile, writer: StoreWriter | GroupWriter, *,
                 clock: Callable[[], datetime] | None = None, rng: random.Random | None = None,
                 concurrency: int = PUSH_CONCURRENCY) -> None:
        if not 1 <= concurrency <= MAX_PUSH_CONCURRENCY:
            raise ValueError(f"push concurrency must be from 1 to {MAX_PUSH_CONCURRENCY}, got {concurrency}")
        self.concurrency = concurrency
        self.client = client
        self.store = store
        self.p = profile
        self.writer = writer
        self.clock = clock or store.clock
        self.rng = rng or random.Random()
        self._contact_kinds: dict[str, str] | None = None   # crm kind -> Ref_Key
        self._kinds_lock = asyncio.Lock()   # lanes share one read of the contact kinds
        self._refs_lock = asyncio.Lock()    # ... and of УТ 11's agreement and VAT rates
        self._fresh_clients: dict[str, datetime] = {}  # counterparties this process created, when
        # УТ 11: the standard agreement per organization, VAT rate name -> catalog Ref_Key,
        # and the partner of the invoice being pushed (read from its counterparty)
        self._agreements: dict[str, str] = {}
        self._vat_refs: dict[str, str] | None = None
        self._partner: dict[str, str] = {}
        # What the CRM last wrote per object (entity, key), kept in the store before each request
        # (`sent_bodies`): a write 1C carried out but whose answer was lost leaves 1C at a
        # DataVersion the CRM never saw; 1C holding one of these bodies is our own write, not an
        # accountant's edit (see _check_differences) — also after this process was killed.
        # Store writes of an item that follow its last request: committed with its outcome (one
        # commit instead of two or three; nothing is sent in between, see `_later`).
        self._pending: dict[int, list[Callable[[], Any]]] = {}
        # Outcomes of items whose lane went on without waiting for them (`_settle_later`): they
        # are held and commit together (`GroupWriter.later`); `run` flushes and waits for all of
        # them before it reports.
        self._settling: list[asyncio.Future[Any]] = []
        self._inline: set[int] = set()   # claimed items `_ensure_client` pushed before their lane's turn
        self._inline_claimed: set[int] = set()   # items `_ensure_client` claimed itself (not in the claim)
        self._lookups = _Lookups()
        # (kind, object id) that may have an open conflict: read with the claim, plus the ones this
        # push records; an item's outcome closes conflicts only for these (`OutboxStore.outbox_done`)
        self._conflicted: set[tuple[str, str]] = set()
        # Reads with no write among them run on the same thread outside the group commit: a
        # group is a BEGIN and a COMMIT around them, two statements of DuckDB's ~1 ms each.
        self._reader: StoreWriter = writer.writer if isinstance(writer, GroupWriter) else writer

    # -- the loop ------------------------------------------------------------------------------
    async def run(self, limit: int = 50) -> PushResult:
        """Push what is due now, up to ``concurrency`` clients at once (one lane per client: a
        client's items stay in order, so a client still reaches accounting before its
        invoices). Stops starting items at the first sign that accounting is unreachable."""
        result = PushResult()
        before = self.client.stats.requests
        if not self.p.push:
            return result
        self._forget_old_fresh_clients()
        self._inline.clear()   # only this push's claims: an item deferred inline is claimed again later
        self._inline_claimed.clear()
        # Kept writes of an attempt that ended without an outcome (an unexpected error) are
        # dropped, as a killed process drops them: its resume repairs them (`_later`), and a
        # stale one must not be committed with a later attempt's outcome.
        self._pending.clear()
        self._lookups = _Lookups()   # what the last pull brought is read again
        items, owner = await self.writer.run(self._claim, self.clock(), limit)
        lanes = self._lanes(items, owner)
        stop = _Stop()
        gate = asyncio.Semaphore(self.concurrency)
        try:
            await asyncio.gather(*(self._run_lane(lane, result, stop, gate) for lane in lanes))
        except BaseException:
            self._abandon_settling()
            raise
        await self._settled()
        if stop.reason is not None:
            result.offline = stop.reason
            untouched = [i.id for lane in lanes for i in lane if i.id not in stop.started]
            await self.writer.run(self.store.outbox_release, untouched,
                                  self.clock() + timedelta(seconds=backoff(stop.attempts, self.rng)))
        result.requests = self.client.stats.requests - before
        return result

    def _forget_old_fresh_clients(self) -> None:
        """Counterparties created more than `FRESH_CLIENT` ago may have got a contract in 1C."""
        since = self.clock() - FRESH_CLIENT
        for cid in [c for c, at in self._fresh_clients.items() if at < since]:
            del self._fresh_clients[cid]

    def _claim(self, now: datetime, limit: int) -> tuple[list[OutboxItem], dict[int, str]]:
        """On the writer thread: the due items, claimed, and the client each belongs to."""
        items = self.store.claim_outbox(now, limit)
        self._conflicted = self.store.open_conflict_objects() if items else set()
        owner = self.store.outbox_clients([i.id for i in items]) if self.concurrency > 1 and items else {}
        invoices = [i.object_id for i in items if i.kind == "invoice"]
        if invoices:
            org = self._organization()
            wants = org is not None and self.p["order"].has("contract")
            self._lookups.claimed = self.store.invoice_push_batch(
                invoices, org[0] if org is not None and wants else None, self.p.enum("contract_kind", "sale"))
            self._lookups.ready = self.store.invoice_clients_ready(invoices)
            once = [iid for iid, n in Counter(invoices).items() if n == 1]
            self._lookups.starts = self.store.invoice_push_starts(once)
            self._prepare_orders(items, once)
        clients = [i.object_id for i in items if i.kind == "client"]
        if clients:
            once = [cid for cid, n in Counter(clients).items() if n == 1]
            self._lookups.client_starts = self.store.client_push_starts(once)
            self._prepare_clients(items, once)
        return items, owner

    def _prepare_orders(self, items: list[OutboxItem], once: list[str]) -> None:
        """On the writer thread, with the claim: the order bodies of the claimed invoices whose
        body is known now — its client needs no push (`_Lookups.ready`), no reservation request,
        and a sales contract known (or none wanted) — kept in `sent_bodies` in one statement,
        committed with the claim (before any request, as `_note_sent` is). Each such invoice's
        start is kept for its turn (`_Lookups.prepared`), so it also takes no turn of the
        writer thread to read it.

        Why: the order's body kept before its POST was a commit of its own for most invoices of
        clients accounting has (~3-4 ms of the writer thread an invoice with its BEGIN/COMMIT).
        At the invoice's turn, when what the body is built from is what it was here
        (`_order_inputs`, kept in `_Lookups.noted`), the body kept here is the one sent and its
        keeping is skipped; otherwise it is built again, and its keeping skipped only when equal
        (УТ 11's first invoices differ: their agreement and VAT refs are read at that turn).
        A body kept here whose request never goes out (the push stops: accounting unreachable)
        is what the CRM would send: 1C holding it is the CRM's data, as with a body kept before
        a request a kill -9 cut off."""
        look = self._lookups
        order_c = self.p["order"]
        org = self._organization()
        if org is None or not self._reads_sent(order_c.entity):
            return
        wants = order_c.has("contract")
        single = set(once)
        bodies: list[tuple[str, dict[str, Any]]] = []
        for item in items:
            iid = item.object_id
            claimed = look.claimed.get(iid)
            if (item.kind != "invoice" or item.action != "create" or item.step != "" or iid not in single
                    or iid not in look.ready or iid not in look.starts or claimed is None or claimed[0]):
                continue
            if wants and not (look.starts[iid].refs[0] or look.ready[iid] or claimed[1]):
                # the contract is to be found in 1C or made first: its start is read at its turn,
                # when a contract an earlier invoice of the client found in this push is known
                continue
            try:
                start = self._invoice_start(iid)
            except Refused:
                continue
            look.prepared[iid] = start
            contract = (start.contract_id or start.known_contract or "") if wants else ""
            body = self.order_body(iid, contract, org[0], data=start.data)
            look.noted[iid] = (self._order_inputs(start.data, contract, org[0]), body)
            bodies.append((iid, body))
        self.store.remember_sent_many(order_c.entity, bodies)

    def _prepare_clients(self, items: list[OutboxItem], once: list[str]) -> None:
        """On the writer thread, with the claim: the counterparty bodies of the claimed new
        clients (a create's first attempt: it POSTs without a look-up, after keeping its body;
        its start read with the claim), kept in
        `sent_bodies` in one statement committed with the claim — before any request, as
        `_note_sent` is — and kept for the client's turn (`_Lookups.client_noted`), which sends
        that very body with no commit of its own before its POST. Not when the profile keeps
        contacts in the counterparty's table part: that body needs the contact kinds read from 1C.

        Why: the body kept before a new client's POST was a commit of its own (the claim's commit
        and the outcomes' are shared by many items; this one was not). A body kept here whose
        request never goes out (the push stops) is what the CRM would send, as for the orders
        (`_prepare_orders`)."""
        look = self._lookups
        c = self.p["counterparty"]
        contact = self.p["contact"]
        if not self._reads_sent(c.entity) or (contact.present and contact.options.get("mode") == "table_part"):
            return
        single = set(once)
        bodies: list[tuple[str, dict[str, Any]]] = []
        for item in items:
            cid = item.object_id
            if (item.kind != "client" or item.action != "create" or item.step != "" or item.attempts > 1
                    or cid not in single or cid not in look.client_starts):
                continue
            rec, custom_values, _seen = look.client_starts[cid]
            body = self.counterparty_body(cid, rec, custom_values)
            look.client_noted[cid] = body
            bodies.append((cid, body))
        self.store.remember_sent_many(c.entity, bodies)

    @staticmethod
    def _lanes(items: list[OutboxItem], owner: dict[int, str]) -> list[list[OutboxItem]]:
        """Claimed items grouped by client, in claim order within a lane (clients first)."""
        lanes: dict[str, list[OutboxItem]] = {}
        for item in items:
            lanes.setdefault(owner.get(item.id, ""), []).append(item)
        return list(lanes.values())

    async def _settled(self) -> None:
        """Wait until every outcome left to commit later (`_settle_later`) is on disk; the first
        error among them is raised, as an awaited write's would have been."""
        settling, self._settling = self._settling, []
        if not settling:
            return
        if isinstance(self.writer, GroupWriter):
            self.writer.flush()
        errors = [r for r in await asyncio.gather(*settling, return_exceptions=True) if isinstance(r, BaseException)]
        if errors:
            raise errors[0]

    def _abandon_settling(self) -> None:
        """The push is ending with an error: what is queued still commits (or fails) on the writer,
        unobserved; a write that did not reach the disk leaves its item in flight, which the next
        push resumes as after a kill."""
        settling, self._settling = self._settling, []
        if settling and isinstance(self.writer, GroupWriter):
            self.writer.flush()
        for fut in settling:
            fut.add_done_callback(_observe)

    @staticmethod
    def _settle_later(item: OutboxItem, after: OutboxItem | None) -> bool:
        """Whether ``item``'s outcome may be held to commit later with other items' outcomes
        (`GroupWriter.later`: up to `GroupWriter.HOLD` of them, or at the end of the push)
        instead of being waited for, given the item its lane pushes next. Only when nothing that
        follows in this push reads what the outcome writes: the lane ends, or the next item is
        an invoice of another object. An invoice's push reads its own rows (never held: a second
        item of one object waits for the first's outcome), its reservation request when it has
        one (an item with the invoice's id: a reservation's outcome before an invoice of the
        same id waits), the claim's lookups and what this push keeps in memory — the clients it
        pushed (`_Lookups.pushed`: their rows are not read again), their contracts
        (`.contracts`) — and reference tables, which outcomes do not write. A reservation or
        shipment item reads its invoice's state as the invoice's outcome wrote it, and a second
        item of the same object its base version: those wait.

        A process killed while outcomes are held leaves their items ``sending``: the next push
        claims them again and each create looks its key up first and adopts what 1C has (checked
        against the body kept before its request, `sent_bodies`), as after a kill between a
        request and any commit — nothing is sent twice or lost, only those items' requests are
        made again (RELIABILITY.md)."""
        if after is None:
            return True
        return after.kind == "invoice" and after.object_id != item.object_id

    async def _run_lane(self, lane: list[OutboxItem], result: PushResult, stop: _Stop,
                        gate: asyncio.Semaphore) -> None:
        """Push one client's items one after another, holding one of the push's slots."""
        async with gate:
            for n, item in enumerate(lane):
                if stop.reason is not None:
                    return
                stop.started.add(item.id)
                if item.id in self._inline:
                    # pushed inline already (a client right before its invoice, `_ensure_client`);
                    # nothing else changes a claimed item (retry and discard refuse one being sent)
                    self._inline.discard(item.id)
                    continue
                after = lane[n + 1] if n + 1 < len(lane) else None
                outcome = await self.push_item(item, settle_later=self._settle_later(item, after))
                if outcome == "done":
                    result.pushed.append((item.kind, item.object_id))
                elif outcome == "offline":
                    if stop.reason is None:
                        stop.reason = self._last_error(item.id) or "accounting is unreachable"
                        stop.attempts = item.attempts
                    return
                elif outcome == "deferred":
                    result.deferred += 1
                elif outcome == "conflict":
                    result.conflicts.append((item.kind, item.object_id))
                else:
                    result.failed.append((item.kind, item.object_id, self._last_error(item.id)))

    def _last_error(self, item_id: int) -> str:
        """The error an item's last attempt recorded ('' if none, or if the item is gone)."""
        row = self.store.outbox_item(item_id)
        return (row.last_error or "") if row is not None else ""

    async def push_item(self, item: OutboxItem, *, settle_later: bool = False) -> str:
        """Push one claimed item and record the outcome: done | offline | deferred | failed | conflict.

        ``settle_later``: a "done" is held to commit with other items' outcomes (`_settle_later`,
        `GroupWriter.later`) and this returns at once; `run` waits for it before reporting."""
        try:
            if item.kind == "client":
                await self.push_client(item)
            elif item.kind == "invoice":
                await self.push_invoice(item)
            elif item.kind == "reserve":
                await self.push_reserve(item)
            elif item.kind == "shipment":
                await self.push_shipment(item)
            else:
                raise Refused("push.unknown_kind", kind=repr(item.kind))
        except (Unreachable, NotODataResponse) as exc:
            msg = describe(exc)
            delay = backoff(item.attempts, self.rng)
            await self._write(item, functools.partial(self.store.outbox_later, item.id, msg,
                                                      self.clock() + timedelta(seconds=delay)))
            log.info("push of %s %s postponed %.0f s: %s", item.kind, item.object_id, delay, msg)
            return "offline"
        except EditConflict as exc:
            await self._record_conflict(item, exc)
            return "conflict"
        except Deferred as exc:
            delay = backoff(item.attempts, self.rng)
            await self._write(item, functools.partial(self.store.outbox_later, item.id, describe(exc),
                                                      self.clock() + timedelta(seconds=delay)))
            return "deferred"
        except ODataError as exc:
            msg = describe(exc)
            if (exc.status or 0) >= 500 and item.attempts < MAX_SERVER_ERROR_ATTEMPTS:
                delay = backoff(item.attempts, self.rng)
                await self._write(item, functools.partial(self.store.outbox_later, item.id, msg,
                                                      self.clock() + timedelta(seconds=delay)))
                return "deferred"
            await self._write(item, functools.partial(self.store.outbox_failed, item.id, msg))
            log.warning("push of %s %s failed: %s", item.kind, item.object_id, msg)
            return "failed"
        except Refused as exc:
            msg = describe(exc)   # in the interface language: the invoice and order screens show it
            await self._write(item, functools.partial(self.store.outbox_failed, item.id, msg))
            log.warning("push of %s %s failed: %s", item.kind, item.object_id, msg)
            return "failed"
        # an item claimed inline (`_ensure_client`) was not among the claim's objects: it closes
        # its object's conflicts as before
        conflicts = item.id in self._inline_claimed or (item.kind, item.object_id) in self._conflicted
        done = functools.partial(self.store.outbox_done, item.id, conflicts=conflicts)
        if settle_later and isinstance(self.writer, GroupWriter):
            self._settling.append(self.writer.later(self._with_kept(item, done)))
        else:
            await self._write(item, done)
        if item.kind == "client":
            self._lookups.pushed.add(item.object_id)
        return "done"

    def _later(self, item: OutboxItem, fn: Callable[[], Any]) -> None:
        """Keep a store write of ``item`` to commit with its next one. Only for a write after
        which the item sends no request before its next write (in practice: after its last
        request, committed with its outcome) — each completed step is then on disk before the
        next request is sent, so a killed process resumes where it was — or for a fact whose
        loss a resume repairs by itself (`push_contacts`)."""
        self._pending.setdefault(item.id, []).append(fn)

    async def _write(self, item: OutboxItem, fn: Callable[[], T]) -> T:
        """``fn()`` on the writer, with the item's kept writes (`_later`) before it: one turn
        of the writer thread, one commit under the group writer."""
        return await self.writer.run(self._with_kept(item, fn))

    def _with_kept(self, item: OutboxItem, fn: Callable[[], T]) -> Callable[[], T]:
        """``fn`` preceded by the item's kept writes (`_later`), which it takes."""
        kept = self._pending.pop(item.id, [])
        if not kept:
            return fn

        def together() -> T:
            for call in kept:
                call()
            return fn()

        return together

    async def _read(self, fn: Callable[..., T], *args: Any) -> T:
        """A read on the writer thread outside any group commit (`_reader`), after every write
        queued so far. Outcomes held for later (`_settle_later`) are not waited for: no read of
        this push depends on them (see there)."""
        if isinstance(self.writer, GroupWriter):
            self.writer.kick()
        return await self._reader.run(fn, *args)

    async def _together(self, *calls: Callable[[], object]) -> None:
        """Store writes with no request between them, in one turn of the writer thread (one
        commit under the group writer instead of one each)."""
        def run() -> None:
            for call in calls:
                call()

        await self.writer.run(run)

    async def _record_conflict(self, item: OutboxItem, conflict: EditConflict) -> None:
        self._conflicted.add((conflict.kind, conflict.object_id))
        await self._write(item, lambda: self.store.record_conflict(
            item.id, conflict.kind, conflict.object_id, seen_version=conflict.seen_version,
            their_version=conflict.their_version, theirs=conflict.theirs, ours=conflict.ours,
            diffs=conflict.diffs, message=CONFLICT_MESSAGE))
        log.info("push of %s %s stopped: changed in accounting (%d fields differ)", item.kind,
                 item.object_id, len(conflict.diffs))

    async def _step(self, item: OutboxItem, step: str) -> None:
        await self.writer.run(self.store.outbox_step, item.id, step)

    # -- create / adopt ------------------------------------------------------------------------
    async def _create_or_adopt(self, entity: str, key: str, body: dict[str, Any], *, retried: bool,
                               select: list[str] | None = None, noted: bool = False) -> tuple[dict[str, Any], bool]:
        """POST with our key; if this is a retry, look the key up first. Returns (entity, adopted).
        ``noted``: the caller already committed ``body`` to `sent_bodies` (with its step, `_sent`)."""
        if retried:
            existing = await self.client.get_entity(entity, key, select)
            if existing is not None:
                return existing, True
        if not noted:
            await self._note_sent(entity, key, body)
        try:
            created = await self.client.create(entity, {"Ref_Key": key, **body})
        except KeyExists:
            existing = await self.client.get_entity(entity, key, select)
            if existing is None:
                raise
            return existing, True
        got = str(created.get("Ref_Key", key)).lower()
        if got != key:
            raise KeysIgnored("push.keys_ignored", entity=entity, got=got, key=key)
        return created, False

    # -- guarded updates -----------------------------------------------------------------------
    async def _guarded_update(self, kind: str, c: Concept, key: str, body: dict[str, Any], *,
                              current_version: str | None = None) -> dict[str, Any]:
        """PATCH an object accounting may have changed since the CRM copy was based on it.

        1C's DataVersion now (``current_version`` when the caller has just read it, else one GET
        with ``$select=DataVersion``) is compared with the CRM's ``base_version``: different, and
        the fields we write differ from 1C's, is an `EditConflict` and nothing is written. The
        PATCH carries ``If-Match`` of the version read, so a change between the read and the write
        is a 412 on a base that honours it, checked the same way. Raises NotFound when the
        object is gone. Returns 1C's object after the write ({} if 1C answered 204)."""
        dv_field = c.opt("data_version") or "DataVersion"
        seen = self.store.base_version(kind, key)
        if current_version is None:
            current = await self.client.get_entity(c.entity, key, [dv_field])
            if current is None:
                raise gone(c.entity, key)
            current_version = str(current.get(dv_field, "") or "")
        if seen and current_version and current_version != seen:
            current_version = await self._check_differences(kind, c, key, body, seen)
        await self._note_sent(c.entity, key, body)
        try:
            return await self.client.update(c.entity, key, body, if_match=current_version or None)
        except Conflict:
            # Changed between our read and our write (the base honours If-Match).
            again = await self._check_differences(kind, c, key, body, seen or current_version or "")
            return await self.client.update(c.entity, key, body, if_match=again or None)

    async def _check_differences(self, kind: str, c: Concept, key: str, body: dict[str, Any], seen: str) -> str:
        """Read 1C's object; raise `EditConflict` if a field we write differs, else return its
        DataVersion (nothing of 1C's would be lost by writing)."""
        theirs = await self.client.get_entity(c.entity, key)
        if theirs is None:
            raise gone(c.entity, key)
        dv = str(theirs.get(c.opt("data_version") or "DataVersion", "") or "")
        diffs = field_diffs(c, body, theirs, self.store.ref_name)
        if diffs and any(not field_diffs(c, sent, theirs, self.store.ref_name)
                         for sent in self.store.sent_bodies(c.entity, key)):
            diffs = []   # 1C holds what this process wrote earlier (its answer was lost): ours
        if diffs:
            raise EditConflict(kind, key, seen, dv, theirs, body, diffs)
        return dv

    def _check_adopted(self, kind: str, c: Concept, key: str, body: dict[str, Any], theirs: dict[str, Any]) -> None:
        """A create whose answer was lost found the object in 1C: it is ours if its fields are
        what this process sent (any of its last bodies) or what the CRM is about to write; or if
        the operator already chose ours over this very version (``base_version``). Otherwise an
        accountant changed it between our write and this retry: `EditConflict`, nothing is
        written, the operator sees both versions."""
        diffs = field_diffs(c, body, theirs, self.store.ref_name)
        if not diffs or any(not field_diffs(c, {k: v for k, v in sent.items() if k in body}, theirs,
                                            self.store.ref_name)
                            for sent in self.store.sent_bodies(c.entity, key)):
            return
        dv = str(theirs.get(c.opt("data_version") or "DataVersion", "") or "")
        if dv and self.store.base_version(kind, key) == dv:
            return
        raise EditConflict(kind, key, "", dv, theirs, body, diffs)

    def _reads_sent(self, entity: str) -> bool:
        """Whether the bodies sent to ``entity`` are ever read back: only by `_check_differences`
        and `_check_adopted`, which are given the counterparty or the order and nothing else.
        The partner's, the contract's, the invoice document's and the shipment request's bodies
        would be written and never read (a commit's worth of work each), so they are not kept."""
        return entity in (self.p["counterparty"].entity, self.p["order"].entity)

    async def _note_sent(self, entity: str, key: str, body: dict[str, Any]) -> None:
        """Keep the body in the store before it goes out: a kill -9 between the request and its
        answer must not turn our own write into "changed in accounting" for the next process.
        Nothing for an entity whose bodies are never read (`_reads_sent`)."""
        if self._reads_sent(entity):
            await self.writer.run(self.store.remember_sent, entity, key, body)

    def _sent(self, entity: str, key: str, body: dict[str, Any]) -> Callable[[], None]:
        """`_note_sent` as a store write to commit with the step that comes right before the
        request (one commit, still before the request goes out; never after it)."""
        if not self._reads_sent(entity):
            return lambda: None
        return functools.partial(self.store.remember_sent, entity, key, body)

    async def keep_theirs(self, conflict_id: int) -> bool:
        """Operator chose accounting's version: read it now and put it into the CRM copy; the
        outbox item is dropped. False when the conflict is no longer open or the object is gone."""
        conflict = self.store.conflict(conflict_id)
        if conflict is None or conflict.resolved_at is not None:
            return False
        p = self.p
        if conflict.kind == "client":
            c = p["counterparty"]
            got = await self.client.get_entity(c.entity, conflict.object_id)
            if got is None:
                return False
            row: dict[str, Any] = got
            e = c.entity
            return bool(await self.writer.run(lambda: self.store.conflict_keep_theirs_client(
                conflict_id, name=parse.text(row, c.f("name"), e), full_name=parse.text(row, c.opt("full_name"), e),
                inn=parse.text(row, c.f("inn"), e), kpp=parse.text(row, c.opt("kpp"), e),
                comment=parse.text(row, c.opt("comment"), e) if c.has("comment") else None,
                code=parse.text(row, c.opt("code"), e), data_version=parse.text(row, c.opt("data_version"), e))))
        c = p["order"]
        doc = await self.client.get_entity(c.entity, conflict.object_id)
        if doc is None:
            return False
        full = parse.order_full(p, {**doc, "Ref_Key": conflict.object_id})
        keys = parse.vat_keys(full)
        if p["vat_rate"].present and keys and not keys <= set((self._vat_refs or {}).values()):
            # УТ 11.5's line rates are catalog keys: kept by the rate's name, never the key
            async with self._refs_lock:
                await self._read_vat_refs()
        state, wh, pt, incl, comment, lines = parse.order_rates(
            p, full, parse.vat_rate_key_names(self._vat_refs) if self._vat_refs is not None else None)
        return bool(await self.writer.run(lambda: self.store.conflict_keep_theirs_invoice(
            conflict_id, number=state.number, posted=state.posted, comment=comment, warehouse_id=wh,
            price_type_id=pt, amount_includes_vat=incl, total=state.total or Decimal(0), lines=lines,
            data_version=state.data_version)))

    # -- clients -------------------------------------------------------------------------------
    def counterparty_body(self, client_id: str, rec: ClientRecord | None = None,
                          custom_values: dict[str, Any] | None = None) -> dict[str, Any]:
        """The counterparty as 1C JSON (``rec``, ``custom_values``: the client and its custom
        fields as the caller has just read them)."""
        rec = rec or self.store.get_client(client_id)
        if rec is None:
            raise Refused("push.client_gone")
        c = self.p["counterparty"]
        cl = rec.client
        body: dict[str, Any] = {
            c.f("name"): cl.name,
            c.f("full_name"): cl.full_name or cl.name,
            c.f("inn"): cl.inn,
            c.f("kpp"): cl.kpp,
            c.f("legal_form"): self.p.enum("legal_form", cl.kind.value),
        }
        if c.has("is_buyer"):
            body[c.f("is_buyer")] = True
        if c.has("comment"):
            body[c.f("comment")] = cl.comment
        if self.p["partner"].present and c.has("partner"):
            body[c.f("partner")] = derived_key("partner", client_id)
        custom = self.store.client_custom(client_id) if custom_values is None else custom_values
        for cf in self.p.custom("client"):
            if cf.pushes and cf.name in custom:
                body[cf.onec] = custom_wire(cf, custom[cf.name])
        return body

    def partner_body(self, client_id: str) -> dict[str, Any]:
        """УТ 11: the client's Партнер (the business partner its Контрагент belongs to)."""
        rec = self.store.get_client(client_id)
        if rec is None:
            raise Refused("push.client_gone")
        c = self.p["partner"]
        cl = rec.client
        body: dict[str, Any] = {c.f("name"): cl.name, c.f("is_client"): True}
        if c.has("full_name"):
            body[c.f("full_name")] = cl.full_name or cl.name
        if c.has("legal_form"):
            body[c.f("legal_form")] = self.p.enum("partner_kind", cl.kind.value)
        return body

    async def contact_table(self, client_id: str, current: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
        """The counterparty's contact table part (УТ 11, БП 3: `КонтактнаяИнформация`) with the
        client's phone, e-mail and address; None when contacts live in a register.

        A PATCH replaces a table part whole, so the rows of ``current`` (what 1C has now) of
        other kinds — a second phone an accountant typed, a legal address — are kept as they are,
        and only the rows of the CRM's three kinds are replaced. Rows of a kind whose value is the
        CRM's already (the same phone numbers, however 1C spells them) are kept as 1C has them:
        the CRM never rewrites an accountant's "+7 (912) 345-67-89" as "+79123456789"."""
        c = self.p["contact"]
        if not c.present or c.options.get("mode") != "table_part":
            return None
        rec = self.store.get_client(client_id)
        if rec is None:
            return None
        kinds = await self._kinds()
        ours = set(kinds.values())
        kind_f, value_f = c.f("kind"), c.f("value")
        theirs = [dict(r) for r in current or () if isinstance(r, dict)]
        kept = [r for r in theirs if str(r.get(kind_f, "")).lower() not in ours]
        values = {"phone": ", ".join(rec.client.phones), "email": rec.client.email, "address": rec.client.address}
        rows = [{k: v for k, v in r.items() if k not in ("Ref_Key", "LineNumber")} for r in kept]
        for crm_kind, value in values.items():
            kind_ref = kinds.get(crm_kind)
            if kind_ref is None or not value:
                continue
            same_kind = [r for r in theirs if str(r.get(kind_f, "")).lower() == kind_ref.lower()]
            if same_kind and _contact_key(crm_kind, [str(r.get(value_f, "") or "") for r in same_kind]) == \
                    _contact_key(crm_kind, [value]):
                rows += [{k: v for k, v in r.items() if k not in ("Ref_Key", "LineNumber")} for r in same_kind]
                continue
            rows.append({c.f("type"): self.p.enum("contact_type", crm_kind), kind_f: kind_ref, value_f: value})
        return [{"LineNumber": str(n), **r} for n, r in enumerate(rows, start=1)]

    async def _with_contacts(self, cid: str, body: dict[str, Any], *, current: bool) -> dict[str, Any]:
        """``body`` plus the contact table part when the profile keeps contacts there; with
        ``current`` the rows 1C has now are read first (an update must not drop theirs)."""
        c = self.p["contact"]
        if not c.present or c.options.get("mode") != "table_part":
            return body
        rows: list[dict[str, Any]] | None = None
        if current:
            existing = await self.client.get_entity(self.p["counterparty"].entity, cid, [c.lines])
            got = (existing or {}).get(c.lines)
            rows = got if isinstance(got, list) else None
        table = await self.contact_table(cid, rows)
        return body if table is None else {**body, c.lines: table}

    async def push_client(self, item: OutboxItem) -> None:
        c = self.p["counterparty"]
        cid = item.object_id
        rec: ClientRecord | None
        got = self._lookups.client_starts.pop(cid, None)
        kept = self._lookups.client_noted.pop(cid, None)   # its body, kept with the claim
        if got is not None:   # read with the claim: no turn of the writer thread
            rec, custom_values, seen = got
            body = kept if kept is not None else self.counterparty_body(cid, rec, custom_values)
        else:
            body, rec, seen = await self._read(self._client_start, cid)
        # A create carries the contact rows; every PATCH re-reads 1C's rows and keeps theirs.
        create_body = await self._with_contacts(cid, body, current=False)
        step = item.step
        retried = item.attempts > 1
        written: _ClientWritten | None = None   # the counterparty this attempt wrote, its state to commit
        own_partner = True
        if self.p["partner"].present and item.action == "update":
            # УТ 11: a counterparty the operator took over from accounting keeps its own partner
            # (it may group several counterparties). Only the partner the CRM made is renamed.
            own_partner = await self._partner_of(cid) in ("", derived_key("partner", cid))
            if not own_partner:
                body = {k: v for k, v in body.items() if k != c.f("partner")}
        if step == "" and self.p["partner"].present and own_partner:
            # the partner first (the counterparty points at it); looked up first when an earlier
            # attempt may have made it or the client is an update, so a retry or a lost answer
            # never makes a second one. A first create POSTs at once: a partner there already
            # (an earlier item discarded after it) is 1C's "key exists", adopted the same way.
            pc = self.p["partner"]
            pkey = derived_key("partner", cid)
            partner_body = self.partner_body(cid)
            _obj, adopted = await self._create_or_adopt(pc.entity, pkey, partner_body,
                                                        retried=retried or item.action != "create")
            if adopted:
                await self.client.update(pc.entity, pkey, partner_body)
        if step == "":
            if item.action == "create":
                obj, adopted = await self._create_or_adopt(c.entity, cid, create_body, retried=retried,
                                                           noted=kept is not None and create_body is kept)
                if not adopted:
                    self._fresh_clients[cid] = self.clock()
                if adopted:
                    # Ours from a lost answer: bring it to the CRM's state, unless someone changed
                    # it in 1C since (then the operator chooses, `_check_adopted`).
                    self._check_adopted("client", c, cid, body, obj)
                    full = await self._with_contacts(cid, body, current=True)
                    await self._note_sent(c.entity, cid, full)
                    obj = await self.client.update(c.entity, cid, full) or obj
            else:
                try:
                    obj = await self._guarded_update("client", c, cid,
                                                     await self._with_contacts(cid, body, current=True))
                except NotFound:
                    raise Refused("push.counterparty_deleted") from None
            code = str(obj.get(c.opt("code") or "Code", "") or "")
            dv = str(obj.get(c.f("data_version") if c.has("data_version") else "DataVersion", "") or "")
            # No step is committed before the contact records' requests: the counterparty's key is
            # the client's id, so a resume (kill -9, a failed contact record) retries the create,
            # which looks the key up first and adopts the object (`_check_adopted` against the
            # body kept before the POST) — the same GET + PATCH as a resume at step
            # "counterparty" did. Its code and DataVersion are committed with the outcome.
            written = _ClientWritten(cid, item.id, code, dv)
            self._later(item, functools.partial(self._client_outcome, written))
            step = "counterparty"
            if self.p["partner"].present and own_partner and c.has("partner"):
                # the partner the counterparty now points at: its invoices need not read it back
                self._partner[cid] = derived_key("partner", cid)
        elif retried:
            # Resumed after the counterparty was written: the client may have been edited since
            # (a later save merges into this pending item), so send its current state again,
            # compared with the version our write left (remembered with the step).
            obj = await self._guarded_update("client", c, cid,
                                             await self._with_contacts(cid, body, current=True))
            dv = str(obj.get(c.opt("data_version") or "DataVersion", "") or "")
            if dv:
                await self.writer.run(self.store.set_base_version, "client", cid, dv)
        if step == "counterparty" and rec is not None:
            await self.push_contacts(item, rec, seen, update=item.action != "create")
        # the last request is done: the client's state is committed with the item's outcome
        if written is not None:
            written.done = True
        else:
            self._later(item, lambda: self._client_pushed(cid, item.id))

    def _client_start(self, cid: str) -> tuple[dict[str, Any], ClientRecord | None, dict[str, str]]:
        """On the writer thread: what `push_client` reads before its first request (the
        counterparty's body, the client for its contacts, the contact values last seen)."""
        rec, custom_values = self.store.client_push_start(cid)
        return self.counterparty_body(cid, rec, custom_values), rec, self.store.contact_seen(cid)

    def _client_pushed(self, cid: str, item_id: int) -> None:
        self.store.client_push_done(cid, item_id=item_id)

    def _client_outcome(self, w: _ClientWritten) -> None:
        """The counterparty's code and DataVersion as its write answered: with the client's
        outcome when the push got that far (one statement), else on their own (a contact record
        failed, or is in conflict)."""
        if w.done:
            self.store.client_push_done(w.client_id, written=(w.code, w.data_version), item_id=w.item_id)
        else:
            self.store.remember_pushed_client(w.client_id, w.code, w.data_version)

    async def _kinds(self) -> dict[str, str]:
        async with self._kinds_lock:
            if self._contact_kinds is None:
                q = queries.contact_kinds(self.p)
                rows = await self.client.get_all(q) if q is not None else []
                by_ref = parse.contact_kind_map(self.p, rows)
                self._contact_kinds = {kind: ref for ref, kind in by_ref.items()}
            return self._contact_kinds

    async def push_contacts(self, item: OutboxItem, rec: ClientRecord, seen: dict[str, str], *,
                            update: bool) -> None:
        """Phone, e-mail and address of ``rec`` as contact-information records (upsert by key);
        ``seen``: the values the CRM last wrote or took (store `contact_seen`).

        What was written is remembered with the item's outcome (one commit, not one per record):
        the records are upserts by key, so a process killed before that commit writes the same
        values again on resume (a create that finds the record is a PATCH), never a second one."""
        c = self.p["contact"]
        if not c.present or c.options.get("mode", "register") != "register":
            return
        client_id = rec.id
        kinds = await self._kinds()
        values = {
            "phone": ", ".join(rec.client.phones),
            "email": rec.client.email,
            "address": rec.client.address,
        }
        owner, kind_f = c.f("owner"), c.f("kind")
        owner_type = c.type_of(owner) or self.p["counterparty"].entity
        kind_type = c.type_of(kind_f) or c.options.get("kind_entity", "")
        # The records have no DataVersion: before changing one, it is re-read and its value
        # compared with the one the CRM last wrote or took (store `contact_seen`); another value
        # that is not ours either is an accountant's edit, left as it is and shown as a conflict.
        diffs: list[FieldDiff] = []
        theirs: dict[str, str] = {}
        # the values written (or found already there), remembered with the item's next write in
        # one statement; filled as the records go out, so an attempt cut short keeps what it did
        written: dict[str, str] = {}
        self._later(item, functools.partial(self.store.contacts_written, client_id, written, frozenset(seen)))
        for crm_kind, value in values.items():
            kind_ref = kinds.get(crm_kind)
            if kind_ref is None:
                continue
            type_value = self.p.enum("contact_type", crm_kind)
            key = {
                owner: client_id, f"{owner}_Type": parse.type_name(owner_type),
                c.f("type"): type_value,
                kind_f: kind_ref, f"{kind_f}_Type": parse.type_name(kind_type),
            }
            path = (f"{c.entity}({owner}={lit_guid(client_id)},{owner}_Type={lit_str(parse.type_name(owner_type))},"
                    f"{c.f('type')}={lit_str(type_value)},{kind_f}={lit_guid(kind_ref)},"
                    f"{kind_f}_Type={lit_str(parse.type_name(kind_type))})")
            current: dict[str, Any] | None = None
            if update or crm_kind in seen:
                current = await self.client.get_record(path)
                now = str((current or {}).get(c.f("value"), "") or "")
                if crm_kind in seen and not same(now, seen[crm_kind]) and not same(now, value):
                    diffs.append(FieldDiff(crm_kind, None, value, now))
                    theirs[crm_kind] = now
                    continue
                if same(now, value):
                    written[crm_kind] = value
                    continue
            if not value:
                if current is not None:
                    with suppress(NotFound):
                        await self.client._request("DELETE", path)
                written[crm_kind] = ""
                continue
            if current is not None:
                await self.client._request("PATCH", path, body={c.f("value"): value})
            else:
                try:
                    await self.client.create(c.entity, {**key, c.f("value"): value})
                except KeyExists:
                    await self.client._request("PATCH", path, body={c.f("value"): value})
            written[crm_kind] = value
        if diffs:
            self._later(item, functools.partial(self.store.offer_contacts, client_id, theirs))
            ours = {d.field: d.ours for d in diffs}
            # the counterparty's own version is untouched by this: "apply ours" keeps it as the base
            base = self.store.base_version("client", client_id)
            raise EditConflict("client", client_id, base, base, {"contacts": theirs}, {"contacts": ours}, diffs)

    # -- invoices ------------------------------------------------------------------------------
    async def _ensure_client(self, client_id: str, rec: ClientRecord | None) -> None:
        """The invoice's client (``rec``, as just read) must be in accounting first: push it now
        if it is not."""
        if rec is None or rec.sync_state is SyncState.IN_ACCOUNTING:
            return  # a counterparty from accounting, or already there
        if rec.origin != "crm":
            return
        sub = await self.writer.run(self.store.claim_outbox_for, "client", client_id)
        if sub is None:
            open_item = self.store.outbox_open_for("client", client_id)
            if open_item is not None and open_item.state == "failed":
                raise Deferred("push.wait_client_why", why=open_item.last_error)
            # Never queued (a draft client): queue it now, in the same way the card would.
            await self.writer.run(self.store.queue_push, "client", client_id, "create", self.clock())
            sub = await self.writer.run(self.store.claim_outbox_for, "client", client_id)
            if sub is None:
                raise Deferred("push.wait_client")
        self._inline_claimed.add(sub.id)
        outcome = await self.push_item(sub)
        self._inline.add(sub.id)
        if outcome == "offline":
            raise Unreachable(self._last_error(sub.id) or None)
        if outcome != "done":
            raise Deferred("push.wait_client_why", why=self._last_error(sub.id))

    def _invoice_start(self, invoice_id: str) -> _InvoiceStart:
        """On the writer thread: everything `push_invoice` reads before its first request: the
        invoice and its lines (`invoice_push_start`), its client only when the claim did not
        find it ready and this push has not pushed it (`_Lookups.ready`, `_Lookups.pushed`), and
        its reservation request only when it has one; the rest was read with the claim or once
        per push (`_Lookups`)."""
        look = self._lookups
        got = look.starts.pop(invoice_id, None) or self.store.invoice_push_start(invoice_id, client=False)
        if got is None:
            raise Refused("push.invoice_gone")
        client_id = got.record.invoice.client_id
        client_contract: str | None = None
        client: ClientRecord | None = None
        if invoice_id in look.ready:
            client_contract = look.ready[invoice_id]
        elif client_id and client_id not in look.pushed:
            # may still have to be pushed first (`_ensure_client`): its state now, not the claim's
            client, client_contract = self.store.invoice_push_client(client_id)
        org = self._organization()
        wants = org is not None and self.p["order"].has("contract")
        claimed = look.claimed.get(invoice_id)
        has_reserve, mirrored = claimed if claimed is not None else (True, None)
        reserve = self.store.reserve_request(invoice_id) if has_reserve else None
        known = None
        if client_id and org is not None and wants:
            known = client_contract or look.contracts.get(client_id) or (
                mirrored if claimed is not None
                else self.store.find_contract(client_id, org[0], self.p.enum("contract_kind", "sale")))
        units, factors = self._units([r[1] for r in got.lines])
        data = InvoiceData(got.record, got.lines, units, factors, self._currency(), got.custom, reserve)
        contract_id, _, bill_id = got.refs
        return _InvoiceStart(data, client if client_id else None, org, contract_id, bill_id, known)

    async def _contract(self, client_id: str, org_id: str,
                        start: _InvoiceStart) -> tuple[str, list[Callable[[], object]]]:
        """A sales contract of the client with our organization: known (as ``start`` read it),
        found in 1C, or created. Returns its key and the store writes that remember it, for the
        caller to commit with its own next write (no request comes between)."""
        p = self.p
        kind = p.enum("contract_kind", "sale")
        if start.known_contract:
            return start.known_contract, []
        # A counterparty this process created minutes ago has no contract in 1C but the one an
        # earlier attempt of ours may have made under the derived key ("key exists" adopts it).
        fresh = client_id in self._fresh_clients
        found = [] if fresh else await self.client.get_all(queries.contracts_of(p, client_id, org_id))
        c = p["contract"]
        if found:
            got = parse.contract(p, found[0])
            self._lookups.contracts[client_id] = str(found[0][c.f("id")]).lower()
            return str(found[0][c.f("id")]).lower(), ([lambda: self._remember_contract(got)] if got is not None else [])
        key = derived_key("contract", client_id, org_id)
        currency = start.data.currency   # the national currency, read with the invoice
        body: dict[str, Any] = {
            c.f("owner"): client_id,
            c.f("organization"): org_id,
            c.f("kind"): kind,
            c.f("name"): "Основной договор",
        }
        if c.has("settlement") and p.enums.get("settlement", {}).get("by_order"):
            body[c.f("settlement")] = p.enum("settlement", "by_order")
        if currency:
            body[c.f("currency")] = currency
        _obj, adopted = await self._create_or_adopt(c.entity, key, body, retried=not fresh)
        # Mirrored at once: the idle cycle watches orders under by-order contracts through the
        # settlement register, and must not wait for the next reference pull to know this one.
        row = (key, client_id, org_id, body[c.f("name")], kind, str(body.get(c.opt("settlement") or "", "")), "",
               currency, False)
        self._lookups.contracts[client_id] = key
        return key, [lambda: self.store.set_client_contract(client_id, key),
                     lambda: self._remember_contract(row, created=not adopted)]

    def _remember_contract(self, row: tuple[Any, ...], *, created: bool = False) -> None:
        with self.store.transaction() as cur:
            self.store.remember_contract(cur, row, created=created)

    def _organization(self) -> tuple[str, str, str] | None:
        """The organization orders are written for, read once per push (`_Lookups`)."""
        look = self._lookups
        if look.organization is _UNREAD:
            look.organization = self.store.organization()
        org: tuple[str, str, str] | None = look.organization
        return org

    def _currency(self) -> str | None:
        """The national currency's key, read once per push (`_Lookups`)."""
        look = self._lookups
        if look.currency is _UNREAD:
            look.currency = self.store.currency_id(self.p["currency"].options.get("national_code", "643"))
        cur: str | None = look.currency
        return cur

    def _units(self, product_ids: Sequence[str]) -> tuple[dict[str, str | None], dict[str, Decimal]]:
        """The products' units and those units' factors; what this push has not read yet is read
        in one query each (`_Lookups`)."""
        look = self._lookups
        missing = [pid for pid in dict.fromkeys(product_ids) if pid not in look.units]
        if missing:
            found = self.store.product_units(missing)
            look.units.update({pid: found.get(pid) for pid in missing})
        units = {pid: look.units[pid] for pid in product_ids}
        new_units = [u for u in dict.fromkeys(units.values()) if u and u not in look.factors]
        if new_units:
            look.factors.update(self.store.unit_factors(new_units))
        return units, {u: look.factors[u] for u in dict.fromkeys(units.values()) if u}

    def invoice_data(self, invoice_id: str, custom_values: dict[str, Any] | None = None) -> InvoiceData:
        """What the order and its invoice document are built from, read once for both
        (``custom_values``: the invoice's custom fields, when the caller has read them)."""
        rec = self.store.get_invoice(invoice_id)
        if rec is None:
            raise Refused("push.invoice_gone")
        lines = self.store.invoice_lines_effective(invoice_id)
        units, factors = self._units([r[1] for r in lines])
        return InvoiceData(
            rec, lines, units, factors, self._currency(),
            self.store.invoice_custom(invoice_id) if custom_values is None else custom_values,
            self.store.reserve_request(invoice_id))

    def _order_inputs(self, data: InvoiceData, contract_id: str, org_id: str) -> tuple[object, ...]:
        """What an order's body (`order_body`, not the invoice document's, no reservation) is
        built from besides the profile: the data read for it (the same object at the claim and
        at the turn, compared by identity first), the contract and organization, and what this
        push read from 1C for УТ 11 (the client's partner, the organization's agreement, the VAT
        rates' keys, read once and never changed in place). Equal inputs, equal bodies:
        `push_invoice` does not build again a body `_prepare_orders` built from the same."""
        return (data, contract_id or "", org_id, self._partner.get(data.rec.invoice.client_id or ""),
                self._agreements.get(org_id), self._vat_refs)

    def order_body(self, invoice_id: str, contract_id: str, org_id: str, *, bill: bool = False,
                   data: InvoiceData | None = None, reserve: bool = False) -> dict[str, Any]:
        """The order (or its linked invoice document) as 1C JSON, from the stored invoice
        (``data``: as `invoice_data` read it, when the caller already has it). ``reserve``: each
        line is placed on the invoice's warehouse (to be reserved by posting)."""
        data = data or self.invoice_data(invoice_id)
        rec = data.rec
        p = self.p
        c = p["bill" if bill else "order"]
        inv = rec.invoice
        currency = data.currency
        body: dict[str, Any] = {}

        def put(crm: str, value: Any) -> None:
            wire_put(body, c, crm, value)

        put("date", to_server_time(rec.date).replace(microsecond=0).isoformat())
        put("client", inv.client_id)
        put("contract", contract_id or None)
        put("partner", self._partner.get(inv.client_id or ""))
        put("agreement", self._agreements.get(org_id))
        if c.has("status") and not bill:
            put("status", p.enum("order_status", "new"))
        put("organization", org_id)
        put("warehouse", inv.warehouse_id)
        put("price_type", inv.price_type_id)
        put("currency", currency)
        put("rate", 1)
        put("multiplicity", "1")
        put("amount_includes_vat", inv.amount_includes_vat)
        put("vat_enabled", True)
        put("total", _json_number(rec.total))
        request = data.reserve if not bill else None
        if request is not None and request.action == "request":
            put("comment", f"{RESERVE_MARK} {inv.comment}".strip())
        else:
            put("comment", inv.comment)
        if bill:
            put("order", invoice_id)
        custom = data.custom
        for cf in p.custom("invoice"):
            if cf.pushes and cf.name in custom and not bill:
                body[cf.onec] = custom_wire(cf, custom[cf.name])
        if c.lines:
            rows = data.lines
            units = data.units
            out = []
            wire = _line_wire(c)
            reservation = (p.enum("reservation", "line" if request is not None or reserve else "none")
                           if rows and c.lopt("reservation") else None)
            vat_refs = self._vat_refs
            for line_no, product, qty, price, disc, amount, rate, vat in rows:
                row: dict[str, Any] = {}
                unit = units.get(product)
                # the order of wire_put calls before (a body's JSON is compared with kept ones)
                values: list[tuple[str, Any]] = [
                    ("line_number", str(line_no)),
                    ("product", product),
                    ("unit", unit),
                    ("factor", _json_number(data.factors.get(unit or "", Decimal(1)))),
                    ("quantity", _json_number(qty)),
                    ("price", _json_number(price)),
                    ("amount", _json_number(amount)),
                    ("discount_pct", _json_number(combine_discounts(disc, inv.document_discount_pct))),
                    ("vat_rate", vat_refs.get(rate) if vat_refs is not None else rate),
                    ("vat", _json_number(vat)),
                    ("packages", _json_number(qty)),
                    ("warehouse", inv.warehouse_id),
                ]
                if reservation is not None:
                    # УТ 11: the line's ВариантОбеспечения; "line" (reserve from the warehouse)
                    # once the operator asked to reserve, else what the profile says ("none")
                    values.append(("reservation", reservation))
                if reserve:
                    values.append(("placement", inv.warehouse_id))
                if bill:
                    values.append(("order", invoice_id))
                for crm, value in values:   # `wire_put(row, c, crm, value, line=True)`, inlined
                    w = wire.get(crm)
                    if w is None or value is None:
                        continue
                    row[w[0]] = value
                    if w[1]:
                        row[w[1]] = w[2]
                if "LineNumber" not in row:
                    row["LineNumber"] = str(line_no)
                out.append(row)
            body[c.lines] = out
        return body

    async def push_invoice(self, item: OutboxItem) -> None:
        p = self.p
        iid = item.object_id
        prepared = self._lookups.prepared.pop(iid, None)
        start = prepared if prepared is not None else await self._read(self._invoice_start, iid)
        data = start.data
        rec = data.rec
        client_id = rec.invoice.client_id
        if not client_id:
            raise Refused("push.no_client")
        await self._ensure_client(client_id, start.client)
        org = start.organization
        if org is None:
            raise Deferred("push.no_organization")
        org_id = org[0]
        retried = item.attempts > 1
        step = item.step
        order_c = p["order"]
        bill_c = p["bill"]
        contract_id, bill_id = start.contract_id, start.bill_id

        await self._generation_refs(client_id, org_id)
        wants_contract = order_c.has("contract")
        remember: list[Callable[[], object]] = []
        sent_order: dict[str, Any] | None = None   # committed to `sent_bodies` with step "contract"
        written: _OrderWritten | None = None   # the order created by this attempt, its state to commit
        if item.action == "update" and step == "":
            if wants_contract and not contract_id:
                contract_id, remember = await self._contract(client_id, org_id, start)
                await self._together(*remember)
            await self._update_order(item, contract_id or "", org_id)
            step = "order"
        if step == "":
            if wants_contract and not contract_id:
                contract_id, remember = await self._contract(client_id, org_id, start)
            contract_id = contract_id if wants_contract else ""
            bill_id = bill_id or (derived_key("bill", iid) if bill_c.present else None)
            # The order's body goes out right after this commit and is kept in it (`sent_bodies`),
            # with what the contract's look-up or create found. No step and no refs are recorded
            # before the order's request: every key is known without them (the order's is the
            # invoice's id, the contract's and the invoice document's derived from ids, a contract
            # found in 1C is in the mirror now), so a resume at step "" computes them again and
            # its create looks the order up first, adopting it as a resume at step "contract" did.
            # The refs are committed with the outcome (`invoice_push_done`).
            claimed_body = self._lookups.noted.pop(iid, None)   # the body kept with the claim
            if claimed_body is not None and claimed_body[0] == self._order_inputs(data, contract_id or "", org_id):
                sent_order, kept = claimed_body[1], True
            else:
                sent_order = self.order_body(iid, contract_id or "", org_id, data=data)
                kept = claimed_body is not None and claimed_body[1] == sent_order
            writes = [*remember] if kept else [*remember, self._sent(order_c.entity, iid, sent_order)]
            if writes:
                await self._together(*writes)
            step = "contract"
        if step == "contract":
            noted = sent_order is not None
            body = sent_order if sent_order is not None else self.order_body(iid, contract_id or "", org_id, data=data)
            obj, adopted = await self._create_or_adopt(order_c.entity, iid, body, retried=retried, noted=noted)
            if adopted:
                self._check_adopted("invoice", order_c, iid, body, obj)
            if adopted and not obj.get(order_c.f("posted")):
                if not noted:
                    await self._note_sent(order_c.entity, iid, body)
                obj = await self.client.update(order_c.entity, iid, body,
                                               if_match=str(obj.get(order_c.f("data_version"), "")) or None) or obj
            state = parse.order_state(p, {**obj, "Ref_Key": iid})
            # The order's state is committed with the item's outcome, whatever it is (one
            # statement with the invoice's, `_order_outcome`); only the step goes to disk before
            # the next request. A process killed in between resumes at step "order", which reads
            # the order again and records its state (`_refresh_order`).
            # (the invoice document's body is not kept in `sent_bodies`: nothing reads it back,
            # its writes are guarded by If-Match of the version read just before, `_patch_current`)
            written = _OrderWritten(iid, item.id,
                                    (state.number, state.data_version, state.posted, state.deletion_mark),
                                    contract_id=contract_id or None, organization_id=org_id)
            self._later(item, functools.partial(self._order_outcome, written))
            # No step "order" before the invoice document's request: a resume (kill -9, a 5xx on
            # the document) retries the order's create, which finds the order by its key and
            # adopts it — one GET and one PATCH, as the resume at step "order" (`_refresh_order`)
            # did — and the document's create looks its derived key up first.
            step = "order"
        elif step == "order" and retried and item.action == "create":
            # Resumed after the order was written: the invoice may have been edited since (a later
            # save merges into this pending item), so bring the order up to date unless posted.
            await self._refresh_order(iid, contract_id, org_id)
        bill_number = None
        if step == "order" and bill_c.present:
            # the refs as recorded: read at the start, or written by this attempt's steps
            bill_id = bill_id or derived_key("bill", iid)
            body = self.order_body(iid, contract_id or "", org_id, bill=True, data=data)
            if item.action == "update":
                updated = await self._patch_current(bill_c, bill_id, body)
                if updated is None:
                    obj, _ = await self._create_or_adopt(bill_c.entity, bill_id, body, retried=True)
                else:
                    obj = updated
            else:
                obj, adopted = await self._create_or_adopt(bill_c.entity, bill_id, body, retried=retried)
                if adopted:
                    obj = await self._patch_current(bill_c, bill_id, body) or obj
            bill_number = str(obj.get(bill_c.f("number") if bill_c.has("number") else "Number", "") or "")
        # the last request is done: what it brought is committed with the item's outcome (a
        # process killed before that commit resumes at step "order" and adopts the document)
        if written is not None:
            written.done, written.bill_id, written.bill_number = True, bill_id if bill_c.present else None, bill_number
        else:
            refs = (contract_id or None, org_id)
            self._later(item, lambda: self._invoice_pushed(iid, item.id, bill_id if bill_c.present else None,
                                                           bill_number, refs))

    def _invoice_pushed(self, iid: str, item_id: int, bill_id: str | None, bill_number: str | None,
                        refs: tuple[str | None, str | None] = (None, None)) -> None:
        self.store.invoice_push_done(iid, bill_id=bill_id or None, bill_number=bill_number, contract_id=refs[0],
                                     organization_id=refs[1], item_id=item_id)

    def _order_outcome(self, w: _OrderWritten) -> None:
        """The order's state as its create answered: with the invoice's outcome when the push got
        that far (one statement), else on its own (the item failed or waits after the order)."""
        if w.done:
            self.store.invoice_push_done(w.invoice_id, bill_id=w.bill_id or None, bill_number=w.bill_number,
                                         order=w.state, contract_id=w.contract_id, organization_id=w.organization_id,
                                         item_id=w.item_id)
        else:
            number, version, posted, deleted = w.state
            self.store.invoice_state_from_accounting(w.invoice_id, number=number, data_version=version,
                                                     posted=posted, deletion_mark=deleted, written=True)

    async def _partner_of(self, client_id: str) -> str:
        """The partner the client's counterparty points at in accounting now ('' if none)."""
        cp = self.p["counterparty"]
        row = await self.client.get_entity(cp.entity, client_id, [cp.f("partner")])
        partner = parse.ref(row or {}, cp.f("partner"), cp.entity) if row else None
        if partner:
            self._partner[client_id] = partner
        return partner or ""

    async def _generation_refs(self, client_id: str, org_id: str) -> None:
        """What an УТ 11 order needs besides the CRM's own data: the client's partner (as its
        counterparty in accounting says), the organization's standard agreement, and the VAT
        rate catalog's keys. Nothing for a profile without those concepts."""
        p = self.p
        if p["partner"].present and client_id not in self._partner:
            cp = p["counterparty"]
            row = await self.client.get_entity(cp.entity, client_id, [cp.f("partner")])
            partner = parse.ref(row or {}, cp.f("partner"), cp.entity) if row else None
            if not partner:
                raise Refused("push.no_partner")
            self._partner[client_id] = partner
        if (p["agreement"].present and org_id not in self._agreements) or \
                (p["vat_rate"].present and self._vat_refs is None):
            # the lanes' first invoices would each read them (2-4 times at a push's start):
            # the first lane reads, the others wait for its answer
            async with self._refs_lock:
                await self._read_generation_refs(org_id)

    async def _read_generation_refs(self, org_id: str) -> None:
        """The organization's standard agreement and the VAT rate keys, if not read yet."""
        p = self.p
        if p["agreement"].present and org_id not in self._agreements:
            q = queries.agreements(p, org_id)
            rows = await self.client.get_all(q) if q is not None else []
            if not rows:
                raise Refused("push.no_agreement")
            found = parse.ref(rows[0], p["agreement"].f("id"), p["agreement"].entity, required=True)
            assert found is not None
            self._agreements[org_id] = found
        if p["vat_rate"].present and self._vat_refs is None:
            await self._read_vat_refs()

    async def _read_vat_refs(self) -> None:
        """УТ 11.5: {rate name: Catalog_СтавкиНДС key}, the calculated rates (20/120) included."""
        p = self.p
        names = parse.vat_rate_names(p, await self.client.get_all(queries.catalog(p, "vat_rate")))
        refs: dict[str, str] = {}
        for key, name in names.items():
            refs.setdefault(name, key)
        # the calculated rates (20/120) of a line are the same catalog element
        for name, key in list(refs.items()):
            if name[3:].isdigit():  # НДС20 → НДС20_120
                refs.setdefault(f"{name}_{100 + int(name[3:])}", key)
        self._vat_refs = refs

    async def push_reserve(self, item: OutboxItem) -> None:
        """Reserve an invoice's goods in accounting (docs/reservation.md).

        ``post`` (the operator confirmed it; the company lets the CRM post): each line's placement
        is set to the invoice's warehouse and the order is posted, which writes the reserve
        register. ``request``: the unposted order is marked (`RESERVE_MARK` in its comment) for
        accounting to find and post. Safe to repeat: an order already posted is left as it is,
        and writing the same body or posting again changes nothing more."""
        p = self.p
        c = p["order"]
        iid = item.object_id
        rec = self.store.get_invoice(iid)
        if rec is None:
            raise Refused("push.invoice_gone")
        pending = self.store.outbox_open_for("invoice", iid)
        if pending is not None or not rec.number:
            if pending is not None and pending.state in ("failed", "conflict"):
                raise Deferred("push.wait_invoice_why", why=pending.last_error or pending.state)
            raise Deferred("push.wait_invoice")
        fresh = await self.client.get_entity(c.entity, iid, c.select(*queries.ORDER_STATE_FIELDS))
        if fresh is None:
            raise Refused("push.order_deleted_unreserved")
        state = parse.order_state(p, {**fresh, "Ref_Key": iid})
        if state.deletion_mark:
            raise Refused("push.order_marked_unreserved", number=state.number)
        if not state.posted:
            contract_id, org_id, _ = self.store.invoice_refs(iid)
            org_id = org_id or (self._organization() or ("",))[0]
            body = self.order_body(iid, contract_id or "", org_id, reserve=item.action == "post")
            try:
                await self._guarded_update("invoice", c, iid, body, current_version=state.data_version)
            except NotFound:
                raise Refused("push.order_deleted_unreserved") from None
            await self._step(item, "written")
            if item.action == "post":
                await self.client.post_document(c.entity, iid)
                await self._step(item, "posted")
            again = await self.client.get_entity(c.entity, iid, c.select(*queries.ORDER_STATE_FIELDS))
            if again is not None:
                state = parse.order_state(p, {**again, "Ref_Key": iid})
        s = state
        await self.writer.run(lambda: self.store.invoice_state_from_accounting(
            iid, number=s.number, data_version=s.data_version, posted=s.posted, deletion_mark=s.deletion_mark,
            written=True))

    async def push_shipment(self, item: OutboxItem) -> None:
        """Write a shipment request in accounting, unposted, for the warehouse (docs/shipment.md).

        What is written is the profile's `[shipment_request]`: КА 1.1 a `РасходныйОрдерНаТовары`
        (header `ДокументПередачи`, rows' `ДокументРезерва`), УТ 11 and БП 3 a
        `РеализацияТоваровУслуг` based on the order / invoice (with the partner, agreement or
        contract and the lines' prices its posting needs) — under the request's own id as
        Ref_Key, linked to the order, its comment starting with `SHIPMENT_MARK`. Exactly once: a
        retry first reads the document by that key and adopts it if 1C has it (a lost answer),
        and "key exists" is adopted too. Never posted here — posting is the warehouse's answer.
        A profile without the concept refuses in plain words."""
        p = self.p
        c = p["shipment_request"]
        if not c.present:
            raise Refused("push.no_shipment_requests")
        rid = item.object_id
        req = self.store.shipment_request(rid)
        if req is None:
            raise Refused("push.shipment_gone")
        iid, lines = req
        rec = self.store.get_invoice(iid)
        if rec is None:
            raise Refused("push.invoice_gone")
        pending = self.store.outbox_open_for("invoice", iid)
        if pending is not None or not rec.number:
            if pending is not None and pending.state in ("failed", "conflict"):
                raise Deferred("push.wait_invoice_why", why=pending.last_error or pending.state)
            raise Deferred("push.wait_invoice")
        contract_id, org_id, _ = self.store.invoice_refs(iid)
        org_id = org_id or (self._organization() or ("",))[0]
        if not org_id:
            raise Deferred("push.no_organization")
        inv = rec.invoice
        if inv.client_id:
            await self._generation_refs(inv.client_id, org_id)
        data = self.invoice_data(iid)
        body = self.shipment_request_body(data, lines, org_id=org_id, contract_id=contract_id or "")
        select = c.select("id", "number", "posted", "deletion_mark")
        obj, _adopted = await self._create_or_adopt(c.entity, rid, body, retried=item.attempts > 1 or bool(item.step),
                                                     select=select)
        await self._step(item, "written")
        state = parse.shipment_request_state(p, {**obj, c.f("id"): rid})
        await self.writer.run(lambda: self._record_shipment_state(state))

    def shipment_request_body(self, data: InvoiceData, lines: Sequence[ShipmentRequestLine], *, org_id: str,
                              contract_id: str) -> dict[str, Any]:
        """The shipment request's document as 1C JSON, from the profile's `[shipment_request]`:
        every mapped attribute is written, the unmapped ones are skipped. A line's price, VAT
        rate and amounts come from the order line it ships (amounts in proportion to the
        quantity), for the configurations whose sale carries them (УТ 11, БП 3). Where the profile
        names `service_lines` (БП 3: `Услуги`), a service's line goes there — a real base refuses
        a service in `Товары` — with `service_content` (`Содержание`) = the product's name."""
        p = self.p
        c = p["shipment_request"]
        rec = data.rec
        service_part = str(c.options.get("service_lines") or "")
        services = self.store.service_ids(line.product_id for line in lines) if service_part else set()
        content = str(c.options.get("service_content") or "")
        names = self.store.product_names(services) if content else {}
        inv = rec.invoice
        iid = rec.id
        body: dict[str, Any] = {}

        def put(crm: str, value: Any) -> None:
            wire_put(body, c, crm, value)

        put("date", to_server_time(self.clock()).replace(microsecond=0).isoformat())
        if c.has("operation"):
            put("operation", p.enum("shipment_operation", "sale"))
        put("organization", org_id)
        put("warehouse", inv.warehouse_id)
        put("client", inv.client_id)
        put("partner", self._partner.get(inv.client_id or ""))
        put("agreement", self._agreements.get(org_id))
        put("contract", contract_id or None)
        put("price_type", inv.price_type_id)
        put("currency", data.currency)
        put("amount_includes_vat", inv.amount_includes_vat)
        put("order", iid)
        put("comment", f"{SHIPMENT_MARK} CRM: {rec.number or ''}".strip())
        by_no = {row[0]: row for row in data.lines}
        total = Decimal(0)
        parts: dict[str, list[dict[str, Any]]] = {c.lines: [], **({service_part: []} if service_part else {})}
        for line in lines:
            row: dict[str, Any] = {}
            part = service_part if line.product_id in services else c.lines
            rows = parts[part]
            n = len(rows) + 1

            def lput(crm: str, value: Any, row: dict[str, Any] = row) -> None:
                wire_put(row, c, crm, value, line=True)

            unit = data.units.get(line.product_id)
            src = by_no.get(line.line_no)
            if src is None or src[1] != line.product_id:
                src = next((r for r in data.lines if r[1] == line.product_id), None)
            lput("line_number", str(n))
            lput("product", line.product_id)
            lput("unit", unit)
            lput("factor", _json_number(data.factors.get(unit or "", Decimal(1))))
            lput("quantity", _json_number(line.quantity))
            lput("packages", _json_number(line.quantity))
            if src is not None:
                _no, _product, qty, price, _disc, amount, rate, vat = src
                share = line.quantity / qty if qty else Decimal(0)
                # 1C's Окр: halves away from zero (quantize alone rounds them to even)
                line_amount = round_money(amount * share)
                line_vat = round_money(vat * share)
                lput("price", _json_number(price))
                lput("amount", _json_number(line_amount))
                lput("vat_rate", self._vat_refs.get(rate) if self._vat_refs is not None else rate)
                lput("vat", _json_number(line_vat))
                total += line_amount if inv.amount_includes_vat else line_amount + line_vat
            if part == service_part:
                if content:
                    row[content] = names.get(line.product_id, "")
            else:
                lput("warehouse", inv.warehouse_id)
                lput("reserve", iid)
            if "LineNumber" not in row:
                row["LineNumber"] = str(n)
            rows.append(row)
        body.update({part: rows for part, rows in parts.items() if rows or part == c.lines})
        put("total", _json_number(total) if total else None)
        return body

    def _record_shipment_state(self, state: ShipmentRequestState) -> None:
        with self.store.transaction() as cur:
            self.store.apply_shipment_request_states(cur, [state], self.clock())

    async def _patch_current(self, c: Concept, key: str, body: dict[str, Any]) -> dict[str, Any] | None:
        """PATCH an object the CRM owns (the linked invoice document) with ``If-Match`` of the
        version read just before; None if 1C has no such object.

        Why: a PATCH of ours whose answer never came (timeout) may still be carried out by 1C
        later. Sent without ``If-Match`` such a late write would overwrite a newer one; with it,
        the late write finds a newer version and is refused (412). A 412 here means the object
        changed between our read and our write (maybe that late write): read again and resend;
        the CRM's current state wins, as before."""
        dv_field = c.opt("data_version") or "DataVersion"
        for _ in range(3):
            current = await self.client.get_entity(c.entity, key, [dv_field])
            if current is None:
                return None
            try:
                return await self.client.update(c.entity, key, body,
                                                if_match=str(current.get(dv_field, "") or "") or None) or current
            except Conflict:
                continue
        raise Deferred("push.kept_changing", entity=c.entity, key=key)

    async def _refresh_order(self, iid: str, contract_id: str | None, org_id: str) -> None:
        c = self.p["order"]
        fresh = await self.client.get_entity(c.entity, iid, c.select(*queries.ORDER_STATE_FIELDS))
        if fresh is None:
            raise Refused("push.order_deleted_kept")
        state = parse.order_state(self.p, {**fresh, "Ref_Key": iid})
        written = False
        if not state.posted and not state.deletion_mark:
            body = self.order_body(iid, contract_id or "", org_id)
            obj = await self._guarded_update("invoice", c, iid, body, current_version=state.data_version)
            written = True
            if obj:
                state = parse.order_state(self.p, {**obj, "Ref_Key": iid})
        await self.writer.run(lambda: self.store.invoice_state_from_accounting(
            iid, number=state.number, data_version=state.data_version, posted=state.posted,
            deletion_mark=state.deletion_mark, written=written))

    async def _update_order(self, item: OutboxItem, contract_id: str, org_id: str) -> None:
        """PATCH an unposted order unless accounting changed it (a conflict); refuse a posted one."""
        p = self.p
        c = p["order"]
        iid = item.object_id
        fresh = await self.client.get_entity(c.entity, iid, c.select(*queries.ORDER_STATE_FIELDS))
        if fresh is None:
            raise Refused("push.order_deleted_kept")
        state = parse.order_state(p, {**fresh, "Ref_Key": iid})
        if state.posted or state.deletion_mark:
            await self.writer.run(lambda: self.store.invoice_state_from_accounting(
                iid, number=state.number, data_version=state.data_version, posted=state.posted,
                deletion_mark=state.deletion_mark))
            raise Refused("push.order_posted" if state.posted else "push.order_marked", number=state.number)
        await self.writer.run(
            lambda: self.store.invoice_push_refs(iid, contract_id=contract_id, organization_id=org_id)
        )
        body = self.order_body(iid, contract_id, org_id)
        try:
            obj = await self._guarded_update("invoice", c, iid, body, current_version=state.data_version)
        except NotFound:
            raise Refused("push.order_deleted_kept") from None
        s = parse.order_state(p, {**obj, "Ref_Key": iid}) if obj else state
        await self.writer.run(lambda: self.store.invoice_state_from_accounting(
            iid, number=s.number, data_version=s.data_version, posted=s.posted, deletion_mark=s.deletion_mark,
            written=True))
        await self._step(item, "order")


__all__ = ["CONFLICT_MESSAGE", "MAX_PUSH_CONCURRENCY", "PUSH_CONCURRENCY", "RESERVE_MARK", "Deferred", "KeysIgnored",
           "PushResult", "Pusher", "Refused", "backoff", "derived_key"]
