"""The `--hostile` seed: the corpus of `onec_sandbox.hostile` served as names, comments and ИНН,
deterministically, with codes and keys as valid as in the normal seed."""

from __future__ import annotations

import httpx
import pytest

from onec_sandbox import cli
from onec_sandbox.app import create_app
from onec_sandbox.hostile import TEXTS
from onec_sandbox.seed import NAME_MAX
from onec_sandbox.state import SandboxState

from .conftest import BASE, get_json

CATALOGS = ("Catalog_Номенклатура", "Catalog_ЕдиницыИзмерения", "Catalog_Склады",
            "Catalog_ТипыЦенНоменклатуры", "Catalog_Контрагенты", "Catalog_ДоговорыКонтрагентов")


def seeded(hostile: bool, path=None) -> SandboxState:
    return SandboxState.seeded(products=60, warehouses=3, seed=7, hostile=hostile, path=path)


@pytest.fixture(scope="module")
def plain() -> SandboxState:
    return seeded(False)


@pytest.fixture(scope="module")
def hostile() -> SandboxState:
    return seeded(True)


@pytest.fixture
async def hclient(hostile):
    app = create_app(hostile, base="demo")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as c:
        yield c


def strings(rows: list[dict], *names: str) -> set[str]:
    return {r[n] for r in rows for n in names if isinstance(r.get(n), str)}


async def test_every_corpus_text_is_served_literally(hclient):
    products = (await get_json(hclient, "Catalog_Номенклатура"))["value"]
    parties = (await get_json(hclient, "Catalog_Контрагенты"))["value"]
    full = strings(products, "НаименованиеПолное") | strings(parties, "НаименованиеПолное")
    missing = [t[:40] for t in TEXTS if t not in full]
    assert not missing
    names = strings(products, "Description")
    assert all(t[:NAME_MAX] in names for t in TEXTS)
    comments = strings(parties, "Комментарий")
    assert all(t in comments for t in TEXTS)
    assert "Склад [/]" in strings((await get_json(hclient, "Catalog_Склады"))["value"], "Description")
    orders = (await get_json(hclient, "Document_ЗаказПокупателя"))["value"]
    assert orders and all(o["Комментарий"] in TEXTS for o in orders)
    units = strings((await get_json(hclient, "Catalog_ЕдиницыИзмерения"))["value"], "Description")
    assert "Склад [/]"[:25] in units and "\x1b[31mКРАСНЫЙ\x1b[0m текст"[:25] in units


async def test_a_filter_finds_a_hostile_name(hclient):
    """The texts stay searchable through OData like any name (quotes doubled in a literal)."""
    name = "ООО \"Кавычки\" 'одинарные' «ёлочки» `бэктик`"
    got = await get_json(hclient, "Catalog_Контрагенты",
                         **{"$filter": "Description eq '" + name.replace("'", "''") + "'"})
    assert [c["Description"] for c in got["value"]] == [name]


def test_codes_keys_and_anchors_stay_as_in_the_normal_seed(plain, hostile):
    for set_name in CATALOGS:
        a, b = plain.objects[set_name], hostile.objects[set_name]
        assert a.keys() == b.keys(), set_name
        assert [r.get("Code") for r in a.values()] == [r.get("Code") for r in b.values()]
        for owner in ("Owner_Key", "Owner"):
            assert all(r[owner] == b[k][owner] for k, r in a.items() if owner in r)
    # what the clerk's commands look up by name keeps its name
    assert hostile.find_by("Catalog_ТипыЦенНоменклатуры", "Description", "Оптовая")
    assert hostile.find_by("Catalog_Склады", "Description", "Основной склад")
    assert all(p["Артикул"] == plain.objects["Catalog_Номенклатура"][k]["Артикул"]
               for k, p in hostile.objects["Catalog_Номенклатура"].items())
    # stock and prices are the normal seed's
    assert hostile.acc["ТоварыНаСкладах"].totals == plain.acc["ТоварыНаСкладах"].totals
    assert not plain.objects["Document_ЗаказПокупателя"]
    assert plain.meta["seed"].get("hostile") is None and hostile.hostile


def test_deterministic_and_kept_across_a_restart(tmp_path, hostile):
    path = tmp_path / "sandbox.sqlite"
    first = seeded(True, path)
    snapshot = {s: {k: dict(r) for k, r in first.objects[s].items()}
                for s in (*CATALOGS, "Document_ЗаказПокупателя")}
    first.close()
    again = SandboxState.open(path)
    assert again.hostile
    for set_name, rows in snapshot.items():
        assert {k: r.get("Description") for k, r in again.objects[set_name].items()} == \
            {k: r.get("Description") for k, r in rows.items()}
        assert {k: r.get("Description") for k, r in hostile.objects[set_name].items()} == \
            {k: r.get("Description") for k, r in rows.items()}
    again.close()


def test_cli_seed_and_the_note_for_an_old_file(tmp_path, capsys):
    path = tmp_path / "s.sqlite"
    assert cli.main(["seed", "--data", str(path), "--products", "40", "--hostile"]) == 0
    assert "hostile" in capsys.readouterr().out
    st = SandboxState.open(path)
    assert st.hostile and "Склад [/]" in {w["Description"] for w in st.objects["Catalog_Склады"].values()}
    st.close()
    assert cli.main(["seed", "--data", str(path), "--products", "40"]) == 0
    st = SandboxState.open(path)
    assert not st.hostile
    assert cli.hostile_note(st, True) and "--reset" in cli.hostile_note(st, True)
    assert cli.hostile_note(st, False) is None
    st.close()
