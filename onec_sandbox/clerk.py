"""The accounting clerk: actions a 1C user would perform, done through OData only.

Why over HTTP and not on the state directly: the demo must show the CRM reacting to work done
"in accounting"; going through the same `POST` + `/Post` interface a real 1C client uses keeps
the sandbox honest (if the clerk can do it over OData, so can any integrator).
"""

from __future__ import annotations

import argparse
import re
import sys
import uuid
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote

import httpx

ORDER = "Document_ЗаказПокупателя"
ORDER_TYPE = "StandardODATA." + ORDER
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

    def action(self, set_name: str, ref: str, action: str) -> None:
        self._check(self.http.post(f"{set_name}(guid'{ref}')/{action}?{self._qs({})}"))


def _or_chunks(refs: list[str], n: int = 20) -> list[list[str]]:
    return [refs[i:i + n] for i in range(0, len(refs), n)]


def find_order(od: OData, token: str) -> dict:
    """By Ref_Key, exact Number, or number digits (`123` finds `ТД000000123`)."""
    token = token.strip()
    if GUID_RE.match(token):
        rows = od.list(ORDER, **{"$filter": f"Ref_Key eq guid'{token.lower()}'"})
    else:
        esc = token.replace("'", "''")
        rows = od.list(ORDER, **{"$filter": f"Number eq '{esc}'"})
        if not rows and token.isdigit():
            rows = [o for o in od.list(ORDER, **{"$select": "Ref_Key,Number"})
                    if re.sub(r"\D", "", o["Number"]) and
                    int(re.sub(r"\D", "", o["Number"])) == int(token)]
            if rows:
                rows = od.list(ORDER, **{"$filter": f"Ref_Key eq guid'{rows[0]['Ref_Key']}'"})
    if not rows:
        raise ClerkError(f"заказ покупателя «{token}» не найден")
    return rows[0]


def payments_for(od: OData, order_refs: list[str]) -> dict[str, list[tuple[dict, Decimal]]]:
    """Posted bank and cash payments settled against each order: {order: [(doc, amount)]}."""
    out: dict[str, list[tuple[dict, Decimal]]] = {r: [] for r in order_refs}
    for set_name in ("Document_ПлатежноеПоручениеВходящее", "Document_ПриходныйКассовыйОрдер"):
        for chunk in _or_chunks(order_refs):
            cond = " or ".join(f"d/Сделка eq cast(guid'{r}','{ORDER}')" for r in chunk)
            docs = od.list(set_name, **{
                "$filter": f"Posted eq true and РасшифровкаПлатежа/any(d: {cond})",
                "$select": "Ref_Key,Number,Date,СуммаДокумента,РасшифровкаПлатежа"})
            for d in docs:
                for row in d["РасшифровкаПлатежа"]:
                    if row.get("Сделка_Type") == ORDER_TYPE and row.get("Сделка") in out:
                        out[row["Сделка"]].append((d, money(row.get("СуммаПлатежа") or 0)))
    return out


def shipments_for(od: OData, order_refs: list[str]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {r: [] for r in order_refs}
    for chunk in _or_chunks(order_refs):
        cond = " or ".join(f"Сделка eq cast(guid'{r}','{ORDER}')" for r in chunk)
        docs = od.list("Document_РеализацияТоваровУслуг", **{
            "$filter": f"Posted eq true and ({cond})",
            "$select": "Ref_Key,Number,Date,Сделка,Сделка_Type,Товары"})
        for d in docs:
            if d.get("Сделка") in out:
                out[d["Сделка"]].append(d)
    return out


def shipped_by_product(shipments: list[dict]) -> dict[str, Decimal]:
    got: dict[str, Decimal] = {}
    for d in shipments:
        for row in d["Товары"]:
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


def cmd_orders(od: OData, args: argparse.Namespace) -> int:
    orders = od.list(ORDER, **{"$select": "Ref_Key,Number,Date,Posted,DeletionMark,Контрагент_Key,"
                                          "СуммаДокумента,Товары",
                               "$orderby": "Date desc,Number desc", "$top": str(args.limit)})
    if not orders:
        say("Заказов покупателей нет.")
        return 0
    refs = [o["Ref_Key"] for o in orders]
    names: dict[str, str] = {}
    parties = sorted({o["Контрагент_Key"] for o in orders if o["Контрагент_Key"] != EMPTY_REF})
    for chunk in _or_chunks(parties):
        flt = " or ".join(f"Ref_Key eq guid'{r}'" for r in chunk)
        for c in od.list("Catalog_Контрагенты", **{"$filter": flt,
                                                   "$select": "Ref_Key,Description"}):
            names[c["Ref_Key"]] = c["Description"]
    pays = payments_for(od, refs)
    ships = shipments_for(od, refs)
    say(f"{'Номер':<12} {'Дата':<10} {'Клиент':<30} {'Сумма':>12} {'Проведен':<8} "
          f"{'Оплачено':>16} {'Отгружено':>9}")
    for o in orders:
        total = money(o["СуммаДокумента"])
        paid = sum((a for _, a in pays[o["Ref_Key"]]), Decimal(0))
        pct = f"{(paid / total * 100).quantize(Decimal('1'))}%" if total else "-"
        ordered = sum((Decimal(str(r["Количество"])) for r in o["Товары"]), Decimal(0))
        rem = remaining_by_line(o, ships[o["Ref_Key"]])
        shipped = ordered - sum(rem.values(), Decimal(0))
        spct = f"{(shipped / ordered * 100).quantize(Decimal('1'))}%" if ordered else "-"
        posted = "да" if o["Posted"] else ("удален" if o["DeletionMark"] else "нет")
        say(f"{o['Number']:<12} {o['Date'][:10]:<10} "
              f"{shown(names.get(o['Контрагент_Key'], '—'))[:30]:<30} {total:>12} {posted:<8} "
              f"{str(paid) + ' ' + pct:>16} {spct:>9}")
    return 0


def cmd_post(od: OData, args: argparse.Namespace, action: str) -> int:
    order = find_order(od, args.order)
    od.action(ORDER, order["Ref_Key"], action)
    again = od.get(f"{ORDER}(guid'{order['Ref_Key']}')", **{"$select": "Number,Posted"})
    word = "проведен" if again["Posted"] else "не проведен"
    say(f"Заказ {again['Number']}: {word}")
    return 0


def _now() -> str:
    return datetime.now().replace(microsecond=0).isoformat()


def cmd_pay(od: OData, args: argparse.Namespace) -> int:
    order = find_order(od, args.order)
    try:
        amount = money(args.amount.replace(",", "."))
    except InvalidOperation:
        raise ClerkError(f"неверная сумма: {args.amount}") from None
    if amount <= 0:
        raise ClerkError("сумма должна быть больше нуля")
    rate = max((VAT.get(r.get("СтавкаНДС", ""), 0) for r in order["Товары"]), default=20)
    vat_rate = {20: "НДС20", 18: "НДС18", 10: "НДС10"}.get(rate, "БезНДС")
    row = {"LineNumber": "1", "ДоговорКонтрагента_Key": order["ДоговорКонтрагента_Key"],
           "Сделка": order["Ref_Key"], "Сделка_Type": ORDER_TYPE, "КурсВзаиморасчетов": 1,
           "КратностьВзаиморасчетов": "1", "СуммаПлатежа": float(amount),
           "СуммаВзаиморасчетов": float(amount), "СтавкаНДС": vat_rate,
           "СуммаНДС": float(money(amount * rate / (100 + rate)))}
    body: dict[str, Any] = {
        "Ref_Key": str(uuid.uuid4()), "Date": _now(), "ВидОперации": "ОплатаПокупателя",
        "Организация_Key": order["Организация_Key"],
        "ДоговорКонтрагента_Key": order["ДоговорКонтрагента_Key"],
        "ВалютаДокумента_Key": order["ВалютаДокумента_Key"], "СуммаДокумента": float(amount),
        "Оплачено": True, "РасшифровкаПлатежа": [row],
        "Комментарий": f"Оплата по заказу {order['Number']}"}
    if args.cash:
        set_name = "Document_ПриходныйКассовыйОрдер"
        body.update({"Контрагент": order["Контрагент_Key"],
                     "Контрагент_Type": "StandardODATA.Catalog_Контрагенты",
                     "Основание": f"Оплата по заказу {order['Number']}"})
    else:
        set_name = "Document_ПлатежноеПоручениеВходящее"
        body.update({"Контрагент_Key": order["Контрагент_Key"], "ДатаОплаты": _now(),
                     "НазначениеПлатежа": f"Оплата по заказу покупателя № {order['Number']}"})
    doc = od.create(set_name, body)
    od.action(set_name, doc["Ref_Key"], "Post")
    kind = "ПКО" if args.cash else "Платежное поручение входящее"
    say(f"{kind} {doc['Number']} на {amount} по заказу {order['Number']}: проведен")
    return 0


def _warehouse_by_name(od: OData, name: str) -> dict:
    esc = name.replace("'", "''")
    rows = od.list("Catalog_Склады", **{"$filter": f"Description eq '{esc}'"})
    if not rows:
        raise ClerkError(f"склад «{name}» не найден")
    return rows[0]


def cmd_ship(od: OData, args: argparse.Namespace) -> int:
    order = find_order(od, args.order)
    ships = shipments_for(od, [order["Ref_Key"]])[order["Ref_Key"]]
    remaining = remaining_by_line(order, ships)
    if args.qty and len(args.qty) != len(args.line):
        raise ClerkError("каждому --qty нужен свой --line")
    wanted: dict[int, Decimal] = {}
    if args.line:
        for i, ln in enumerate(args.line):
            if ln not in remaining:
                raise ClerkError(f"в заказе нет строки {ln}")
            q = Decimal(args.qty[i].replace(",", ".")) if i < len(args.qty) else remaining[ln]
            wanted[ln] = q
    else:
        wanted = {ln: q for ln, q in remaining.items() if q > 0}
    wanted = {ln: q for ln, q in wanted.items() if q > 0}
    if not wanted:
        raise ClerkError(f"по заказу {order['Number']} отгружать нечего")
    if args.warehouse:
        wh = _warehouse_by_name(od, args.warehouse)["Ref_Key"]
    elif order.get("СкладГруппа_Type") == "StandardODATA.Catalog_Склады":
        wh = order["СкладГруппа"]
    else:
        wh = od.list("Catalog_Склады", **{"$top": "1", "$orderby": "Code"})[0]["Ref_Key"]
    rows, total = [], Decimal(0)
    by_line = {int(r["LineNumber"]): r for r in order["Товары"]}
    for n, (ln, q) in enumerate(sorted(wanted.items()), start=1):
        src = by_line[ln]
        ordered = Decimal(str(src["Количество"]))
        # amount proportional to the ordered line (keeps the order's discounts)
        amount = money(Decimal(str(src["Сумма"])) * q / ordered) if ordered else Decimal(0)
        rate = VAT.get(src.get("СтавкаНДС", ""), 0)
        vat = money(amount * rate / (100 + rate)) if order.get("СуммаВключаетНДС", True) else \
            money(amount * rate / 100)
        total += amount
        row_wh = src.get("Размещение") if src.get("Размещение_Type") == \
            "StandardODATA.Catalog_Склады" and not args.warehouse else wh
        rows.append({"LineNumber": str(n), "Номенклатура_Key": src["Номенклатура_Key"],
                     "ЕдиницаИзмерения_Key": src["ЕдиницаИзмерения_Key"],
                     "Коэффициент": src.get("Коэффициент", 1), "Количество": float(q),
                     "Цена": src["Цена"], "Сумма": float(amount), "СтавкаНДС": src["СтавкаНДС"],
                     "СуммаНДС": float(vat), "ПроцентСкидкиНаценки": src["ПроцентСкидкиНаценки"],
                     "ЗаказПокупателя_Key": order["Ref_Key"], "Склад_Key": row_wh})
    body = {"Ref_Key": str(uuid.uuid4()), "Date": _now(), "Организация_Key": order["Организация_Key"],
            "Контрагент_Key": order["Контрагент_Key"],
            "ДоговорКонтрагента_Key": order["ДоговорКонтрагента_Key"],
            "ВалютаДокумента_Key": order["ВалютаДокумента_Key"], "ТипЦен_Key": order["ТипЦен_Key"],
            "СуммаВключаетНДС": order.get("СуммаВключаетНДС", True),
            "УчитыватьНДС": order.get("УчитыватьНДС", True), "КурсВзаиморасчетов": 1,
            "КратностьВзаиморасчетов": "1", "Склад_Key": wh, "Сделка": order["Ref_Key"],
            "Сделка_Type": ORDER_TYPE, "СуммаДокумента": float(total), "Товары": rows,
            "Комментарий": f"Отгрузка по заказу {order['Number']}"}
    doc = od.create("Document_РеализацияТоваровУслуг", body)
    try:
        od.action("Document_РеализацияТоваровУслуг", doc["Ref_Key"], "Post")
    except ClerkError as e:
        raise ClerkError(f"реализация {doc['Number']} записана, но не проведена: {e}") from e
    lines = ", ".join(f"строка {ln}: {q.normalize():f}" for ln, q in sorted(wanted.items()))
    say(f"Реализация {doc['Number']} по заказу {order['Number']} ({lines}): проведена")
    return 0


def _product(od: OData, code: str) -> dict:
    esc = code.replace("'", "''")
    rows = od.list("Catalog_Номенклатура", **{
        "$filter": f"(Code eq '{esc}' or Артикул eq '{esc}') and IsFolder eq false"})
    if not rows:
        raise ClerkError(f"номенклатура «{code}» не найдена (по коду или артикулу)")
    return rows[0]


def cmd_price(od: OData, args: argparse.Namespace) -> int:
    prod = _product(od, args.code)
    esc = args.type.replace("'", "''")
    types = od.list("Catalog_ТипыЦенНоменклатуры", **{"$filter": f"Description eq '{esc}'"})
    if not types:
        raise ClerkError(f"тип цен «{args.type}» не найден")
    try:
        price = money(args.price.replace(",", "."))
    except InvalidOperation:
        raise ClerkError(f"неверная цена: {args.price}") from None
    body = {"Ref_Key": str(uuid.uuid4()), "Date": _now(),
            "Комментарий": f"Цена {prod['Code']} ({args.type})",
            "Товары": [{"LineNumber": "1", "Номенклатура_Key": prod["Ref_Key"],
                        "ТипЦен_Key": types[0]["Ref_Key"], "Цена": float(price),
                        "Валюта_Key": types[0]["ВалютаЦены_Key"],
                        "ЕдиницаИзмерения_Key": prod["ЕдиницаХраненияОстатков_Key"]}]}
    doc = od.create("Document_УстановкаЦенНоменклатуры", body)
    od.action("Document_УстановкаЦенНоменклатуры", doc["Ref_Key"], "Post")
    say(f"Цена «{args.type}» для {prod['Code']} {prod['Description']}: {price} "
          f"(документ {doc['Number']})")
    return 0


def cmd_receive(od: OData, args: argparse.Namespace) -> int:
    prod = _product(od, args.code)
    wh = _warehouse_by_name(od, args.warehouse)
    try:
        qty = Decimal(args.qty.replace(",", "."))
    except InvalidOperation:
        raise ClerkError(f"неверное количество: {args.qty}") from None
    if qty <= 0:
        raise ClerkError("количество должно быть больше нуля")
    org = od.list("Catalog_Организации", **{"$top": "1"})[0]
    body = {"Ref_Key": str(uuid.uuid4()), "Date": _now(), "Организация_Key": org["Ref_Key"],
            "Склад_Key": wh["Ref_Key"],
            "Товары": [{"LineNumber": "1", "Номенклатура_Key": prod["Ref_Key"],
                        "ЕдиницаИзмерения_Key": prod["ЕдиницаХраненияОстатков_Key"],
                        "Коэффициент": 1, "Количество": float(qty)}]}
    doc = od.create("Document_ОприходованиеТоваров", body)
    od.action("Document_ОприходованиеТоваров", doc["Ref_Key"], "Post")
    say(f"Оприходовано {qty.normalize():f} × {prod['Description']} на «{wh['Description']}» "
          f"(документ {doc['Number']})")
    return 0


def run(args: argparse.Namespace) -> int:
    """Run one clerk command; errors print the 1C message and return 1."""
    try:
        od = OData(args.url, args.user, args.password)
    except ClerkError as e:
        say(f"tui-crm sandbox {args.sandbox_cmd}: {e}", file=sys.stderr)
        return 2
    try:
        cmd = args.sandbox_cmd
        if cmd == "orders":
            return cmd_orders(od, args)
        if cmd in ("post", "unpost"):
            return cmd_post(od, args, "Post" if cmd == "post" else "Unpost")
        if cmd == "pay":
            return cmd_pay(od, args)
        if cmd == "ship":
            return cmd_ship(od, args)
        if cmd == "price":
            return cmd_price(od, args)
        if cmd == "receive":
            return cmd_receive(od, args)
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
