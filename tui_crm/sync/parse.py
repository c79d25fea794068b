"""Rows of 1C OData answers → plain tuples and records for the store, driven by a profile.

Strict on purpose: a row we cannot trust (a reference that is not a GUID, text where a number
belongs, control characters) raises `BadData`. Every pull job quarantines such a row (skips it,
logs entity, Ref_Key and reason, counts it, notes it on the run) and applies the rest.
Int64 values may arrive as strings, money is parsed via ``Decimal(str(v))``, empty references and
dates become None, composite values are read with their ``_Type``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from tui_crm.domain import custom
from tui_crm.domain.custom import FieldKind
from tui_crm.domain.validation import UNSTORABLE, normalize_phone
from tui_crm.domain.vat import VatRate
from tui_crm.i18n import register
from tui_crm.store.accounting import OrderState, PaymentRow, ShipmentLine, ShipmentRow
from tui_crm.store.shipments import ShipmentRequestState
from tui_crm.sync import odata
from tui_crm.sync.odata import ODataError
from tui_crm.sync.profile import TYPE_PREFIX, Concept, CustomField, Profile

log = logging.getLogger("tui_crm.sync.parse")

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
# Text 1C allows and we keep exactly: any character but the C0/DEL controls that are not white
# space (TAB, LF, VT, FF, CR pass: names pasted from documents carry them). NUL, ESC and the like
# never reach the store, so nothing from accounting can drive the terminal.
_CONTROL = UNSTORABLE   # one rule with the shell's client add / invoice add (domain/validation.py)
CONTROL = _CONTROL   # `columns` checks a whole column with it (LF, the joiner there, passes)
# 1C's unlimited strings (НаименованиеПолное, comments): far above any real text, and bounded.
TEXT_MAX = 1_000_000
_EMPTY = ("", None, odata.EMPTY_REF)


# Why a row from accounting cannot be trusted, in both languages: (English, Russian) by kind. Each
# names the 1C field as sent ({name}) and quotes the value as it came; `why` makes the piece a
# `BadData` carries, so the sync log words it in the interface language and str() stays English.
_WHY: dict[str, tuple[str, str]] = {
    "empty": ("{name} is empty", "{name} пусто"),
    "not_ref": ("{name} is not a reference", "{name} — не ссылка"),
    "not_ref_value": ("{name} is not a reference: {value}", "{name} — не ссылка: {value}"),
    "not_text": ("{name} is not text: {value}", "{name} — не текст: {value}"),
    "too_long": ("{name} is longer than {n} characters", "{name} длиннее {n} символов"),
    "control": ("{name} contains control characters", "{name} содержит управляющие символы"),
    "not_flag": ("{name} is not true/false: {value}", "{name} — не истина/ложь: {value}"),
    "not_number": ("{name} is not a number: {value}", "{name} — не число: {value}"),
    "out_of_range": ("{name} is out of range: {value}", "{name} вне допустимого диапазона: {value}"),
    "not_date": ("{name} is not a date: {value}", "{name} — не дата: {value}"),
    "not_rows": ("{name} is not a list of rows", "{name} — не список строк"),
    "not_finite": ("{name} is not a finite number: {value}", "{name} — не конечное число: {value}"),
    "not_object": ("a row is not an object: {value}", "строка — не объект: {value}"),
    "no_product_subconto": ("no subconto ({names}) holds a {type}", "ни одно субконто ({names}) не содержит {type}"),
    "other_subconto": ("{name} holds a {found}, not a {want}; its balance is left out",
                       "{name} содержит {found}, а не {want}; его остаток не учтён"),
    "no_vat_rate": ("{name} of a line is no VAT rate the CRM knows: {value}",
                    "{name} строки — ставка НДС, которой CRM не знает: {value}"),
    "not_line_number": ("{name} is not a line number: {value}", "{name} — не номер строки: {value}"),
    "no_counterparty": ("analytics key {key} has no counterparty in {entity}; its balance is left out",
                        "у ключа аналитики {key} нет контрагента в {entity}; его остаток не учтён"),
}
_BAD_ROW = ("Accounting sent a malformed {entity} row{where}: {reason}",
            "Учёт прислал испорченную строку {entity}{where}: {reason}")
_ENGLISH: dict[str, str] = {f"parse.why.{k}": en for k, (en, _ru) in _WHY.items()} | {"parse.bad_row": _BAD_ROW[0]}
register({f"parse.why.{k}": {"en": en, "ru": ru} for k, (en, ru) in _WHY.items()}
         | {"parse.bad_row": {"en": _BAD_ROW[0], "ru": _BAD_ROW[1]}})


def why(kind: str, **values: Any) -> odata.Words:
    """A reason a row is refused (a key of `_WHY` and its values: the 1C field's name as sent,
    the value quoted as it came)."""
    return odata.Words(f"parse.why.{kind}", values)


def english(pieces: Sequence[odata.Words | str]) -> str:
    """`pieces` worded in English (str() of a `BadData`, the log files)."""
    return odata.word(pieces, _ENGLISH.__getitem__)


class BadData(ODataError):
    """Accounting sent a row we cannot trust; the pull jobs skip it (quarantine) and apply the rest.

    ``reason`` is the English reason (the log files); ``reason_words`` the same as a piece the
    interface language words (`why`), a plain str shown as it is."""

    def __init__(self, entity: str, reason: odata.Words | str, row: Mapping[str, Any] | None = None) -> None:
        key = (row or {}).get("Ref_Key")
        where = f" (Ref_Key {key})" if isinstance(key, str) else ""
        words: list[odata.Words | str] = [
            odata.Words("parse.bad_row", {"entity": entity, "where": where, "reason": reason})]
        super().__init__(english(words))
        # The sync log's sentence in the interface language (sync.reach.error_words); str() stays English.
        self.words = words
        self.entity = entity
        self.reason_words = reason
        self.reason = english([reason])
        self.key = key if isinstance(key, str) else None


# -- strict field readers ---------------------------------------------------------------------

def ref(row: Mapping[str, Any], name: str | None, entity: str, *, required: bool = False) -> str | None:
    if not name:
        return None
    value = row.get(name)
    if value in _EMPTY:
        if required:
            raise BadData(entity, why("empty", name=name), row)
        return None
    if not isinstance(value, str) or not _GUID.match(value):
        raise BadData(entity, why("not_ref_value", name=name, value=repr(str(value)[:60])), row)
    value = value.lower()
    return None if value == odata.EMPTY_REF else value


def composite_ref(row: Mapping[str, Any], name: str | None, entity: str, want: str | None = None) -> str | None:
    """A composite attribute's reference; None when empty, undefined or of another type."""
    if not name:
        return None
    try:
        value, typ = odata.parse_composite(row, name)
    except ValueError:
        raise BadData(entity, why("not_ref", name=name), dict(row)) from None
    if value is None or typ is None:
        return None
    if want and typ != want:
        return None
    if not _GUID.match(value):
        return None  # the String alternative of a composite (e.g. Контрагент: String(50))
    return value.lower()


def any_ref(c: Concept, row: Mapping[str, Any], crm: str, entity: str, *, line: bool = False,
            required: bool = False) -> str | None:
    """Reference by CRM field name, composite or plain as the profile says."""
    name = c.line_fields.get(crm) if line else c.fields.get(crm)
    if not name:
        return None
    typ = c.line_type_of(name) if line else c.type_of(name)
    if typ and name not in row and f"{name}_Key" in row:
        # The same attribute as a plain reference: БП 3 releases before 3.0.198 send
        # `Товары.Номенклатура_Key` where 3.0.198 sends the composite `Номенклатура` + `_Type`.
        value = ref(row, f"{name}_Key", entity)
    else:
        value = composite_ref(row, name, entity, typ) if typ else ref(row, name, entity)
    if value is None and required:
        raise BadData(entity, why("empty", name=name), row)
    return value


def text(row: Mapping[str, Any], name: str | None, entity: str, *, max_len: int = TEXT_MAX) -> str:
    if not name:
        return ""
    value = row.get(name, "")
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise BadData(entity, why("not_text", name=name, value=repr(value)), row)
    value = str(value)
    if len(value) > max_len:
        raise BadData(entity, why("too_long", name=name, n=max_len), row)
    if _CONTROL.search(value):
        raise BadData(entity, why("control", name=name), row)
    return value.strip()


def flag(row: Mapping[str, Any], name: str | None, entity: str) -> bool:
    if not name:
        return False
    value = row.get(name, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise BadData(entity, why("not_flag", name=name, value=repr(value)), row)
    return value


def number(row: Mapping[str, Any], name: str | None, entity: str, places: int) -> Decimal:
    if not name:
        return Decimal(0)
    value = row.get(name, 0)
    if value is None or value == "":
        value = 0
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise BadData(entity, why("not_number", name=name, value=repr(value)), row)
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        raise BadData(entity, why("not_number", name=name, value=repr(value)), row) from None
    if not result.is_finite() or abs(result) >= Decimal(10) ** (15 - places):
        raise BadData(entity, why("out_of_range", name=name, value=repr(value)), row)
    # More places than the CRM keeps (a changed configuration's Number(15,4) price): 1C's Окр,
    # halves away from zero, not quantize's default half to even
    return result.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def date(row: Mapping[str, Any], name: str | None, entity: str) -> datetime | None:
    if not name:
        return None
    try:
        return odata.parse_date(row.get(name))
    except ValueError:
        raise BadData(entity, why("not_date", name=name, value=repr(row.get(name))), row) from None


def lines(row: Mapping[str, Any], c: Concept, entity: str) -> list[Mapping[str, Any]]:
    """The rows of the concept's table part, then of its `more_lines` parts (in that order)."""
    out: list[Mapping[str, Any]] = []
    for part in c.line_parts:
        value = row.get(part) or []
        if not isinstance(value, list) or not all(isinstance(r, dict) for r in value):
            raise BadData(entity, why("not_rows", name=part), row)
        out.extend(value)
    return out


# -- catalogs ---------------------------------------------------------------------------------

def warehouse(p: Profile, row: Mapping[str, Any]) -> tuple[Any, ...]:
    c, e = p["warehouse"], p["warehouse"].entity
    return (ref(row, c.f("id"), e, required=True), text(row, c.opt("code"), e), text(row, c.f("name"), e),
            flag(row, c.opt("is_folder"), e), flag(row, c.opt("deletion_mark"), e),
            text(row, c.opt("data_version"), e))


def price_type(p: Profile, row: Mapping[str, Any]) -> tuple[Any, ...]:
    c, e = p["price_type"], p["price_type"].entity
    incl = row.get(c.opt("includes_vat") or "", True)
    return (ref(row, c.f("id"), e, required=True), text(row, c.opt("code"), e), text(row, c.f("name"), e),
            flag({"v": incl}, "v", e) if c.has("includes_vat") else True, ref(row, c.opt("currency"), e),
            flag(row, c.opt("deletion_mark"), e), text(row, c.opt("data_version"), e))


def unit(p: Profile, row: Mapping[str, Any]) -> tuple[Any, ...]:
    c, e = p["unit"], p["unit"].entity
    factor = number(row, c.opt("factor"), e, 3) if c.has("factor") else Decimal(1)
    # КА 1.1's units have two owner types (Номенклатура, НоменклатурныеГруппы): the composite
    # `Owner` + `Owner_Type` on the wire; a base with one owner type sends `Owner_Key`
    return (ref(row, c.f("id"), e, required=True), any_ref(c, row, "owner", e), text(row, c.f("name"), e),
            factor if factor > 0 else Decimal(1))


def product(p: Profile, row: Mapping[str, Any], unit_names: Mapping[str, str],
            vat_names: Mapping[str, str] | None = None, on: dt.date | None = None) -> tuple[Any, ...] | None:
    """A product tuple (store PRODUCT_COLUMNS order), or None for a folder. With `vat_names`
    (УТ 11.5) the VAT rate is a reference, turned into the rate's name; ``on``: the day a kind
    of rate is read for (`vat_rate_of`)."""
    c, e = p["product"], p["product"].entity
    if flag(row, c.opt("is_folder"), e):
        return None
    unit_id = ref(row, c.opt("unit"), e)
    vat = text(row, c.opt("vat_rate"), e)
    vat = vat_rate_of(p, vat, on) if vat_names is None else vat_names.get(vat, "")
    return (ref(row, c.f("id"), e, required=True), text(row, c.f("code"), e), text(row, c.opt("article"), e),
            text(row, c.f("name"), e), text(row, c.opt("full_name"), e), unit_id, unit_names.get(unit_id or "", ""),
            vat, flag(row, c.opt("is_service"), e), flag(row, c.opt("deletion_mark"), e),
            text(row, c.opt("data_version"), e))


# The rate each kind of rate means on a product (БП 3's ВидСтавкиНДС): the CRM line takes it as
# its default rate (the operator can change a line's rate, and 1C recomputes VAT on posting).
VAT_RATE_OF_KIND = {"general": "НДС20", "reduced": "НДС10", "zero": "НДС0", "exempt": "БезНДС"}
# The general rate is 22 % from 1 January 2026: a БП 3 base of 2026 keeps the kind `Общая` on
# its products and charges НДС22 for it.
GENERAL_22_FROM = dt.date(2026, 1, 1)


def vat_rate_of(p: Profile, value: str, on: dt.date | None = None) -> str:
    """The CRM's rate (a СтавкиНДС member) for the product's VAT attribute: the rate itself (КА 1.1,
    УТ 11.4), or the rate its kind stands for on the day ``on`` when the profile maps
    `[enums.vat_kind]` (БП 3: general is НДС22 from 2026, НДС20 before; no day: НДС20); an
    unknown kind is kept as 1C sent it (the invoice then falls back to the general rate)."""
    if not value or "vat_kind" not in p.enums:
        return value
    kind = p.enum_reverse("vat_kind", value)
    if kind == "general" and on is not None and on >= GENERAL_22_FROM:
        return "НДС22"
    return VAT_RATE_OF_KIND.get(kind or "", value)


def vat_rate_names(p: Profile, rows: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """УТ 11.5's VAT rate catalog → {Ref_Key: 1C enum name of the rate} (``НДС20``, ``БезНДС`` …):
    the predefined ``БезНДС`` is no VAT, any other element is the plain rate of its percent.
    An element whose percent is no VAT rate the CRM knows is left out (a warning names it)."""
    c, e = p["vat_rate"], p["vat_rate"].entity
    out: dict[str, str] = {}
    for row in rows:
        key = ref(row, c.f("id"), e, required=True)
        assert key is not None
        if c.has("predefined") and text(row, c.opt("predefined"), e) == "БезНДС":
            out[key] = VatRate.БезНДС.value
            continue
        try:
            out[key] = VatRate.for_percent(number(row, c.f("rate"), e, 2)).value
        except ValueError as exc:
            log.warning("%s %s: %s; products with this rate keep no VAT rate", e, key, exc)
    return out


def organization(p: Profile, row: Mapping[str, Any]) -> tuple[Any, ...]:
    c, e = p["organization"], p["organization"].entity
    return (ref(row, c.f("id"), e, required=True), text(row, c.f("name"), e), text(row, c.opt("inn"), e),
            text(row, c.opt("prefix"), e), text(row, c.opt("data_version"), e), text(row, c.opt("kpp"), e),
            text(row, c.opt("full_name"), e), flag(row, c.opt("deletion_mark"), e))


def currency(p: Profile, row: Mapping[str, Any]) -> tuple[Any, ...]:
    c, e = p["currency"], p["currency"].entity
    return (ref(row, c.f("id"), e, required=True), text(row, c.f("code"), e), text(row, c.opt("name"), e))


@dataclass(frozen=True)
class Contact:
    owner: str
    kind: str       # phone | email | address
    value: str


def contact_kind_map(p: Profile, kind_rows: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Kind Ref_Key → CRM contact kind (phone/email/address), from predefined kinds."""
    wanted = {v: k for k, v in p["contact"].options.get("kinds", {}).items()}
    out: dict[str, str] = {}
    for r in kind_rows:
        name = r.get("PredefinedDataName")
        key = ref(r, "Ref_Key", "contact kind")
        if key and isinstance(name, str) and name in wanted:
            out[key] = wanted[name]
    return out


def _contact_kind(p: Profile, type_value: str, kind_id: str | None, kinds: Mapping[str, str]) -> str | None:
    if kind_id and kind_id in kinds:
        return kinds[kind_id]
    # Unknown kind: fall back on the type (a second phone is still a phone).
    crm = p.enum_reverse("contact_type", type_value)
    return crm if crm in ("phone", "email") else None


def contact(p: Profile, row: Mapping[str, Any], kinds: Mapping[str, str]) -> Contact | None:
    """A contact register record of a counterparty, or None (other owners, unknown kinds)."""
    c, e = p["contact"], p["contact"].entity
    owner_name = c.f("owner")
    owner_type = c.type_of(owner_name)
    owner = composite_ref(row, owner_name, e, owner_type) if owner_type else ref(row, owner_name, e)
    if owner is None:
        return None
    kind_name = c.f("kind")
    kind_id = composite_ref(row, kind_name, e) if c.type_of(kind_name) else ref(row, kind_name, e)
    kind = _contact_kind(p, text(row, c.f("type"), e), kind_id, kinds)
    value = text(row, c.f("value"), e)
    if kind is None or not value:
        return None
    return Contact(owner, kind, value)


def contacts_from_table_part(p: Profile, row: Mapping[str, Any], kinds: Mapping[str, str]) -> list[Contact]:
    """Contacts kept as a table part of the counterparty (УТ 11, БП 3)."""
    c = p["contact"]
    e = f"{p['counterparty'].entity}.{c.lines}"
    owner = ref(row, "Ref_Key", e)
    part = row.get(c.lines) or []
    if not isinstance(part, list):  # a number or a flag here used to end the pull in a TypeError
        raise BadData(e, why("not_rows", name=c.lines), row)
    out = []
    for r in part:
        if not isinstance(r, dict) or owner is None:
            continue
        kind = _contact_kind(p, text(r, c.f("type"), e), ref(r, c.f("kind"), e), kinds)
        value = text(r, c.f("value"), e)
        if kind and value:
            out.append(Contact(owner, kind, value))
    return out


def custom_values(fields: Iterable[CustomField], row: Mapping[str, Any], entity: str) -> dict[str, Any]:
    """Company-specific attributes pulled from 1C into CRM custom fields, typed by the profile
    and kept as JSON-safe values (numbers as decimal text, dates as ISO, empty refs as null)."""
    out: dict[str, Any] = {}
    for cf in fields:
        if not cf.pulls or cf.onec not in row:
            continue
        value = row[cf.onec]
        if isinstance(value, str) and _CONTROL.search(value):
            raise BadData(entity, why("control", name=cf.onec), row)
        if isinstance(value, float) and not math.isfinite(value):
            # JSON's 1e999 arrives as inf; json.dumps would write Infinity/NaN, which is not JSON
            raise BadData(entity, why("not_finite", name=cf.onec, value=repr(value)), row)
        spec = cf.field_spec
        if spec.kind is FieldKind.TEXT and value is not None and not isinstance(value, str):
            value = str(value)
        out[cf.name] = custom.to_json(spec, custom.from_json(spec, value))
    return out


def custom_item(catalog: str, row: Mapping[str, Any]) -> tuple[Any, ...] | None:
    """An item of a custom reference catalog (store CUSTOM_ITEM_COLUMNS order); None for a folder."""
    if flag(row, "IsFolder", catalog):
        return None
    return (ref(row, "Ref_Key", catalog, required=True), catalog, text(row, "Code", catalog),
            text(row, "Description", catalog), flag(row, "DeletionMark", catalog))


def counterparty(p: Profile, row: Mapping[str, Any], contacts: Iterable[Contact] = ()) -> tuple[Any, ...] | None:
    """A counterparty tuple (store COUNTERPARTY_COLUMNS order), or None for a folder."""
    c, e = p["counterparty"], p["counterparty"].entity
    if flag(row, c.opt("is_folder"), e):
        return None
    # Phones normalised as the CRM stores its own (+7…); a value that is no phone number (an
    # extension, a note) is kept as 1C has it.
    phones = list(dict.fromkeys(normalize_phone(x.value) or x.value.strip() for x in contacts if x.kind == "phone"))
    emails = [x.value for x in contacts if x.kind == "email"]
    addresses = [x.value for x in contacts if x.kind == "address"]
    custom = custom_values(p.custom("client"), row, e)
    return (ref(row, c.f("id"), e, required=True), text(row, c.opt("code"), e), text(row, c.f("name"), e),
            text(row, c.opt("full_name"), e), text(row, c.f("inn"), e), text(row, c.opt("kpp"), e),
            text(row, c.opt("legal_form"), e), False, flag(row, c.opt("deletion_mark"), e),
            text(row, c.opt("data_version"), e), phones, emails[0] if emails else "",
            addresses[0] if addresses else "", text(row, c.opt("comment"), e),
            json.dumps(custom, ensure_ascii=False, sort_keys=True))


def contract(p: Profile, row: Mapping[str, Any]) -> tuple[Any, ...] | None:
    c, e = p["contract"], p["contract"].entity
    if flag(row, c.opt("is_folder"), e):
        return None
    owner = ref(row, c.f("owner"), e)
    if owner is None:
        return None
    return (ref(row, c.f("id"), e, required=True), owner, ref(row, c.opt("organization"), e),
            text(row, c.opt("name"), e), text(row, c.opt("kind"), e), text(row, c.opt("settlement"), e),
            text(row, c.opt("data_version"), e), ref(row, c.opt("currency"), e), flag(row, c.opt("deletion_mark"), e))


# -- registers --------------------------------------------------------------------------------

def stock_row(p: Profile, row: Mapping[str, Any], key: str = "stock") -> tuple[str, str, Decimal, Decimal]:
    """(warehouse, product, on hand, reserved) of a Balance row."""
    c, e = p[key], p[key].entity
    subconto = [n.strip() for n in (c.options.get("subconto") or "").split(",") if n.strip()]
    wh: str | None
    prod: str | None
    if subconto:
        wh, prod = _by_subconto(c, row, subconto, e)
    else:
        wh = any_ref(c, row, "warehouse", e, required=True)
        prod = any_ref(c, row, "product", e, required=True)
    assert wh is not None and prod is not None
    return wh, prod, number(row, c.f("quantity"), e, 3), number(row, c.opt("reserved"), e, 3)


class NoWarehouseStock(BadData):
    """A balance row of the stock accounts with no warehouse subconto: the base keeps stock without
    warehouses (БП 3 with warehouse accounting off), so stock per warehouse cannot be shown."""

    def __init__(self, entity: str, subconto: list[str], row: Mapping[str, Any]) -> None:
        super().__init__(entity, _NO_WAREHOUSE_REASON.format(subconto=", ".join(subconto)), row)
        # The sync log's note, in the interface language (sync.reach.error_words); str() stays English.
        self.words = [odata.Words("parse.no_warehouse_stock", {"subconto": ", ".join(subconto)})]
        self.sentence = f"Stock per warehouse is not available: {self.reason}. {_NO_WAREHOUSE_HINT}"
        self.args = (self.sentence,)


_NO_WAREHOUSE_REASON = ("no subconto ({subconto}) of the stock accounts holds a warehouse: accounting keeps stock "
                        "without warehouses (БП 3: warehouse accounting is off in the accounting settings), so the "
                        "CRM cannot show stock per warehouse")
_NO_WAREHOUSE_HINT = "Switch on warehouse accounting in 1C (Настройки учета запасов → по складам) to see it."
register({
    "parse.no_warehouse_stock": {
        "en": "Stock per warehouse is not available: " + _NO_WAREHOUSE_REASON + ". " + _NO_WAREHOUSE_HINT,
        "ru": "Остатки по складам недоступны: ни одно субконто ({subconto}) счетов запасов не содержит склад: "
              "учёт ведёт остатки без складов (БП 3: складской учёт выключен в настройках учёта), поэтому CRM "
              "не может показать остатки по складам. Включите учёт по складам в 1С (Настройки учета запасов → "
              "по складам), чтобы их увидеть.",
    },
})


def _by_subconto(c: Concept, row: Mapping[str, Any], names: list[str], entity: str) -> tuple[str, str]:
    """Warehouse and product of an accounting register's balance row, each found among the
    subconto by its type (БП 3: `Склады` is ExtDimension2 or ExtDimension3 on account 41 as the
    settings say, or absent when warehouse accounting is off — a row the CRM cannot place)."""
    want = {crm: c.type_of(c.f(crm)) for crm in ("warehouse", "product")}
    found: dict[str, str] = {}
    for name in names:
        for crm, typ in want.items():
            if crm not in found and typ:
                value = composite_ref(row, name, entity, typ)
                if value is not None:
                    found[crm] = value
    if found.get("product") is None:
        raise BadData(entity, why("no_product_subconto", names=", ".join(names), type=want["product"]), row)
    if found.get("warehouse") is None:
        raise NoWarehouseStock(entity, names, row)
    return found["warehouse"], found["product"]


def price_row(p: Profile, row: Mapping[str, Any]) -> tuple[str, str, bool, Decimal, str | None, datetime | None]:
    """(price type, product, has variant, price, unit, period) of a SliceLast row."""
    c, e = p["prices"], p["prices"].entity
    pt = ref(row, c.f("price_type"), e, required=True)
    prod = any_ref(c, row, "product", e, required=True)
    assert pt is not None and prod is not None
    return (pt, prod, ref(row, c.opt("variant"), e) is not None, number(row, c.f("price"), e, 2),
            ref(row, c.opt("unit"), e), date(row, c.opt("period"), e))


class OtherSubconto(BadData):
    """A balance row whose client subconto holds an object of another type than the profile's
    (БП 3: 62.01 / 62.02 by `ExtDimension1` of a type other than `Catalog_Контрагенты`). Not a
    malformed row: the CRM leaves its balance out on purpose and says so in the sync log."""

    def __init__(self, entity: str, name: str, found: str, want: str, row: Mapping[str, Any]) -> None:
        super().__init__(entity, why("other_subconto", name=name, found=found, want=want), row)
        self.found = found


def debt_row(p: Profile, row: Mapping[str, Any]) -> tuple[str, Decimal] | None:
    """(client, balance) of a debt register's row; None without a client. With a composite client
    (БП 3's `ExtDimension1`), a row of another type raises `OtherSubconto` (left out, noted)."""
    c, e = p["debt"], p["debt"].entity
    client = any_ref(c, row, "client", e)
    if client is None:
        name = c.f("client")
        want = c.type_of(name)
        if want:
            try:
                _value, typ = odata.parse_composite(row, name)
            except ValueError:
                raise BadData(e, why("not_ref", name=name), dict(row)) from None
            if typ is not None and typ != want:
                raise OtherSubconto(e, name, typ, want, row)
        return None
    return client, number(row, c.f("amount"), e, 2)


def debt_key(p: Profile, row: Mapping[str, Any]) -> tuple[str, str] | None:
    """(analytics key, counterparty) of an УТ 11 analytics key element; None without a counterparty."""
    c, e = p["debt_key"], p["debt_key"].entity
    key = ref(row, c.f("id"), e, required=True)
    client = any_ref(c, row, "client", e)
    assert key is not None
    return (key, client) if client is not None else None


def settlement_row(p: Profile, row: Mapping[str, Any]) -> tuple[str | None, str | None, Decimal]:
    """(client, order, amount) of a Balance row by client and deal; order None for other deals."""
    c, e = p["debt"], p["debt"].entity
    return any_ref(c, row, "client", e), any_ref(c, row, "order", e), number(row, c.f("amount"), e, 2)


def reserve_of_order(p: Profile, row: Mapping[str, Any]) -> tuple[str | None, Decimal]:
    """(order, reserved quantity) of a reserve Balance row by document; None for other documents."""
    c, e = p["reserves"], p["reserves"].entity
    return any_ref(c, row, "order", e), number(row, c.f("quantity"), e, 3)


def reserve_of_order_line(p: Profile, row: Mapping[str, Any]) -> tuple[str | None, str | None, Decimal]:
    """(order, product, reserved quantity) of a reserve Balance row by document and product."""
    c, e = p["reserves"], p["reserves"].entity
    return any_ref(c, row, "order", e), any_ref(c, row, "product", e), number(row, c.f("quantity"), e, 3)


# -- documents --------------------------------------------------------------------------------

def order_state(p: Profile, row: Mapping[str, Any]) -> OrderState:
    c, e = p["order"], p["order"].entity
    oid = ref(row, c.f("id"), e, required=True)
    assert oid is not None
    total = number(row, c.f("total"), e, 2) if c.f("total") in row else None
    custom = custom_values(p.custom("invoice"), row, e)
    return OrderState(oid, text(row, c.f("number"), e), date(row, c.f("date"), e), flag(row, c.f("posted"), e),
                      flag(row, c.opt("deletion_mark"), e), text(row, c.f("data_version"), e),
                      any_ref(c, row, "client", e), total, any_ref(c, row, "contract", e),
                      json.dumps(custom, ensure_ascii=False, sort_keys=True) if custom else "")


def order_full(
    p: Profile, row: Mapping[str, Any]
) -> tuple[OrderState, str | None, str | None, bool, str, list[tuple[Any, ...]]]:
    """Header and goods lines of an order made in 1C, for the CRM's invoice list."""
    c, e = p["order"], p["order"].entity
    state = order_state(p, row)
    wh = any_ref(c, row, "warehouse", e)
    pt = any_ref(c, row, "price_type", e)
    incl = flag(row, c.opt("amount_includes_vat"), e) if c.has("amount_includes_vat") else True
    out_lines = []
    for r in lines(row, c, e):
        if flag(r, c.lopt("cancelled"), e):
            continue   # УТ 11's cancelled line (Отменено): kept in the document, ordered no more
        prod = any_ref(c, r, "product", e, line=True)
        if prod is None:
            continue
        out_lines.append((prod, number(r, c.lf("quantity"), e, 3), number(r, c.lf("price"), e, 2),
                          number(r, c.lopt("discount_pct"), e, 2), number(r, c.lf("amount"), e, 2),
                          text(r, c.lopt("vat_rate"), e), number(r, c.lopt("vat"), e, 2)))
    return state, wh, pt, incl, text(row, c.opt("comment"), e), out_lines


_VAT_NAMES = frozenset(r.value for r in VatRate)


def vat_rate_key_names(refs: Mapping[str, str]) -> dict[str, str]:
    """The push's {rate name: catalog key} (УТ 11.5) turned round: {key: plain rate name}."""
    out: dict[str, str] = {}
    for name, key in refs.items():
        if "_" not in name:   # НДС20, not the calculated НДС20_120 that shares its element
            out.setdefault(key, name)
    for name, key in refs.items():
        out.setdefault(key, name)
    return out


def order_rates(p: Profile, full: tuple[OrderState, str | None, str | None, bool, str, list[tuple[Any, ...]]],
                vat_names: Mapping[str, str] | None) -> tuple[OrderState, str | None, str | None, bool, str,
                                                            list[tuple[Any, ...]]]:
    """`order_full`'s result with each line's VAT rate as a rate the CRM knows (a ``СтавкиНДС``
    member name), for an order the CRM keeps. УТ 11.5 sends the rate as a reference to
    ``Catalog_СтавкиНДС``: ``vat_names`` (`vat_rate_names`) turns it into the rate's name. A rate
    the CRM cannot name (an element missing from the catalog, an enum member it does not know)
    raises `BadData`: kept as sent, it made the invoice unreadable (``VatRate('<guid>')``)."""
    state, wh, pt, incl, comment, goods = full
    c = p["order"]
    name = c.lopt("vat_rate") or "vat_rate"
    out = []
    for line in goods:
        rate = line[5]
        if rate and rate not in _VAT_NAMES and vat_names is not None and _GUID.match(rate):
            rate = vat_names.get(rate.lower(), rate)
        if rate and rate not in _VAT_NAMES:
            raise BadData(c.entity, why("no_vat_rate", name=name, value=repr(rate[:60])),
                          {"Ref_Key": state.id})
        out.append((*line[:5], rate, *line[6:]))
    return state, wh, pt, incl, comment, out


def vat_keys(full: tuple[Any, ...]) -> set[str]:
    """The VAT rates of an `order_full` result's lines that are references (УТ 11.5), lower case."""
    return {line[5].lower() for line in full[5] if isinstance(line[5], str) and _GUID.match(line[5])}


def settlement_object(p: Profile, row: Mapping[str, Any]) -> tuple[str, str] | None:
    """(settlement object, order) of a ``Catalog_ОбъектыРасчетов`` row, None if it is no order's."""
    c, e = p["settlement_object"], p["settlement_object"].entity
    key = ref(row, c.f("id"), e, required=True)
    order = any_ref(c, row, "order", e)
    return (key, order) if key is not None and order is not None else None


def payments(p: Profile, key: str, row: Mapping[str, Any], wanted: set[str],
             links: Mapping[str, str] | None = None) -> list[PaymentRow]:
    """Rows of one payment document settled against wanted orders (one PaymentRow per order).
    `links` (УТ 11.5) maps the rows' settlement objects to their orders."""
    c, e = p[key], p[key].entity
    pid = ref(row, c.f("id"), e, required=True)
    assert pid is not None
    if flag(row, c.opt("deletion_mark"), e):
        return []
    kind = "bank" if key == "bank_payment" else "cash"
    out: dict[str, Decimal] = {}
    for r in lines(row, c, e):
        order = any_ref(c, r, "order", e, line=True)
        if links is not None:
            order = links.get(order or "")
        if order in wanted:
            out[order] = out.get(order, Decimal(0)) + number(r, c.lf("amount"), e, 2)
    return [PaymentRow(pid, kind, text(row, c.f("number"), e), date(row, c.f("date"), e), order, amount,
                       flag(row, c.f("posted"), e)) for order, amount in out.items()]


def _line_number(row: Mapping[str, Any], name: str | None, default: int, entity: str) -> int:
    """A table part row's ``LineNumber`` (Int64: arrives as text, ``"1"``); ``default`` when not
    mapped or empty. Not a whole number: `BadData` (it used to end the job with a ValueError)."""
    value = row.get(name or "", default)
    try:
        number = odata.parse_int(value)
    except ValueError:
        raise BadData(entity, why("not_line_number", name=name, value=repr(str(value)[:60])), row) from None
    if number < 0 or number >= 10**9:
        raise BadData(entity, why("out_of_range", name=name, value=repr(str(value)[:60])), row)
    return number or default


def shipment(p: Profile, row: Mapping[str, Any], wanted: set[str]) -> ShipmentRow | None:
    c, e = p["shipment"], p["shipment"].entity
    if flag(row, c.opt("deletion_mark"), e):
        return None
    order = any_ref(c, row, "order", e)
    if order not in wanted:
        return None
    sid = ref(row, c.f("id"), e, required=True)
    assert sid is not None
    out_lines = []
    for n, r in enumerate(lines(row, c, e), start=1):
        prod = any_ref(c, r, "product", e, line=True)
        if prod is None:
            continue
        # Two table parts both count from 1: then the line's place in the document numbers it.
        line_no = n if c.more_lines else _line_number(r, c.lopt("line_number"), n, e)
        out_lines.append(ShipmentLine(line_no, prod, number(r, c.lf("quantity"), e, 3)))
    return ShipmentRow(sid, text(row, c.f("number"), e), date(row, c.f("date"), e), order,
                       flag(row, c.f("posted"), e), tuple(out_lines))


def shipment_request_state(p: Profile, row: Mapping[str, Any]) -> ShipmentRequestState:
    """What accounting says about one shipment request's document (number, posted, marked)."""
    c, e = p["shipment_request"], p["shipment_request"].entity
    rid = ref(row, c.f("id"), e, required=True)
    assert rid is not None
    return ShipmentRequestState(rid, text(row, c.f("number"), e), flag(row, c.f("posted"), e),
                                flag(row, c.f("deletion_mark"), e))


def type_name(entity: str) -> str:
    """``Catalog_Склады`` → ``StandardODATA.Catalog_Склады`` (the ``X_Type`` value)."""
    return TYPE_PREFIX + entity


__all__ = [
    "BadData",
    "Contact",
    "NoWarehouseStock",
    "OtherSubconto",
    "any_ref",
    "composite_ref",
    "contact",
    "contact_kind_map",
    "contacts_from_table_part",
    "contract",
    "counterparty",
    "currency",
    "debt_key",
    "debt_row",
    "order_full",
    "order_rates",
    "order_state",
    "organization",
    "payments",
    "price_row",
    "price_type",
    "product",
    "reserve_of_order",
    "reserve_of_order_line",
    "settlement_row",
    "shipment",
    "shipment_request_state",
    "stock_row",
    "unit",
    "vat_keys",
    "vat_rate_key_names",
    "vat_rate_names",
    "vat_rate_of",
    "warehouse",
]
