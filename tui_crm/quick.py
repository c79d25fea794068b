"""`tui-crm client add` and `tui-crm invoice add`: the operator's two writes from a shell.

They take the fields as options or as JSON (`--json FILE`, `-` for stdin; options win over the
file) and go through exactly what the screens use: the domain's `validate_client` /
`validate_invoice` and its parsers for quantities, discounts and dates, the catalog's wording of
each problem (`tui_crm.problems.describe`), and the store's `save_client` / `save_invoice` with
`queue=True`, which write the row and its outbox item in one transaction. The next push
(`tui-crm sync --once`, or a running TUI's push job) sends them to accounting.

Input that breaks a rule, or names a client, warehouse or product the store does not know,
is refused with one line per problem and writes nothing (`Refused`, exit 1); an unreadable
`--json` or a malformed `--line` is a usage error (`Usage`, exit 2).
"""

from __future__ import annotations

import json
import re
import sys
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from tui_crm.domain.invoice import (
    Invoice,
    InvoiceLine,
    parse_discount,
    parse_document_date,
    parse_line_quantity,
    validate_invoice,
)
from tui_crm.domain.models import Client
from tui_crm.domain.problems import ValidationError
from tui_crm.domain.validation import (
    UNSTORABLE,
    ClientKind,
    normalize_phone,
    split_phones,
    validate_client,
)
from tui_crm.domain.zone import utc_to_wall, wall_to_utc
from tui_crm.i18n import register, tr
from tui_crm.problems import describe
from tui_crm.store import NamedRef, Store
from tui_crm.store.views import ClientRow

register({
    "quick.json_unreadable": {"en": "cannot read {source}: {error}", "ru": "не удалось прочитать {source}: {error}"},
    "quick.json_invalid": {"en": "{source} is not valid JSON: {error}", "ru": "{source} — не JSON: {error}"},
    "quick.json_not_object": {"en": "{source} must hold one JSON object ({{\"name\": …}})",
                              "ru": "в {source} должен быть один объект JSON ({{\"name\": …}})"},
    "quick.json_bad_field": {"en": "field {field!r} in {source} must be {expected}",
                             "ru": "поле {field!r} в {source} должно быть: {expected}"},
    "quick.expect.text": {"en": "text", "ru": "текст"},
    "quick.expect.texts": {"en": "text or a list of texts", "ru": "текст или список текстов"},
    "quick.expect.list": {"en": "a list", "ru": "список"},
    "quick.expect.or": {"en": "{a} or {b}", "ru": "{a} или {b}"},
    "quick.json_unknown_field": {"en": "unknown field {field!r} in {source} (known: {known})",
                                 "ru": "неизвестное поле {field!r} в {source} (известны: {known})"},
    "quick.kind_unknown": {"en": "--kind {text!r} is none of: company, sole-proprietor, individual",
                           "ru": "--kind {text!r}: допустимо company, sole-proprietor или individual"},
    "quick.missing": {"en": "{option} is required", "ru": "нужно указать {option}"},
    "quick.control_chars": {"en": "{option}: contains control characters (such as Escape or a bell), which "
                                  "accounting's data cannot hold",
                            "ru": "{option}: содержит управляющие символы (например, Escape), которых в данных "
                                  "учёта быть не может"},
    "quick.line_format": {"en": "--line {text!r} is not CODE:QTY or CODE:QTY:DISCOUNT",
                          "ru": "--line {text!r}: нужно КОД:КОЛИЧЕСТВО или КОД:КОЛИЧЕСТВО:СКИДКА"},
    "quick.no_client": {"en": "no client is named {text!r} (give its name, ИНН, code or id; "
                              "`tui-crm status {text}` lists near matches)",
                        "ru": "клиент {text!r} не найден (укажите название, ИНН, код или id; "
                              "`tui-crm status {text}` покажет похожих)"},
    "quick.many_clients": {"en": "{text!r} names {n} clients: {names}; give the ИНН or the id",
                           "ru": "{text!r} подходит к {n} клиентам: {names}; укажите ИНН или id"},
    "quick.no_ref": {"en": "no {what} {text!r}; known: {known}", "ru": "нет такого: {what} {text!r}; есть: {known}"},
    "quick.no_refs": {"en": "the store has no {what} yet: run `tui-crm sync --once` first",
                      "ru": "в базе ещё нет справочника ({what}): сначала `tui-crm sync --once`"},
    "quick.what.warehouse": {"en": "warehouse", "ru": "склад"},
    "quick.what.price_type": {"en": "price type", "ru": "тип цен"},
    "quick.no_product": {"en": "line {n}: no product with code or article {code!r} on warehouse {warehouse}",
                         "ru": "строка {n}: нет товара с кодом или артикулом {code!r} на складе {warehouse}"},
    "quick.no_price": {"en": "line {n}: {name} has no price in price type {price_type}",
                       "ru": "строка {n}: у товара {name} нет цены в типе цен {price_type}"},
    "quick.in_line": {"en": "line {n} ({text}): {problem}", "ru": "строка {n} ({text}): {problem}"},
    "quick.duplicate": {"en": "{reason} already held by {name} ({source}, id {id})",
                        "ru": "{reason} уже есть у {name} ({source}, id {id})"},
    "quick.dup_inn": {"en": "the same ИНН is", "ru": "тот же ИНН"},
    "quick.dup_phone": {"en": "the same phone is", "ru": "тот же телефон"},
    "quick.src_crm": {"en": "CRM", "ru": "CRM"},
    "quick.src_accounting": {"en": "accounting", "ru": "учёт"},
    "quick.unique_refused": {"en": "not saved (--unique): {dups}", "ru": "не сохранено (--unique): {dups}"},
    "quick.client_saved": {"en": "Client {name} saved (id {id}); queued for accounting.",
                           "ru": "Клиент {name} сохранён (id {id}); в очереди на отправку в учёт."},
    "quick.invoice_saved": {
        "en": "Invoice for {client} saved (id {id}): {lines} line(s), total {total} incl. VAT {vat}; "
              "queued for accounting.",
        "ru": "Счёт для {client} сохранён (id {id}): строк {lines}, сумма {total}, в т.ч. НДС {vat}; "
              "в очереди на отправку в учёт."},
})


class Refused(Exception):
    """The input breaks a rule or names nothing known: nothing was written (exit 1)."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)


class Usage(Exception):
    """The command line or the --json input cannot be read as asked (exit 2)."""


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


_UNSTORABLE = UNSTORABLE
"""Characters a pull refuses in 1C's text (the row is quarantined), so a field holding one is
refused here: the one rule of domain/validation.py."""


def _unstorable(values: Mapping[str, str]) -> list[str]:
    """One problem per option whose text holds a character the pull would refuse."""
    return [tr("quick.control_chars", option=option) for option, text in values.items()
            if _UNSTORABLE.search(text)]


def _plain(text: str) -> str:
    """A value for one line of shell output: control characters and bidi overrides as '?'."""
    return _CONTROL.sub("?", text)


# -- input ----------------------------------------------------------------------------------------

def read_json(source: str, stdin: IO[str] | None = None) -> dict[str, Any]:
    """The JSON object in FILE, or on stdin for '-'."""
    where = "stdin" if source == "-" else source
    try:
        text = (stdin or sys.stdin).read() if source == "-" else Path(source).expanduser().read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise Usage(tr("quick.json_unreadable", source=where, error=getattr(exc, "strerror", None) or exc)) from None
    try:
        data = json.loads(text, parse_float=Decimal)
    except ValueError as exc:
        raise Usage(tr("quick.json_invalid", source=where, error=exc)) from None
    except RecursionError:  # brackets nested thousands deep: no field of ours is, say it as bad JSON
        raise Usage(tr("quick.json_invalid", source=where, error="arrays or objects nested too deep to read")) from None
    if not isinstance(data, dict):
        raise Usage(tr("quick.json_not_object", source=where))
    return data


def merge(data: Mapping[str, Any], options: Mapping[str, Any], known: Sequence[str], source: str) -> dict[str, Any]:
    """The JSON object's fields with the options typed on the command line over them."""
    unknown = [k for k in data if k not in known]
    if unknown:
        raise Usage(tr("quick.json_unknown_field", field=unknown[0], source=source, known=", ".join(known)))
    out = dict(data)
    out.update({k: v for k, v in options.items() if v is not None and v != []})
    return out


def _text(fields: Mapping[str, Any], key: str, source: str) -> str:
    value = fields.get(key)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise Usage(tr("quick.json_bad_field", field=key, source=source, expected=tr("quick.expect.text")))
    return str(value).strip()


_KINDS = {
    "company": ClientKind.LEGAL_ENTITY, "legal-entity": ClientKind.LEGAL_ENTITY,
    "sole-proprietor": ClientKind.SOLE_PROPRIETOR, "ip": ClientKind.SOLE_PROPRIETOR, "ип": ClientKind.SOLE_PROPRIETOR,
    "individual": ClientKind.INDIVIDUAL, "person": ClientKind.INDIVIDUAL,
}


def parse_kind(text: str) -> ClientKind:
    key = text.strip().lower().replace("_", "-")
    if not key:
        return ClientKind.LEGAL_ENTITY
    if key in _KINDS:
        return _KINDS[key]
    raise Usage(tr("quick.kind_unknown", text=text))


# -- client add -----------------------------------------------------------------------------------

CLIENT_FIELDS = ("kind", "name", "full_name", "inn", "kpp", "phones", "email", "address", "comment")


def build_client(fields: Mapping[str, Any], source: str = "--json") -> Client:
    """A new client from the fields, or `Refused` with the card's own problems, worded alike."""
    kind = parse_kind(_text(fields, "kind", source))
    raw_phones = fields.get("phones") or []
    if isinstance(raw_phones, str):
        raw_phones = [raw_phones]
    if not isinstance(raw_phones, list) or not all(isinstance(p, str) for p in raw_phones):
        raise Usage(tr("quick.json_bad_field", field="phones", source=source, expected=tr("quick.expect.texts")))
    phones = [p for text in raw_phones for p in split_phones(text)]
    name, inn, kpp, email = (_text(fields, k, source) for k in ("name", "inn", "kpp", "email"))
    full_name, address, comment = (_text(fields, k, source) for k in ("full_name", "address", "comment"))
    problems = validate_client(kind=kind, name=name, inn=inn, kpp=kpp, phones=phones, email=email)
    option = {"phones": "--phone"}
    refused = [f"{option.get(f, '--' + f.replace('_', '-'))}: {describe(p)}" for f, p in problems.items()]
    # A name with an escape sequence was saved and pushed; 1C kept it, and every pull after
    # quarantined the counterparty row as malformed (its changes in 1C never reach the CRM).
    refused += _unstorable({"--name": name, "--full-name": full_name, "--inn": inn, "--kpp": kpp,
                            "--phone": " ".join(phones), "--email": email, "--address": address,
                            "--comment": comment})
    if refused:
        raise Refused(refused)
    return Client(
        id=str(uuid.uuid4()), kind=kind, name=name, full_name=full_name or name,
        inn=inn, kpp=kpp if kind.has_kpp else "", phones=tuple(normalize_phone(p) or p for p in phones),
        email=email, address=address, comment=comment,
    )


def add_client(store: Store, fields: Mapping[str, Any], *, unique: bool = False,
               source: str = "--json") -> tuple[dict[str, Any], list[str]]:
    """Validate, check for duplicates, save and queue. Returns the answer and the warnings."""
    client = build_client(fields, source)
    dups = store.find_duplicates(inn=client.inn, phones=client.phones)
    warnings = [tr("quick.duplicate", reason=tr(f"quick.dup_{d.reason}"), name=_plain(d.name),
                   source=tr(f"quick.src_{d.source}"), id=d.id) for d in dups]
    if dups and unique:
        raise Refused([tr("quick.unique_refused", dups="; ".join(warnings))])
    store.save_client(client, queue=True)
    answer = {
        "id": client.id, "kind": client.kind.value, "name": client.name, "full_name": client.full_name,
        "inn": client.inn, "kpp": client.kpp, "phones": list(client.phones), "email": client.email,
        "address": client.address, "sync_state": "queued",
        "duplicates": [{"id": d.id, "name": d.name, "inn": d.inn, "reason": d.reason, "source": d.source}
                       for d in dups],
    }
    return answer, warnings


# -- invoice add ----------------------------------------------------------------------------------

INVOICE_FIELDS = ("client", "warehouse", "price_type", "lines", "discount", "comment", "date")


def resolve_client(store: Store, text: str) -> ClientRow:
    rows = store.clients_named(text)
    if not rows:
        raise Refused([tr("quick.no_client", text=text)])
    if len(rows) > 1:
        names = ", ".join(f"{_plain(r.name)} (" + (f"ИНН {r.inn}, " if r.inn else "") + f"id {r.id})"
                          for r in rows[:5])
        raise Refused([tr("quick.many_clients", text=text, n=len(rows), names=names)])
    return rows[0]


def resolve_ref(refs: Sequence[NamedRef], text: str, what: str) -> NamedRef:
    """A warehouse or price type by id or name (case aside), else by a part of the name that
    only one of them has."""
    if not refs:
        raise Refused([tr("quick.no_refs", what=tr(f"quick.what.{what}"))])
    low = text.strip().lower()
    exact = [r for r in refs if r.id == text.strip() or r.name.lower() == low]
    part = [r for r in refs if low and low in r.name.lower()]
    found = exact or part
    if len(found) != 1:
        known = ", ".join(_plain(r.name) for r in refs)
        raise Refused([tr("quick.no_ref", what=tr(f"quick.what.{what}"), text=text, known=known)])
    return found[0]


def parse_line(text: str) -> tuple[str, str, str]:
    """CODE:QTY[:DISCOUNT] → its three texts (the values are checked by the domain's parsers)."""
    parts = text.split(":")
    if len(parts) not in (2, 3) or not parts[0].strip() or not parts[1].strip():
        raise Usage(tr("quick.line_format", text=text))
    return parts[0].strip(), parts[1].strip(), parts[2].strip() if len(parts) == 3 else ""


def _line_texts(fields: Mapping[str, Any], source: str) -> list[tuple[str, str, str, str]]:
    """(shown text, code, quantity, discount) of each line, from --line or the JSON `lines`."""
    out = []
    lines = fields.get("lines") or []
    if not isinstance(lines, list):
        raise Usage(tr("quick.json_bad_field", field="lines", source=source, expected=tr("quick.expect.list")))
    for item in lines:
        if isinstance(item, str):
            out.append((item, *parse_line(item)))
        elif isinstance(item, dict) and isinstance(item.get("code"), str):
            qty, disc = item.get("qty", item.get("quantity", "")), item.get("discount", "")
            if not all(isinstance(v, str | int | Decimal) and not isinstance(v, bool) for v in (qty, disc)):
                raise Usage(tr("quick.json_bad_field", field="lines", source=source,
                               expected='{"code": "…", "qty": "2", "discount": "5"}'))
            out.append((f"{item['code']}:{qty}" + (f":{disc}" if disc != "" else ""), item["code"], str(qty),
                        str(disc)))
        else:
            raise Usage(tr("quick.json_bad_field", field="lines", source=source,
                           expected=tr("quick.expect.or", a='"CODE:QTY[:DISCOUNT]"', b='{"code": "…", "qty": "2"}')))
    return out


def add_invoice(store: Store, fields: Mapping[str, Any], source: str = "--json") -> dict[str, Any]:
    """Resolve the names, build the invoice as the editor would, validate, save and queue."""
    client_text = _text(fields, "client", source)
    warehouse_text = _text(fields, "warehouse", source)
    missing = [opt for opt, value in (("--client", client_text), ("--warehouse", warehouse_text)) if not value]
    line_texts = _line_texts(fields, source)
    if not line_texts:
        missing.append("--line")
    if missing:
        raise Usage("; ".join(tr("quick.missing", option=m) for m in missing))
    problems: list[str] = []
    client = resolve_client(store, client_text)
    warehouse = resolve_ref(store.warehouses(), warehouse_text, "warehouse")
    pt_text = _text(fields, "price_type", source)
    price_types = store.price_types()
    price_type = resolve_ref(price_types, pt_text, "price_type") if pt_text else (
        price_types[0] if price_types else resolve_ref(price_types, "", "price_type"))
    lines: list[InvoiceLine] = []
    for n, (shown, code, qty_text, disc_text) in enumerate(line_texts, start=1):
        try:
            qty = parse_line_quantity(qty_text)
            disc = parse_discount(disc_text)
        except ValidationError as exc:
            problems.append(tr("quick.in_line", n=n, text=shown, problem=describe(exc.problem)))
            continue
        row = store.product_by_code(warehouse.id, price_type.id, code)
        if row is None:
            problems.append(tr("quick.no_product", n=n, code=code, warehouse=_plain(warehouse.name)))
        elif row.price is None:
            problems.append(tr("quick.no_price", n=n, name=_plain(row.name), price_type=_plain(price_type.name)))
        else:
            lines.append(row.invoice_line(qty, disc))
    comment = _text(fields, "comment", source)
    problems += _unstorable({"--comment": comment})
    doc_discount = Decimal(0)
    date: datetime = store.clock()
    try:
        doc_discount = parse_discount(_text(fields, "discount", source), what="invoice_discount")
    except ValidationError as exc:
        problems.append(f"--discount: {describe(exc.problem)}")
    date_text = _text(fields, "date", source)
    if date_text:
        try:
            # a typed date is a wall date (tui_crm.domain.zone), at the wall time of now
            wall = utc_to_wall(date)
            date = wall_to_utc(parse_document_date(date_text).replace(
                hour=wall.hour, minute=wall.minute, second=wall.second))
        except ValidationError as exc:
            problems.append(f"--date: {describe(exc.problem)}")
    if problems:
        raise Refused(problems)
    invoice = Invoice(
        lines=tuple(lines), amount_includes_vat=store.price_type_includes_vat(price_type.id),
        document_discount_pct=doc_discount, client_id=client.id, warehouse_id=warehouse.id,
        price_type_id=price_type.id, comment=comment,
    )
    found = validate_invoice(invoice)
    if found:
        raise Refused([describe(p) for p in found])
    invoice_id = str(uuid.uuid4())
    store.save_invoice(invoice_id, invoice, date=date, queue=True, now=store.clock())
    return {
        "id": invoice_id, "client": client.name, "client_id": client.id, "warehouse": warehouse.name,
        "price_type": price_type.name, "date": utc_to_wall(date).isoformat(sep=" "),
        "discount": str(invoice.document_discount_pct), "comment": invoice.comment,
        "lines": [{"code": line.code, "name": line.name, "unit": line.unit, "quantity": str(line.quantity),
                   "price": str(line.price), "discount": str(line.discount_pct), "amount": str(line.amount)}
                  for line in invoice.lines],
        "total": str(invoice.total), "vat": str(invoice.vat_total), "sync_state": "queued",
    }


def saved_text(kind: str, answer: Mapping[str, Any]) -> str:
    if kind == "client":
        return tr("quick.client_saved", name=_plain(answer["name"]), id=answer["id"])
    return tr("quick.invoice_saved", client=_plain(answer["client"]), id=answer["id"],
              lines=len(answer["lines"]), total=answer["total"], vat=answer["vat"])
