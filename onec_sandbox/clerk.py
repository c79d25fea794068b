"""The accounting clerk: actions a 1C user would perform, done through OData only.

This module is the clerk's shared part (the OData client, terminal-safe output, lookups every
configuration needs, and the bodies of the commands that only differ in 1C names: `post_deal`,
`deals_table`, `set_price`, `receive_goods`, `amount_arg`, `lines_to_ship`, `post_sale`) and
the dispatcher; each configuration's commands are its `Configuration.clerk` (e.g.
`configs/ka1.py`), which call those bodies with the configuration's own names.

Why over HTTP and not on the state directly: the demo must show the CRM reacting to work done
"in accounting"; going through the same `POST` + `/Post` interface a real 1C client uses keeps
the sandbox honest (if the clerk can do it over OData, so can any integrator).
"""

from __future__ import annotations

import argparse
import re
import sys
import uuid
from collections.abc import Callable
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import httpx

if TYPE_CHECKING:
    from .configs import Configuration

EMPTY_REF = "00000000-0000-0000-0000-000000000000"
GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
VAT = {"НДС20": 20, "НДС20_120": 20, "НДС18": 18, "НДС18_118": 18, "НДС10": 10, "НДС10_110": 10,
       "НДС0": 0, "БезНДС": 0, "": 0}


class ClerkError(Exception):
    """A failed action, with the message to show the user."""


_BIDI = {0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)}


def shown(text: object) -> str:
    """Text from the base made safe for a terminal: control characters (C0, DEL, C1) become
    visible symbols or escapes, bidi controls a visible `<U+…>`. Names in the base can be
    anything an accountant typed (see `tui-crm sandbox serve --hostile`); an ESC in a name must
    not clear the clerk's screen."""
    out = []
    for ch in str(text):
        c = ord(ch)
        if c < 0x20:
            out.append(chr(0x2400 + c))  # ␛ ␀ ␍ …
        elif c == 0x7F:
            out.append("\u2421")
        elif 0x80 <= c < 0xA0:
            out.append(f"\\x{c:02x}")
        elif c in _BIDI:
            out.append(f"<U+{c:04X}>")
        else:
            out.append(ch)
    return "".join(out)


def say(text: str, file=None) -> None:
    print(shown(text), file=file if file is not None else sys.stdout)


def money(v: Any) -> Decimal:
    return Decimal(str(v)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


class OData:
    """A minimal sync OData client: %20-encoded query strings, odata.error → ClerkError."""

    def __init__(self, url: str, user: str | None = None, password: str | None = None,
                 timeout: float = 30.0):
        if not url:
            raise ClerkError("не указан адрес песочницы: --url http://127.0.0.1:PORT/demo/odata/"
                             "standard.odata/")
        self.base = url if url.endswith("/") else url + "/"
        auth = httpx.BasicAuth(user, password or "") if user is not None else None
        self.http = httpx.Client(base_url=self.base, auth=auth, timeout=timeout,
                                 headers={"Accept": "application/json"})

    def close(self) -> None:
        self.http.close()

    @staticmethod
    def _qs(params: dict[str, Any]) -> str:
        params = {"$format": "json", **params}
        return "&".join(f"{quote(k, safe='$')}={quote(str(v), safe='')}" for k, v in params.items())

    def _check(self, r: httpx.Response) -> httpx.Response:
        if r.status_code >= 400:
            try:
                err = r.json()["odata.error"]
                raise ClerkError(f"{err['message']['value']} (код {err['code']}, HTTP "
                                 f"{r.status_code})")
            except (ValueError, KeyError, TypeError):
                raise ClerkError(f"HTTP {r.status_code}: {r.text[:200]}") from None
        ctype = r.headers.get("content-type", "")
        if r.content and "json" not in ctype and "text/plain" not in ctype:
            raise ClerkError(f"неожиданный ответ ({ctype or 'без типа'}), HTTP {r.status_code}")
        return r

    def get(self, path: str, **params: Any) -> Any:
        r = self._check(self.http.get(f"{path}?{self._qs(params)}"))
        return r.json()

    def list(self, path: str, **params: Any) -> list[dict]:
        return self.get(path, **params)["value"]

    def create(self, set_name: str, body: dict) -> dict:
        r = self._check(self.http.post(f"{set_name}?{self._qs({})}", json=body))
        return r.json()

    def patch(self, set_name: str, ref: str, body: dict) -> dict:
        r = self._check(self.http.patch(f"{set_name}(guid'{ref}')?{self._qs({})}", json=body))
        return r.json()

    def action(self, set_name: str, ref: str, action: str) -> None:
        self._check(self.http.post(f"{set_name}(guid'{ref}')/{action}?{self._qs({})}"))


def or_chunks(refs: list[str], n: int = 20) -> list[list[str]]:
    return [refs[i:i + n] for i in range(0, len(refs), n)]


def find_order(od: OData, entity: str, token: str) -> dict:
    """An order of set `entity` by Ref_Key, exact Number, or number digits (`123` finds
    `ТД000000123`, or УТ 11 / БП 3's `ТД00-000123`)."""
    token = token.strip()
    if GUID_RE.match(token):
        rows = od.list(entity, **{"$filter": f"Ref_Key eq guid'{token.lower()}'"})
    else:
        esc = token.replace("'", "''")
        rows = od.list(entity, **{"$filter": f"Number eq '{esc}'"})
        if not rows and token.isdigit():
            rows = [o for o in od.list(entity, **{"$select": "Ref_Key,Number"})
                    if re.sub(r"\D", "", o["Number"]) and
                    int(re.sub(r"\D", "", o["Number"])) == int(token)]
            if rows:
                rows = od.list(entity, **{"$filter": f"Ref_Key eq guid'{rows[0]['Ref_Key']}'"})
    if not rows:
        raise ClerkError(f"заказ «{token}» не найден")
    return rows[0]


def shipped_by_product(shipments: list[dict]) -> dict[str, Decimal]:
    got: dict[str, Decimal] = {}
    for d in shipments:
        for row in [*d.get("Товары", ()), *d.get("Услуги", ())]:  # БП 3: services in Услуги
            k = row["Номенклатура_Key"]
            got[k] = got.get(k, Decimal(0)) + Decimal(str(row["Количество"]))
    return got


def remaining_by_line(order: dict, shipments: list[dict]) -> dict[int, Decimal]:
    """Quantity still to ship per order line (shipped quantities consumed line by line)."""
    left = shipped_by_product(shipments)
    out = {}
    for row in order["Товары"]:
        q = Decimal(str(row["Количество"]))
        k = row["Номенклатура_Key"]
        used = min(q, left.get(k, Decimal(0)))
        left[k] = left.get(k, Decimal(0)) - used
        out[int(row["LineNumber"])] = q - used
    return out


def now_text() -> str:
    return datetime.now().replace(microsecond=0).isoformat()


def document_date(args: argparse.Namespace) -> str:
    """The date of a document the clerk enters: `--date` when given (the demo's history dates
    its payments and shipments in the past), else now."""
    return args.date or now_text()



def warehouse_by_name(od: OData, name: str) -> dict:
    esc = name.replace("'", "''")
    rows = od.list("Catalog_Склады", **{"$filter": f"Description eq '{esc}'"})
    if not rows:
        raise ClerkError(f"склад «{name}» не найден")
    return rows[0]


def product_by_code(od: OData, code: str) -> dict:
    esc = code.replace("'", "''")
    rows = od.list("Catalog_Номенклатура", **{
        "$filter": f"(Code eq '{esc}' or Артикул eq '{esc}') and IsFolder eq false"})
    if not rows:
        raise ClerkError(f"номенклатура «{code}» не найдена (по коду или артикулу)")
    return rows[0]


def number_arg(text: str, wrong: str) -> Decimal:
    """A typed number (a comma or a point) as a finite Decimal; else ClerkError(f"{wrong}: {text}").
    `nan` and `inf` are Decimals too: `nan` then broke the comparison with zero (a traceback),
    `inf` went to the base as a JSON Infinity."""
    try:
        value = Decimal(text.strip().replace(",", "."))
    except InvalidOperation:
        raise ClerkError(f"{wrong}: {text}") from None
    if not value.is_finite():
        raise ClerkError(f"{wrong}: {text}")
    return value


def amount_arg(text: str) -> Decimal:
    """`--amount` as money (a comma or a point), refused in words when it is not a positive sum."""
    try:
        amount = money(number_arg(text, "неверная сумма"))
    except InvalidOperation:
        raise ClerkError(f"неверная сумма: {text}") from None
    if amount <= 0:
        raise ClerkError("сумма должна быть больше нуля")
    return amount


def lines_to_ship(args: argparse.Namespace, remaining: dict[int, Decimal], where: str,
                  about: str) -> dict[int, Decimal]:
    """Quantity to ship per deal line: each `--line` with its `--qty` (or what is left of it),
    else everything left; refused in words (`where`: «в заказе», `about`: «по заказу 123»)
    when a line is not in the deal, a quantity is not a number or nothing is left to ship."""
    if args.qty and len(args.qty) != len(args.line):
        raise ClerkError("каждому --qty нужен свой --line")
    wanted: dict[int, Decimal] = {}
    if args.line:
        for i, ln in enumerate(args.line):
            if ln not in remaining:
                raise ClerkError(f"{where} нет строки {ln}")
            wanted[ln] = number_arg(args.qty[i], "неверное количество") if i < len(args.qty) else remaining[ln]
    else:
        wanted = dict(remaining)
    wanted = {ln: q for ln, q in wanted.items() if q > 0}
    if not wanted:
        raise ClerkError(f"{about} отгружать нечего")
    return wanted


def post_sale(od: OData, set_name: str, body: dict, wanted: dict[int, Decimal], about: str) -> int:
    """Write the sale `body` and post it; a refused posting is said with the document kept
    (written, not posted). `about`: «по заказу 123» in the message."""
    doc = od.create(set_name, body)
    try:
        od.action(set_name, doc["Ref_Key"], "Post")
    except ClerkError as e:
        raise ClerkError(f"реализация {doc['Number']} записана, но не проведена: {e}") from e
    lines = ", ".join(f"строка {ln}: {q.normalize():f}" for ln, q in sorted(wanted.items()))
    say(f"Реализация {doc['Number']} {about} ({lines}): проведена")
    return 0


def post_deal(od: OData, args: argparse.Namespace, action: str, set_name: str, title: str) -> int:
    """`post`/`unpost` of the deal document (`action`: "Post" | "Unpost"), found by
    `--order`; says its state after, e.g. «Заказ клиента 123: проведен»."""
    doc = find_order(od, set_name, args.order)
    od.action(set_name, doc["Ref_Key"], action)
    again = od.get(f"{set_name}(guid'{doc['Ref_Key']}')", **{"$select": "Number,Posted"})
    say(f"{title} {again['Number']}: {'проведен' if again['Posted'] else 'не проведен'}")
    return 0


def deals_table(od: OData, args: argparse.Namespace, *, set_name: str, client_key: str,
                client_set: str, client_title: str, empty: str,
                payments: Callable[[OData, list[str]], dict[str, list[tuple[dict, Decimal]]]],
                shipments: Callable[[OData, list[str]], dict[str, list[dict]]],
                lines: Callable[[dict], dict] = lambda deal: deal) -> int:
    """`orders`: the last `--limit` deals (orders, БП 3's invoices) with their client (by
    `client_key` in `client_set`), sum, posted state, paid and shipped shares. `lines` puts a
    deal's goods rows into the shape `remaining_by_line` reads (e.g. drops cancelled lines)."""
    deals = od.list(set_name, **{"$select": f"Ref_Key,Number,Date,Posted,DeletionMark,{client_key},"
                                            "СуммаДокумента,Товары",
                                 "$orderby": "Date desc,Number desc", "$top": str(args.limit)})
    if not deals:
        say(empty)
        return 0
    refs = [o["Ref_Key"] for o in deals]
    names: dict[str, str] = {}
    clients = sorted({o[client_key] for o in deals if o[client_key] != EMPTY_REF})
    for chunk in or_chunks(clients):
        flt = " or ".join(f"Ref_Key eq guid'{r}'" for r in chunk)
        for c in od.list(client_set, **{"$filter": flt, "$select": "Ref_Key,Description"}):
            names[c["Ref_Key"]] = c["Description"]
    pays = payments(od, refs)
    ships = shipments(od, refs)
    say(f"{'Номер':<12} {'Дата':<10} {client_title:<30} {'Сумма':>12} {'Проведен':<8} "
        f"{'Оплачено':>16} {'Отгружено':>9}")
    for o in deals:
        o = lines(o)
        total = money(o["СуммаДокумента"])
        paid = sum((a for _, a in pays[o["Ref_Key"]]), Decimal(0))
        pct = f"{(paid / total * 100).quantize(Decimal('1'))}%" if total else "-"
        ordered = sum((Decimal(str(r["Количество"])) for r in o["Товары"]), Decimal(0))
        shipped = ordered - sum(remaining_by_line(o, ships[o["Ref_Key"]]).values(), Decimal(0))
        spct = f"{(shipped / ordered * 100).quantize(Decimal('1'))}%" if ordered else "-"
        posted = "да" if o["Posted"] else ("удален" if o["DeletionMark"] else "нет")
        say(f"{o['Number']:<12} {o['Date'][:10]:<10} "
            f"{shown(names.get(o[client_key], '—'))[:30]:<30} {total:>12} {posted:<8} "
            f"{str(paid) + ' ' + pct:>16} {spct:>9}")
    return 0


def set_price(od: OData, args: argparse.Namespace, *, kinds_set: str, kind_word: str,
              header: Callable[[dict], dict] = lambda kind: {},
              line: Callable[[dict, dict], dict] = lambda prod, kind: {}) -> int:
    """`price`: a posted УстановкаЦенНоменклатуры of one row, `--price` for `--code` under the
    price kind named `--type` (an element of `kinds_set`, «{kind_word} «…» не найден» when
    missing). `header(kind)` and `line(prod, kind)` add the configuration's own fields (the kind's
    and the unit's names differ between configurations)."""
    prod = product_by_code(od, args.code)
    esc = args.type.replace("'", "''")
    kinds = od.list(kinds_set, **{"$filter": f"Description eq '{esc}'"})
    if not kinds:
        raise ClerkError(f"{kind_word} «{args.type}» не найден")
    try:
        price = money(number_arg(args.price, "неверная цена"))
    except InvalidOperation:  # too many digits to round
        raise ClerkError(f"неверная цена: {args.price}") from None
    if price < 0:
        raise ClerkError("цена не может быть отрицательной")
    body = {"Ref_Key": str(uuid.uuid4()), "Date": now_text(), **header(kinds[0]),
            "Комментарий": f"Цена {prod['Code']} ({args.type})",
            "Товары": [{"LineNumber": "1", "Номенклатура_Key": prod["Ref_Key"],
                        **line(prod, kinds[0]), "Цена": float(price)}]}
    doc = od.create("Document_УстановкаЦенНоменклатуры", body)
    od.action("Document_УстановкаЦенНоменклатуры", doc["Ref_Key"], "Post")
    say(f"Цена «{args.type}» для {prod['Code']} {prod['Description']}: {price} "
        f"(документ {doc['Number']})")
    return 0


def receive_goods(od: OData, args: argparse.Namespace, *, document: str,
                  line: Callable[[dict], dict] = lambda prod: {}) -> int:
    """`receive`: a posted `document` (ОприходованиеТоваров / …ИзлишковТоваров) bringing `--qty`
    of `--code` onto `--warehouse` for the first organisation; `line(prod)` adds the row's
    configuration-specific fields (unit, price)."""
    prod = product_by_code(od, args.code)
    wh = warehouse_by_name(od, args.warehouse)
    qty = number_arg(args.qty, "неверное количество")
    if qty <= 0:
        raise ClerkError("количество должно быть больше нуля")
    org = od.list("Catalog_Организации", **{"$top": "1"})[0]
    body = {"Ref_Key": str(uuid.uuid4()), "Date": now_text(), "Организация_Key": org["Ref_Key"],
            "Склад_Key": wh["Ref_Key"],
            "Товары": [{"LineNumber": "1", "Номенклатура_Key": prod["Ref_Key"], **line(prod),
                        "Количество": float(qty)}]}
    doc = od.create(document, body)
    od.action(document, doc["Ref_Key"], "Post")
    say(f"Оприходовано {qty.normalize():f} × {prod['Description']} на «{wh['Description']}» "
        f"(документ {doc['Number']})")
    return 0


def configuration_of(od: OData, wanted: str | None) -> Configuration:
    """The configuration `--config` names, else the one the server's service document shows."""
    from .configs import UnknownConfiguration, configuration, detect
    if wanted:
        try:
            return configuration(wanted)
        except UnknownConfiguration as e:
            raise ClerkError(str(e)) from None
    names = [e.get("name", "") for e in od.list("")]
    found = detect(names)
    if found is None:
        raise ClerkError("не удалось определить конфигурацию базы по списку ее объектов: "
                         "укажите --config")
    return configuration(found)


#: The comment a CRM shipment request starts with (tui_crm.domain.models.SHIPMENT_MARK; the
#: sandbox keeps its own copy: it is the accounting side and imports nothing of the CRM).
SHIPMENT_MARK = "#ОТГРУЗКА"


def shipment_request_answer(request_set: str, link: str, link_type: str | None, title: str,
                            find: Callable[[OData, str], dict], parts: tuple[str, ...] = ("Товары",),
                            ) -> Callable[[OData, argparse.Namespace, str], int]:
    """The warehouse's answer to the CRM's shipment requests of one configuration: the unposted,
    unmarked documents of `request_set` whose `link` points at the order (`link_type`: the
    composite's type, None for a plain reference) and whose comment starts with SHIPMENT_MARK.
    `post` posts them (1C's refusal, e.g. not enough stock, is printed), `reject` marks them for
    deletion; `--doc` picks one when the order has several. `title`: the document's name in
    messages ("Расходный ордер", "Реализация"); `find` finds the order/invoice by number; `parts`:
    the table parts holding its lines (БП 3's sale: `Товары` and `Услуги`)."""

    def answer(od: OData, args: argparse.Namespace, action: str) -> int:
        order = find(od, args.order)
        ref = order["Ref_Key"]
        cond = f"{link} eq cast(guid'{ref}','{link_type}')" if link_type else f"{link} eq guid'{ref}'"
        docs = [d for d in od.list(request_set, **{
            "$filter": f"{cond} and Posted eq false and DeletionMark eq false",
            "$select": ",".join(("Ref_Key,Number,Date,Комментарий", *parts)), "$orderby": "Date,Number"})
            if str(d.get("Комментарий") or "").startswith(SHIPMENT_MARK)]
        if args.doc:
            docs = [d for d in docs if d["Number"] == args.doc.strip() or d["Ref_Key"] == args.doc.strip().lower()]
        if not docs:
            raise ClerkError(f"по документу {order['Number']} нет заявок на отгрузку, ждущих склада"
                             + (f" (номер {args.doc})" if args.doc else ""))
        for doc in docs:
            lines = ", ".join(f"{Decimal(str(r['Количество'])).normalize():f}"
                              for part in parts for r in doc.get(part) or [])
            if action == "post":
                od.action(request_set, doc["Ref_Key"], "Post")
                say(f"Документ «{title} {doc['Number']}» по {order['Number']} ({lines}): проведен, "
                    "товары отгружены")
            else:
                od.patch(request_set, doc["Ref_Key"], {"DeletionMark": True})
                say(f"Документ «{title} {doc['Number']}» по {order['Number']}: отклонен (помечен "
                    "на удаление)")
        return 0

    return answer


def run(args: argparse.Namespace) -> int:
    """Run one clerk command; errors print the 1C message and return 1."""
    try:
        od = OData(args.url, args.user, args.password)
    except ClerkError as e:
        say(f"tui-crm sandbox {args.sandbox_cmd}: {e}", file=sys.stderr)
        return 2
    try:
        ops = configuration_of(od, args.config).clerk
        cmd = args.sandbox_cmd
        if cmd == "orders":
            return ops.orders(od, args)
        if cmd in ("post", "unpost"):
            return ops.post(od, args, "Post" if cmd == "post" else "Unpost")
        if cmd == "pay":
            return ops.pay(od, args)
        if cmd == "ship":
            return ops.ship(od, args)
        if cmd == "price":
            return ops.price(od, args)
        if cmd == "receive":
            return ops.receive(od, args)
        if cmd in ("post-shipment", "reject-shipment"):
            if ops.shipment_request is None:
                raise ClerkError("в этой конфигурации CRM не отправляет заявок на отгрузку")
            return ops.shipment_request(od, args, "post" if cmd == "post-shipment" else "reject")
        say(f"tui-crm sandbox: unknown command {cmd}", file=sys.stderr)
        return 2
    except ClerkError as e:
        say(f"tui-crm sandbox {args.sandbox_cmd}: {e}", file=sys.stderr)
        return 1
    except httpx.HTTPError as e:
        say(f"tui-crm sandbox {args.sandbox_cmd}: нет связи с песочницей: {e}", file=sys.stderr)
        return 1
    finally:
        od.close()
