"""Believable, deterministic demo data: the generators every configuration's seed shares.

Why combinatorial lists: the demo must look like a real Russian trading company (names an
operator recognises), yet the same generator must produce 100k distinct products for load
tests in seconds. Names are built as kind × brand × variant × size per category, walked in a
seeded order, round-robin across categories so that even 200 products cover every shelf.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass

from .state import SandboxState

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

ORG_WORDS = ["Альфа", "Вектор", "Гранит", "Меридиан", "Сириус", "Ромашка", "Север", "Техностиль",
              "Стройкомплект", "Профит", "Исток", "Ладога", "Восход", "Волна", "Орбита",
              "Прогресс", "Кедр", "Радуга", "Феникс", "Атлант"]
ORG_TAILS = ["", "Трейд", "Плюс", "Снаб", "Групп", "Маркет", "Строй", "Сервис"]
SURNAMES = ["Иванов", "Петров", "Смирнов", "Кузнецов", "Соколов", "Попов", "Лебедев", "Козлов",
             "Новиков", "Морозов", "Волков", "Соловьёв"]
FIRST_NAMES = ["Иван", "Сергей", "Андрей", "Алексей", "Дмитрий", "Михаил", "Николай", "Павел"]
PATRONYMICS = ["Иванович", "Сергеевич", "Петрович", "Андреевич", "Николаевич", "Викторович"]
STREETS = ["ул. Ленина", "пр-т Мира", "ул. Садовая", "ул. Гагарина", "ул. Советская",
            "ул. Заводская", "Лесной пер.", "ул. Победы"]
CITIES = [("Москва", "101000"), ("Санкт-Петербург", "190000"), ("Казань", "420000"),
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


class Refs:
    def __init__(self, rng: random.Random):
        self.rng = rng

    def new(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))


def record(st: SandboxState, ent_name: str, **values) -> dict:
    """A record with every property of the entity at its default, then `values` applied."""
    ent = st.config.schema.entities[ent_name]
    rec = {n: ft.default() for n, ft in ent.fields.items()}
    for tp in ent.table_parts:
        rec[tp] = []
    rec.update(values)
    return rec


def stored(st: SandboxState, set_name: str, **values) -> dict:
    """A new object of `set_name` (a `record` with `values`), given a DataVersion and stored."""
    rec = record(st, set_name, **values)
    rec["DataVersion"] = st.new_data_version()
    st.objects[set_name][rec["Ref_Key"]] = rec
    return rec


@dataclass(frozen=True)
class Party:
    """One seeded counterparty's names and codes (a sole trader every fourth, else an ООО)."""

    name: str
    full_name: str
    inn: str
    kpp: str
    person: bool  # an ИП: ИНН of 12 digits, no КПП
    address: str
    city: str
    postcode: str


def seed_party(rng: random.Random, i: int, company_name: str = "ООО «{word}»") -> Party:
    """The `i`-th seeded counterparty, drawn from `rng` in one fixed order (the address, then the
    names and the ИНН) so that a seed gives the same base every time. `company_name`: how the
    configuration shortens an ООО's name (`{word}`: its own word)."""
    city, index = rng.choice(CITIES)
    address = f"{index}, {city} г, {rng.choice(STREETS)}, дом № {rng.randint(1, 150)}"
    if i % 4 == 3:
        fio = f"{rng.choice(SURNAMES)} {rng.choice(FIRST_NAMES)} {rng.choice(PATRONYMICS)}"
        return Party(f"ИП {fio}", f"Индивидуальный предприниматель {fio}", inn12(rng), "", True,
                     address, city, index)
    word = ORG_WORDS[i % len(ORG_WORDS)] + rng.choice(ORG_TAILS)
    inn = inn10(rng)
    return Party(company_name.format(word=word), f"Общество с ограниченной ответственностью «{word}»",
                 inn, inn[:4] + "01001", False, address, city, index)


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


# ---- the hostile seed ----------------------------------------------------------------------

#: Names are bounded in 1C (a catalog's name length is part of its metadata); full names and
#: comments are unlimited strings. Long corpus entries therefore go whole into full names and
#: comments, and are cut to this length in names.
NAME_MAX = 150


def clip(text: str, limit: int = NAME_MAX) -> str:
    return text[:limit]




def hostile_names(st: SandboxState, comment: str) -> None:
    """The hostile text corpus (`onec_sandbox.hostile`) in product and counterparty names, full
    names and each counterparty's free-text field `comment` (БП 3: `Комментарий`, УТ 11:
    `ДополнительнаяИнформация`); codes and keys stay, so the seed's links hold."""
    from .hostile import CORPUS

    texts = [t for _label, t in CORPUS]
    products = sorted((p for p in st.objects["Catalog_Номенклатура"].values() if not p["IsFolder"]),
                      key=lambda p: p["Code"])
    for text, p in zip(texts, products, strict=False):
        p["Description"], p["НаименованиеПолное"] = clip(text), text
    parties = sorted(st.objects["Catalog_Контрагенты"].values(), key=lambda c: c["ИНН"])
    for i, (text, c) in enumerate(zip(texts, parties, strict=False)):
        c["Description"], c["НаименованиеПолное"] = clip(text), text
        c[comment] = texts[(i + 1) % len(texts)]
