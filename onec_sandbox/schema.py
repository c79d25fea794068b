"""Metadata of the sandbox base: the КА 1.1 objects the CRM talks to, with their exact names.

Why a table of types and not free-form dicts: 1C is strict about what exists (unknown
property → code 10, unknown entity → code 6) and about how each type is rendered in JSON
(Int64 as strings, empty refs, composite `X`+`X_Type`). Every rule of the wire format is
driven from this one description, so the sandbox cannot drift from itself.

Type codes used in the compact specs below:
  s  string                      b  boolean            e  enum (member name, "" = empty)
  d  date ("0001-01-01T00:00:00" = empty)
  n2/n3/n4  Edm.Double with that many fraction digits (Decimal inside, JSON number outside)
  i  Edm.Int32 (JSON number)     l  Edm.Int64 (JSON *string*, like 1C)
  r=Target  reference (field name ends in _Key, empty = zero guid)
  c  composite: the field `X` holds the value, `X_Type` holds "StandardODATA.<Type>"
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

EMPTY_REF = "00000000-0000-0000-0000-000000000000"
EMPTY_DATE = "0001-01-01T00:00:00"
UNDEFINED_TYPE = "StandardODATA.Undefined"
TYPE_PREFIX = "StandardODATA."


@dataclass(frozen=True)
class FieldType:
    """One property type. `kind` is one of s b e d n i l r c t (t = composite's _Type part)."""

    kind: str
    scale: int = 0
    target: str | None = None

    def default(self):
        """The value 1C shows for a never-filled property of this type."""
        k = self.kind
        if k in ("s", "e"):
            return ""
        if k == "b":
            return False
        if k == "d":
            return EMPTY_DATE
        if k == "n":
            return Decimal(0)
        if k == "i":
            return 0
        if k == "l":
            return "0"
        if k == "r":
            return EMPTY_REF
        if k == "c":
            return ""
        if k == "t":
            return UNDEFINED_TYPE
        raise ValueError(k)


def parse_type(code: str) -> FieldType:
    if code.startswith("r="):
        return FieldType("r", target=code[2:])
    if code == "r":
        return FieldType("r")
    if code[0] == "n":
        return FieldType("n", scale=int(code[1:] or 2))
    return FieldType(code)


def parse_fields(spec: str) -> dict[str, FieldType]:
    """'A:s B_Key:r=Catalog_X C:c' → ordered {name: type}; composites add their `_Type` twin."""
    out: dict[str, FieldType] = {}
    for item in spec.split():
        name, code = item.split(":", 1)
        ft = parse_type(code)
        out[name] = ft
        if ft.kind == "c":
            out[name + "_Type"] = FieldType("t")
    return out


@dataclass
class EntityDef:
    """An entity set (catalog, document, table part collection, register view)."""

    name: str
    kind: str  # catalog | document | tabular | inforeg | balance | slice
    fields: dict[str, FieldType]
    table_parts: dict[str, dict[str, FieldType]] = field(default_factory=dict)
    code_len: int = 0
    hierarchical: bool = False
    owner: str | None = None
    postable: bool = False
    number_len: int = 11
    parent: str | None = None  # for table-part collections: the owning document set
    tp_name: str | None = None

    def all_props(self) -> dict[str, FieldType]:
        return self.fields

    def field_type(self, name: str) -> FieldType | None:
        return self.fields.get(name)


ENTITIES: dict[str, EntityDef] = {}


def _catalog(name: str, attrs: str, *, code_len: int = 9, hier: bool = False,
             owner: str | None = None, tps: dict[str, str] | None = None) -> EntityDef:
    spec = "Ref_Key:r DataVersion:s DeletionMark:b"
    if owner:
        spec += f" Owner_Key:r={owner}"
    if hier:
        spec += f" Parent_Key:r={name} IsFolder:b"
    spec += " Code:s Description:s " + attrs
    fields = parse_fields(spec)
    tparts = {k: _tp_fields(v) for k, v in (tps or {}).items()}
    fields.update(parse_fields("Predefined:b PredefinedDataName:s"))
    ent = EntityDef(name, "catalog", fields, tparts, code_len=code_len, hierarchical=hier,
                    owner=owner)
    ENTITIES[name] = ent
    return ent


def _tp_fields(spec: str) -> dict[str, FieldType]:
    return parse_fields("Ref_Key:r LineNumber:l " + spec)


def _document(name: str, attrs: str, *, postable: bool = True,
              tps: dict[str, str] | None = None) -> EntityDef:
    fields = parse_fields("Ref_Key:r DataVersion:s DeletionMark:b Number:s Date:d Posted:b " + attrs)
    tparts = {k: _tp_fields(v) for k, v in (tps or {}).items()}
    ent = EntityDef(name, "document", fields, tparts, postable=postable)
    ENTITIES[name] = ent
    for tp, tfields in tparts.items():
        ENTITIES[f"{name}_{tp}"] = EntityDef(f"{name}_{tp}", "tabular", tfields, parent=name,
                                             tp_name=tp)
    return ent


def _register(name: str, kind: str, spec: str) -> EntityDef:
    ent = EntityDef(name, kind, parse_fields(spec))
    ENTITIES[name] = ent
    return ent


# ---- catalogs -------------------------------------------------------------------------------

_catalog("Catalog_Валюты", "НаименованиеПолное:s ПараметрыПрописиНаРусском:s", code_len=3)
_catalog("Catalog_Организации",
         "Префикс:s НаименованиеПолное:s ЮрФизЛицо:e ИНН:s КПП:s ОГРН:s "
         "ОсновнойБанковскийСчет_Key:r")
_catalog("Catalog_ВидыКонтактнойИнформации", "Тип:e ВидОбъектаКонтактнойИнформации:e")
_catalog("Catalog_КлассификаторЕдиницИзмерения", "НаименованиеПолное:s", code_len=3)
_catalog("Catalog_Склады",
         "ВидСклада:e ТипЦенРозничнойТорговли_Key:r=Catalog_ТипыЦенНоменклатуры "
         "Подразделение_Key:r НомерСекции:i РасчетРозничныхЦенПоТорговойНаценке:b Комментарий:s",
         hier=True)
_catalog("Catalog_ТипыЦенНоменклатуры",
         "ВалютаЦены_Key:r=Catalog_Валюты БазовыйТипЦен_Key:r=Catalog_ТипыЦенНоменклатуры "
         "Рассчитывается:b ЦенаВключаетНДС:b ОкруглятьВБольшуюСторону:b ПроцентСкидкиНаценки:n2 "
         "ПорядокОкругления:e СпособРасчетаЦены:e Комментарий:s")
_catalog("Catalog_Номенклатура",
         "Артикул:s НаименованиеПолное:s Услуга:b Набор:b ВестиУчетПоХарактеристикам:b "
         "ВестиУчетПоСериям:b "
         "БазоваяЕдиницаИзмерения_Key:r=Catalog_КлассификаторЕдиницИзмерения "
         "ЕдиницаХраненияОстатков_Key:r=Catalog_ЕдиницыИзмерения "
         "ЕдиницаДляОтчетов_Key:r=Catalog_ЕдиницыИзмерения СтавкаНДС:e "
         "ВидНоменклатуры_Key:r НоменклатурнаяГруппа_Key:r Комментарий:s",
         code_len=11, hier=True)
_catalog("Catalog_ЕдиницыИзмерения",
         "ЕдиницаПоКлассификатору_Key:r=Catalog_КлассификаторЕдиницИзмерения Коэффициент:n3 "
         "Вес:n3 Объем:n3 ПорогОкругления:l ПредупреждатьОНецелыхМестах:b",
         owner="Catalog_Номенклатура")
_catalog("Catalog_Контрагенты",
         "НаименованиеПолное:s ЮрФизЛицо:e ИНН:s КПП:s КодПоОКПО:s Покупатель:b Поставщик:b "
         "НеЯвляетсяРезидентом:b ГоловнойКонтрагент_Key:r=Catalog_Контрагенты "
         "ОсновнойДоговорКонтрагента_Key:r=Catalog_ДоговорыКонтрагентов "
         "ОсновнойБанковскийСчет_Key:r ОсновноеКонтактноеЛицо_Key:r Комментарий:s",
         hier=True)
_catalog("Catalog_ДоговорыКонтрагентов",
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

_document("Document_ЗаказПокупателя",
          "ВидОперации:e Контрагент_Key:r=Catalog_Контрагенты " + _SALE_HEADER +
          "ДатаОплаты:d ДатаОтгрузки:d АдресДоставки:s СкладГруппа:c ДокументОснование:c "
          "ОтражатьВБухгалтерскомУчете:b ОтражатьВНалоговомУчете:b СтруктурнаяЕдиница:c "
          "НомерПоДаннымПокупателя:s ДатаПоДаннымПокупателя:d",
          tps={"Товары": _GOODS_COMMON + "Размещение:c СерияНоменклатуры_Key:r"})
_document("Document_СчетНаОплатуПокупателю",
          "Контрагент:c " + _SALE_HEADER +
          "ДатаОплаты:d ДатаОтгрузки:d АдресДоставки:s ЗаказПокупателя_Key:r=Document_ЗаказПокупателя "
          "Склад_Key:r=Catalog_Склады СтруктурнаяЕдиница:c КонтактноеЛицоКонтрагента:c",
          postable=False,
          tps={"Товары": _GOODS_COMMON + "ЗаказПокупателя_Key:r=Document_ЗаказПокупателя"})
_document("Document_РеализацияТоваровУслуг",
          "ВидОперации:e Контрагент_Key:r=Catalog_Контрагенты " + _SALE_HEADER +
          "Склад_Key:r=Catalog_Склады Сделка:c АдресДоставки:s ОтражатьВУправленческомУчете:b "
          "ОтражатьВБухгалтерскомУчете:b ОтражатьВНалоговомУчете:b ОтключитьКонтрольВзаиморасчетов:b",
          tps={"Товары": _GOODS_COMMON + "ЗаказПокупателя_Key:r=Document_ЗаказПокупателя "
                         "СерияНоменклатуры_Key:r Качество_Key:r Склад_Key:r=Catalog_Склады"})
_PAY_ROWS = ("ДоговорКонтрагента_Key:r=Catalog_ДоговорыКонтрагентов Сделка:c КурсВзаиморасчетов:n4 "
             "СуммаПлатежа:n2 КратностьВзаиморасчетов:l СуммаВзаиморасчетов:n2 СтавкаНДС:e "
             "СуммаНДС:n2 СтатьяДвиженияДенежныхСредств_Key:r")
_document("Document_ПлатежноеПоручениеВходящее",
          "ВидОперации:e Контрагент_Key:r=Catalog_Контрагенты "
          "ДоговорКонтрагента_Key:r=Catalog_ДоговорыКонтрагентов Организация_Key:r=Catalog_Организации "
          "ВалютаДокумента_Key:r=Catalog_Валюты СуммаДокумента:n2 ДатаОплаты:d Оплачено:b "
          "ДокументОснование:c НомерВходящегоДокумента:s ДатаВходящегоДокумента:d "
          "СчетОрганизации_Key:r СчетКонтрагента_Key:r НазначениеПлатежа:s Ответственный_Key:r "
          "Подразделение_Key:r ОтражатьВБухгалтерскомУчете:b ОтражатьВНалоговомУчете:b "
          "ЧастичнаяОплата:b Комментарий:s",
          tps={"РасшифровкаПлатежа": _PAY_ROWS})
_document("Document_ПриходныйКассовыйОрдер",
          "ВидОперации:e Контрагент:c ДоговорКонтрагента_Key:r=Catalog_ДоговорыКонтрагентов "
          "Организация_Key:r=Catalog_Организации ВалютаДокумента_Key:r=Catalog_Валюты "
          "СуммаДокумента:n2 Касса_Key:r Оплачено:b ДокументОснование:c ПринятоОт:s Основание:s "
          "СтавкаНДС:e Ответственный_Key:r Подразделение_Key:r ОтражатьВУправленческомУчете:b "
          "ОтражатьВБухгалтерскомУчете:b ОтражатьВНалоговомУчете:b Комментарий:s",
          tps={"РасшифровкаПлатежа": _PAY_ROWS})
_document("Document_УстановкаЦенНоменклатуры",
          "Ответственный_Key:r Комментарий:s НеПроводитьНулевыеЗначения:b",
          tps={"Товары": "Номенклатура_Key:r=Catalog_Номенклатура ХарактеристикаНоменклатуры_Key:r "
                         "ТипЦен_Key:r=Catalog_ТипыЦенНоменклатуры Цена:n2 "
                         "Валюта_Key:r=Catalog_Валюты ЕдиницаИзмерения_Key:r=Catalog_ЕдиницыИзмерения "
                         "ПроцентСкидкиНаценки:n2 СпособРасчетаЦены:e"})
_document("Document_ОприходованиеТоваров",
          "Организация_Key:r=Catalog_Организации Склад_Key:r=Catalog_Склады "
          "ТипЦен_Key:r=Catalog_ТипыЦенНоменклатуры Ответственный_Key:r Подразделение_Key:r "
          "Комментарий:s",
          tps={"Товары": "Номенклатура_Key:r=Catalog_Номенклатура ХарактеристикаНоменклатуры_Key:r "
                         "СерияНоменклатуры_Key:r ЕдиницаИзмерения_Key:r=Catalog_ЕдиницыИзмерения "
                         "Количество:n3 Коэффициент:n3 Цена:n2 Сумма:n2"})

# ---- registers ------------------------------------------------------------------------------

_register("InformationRegister_КонтактнаяИнформация", "inforeg",
          "Объект:c Тип:e Вид:c Представление:s Поле1:s Поле2:s Поле3:s Поле4:s Поле5:s Поле6:s "
          "Поле7:s Поле8:s Поле9:s Поле10:s Комментарий:s ЗначениеПоУмолчанию:b")

# Views produced by virtual-table functions (not entity sets of their own: `GET X_Balance` → 6).
_register("AccumulationRegister_ТоварыНаСкладах/Balance", "balance",
          "Склад_Key:r=Catalog_Склады Номенклатура_Key:r=Catalog_Номенклатура "
          "ХарактеристикаНоменклатуры_Key:r СерияНоменклатуры_Key:r Качество_Key:r "
          "КоличествоBalance:n3")
_register("AccumulationRegister_ТоварыВРезервеНаСкладах/Balance", "balance",
          "Склад_Key:r=Catalog_Склады Номенклатура_Key:r=Catalog_Номенклатура "
          "ХарактеристикаНоменклатуры_Key:r ДокументРезерва:c СерияНоменклатуры_Key:r "
          "КоличествоBalance:n3")
_register("AccumulationRegister_ВзаиморасчетыСКонтрагентами/Balance", "balance",
          "ДоговорКонтрагента_Key:r=Catalog_ДоговорыКонтрагентов Сделка:c "
          "Организация_Key:r=Catalog_Организации Контрагент_Key:r=Catalog_Контрагенты "
          "СуммаВзаиморасчетовBalance:n2 СуммаУпрBalance:n2")
_register("InformationRegister_ЦеныНоменклатуры_RecordType/SliceLast", "slice",
          "Period:d ТипЦен_Key:r=Catalog_ТипыЦенНоменклатуры Номенклатура_Key:r=Catalog_Номенклатура "
          "ХарактеристикаНоменклатуры_Key:r Цена:n2 Валюта_Key:r=Catalog_Валюты "
          "ЕдиницаИзмерения_Key:r=Catalog_ЕдиницыИзмерения ПроцентСкидкиНаценки:n2 "
          "СпособРасчетаЦены:e")
# SliceFirst has the same row shape.
ENTITIES["InformationRegister_ЦеныНоменклатуры_RecordType/SliceFirst"] = EntityDef(
    "InformationRegister_ЦеныНоменклатуры_RecordType/SliceFirst", "slice",
    ENTITIES["InformationRegister_ЦеныНоменклатуры_RecordType/SliceLast"].fields)

#: Accumulation registers: dimension name → wire columns, resources.
ACC_REGISTERS: dict[str, tuple[dict[str, list[str]], list[str]]] = {
    "ТоварыНаСкладах": (
        {"Склад": ["Склад_Key"], "Номенклатура": ["Номенклатура_Key"],
         "ХарактеристикаНоменклатуры": ["ХарактеристикаНоменклатуры_Key"],
         "СерияНоменклатуры": ["СерияНоменклатуры_Key"], "Качество": ["Качество_Key"]},
        ["Количество"]),
    "ТоварыВРезервеНаСкладах": (
        {"Склад": ["Склад_Key"], "Номенклатура": ["Номенклатура_Key"],
         "ХарактеристикаНоменклатуры": ["ХарактеристикаНоменклатуры_Key"],
         "ДокументРезерва": ["ДокументРезерва", "ДокументРезерва_Type"],
         "СерияНоменклатуры": ["СерияНоменклатуры_Key"]},
        ["Количество"]),
    "ВзаиморасчетыСКонтрагентами": (
        {"ДоговорКонтрагента": ["ДоговорКонтрагента_Key"], "Сделка": ["Сделка", "Сделка_Type"],
         "Организация": ["Организация_Key"], "Контрагент": ["Контрагент_Key"]},
        ["СуммаВзаиморасчетов", "СуммаУпр"]),
}

PRICE_DIMS = ["ТипЦен_Key", "Номенклатура_Key", "ХарактеристикаНоменклатуры_Key"]
PRICE_RES = ["Цена", "Валюта_Key", "ЕдиницаИзмерения_Key", "ПроцентСкидкиНаценки",
             "СпособРасчетаЦены"]

#: Entity sets that hold objects (what POST/PATCH/DELETE work on).
OBJECT_SETS = [n for n, e in ENTITIES.items() if e.kind in ("catalog", "document")]
