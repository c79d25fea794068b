"""КА 1.1 (Комплексная автоматизация 1.1; УТ 10.3 and УПП 1.3 share these names): the
sandbox's first configuration, `--config ka1`, the default.

The deal is `Document_ЗаказПокупателя` (reserves in `ТоварыВРезервеНаСкладах` on posting);
payments (`ПлатежноеПоручениеВходящее`, `ПриходныйКассовыйОрдер`) and shipments
(`РеализацияТоваровУслуг`) settle against it through the composite `Сделка`; settlements in
`ВзаиморасчетыСКонтрагентами`; prices in `ЦеныНоменклатуры` (`ТипЦен`); contact information
in the independent register `КонтактнаяИнформация`. Names: /work/shared/reference and
docs/onec-odata-notes.md. See `onec_sandbox.configs` for what a configuration module defines.
"""

from __future__ import annotations

import argparse
import base64
import random
import struct
import uuid
from decimal import Decimal
from typing import Any

from ..clerk import (
    VAT,
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
from ..posting import PostError
from ..posting import check_goods as _check_goods
from ..posting import filled as _filled
from ..posting import need_ref as _need_ref
from ..posting import qty_text as _q
from ..posting import write as _write
from ..posting import write_prices as _write_prices
from ..schema import EMPTY_REF, TYPE_PREFIX, Schema, catalog_code
from ..seed import (
    CATEGORIES,
    ORG_WORDS,
    SEED_DATE,
    UNITS,
    WAREHOUSES,
    Refs,
    clip,
    inn10,
    product_names,
    record,
    seed_party,
)
from ..state import SandboxState, money
from . import ClerkOps, Configuration

S = Schema()

# ---- catalogs -------------------------------------------------------------------------------

S.catalog("Catalog_Валюты", "НаименованиеПолное:s ПараметрыПрописиНаРусском:s", code_len=3)
S.catalog("Catalog_Организации",
          "Префикс:s НаименованиеПолное:s ЮрФизЛицо:e ИНН:s КПП:s ОГРН:s "
          "ОсновнойБанковскийСчет_Key:r")
S.catalog("Catalog_ВидыКонтактнойИнформации", "Тип:e ВидОбъектаКонтактнойИнформации:e")
S.catalog("Catalog_КлассификаторЕдиницИзмерения", "НаименованиеПолное:s", code_len=3)
S.catalog("Catalog_Склады",
          "ВидСклада:e ТипЦенРозничнойТорговли_Key:r=Catalog_ТипыЦенНоменклатуры "
          "Подразделение_Key:r НомерСекции:i РасчетРозничныхЦенПоТорговойНаценке:b Комментарий:s",
          hier=True)
S.catalog("Catalog_ТипыЦенНоменклатуры",
          "ВалютаЦены_Key:r=Catalog_Валюты БазовыйТипЦен_Key:r=Catalog_ТипыЦенНоменклатуры "
          "Рассчитывается:b ЦенаВключаетНДС:b ОкруглятьВБольшуюСторону:b ПроцентСкидкиНаценки:n2 "
          "ПорядокОкругления:e СпособРасчетаЦены:e Комментарий:s")
S.catalog("Catalog_Номенклатура",
          "Артикул:s НаименованиеПолное:s Услуга:b Набор:b ВестиУчетПоХарактеристикам:b "
          "ВестиУчетПоСериям:b "
          "БазоваяЕдиницаИзмерения_Key:r=Catalog_КлассификаторЕдиницИзмерения "
          "ЕдиницаХраненияОстатков_Key:r=Catalog_ЕдиницыИзмерения "
          "ЕдиницаДляОтчетов_Key:r=Catalog_ЕдиницыИзмерения СтавкаНДС:e "
          "ВидНоменклатуры_Key:r НоменклатурнаяГруппа_Key:r Комментарий:s",
          code_len=11, hier=True)  # `00000000001`: КА 1.1 prefixes no code (tests/sandbox/test_catalog_codes.py)
S.catalog("Catalog_ЕдиницыИзмерения",
          "ЕдиницаПоКлассификатору_Key:r=Catalog_КлассификаторЕдиницИзмерения Коэффициент:n3 "
          "Вес:n3 Объем:n3 ПорогОкругления:l ПредупреждатьОНецелыхМестах:b",
          owner="Catalog_Номенклатура", owner_composite=True)  # + НоменклатурныеГруппы: composite
S.catalog("Catalog_Контрагенты",
          "НаименованиеПолное:s ЮрФизЛицо:e ИНН:s КПП:s КодПоОКПО:s Покупатель:b Поставщик:b "
          "НеЯвляетсяРезидентом:b ГоловнойКонтрагент_Key:r=Catalog_Контрагенты "
          "ОсновнойДоговорКонтрагента_Key:r=Catalog_ДоговорыКонтрагентов "
          "ОсновнойБанковскийСчет_Key:r ОсновноеКонтактноеЛицо_Key:r Комментарий:s",
          hier=True)
S.catalog("Catalog_ДоговорыКонтрагентов",
          "Организация_Key:r=Catalog_Организации ВидДоговора:e ВедениеВзаиморасчетов:e "
          "ВалютаВзаиморасчетов_Key:r=Catalog_Валюты ТипЦен:c Номер:s Дата:d СрокДействия:d "
          "РасчетыВУсловныхЕдиницах:b ОбособленныйУчетТоваровПоЗаказамПокупателей:b "
          "ПроцентПредоплаты:n2 Комментарий:s",
          hier=True, owner="Catalog_Контрагенты")

# ---- documents ------------------------------------------------------------------------------

_GOODS_COMMON = (
    "Номенклатура_Key:r=Catalog_Номенклатура ХарактеристикаНоменклатуры_Key:r "
    "ЕдиницаИзмерения_Key:r=Catalog_ЕдиницыИзмерения ЕдиницаИзмеренияМест_Key:r "
    "Количество:n3 КоличествоМест:n3 Коэффициент:n3 Цена:n2 Сумма:n2 СтавкаНДС:e СуммаНДС:n2 "
    "ПроцентСкидкиНаценки:n2 ПроцентАвтоматическихСкидок:n2 КлючСтроки:i "
)
_SALE_HEADER = (
    "ВалютаДокумента_Key:r=Catalog_Валюты ДоговорКонтрагента_Key:r=Catalog_ДоговорыКонтрагентов "
    "Организация_Key:r=Catalog_Организации ТипЦен_Key:r=Catalog_ТипыЦенНоменклатуры "
    "КурсВзаиморасчетов:n4 КратностьВзаиморасчетов:l СуммаВключаетНДС:b УчитыватьНДС:b "
    "СуммаДокумента:n2 Ответственный_Key:r Подразделение_Key:r Комментарий:s "
)

S.document("Document_ЗаказПокупателя",
           "ВидОперации:e Контрагент_Key:r=Catalog_Контрагенты " + _SALE_HEADER +
           "ДатаОплаты:d ДатаОтгрузки:d АдресДоставки:s СкладГруппа:c ДокументОснование:c "
           "ОтражатьВБухгалтерскомУчете:b ОтражатьВНалоговомУчете:b СтруктурнаяЕдиница:c "
           "НомерПоДаннымПокупателя:s ДатаПоДаннымПокупателя:d",
           tps={"Товары": _GOODS_COMMON + "Размещение:c СерияНоменклатуры_Key:r"})
S.document("Document_СчетНаОплатуПокупателю",
           "Контрагент:c " + _SALE_HEADER +
           "ДатаОплаты:d ДатаОтгрузки:d АдресДоставки:s ЗаказПокупателя_Key:r=Document_ЗаказПокупателя "
           "Склад_Key:r=Catalog_Склады СтруктурнаяЕдиница:c КонтактноеЛицоКонтрагента:c",
           postable=False,
           tps={"Товары": _GOODS_COMMON + "ЗаказПокупателя_Key:r=Document_ЗаказПокупателя"})
S.document("Document_РеализацияТоваровУслуг",
           "ВидОперации:e Контрагент_Key:r=Catalog_Контрагенты " + _SALE_HEADER +
           "Склад_Key:r=Catalog_Склады Сделка:c АдресДоставки:s ОтражатьВУправленческомУчете:b "
           "ОтражатьВБухгалтерскомУчете:b ОтражатьВНалоговомУчете:b ОтключитьКонтрольВзаиморасчетов:b",
           tps={"Товары": _GOODS_COMMON + "ЗаказПокупателя_Key:r=Document_ЗаказПокупателя "
                          "СерияНоменклатуры_Key:r Качество_Key:r Склад_Key:r=Catalog_Склады"})
_PAY_ROWS = ("ДоговорКонтрагента_Key:r=Catalog_ДоговорыКонтрагентов Сделка:c КурсВзаиморасчетов:n4 "
             "СуммаПлатежа:n2 КратностьВзаиморасчетов:l СуммаВзаиморасчетов:n2 СтавкаНДС:e "
             "СуммаНДС:n2 СтатьяДвиженияДенежныхСредств_Key:r")
S.document("Document_ПлатежноеПоручениеВходящее",
           "ВидОперации:e Контрагент_Key:r=Catalog_Контрагенты "
           "ДоговорКонтрагента_Key:r=Catalog_ДоговорыКонтрагентов Организация_Key:r=Catalog_Организации "
           "ВалютаДокумента_Key:r=Catalog_Валюты СуммаДокумента:n2 ДатаОплаты:d Оплачено:b "
           "ДокументОснование:c НомерВходящегоДокумента:s ДатаВходящегоДокумента:d "
           "СчетОрганизации_Key:r СчетКонтрагента_Key:r НазначениеПлатежа:s Ответственный_Key:r "
           "Подразделение_Key:r ОтражатьВБухгалтерскомУчете:b ОтражатьВНалоговомУчете:b "
           "ЧастичнаяОплата:b Комментарий:s",
           tps={"РасшифровкаПлатежа": _PAY_ROWS})
S.document("Document_ПриходныйКассовыйОрдер",
           "ВидОперации:e Контрагент:c ДоговорКонтрагента_Key:r=Catalog_ДоговорыКонтрагентов "
           "Организация_Key:r=Catalog_Организации ВалютаДокумента_Key:r=Catalog_Валюты "
           "СуммаДокумента:n2 Касса_Key:r Оплачено:b ДокументОснование:c ПринятоОт:s Основание:s "
           "СтавкаНДС:e Ответственный_Key:r Подразделение_Key:r ОтражатьВУправленческомУчете:b "
           "ОтражатьВБухгалтерскомУчете:b ОтражатьВНалоговомУчете:b Комментарий:s",
           tps={"РасшифровкаПлатежа": _PAY_ROWS})
# The warehouse order of the order scheme (УПП 1.3.122.2 dump, Documents/РасходныйОрдерНаТовары.xml):
# the CRM writes it unposted as a shipment request, linked to the order by the composite header
# `ДокументПередачи` (one of its types is ЗаказПокупателя) and per row by `ДокументРезерва`;
# the warehouse posts it (the clerk's `post-shipment`) or marks it for deletion (`reject-shipment`).
S.document("Document_РасходныйОрдерНаТовары",
           "ВидОперации:e Организация_Key:r=Catalog_Организации Склад_Key:r=Catalog_Склады "
           "Контрагент_Key:r=Catalog_Контрагенты ДокументПередачи:c Подразделение_Key:r "
           "Ответственный_Key:r Комментарий:s",
           tps={"Товары": "Номенклатура_Key:r=Catalog_Номенклатура ХарактеристикаНоменклатуры_Key:r "
                          "СерияНоменклатуры_Key:r ЕдиницаИзмерения_Key:r=Catalog_ЕдиницыИзмерения "
                          "ЕдиницаИзмеренияМест_Key:r Количество:n3 КоличествоМест:n3 Коэффициент:n3 "
                          "СерияУказываетсяПриОтпускеСоСклада:b ДокументРезерва:c Качество_Key:r"})
S.document("Document_УстановкаЦенНоменклатуры",
           "Ответственный_Key:r Комментарий:s НеПроводитьНулевыеЗначения:b",
           tps={"Товары": "Номенклатура_Key:r=Catalog_Номенклатура ХарактеристикаНоменклатуры_Key:r "
                          "ТипЦен_Key:r=Catalog_ТипыЦенНоменклатуры Цена:n2 "
                          "Валюта_Key:r=Catalog_Валюты ЕдиницаИзмерения_Key:r=Catalog_ЕдиницыИзмерения "
                          "ПроцентСкидкиНаценки:n2 СпособРасчетаЦены:e"})
S.document("Document_ОприходованиеТоваров",
           "Организация_Key:r=Catalog_Организации Склад_Key:r=Catalog_Склады "
           "ТипЦен_Key:r=Catalog_ТипыЦенНоменклатуры Ответственный_Key:r Подразделение_Key:r "
           "Комментарий:s",
           tps={"Товары": "Номенклатура_Key:r=Catalog_Номенклатура ХарактеристикаНоменклатуры_Key:r "
                          "СерияНоменклатуры_Key:r ЕдиницаИзмерения_Key:r=Catalog_ЕдиницыИзмерения "
                          "Количество:n3 Коэффициент:n3 Цена:n2 Сумма:n2"})

# ---- registers ------------------------------------------------------------------------------

S.register("InformationRegister_КонтактнаяИнформация", "inforeg",
           "Объект:c Тип:e Вид:c Представление:s Поле1:s Поле2:s Поле3:s Поле4:s Поле5:s Поле6:s "
           "Поле7:s Поле8:s Поле9:s Поле10:s Комментарий:s ЗначениеПоУмолчанию:b")

# Views produced by virtual-table functions (not entity sets of their own: `GET X_Balance` → 6).
S.accumulation("ТоварыНаСкладах",
               "Склад_Key:r=Catalog_Склады Номенклатура_Key:r=Catalog_Номенклатура "
               "ХарактеристикаНоменклатуры_Key:r СерияНоменклатуры_Key:r Качество_Key:r "
               "КоличествоBalance:n3",
               {"Склад": ["Склад_Key"], "Номенклатура": ["Номенклатура_Key"],
                "ХарактеристикаНоменклатуры": ["ХарактеристикаНоменклатуры_Key"],
                "СерияНоменклатуры": ["СерияНоменклатуры_Key"], "Качество": ["Качество_Key"]},
               ["Количество"])
S.accumulation("ТоварыВРезервеНаСкладах",
               "Склад_Key:r=Catalog_Склады Номенклатура_Key:r=Catalog_Номенклатура "
               "ХарактеристикаНоменклатуры_Key:r ДокументРезерва:c СерияНоменклатуры_Key:r "
               "КоличествоBalance:n3",
               {"Склад": ["Склад_Key"], "Номенклатура": ["Номенклатура_Key"],
                "ХарактеристикаНоменклатуры": ["ХарактеристикаНоменклатуры_Key"],
                "ДокументРезерва": ["ДокументРезерва", "ДокументРезерва_Type"],
                "СерияНоменклатуры": ["СерияНоменклатуры_Key"]},
               ["Количество"])
S.accumulation("ВзаиморасчетыСКонтрагентами",
               "ДоговорКонтрагента_Key:r=Catalog_ДоговорыКонтрагентов Сделка:c "
               "Организация_Key:r=Catalog_Организации Контрагент_Key:r=Catalog_Контрагенты "
               "СуммаВзаиморасчетовBalance:n2 СуммаУпрBalance:n2",
               {"ДоговорКонтрагента": ["ДоговорКонтрагента_Key"],
                "Сделка": ["Сделка", "Сделка_Type"],
                "Организация": ["Организация_Key"], "Контрагент": ["Контрагент_Key"]},
               ["СуммаВзаиморасчетов", "СуммаУпр"])
S.prices("InformationRegister_ЦеныНоменклатуры",
         "Period:d ТипЦен_Key:r=Catalog_ТипыЦенНоменклатуры Номенклатура_Key:r=Catalog_Номенклатура "
         "ХарактеристикаНоменклатуры_Key:r Цена:n2 Валюта_Key:r=Catalog_Валюты "
         "ЕдиницаИзмерения_Key:r=Catalog_ЕдиницыИзмерения ПроцентСкидкиНаценки:n2 "
         "СпособРасчетаЦены:e",
         dims=["ТипЦен_Key", "Номенклатура_Key", "ХарактеристикаНоменклатуры_Key"],
         resources=["Цена", "Валюта_Key", "ЕдиницаИзмерения_Key", "ПроцентСкидкиНаценки",
                    "СпособРасчетаЦены"])

# ---- posting ----

ORDER = "Document_ЗаказПокупателя"
ORDER_TYPE = TYPE_PREFIX + ORDER
INVOICE_TYPE = TYPE_PREFIX + "Document_СчетНаОплатуПокупателю"
WAREHOUSE_TYPE = TYPE_PREFIX + "Catalog_Склады"
COUNTERPARTY_TYPE = TYPE_PREFIX + "Catalog_Контрагенты"


def _check_contract(st: SandboxState, rec: dict, party: str) -> dict:
    contract = _need_ref(st, rec, "ДоговорКонтрагента_Key", "Catalog_ДоговорыКонтрагентов",
                         "Договор контрагента")
    if contract.get("Owner_Key") != party:
        raise PostError("Выбранный договор не соответствует контрагенту документа")
    return contract


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
    _write_prices(st, ref, new)


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


def _post_warehouse_order(st: SandboxState, rec: dict, ref: str) -> None:
    """РасходныйОрдерНаТовары: the goods leave the warehouse (ТоварыНаСкладах −) and the order's
    reserve on it is written off (ТоварыВРезервеНаСкладах − by ДокументРезерва, the row's or the
    header's ДокументПередачи when that is an order). Stock may not go negative."""
    _need_ref(st, rec, "Организация_Key", "Catalog_Организации", "Организация")
    wh = _need_ref(st, rec, "Склад_Key", "Catalog_Склады", "Склад")["Ref_Key"]
    goods = _check_goods(st, rec)
    header_order = rec.get("ДокументПередачи") if rec.get("ДокументПередачи_Type") == ORDER_TYPE else None
    if _filled(header_order) and st.get(ORDER, header_order) is None:
        raise PostError("Документ передачи: заказ покупателя не найден")
    stock = st.acc["ТоварыНаСкладах"]
    reserve = st.acc["ТоварыВРезервеНаСкладах"]
    need: dict[tuple, Decimal] = {}
    stock_recs, reserve_recs = [], []
    left: dict[tuple, Decimal] = {}
    for r, prod in goods:
        q = Decimal(r["Количество"])
        dims = {"Склад_Key": wh, "Номенклатура_Key": prod["Ref_Key"],
                "ХарактеристикаНоменклатуры_Key": r.get("ХарактеристикаНоменклатуры_Key", EMPTY_REF),
                "СерияНоменклатуры_Key": r.get("СерияНоменклатуры_Key", EMPTY_REF),
                "Качество_Key": r.get("Качество_Key", EMPTY_REF)}
        key = tuple(dims[c] for c in stock.cols)
        need[key] = need.get(key, Decimal(0)) + q
        stock_recs.append((rec["Date"], -1, dims, [q]))
        order = r.get("ДокументРезерва") if r.get("ДокументРезерва_Type") == ORDER_TYPE and \
            _filled(r.get("ДокументРезерва")) else header_order
        if _filled(order):
            rdims = {"Склад_Key": wh, "Номенклатура_Key": prod["Ref_Key"],
                     "ХарактеристикаНоменклатуры_Key": dims["ХарактеристикаНоменклатуры_Key"],
                     "ДокументРезерва": order, "ДокументРезерва_Type": ORDER_TYPE,
                     "СерияНоменклатуры_Key": dims["СерияНоменклатуры_Key"]}
            rkey = tuple(rdims[c] for c in reserve.cols)
            if rkey not in left:
                have = reserve.balance_of(rkey)[0]
                for _p, s, k, vals in reserve.movements.get(ref, []):
                    if k == rkey:
                        have -= s * vals[0]
                left[rkey] = have
            take = min(left[rkey], q)
            if take > 0:
                left[rkey] -= take
                reserve_recs.append((rec["Date"], -1, rdims, [take]))
    for key, q in need.items():
        have = stock.balance_of(key)[0]
        for _p, s, k, vals in stock.movements.get(ref, []):
            if k == key:
                have -= s * vals[0]
        if have < q:
            prod = st.get("Catalog_Номенклатура", key[1]) or {}
            whobj = st.get("Catalog_Склады", key[0]) or {}
            raise PostError(f"Недостаточно остатка товара «{prod.get('Description', key[1])}» на "
                            f"складе «{whobj.get('Description', key[0])}»: требуется {_q(q)}, "
                            f"в наличии {_q(have)}")
    _write(st, "ТоварыНаСкладах", ref, stock_recs)
    _write(st, "ТоварыВРезервеНаСкладах", ref, reserve_recs)


_POSTERS = {
    "Document_ЗаказПокупателя": _post_order,
    "Document_РеализацияТоваровУслуг": _post_sale,
    "Document_ПлатежноеПоручениеВходящее": lambda st, rec, ref: _post_payment(st, rec, ref, False),
    "Document_ПриходныйКассовыйОрдер": lambda st, rec, ref: _post_payment(st, rec, ref, True),
    "Document_УстановкаЦенНоменклатуры": _post_prices,
    "Document_ОприходованиеТоваров": _post_receipt,
    "Document_РасходныйОрдерНаТовары": _post_warehouse_order,
}

# ---- seed ----

CONTACT_KINDS = [
    ("ЮрАдресКонтрагента", "Юридический адрес", "Адрес"),
    ("ФактАдресКонтрагента", "Фактический адрес", "Адрес"),
    ("ТелефонКонтрагента", "Телефон", "Телефон"),
    ("АдресЭлектроннойПочтыКонтрагентаДляОбменаДокументами", "Адрес электронной почты", "АдресЭлектроннойПочты"),
    ("АдресДоставкиКонтрагента", "Адрес доставки", "Адрес"),
]


def seed(st: SandboxState, products: int = 200, warehouses: int = 3, seed: int = 1,
         counterparties: int = 40, hostile: bool = False, variant: str = "") -> SandboxState:
    """Fill an empty state with a demo base. Deterministic for a given `seed`; `hostile` then
    puts the hostile text corpus into names, full names, comments and ИНН (see `hostile()`).
    КА 1.1 has no variants: `variant` is accepted and ignored."""
    rng = random.Random(seed)
    refs = Refs(random.Random(seed * 1_000_003 + 1))
    objects = st.objects

    def add(set_name: str, rec: dict) -> dict:
        rec["DataVersion"] = st.new_data_version()
        objects[set_name][rec["Ref_Key"]] = rec
        return rec

    rub = add("Catalog_Валюты", record(st, "Catalog_Валюты", Ref_Key=refs.new(), Code="643",
                                     Description="руб.", НаименованиеПолное="Российский рубль",
                                     ПараметрыПрописиНаРусском="рубль, рубля, рублей, м, "
                                                               "копейка, копейки, копеек, ж, 2"))
    add("Catalog_Валюты", record(st, "Catalog_Валюты", Ref_Key=refs.new(), Code="978",
                               Description="EUR", НаименованиеПолное="Евро"))
    org = add("Catalog_Организации", record(
        st, "Catalog_Организации", Ref_Key=refs.new(), Code="000000001",
        Description="ТД Альфа-Трейд", Префикс="ТД",
        НаименованиеПолное="Общество с ограниченной ответственностью «Торговый дом Альфа-Трейд»",
        ЮрФизЛицо="ЮрЛицо", ИНН="7701234566", КПП="770101001", ОГРН="1027700132195"))
    org["ИНН"] = inn10(rng)
    wholesale = add("Catalog_ТипыЦенНоменклатуры", record(
        st, "Catalog_ТипыЦенНоменклатуры", Ref_Key=refs.new(), Code="000000001", Description="Оптовая",
        ВалютаЦены_Key=rub["Ref_Key"], ЦенаВключаетНДС=True, ПорядокОкругления="Окр0_01",
        СпособРасчетаЦены="ПоЦенеПоставщика"))
    retail = add("Catalog_ТипыЦенНоменклатуры", record(
        st, "Catalog_ТипыЦенНоменклатуры", Ref_Key=refs.new(), Code="000000002", Description="Розничная",
        ВалютаЦены_Key=rub["Ref_Key"], ЦенаВключаетНДС=True, БазовыйТипЦен_Key=wholesale["Ref_Key"],
        ПроцентСкидкиНаценки=Decimal("25.00"), ПорядокОкругления="Окр1",
        СпособРасчетаЦены="ПоПроцентнойНаценкеНаБазовыйТип"))
    whs = []
    for i in range(warehouses):
        name = WAREHOUSES[i] if i < len(WAREHOUSES) else f"Склад № {i + 1}"
        kind = "Розничный" if "Розничный" in name else "Оптовый"
        whs.append(add("Catalog_Склады", record(
            st, "Catalog_Склады", Ref_Key=refs.new(), Code=f"{i + 1:09d}", Description=name,
            ВидСклада=kind,
            ТипЦенРозничнойТорговли_Key=retail["Ref_Key"] if kind == "Розничный" else EMPTY_REF)))
    classifier = {}
    for short, code, full in UNITS:
        classifier[short] = add("Catalog_КлассификаторЕдиницИзмерения", record(
            st, "Catalog_КлассификаторЕдиницИзмерения", Ref_Key=refs.new(), Code=code,
            Description=short, НаименованиеПолное=full))
    for i, (pname, descr, typ) in enumerate(CONTACT_KINDS):
        add("Catalog_ВидыКонтактнойИнформации", record(
            st, "Catalog_ВидыКонтактнойИнформации", Ref_Key=refs.new(), Code=f"{i + 1:09d}",
            Description=descr, Тип=typ, ВидОбъектаКонтактнойИнформации="Контрагенты",
            Predefined=True, PredefinedDataName=pname))
    kinds = {r["PredefinedDataName"]: r for r in objects["Catalog_ВидыКонтактнойИнформации"].values()}

    # products, one unit each (ЕдиницыИзмерения are owned by the product in КА 1.1)
    folders = []
    for i, cat in enumerate(CATEGORIES):
        folders.append(add("Catalog_Номенклатура", record(
            st, "Catalog_Номенклатура", Ref_Key=refs.new(), IsFolder=True,
            Code=catalog_code(S.entities["Catalog_Номенклатура"], i + 1),
            Description=cat.folder)))
    wh_keys = [w["Ref_Key"] for w in whs]
    stock = st.acc["ТоварыНаСкладах"]
    s_tot, s_idx = stock.totals, stock.index
    s_idx_w, s_idx_n = s_idx["Склад_Key"], s_idx["Номенклатура_Key"]
    for w in wh_keys:
        s_idx_w.setdefault(w, set())
    price_recs = st.prices
    dv = st.meta["dv"]
    units_set = objects["Catalog_ЕдиницыИзмерения"]
    prod_set = objects["Catalog_Номенклатура"]
    prod_fields = S.entities["Catalog_Номенклатура"].fields
    unit_fields = S.entities["Catalog_ЕдиницыИзмерения"].fields
    prod_defaults = {n: ft.default() for n, ft in prod_fields.items()}
    unit_defaults = {n: ft.default() for n, ft in unit_fields.items()}
    zero = Decimal(0)
    for n, (ci, name) in enumerate(product_names(products, seed), start=1):
        cat = CATEGORIES[ci]
        ref = refs.new()
        uref = refs.new()
        dv += 1
        p = dict(prod_defaults)
        p.update(Ref_Key=ref, DataVersion=base64.b64encode(struct.pack(">II", dv, 0)).decode(),
                 Parent_Key=folders[ci]["Ref_Key"],
                 Code=catalog_code(S.entities["Catalog_Номенклатура"], n + 100), Description=name,
                 Артикул=f"{cat.art}-{n:06d}", НаименованиеПолное=name, СтавкаНДС=cat.vat,
                 БазоваяЕдиницаИзмерения_Key=classifier[cat.unit]["Ref_Key"],
                 ЕдиницаХраненияОстатков_Key=uref, ЕдиницаДляОтчетов_Key=uref)
        prod_set[ref] = p
        dv += 1
        u = dict(unit_defaults)
        u.update(Ref_Key=uref, DataVersion=base64.b64encode(struct.pack(">II", dv, 0)).decode(),
                 Owner=ref, Owner_Type="StandardODATA.Catalog_Номенклатура", Code=f"{n:09d}", Description=cat.unit,
                 ЕдиницаПоКлассификатору_Key=classifier[cat.unit]["Ref_Key"],
                 Коэффициент=Decimal(1))
        units_set[uref] = u
        lo, hi = cat.price
        base_price = money(rng.uniform(lo, hi))
        for pt, price in ((wholesale, base_price),
                          (retail, money(base_price * Decimal("1.25"), 0))):
            price_recs.add({"Period": SEED_DATE, "ТипЦен_Key": pt["Ref_Key"],
                            "Номенклатура_Key": ref, "ХарактеристикаНоменклатуры_Key": EMPTY_REF,
                            "Цена": price, "Валюта_Key": rub["Ref_Key"],
                            "ЕдиницаИзмерения_Key": uref, "ПроцентСкидкиНаценки": zero,
                            "СпособРасчетаЦены": ""})
        nset = s_idx_n.setdefault(ref, set())
        for w in wh_keys:
            if rng.random() < 0.15:
                continue  # nothing on this warehouse: no register row at all, like 1C
            if cat.unit == "кг":
                q = Decimal(rng.randint(5, 4000)) / 10
            else:
                q = Decimal(rng.choice((1, 2, 3, 5, 8, 12, 20, 35, 50, 80, 120, 250, 600)))
            key = (w, ref, EMPTY_REF, EMPTY_REF, EMPTY_REF)
            s_tot[key] = [q]
            s_idx_w[w].add(key)
            nset.add(key)
    st.meta["dv"] = dv
    stock.max_period = SEED_DATE

    # counterparties with contracts and contact information
    for i in range(counterparties):
        ref = refs.new()
        who = seed_party(rng, i)
        descr, full, inn, kpp, address = who.name, who.full_name, who.inn, who.kpp, who.address
        kind = "ФизЛицо" if who.person else "ЮрЛицо"
        city, index = who.city, who.postcode
        cref = refs.new()
        add("Catalog_Контрагенты", record(
            st, "Catalog_Контрагенты", Ref_Key=ref, Code=f"{i + 1:09d}", Description=descr,
            НаименованиеПолное=full, ЮрФизЛицо=kind, ИНН=inn, КПП=kpp, Покупатель=True,
            ОсновнойДоговорКонтрагента_Key=cref))
        add("Catalog_ДоговорыКонтрагентов", record(
            st, "Catalog_ДоговорыКонтрагентов", Ref_Key=cref, Owner_Key=ref, Code=f"{i + 1:09d}",
            Description="Основной договор", Организация_Key=org["Ref_Key"],
            ВидДоговора="СПокупателем", ВедениеВзаиморасчетов="ПоЗаказам",
            ВалютаВзаиморасчетов_Key=rub["Ref_Key"], ТипЦен=wholesale["Ref_Key"],
            ТипЦен_Type="StandardODATA.Catalog_ТипыЦенНоменклатуры", Номер=f"Д-{i + 1:04d}",
            Дата="2024-12-01T00:00:00"))
        phone = f"+7 ({rng.randint(900, 999)}) {rng.randint(100, 999)}-{rng.randint(10, 99)}-{rng.randint(10, 99)}"
        email = f"info{i + 1}@{ORG_WORDS[i % len(ORG_WORDS)].lower()}-example.ru"
        email = "".join(ch if ch.isascii() else "x" for ch in email)
        for pname, value, extra in (("ЮрАдресКонтрагента", address, {"Поле1": index, "Поле3": city}),
                                    ("ФактАдресКонтрагента", address, {"Поле1": index, "Поле3": city}),
                                    ("ТелефонКонтрагента", phone, {}),
                                    ("АдресЭлектроннойПочтыКонтрагентаДляОбменаДокументами", email, {})):
            k = kinds[pname]
            rec = {n: ft.default() for n, ft in
                   S.entities["InformationRegister_КонтактнаяИнформация"].fields.items()}
            rec.update(Объект=ref, Объект_Type="StandardODATA.Catalog_Контрагенты", Тип=k["Тип"],
                       Вид=k["Ref_Key"], Вид_Type="StandardODATA.Catalog_ВидыКонтактнойИнформации",
                       Представление=value, **extra)
            st.contacts[st.contact_key(rec)] = rec
    st.meta["seed"] = {"products": products, "warehouses": warehouses, "seed": seed}
    if hostile:
        apply_hostile(st)
        st.meta["seed"]["hostile"] = True  # reopening the file regenerates the same texts
    return st


#: Orders with a hostile comment added by the hostile seed.
HOSTILE_ORDERS = 6


def apply_hostile(st: SandboxState) -> dict[str, list[str]]:
    """Put the hostile corpus (`onec_sandbox.hostile`) into a freshly seeded base.

    Deterministic: the i-th product, counterparty and unit (in code order) get the i-th corpus
    text, the warehouses and the retail price type the texts after them, and a few new unposted
    orders carry corpus comments. Codes, keys, the price type «Оптовая» and the first warehouse
    keep their values, so the CRM still syncs and the clerk's commands still find them.
    Returns the Ref_Keys changed, by entity set (for tests and the demo's log)."""
    from ..hostile import CORPUS

    texts = [t for _label, t in CORPUS]
    n = len(texts)
    changed: dict[str, list[str]] = {}

    def mark(set_name: str, rec: dict) -> None:
        changed.setdefault(set_name, []).append(rec["Ref_Key"])

    objects = st.objects
    products = sorted((p for p in objects["Catalog_Номенклатура"].values() if not p["IsFolder"]),
                      key=lambda p: p["Code"])
    units = objects["Catalog_ЕдиницыИзмерения"]
    for i, p in enumerate(products[:n]):
        p["Description"] = clip(texts[i])
        p["НаименованиеПолное"] = texts[i]
        mark("Catalog_Номенклатура", p)
        unit = units.get(p["ЕдиницаХраненияОстатков_Key"])
        if unit is not None:
            unit["Description"] = clip(texts[i], 25)
            mark("Catalog_ЕдиницыИзмерения", unit)
    parties = sorted(objects["Catalog_Контрагенты"].values(), key=lambda c: c["Code"])
    for i, c in enumerate(parties[:n]):
        c["Description"] = clip(texts[i])
        c["НаименованиеПолное"] = texts[i]
        c["Комментарий"] = texts[(i + 1) % n]
        if i % 3 == 0:  # ИНН and КПП are strings (12 and 9) in 1C: text that is no number
            c["ИНН"] = clip(texts[(i + 2) % n], 12)
            c["КПП"] = clip(texts[(i + 3) % n], 9)
        mark("Catalog_Контрагенты", c)
    warehouses = sorted(objects["Catalog_Склады"].values(), key=lambda w: w["Code"])
    for i, w in enumerate(warehouses[1:]):
        w["Description"] = clip(texts[i % n])
        mark("Catalog_Склады", w)
    for pt in objects["Catalog_ТипыЦенНоменклатуры"].values():
        if pt["Description"] != "Оптовая":
            pt["Description"] = clip(texts[1])
            mark("Catalog_ТипыЦенНоменклатуры", pt)
    _hostile_orders(st, parties, products, texts, mark)
    return changed


def _hostile_orders(st: SandboxState, parties: list[dict], products: list[dict], texts: list[str],
                    mark) -> None:
    """A few unposted customer orders whose comments come from the corpus."""
    objects = st.objects
    org = next(iter(objects["Catalog_Организации"].values()))
    rub = next(c for c in objects["Catalog_Валюты"].values() if c["Code"] == "643")
    wholesale = next(p for p in objects["Catalog_ТипыЦенНоменклатуры"].values()
                     if p["Description"] == "Оптовая")
    wh = min(objects["Catalog_Склады"].values(), key=lambda w: w["Code"])
    rng = random.Random(len(texts))
    refs = Refs(random.Random(7_000_003))
    prices = {key[1]: recs[-1]["Цена"] for key, recs in st.prices.records.items()
              if key[0] == wholesale["Ref_Key"] and recs}
    line_fields = S.entities["Document_ЗаказПокупателя"].table_parts["Товары"]
    for i in range(min(HOSTILE_ORDERS, len(parties), len(products))):
        cp = parties[i]
        p = products[(i * 5) % len(products)]
        price = prices.get(p["Ref_Key"], Decimal("100.00"))
        qty = Decimal(rng.randint(1, 9))
        total = money(price * qty)
        vat = money(total * 20 / 120) if p["СтавкаНДС"] == "НДС20" else money(total * 10 / 110)
        ref = refs.new()
        order = record(
            st, "Document_ЗаказПокупателя", Ref_Key=ref, Date=SEED_DATE,
            Number=st.next_number("Document_ЗаказПокупателя", SEED_DATE, org["Префикс"]),
            Контрагент_Key=cp["Ref_Key"],
            ДоговорКонтрагента_Key=cp["ОсновнойДоговорКонтрагента_Key"],
            Организация_Key=org["Ref_Key"], ВалютаДокумента_Key=rub["Ref_Key"],
            ТипЦен_Key=wholesale["Ref_Key"], КурсВзаиморасчетов=Decimal(1),
            КратностьВзаиморасчетов="1", СуммаВключаетНДС=True, УчитыватьНДС=True,
            СуммаДокумента=total, СкладГруппа=wh["Ref_Key"],
            СкладГруппа_Type="StandardODATA.Catalog_Склады",
            Комментарий=texts[(i * 4) % len(texts)])
        order["Товары"] = [{**{n: ft.default() for n, ft in line_fields.items()},
                            "Ref_Key": ref, "LineNumber": "1", "Номенклатура_Key": p["Ref_Key"],
                            "ЕдиницаИзмерения_Key": p["ЕдиницаХраненияОстатков_Key"],
                            "Количество": qty, "Коэффициент": Decimal(1), "Цена": price,
                            "Сумма": total, "СтавкаНДС": p["СтавкаНДС"], "СуммаНДС": vat,
                            "КлючСтроки": 1}]
        order["DataVersion"] = st.new_data_version()
        objects["Document_ЗаказПокупателя"][ref] = order
        mark("Document_ЗаказПокупателя", order)

# ---- the clerk ----



def payments_for(od: OData, order_refs: list[str]) -> dict[str, list[tuple[dict, Decimal]]]:
    """Posted bank and cash payments settled against each order: {order: [(doc, amount)]}."""
    out: dict[str, list[tuple[dict, Decimal]]] = {r: [] for r in order_refs}
    for set_name in ("Document_ПлатежноеПоручениеВходящее", "Document_ПриходныйКассовыйОрдер"):
        for chunk in or_chunks(order_refs):
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
    for chunk in or_chunks(order_refs):
        cond = " or ".join(f"Сделка eq cast(guid'{r}','{ORDER}')" for r in chunk)
        docs = od.list("Document_РеализацияТоваровУслуг", **{
            "$filter": f"Posted eq true and ({cond})",
            "$select": "Ref_Key,Number,Date,Сделка,Сделка_Type,Товары"})
        for d in docs:
            if d.get("Сделка") in out:
                out[d["Сделка"]].append(d)
    return out


def cmd_orders(od: OData, args: argparse.Namespace) -> int:
    return deals_table(od, args, set_name=ORDER, client_key="Контрагент_Key",
                       client_set="Catalog_Контрагенты", client_title="Клиент",
                       empty="Заказов покупателей нет.", payments=payments_for,
                       shipments=shipments_for)


def cmd_post(od: OData, args: argparse.Namespace, action: str) -> int:
    return post_deal(od, args, action, ORDER, "Заказ")


def cmd_pay(od: OData, args: argparse.Namespace) -> int:
    order = find_order(od, ORDER, args.order)
    amount = amount_arg(args.amount)
    rate = max((VAT.get(r.get("СтавкаНДС", ""), 0) for r in order["Товары"]), default=20)
    vat_rate = {20: "НДС20", 18: "НДС18", 10: "НДС10"}.get(rate, "БезНДС")
    row = {"LineNumber": "1", "ДоговорКонтрагента_Key": order["ДоговорКонтрагента_Key"],
           "Сделка": order["Ref_Key"], "Сделка_Type": ORDER_TYPE, "КурсВзаиморасчетов": 1,
           "КратностьВзаиморасчетов": "1", "СуммаПлатежа": float(amount),
           "СуммаВзаиморасчетов": float(amount), "СтавкаНДС": vat_rate,
           "СуммаНДС": float(money(amount * rate / (100 + rate)))}
    body: dict[str, Any] = {
        "Ref_Key": str(uuid.uuid4()), "Date": document_date(args), "ВидОперации": "ОплатаПокупателя",
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
        body.update({"Контрагент_Key": order["Контрагент_Key"], "ДатаОплаты": document_date(args),
                     "НазначениеПлатежа": f"Оплата по заказу покупателя № {order['Number']}"})
    doc = od.create(set_name, body)
    od.action(set_name, doc["Ref_Key"], "Post")
    kind = "ПКО" if args.cash else "Платежное поручение входящее"
    say(f"{kind} {doc['Number']} на {amount} по заказу {order['Number']}: проведен")
    return 0


def cmd_ship(od: OData, args: argparse.Namespace) -> int:
    order = find_order(od, ORDER, args.order)
    ships = shipments_for(od, [order["Ref_Key"]])[order["Ref_Key"]]
    remaining = remaining_by_line(order, ships)
    wanted = lines_to_ship(args, remaining, "в заказе", f"по заказу {order['Number']}")
    if args.warehouse:
        wh = warehouse_by_name(od, args.warehouse)["Ref_Key"]
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
    body = {"Ref_Key": str(uuid.uuid4()), "Date": document_date(args), "Организация_Key": order["Организация_Key"],
            "Контрагент_Key": order["Контрагент_Key"],
            "ДоговорКонтрагента_Key": order["ДоговорКонтрагента_Key"],
            "ВалютаДокумента_Key": order["ВалютаДокумента_Key"], "ТипЦен_Key": order["ТипЦен_Key"],
            "СуммаВключаетНДС": order.get("СуммаВключаетНДС", True),
            "УчитыватьНДС": order.get("УчитыватьНДС", True), "КурсВзаиморасчетов": 1,
            "КратностьВзаиморасчетов": "1", "Склад_Key": wh, "Сделка": order["Ref_Key"],
            "Сделка_Type": ORDER_TYPE, "СуммаДокумента": float(total), "Товары": rows,
            "Комментарий": f"Отгрузка по заказу {order['Number']}"}
    return post_sale(od, "Document_РеализацияТоваровУслуг", body, wanted, f"по заказу {order['Number']}")


WAREHOUSE_ORDER = "Document_РасходныйОрдерНаТовары"


#: The warehouse's answer to a shipment request (an unposted РасходныйОрдерНаТовары linked to the
#: order by ДокументПередачи): posting it ships the goods and writes the order's reserve off.
cmd_shipment_request = shipment_request_answer(WAREHOUSE_ORDER, "ДокументПередачи", ORDER,
                                               "Расходный ордер", lambda od, token: find_order(od, ORDER, token))


def cmd_price(od: OData, args: argparse.Namespace) -> int:
    return set_price(od, args, kinds_set="Catalog_ТипыЦенНоменклатуры", kind_word="тип цен",
                     line=lambda prod, kind: {
                         "ТипЦен_Key": kind["Ref_Key"], "Валюта_Key": kind["ВалютаЦены_Key"],
                         "ЕдиницаИзмерения_Key": prod["ЕдиницаХраненияОстатков_Key"]})


def cmd_receive(od: OData, args: argparse.Namespace) -> int:
    return receive_goods(od, args, document="Document_ОприходованиеТоваров",
                         line=lambda prod: {"ЕдиницаИзмерения_Key": prod["ЕдиницаХраненияОстатков_Key"],
                                            "Коэффициент": 1})

CONFIGURATION = Configuration(
    name="ka1",
    title="1С:Комплексная автоматизация 1.1 (УТ 10.3, УПП 1.3)",
    schema=S,
    posters=_POSTERS,
    seed=seed,
    clerk=ClerkOps(orders=cmd_orders, post=cmd_post, pay=cmd_pay, ship=cmd_ship,
                   price=cmd_price, receive=cmd_receive, shipment_request=cmd_shipment_request),
    marker="Document_ЗаказПокупателя",
    contact_register="InformationRegister_КонтактнаяИнформация",
    enums={
        "СтавкаНДС": frozenset({"НДС20", "НДС20_120", "НДС10", "НДС10_110", "НДС0", "БезНДС",
                                "НДС18", "НДС18_118", "НДС5", "НДС5_105", "НДС7", "НДС7_107",
                                "НДС22", "НДС22_122"}),
        "ЮрФизЛицо": frozenset({"ЮрЛицо", "ФизЛицо"}),
        "ВидДоговора": frozenset({"СПоставщиком", "СПокупателем", "СКомитентом",
                                  "СКомиссионером", "Прочее"}),
        "ВедениеВзаиморасчетов": frozenset({"ПоДоговоруВЦелом", "ПоЗаказам", "ПоСчетам"}),
        "Тип": frozenset({"Адрес", "Телефон", "АдресЭлектроннойПочты", "ВебСтраница", "Другое"}),
    },
)
