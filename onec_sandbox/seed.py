"""Believable, deterministic demo data for the sandbox base.

Why combinatorial lists: the demo must look like a real Russian trading company (names an
operator recognises), yet the same generator must produce 100k distinct products for load
tests in seconds. Names are built as kind × brand × variant × size per category, walked in a
seeded order, round-robin across categories so that even 200 products cover every shelf.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from decimal import Decimal

from .schema import EMPTY_REF, ENTITIES
from .state import SandboxState, money

SEED_DATE = "2025-01-01T00:00:00"
RUB = "RUB"


@dataclass(frozen=True)
class Category:
    folder: str
    vat: str
    unit: str  # шт кг л упак
    art: str
    kinds: tuple[str, ...]
    brands: tuple[str, ...]
    v1: tuple[str, ...]
    v2: tuple[str, ...]
    price: tuple[int, int]

    @property
    def size(self) -> int:
        return len(self.kinds) * len(self.brands) * len(self.v1) * len(self.v2)

    def name(self, i: int) -> str:
        i, a = divmod(i, len(self.kinds))
        i, b = divmod(i, len(self.brands))
        i, c = divmod(i, len(self.v1))
        d = i % len(self.v2)
        parts = [self.kinds[a], self.brands[b], self.v1[c], self.v2[d]]
        return " ".join(p for p in parts if p)


def _t(s: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in s.split("|"))


CATEGORIES: list[Category] = [
    Category("Молочная продукция", "НДС10", "шт", "МЛК",
             _t("Молоко|Кефир|Ряженка|Йогурт питьевой|Снежок|Варенец|Ацидофилин|Простокваша|"
                "Молоко топлёное|Коктейль молочный"),
             _t("Простоквашино|Домик в деревне|Вкуснотеево|Савушкин|Parmalat|Весёлый молочник|"
                "Село Зелёное|Эконива|Любимый|Брест-Литовск"),
             _t("1%|1,5%|2,5%|3,2%|3,5%|4%|6%"), _t("0,5 л|0,9 л|0,93 л|1 л|1,4 л|2 л"),
             (45, 180)),
    Category("Кофе и чай", "НДС10", "упак", "КФЧ",
             _t("Кофе молотый|Кофе в зёрнах|Кофе растворимый|Чай чёрный|Чай зелёный|"
                "Чай травяной|Кофе в капсулах|Какао-порошок"),
             _t("Жокей|Jacobs|Lavazza|Nescafe|Черная карта|Живой кофе|Lipton|Greenfield|"
                "Ahmad Tea|Curtis|Майский|Tess"),
             _t("классический|арабика|крепкий|мягкий|с бергамотом|эспрессо|премиум"),
             _t("100 г|250 г|500 г|1 кг|25 пак.|100 пак."), (120, 1600)),
    Category("Бакалея", "НДС10", "упак", "БКЛ",
             _t("Гречка|Рис круглозёрный|Рис длиннозёрный|Пшено|Овсяные хлопья|"
                "Макароны спагетти|Макароны рожки|Мука пшеничная|Сахар-песок|Соль поваренная"),
             _t("Мистраль|Увелка|Макфа|Агро-Альянс|Националь|Barilla|Шебекинские|Ярмарка|"
                "Угличе Поле|Makfa"),
             _t("высший сорт|первый сорт|экстра|пропаренный|быстрого приготовления"),
             _t("400 г|800 г|900 г|1 кг|2 кг|5 кг"), (40, 450)),
    Category("Канцтовары", "НДС20", "шт", "КНЦ",
             _t("Ручка шариковая|Ручка гелевая|Карандаш чернографитный|Маркер текстовыделитель|"
                "Тетрадь 48 л.|Блокнот А5|Папка-регистратор|Бумага офисная А4|Степлер|"
                "Скобы для степлера|Клей-карандаш|Корректор"),
             _t("Erich Krause|Berlingo|Brauberg|Attache|Pilot|BIC|Stabilo|Koh-i-Noor|Hatber|"
                "SvetoCopy"),
             _t("синяя|чёрная|красная|зелёная|ассорти"),
             _t("1 шт|4 шт|10 шт|12 шт|24 шт|50 шт"), (15, 900)),
    Category("Электроинструмент", "НДС20", "шт", "ЭИН",
             _t("Дрель ударная|Шуруповёрт аккумуляторный|Перфоратор|Угловая шлифмашина|"
                "Лобзик электрический|Пила циркулярная|Шлифмашина эксцентриковая|"
                "Фен строительный|Миксер строительный|Рубанок электрический|Гайковёрт ударный|"
                "Реноватор"),
             _t("Bosch|Makita|DeWALT|Metabo|Интерскол|Зубр|Hitachi|AEG|Ryobi|Калибр|Вихрь|Elitech"),
             _t("GSB|GSR|HP|DWD|SB|ДУ|ПЭ|ЛЭ|PS|BS"),
             tuple(str(n) for n in range(100, 1000, 10)),
             (2500, 32000)),
    Category("Строительные смеси и краски", "НДС20", "шт", "СТР",
             _t("Цемент М500|Штукатурка гипсовая|Шпаклёвка финишная|Клей плиточный|"
                "Грунтовка глубокого проникновения|Наливной пол|Пена монтажная|"
                "Герметик силиконовый|Краска водоэмульсионная|Эмаль ПФ-115"),
             _t("Knauf|Ceresit|Волма|Старатели|Юнис|Основит|Bergauf|Тиккурила|Dulux|Tytan"),
             _t("белый|серый|бесцветный|морозостойкий|влагостойкий|быстросохнущий"),
             _t("0,75 л|2,5 л|5 кг|10 кг|25 кг|30 кг|750 мл"), (180, 2900)),
    Category("Крепёж", "НДС20", "упак", "КРП",
             _t("Саморез по дереву|Саморез по металлу|Дюбель распорный|Шуруп универсальный|"
                "Болт с гайкой|Анкерный болт|Гвозди строительные|Заклёпка вытяжная"),
             _t("Зубр|Стройбат|Fischer|Sormat|Tech-Krep|Хортер"),
             _t("3,5×25|3,5×35|4×40|4,2×50|5×60|6×80|8×100|10×120"),
             _t("100 шт|200 шт|500 шт|1 кг"), (90, 1400)),
    Category("Бытовая химия", "НДС20", "шт", "БХМ",
             _t("Средство для мытья посуды|Стиральный порошок|Гель для стирки|Кондиционер для белья|"
                "Чистящее средство|Средство для стёкол|Освежитель воздуха|Мыло жидкое"),
             _t("Fairy|AOS|Persil|Tide|Ariel|Lenor|Domestos|Cif|Mr. Proper|Sarma|Миф|Ушастый нянь"),
             _t("лимон|яблоко|алоэ вера|горная свежесть|без запаха|свежесть лаванды"),
             _t("450 мл|500 мл|900 мл|1 л|1,5 кг|3 кг|4,5 кг"), (70, 1300)),
    Category("Фасованные продукты", "НДС10", "кг", "ФСП",
             _t("Сыр Российский|Сыр Голландский|Колбаса Докторская|Колбаса Сервелат|"
                "Сосиски Молочные|Ветчина|Масло сливочное|Творог"),
             _t("Черкизово|Мираторг|Останкино|Вязанка|Брест-Литовск|Умалат|Экомилк|"
                "Великолукский МК"),
             _t("весовой|в вакуумной упаковке|нарезка|ГОСТ"), ("", "первый сорт", "высший сорт"),
             (380, 1500)),
    Category("Напитки", "НДС20", "л", "НПТ",
             _t("Вода минеральная|Вода питьевая|Сок яблочный|Сок апельсиновый|Морс клюквенный|"
                "Лимонад|Квас|Нектар персиковый"),
             _t("Святой Источник|Боржоми|Ессентуки|Добрый|Rich|J7|Фруктовый сад|Очаково|"
                "Черноголовка|BonAqua"),
             _t("негазированная|газированная|осветлённый|с мякотью"),
             _t("0,33 л|0,5 л|1 л|1,5 л|2 л|5 л"), (35, 260)),
]

WAREHOUSES = ["Основной склад", "Склад Юг", "Розничный магазин", "Склад Север", "Склад Восток",
              "Склад Запад", "Транзитный склад", "Склад Урал", "Склад Сибирь", "Склад Поволжье",
              "Склад Центр", "Склад Подмосковье"]
UNITS = [("шт", "796", "Штука"), ("кг", "166", "Килограмм"), ("л", "112", "Литр"),
         ("упак", "778", "Упаковка")]
CONTACT_KINDS = [
    ("ЮрАдресКонтрагента", "Юридический адрес", "Адрес"),
    ("ФактАдресКонтрагента", "Фактический адрес", "Адрес"),
    ("ТелефонКонтрагента", "Телефон", "Телефон"),
    ("АдресЭлектроннойПочтыКонтрагентаДляОбменаДокументами", "Адрес электронной почты", "АдресЭлектроннойПочты"),
    ("АдресДоставкиКонтрагента", "Адрес доставки", "Адрес"),
]
_ORG_WORDS = ["Альфа", "Вектор", "Гранит", "Меридиан", "Сириус", "Ромашка", "Север", "Техностиль",
              "Стройкомплект", "Профит", "Исток", "Ладога", "Восход", "Волна", "Орбита",
              "Прогресс", "Кедр", "Радуга", "Феникс", "Атлант"]
_ORG_TAILS = ["", "Трейд", "Плюс", "Снаб", "Групп", "Маркет", "Строй", "Сервис"]
_SURNAMES = ["Иванов", "Петров", "Смирнов", "Кузнецов", "Соколов", "Попов", "Лебедев", "Козлов",
             "Новиков", "Морозов", "Волков", "Соловьёв"]
_NAMES = ["Иван", "Сергей", "Андрей", "Алексей", "Дмитрий", "Михаил", "Николай", "Павел"]
_PATRONYMICS = ["Иванович", "Сергеевич", "Петрович", "Андреевич", "Николаевич", "Викторович"]
_STREETS = ["ул. Ленина", "пр-т Мира", "ул. Садовая", "ул. Гагарина", "ул. Советская",
            "ул. Заводская", "Лесной пер.", "ул. Победы"]
_CITIES = [("Москва", "101000"), ("Санкт-Петербург", "190000"), ("Казань", "420000"),
           ("Екатеринбург", "620000"), ("Новосибирск", "630000"), ("Краснодар", "350000"),
           ("Нижний Новгород", "603000"), ("Самара", "443000")]


def inn10(rng: random.Random) -> str:
    """A legal entity ИНН with a valid check digit."""
    d = [rng.randint(0, 9) for _ in range(9)]
    d[0] = rng.randint(1, 9)
    w = [2, 4, 10, 3, 5, 9, 4, 6, 8]
    d.append(sum(a * b for a, b in zip(d, w, strict=True)) % 11 % 10)
    return "".join(map(str, d))


def inn12(rng: random.Random) -> str:
    """An individual (ИП) ИНН with both check digits valid."""
    d = [rng.randint(0, 9) for _ in range(10)]
    d[0] = rng.randint(1, 9)
    w1 = [7, 2, 4, 10, 3, 5, 9, 4, 6, 8]
    d.append(sum(a * b for a, b in zip(d, w1, strict=True)) % 11 % 10)
    w2 = [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8]
    d.append(sum(a * b for a, b in zip(d, w2, strict=True)) % 11 % 10)
    return "".join(map(str, d))


def inn_valid(inn: str) -> bool:
    if not inn.isdigit() or len(inn) not in (10, 12):
        return False
    d = [int(c) for c in inn]
    # The weights cover the digits before each check digit: zip stops at the weights.
    if len(inn) == 10:
        w = [2, 4, 10, 3, 5, 9, 4, 6, 8]
        return sum(a * b for a, b in zip(d, w, strict=False)) % 11 % 10 == d[9]
    w1 = [7, 2, 4, 10, 3, 5, 9, 4, 6, 8]
    w2 = [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8]
    return (sum(a * b for a, b in zip(d, w1, strict=False)) % 11 % 10 == d[10]
            and sum(a * b for a, b in zip(d, w2, strict=False)) % 11 % 10 == d[11])


class _Refs:
    def __init__(self, rng: random.Random):
        self.rng = rng

    def new(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))


def _base(ent_name: str, **values) -> dict:
    """A record with every property of the entity at its default, then `values` applied."""
    ent = ENTITIES[ent_name]
    rec = {n: ft.default() for n, ft in ent.fields.items()}
    for tp in ent.table_parts:
        rec[tp] = []
    rec.update(values)
    return rec


def product_names(count: int, seed: int = 1) -> list[tuple[int, str]]:
    """`count` distinct (category index, name) pairs, round-robin over categories."""
    rng = random.Random(seed * 7919 + 13)
    orders = []
    for cat in CATEGORIES:
        n = cat.size
        stride = rng.randrange(1, n)
        while _gcd(stride, n) != 1:
            stride += 1
        orders.append((stride % n or 1, rng.randrange(n), n))
    used = [0] * len(CATEGORIES)
    out: list[tuple[int, str]] = []
    ci = 0
    rounds = 0
    while len(out) < count:
        c = ci % len(CATEGORIES)
        ci += 1
        stride, off, n = orders[c]
        k = used[c]
        used[c] += 1
        if k >= n:
            if all(u >= CATEGORIES[i].size for i, u in enumerate(used)):
                rounds += 1  # every combination used: start a numbered second series
                used = [0] * len(CATEGORIES)
            continue
        name = CATEGORIES[c].name((off + k * stride) % n)
        if rounds:
            name += f" (серия {rounds + 1})"
        out.append((c, name))
    return out


def _gcd(a: int, b: int) -> int:
    while b:
        a, b = b, a % b
    return a


def seed(st: SandboxState, products: int = 200, warehouses: int = 3, seed: int = 1,
         counterparties: int = 40, hostile: bool = False) -> SandboxState:
    """Fill an empty state with a demo base. Deterministic for a given `seed`; `hostile` then
    puts the hostile text corpus into names, full names, comments and ИНН (see `hostile()`)."""
    rng = random.Random(seed)
    refs = _Refs(random.Random(seed * 1_000_003 + 1))
    objects = st.objects

    def add(set_name: str, rec: dict) -> dict:
        rec["DataVersion"] = st.new_data_version()
        objects[set_name][rec["Ref_Key"]] = rec
        return rec

    rub = add("Catalog_Валюты", _base("Catalog_Валюты", Ref_Key=refs.new(), Code="643",
                                     Description="руб.", НаименованиеПолное="Российский рубль",
                                     ПараметрыПрописиНаРусском="рубль, рубля, рублей, м, "
                                                               "копейка, копейки, копеек, ж, 2"))
    add("Catalog_Валюты", _base("Catalog_Валюты", Ref_Key=refs.new(), Code="978",
                               Description="EUR", НаименованиеПолное="Евро"))
    org = add("Catalog_Организации", _base(
        "Catalog_Организации", Ref_Key=refs.new(), Code="000000001",
        Description="ТД Альфа-Трейд", Префикс="ТД",
        НаименованиеПолное="Общество с ограниченной ответственностью «Торговый дом Альфа-Трейд»",
        ЮрФизЛицо="ЮрЛицо", ИНН="7701234566", КПП="770101001", ОГРН="1027700132195"))
    org["ИНН"] = inn10(rng)
    wholesale = add("Catalog_ТипыЦенНоменклатуры", _base(
        "Catalog_ТипыЦенНоменклатуры", Ref_Key=refs.new(), Code="000000001", Description="Оптовая",
        ВалютаЦены_Key=rub["Ref_Key"], ЦенаВключаетНДС=True, ПорядокОкругления="Окр0_01",
        СпособРасчетаЦены="ПоЦенеПоставщика"))
    retail = add("Catalog_ТипыЦенНоменклатуры", _base(
        "Catalog_ТипыЦенНоменклатуры", Ref_Key=refs.new(), Code="000000002", Description="Розничная",
        ВалютаЦены_Key=rub["Ref_Key"], ЦенаВключаетНДС=True, БазовыйТипЦен_Key=wholesale["Ref_Key"],
        ПроцентСкидкиНаценки=Decimal("25.00"), ПорядокОкругления="Окр1",
        СпособРасчетаЦены="ПоПроцентнойНаценкеНаБазовыйТип"))
    whs = []
    for i in range(warehouses):
        name = WAREHOUSES[i] if i < len(WAREHOUSES) else f"Склад № {i + 1}"
        kind = "Розничный" if "Розничный" in name else "Оптовый"
        whs.append(add("Catalog_Склады", _base(
            "Catalog_Склады", Ref_Key=refs.new(), Code=f"{i + 1:09d}", Description=name,
            ВидСклада=kind,
            ТипЦенРозничнойТорговли_Key=retail["Ref_Key"] if kind == "Розничный" else EMPTY_REF)))
    classifier = {}
    for short, code, full in UNITS:
        classifier[short] = add("Catalog_КлассификаторЕдиницИзмерения", _base(
            "Catalog_КлассификаторЕдиницИзмерения", Ref_Key=refs.new(), Code=code,
            Description=short, НаименованиеПолное=full))
    for i, (pname, descr, typ) in enumerate(CONTACT_KINDS):
        add("Catalog_ВидыКонтактнойИнформации", _base(
            "Catalog_ВидыКонтактнойИнформации", Ref_Key=refs.new(), Code=f"{i + 1:09d}",
            Description=descr, Тип=typ, ВидОбъектаКонтактнойИнформации="Контрагенты",
            Predefined=True, PredefinedDataName=pname))
    kinds = {r["PredefinedDataName"]: r for r in objects["Catalog_ВидыКонтактнойИнформации"].values()}

    # products, one unit each (ЕдиницыИзмерения are owned by the product in КА 1.1)
    folders = []
    for i, cat in enumerate(CATEGORIES):
        folders.append(add("Catalog_Номенклатура", _base(
            "Catalog_Номенклатура", Ref_Key=refs.new(), IsFolder=True, Code=f"00-{i + 1:08d}",
            Description=cat.folder)))
    wh_keys = [w["Ref_Key"] for w in whs]
    stock = st.acc["ТоварыНаСкладах"]
    s_tot, s_idx = stock.totals, stock.index
    s_idx_w, s_idx_n = s_idx["Склад_Key"], s_idx["Номенклатура_Key"]
    for w in wh_keys:
        s_idx_w.setdefault(w, set())
    price_recs = st.prices
    dv = st.meta["dv"]
    import base64
    import struct
    units_set = objects["Catalog_ЕдиницыИзмерения"]
    prod_set = objects["Catalog_Номенклатура"]
    prod_fields = ENTITIES["Catalog_Номенклатура"].fields
    unit_fields = ENTITIES["Catalog_ЕдиницыИзмерения"].fields
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
                 Parent_Key=folders[ci]["Ref_Key"], Code=f"00-{n + 100:08d}", Description=name,
                 Артикул=f"{cat.art}-{n:06d}", НаименованиеПолное=name, СтавкаНДС=cat.vat,
                 БазоваяЕдиницаИзмерения_Key=classifier[cat.unit]["Ref_Key"],
                 ЕдиницаХраненияОстатков_Key=uref, ЕдиницаДляОтчетов_Key=uref)
        prod_set[ref] = p
        dv += 1
        u = dict(unit_defaults)
        u.update(Ref_Key=uref, DataVersion=base64.b64encode(struct.pack(">II", dv, 0)).decode(),
                 Owner_Key=ref, Code=f"{n:09d}", Description=cat.unit,
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
        city, index = rng.choice(_CITIES)
        address = f"{index}, {city} г, {rng.choice(_STREETS)}, дом № {rng.randint(1, 150)}"
        if i % 4 == 3:
            fio = f"{rng.choice(_SURNAMES)} {rng.choice(_NAMES)} {rng.choice(_PATRONYMICS)}"
            descr, full, inn, kpp, kind = (f"ИП {fio}", f"Индивидуальный предприниматель {fio}",
                                           inn12(rng), "", "ФизЛицо")
        else:
            word = _ORG_WORDS[i % len(_ORG_WORDS)] + rng.choice(_ORG_TAILS)
            descr = f"ООО «{word}»"
            full = f"Общество с ограниченной ответственностью «{word}»"
            inn = inn10(rng)
            kpp = inn[:4] + "01001"
            kind = "ЮрЛицо"
        cref = refs.new()
        add("Catalog_Контрагенты", _base(
            "Catalog_Контрагенты", Ref_Key=ref, Code=f"{i + 1:09d}", Description=descr,
            НаименованиеПолное=full, ЮрФизЛицо=kind, ИНН=inn, КПП=kpp, Покупатель=True,
            ОсновнойДоговорКонтрагента_Key=cref))
        add("Catalog_ДоговорыКонтрагентов", _base(
            "Catalog_ДоговорыКонтрагентов", Ref_Key=cref, Owner_Key=ref, Code=f"{i + 1:09d}",
            Description="Основной договор", Организация_Key=org["Ref_Key"],
            ВидДоговора="СПокупателем", ВедениеВзаиморасчетов="ПоЗаказам",
            ВалютаВзаиморасчетов_Key=rub["Ref_Key"], ТипЦен=wholesale["Ref_Key"],
            ТипЦен_Type="StandardODATA.Catalog_ТипыЦенНоменклатуры", Номер=f"Д-{i + 1:04d}",
            Дата="2024-12-01T00:00:00"))
        phone = f"+7 ({rng.randint(900, 999)}) {rng.randint(100, 999)}-{rng.randint(10, 99)}-{rng.randint(10, 99)}"
        email = f"info{i + 1}@{_ORG_WORDS[i % len(_ORG_WORDS)].lower()}-example.ru"
        email = "".join(ch if ch.isascii() else "x" for ch in email)
        for pname, value, extra in (("ЮрАдресКонтрагента", address, {"Поле1": index, "Поле3": city}),
                                    ("ФактАдресКонтрагента", address, {"Поле1": index, "Поле3": city}),
                                    ("ТелефонКонтрагента", phone, {}),
                                    ("АдресЭлектроннойПочтыКонтрагентаДляОбменаДокументами", email, {})):
            k = kinds[pname]
            rec = {n: ft.default() for n, ft in
                   ENTITIES["InformationRegister_КонтактнаяИнформация"].fields.items()}
            rec.update(Объект=ref, Объект_Type="StandardODATA.Catalog_Контрагенты", Тип=k["Тип"],
                       Вид=k["Ref_Key"], Вид_Type="StandardODATA.Catalog_ВидыКонтактнойИнформации",
                       Представление=value, **extra)
            st.contacts[st.contact_key(rec)] = rec
    st.meta["seed"] = {"products": products, "warehouses": warehouses, "seed": seed}
    if hostile:
        apply_hostile(st)
        st.meta["seed"]["hostile"] = True  # reopening the file regenerates the same texts
    return st


# ---- the hostile seed ----------------------------------------------------------------------

#: Names are bounded in 1C (a catalog's name length is part of its metadata); full names and
#: comments are unlimited strings. Long corpus entries therefore go whole into full names and
#: comments, and are cut to this length in names.
NAME_MAX = 150
#: Orders with a hostile comment added by the hostile seed.
HOSTILE_ORDERS = 6


def _name(text: str, limit: int = NAME_MAX) -> str:
    return text[:limit]


def apply_hostile(st: SandboxState) -> dict[str, list[str]]:
    """Put the hostile corpus (`onec_sandbox.hostile`) into a freshly seeded base.

    Deterministic: the i-th product, counterparty and unit (in code order) get the i-th corpus
    text, the warehouses and the retail price type the texts after them, and a few new unposted
    orders carry corpus comments. Codes, keys, the price type «Оптовая» and the first warehouse
    keep their values, so the CRM still syncs and the clerk's commands still find them.
    Returns the Ref_Keys changed, by entity set (for tests and the demo's log)."""
    from .hostile import CORPUS

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
        p["Description"] = _name(texts[i])
        p["НаименованиеПолное"] = texts[i]
        mark("Catalog_Номенклатура", p)
        unit = units.get(p["ЕдиницаХраненияОстатков_Key"])
        if unit is not None:
            unit["Description"] = _name(texts[i], 25)
            mark("Catalog_ЕдиницыИзмерения", unit)
    parties = sorted(objects["Catalog_Контрагенты"].values(), key=lambda c: c["Code"])
    for i, c in enumerate(parties[:n]):
        c["Description"] = _name(texts[i])
        c["НаименованиеПолное"] = texts[i]
        c["Комментарий"] = texts[(i + 1) % n]
        if i % 3 == 0:  # ИНН and КПП are strings (12 and 9) in 1C: text that is no number
            c["ИНН"] = _name(texts[(i + 2) % n], 12)
            c["КПП"] = _name(texts[(i + 3) % n], 9)
        mark("Catalog_Контрагенты", c)
    warehouses = sorted(objects["Catalog_Склады"].values(), key=lambda w: w["Code"])
    for i, w in enumerate(warehouses[1:]):
        w["Description"] = _name(texts[i % n])
        mark("Catalog_Склады", w)
    for pt in objects["Catalog_ТипыЦенНоменклатуры"].values():
        if pt["Description"] != "Оптовая":
            pt["Description"] = _name(texts[1])
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
    refs = _Refs(random.Random(7_000_003))
    prices = {key[1]: recs[-1]["Цена"] for key, recs in st.prices.records.items()
              if key[0] == wholesale["Ref_Key"] and recs}
    line_fields = ENTITIES["Document_ЗаказПокупателя"].table_parts["Товары"]
    for i in range(min(HOSTILE_ORDERS, len(parties), len(products))):
        cp = parties[i]
        p = products[(i * 5) % len(products)]
        price = prices.get(p["Ref_Key"], Decimal("100.00"))
        qty = Decimal(rng.randint(1, 9))
        total = money(price * qty)
        vat = money(total * 20 / 120) if p["СтавкаНДС"] == "НДС20" else money(total * 10 / 110)
        ref = refs.new()
        order = _base(
            "Document_ЗаказПокупателя", Ref_Key=ref, Date=SEED_DATE,
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
