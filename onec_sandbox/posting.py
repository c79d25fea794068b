"""Posting rules of the sandbox documents: what each document writes to which register.

Why this lives apart from the HTTP layer: posting is the accounting side's business logic
(the part a real 1C runs in `ОбработкаПроведения`). It validates like 1C does — missing
counterparty, unknown product, stock that would go negative — and raises `PostError` with a
Russian message, which the app turns into HTTP 500 / code -1, exactly how 1C reports it.
"""

from __future__ import annotations

from decimal import Decimal

from .schema import EMPTY_REF, TYPE_PREFIX
from .state import SandboxState

ORDER_TYPE = TYPE_PREFIX + "Document_ЗаказПокупателя"
INVOICE_TYPE = TYPE_PREFIX + "Document_СчетНаОплатуПокупателю"
WAREHOUSE_TYPE = TYPE_PREFIX + "Catalog_Склады"
COUNTERPARTY_TYPE = TYPE_PREFIX + "Catalog_Контрагенты"


class PostError(Exception):
    """Posting refused; the message is what the 1C user would see."""


def _filled(v) -> bool:
    return bool(v) and v != EMPTY_REF


def _need_ref(st: SandboxState, rec: dict, field: str, target: str, title: str) -> dict:
    v = rec.get(field)
    if not _filled(v):
        raise PostError(f"Не заполнено значение реквизита \"{title}\"")
    obj = st.get(target, v)
    if obj is None:
        raise PostError(f"Реквизит \"{title}\": объект не найден ({v})")
    return obj


def _check_goods(st: SandboxState, rec: dict, tp: str = "Товары") -> list[tuple[dict, dict]]:
    rows = rec.get(tp) or []
    if not rows:
        raise PostError(f"Не заполнена табличная часть \"{tp}\"")
    out = []
    for r in rows:
        n = r.get("LineNumber")
        prod = st.get("Catalog_Номенклатура", r.get("Номенклатура_Key"))
        if prod is None or prod.get("IsFolder"):
            raise PostError(f"Строка {n} табличной части \"{tp}\": не заполнена или не найдена "
                            "номенклатура")
        if Decimal(r.get("Количество") or 0) <= 0:
            raise PostError(f"Строка {n} табличной части \"{tp}\": не заполнено количество")
        out.append((r, prod))
    return out


def _check_contract(st: SandboxState, rec: dict, party: str) -> dict:
    contract = _need_ref(st, rec, "ДоговорКонтрагента_Key", "Catalog_ДоговорыКонтрагентов",
                         "Договор контрагента")
    if contract.get("Owner_Key") != party:
        raise PostError("Выбранный договор не соответствует контрагенту документа")
    return contract


def post_document(st: SandboxState, set_name: str, rec: dict) -> None:
    """(Re)write all movements of `rec`. On PostError nothing has changed."""
    fn = _POSTERS.get(set_name)
    if fn is None:
        raise PostError("Документ не может быть проведен")
    ref = rec["Ref_Key"]
    fn(st, rec, ref)


def unpost_document(st: SandboxState, set_name: str, rec: dict) -> None:
    ref = rec["Ref_Key"]
    for name, reg in st.acc.items():
        if ref in reg.movements:
            reg.clear(ref)
            st.bump("acc:" + name)
    if ref in st.prices.by_recorder:
        st.prices.remove_recorder(ref)
        st.bump("prices")


def _write(st: SandboxState, reg: str, ref: str, records) -> None:
    st.acc[reg].write(ref, records)
    st.bump("acc:" + reg)


def _post_order(st: SandboxState, rec: dict, ref: str) -> None:
    party = _need_ref(st, rec, "Контрагент_Key", "Catalog_Контрагенты", "Контрагент")
    _need_ref(st, rec, "Организация_Key", "Catalog_Организации", "Организация")
    _check_contract(st, rec, party["Ref_Key"])
    goods = _check_goods(st, rec)
    header_wh = rec.get("СкладГруппа") if rec.get("СкладГруппа_Type") == WAREHOUSE_TYPE else None
    records = []
    for r, prod in goods:
        wh = r.get("Размещение") if r.get("Размещение_Type") == WAREHOUSE_TYPE else header_wh
        if not _filled(wh):
            continue  # no warehouse: nothing to reserve
        if st.get("Catalog_Склады", wh) is None:
            raise PostError(f"Строка {r.get('LineNumber')}: склад не найден")
        records.append((rec["Date"], 1, {
            "Склад_Key": wh, "Номенклатура_Key": prod["Ref_Key"],
            "ХарактеристикаНоменклатуры_Key": r.get("ХарактеристикаНоменклатуры_Key", EMPTY_REF),
            "ДокументРезерва": ref, "ДокументРезерва_Type": ORDER_TYPE,
            "СерияНоменклатуры_Key": r.get("СерияНоменклатуры_Key", EMPTY_REF)},
            [Decimal(r["Количество"])]))
    _write(st, "ТоварыВРезервеНаСкладах", ref, records)


def _post_sale(st: SandboxState, rec: dict, ref: str) -> None:
    party = _need_ref(st, rec, "Контрагент_Key", "Catalog_Контрагенты", "Контрагент")
    org = _need_ref(st, rec, "Организация_Key", "Catalog_Организации", "Организация")
    contract = _check_contract(st, rec, party["Ref_Key"])
    goods = _check_goods(st, rec)
    deal = rec.get("Сделка") or ""
    deal_type = rec.get("Сделка_Type") or ""
    if contract.get("ВедениеВзаиморасчетов") == "ПоЗаказам" and not (
            _filled(deal) and deal_type == ORDER_TYPE):
        raise PostError("Не указана сделка (заказ покупателя): по договору взаиморасчеты "
                        "ведутся по заказам")
    if _filled(deal) and deal_type == ORDER_TYPE and st.get("Document_ЗаказПокупателя", deal) is None:
        raise PostError("Сделка: заказ покупателя не найден")
    stock = st.acc["ТоварыНаСкладах"]
    reserve = st.acc["ТоварыВРезервеНаСкладах"]
    # own old movements must not count when re-posting
    old_stock = stock.movements.get(ref, [])
    need: dict[tuple, Decimal] = {}
    stock_recs, reserve_recs = [], []
    for r, prod in goods:
        wh = r.get("Склад_Key") if _filled(r.get("Склад_Key")) else rec.get("Склад_Key")
        if not _filled(wh):
            raise PostError(f"Строка {r.get('LineNumber')}: не указан склад")
        whobj = st.get("Catalog_Склады", wh)
        if whobj is None:
            raise PostError(f"Строка {r.get('LineNumber')}: склад не найден")
        q = Decimal(r["Количество"])
        dims = {"Склад_Key": wh, "Номенклатура_Key": prod["Ref_Key"],
                "ХарактеристикаНоменклатуры_Key": r.get("ХарактеристикаНоменклатуры_Key", EMPTY_REF),
                "СерияНоменклатуры_Key": r.get("СерияНоменклатуры_Key", EMPTY_REF),
                "Качество_Key": r.get("Качество_Key", EMPTY_REF)}
        key = tuple(dims[c] for c in stock.cols)
        need[key] = need.get(key, Decimal(0)) + q
        stock_recs.append((rec["Date"], -1, dims, [q]))
        order = r.get("ЗаказПокупателя_Key") if _filled(r.get("ЗаказПокупателя_Key")) else (
            deal if deal_type == ORDER_TYPE and _filled(deal) else None)
        if order:
            rkey_dims = {"Склад_Key": wh, "Номенклатура_Key": prod["Ref_Key"],
                         "ХарактеристикаНоменклатуры_Key": dims["ХарактеристикаНоменклатуры_Key"],
                         "ДокументРезерва": order, "ДокументРезерва_Type": ORDER_TYPE,
                         "СерияНоменклатуры_Key": dims["СерияНоменклатуры_Key"]}
            rkey = tuple(rkey_dims[c] for c in reserve.cols)
            have = reserve.balance_of(rkey)[0]
            for _p, s, k, vals in reserve.movements.get(ref, []):
                if k == rkey:
                    have -= s * vals[0]
            take = min(have, q)
            if take > 0:
                reserve_recs.append((rec["Date"], -1, rkey_dims, [take]))
    for key, q in need.items():
        have = stock.balance_of(key)[0]
        for _p, s, k, vals in old_stock:
            if k == key:
                have -= s * vals[0]
        if have < q:
            prod = st.get("Catalog_Номенклатура", key[1]) or {}
            wh = st.get("Catalog_Склады", key[0]) or {}
            raise PostError(f"Недостаточно остатка товара «{prod.get('Description', key[1])}» на "
                            f"складе «{wh.get('Description', key[0])}»: требуется {_q(q)}, "
                            f"в наличии {_q(have)}")
    _write(st, "ТоварыНаСкладах", ref, stock_recs)
    _write(st, "ТоварыВРезервеНаСкладах", ref, reserve_recs)
    total = Decimal(rec.get("СуммаДокумента") or 0)
    if not total:
        total = sum((Decimal(r.get("Сумма") or 0) for r, _ in goods), Decimal(0))
    settle = []
    if total:
        settle.append((rec["Date"], 1, {
            "ДоговорКонтрагента_Key": contract["Ref_Key"], "Сделка": deal,
            "Сделка_Type": deal_type or "StandardODATA.Undefined",
            "Организация_Key": org["Ref_Key"], "Контрагент_Key": party["Ref_Key"]},
            [total, total]))
    _write(st, "ВзаиморасчетыСКонтрагентами", ref, settle)


def _q(v: Decimal) -> str:
    s = format(v.normalize(), "f")
    return s


def _post_payment(st: SandboxState, rec: dict, ref: str, composite_party: bool) -> None:
    if composite_party:
        if rec.get("Контрагент_Type") != COUNTERPARTY_TYPE or not _filled(rec.get("Контрагент")):
            raise PostError("Не заполнено значение реквизита \"Контрагент\"")
        party = st.get("Catalog_Контрагенты", rec.get("Контрагент"))
        if party is None:
            raise PostError("Реквизит \"Контрагент\": объект не найден")
    else:
        party = _need_ref(st, rec, "Контрагент_Key", "Catalog_Контрагенты", "Контрагент")
    org = _need_ref(st, rec, "Организация_Key", "Catalog_Организации", "Организация")
    rows = rec.get("РасшифровкаПлатежа") or []
    if not rows:
        raise PostError("Не заполнена табличная часть \"Расшифровка платежа\"")
    records = []
    for r in rows:
        n = r.get("LineNumber")
        cref = r.get("ДоговорКонтрагента_Key") if _filled(r.get("ДоговорКонтрагента_Key")) else \
            rec.get("ДоговорКонтрагента_Key")
        contract = st.get("Catalog_ДоговорыКонтрагентов", cref) if _filled(cref) else None
        if contract is None:
            raise PostError(f"Строка {n}: не указан договор контрагента")
        if contract.get("Owner_Key") != party["Ref_Key"]:
            raise PostError(f"Строка {n}: договор не соответствует контрагенту документа")
        deal, deal_type = r.get("Сделка") or "", r.get("Сделка_Type") or ""
        mode = contract.get("ВедениеВзаиморасчетов")
        if mode == "ПоЗаказам" and not (_filled(deal) and deal_type == ORDER_TYPE):
            raise PostError(f"Строка {n}: не указана сделка (заказ покупателя), по договору "
                            "взаиморасчеты ведутся по заказам")
        if mode == "ПоСчетам" and not (_filled(deal) and deal_type == INVOICE_TYPE):
            raise PostError(f"Строка {n}: не указан счет на оплату покупателю, по договору "
                            "взаиморасчеты ведутся по счетам")
        if _filled(deal) and deal_type.startswith(TYPE_PREFIX):
            target = deal_type.removeprefix(TYPE_PREFIX)
            if target in st.objects and st.get(target, deal) is None:
                raise PostError(f"Строка {n}: сделка не найдена")
        amount = Decimal(r.get("СуммаВзаиморасчетов") or 0) or Decimal(r.get("СуммаПлатежа") or 0)
        if amount <= 0:
            raise PostError(f"Строка {n}: не заполнена сумма платежа")
        records.append((rec["Date"], -1, {
            "ДоговорКонтрагента_Key": contract["Ref_Key"], "Сделка": deal,
            "Сделка_Type": deal_type or "StandardODATA.Undefined",
            "Организация_Key": org["Ref_Key"], "Контрагент_Key": party["Ref_Key"]},
            [amount, amount]))
    _write(st, "ВзаиморасчетыСКонтрагентами", ref, records)


def _post_prices(st: SandboxState, rec: dict, ref: str) -> None:
    rows = rec.get("Товары") or []
    if not rows:
        raise PostError("Не заполнена табличная часть \"Товары\"")
    period = rec["Date"][:10] + "T00:00:00"  # periodicity Day
    new = []
    for r in rows:
        n = r.get("LineNumber")
        if st.get("Catalog_Номенклатура", r.get("Номенклатура_Key")) is None:
            raise PostError(f"Строка {n}: не заполнена или не найдена номенклатура")
        if st.get("Catalog_ТипыЦенНоменклатуры", r.get("ТипЦен_Key")) is None:
            raise PostError(f"Строка {n}: не указан тип цен")
        new.append({"Period": period, "ТипЦен_Key": r["ТипЦен_Key"],
                    "Номенклатура_Key": r["Номенклатура_Key"],
                    "ХарактеристикаНоменклатуры_Key": r.get("ХарактеристикаНоменклатуры_Key",
                                                            EMPTY_REF),
                    "Цена": Decimal(r.get("Цена") or 0), "Валюта_Key": r.get("Валюта_Key",
                                                                             EMPTY_REF),
                    "ЕдиницаИзмерения_Key": r.get("ЕдиницаИзмерения_Key", EMPTY_REF),
                    "ПроцентСкидкиНаценки": Decimal(r.get("ПроцентСкидкиНаценки") or 0),
                    "СпособРасчетаЦены": r.get("СпособРасчетаЦены", "")})
    st.prices.remove_recorder(ref)
    for p in new:
        st.prices.add(p, recorder=ref)
    st.bump("prices")


def _post_receipt(st: SandboxState, rec: dict, ref: str) -> None:
    _need_ref(st, rec, "Организация_Key", "Catalog_Организации", "Организация")
    wh = _need_ref(st, rec, "Склад_Key", "Catalog_Склады", "Склад")
    goods = _check_goods(st, rec)
    records = [(rec["Date"], 1, {"Склад_Key": wh["Ref_Key"], "Номенклатура_Key": p["Ref_Key"],
                                 "ХарактеристикаНоменклатуры_Key":
                                     r.get("ХарактеристикаНоменклатуры_Key", EMPTY_REF),
                                 "СерияНоменклатуры_Key": r.get("СерияНоменклатуры_Key", EMPTY_REF),
                                 "Качество_Key": EMPTY_REF}, [Decimal(r["Количество"])])
               for r, p in goods]
    _write(st, "ТоварыНаСкладах", ref, records)


_POSTERS = {
    "Document_ЗаказПокупателя": _post_order,
    "Document_РеализацияТоваровУслуг": _post_sale,
    "Document_ПлатежноеПоручениеВходящее": lambda st, rec, ref: _post_payment(st, rec, ref, False),
    "Document_ПриходныйКассовыйОрдер": lambda st, rec, ref: _post_payment(st, rec, ref, True),
    "Document_УстановкаЦенНоменклатуры": _post_prices,
    "Document_ОприходованиеТоваров": _post_receipt,
}
