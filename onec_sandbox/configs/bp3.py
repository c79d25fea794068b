"""БП 3.0 (1С:Бухгалтерия предприятия, редакция 3.0): `--config bp3`.

Names checked against the public metadata dump of БП 3.0.198 (`kassya20/buh`: `Catalogs/
Контрагенты.xml`, `Documents/СчетНаОплатуПокупателю.xml`, `Documents/РеализацияТоваровУслуг.xml`,
`Documents/ПоступлениеНаРасчетныйСчет.xml`, `Documents/ПриходныйКассовыйОрдер.xml`,
`ChartsOfAccounts/Хозрасчетный.xml`) and against real rows public clients recorded from live
bases (docs/onec-odata-notes.md §8). What differs from КА 1.1, and what the CRM's `bp3` profile
must get right:

- there is no customer order: the deal is `Document_СчетНаОплатуПокупателю`, postable, whose
  posting writes **no** register records (acceptance, not a movement); its goods rows name the
  product through the composite `Номенклатура` (+ `Номенклатура_Type`), with no unit columns;
- there is no quantity register and no reserves: stock is the balance of the accounting register
  `AccountingRegister_Хозрасчетный` on account 41.01 (`ChartOfAccounts_Хозрасчетный`, looked up by
  `Code`; its key differs in every base), read through `Balance(AccountCondition=…, Condition=…)`
  with the item and the warehouse among `ExtDimension1..3`. Their order follows the accounting
  settings — this module's *variants*: `warehouses` (Номенклатура, Склады; the default),
  `batches` (Номенклатура, Партии, Склады) and `no-warehouses` (warehouse accounting off:
  Номенклатура only);
- `РеализацияТоваровУслуг` points at the invoice by the header `СчетНаОплатуПокупателю_Key`;
  posting it credits 41.01 (quantity and average cost, refused when the goods are not there),
  debits 90.02.1 with the cost and 62.01 (Контрагенты, Договоры, the document) with the revenue
  (90.01.1) and the VAT (90.03 / 68.02);
- payments `ПоступлениеНаРасчетныйСчет` (Dt 51) and `ПриходныйКассовыйОрдер` (Dt 50.01) credit
  62.01 per row of `РасшифровкаПлатежа` up to what the buyer owes on that contract, and 62.02
  (advances received: Контрагенты, Договоры, the payment) with the rest; a later sale offsets
  such an advance first (Dt 62.02 Kt 62.01, oldest advance first). The row names the invoice by
  the plain `СчетНаОплату_Key`
  and the contract by `ДоговорКонтрагента_Key` (amount `СуммаПлатежа`); the header's `Контрагент`
  is composite;
- the counterparty has `Комментарий` and keeps its contacts in the table part
  `КонтактнаяИнформация` (kinds `ТелефонКонтрагента`, `EmailКонтрагенты`, `ФактАдресКонтрагента`);
  its main contract is no longer an attribute (`УдалитьОсновнойДоговорКонтрагента`, unused);
- the product carries `ВидСтавкиНДС` (a kind: `Общая`, `Пониженная`…), not a rate.

Simplifications (documented, not hidden): of the chart of accounts only the accounts the
documents above touch exist; no VAT on advances (76.АВ); the register's only balance
dimension is `Организация`; resources are `Сумма` and `Количество` (no currency amounts, no
Dr/Cr split of the balance).
"""

from __future__ import annotations

import argparse
import random
import uuid
from decimal import Decimal
from functools import partial
from typing import Any

from ..clerk import (
    ClerkError,
    OData,
    amount_arg,
    deals_table,
    document_date,
    find_order,
    lines_to_ship,
    or_chunks,
    post_deal,
    post_sale,
    receive_goods,
    remaining_by_line,
    say,
    set_price,
    shipment_request_answer,
    warehouse_by_name,
)
from ..posting import PostError, filled, need_ref, qty_text, write, write_prices
from ..schema import EMPTY_REF, TYPE_PREFIX, UNDEFINED_TYPE, Schema, catalog_code
from ..seed import (
    CATEGORIES,
    ORG_WORDS,
    SEED_DATE,
    UNITS,
    WAREHOUSES,
    Refs,
    hostile_names,
    inn10,
    product_names,
    seed_party,
    stored,
)
from ..state import SandboxState, money
from . import ClerkOps, Configuration, bsp_prefix

INVOICE = "Document_СчетНаОплатуПокупателю"
SALE = "Document_РеализацияТоваровУслуг"
BANK = "Document_ПоступлениеНаРасчетныйСчет"
CASH = "Document_ПриходныйКассовыйОрдер"
SURPLUS = "Document_ОприходованиеТоваров"
PRICES_DOC = "Document_УстановкаЦенНоменклатуры"
ACCOUNTS = "ChartOfAccounts_Хозрасчетный"
REGISTER = "Хозрасчетный"
ITEM_T = TYPE_PREFIX + "Catalog_Номенклатура"
WAREHOUSE_T = TYPE_PREFIX + "Catalog_Склады"
BATCH_T = TYPE_PREFIX + SURPLUS  # a batch is the document that brought the goods
PARTY_T = TYPE_PREFIX + "Catalog_Контрагенты"
CONTRACT_T = TYPE_PREFIX + "Catalog_ДоговорыКонтрагентов"

#: The accounting settings this sandbox can have (`--variant`): the subconto of 41.01 in order.
VARIANTS = {
    "warehouses": "41.01 by Номенклатура, Склады (warehouse accounting on; the default)",
    "batches": "41.01 by Номенклатура, Партии, Склады (batches on: the warehouse is third)",
    "no-warehouses": "41.01 by Номенклатура only (warehouse accounting off)",
}
DEFAULT_VARIANT = "warehouses"

#: The chart of accounts the sandbox keeps: code → (name, quantity accounting).
CHART = {
    "41": ("Товары", True), "41.01": ("Товары на складах", True),
    "50": ("Касса", False), "50.01": ("Касса организации", False),
    "51": ("Расчетные счета", False),
    "62": ("Расчеты с покупателями и заказчиками", False),
    "62.01": ("Расчеты с покупателями и заказчиками", False),
    "62.02": ("Расчеты по авансам полученным", False),
    "68": ("Расчеты по налогам и сборам", False), "68.02": ("Налог на добавленную стоимость", False),
    "90": ("Продажи", False), "90.01": ("Выручка", False),
    "90.01.1": ("Выручка по деятельности с основной системой налогообложения", False),
    "90.02": ("Себестоимость продаж", False),
    "90.02.1": ("Себестоимость продаж по деятельности с основной системой налогообложения", False),
    "90.03": ("Налог на добавленную стоимость", False),
    "91": ("Прочие доходы и расходы", False), "91.01": ("Прочие доходы", False),
}
PREDEFINED = {"41.01": "ТоварыНаСкладах", "50.01": "КассаОрганизации", "51": "РасчетныеСчета",
              "62.01": "РасчетыСПокупателями",
              "62.02": "РасчетыПоАвансамПолученным", "90.01.1": "ВыручкаНеЕНВД",
              "90.02.1": "СебестоимостьПродажНеЕНВД", "91.01": "ПрочиеДоходы"}
VAT_RATES = {"НДС22": Decimal(22), "НДС20": Decimal(20), "НДС10": Decimal(10), "НДС0": Decimal(0),
             "БезНДС": Decimal(0), "НДС22_122": Decimal(22), "НДС20_120": Decimal(20),
             "НДС10_110": Decimal(10)}
VAT_KIND_OF_RATE = {"НДС20": "Общая", "НДС10": "Пониженная"}

S = Schema()

# ---- catalogs -------------------------------------------------------------------------------

S.catalog("Catalog_Валюты", "НаименованиеПолное:s", code_len=3)
S.catalog("Catalog_Организации", "Префикс:s НаименованиеПолное:s ИНН:s КПП:s "
          "РегистрационныйНомер:s ЮридическоеФизическоеЛицо:e", prefixed=True)
S.catalog("Catalog_Склады", "ТипЦенРозничнойТорговли_Key:r=Catalog_ТипыЦенНоменклатуры", hier=True,
          prefixed=True)
S.catalog("Catalog_ТипыЦенНоменклатуры", "ВалютаЦены_Key:r=Catalog_Валюты ЦенаВключаетНДС:b", prefixed=True)
S.catalog("Catalog_КлассификаторЕдиницИзмерения", "НаименованиеПолное:s", code_len=3)
S.catalog("Catalog_Номенклатура",
          "Артикул:s НаименованиеПолное:s ЕдиницаИзмерения_Key:r=Catalog_КлассификаторЕдиницИзмерения "
          "ВидСтавкиНДС:e Услуга:b Комментарий:s", code_len=11, hier=True, prefixed=True)
S.catalog("Catalog_ВидыКонтактнойИнформации", "Тип:e")
S.catalog("Catalog_Контрагенты",
          "НаименованиеПолное:s ОбособленноеПодразделение:b ЮридическоеФизическоеЛицо:e "
          "ГоловнойКонтрагент_Key:r=Catalog_Контрагенты ИНН:s КПП:s КодПоОКПО:s "
          "УдалитьОсновнойДоговорКонтрагента_Key:r=Catalog_ДоговорыКонтрагентов "
          "Комментарий:s ДополнительнаяИнформация:s РегистрационныйНомер:s",
          hier=True, prefixed=True,
          tps={"КонтактнаяИнформация": "Тип:e Вид_Key:r=Catalog_ВидыКонтактнойИнформации "
                                       "Представление:s ЗначенияПолей:s"})
S.catalog("Catalog_ДоговорыКонтрагентов",
          "Организация_Key:r=Catalog_Организации ВидДоговора:e "
          "ВалютаВзаиморасчетов_Key:r=Catalog_Валюты Номер:s Дата:d Комментарий:s",
          owner="Catalog_Контрагенты", hier=True, prefixed=True)
S.catalog(ACCOUNTS, "Parent_Key:r=" + ACCOUNTS + " Количественный:b Валютный:b", code_len=8)

# ---- documents ------------------------------------------------------------------------------

_PARTY = ("Организация_Key:r=Catalog_Организации Контрагент_Key:r=Catalog_Контрагенты "
          "ДоговорКонтрагента_Key:r=Catalog_ДоговорыКонтрагентов ")
_MONEY = "ВалютаДокумента_Key:r=Catalog_Валюты СуммаВключаетНДС:b СуммаДокумента:n2 Комментарий:s"
S.document(INVOICE,
           _PARTY + "Склад_Key:r=Catalog_Склады ТипЦен_Key:r=Catalog_ТипыЦенНоменклатуры "
           "БанковскийСчет_Key:r " + _MONEY,
           tps={"Товары": "Номенклатура:c Содержание:s Количество:n3 Цена:n2 Сумма:n2 "
                          "ПроцентСкидки:n2 СуммаСкидки:n2 СтавкаНДС:e СуммаНДС:n2"})
S.document(SALE,
           "ВидОперации:e " + _PARTY + "Склад_Key:r=Catalog_Склады "
           "СчетНаОплатуПокупателю_Key:r=" + INVOICE + " ТипЦен_Key:r=Catalog_ТипыЦенНоменклатуры "
           + _MONEY,
           tps={"Товары": "Номенклатура_Key:r=Catalog_Номенклатура Количество:n3 Цена:n2 Сумма:n2 "
                          "СтавкаНДС:e СуммаНДС:n2 СчетУчета_Key:r=" + ACCOUNTS,
                # a sale of services keeps its lines here, `Товары` empty (a real 3.0 answer:
                # tests/fixtures/onec/bp3_Document_РеализацияТоваровУслуг.json)
                "Услуги": "Номенклатура_Key:r=Catalog_Номенклатура Содержание:s Количество:n3 Цена:n2 "
                          "Сумма:n2 СтавкаНДС:e СуммаНДС:n2"})
_PAY_ROWS = ("ДоговорКонтрагента_Key:r=Catalog_ДоговорыКонтрагентов СчетНаОплату_Key:r=" + INVOICE +
             " СуммаПлатежа:n2 СуммаВзаиморасчетов:n2 СтавкаНДС:e СуммаНДС:n2 "
             "СпособПогашенияЗадолженности:e Сделка:c")
S.document(BANK,
           "ВидОперации:e Организация_Key:r=Catalog_Организации СчетОрганизации_Key:r Контрагент:c "
           "ВалютаДокумента_Key:r=Catalog_Валюты СуммаДокумента:n2 НазначениеПлатежа:s "
           "НомерВходящегоДокумента:s ДатаВходящегоДокумента:d Комментарий:s",
           tps={"РасшифровкаПлатежа": _PAY_ROWS})
S.document(CASH,
           "ВидОперации:e Организация_Key:r=Catalog_Организации Контрагент:c "
           "ВалютаДокумента_Key:r=Catalog_Валюты СуммаДокумента:n2 ПринятоОт:s Основание:s "
           "Комментарий:s",
           tps={"РасшифровкаПлатежа": _PAY_ROWS})
S.document(SURPLUS, "Организация_Key:r=Catalog_Организации Склад_Key:r=Catalog_Склады "
           "Комментарий:s",
           tps={"Товары": "Номенклатура_Key:r=Catalog_Номенклатура Количество:n3 Цена:n2 Сумма:n2 "
                          "СчетУчета_Key:r=" + ACCOUNTS})
S.document(PRICES_DOC, "ТипЦен_Key:r=Catalog_ТипыЦенНоменклатуры Комментарий:s",
           tps={"Товары": "Номенклатура_Key:r=Catalog_Номенклатура Цена:n2"})

# ---- registers ------------------------------------------------------------------------------

S.accounting(REGISTER,
             "Account_Key:r=" + ACCOUNTS + " Организация_Key:r=Catalog_Организации "
             "ExtDimension1:c ExtDimension2:c ExtDimension3:c СуммаBalance:n2 КоличествоBalance:n3",
             {"Account": ["Account_Key"], "Организация": ["Организация_Key"],
              "ExtDimension1": ["ExtDimension1", "ExtDimension1_Type"],
              "ExtDimension2": ["ExtDimension2", "ExtDimension2_Type"],
              "ExtDimension3": ["ExtDimension3", "ExtDimension3_Type"]},
             ["Сумма", "Количество"])
S.prices("InformationRegister_ЦеныНоменклатуры",
         "Period:d ТипЦен_Key:r=Catalog_ТипыЦенНоменклатуры Номенклатура_Key:r=Catalog_Номенклатура "
         "Цена:n2 Валюта_Key:r=Catalog_Валюты",
         dims=["ТипЦен_Key", "Номенклатура_Key"], resources=["Цена", "Валюта_Key"])


# ---- the register -----------------------------------------------------------------------------

def variant_of(st: SandboxState) -> str:
    """The accounting settings the base was seeded with (see VARIANTS)."""
    return str((st.meta.get("seed") or {}).get("variant") or DEFAULT_VARIANT)


def _code(set_name: str, n: int) -> str:
    """The `n`-th code of a catalog as this base gives it (БСП prefixes most: `00-000001`)."""
    return catalog_code(S.entities[set_name], n)


def account(st: SandboxState, code: str) -> str:
    """The key of the account `code` in this base's chart (keys differ from base to base)."""
    acc = st.find_by(ACCOUNTS, "Code", code)
    if acc is None:
        raise PostError(f"В плане счетов нет счета {code}")
    return str(acc["Ref_Key"])


def _dims(st: SandboxState, rec: dict, code: str, *subconto: tuple[str, str]) -> dict:
    row = {"Account_Key": account(st, code), "Организация_Key": rec.get("Организация_Key", EMPTY_REF)}
    for n in range(1, 4):
        value, typ = subconto[n - 1] if n <= len(subconto) else ("", UNDEFINED_TYPE)
        row[f"ExtDimension{n}"], row[f"ExtDimension{n}_Type"] = value, typ
    return row


def stock_subconto(st: SandboxState, item: str, warehouse: str, batch: str) -> list[tuple[str, str]]:
    """The subconto of 41.01 in this base's order (the variant's accounting settings)."""
    v = variant_of(st)
    if v == "no-warehouses":
        return [(item, ITEM_T)]
    if v == "batches":
        return [(item, ITEM_T), (batch, BATCH_T), (warehouse, WAREHOUSE_T)]
    return [(item, ITEM_T), (warehouse, WAREHOUSE_T)]


def _stock_keys(st: SandboxState, item: str, warehouse: str) -> list[tuple]:
    """The 41.01 balance keys of `item` on `warehouse` (every batch; every warehouse when the
    base keeps none), oldest batch first."""
    reg = st.acc[REGISTER]
    acc = account(st, "41.01")
    wh_at = {"warehouses": 4, "batches": 6}.get(variant_of(st))
    keys = [k for k in reg.candidate_keys({"ExtDimension1": {item}})
            if k[0] == acc and k[2] == item and (wh_at is None or k[wh_at] == warehouse)]
    return sorted(keys)


def _settlement_keys(st: SandboxState, code: str, party: str, contract: str) -> list[tuple]:
    """Balance keys of 62.01 / 62.02 for the counterparty and contract (every document), sorted."""
    reg = st.acc[REGISTER]
    acc = account(st, code)
    return sorted(k for k in reg.candidate_keys({"ExtDimension1": {party}})
                  if k[0] == acc and k[2] == party and k[4] == contract)


def _without(st: SandboxState, ref: str, key: tuple) -> Decimal:
    """The Сумма balance of `key` without the movements of document `ref` (a re-post)."""
    reg = st.acc[REGISTER]
    total = reg.balance_of(key)[0]
    for _p, sign, k, vals in reg.movements.get(ref, []):
        if k == key:
            total -= sign * vals[0]
    return total


def _post_nothing(st: SandboxState, rec: dict, ref: str) -> None:
    """СчетНаОплатуПокупателю: checked like 1C's ОбработкаПроверкиЗаполнения, writes nothing."""
    need_ref(st, rec, "Организация_Key", "Catalog_Организации", "Организация")
    need_ref(st, rec, "Контрагент_Key", "Catalog_Контрагенты", "Контрагент")
    rows = rec.get("Товары") or []
    if not rows:
        raise PostError("Не заполнена табличная часть \"Товары\"")
    for r in rows:
        n = r.get("LineNumber")
        if r.get("Номенклатура_Type") != ITEM_T or st.get("Catalog_Номенклатура", r.get("Номенклатура")) is None:
            raise PostError(f"Строка {n} списка \"Товары\": не заполнена колонка \"Номенклатура\"")
        if Decimal(r.get("Количество") or 0) <= 0:
            raise PostError(f"Строка {n} списка \"Товары\": не заполнена колонка \"Количество\"")
    write(st, REGISTER, ref, [])


def _goods(st: SandboxState, rec: dict, part: str = "Товары", *, required: bool = True) -> list[tuple[dict, dict]]:
    rows = rec.get(part) or []
    if not rows and required:
        raise PostError(f"Не заполнена табличная часть \"{part}\"")
    out = []
    for r in rows:
        n = r.get("LineNumber")
        prod = st.get("Catalog_Номенклатура", r.get("Номенклатура_Key"))
        if prod is None or prod.get("IsFolder"):
            raise PostError(f"Строка {n} списка \"{part}\": не заполнена колонка \"Номенклатура\"")
        if Decimal(r.get("Количество") or 0) <= 0:
            raise PostError(f"Строка {n} списка \"{part}\": не заполнена колонка \"Количество\"")
        out.append((r, prod))
    return out


def _party_and_contract(st: SandboxState, rec: dict) -> tuple[dict, dict]:
    need_ref(st, rec, "Организация_Key", "Catalog_Организации", "Организация")
    party = need_ref(st, rec, "Контрагент_Key", "Catalog_Контрагенты", "Контрагент")
    contract = need_ref(st, rec, "ДоговорКонтрагента_Key", "Catalog_ДоговорыКонтрагентов", "Договор")
    if contract.get("Owner_Key") != party["Ref_Key"]:
        raise PostError("Договор не относится к выбранному контрагенту")
    return party, contract


def _post_sale(st: SandboxState, rec: dict, ref: str) -> None:
    party, contract = _party_and_contract(st, rec)
    if variant_of(st) != "no-warehouses":
        need_ref(st, rec, "Склад_Key", "Catalog_Склады", "Склад")
    if filled(rec.get("СчетНаОплатуПокупателю_Key")) and st.get(INVOICE, rec["СчетНаОплатуПокупателю_Key"]) is None:
        raise PostError("Реквизит \"Счет на оплату\": документ не найден")
    reg = st.acc[REGISTER]
    old: dict[tuple, list[Decimal]] = {}
    for _p, sign, k, vals in reg.movements.get(ref, []):  # a re-post: this document's own moves
        old[k] = [a + sign * v for a, v in zip(old.get(k, [Decimal(0), Decimal(0)]), vals, strict=True)]
    records: list[tuple[str, int, dict, list[Decimal]]] = []
    taken: dict[tuple, Decimal] = {}
    revenue = vat = cost_total = Decimal(0)
    date = rec["Date"]
    goods = _goods(st, rec, required=False)
    services = _goods(st, rec, "Услуги", required=False)
    if not goods and not services:
        raise PostError("Не заполнены табличные части \"Товары\" и \"Услуги\"")
    for r, prod in goods:  # as a real base: a service has no stock and belongs in `Услуги`
        if prod.get("Услуга"):
            raise PostError(f"Строка {r.get('LineNumber')} списка \"Товары\": «{prod['Description']}» — "
                            "услуга; услуги указываются на закладке \"Услуги\"")
    for r, _prod in services:  # revenue only: a service leaves no stock
        amount, line_vat = Decimal(str(r.get("Сумма") or 0)), Decimal(str(r.get("СуммаНДС") or 0))
        revenue += amount if rec.get("СуммаВключаетНДС") else amount + line_vat
        vat += line_vat
    for r, prod in goods:
        need = Decimal(str(r["Количество"]))
        left = need
        for key in _stock_keys(st, prod["Ref_Key"], rec.get("Склад_Key", EMPTY_REF)):
            have_sum, have_qty = (b - o for b, o in zip(reg.balance_of(key), old.get(key, [Decimal(0)] * 2),
                                                          strict=True))
            have_qty -= taken.get(key, Decimal(0))
            if have_qty <= 0 or left <= 0:
                continue
            q = min(have_qty, left)
            cost = have_sum if q == have_qty else money(have_sum * q / have_qty)
            taken[key] = taken.get(key, Decimal(0)) + q
            left -= q
            cost_total += cost
            dims = dict(zip(reg.cols, key, strict=True))
            records.append((date, -1, dims, [cost, q]))
        if left > 0:
            wh = st.get("Catalog_Склады", rec.get("Склад_Key")) or {}
            where = f" на складе «{wh.get('Description', '')}»" if variant_of(st) != "no-warehouses" else ""
            raise PostError(f"Недостаточно товара «{prod['Description']}»{where}: требуется "
                            f"{qty_text(need)}, в наличии {qty_text(need - left)}")
        amount, line_vat = Decimal(str(r.get("Сумма") or 0)), Decimal(str(r.get("СуммаНДС") or 0))
        revenue += amount if rec.get("СуммаВключаетНДС") else amount + line_vat
        vat += line_vat
    debtor = ((party["Ref_Key"], PARTY_T), (contract["Ref_Key"], CONTRACT_T), (ref, TYPE_PREFIX + SALE))
    records += [
        (date, 1, _dims(st, rec, "90.02.1"), [cost_total, Decimal(0)]),
        (date, 1, _dims(st, rec, "62.01", *debtor), [money(revenue), Decimal(0)]),
        (date, -1, _dims(st, rec, "90.01.1"), [money(revenue), Decimal(0)]),
    ]
    # an advance the buyer paid on this contract is offset first (ЗачетАвансов: Dt 62.02 Kt 62.01)
    left = money(revenue)
    for key in _settlement_keys(st, "62.02", party["Ref_Key"], contract["Ref_Key"]):
        advance = -_without(st, ref, key)
        if advance <= 0 or left <= 0:
            continue
        offset = min(advance, left)
        left -= offset
        records += [(date, 1, dict(zip(reg.cols, key, strict=True)), [offset, Decimal(0)]),
                    (date, -1, _dims(st, rec, "62.01", *debtor), [offset, Decimal(0)])]
    if vat:
        records += [(date, 1, _dims(st, rec, "90.03"), [money(vat), Decimal(0)]),
                    (date, -1, _dims(st, rec, "68.02"), [money(vat), Decimal(0)])]
    write(st, REGISTER, ref, records)


def _post_payment(cash_account: str, set_name: str):
    def post(st: SandboxState, rec: dict, ref: str) -> None:
        need_ref(st, rec, "Организация_Key", "Catalog_Организации", "Организация")
        if rec.get("Контрагент_Type") != PARTY_T or st.get("Catalog_Контрагенты", rec.get("Контрагент")) is None:
            raise PostError("Не заполнено значение реквизита \"Плательщик\"")
        rows = rec.get("РасшифровкаПлатежа") or []
        if not rows:
            raise PostError("Не заполнена табличная часть \"Расшифровка платежа\"")
        records: list[tuple[str, int, dict, list[Decimal]]] = []
        total = Decimal(0)
        settled: dict[str, Decimal] = {}   # per contract: what earlier rows of this payment settled
        for r in rows:
            n = r.get("LineNumber")
            contract = st.get("Catalog_ДоговорыКонтрагентов", r.get("ДоговорКонтрагента_Key"))
            if contract is None:
                raise PostError(f"Строка {n} расшифровки платежа: не заполнена колонка \"Договор\"")
            if contract.get("Owner_Key") != rec["Контрагент"]:
                raise PostError(f"Строка {n} расшифровки платежа: договор не относится к плательщику")
            if filled(r.get("СчетНаОплату_Key")) and st.get(INVOICE, r["СчетНаОплату_Key"]) is None:
                raise PostError(f"Строка {n} расшифровки платежа: счет на оплату не найден")
            amount = money(r.get("СуммаПлатежа") or 0)
            if amount <= 0:
                raise PostError(f"Строка {n} расшифровки платежа: не заполнена колонка \"Сумма\"")
            doc = (r["СчетНаОплату_Key"], TYPE_PREFIX + INVOICE) if filled(r.get("СчетНаОплату_Key")) \
                else (ref, UNDEFINED_TYPE)
            party, cref = (rec["Контрагент"], PARTY_T), (contract["Ref_Key"], CONTRACT_T)
            # up to what the buyer owes on the contract: 62.01; the rest is an advance: 62.02
            owed = sum((_without(st, ref, k) for k in _settlement_keys(st, "62.01", party[0], cref[0])),
                       Decimal(0)) - settled.get(cref[0], Decimal(0))
            to_debt = min(amount, max(owed, Decimal(0)))
            settled[cref[0]] = settled.get(cref[0], Decimal(0)) + to_debt
            if to_debt:
                records.append((rec["Date"], -1, _dims(st, rec, "62.01", party, cref, doc), [to_debt, Decimal(0)]))
            if amount - to_debt:
                records.append((rec["Date"], -1, _dims(st, rec, "62.02", party, cref, (ref, TYPE_PREFIX + set_name)),
                                [amount - to_debt, Decimal(0)]))
            total += amount
        records.append((rec["Date"], 1, _dims(st, rec, cash_account), [total, Decimal(0)]))
        write(st, REGISTER, ref, records)
    return post


def _post_surplus(st: SandboxState, rec: dict, ref: str) -> None:
    """ОприходованиеТоваров: Dt 41.01 (item, the document as the batch, warehouse) Kt 91.01."""
    need_ref(st, rec, "Организация_Key", "Catalog_Организации", "Организация")
    wh = need_ref(st, rec, "Склад_Key", "Catalog_Склады", "Склад")
    records: list[tuple[str, int, dict, list[Decimal]]] = []
    total = Decimal(0)
    for r, prod in _goods(st, rec):
        amount = money(r.get("Сумма") or 0)
        total += amount
        subconto = stock_subconto(st, prod["Ref_Key"], wh["Ref_Key"], ref)
        records.append((rec["Date"], 1, _dims(st, rec, "41.01", *subconto),
                        [amount, Decimal(str(r["Количество"]))]))
    records.append((rec["Date"], -1, _dims(st, rec, "91.01"), [total, Decimal(0)]))
    write(st, REGISTER, ref, records)


def _post_prices(st: SandboxState, rec: dict, ref: str) -> None:
    kind = need_ref(st, rec, "ТипЦен_Key", "Catalog_ТипыЦенНоменклатуры", "Тип цен")
    rows = rec.get("Товары") or []
    if not rows:
        raise PostError("Не заполнена табличная часть \"Товары\"")
    period = rec["Date"][:10] + "T00:00:00"
    new = []
    for r in rows:
        if st.get("Catalog_Номенклатура", r.get("Номенклатура_Key")) is None:
            raise PostError(f"Строка {r.get('LineNumber')}: не заполнена номенклатура")
        new.append({"Period": period, "ТипЦен_Key": kind["Ref_Key"], "Номенклатура_Key": r["Номенклатура_Key"],
                    "Цена": Decimal(str(r.get("Цена") or 0)), "Валюта_Key": kind.get("ВалютаЦены_Key", EMPTY_REF)})
    write_prices(st, ref, new)


POSTERS = {
    INVOICE: _post_nothing,
    SALE: _post_sale,
    BANK: _post_payment("51", BANK),
    CASH: _post_payment("50.01", CASH),
    SURPLUS: _post_surplus,
    PRICES_DOC: _post_prices,
}

# ---- seed -----------------------------------------------------------------------------------

CONTACT_KINDS = [("ТелефонКонтрагента", "Телефон", "Телефон"),
                 ("EmailКонтрагенты", "Email", "АдресЭлектроннойПочты"),
                 ("ФактАдресКонтрагента", "Фактический адрес", "Адрес"),
                 ("ЮрАдресКонтрагента", "Юридический адрес", "Адрес")]


def seed(st: SandboxState, products: int = 200, warehouses: int = 3, seed: int = 1,
         counterparties: int = 40, hostile: bool = False, variant: str = "") -> SandboxState:
    """Fill an empty state with a БП 3 demo base (deterministic for a given `seed`): opening
    balances of 41.01 in the subconto order of `variant` (see VARIANTS)."""
    variant = variant or DEFAULT_VARIANT
    if variant not in VARIANTS:
        raise ValueError(f"unknown bp3 variant {variant!r}: one of {', '.join(VARIANTS)}")
    st.meta["seed"] = {"products": products, "warehouses": warehouses, "seed": seed, "variant": variant}
    rng = random.Random(seed)
    refs = Refs(random.Random(seed * 1_000_003 + 3))
    objects = st.objects

    add = partial(stored, st)

    rub = add("Catalog_Валюты", Ref_Key=refs.new(), Code="643", Description="руб.",
              НаименованиеПолное="Российский рубль")
    org = add("Catalog_Организации", Ref_Key=refs.new(), Code=_code("Catalog_Организации", 1),
              Description="Бета-Снаб ООО",
              Префикс="БС", ИНН=inn10(rng), КПП="772801001", РегистрационныйНомер="1157746123456",
              ЮридическоеФизическоеЛицо="ЮридическоеЛицо",
              НаименованиеПолное="Общество с ограниченной ответственностью «Бета-Снаб»")
    parents: dict[str, str] = {}
    for code, (name, qty) in CHART.items():
        parent = parents.get(code.rsplit(".", 1)[0], EMPTY_REF) if "." in code else EMPTY_REF
        acc = add(ACCOUNTS, Ref_Key=refs.new(), Code=code, Description=name, Количественный=qty,
                  Parent_Key=parent, Predefined=True, PredefinedDataName=PREDEFINED.get(code, ""))
        parents[code] = acc["Ref_Key"]
    wholesale = add("Catalog_ТипыЦенНоменклатуры", Ref_Key=refs.new(), Code=_code("Catalog_ТипыЦенНоменклатуры", 1),
                    Description="Оптовая", ВалютаЦены_Key=rub["Ref_Key"], ЦенаВключаетНДС=True)
    retail = add("Catalog_ТипыЦенНоменклатуры", Ref_Key=refs.new(), Code=_code("Catalog_ТипыЦенНоменклатуры", 2),
                 Description="Розничная", ВалютаЦены_Key=rub["Ref_Key"], ЦенаВключаетНДС=True)
    whs = [add("Catalog_Склады", Ref_Key=refs.new(), Code=_code("Catalog_Склады", i + 1),
               Description=WAREHOUSES[i] if i < len(WAREHOUSES) else f"Склад № {i + 1}")
           for i in range(warehouses)]
    units = {short: add("Catalog_КлассификаторЕдиницИзмерения", Ref_Key=refs.new(), Code=code,
                        Description=short, НаименованиеПолное=full)
             for short, code, full in UNITS}
    kinds = {pname: add("Catalog_ВидыКонтактнойИнформации", Ref_Key=refs.new(), Code=f"{i + 1:09d}",
                        Description=descr, Тип=typ, Predefined=True, PredefinedDataName=pname)
             for i, (pname, descr, typ) in enumerate(CONTACT_KINDS)}
    folders = [add("Catalog_Номенклатура", Ref_Key=refs.new(), IsFolder=True,
                   Code=_code("Catalog_Номенклатура", i + 1),
                   Description=cat.folder) for i, cat in enumerate(CATEGORIES)]
    reg = st.acc[REGISTER]
    acc41 = parents["41.01"]
    opening = refs.new()  # the batch of the opening balances (Ввод начальных остатков)
    defaults = {n: ft.default() for n, ft in S.entities["Catalog_Номенклатура"].fields.items()}
    for n, (ci, name) in enumerate(product_names(products, seed), start=1):
        cat = CATEGORIES[ci]
        ref = refs.new()
        p = dict(defaults)
        p.update(Ref_Key=ref, DataVersion=st.new_data_version(), Parent_Key=folders[ci]["Ref_Key"],
                 Code=_code("Catalog_Номенклатура", n + 100), Description=name, Артикул=f"{cat.art}-{n:06d}",
                 НаименованиеПолное=name, ЕдиницаИзмерения_Key=units[cat.unit]["Ref_Key"],
                 ВидСтавкиНДС=VAT_KIND_OF_RATE.get(cat.vat, "Общая"))
        objects["Catalog_Номенклатура"][ref] = p
        lo, hi = cat.price
        base_price = money(rng.uniform(lo, hi))
        for kind, price in ((wholesale, base_price), (retail, money(base_price * Decimal("1.25"), 0))):
            st.prices.add({"Period": SEED_DATE, "ТипЦен_Key": kind["Ref_Key"], "Номенклатура_Key": ref,
                           "Цена": price, "Валюта_Key": rub["Ref_Key"]})
        for w in whs:
            if rng.random() < 0.15:
                continue
            q = Decimal(rng.randint(5, 4000)) / 10 if cat.unit == "кг" else \
                Decimal(rng.choice((1, 2, 3, 5, 8, 12, 20, 35, 50, 80, 120, 250, 600)))
            dims = _dims(st, {"Организация_Key": org["Ref_Key"]}, "41.01",
                         *stock_subconto(st, ref, w["Ref_Key"], opening))
            key = tuple(dims[c] for c in reg.cols)
            assert key[0] == acc41
            cur = reg.totals.get(key)
            vals = [money(q * base_price * Decimal("0.7")), q]
            if cur is None:
                reg.totals[key] = vals
                for i, c in enumerate(reg.cols):
                    if c in reg.index:
                        reg.index[c].setdefault(key[i], set()).add(key)
            else:  # no warehouses: one balance per item
                reg.totals[key] = [a + b for a, b in zip(cur, vals, strict=True)]
    reg.max_period = SEED_DATE

    contracts = 0
    for i in range(counterparties):
        pt = seed_party(rng, i, company_name="{word} ООО")
        descr, full, inn, kpp, address = pt.name, pt.full_name, pt.inn, pt.kpp, pt.address
        form = "ФизическоеЛицо" if pt.person else "ЮридическоеЛицо"
        phone = f"+7 ({rng.randint(900, 999)}) {rng.randint(100, 999)}-{rng.randint(10, 99)}-{rng.randint(10, 99)}"
        email = "".join(ch if ch.isascii() else "x" for ch in
                        f"buh{i + 1}@{ORG_WORDS[i % len(ORG_WORDS)].lower()}-example.ru")
        party = add("Catalog_Контрагенты", Ref_Key=refs.new(), Code=_code("Catalog_Контрагенты", i + 1),
                    Description=descr,
                    НаименованиеПолное=full, ЮридическоеФизическоеЛицо=form, ИНН=inn, КПП=kpp)
        party["ГоловнойКонтрагент_Key"] = party["Ref_Key"]
        party["КонтактнаяИнформация"] = [
            {"Ref_Key": party["Ref_Key"], "LineNumber": str(n), "Тип": kinds[k]["Тип"],
             "Вид_Key": kinds[k]["Ref_Key"], "Представление": v, "ЗначенияПолей": ""}
            for n, (k, v) in enumerate((("ТелефонКонтрагента", phone), ("EmailКонтрагенты", email),
                                        ("ФактАдресКонтрагента", address)), start=1)]
        if i % 2 == 0:
            contracts += 1  # one counter for the whole catalog (CodeSeries WholeCatalog)
            add("Catalog_ДоговорыКонтрагентов", Ref_Key=refs.new(),
                Code=_code("Catalog_ДоговорыКонтрагентов", contracts),
                Description=f"Договор поставки № {i + 1} от 10.01.2025", Owner_Key=party["Ref_Key"],
                Организация_Key=org["Ref_Key"], ВидДоговора="СПокупателем",
                ВалютаВзаиморасчетов_Key=rub["Ref_Key"], Номер=str(i + 1), Дата="2025-01-10T00:00:00")
    if hostile:
        hostile_names(st, "Комментарий")
        st.meta["seed"]["hostile"] = True
    return st


# ---- the clerk ------------------------------------------------------------------------------

def _invoice(od: OData, token: str) -> dict:
    """An invoice whose goods rows also carry `Номенклатура_Key` (the shared helpers read it)."""
    inv = find_order(od, INVOICE, token)
    inv["Товары"] = [{**r, "Номенклатура_Key": r.get("Номенклатура", EMPTY_REF)} for r in inv["Товары"]]
    return inv


def payments_for(od: OData, refs: list[str]) -> dict[str, list[tuple[dict, Decimal]]]:
    out: dict[str, list[tuple[dict, Decimal]]] = {r: [] for r in refs}
    for set_name in (BANK, CASH):
        for chunk in or_chunks(refs):
            cond = " or ".join(f"d/СчетНаОплату_Key eq guid'{r}'" for r in chunk)
            for d in od.list(set_name, **{"$filter": f"Posted eq true and РасшифровкаПлатежа/any(d: {cond})",
                                          "$select": "Ref_Key,Number,Date,СуммаДокумента,РасшифровкаПлатежа"}):
                for row in d["РасшифровкаПлатежа"]:
                    if row.get("СчетНаОплату_Key") in out:
                        out[row["СчетНаОплату_Key"]].append((d, money(row.get("СуммаПлатежа") or 0)))
    return out


def shipments_for(od: OData, refs: list[str]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {r: [] for r in refs}
    for chunk in or_chunks(refs):
        cond = " or ".join(f"СчетНаОплатуПокупателю_Key eq guid'{r}'" for r in chunk)
        for d in od.list(SALE, **{"$filter": f"Posted eq true and ({cond})",
                                  "$select": "Ref_Key,Number,Date,СчетНаОплатуПокупателю_Key,Товары,Услуги"}):
            # a sale's service lines count like its goods (clerk.shipped_by_product reads both)
            out[d["СчетНаОплатуПокупателю_Key"]].append(d)
    return out


def cmd_orders(od: OData, args: argparse.Namespace) -> int:
    return deals_table(od, args, set_name=INVOICE, client_key="Контрагент_Key",
                       client_set="Catalog_Контрагенты", client_title="Покупатель",
                       empty="Счетов покупателям нет.", payments=payments_for,
                       shipments=shipments_for, lines=_goods_by_item)


def _goods_by_item(inv: dict) -> dict:
    """The invoice's goods rows with the composite `Номенклатура` as `Номенклатура_Key`."""
    inv["Товары"] = [{**r, "Номенклатура_Key": r.get("Номенклатура", EMPTY_REF)} for r in inv["Товары"]]
    return inv


def cmd_post(od: OData, args: argparse.Namespace, action: str) -> int:
    return post_deal(od, args, action, INVOICE, "Счет покупателю")


def _contract_of(od: OData, inv: dict) -> str:
    """The invoice's contract, else the counterparty's first sales contract."""
    if inv.get("ДоговорКонтрагента_Key", EMPTY_REF) != EMPTY_REF:
        return str(inv["ДоговорКонтрагента_Key"])
    rows = od.list("Catalog_ДоговорыКонтрагентов", **{
        "$filter": f"Owner_Key eq guid'{inv['Контрагент_Key']}' and ВидДоговора eq 'СПокупателем'",
        "$select": "Ref_Key"})
    if not rows:
        raise ClerkError(f"у покупателя по счету {inv['Number']} нет договора с покупателем")
    return str(rows[0]["Ref_Key"])


def cmd_pay(od: OData, args: argparse.Namespace) -> int:
    inv = _invoice(od, args.order)
    amount = amount_arg(args.amount)
    row = {"LineNumber": "1", "ДоговорКонтрагента_Key": _contract_of(od, inv), "СчетНаОплату_Key": inv["Ref_Key"],
           "СуммаПлатежа": float(amount), "СуммаВзаиморасчетов": float(amount),
           "СпособПогашенияЗадолженности": "Автоматически"}
    body: dict[str, Any] = {
        "Ref_Key": str(uuid.uuid4()), "Date": document_date(args), "ВидОперации": "ОплатаПокупателя",
        "Организация_Key": inv["Организация_Key"], "Контрагент": inv["Контрагент_Key"], "Контрагент_Type": PARTY_T,
        "ВалютаДокумента_Key": inv["ВалютаДокумента_Key"], "СуммаДокумента": float(amount),
        "РасшифровкаПлатежа": [row], "Комментарий": f"Оплата по счету {inv['Number']}"}
    if args.cash:
        set_name, kind = CASH, "ПКО"
        body["Основание"] = f"Оплата по счету № {inv['Number']}"
    else:
        set_name, kind = BANK, "Поступление на расчетный счет"
        body["НазначениеПлатежа"] = f"Оплата по счету № {inv['Number']}"
    doc = od.create(set_name, body)
    od.action(set_name, doc["Ref_Key"], "Post")
    say(f"{kind} {doc['Number']} на {amount} по счету {inv['Number']}: проведен")
    return 0


def _services(od: OData, refs: list[str]) -> set[str]:
    """Those of the products that are services (`Услуга`): their lines belong in `Услуги`."""
    out: set[str] = set()
    for chunk in or_chunks(sorted(set(refs) - {EMPTY_REF})):
        flt = " or ".join(f"Ref_Key eq guid'{r}'" for r in chunk)
        out |= {p["Ref_Key"] for p in od.list("Catalog_Номенклатура", **{"$filter": flt, "$select": "Ref_Key,Услуга"})
                if p.get("Услуга")}
    return out


def cmd_ship(od: OData, args: argparse.Namespace) -> int:
    inv = _invoice(od, args.order)
    remaining = remaining_by_line(inv, shipments_for(od, [inv["Ref_Key"]])[inv["Ref_Key"]])
    wanted = lines_to_ship(args, remaining, "в счете", f"по счету {inv['Number']}")
    wh = warehouse_by_name(od, args.warehouse)["Ref_Key"] if args.warehouse else inv["Склад_Key"]
    by_line = {int(r["LineNumber"]): r for r in inv["Товары"]}
    services = _services(od, [r["Номенклатура_Key"] for r in inv["Товары"]])
    rows: list[dict[str, object]] = []
    service_rows: list[dict[str, object]] = []
    total = Decimal(0)
    for ln, q in sorted(wanted.items()):
        src = by_line[ln]
        ordered = Decimal(str(src["Количество"]))
        amount = money(Decimal(str(src["Сумма"])) * q / ordered)
        vat = money(Decimal(str(src.get("СуммаНДС") or 0)) * q / ordered)
        total += amount if inv.get("СуммаВключаетНДС") else amount + vat
        into = service_rows if src["Номенклатура_Key"] in services else rows  # a service: `Услуги`
        into.append({"LineNumber": str(len(into) + 1), "Номенклатура_Key": src["Номенклатура_Key"],
                     "Количество": float(q), "Цена": src["Цена"], "Сумма": float(amount),
                     "СтавкаНДС": src.get("СтавкаНДС", ""), "СуммаНДС": float(vat)})
    body = {"Ref_Key": str(uuid.uuid4()), "Date": document_date(args), "ВидОперации": "Товары",
            "Организация_Key": inv["Организация_Key"], "Контрагент_Key": inv["Контрагент_Key"],
            "ДоговорКонтрагента_Key": _contract_of(od, inv), "Склад_Key": wh,
            "СчетНаОплатуПокупателю_Key": inv["Ref_Key"], "ТипЦен_Key": inv.get("ТипЦен_Key", EMPTY_REF),
            "ВалютаДокумента_Key": inv["ВалютаДокумента_Key"], "СуммаВключаетНДС": inv.get("СуммаВключаетНДС", True),
            "СуммаДокумента": float(total), "Товары": rows, "Услуги": service_rows,
            "Комментарий": f"Отгрузка по счету {inv['Number']}"}
    return post_sale(od, SALE, body, wanted, f"по счету {inv['Number']}")


def cmd_price(od: OData, args: argparse.Namespace) -> int:
    return set_price(od, args, kinds_set="Catalog_ТипыЦенНоменклатуры", kind_word="тип цен",
                     header=lambda kind: {"ТипЦен_Key": kind["Ref_Key"]})


def cmd_receive(od: OData, args: argparse.Namespace) -> int:
    return receive_goods(od, args, document=SURPLUS, line=lambda prod: {"Цена": 0, "Сумма": 0})


#: The accountant's answer to a CRM shipment request (an unposted РеализацияТоваровУслуг with
#: СчетНаОплатуПокупателю = the invoice): posting it takes the goods off account 41 (never below 0).
cmd_shipment_request = shipment_request_answer(SALE, "СчетНаОплатуПокупателю_Key", None, "Реализация", _invoice,
                                               ("Товары", "Услуги"))


CONFIGURATION = Configuration(
    name="bp3",
    number_prefix=bsp_prefix,
    title="1С:Бухгалтерия предприятия 3.0",
    schema=S,
    posters=POSTERS,
    seed=seed,
    clerk=ClerkOps(orders=cmd_orders, post=cmd_post, pay=cmd_pay, ship=cmd_ship,
                   price=cmd_price, receive=cmd_receive, shipment_request=cmd_shipment_request),
    marker=ACCOUNTS,
    variants=VARIANTS,
    enums={
        "ЮридическоеФизическоеЛицо": frozenset({"ЮридическоеЛицо", "ФизическоеЛицо"}),
        "ВидСтавкиНДС": frozenset({"Общая", "Пониженная", "Нулевая", "БезНДС", "", "Расчетная"}),
        "СтавкаНДС": frozenset({"", *VAT_RATES}),
        "ВидДоговора": frozenset({"СПокупателем", "СПоставщиком", "СКомитентом", "СКомиссионером",
                                  "Прочее"}),
        "Тип": frozenset({"Адрес", "Телефон", "АдресЭлектроннойПочты", "ВебСтраница", "Другое"}),
    },
)
