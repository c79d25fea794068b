"""УТ 11.5 (Управление торговлей 11.5; КА 2.5 / ERP 2.5 share these names): `--config ut11`.

What differs from КА 1.1, and is what the CRM's `ut11` profile must get right (names checked
against the public dump evlahov-igor/UT11, УТ 11.5.8; sources in docs/onec-odata-notes.md §6):

- the client is a `Catalog_Партнеры` element *and* a `Catalog_Контрагенты` element (the legal
  party, `Партнер_Key`); a counterparty has no `Комментарий` (`ДополнительнаяИнформация`) and
  keeps its contact information in the table part `КонтактнаяИнформация`;
- the deal is `Document_ЗаказКлиента`: it needs `Партнер`, `Контрагент`, `Соглашение`
  (`Catalog_СоглашенияСКлиентами`, usually a standard one, `Типовое`) and `Организация`;
  VAT on lines and products is a reference `СтавкаНДС_Key` → `Catalog_СтавкиНДС` (`Ставка`);
- posting the order (any `Статус` but `НеСогласован`) writes `ТоварыКОтгрузке` per line by its
  `ВариантОбеспечения`: `СоСклада`/`Обособленно` → `ВРезерве`, `Отгрузить` → `КОтгрузке`
  (an `Отменено` line or `Требуется`/`НеТребуется` writes nothing); stock is
  `ТоварыНаСкладах.ВНаличии`;
- `РеализацияТоваровУслуг` ships by `ЗаказКлиента` (composite, header and line): it takes the
  goods from `ВНаличии` and the order's `ВРезерве`/`КОтгрузке`;
- payments (`ПоступлениеБезналичныхДенежныхСредств`, `ПриходныйКассовыйОрдер`) settle by
  `РасшифровкаПлатежа.ОбъектРасчетов_Key` → `Catalog_ОбъектыРасчетов`, an element that 1C
  creates when the order is written and whose `Объект` is the order; its key is *not* the
  order's (a client must look it up by `Объект`);
- prices: `ЦеныНоменклатуры` by `ВидЦены` (`Catalog_ВидыЦен`), `Упаковка`.

Settlements: `РасчетыСКлиентами` by `АналитикаУчетаПоПартнерам` (a key of
`Catalog_КлючиАналитикиУчетаПоПартнерам`) and `ОбъектРасчетов`: a posted sale adds its sum, a
posted receipt subtracts its rows (resource `Сумма` only).

Simplifications (documented, not hidden): no `ЗаказыКлиентов` register; `ТоварыНаСкладах` carries `ВНаличии` only.
"""

from __future__ import annotations

import argparse
import base64
import random
import struct
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
from ..posting import PostError, check_goods, filled, need_ref, qty_text, write, write_prices
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
    record,
    seed_party,
    stored,
)
from ..state import SandboxState, money
from . import ClerkOps, Configuration, bsp_prefix

ORDER = "Document_ЗаказКлиента"
ORDER_TYPE = TYPE_PREFIX + ORDER
SALE = "Document_РеализацияТоваровУслуг"
BANK = "Document_ПоступлениеБезналичныхДенежныхСредств"
CASH = "Document_ПриходныйКассовыйОрдер"
SETTLEMENT = "Catalog_ОбъектыРасчетов"
PARTY_TYPE = TYPE_PREFIX + "Catalog_Контрагенты"
#: ВариантыОбеспечения that reserve goods on the warehouse / mark them to ship now.
RESERVING = ("СоСклада", "Обособленно")
TO_SHIP = ("Отгрузить",)
NOT_AGREED = "НеСогласован"

S = Schema()

# ---- catalogs -------------------------------------------------------------------------------

S.catalog("Catalog_Валюты", "НаименованиеПолное:s", code_len=3)
S.catalog("Catalog_Организации", "Префикс:s НаименованиеПолное:s ИНН:s КПП:s ОГРН:s")
S.catalog("Catalog_СтавкиНДС", "Ставка:n2 Основная:b НачалоПериода:d КонецПериода:d Страна_Key:r",
          code_len=0)
S.catalog("Catalog_Склады", "ТипСклада:e Комментарий:s", hier=True)
S.catalog("Catalog_ВидыЦен",
          "ВалютаЦены_Key:r=Catalog_Валюты ЦенаВключаетНДС:b Статус:e Комментарий:s")
S.catalog("Catalog_УпаковкиЕдиницыИзмерения",
          "Владелец:c НаименованиеПолное:s Числитель:n3 Знаменатель:n3 ТипУпаковки:e", code_len=3)
S.catalog("Catalog_Номенклатура",
          "Артикул:s НаименованиеПолное:s ТипНоменклатуры:e ВидНоменклатуры_Key:r "
          "ЕдиницаИзмерения_Key:r=Catalog_УпаковкиЕдиницыИзмерения "
          "СтавкаНДС_Key:r=Catalog_СтавкиНДС ИспользоватьУпаковки:b Комментарий:s",
          code_len=11, hier=True, prefixed=True)
S.catalog("Catalog_ВидыКонтактнойИнформации", "Тип:e")
_CONTACTS = "Тип:e Вид_Key:r=Catalog_ВидыКонтактнойИнформации Представление:s ЗначенияПолей:s"
S.catalog("Catalog_Партнеры",
          "НаименованиеПолное:s Клиент:b Поставщик:b ПрочиеОтношения:b ЮрФизЛицо:e "
          "ДатаРегистрации:d Комментарий:s",
          code_len=11, hier=True, prefixed=True, tps={"КонтактнаяИнформация": _CONTACTS})
S.catalog("Catalog_Контрагенты",
          "Партнер_Key:r=Catalog_Партнеры НаименованиеПолное:s ЮридическоеФизическоеЛицо:e "
          "ИНН:s КПП:s КодПоОКПО:s ОбособленноеПодразделение:b "
          "ГоловнойКонтрагент_Key:r=Catalog_Контрагенты ДополнительнаяИнформация:s",
          code_len=0, tps={"КонтактнаяИнформация": _CONTACTS})
S.catalog("Catalog_СоглашенияСКлиентами",
          "Номер:s Дата:d Партнер_Key:r=Catalog_Партнеры Контрагент_Key:r=Catalog_Контрагенты "
          "Организация_Key:r=Catalog_Организации Типовое:b Статус:e ХозяйственнаяОперация:e "
          "ВидЦен_Key:r=Catalog_ВидыЦен Валюта_Key:r=Catalog_Валюты ЦенаВключаетНДС:b "
          "ДатаНачалаДействия:d ДатаОкончанияДействия:d Комментарий:s")
S.catalog("Catalog_ДоговорыКонтрагентов",
          "Номер:s Дата:d Партнер_Key:r=Catalog_Партнеры Контрагент_Key:r=Catalog_Контрагенты "
          "Организация_Key:r=Catalog_Организации ТипДоговора:e Статус:e "
          "ВалютаВзаиморасчетов_Key:r=Catalog_Валюты Комментарий:s")
S.catalog(SETTLEMENT,
          "Объект:c Партнер_Key:r=Catalog_Партнеры Организация_Key:r=Catalog_Организации "
          "ТипРасчетов:e ТипОбъектаРасчетов:e Номер:s Дата:d", code_len=0)

# ---- documents ------------------------------------------------------------------------------

_PARTIES = ("Партнер_Key:r=Catalog_Партнеры Контрагент_Key:r=Catalog_Контрагенты "
            "Организация_Key:r=Catalog_Организации ")
_GOODS = ("Номенклатура_Key:r=Catalog_Номенклатура Характеристика_Key:r "
          "Упаковка_Key:r=Catalog_УпаковкиЕдиницыИзмерения КоличествоУпаковок:n3 Количество:n3 "
          "Цена:n2 Сумма:n2 СтавкаНДС_Key:r=Catalog_СтавкиНДС СуммаНДС:n2 СуммаСНДС:n2 "
          "Склад_Key:r=Catalog_Склады ")
S.document(ORDER,
           _PARTIES + "Соглашение_Key:r=Catalog_СоглашенияСКлиентами "
           "Договор_Key:r=Catalog_ДоговорыКонтрагентов Склад_Key:r=Catalog_Склады "
           "Валюта_Key:r=Catalog_Валюты ЦенаВключаетНДС:b НалогообложениеНДС:e "
           "СуммаДокумента:n2 Статус:e ХозяйственнаяОперация:e ДатаОтгрузки:d "
           "ЖелаемаяДатаОтгрузки:d Менеджер_Key:r Комментарий:s",
           tps={"Товары": _GOODS + "ВидЦены_Key:r=Catalog_ВидыЦен ПроцентРучнойСкидки:n2 "
                                   "СуммаРучнойСкидки:n2 ВариантОбеспечения:e ДатаОтгрузки:d "
                                   "Отменено:b КодСтроки:i"})
S.document("Document_СчетНаОплатуКлиенту",
           _PARTIES + "Договор_Key:r=Catalog_ДоговорыКонтрагентов ДокументОснование:c "
           "Валюта_Key:r=Catalog_Валюты СуммаДокумента:n2 Комментарий:s",
           postable=False)
S.document(SALE,
           _PARTIES + "Соглашение_Key:r=Catalog_СоглашенияСКлиентами "
           "Договор_Key:r=Catalog_ДоговорыКонтрагентов Склад_Key:r=Catalog_Склады "
           "Валюта_Key:r=Catalog_Валюты ЦенаВключаетНДС:b СуммаДокумента:n2 ЗаказКлиента:c "
           "ХозяйственнаяОперация:e Комментарий:s",
           tps={"Товары": _GOODS + "ЗаказКлиента:c"})
_PAY_ROWS = ("Партнер_Key:r=Catalog_Партнеры ОбъектРасчетов_Key:r=" + SETTLEMENT + " Сумма:n2 "
             "СуммаВзаиморасчетов:n2 СтавкаНДС_Key:r=Catalog_СтавкиНДС СуммаНДС:n2 "
             "СтатьяДвиженияДенежныхСредств_Key:r")
S.document(BANK,
           "ХозяйственнаяОперация:e Организация_Key:r=Catalog_Организации "
           "БанковскийСчет_Key:r Контрагент:c Валюта_Key:r=Catalog_Валюты СуммаДокумента:n2 "
           "НазначениеПлатежа:s НомерВходящегоДокумента:s ДатаВходящегоДокумента:d Комментарий:s",
           tps={"РасшифровкаПлатежа": _PAY_ROWS})
S.document(CASH,
           "ХозяйственнаяОперация:e Организация_Key:r=Catalog_Организации Касса_Key:r "
           "Контрагент:c Валюта_Key:r=Catalog_Валюты СуммаДокумента:n2 ПринятоОт:s Основание:s "
           "Комментарий:s",
           tps={"РасшифровкаПлатежа": _PAY_ROWS})
S.document("Document_УстановкаЦенНоменклатуры", "Комментарий:s",
           tps={"Товары": "Номенклатура_Key:r=Catalog_Номенклатура Характеристика_Key:r "
                          "ВидЦены_Key:r=Catalog_ВидыЦен Цена:n2 "
                          "Упаковка_Key:r=Catalog_УпаковкиЕдиницыИзмерения"})
S.document("Document_ОприходованиеИзлишковТоваров",
           "Организация_Key:r=Catalog_Организации Склад_Key:r=Catalog_Склады Комментарий:s",
           tps={"Товары": "Номенклатура_Key:r=Catalog_Номенклатура Характеристика_Key:r "
                          "Количество:n3 Цена:n2 Сумма:n2"})

# ---- registers ------------------------------------------------------------------------------

S.accumulation("ТоварыНаСкладах",
               "Номенклатура_Key:r=Catalog_Номенклатура Характеристика_Key:r "
               "Склад_Key:r=Catalog_Склады Назначение_Key:r Серия_Key:r ВНаличииBalance:n3",
               {"Номенклатура": ["Номенклатура_Key"], "Характеристика": ["Характеристика_Key"],
                "Склад": ["Склад_Key"], "Назначение": ["Назначение_Key"], "Серия": ["Серия_Key"]},
               ["ВНаличии"])
S.accumulation("ТоварыКОтгрузке",
               "Склад_Key:r=Catalog_Склады Получатель:c ДокументОтгрузки:c "
               "Номенклатура_Key:r=Catalog_Номенклатура Характеристика_Key:r Назначение_Key:r "
               "Серия_Key:r ВРезервеBalance:n3 КОтгрузкеBalance:n3 КОформлениюBalance:n3 "
               "КСборкеBalance:n3 СобираетсяBalance:n3 СобраноBalance:n3",
               {"Склад": ["Склад_Key"], "Получатель": ["Получатель", "Получатель_Type"],
                "ДокументОтгрузки": ["ДокументОтгрузки", "ДокументОтгрузки_Type"],
                "Номенклатура": ["Номенклатура_Key"], "Характеристика": ["Характеристика_Key"],
                "Назначение": ["Назначение_Key"], "Серия": ["Серия_Key"]},
               ["ВРезерве", "КОтгрузке", "КОформлению", "КСборке", "Собирается", "Собрано"])
S.prices("InformationRegister_ЦеныНоменклатуры",
         "Period:d ВидЦены_Key:r=Catalog_ВидыЦен Номенклатура_Key:r=Catalog_Номенклатура "
         "Характеристика_Key:r Цена:n2 Упаковка_Key:r=Catalog_УпаковкиЕдиницыИзмерения "
         "Валюта_Key:r=Catalog_Валюты",
         dims=["ВидЦены_Key", "Номенклатура_Key", "Характеристика_Key"],
         resources=["Цена", "Упаковка_Key", "Валюта_Key"])

# Settlements with clients (evlahov-igor/UT11 @ e858ca37, AccumulationRegisters/РасчетыСКлиентами.xml):
# keyed by the analytics key `АналитикаУчетаПоПартнерам` (→ Catalog_КлючиАналитикиУчетаПоПартнерам,
# one element per Организация + Партнер + Контрагент + Договор + НаправлениеДеятельности) and the
# settlement object, not by client. Resources here: `Сумма` (the debt) only.
DEBT_KEY = "Catalog_КлючиАналитикиУчетаПоПартнерам"
S.catalog(DEBT_KEY,
          "Организация_Key:r=Catalog_Организации Партнер_Key:r=Catalog_Партнеры "
          "Контрагент_Key:r=Catalog_Контрагенты Договор_Key:r=Catalog_ДоговорыКонтрагентов "
          "НаправлениеДеятельности_Key:r", code_len=0)
S.accumulation("РасчетыСКлиентами",
               "АналитикаУчетаПоПартнерам_Key:r=" + DEBT_KEY + " ОбъектРасчетов_Key:r=" + SETTLEMENT +
               " Валюта_Key:r=Catalog_Валюты СуммаBalance:n2",
               {"АналитикаУчетаПоПартнерам": ["АналитикаУчетаПоПартнерам_Key"],
                "ОбъектРасчетов": ["ОбъектРасчетов_Key"], "Валюта": ["Валюта_Key"]},
               ["Сумма"])


# ---- what 1C does when a document is written --------------------------------------------------

def settlement_key(order_ref: str) -> str:
    """The key of an order's settlement object (stable, and deliberately not the order's)."""
    return str(uuid.uuid5(uuid.UUID(order_ref), "ОбъектыРасчетов"))


def _order_written(st: SandboxState, rec: dict) -> None:
    """Writing a ЗаказКлиента creates (or refreshes) its element of ОбъектыРасчетов."""
    key = settlement_key(rec["Ref_Key"])
    obj = st.get(SETTLEMENT, key)
    new = obj is None
    if new:
        obj = record(st, SETTLEMENT, Ref_Key=key)
    assert obj is not None
    obj.update(Description=f"Заказ клиента {rec.get('Number', '')} от {rec.get('Date', '')[:10]}",
               Объект=rec["Ref_Key"], Объект_Type=ORDER_TYPE, Партнер_Key=rec.get("Партнер_Key",
                                                                              EMPTY_REF),
               Организация_Key=rec.get("Организация_Key", EMPTY_REF),
               ТипРасчетов="РасчетыСКлиентом", ТипОбъектаРасчетов="ЗаказКлиента",
               Номер=rec.get("Number", ""), Дата=rec.get("Date", ""))
    st.put(SETTLEMENT, obj)


WRITERS = {ORDER: _order_written}


# ---- posting --------------------------------------------------------------------------------

def _parties(st: SandboxState, rec: dict) -> tuple[dict, dict]:
    partner = need_ref(st, rec, "Партнер_Key", "Catalog_Партнеры", "Клиент")
    party = need_ref(st, rec, "Контрагент_Key", "Catalog_Контрагенты", "Контрагент")
    if party.get("Партнер_Key") not in (partner["Ref_Key"], EMPTY_REF):
        raise PostError("Контрагент не относится к выбранному клиенту (партнеру)")
    need_ref(st, rec, "Организация_Key", "Catalog_Организации", "Организация")
    return partner, party


def _warehouse(st: SandboxState, r: dict, rec: dict) -> str:
    wh = r.get("Склад_Key") if filled(r.get("Склад_Key")) else rec.get("Склад_Key")
    if not filled(wh):
        raise PostError(f"Строка {r.get('LineNumber')}: не указан склад")
    if st.get("Catalog_Склады", wh) is None:
        raise PostError(f"Строка {r.get('LineNumber')}: склад не найден")
    return str(wh)


def _ship_dims(wh: str, prod: str, r: dict, order: str) -> dict:
    return {"Склад_Key": wh, "Получатель": "", "Получатель_Type": UNDEFINED_TYPE,
            "ДокументОтгрузки": order, "ДокументОтгрузки_Type": ORDER_TYPE,
            "Номенклатура_Key": prod, "Характеристика_Key": r.get("Характеристика_Key", EMPTY_REF),
            "Назначение_Key": EMPTY_REF, "Серия_Key": EMPTY_REF}


def _post_order(st: SandboxState, rec: dict, ref: str) -> None:
    partner, _party = _parties(st, rec)
    agreement = need_ref(st, rec, "Соглашение_Key", "Catalog_СоглашенияСКлиентами", "Соглашение")
    if not agreement.get("Типовое") and agreement.get("Партнер_Key") != partner["Ref_Key"]:
        raise PostError("Соглашение не относится к выбранному клиенту")
    goods = [(r, p) for r, p in check_goods(st, rec) if not r.get("Отменено")]
    records = []
    if rec.get("Статус") != NOT_AGREED:
        zero = Decimal(0)
        for r, prod in goods:
            variant = r.get("ВариантОбеспечения") or ""
            if variant not in RESERVING + TO_SHIP:
                continue
            q = Decimal(r["Количество"])
            wh = _warehouse(st, r, rec)
            vals = [q if variant in RESERVING else zero, q if variant in TO_SHIP else zero,
                    zero, zero, zero, zero]
            records.append((rec["Date"], 1, _ship_dims(wh, prod["Ref_Key"], r, ref), vals))
    write(st, "ТоварыКОтгрузке", ref, records)


def _post_sale(st: SandboxState, rec: dict, ref: str) -> None:
    _parties(st, rec)
    goods = check_goods(st, rec)
    header_order = rec.get("ЗаказКлиента") if rec.get("ЗаказКлиента_Type") == ORDER_TYPE else None
    stock = st.acc["ТоварыНаСкладах"]
    to_ship = st.acc["ТоварыКОтгрузке"]
    old_stock = stock.movements.get(ref, [])
    old_ship = to_ship.movements.get(ref, [])
    need: dict[tuple, Decimal] = {}
    stock_recs, ship_recs = [], []
    for r, prod in goods:
        wh = _warehouse(st, r, rec)
        q = Decimal(r["Количество"])
        dims = {"Номенклатура_Key": prod["Ref_Key"],
                "Характеристика_Key": r.get("Характеристика_Key", EMPTY_REF), "Склад_Key": wh,
                "Назначение_Key": EMPTY_REF, "Серия_Key": EMPTY_REF}
        key = tuple(dims[c] for c in stock.cols)
        need[key] = need.get(key, Decimal(0)) + q
        stock_recs.append((rec["Date"], -1, dims, [q]))
        order = r.get("ЗаказКлиента") if r.get("ЗаказКлиента_Type") == ORDER_TYPE and \
            filled(r.get("ЗаказКлиента")) else header_order
        if not filled(order):
            continue
        if st.get(ORDER, order) is None:
            raise PostError(f"Строка {r.get('LineNumber')}: заказ клиента не найден")
        sdims = _ship_dims(wh, prod["Ref_Key"], r, str(order))
        skey = tuple(sdims.get(c, "") for c in to_ship.cols)
        have = list(to_ship.balance_of(skey))
        for _p, s, k, vals in old_ship:
            if k == skey:
                have = [h - s * v for h, v in zip(have, vals, strict=True)]
        take = [min(max(have[0], Decimal(0)), q), min(max(have[1], Decimal(0)), q)]
        if take[0] > 0 or take[1] > 0:
            ship_recs.append((rec["Date"], -1, sdims, [take[0], take[1]] + [Decimal(0)] * 4))
    for key, q in need.items():
        in_stock = stock.balance_of(key)[0]
        for _p, s, k, vals in old_stock:
            if k == key:
                in_stock -= s * vals[0]
        if in_stock < q:
            prod = st.get("Catalog_Номенклатура", key[0]) or {}
            warehouse = st.get("Catalog_Склады", key[2]) or {}
            raise PostError(f"Недостаточно товара «{prod.get('Description', key[0])}» на складе "
                            f"«{warehouse.get('Description', key[2])}»: требуется {qty_text(q)}, "
                            f"в наличии {qty_text(in_stock)}")
    write(st, "ТоварыНаСкладах", ref, stock_recs)
    write(st, "ТоварыКОтгрузке", ref, ship_recs)


def _post_payment(st: SandboxState, rec: dict, ref: str) -> None:
    if rec.get("Контрагент_Type") != PARTY_TYPE or st.get("Catalog_Контрагенты",
                                                           rec.get("Контрагент")) is None:
        raise PostError("Не заполнено значение реквизита \"Контрагент\"")
    need_ref(st, rec, "Организация_Key", "Catalog_Организации", "Организация")
    rows = rec.get("РасшифровкаПлатежа") or []
    if not rows:
        raise PostError("Не заполнена табличная часть \"Расшифровка платежа\"")
    for r in rows:
        n = r.get("LineNumber")
        if filled(r.get("ОбъектРасчетов_Key")) and st.get(SETTLEMENT,
                                                          r["ОбъектРасчетов_Key"]) is None:
            raise PostError(f"Строка {n}: объект расчетов не найден")
        if Decimal(r.get("Сумма") or 0) <= 0:
            raise PostError(f"Строка {n}: не заполнена сумма")
    # settlements (РасчетыСКлиентами): written by _payment_debt below


def _post_prices(st: SandboxState, rec: dict, ref: str) -> None:
    rows = rec.get("Товары") or []
    if not rows:
        raise PostError("Не заполнена табличная часть \"Товары\"")
    period = rec["Date"][:10] + "T00:00:00"
    new = []
    for r in rows:
        n = r.get("LineNumber")
        if st.get("Catalog_Номенклатура", r.get("Номенклатура_Key")) is None:
            raise PostError(f"Строка {n}: не заполнена или не найдена номенклатура")
        kind = st.get("Catalog_ВидыЦен", r.get("ВидЦены_Key"))
        if kind is None:
            raise PostError(f"Строка {n}: не указан вид цены")
        new.append({"Period": period, "ВидЦены_Key": kind["Ref_Key"],
                    "Номенклатура_Key": r["Номенклатура_Key"],
                    "Характеристика_Key": r.get("Характеристика_Key", EMPTY_REF),
                    "Цена": Decimal(r.get("Цена") or 0),
                    "Упаковка_Key": r.get("Упаковка_Key", EMPTY_REF),
                    "Валюта_Key": kind.get("ВалютаЦены_Key", EMPTY_REF)})
    write_prices(st, ref, new)


def _post_surplus(st: SandboxState, rec: dict, ref: str) -> None:
    need_ref(st, rec, "Организация_Key", "Catalog_Организации", "Организация")
    wh = need_ref(st, rec, "Склад_Key", "Catalog_Склады", "Склад")
    goods = check_goods(st, rec)
    write(st, "ТоварыНаСкладах", ref, [
        (rec["Date"], 1, {"Номенклатура_Key": p["Ref_Key"],
                          "Характеристика_Key": r.get("Характеристика_Key", EMPTY_REF),
                          "Склад_Key": wh["Ref_Key"], "Назначение_Key": EMPTY_REF,
                          "Серия_Key": EMPTY_REF}, [Decimal(r["Количество"])])
        for r, p in goods])


POSTERS = {
    ORDER: _post_order,
    SALE: _post_sale,
    BANK: _post_payment,
    CASH: _post_payment,
    "Document_УстановкаЦенНоменклатуры": _post_prices,
    "Document_ОприходованиеИзлишковТоваров": _post_surplus,
}


# ---- settlements with clients: a posted sale raises the debt, a posted payment lowers it ------

def debt_key(st: SandboxState, org: str, partner: str, party: str, contract: str = EMPTY_REF) -> str:
    """The analytics key of (organization, partner, counterparty, contract), made on first use
    as 1C does (РегистрыСведений.АналитикаУчетаПоПартнерам.ЗначениеКлючаАналитики)."""
    key = str(uuid.uuid5(uuid.UUID(party), f"КлючиАналитики {org} {partner} {contract}"))
    if st.get(DEBT_KEY, key) is None:
        names = [(st.get(s, r) or {}).get("Description", "") for s, r in
                 (("Catalog_Организации", org), ("Catalog_Контрагенты", party))]
        st.put(DEBT_KEY, record(st, DEBT_KEY, Ref_Key=key, Description=" / ".join(n for n in names if n),
                                Организация_Key=org, Партнер_Key=partner, Контрагент_Key=party,
                                Договор_Key=contract))
    return key


def _sale_debt(st: SandboxState, rec: dict, ref: str) -> None:
    _post_sale(st, rec, ref)
    total = Decimal(rec.get("СуммаДокумента") or 0) or sum(
        (Decimal(r.get("СуммаСНДС") or r.get("Сумма") or 0) for r in rec.get("Товары") or []), Decimal(0))
    order = rec.get("ЗаказКлиента") if rec.get("ЗаказКлиента_Type") == ORDER_TYPE else None
    dims = {"АналитикаУчетаПоПартнерам_Key": debt_key(st, rec["Организация_Key"], rec["Партнер_Key"],
                                                      rec["Контрагент_Key"], rec.get("Договор_Key") or EMPTY_REF),
            "ОбъектРасчетов_Key": settlement_key(str(order)) if filled(order) else EMPTY_REF,
            "Валюта_Key": rec.get("Валюта_Key") or EMPTY_REF}
    write(st, "РасчетыСКлиентами", ref, [(rec["Date"], 1, dims, [total])] if total else [])


def _payment_debt(st: SandboxState, rec: dict, ref: str) -> None:
    _post_payment(st, rec, ref)
    party = st.get("Catalog_Контрагенты", rec.get("Контрагент")) or {}
    moves = []
    for r in rec.get("РасшифровкаПлатежа") or []:
        partner = r.get("Партнер_Key") if filled(r.get("Партнер_Key")) else party.get("Партнер_Key", EMPTY_REF)
        dims = {"АналитикаУчетаПоПартнерам_Key": debt_key(st, rec["Организация_Key"], partner, party["Ref_Key"]),
                "ОбъектРасчетов_Key": r.get("ОбъектРасчетов_Key") or EMPTY_REF,
                "Валюта_Key": rec.get("Валюта_Key") or EMPTY_REF}
        moves.append((rec["Date"], -1, dims, [Decimal(r.get("СуммаВзаиморасчетов") or 0) or Decimal(r["Сумма"])]))
    write(st, "РасчетыСКлиентами", ref, moves)


POSTERS.update({SALE: _sale_debt, BANK: _payment_debt, CASH: _payment_debt})

# ---- seed -----------------------------------------------------------------------------------

VAT = {"НДС20": Decimal(20), "НДС10": Decimal(10), "НДС0": Decimal(0)}
CONTACT_KINDS = [("ТелефонКонтрагента", "Телефон", "Телефон"),
                 ("EmailКонтрагента", "Email", "АдресЭлектроннойПочты"),
                 ("ФактАдресКонтрагента", "Фактический адрес", "Адрес"),
                 ("ЮрАдресКонтрагента", "Юридический адрес", "Адрес")]


def seed(st: SandboxState, products: int = 200, warehouses: int = 3, seed: int = 1,
         counterparties: int = 40, hostile: bool = False, variant: str = "") -> SandboxState:
    """Fill an empty state with an УТ 11.5 demo base (deterministic for a given `seed`).
    УТ 11.5 has no variants: `variant` is accepted and ignored."""
    rng = random.Random(seed)
    refs = Refs(random.Random(seed * 1_000_003 + 2))
    objects = st.objects

    add = partial(stored, st)

    rub = add("Catalog_Валюты", Ref_Key=refs.new(), Code="643", Description="руб.",
              НаименованиеПолное="Российский рубль")
    org = add("Catalog_Организации", Ref_Key=refs.new(), Code="000000001",
              Description="ТД Альфа-Трейд", Префикс="ТД", ИНН=inn10(rng), КПП="770101001",
              НаименованиеПолное="Общество с ограниченной ответственностью «Торговый дом "
                                 "Альфа-Трейд»")
    vat = {name: add("Catalog_СтавкиНДС", Ref_Key=refs.new(), Description=f"{int(rate)}%",
                     Ставка=rate, Основная=True) for name, rate in VAT.items()}
    vat["БезНДС"] = add("Catalog_СтавкиНДС", Ref_Key=refs.new(), Description="Без НДС",
                        Predefined=True, PredefinedDataName="БезНДС")
    wholesale = add("Catalog_ВидыЦен", Ref_Key=refs.new(), Code="000000001",
                    Description="Оптовая", ВалютаЦены_Key=rub["Ref_Key"], ЦенаВключаетНДС=True,
                    Статус="Действует")
    retail = add("Catalog_ВидыЦен", Ref_Key=refs.new(), Code="000000002",
                 Description="Розничная", ВалютаЦены_Key=rub["Ref_Key"], ЦенаВключаетНДС=True,
                 Статус="Действует")
    whs = [add("Catalog_Склады", Ref_Key=refs.new(), Code=f"{i + 1:09d}",
               Description=WAREHOUSES[i] if i < len(WAREHOUSES) else f"Склад № {i + 1}",
               ТипСклада="ОптовыйСклад") for i in range(warehouses)]
    units = {short: add("Catalog_УпаковкиЕдиницыИзмерения", Ref_Key=refs.new(), Code=code,
                        Description=short, НаименованиеПолное=full, Числитель=Decimal(1),
                        Знаменатель=Decimal(1), ТипУпаковки="Единица")
             for short, code, full in UNITS}
    kinds = {pname: add("Catalog_ВидыКонтактнойИнформации", Ref_Key=refs.new(),
                        Code=f"{i + 1:09d}", Description=descr, Тип=typ, Predefined=True,
                        PredefinedDataName=pname)
             for i, (pname, descr, typ) in enumerate(CONTACT_KINDS)}
    add("Catalog_СоглашенияСКлиентами", Ref_Key=refs.new(), Code="000000001",
        Description="Основное соглашение (типовое)", Номер="1", Дата="2024-12-01T00:00:00",
        Организация_Key=org["Ref_Key"], Типовое=True, Статус="Действует",
        ХозяйственнаяОперация="РеализацияКлиенту", ВидЦен_Key=wholesale["Ref_Key"],
        Валюта_Key=rub["Ref_Key"], ЦенаВключаетНДС=True, ДатаНачалаДействия="2024-12-01T00:00:00")

    folders = [add("Catalog_Номенклатура", Ref_Key=refs.new(), IsFolder=True,
                   Code=catalog_code(S.entities["Catalog_Номенклатура"], i + 1), Description=cat.folder)
               for i, cat in enumerate(CATEGORIES)]
    stock = st.acc["ТоварыНаСкладах"]
    dv = int(st.meta["dv"])
    defaults = {n: ft.default() for n, ft in S.entities["Catalog_Номенклатура"].fields.items()}
    for n, (ci, name) in enumerate(product_names(products, seed), start=1):
        cat = CATEGORIES[ci]
        ref = refs.new()
        dv += 1
        p = dict(defaults)
        p.update(Ref_Key=ref, DataVersion=base64.b64encode(struct.pack(">II", dv, 0)).decode(),
                 Parent_Key=folders[ci]["Ref_Key"],
                 Code=catalog_code(S.entities["Catalog_Номенклатура"], n + 100), Description=name,
                 Артикул=f"{cat.art}-{n:06d}", НаименованиеПолное=name, ТипНоменклатуры="Товар",
                 ЕдиницаИзмерения_Key=units[cat.unit]["Ref_Key"],
                 СтавкаНДС_Key=vat[cat.vat]["Ref_Key"])
        objects["Catalog_Номенклатура"][ref] = p
        lo, hi = cat.price
        base_price = money(rng.uniform(lo, hi))
        for kind, price in ((wholesale, base_price), (retail, money(base_price * Decimal("1.25"), 0))):
            st.prices.add({"Period": SEED_DATE, "ВидЦены_Key": kind["Ref_Key"],
                           "Номенклатура_Key": ref, "Характеристика_Key": EMPTY_REF, "Цена": price,
                           "Упаковка_Key": EMPTY_REF, "Валюта_Key": rub["Ref_Key"]})
        for w in whs:
            if rng.random() < 0.15:
                continue
            q = Decimal(rng.randint(5, 4000)) / 10 if cat.unit == "кг" else \
                Decimal(rng.choice((1, 2, 3, 5, 8, 12, 20, 35, 50, 80, 120, 250, 600)))
            key = (ref, EMPTY_REF, w["Ref_Key"], EMPTY_REF, EMPTY_REF)
            stock.totals[key] = [q]
            for i, c in enumerate(stock.cols):
                if c in stock.index:
                    stock.index[c].setdefault(key[i], set()).add(key)
    st.meta["dv"] = dv
    stock.max_period = SEED_DATE

    for i in range(counterparties):
        pt = seed_party(rng, i)
        descr, full, inn, kpp, address = pt.name, pt.full_name, pt.inn, pt.kpp, pt.address
        form = "ИндивидуальныйПредприниматель" if pt.person else "ЮрЛицо"
        phone = (f"+7 ({rng.randint(900, 999)}) {rng.randint(100, 999)}-{rng.randint(10, 99)}-"
                 f"{rng.randint(10, 99)}")
        email = "".join(ch if ch.isascii() else "x" for ch in
                        f"info{i + 1}@{ORG_WORDS[i % len(ORG_WORDS)].lower()}-example.ru")
        partner = add("Catalog_Партнеры", Ref_Key=refs.new(),
                      Code=catalog_code(S.entities["Catalog_Партнеры"], i + 1),
                      Description=descr, НаименованиеПолное=full, Клиент=True,
                      ЮрФизЛицо="ЧастноеЛицо" if form == "ИндивидуальныйПредприниматель"
                      else "Компания")
        rows = [{"Ref_Key": "", "LineNumber": str(n), "Тип": kinds[k]["Тип"],
                 "Вид_Key": kinds[k]["Ref_Key"], "Представление": v, "ЗначенияПолей": ""}
                for n, (k, v) in enumerate((("ТелефонКонтрагента", phone),
                                            ("EmailКонтрагента", email),
                                            ("ФактАдресКонтрагента", address)), start=1)]
        party = add("Catalog_Контрагенты", Ref_Key=refs.new(), Description=descr,
                    Партнер_Key=partner["Ref_Key"], НаименованиеПолное=full,
                    ЮридическоеФизическоеЛицо=form, ИНН=inn, КПП=kpp)
        for r in rows:
            r["Ref_Key"] = party["Ref_Key"]
        party["КонтактнаяИнформация"] = rows
    st.meta["seed"] = {"products": products, "warehouses": warehouses, "seed": seed}
    if hostile:
        hostile_names(st, "ДополнительнаяИнформация")
        st.meta["seed"]["hostile"] = True
    return st


# ---- the clerk ------------------------------------------------------------------------------

def settlement_objects(od: OData, order_refs: list[str]) -> dict[str, str]:
    """{settlement object key: order key} for the orders (ОбъектыРасчетов by `Объект`)."""
    out: dict[str, str] = {}
    for chunk in or_chunks(order_refs):
        cond = " or ".join(f"Объект eq cast(guid'{r}','{ORDER}')" for r in chunk)
        for row in od.list(SETTLEMENT, **{"$filter": cond, "$select": "Ref_Key,Объект"}):
            out[row["Ref_Key"]] = row["Объект"]
    return out


def payments_for(od: OData, order_refs: list[str]) -> dict[str, list[tuple[dict, Decimal]]]:
    out: dict[str, list[tuple[dict, Decimal]]] = {r: [] for r in order_refs}
    objs = settlement_objects(od, order_refs)
    for set_name in (BANK, CASH):
        for chunk in or_chunks(list(objs)):
            cond = " or ".join(f"d/ОбъектРасчетов_Key eq guid'{r}'" for r in chunk)
            docs = od.list(set_name, **{
                "$filter": f"Posted eq true and РасшифровкаПлатежа/any(d: {cond})",
                "$select": "Ref_Key,Number,Date,СуммаДокумента,РасшифровкаПлатежа"})
            for d in docs:
                for row in d["РасшифровкаПлатежа"]:
                    order = objs.get(row.get("ОбъектРасчетов_Key", ""))
                    if order in out:
                        out[order].append((d, money(row.get("Сумма") or 0)))
    return out


def shipments_for(od: OData, order_refs: list[str]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {r: [] for r in order_refs}
    for chunk in or_chunks(order_refs):
        cond = " or ".join(f"ЗаказКлиента eq cast(guid'{r}','{ORDER}')" for r in chunk)
        for d in od.list(SALE, **{"$filter": f"Posted eq true and ({cond})",
                                  "$select": "Ref_Key,Number,Date,ЗаказКлиента,Товары"}):
            if d.get("ЗаказКлиента") in out:
                out[d["ЗаказКлиента"]].append(d)
    return out


def _active_lines(order: dict) -> dict:
    return {**order, "Товары": [r for r in order["Товары"] if not r.get("Отменено")]}


def cmd_orders(od: OData, args: argparse.Namespace) -> int:
    return deals_table(od, args, set_name=ORDER, client_key="Партнер_Key",
                       client_set="Catalog_Партнеры", client_title="Клиент",
                       empty="Заказов клиентов нет.", payments=payments_for,
                       shipments=shipments_for, lines=_active_lines)


def cmd_post(od: OData, args: argparse.Namespace, action: str) -> int:
    return post_deal(od, args, action, ORDER, "Заказ клиента")


def cmd_pay(od: OData, args: argparse.Namespace) -> int:
    order = find_order(od, ORDER, args.order)
    amount = amount_arg(args.amount)
    objs = settlement_objects(od, [order["Ref_Key"]])
    if not objs:
        raise ClerkError(f"у заказа {order['Number']} нет объекта расчетов")
    row = {"LineNumber": "1", "Партнер_Key": order["Партнер_Key"],
           "ОбъектРасчетов_Key": next(iter(objs)), "Сумма": float(amount),
           "СуммаВзаиморасчетов": float(amount)}
    body: dict[str, Any] = {
        "Ref_Key": str(uuid.uuid4()), "Date": document_date(args), "ХозяйственнаяОперация":
        "ПоступлениеОплатыОтКлиента", "Организация_Key": order["Организация_Key"],
        "Контрагент": order["Контрагент_Key"], "Контрагент_Type": PARTY_TYPE,
        "Валюта_Key": order["Валюта_Key"], "СуммаДокумента": float(amount),
        "РасшифровкаПлатежа": [row], "Комментарий": f"Оплата по заказу {order['Number']}"}
    if args.cash:
        set_name = CASH
        body["Основание"] = f"Оплата по заказу {order['Number']}"
    else:
        set_name = BANK
        body["НазначениеПлатежа"] = f"Оплата по заказу клиента № {order['Number']}"
    doc = od.create(set_name, body)
    od.action(set_name, doc["Ref_Key"], "Post")
    kind = "ПКО" if args.cash else "Поступление безналичных ДС"
    say(f"{kind} {doc['Number']} на {amount} по заказу {order['Number']}: проведен")
    return 0


def cmd_ship(od: OData, args: argparse.Namespace) -> int:
    order = _active_lines(find_order(od, ORDER, args.order))
    ships = shipments_for(od, [order["Ref_Key"]])[order["Ref_Key"]]
    remaining = remaining_by_line(order, ships)
    wanted = lines_to_ship(args, remaining, "в заказе", f"по заказу {order['Number']}")
    wh = warehouse_by_name(od, args.warehouse)["Ref_Key"] if args.warehouse else order["Склад_Key"]
    by_line = {int(r["LineNumber"]): r for r in order["Товары"]}
    rows, total = [], Decimal(0)
    for n, (ln, q) in enumerate(sorted(wanted.items()), start=1):
        src = by_line[ln]
        ordered = Decimal(str(src["Количество"]))
        amount = money(Decimal(str(src["Сумма"])) * q / ordered) if ordered else Decimal(0)
        vat = money(Decimal(str(src.get("СуммаНДС") or 0)) * q / ordered) if ordered else Decimal(0)
        total += amount
        row_wh = src["Склад_Key"] if src.get("Склад_Key", EMPTY_REF) != EMPTY_REF and \
            not args.warehouse else wh
        rows.append({"LineNumber": str(n), "Номенклатура_Key": src["Номенклатура_Key"],
                     "Упаковка_Key": src.get("Упаковка_Key", EMPTY_REF),
                     "КоличествоУпаковок": float(q), "Количество": float(q), "Цена": src["Цена"],
                     "Сумма": float(amount), "СтавкаНДС_Key": src.get("СтавкаНДС_Key", EMPTY_REF),
                     "СуммаНДС": float(vat), "СуммаСНДС": float(amount), "Склад_Key": row_wh,
                     "ЗаказКлиента": order["Ref_Key"], "ЗаказКлиента_Type": ORDER_TYPE})
    body = {"Ref_Key": str(uuid.uuid4()), "Date": document_date(args),
            "Организация_Key": order["Организация_Key"], "Партнер_Key": order["Партнер_Key"],
            "Контрагент_Key": order["Контрагент_Key"], "Соглашение_Key": order["Соглашение_Key"],
            "Договор_Key": order.get("Договор_Key", EMPTY_REF), "Склад_Key": wh,
            "Валюта_Key": order["Валюта_Key"], "ЦенаВключаетНДС": order.get("ЦенаВключаетНДС", True),
            "ЗаказКлиента": order["Ref_Key"], "ЗаказКлиента_Type": ORDER_TYPE,
            "ХозяйственнаяОперация": "РеализацияКлиенту", "СуммаДокумента": float(total),
            "Товары": rows, "Комментарий": f"Отгрузка по заказу {order['Number']}"}
    return post_sale(od, SALE, body, wanted, f"по заказу {order['Number']}")


def cmd_price(od: OData, args: argparse.Namespace) -> int:
    return set_price(od, args, kinds_set="Catalog_ВидыЦен", kind_word="вид цены",
                     line=lambda prod, kind: {"ВидЦены_Key": kind["Ref_Key"],
                                              "Упаковка_Key": prod["ЕдиницаИзмерения_Key"]})


def cmd_receive(od: OData, args: argparse.Namespace) -> int:
    return receive_goods(od, args, document="Document_ОприходованиеИзлишковТоваров")


#: The warehouse's answer to a CRM shipment request (an unposted РеализацияТоваровУслуг with
#: ЗаказКлиента = the order): posting it ships the goods (ВНаличии −, never below 0) and writes
#: the order's ТоварыКОтгрузке (ВРезерве/КОтгрузке) off.
cmd_shipment_request = shipment_request_answer(SALE, "ЗаказКлиента", ORDER, "Реализация",
                                               lambda od, token: find_order(od, ORDER, token))


CONFIGURATION = Configuration(
    name="ut11",
    number_prefix=bsp_prefix,
    title="1С:Управление торговлей 11.5 (КА 2.5, ERP 2.5)",
    schema=S,
    posters=POSTERS,
    seed=seed,
    clerk=ClerkOps(orders=cmd_orders, post=cmd_post, pay=cmd_pay, ship=cmd_ship,
                   price=cmd_price, receive=cmd_receive, shipment_request=cmd_shipment_request),
    marker=ORDER,
    writers=WRITERS,
    enums={
        "ЮрФизЛицо": frozenset({"Компания", "ЧастноеЛицо"}),  # КомпанияЧастноеЛицо (Партнеры)
        "ЮридическоеФизическоеЛицо": frozenset({"ЮрЛицо", "ФизЛицо",
                                                 "ИндивидуальныйПредприниматель"}),
        "ВариантОбеспечения": frozenset({"Требуется", "НеТребуется", "СоСклада", "Обособленно",
                                         "Отгрузить", "ИзЗаказов", "КОбеспечению",
                                         "РезервироватьПоМереПоступления", "ПереданРанее"}),
        "Статус": frozenset({"НеСогласован", "КОбеспечению", "КОтгрузке", "Закрыт",
                             "Действует", "НеДействует"}),
        "Тип": frozenset({"Адрес", "Телефон", "АдресЭлектроннойПочты", "ВебСтраница", "Другое"}),
    },
)
