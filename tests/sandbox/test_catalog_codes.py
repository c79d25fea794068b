"""Catalog codes in each configuration's own form, as a real base gives them.

БСП prefixation (`ПрефиксацияОбъектовСобытия.УстановитьПрефиксИнформационнойБазы`, event
`OnSetNewCode`) puts the infobase prefix, padded on the left with zeros to 2 characters, and a dash
before the counter of every catalog its subscription lists; the counter fills the rest of the
code's length. A base without an infobase prefix therefore codes `00-000001` (CodeLength 9) and
`00-00000001` (CodeLength 11). Catalogs outside the subscription keep the plain zero-padded
counter (`000000001`). What was read (public configuration dumps, with the search tool's
read_file), per configuration:

БП 3.0.198 — github.com/kassya20/buh (commit 8f1e6408):
- `EventSubscriptions/УстановитьПрефиксИнформационнойБазыКодуСправочника.xml`: Event OnSetNewCode,
  Handler `ПрефиксацияОбъектовСобытия.УстановитьПрефиксИнформационнойБазы`; Source lists
  Организации, ТипыЦенНоменклатуры, Склады, ДоговорыКонтрагентов, Номенклатура, Контрагенты
  (not Валюты, КлассификаторЕдиницИзмерения, ВидыКонтактнойИнформации).
- `Catalogs/Контрагенты.xml`: CodeLength 9, CodeType String, CodeAllowedLength Fixed,
  CodeSeries WholeCatalog, Autonumbering true.
- `Catalogs/ДоговорыКонтрагентов.xml` (Owner Контрагенты): CodeLength 9, String, Fixed,
  CodeSeries WholeCatalog.
- `Catalogs/Склады.xml`: CodeLength 9, String, Fixed, WholeCatalog.
- `Catalogs/ТипыЦенНоменклатуры.xml`: CodeLength 9, String, Fixed, WholeCatalog.
- `Catalogs/Организации.xml`: CodeLength 9, String, CodeAllowedLength Variable, WholeCatalog.
- `Catalogs/Номенклатура.xml`: CodeLength 11, String, Fixed, WholeCatalog.

УТ 11.5.8 — github.com/evlahov-igor/UT11:
- `EventSubscriptions/УстановитьПрефиксИнформационнойБазыКодуСправочника.xml` (commit ce43bc8b):
  same handler; Source lists Номенклатура and Партнеры among the sandbox's catalogs (not
  Организации, Склады, ВидыЦен, СоглашенияСКлиентами, ДоговорыКонтрагентов). The dump's
  `КР_УстановитьПрефиксИнформационнойБазыКодуСправочника.xml` adds Склады, but it is that
  company's own object (prefix КР_), not the vendor's configuration, so the sandbox leaves
  Склады plain.
- `Catalogs/Партнеры.xml` (commit 302d05cb): CodeLength 11, CodeType String, Fixed,
  CodeSeries WholeCatalog.

КА 1.1 — УПП 1.3.122.2 dump github.com/prodorus/1cconf1 (commit 35500fd8, its only one; КА 1.1
shares the УПП code base), no БСП prefixation:
- `EventSubscriptions/ПриУстановкеНовогоКодаСправочника.xml`: Event OnSetNewCode, Handler
  `ОбщегоНазначения.ПриУстановкеНовогоКодаДляСправочникаИлиПВХ`; Source lists Контрагенты,
  ДоговорыКонтрагентов, Склады, ТипыЦенНоменклатуры, Организации, Номенклатура (and ~170 more).
- `CommonModules/ОбщегоНазначения/Ext/Module.bsl`: that handler only calls
  `ДобавитьПрефиксУзла(Префикс)`, which puts the session parameter
  `ПрефиксУзлаРаспределеннойИнформационнойБазы` before `Префикс` only when the base takes part in
  an exchange (ИспользованиеРИБ, НаличиеОбменаУТУПП, НаличиеОбменаСРозничнойТорговлей or any
  ИспользуемыеПланыОбмена), and leaves it empty otherwise. No dash, no organization prefix (that
  one is for document numbers, `ПриУстановкеНовогоНомераДляДокументов`). A base without exchange
  therefore codes the plain counter: `000000001` (CodeLength 9), `00000000001` (11). With exchange
  the node prefix stands before the counter with no dash, as in the real УТ 10.3 (same
  generation) counterparty of tests/fixtures/onec/ka1_Catalog_Контрагенты.json, `F00002328`.
- `Catalogs/Контрагенты.xml`, `ДоговорыКонтрагентов.xml` (Owner Контрагенты), `Склады.xml`,
  `ТипыЦенНоменклатуры.xml`, `Организации.xml`: CodeLength 9, CodeType String, CodeAllowedLength
  Fixed, CodeSeries WholeCatalog, Autonumbering true; `Catalogs/Номенклатура.xml`: CodeLength 11,
  the rest the same.
The sandbox's КА 1.1 base is one without exchange: every code is the plain counter (it gave its
items `00-00000001`, a БСП form КА 1.1 never produces).

Real БП 3 answers agree (tests/fixtures/onec, from github.com/garikgsi/LaravelAPI): Контрагенты
`00-000036`, ДоговорыКонтрагентов `00-000001`, Номенклатура `00-00000001`, and Склады
`БП-000001` in a base whose infobase prefix is `БП`.

Through the real sandbox HTTP server on loopback: the seeded base's codes and a new element's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from onec_sandbox.server import RunningSandbox, start_in_thread
from onec_sandbox.state import SandboxState

PREFIXED_9 = re.compile(r"^00-\d{6}$")
PREFIXED_11 = re.compile(r"^00-\d{8}$")
PLAIN_9 = re.compile(r"^\d{9}$")
PLAIN_11 = re.compile(r"^\d{11}$")

#: configuration → catalog → (the form of its codes, a body that creates one element)
CASES: dict[str, dict[str, tuple[re.Pattern[str], dict]]] = {
    "bp3": {
        "Catalog_Контрагенты": (PREFIXED_9, {"Description": "Новый контрагент"}),
        "Catalog_ДоговорыКонтрагентов": (PREFIXED_9, {"Description": "Договор", "Owner_Key": "<party>"}),
        "Catalog_Склады": (PREFIXED_9, {"Description": "Новый склад"}),
        "Catalog_ТипыЦенНоменклатуры": (PREFIXED_9, {"Description": "Новый тип цен"}),
        "Catalog_Организации": (PREFIXED_9, {"Description": "Новая организация"}),
        "Catalog_Номенклатура": (PREFIXED_11, {"Description": "Новый товар"}),
    },
    "ut11": {
        "Catalog_Партнеры": (PREFIXED_11, {"Description": "Новый партнер"}),
        "Catalog_Номенклатура": (PREFIXED_11, {"Description": "Новый товар"}),
        "Catalog_Склады": (PLAIN_9, {"Description": "Новый склад"}),
        "Catalog_ВидыЦен": (PLAIN_9, {"Description": "Новый вид цен"}),
        "Catalog_Организации": (PLAIN_9, {"Description": "Новая организация"}),
    },
    "ka1": {
        "Catalog_Контрагенты": (PLAIN_9, {"Description": "Новый контрагент"}),
        "Catalog_ДоговорыКонтрагентов": (PLAIN_9, {"Description": "Договор", "Owner_Key": "<party>"}),
        "Catalog_Склады": (PLAIN_9, {"Description": "Новый склад"}),
        "Catalog_ТипыЦенНоменклатуры": (PLAIN_9, {"Description": "Новый тип цен"}),
        "Catalog_Организации": (PLAIN_9, {"Description": "Новая организация"}),
        "Catalog_Номенклатура": (PLAIN_11, {"Description": "Новый товар"}),
    },
}

PARAMS = [(config, catalog) for config, catalogs in CASES.items() for catalog in catalogs]


@pytest.fixture(scope="module", params=sorted(CASES))
def served(request: pytest.FixtureRequest) -> Iterator[tuple[str, RunningSandbox]]:
    running = start_in_thread(SandboxState.seeded(products=3, warehouses=2, seed=5, config=request.param),
                              base="demo")
    try:
        yield request.param, running
    finally:
        running.stop()


def _codes(http: httpx.Client, catalog: str) -> list[str]:
    r = http.get(f"{catalog}?$format=json&$select=Code&$orderby=Code")
    assert r.status_code == 200, r.text
    return [row["Code"] for row in r.json()["value"]]


def test_every_seeded_and_new_code_has_its_configurations_form(served) -> None:
    config, running = served
    with httpx.Client(base_url=running.base_url.rstrip("/") + "/", timeout=30) as http:
        party = http.get("Catalog_Контрагенты?$format=json&$top=1").json()["value"]
        for catalog, (form, body) in CASES[config].items():
            seeded = _codes(http, catalog)
            assert seeded, catalog
            wrong = [c for c in seeded if not form.match(c)]
            assert not wrong, (config, catalog, wrong[:3])
            if "Owner_Key" in body:
                body = {**body, "Owner_Key": party[0]["Ref_Key"]}
            r = http.post(f"{catalog}?$format=json", json=body)
            assert r.status_code == 201, r.text
            code = r.json()["Code"]
            assert form.match(code), (config, catalog, code)
            assert code not in seeded, (config, catalog, code)


def test_the_counter_after_the_prefix_counts_on(served) -> None:
    """Two new elements differ by one in the counter, the prefix (БСП's `00-`, none in КА 1.1) kept."""
    config, running = served
    catalog = {"bp3": "Catalog_Контрагенты", "ut11": "Catalog_Партнеры", "ka1": "Catalog_Номенклатура"}[config]
    head = {"bp3": "00-", "ut11": "00-", "ka1": ""}[config]
    with httpx.Client(base_url=running.base_url.rstrip("/") + "/", timeout=30) as http:
        a, b = (http.post(f"{catalog}?$format=json", json={"Description": f"Счётчик {n}"}).json()["Code"]
                for n in (1, 2))
    assert a[:len(head)] == b[:len(head)] == head
    assert int(b[len(head):]) == int(a[len(head):]) + 1
    assert len(a) == len(b) == {"bp3": 9, "ut11": 11, "ka1": 11}[config]


#: КА 1.1 catalog → its CodeLength in the УПП dump (`Catalogs/<name>.xml`)
KA1_CODE_LENGTH = {"Catalog_Контрагенты": 9, "Catalog_ДоговорыКонтрагентов": 9, "Catalog_Склады": 9,
                   "Catalog_ТипыЦенНоменклатуры": 9, "Catalog_Организации": 9,
                   "Catalog_Номенклатура": 11}


@pytest.fixture(scope="module")
def ka1() -> Iterator[RunningSandbox]:
    running = start_in_thread(SandboxState.seeded(products=3, warehouses=2, seed=5, config="ka1"),
                              base="demo")
    try:
        yield running
    finally:
        running.stop()


@pytest.mark.parametrize("catalog", sorted(KA1_CODE_LENGTH))
def test_ka1_codes_are_the_plain_counter_of_the_catalogs_length(ka1, catalog) -> None:
    """КА 1.1 without exchange: `ПриУстановкеНовогоКодаДляСправочникаИлиПВХ` adds no prefix, so the
    seeded codes and a new element's are digits only, as long as the catalog's CodeLength, the
    first one `0…01` (sources in the module docstring)."""
    length = KA1_CODE_LENGTH[catalog]
    body = dict(CASES["ka1"][catalog][1])
    with httpx.Client(base_url=ka1.base_url.rstrip("/") + "/", timeout=30) as http:
        if "Owner_Key" in body:
            body["Owner_Key"] = http.get("Catalog_Контрагенты?$format=json&$top=1").json()["value"][0]["Ref_Key"]
        seeded = _codes(http, catalog)
        r = http.post(f"{catalog}?$format=json", json=body)
        assert r.status_code == 201, r.text
        new = r.json()["Code"]
    assert seeded[0] == "1".rjust(length, "0"), seeded[:3]
    for code in [*seeded, new]:
        assert len(code) == length and code.isdigit(), (catalog, code)
    assert new not in seeded
