"""The column-wise page converter is exactly as strict as the row-wise readers of `parse`: on any
page it gives the same stage values and quarantines the same rows (with the reason)."""

from __future__ import annotations

import random
import uuid

import pytest

from tui_crm.sync.columns import PageConverter, csv_text
from tui_crm.sync.parse import BadData
from tui_crm.sync.profile import load_profile
from tui_crm.sync.pull import _converters

P = load_profile("ka1")
GUID = str(uuid.UUID(int=7))

TRICKY = [
    None, "", True, False, 0, 1, 1.0, -0.0, "1", " 12 ", "1e3", 1e20, 0.0005, 0.0015, 12.3456, "abc",
    float("nan"), float("inf"), 10**13, "٣", [1], {"a": 1}, "x\x00y", "a\nb", "a\x1fb", "x" * 4001, "\\N",
    GUID, GUID.upper(), "00000000-0000-0000-0000-000000000000", "not-a-guid", "2024-01-02T03:04:05",
    "0001-01-01T00:00:00", "2024-13-01T00:00:00",
    # a column is judged whole when its values are mostly new (joined by LF): LF inside a value
    GUID + "\n" + GUID, GUID + "\n", "\n" + GUID, ' "q" ', "\t", "x" * 1_000_001,
]


def _row_wise(conv: PageConverter, page: list) -> tuple[list[list[str]], list[str]]:
    rows, reasons = [], []
    for r in page:
        try:
            if not isinstance(r, dict):
                raise BadData(conv.entity, f"a row is not an object: {str(r)[:60]!r}")
            t = conv.row(r)
        except BadData as exc:
            reasons.append(exc.reason)
            continue
        if t is not None:
            rows.append(t)
    if not rows:
        return [[] for _ in range(conv.width)], reasons
    return [list(map(csv_text, c)) for c in zip(*rows, strict=True)], reasons


def _good_row(key: str, rnd: random.Random) -> dict:
    g = lambda: str(uuid.UUID(int=rnd.getrandbits(128)))  # noqa: E731
    if key == "stock":
        return {"Склад_Key": g(), "Номенклатура_Key": g(), "КоличествоBalance": rnd.choice([1, 2.5, "3", 0])}
    if key == "reserves":
        return {"Склад_Key": g(), "Номенклатура_Key": g(), "КоличествоBalance": rnd.randint(0, 9)}
    if key == "prices":
        return {"ТипЦен_Key": g(), "Номенклатура_Key": g(), "ХарактеристикаНоменклатуры_Key": GUID,
                "Цена": rnd.choice([1, 99.99, "5"]), "ЕдиницаИзмерения_Key": g(), "Period": "2025-01-01T00:00:00"}
    if key == "unit":  # КА 1.1: the composite owner (a product, a product group, or undefined)
        row = {"Ref_Key": g(), "Description": "шт", "Owner": g(), "Коэффициент": rnd.choice([1, 0, -2, 1.5]),
               "Owner_Type": rnd.choice(["StandardODATA.Catalog_Номенклатура"] * 6 + [
                   "StandardODATA.Catalog_НоменклатурныеГруппы", "StandardODATA.Undefined", ""])}
        if rnd.random() < 0.03:  # a base with one owner type: the plain shape
            row["Owner_Key"] = row.pop("Owner")
            del row["Owner_Type"]
        return row
    return {"Ref_Key": g(), "DataVersion": "AAA=", "DeletionMark": False, "IsFolder": rnd.random() < 0.2,
            "Code": f"00-{rnd.randint(1, 99)}", "Description": rnd.choice(["Кофе", " Чай ", 'Сок "Я"', "", None]),
            "Артикул": rnd.choice(["", "A-1", None]), "НаименованиеПолное": f"Кофе {rnd.random()}",
            "ЕдиницаХраненияОстатков_Key": g(), "СтавкаНДС": "НДС20", "Услуга": False}


@pytest.mark.parametrize("key", ["stock", "reserves", "prices", "unit", "product"])
def test_fast_path_equals_row_wise_on_hostile_pages(key: str) -> None:
    rnd = random.Random(key)
    fast_pages = 0
    for _ in range(300):
        conv = _converters(P)[key]
        page = [_good_row(key, rnd) for _ in range(rnd.randint(1, 30))]
        for _ in range(rnd.choice([0, 0, 1, 2])):  # spoil a field of a random row (or the row)
            r = rnd.randrange(len(page))
            if rnd.random() < 0.05:
                page[r] = rnd.choice([[1], "row", None])
            elif isinstance(page[r], dict):
                page[r][rnd.choice(list(page[r]))] = rnd.choice(TRICKY)
        expected = _row_wise(conv, page)
        got = (conv(page), [exc.reason for exc in conv.quarantined])
        assert got == expected, (page, conv.fast_pages, conv.slow_pages)
        fast_pages += conv.fast_pages
    assert fast_pages > 100  # clean pages did take the fast path


def test_memo_never_confuses_true_with_one() -> None:
    conv = _converters(P)["stock"]
    ok = {"Склад_Key": GUID, "Номенклатура_Key": GUID, "КоличествоBalance": 1}
    assert conv([ok])[2] == ['"1.000"']
    assert conv([ok, {**ok, "КоличествоBalance": True}])[2] == ['"1.000"']
    assert [exc.reason for exc in conv.quarantined] == ["КоличествоBalance is not a number: True"]


def test_a_unit_owner_is_read_in_either_shape() -> None:
    """КА 1.1's ЕдиницыИзмерения has two owner types, so 1C sends the composite `Owner` +
    `Owner_Type`; a base with one owner type sends `Owner_Key`. A group's unit has no product."""
    from tui_crm.sync import parse
    product, group = str(uuid.UUID(int=1)), str(uuid.UUID(int=2))
    base = {"Ref_Key": GUID, "Description": "упак", "Коэффициент": 1}
    assert parse.unit(P, {**base, "Owner": product, "Owner_Type": "StandardODATA.Catalog_Номенклатура"})[1] == product
    assert parse.unit(P, {**base, "Owner_Key": product})[1] == product
    groups = "StandardODATA.Catalog_НоменклатурныеГруппы"
    assert parse.unit(P, {**base, "Owner": group, "Owner_Type": groups})[1] is None
    assert "Owner" in P["unit"].select("owner") and "Owner_Type" in P["unit"].select("owner")


def test_a_column_of_new_values_judged_whole_keeps_the_readers_reasons() -> None:
    # 50 products with distinct ids, codes and names take the whole-column path; a name that is
    # too long, one with a control character and an id with an LF in it (each on a page of its
    # own) still reach the row-wise readers and are quarantined with their reasons.
    rnd = random.Random(5)

    def page() -> list[dict]:
        return [_good_row("product", rnd) | {"IsFolder": False, "Description": f"Товар {n}", "Code": f"{n:05d}"}
                for n in range(50)]

    clean = _converters(P)["product"]
    clean(page())
    assert clean.fast_pages == 1
    for field, value in (("Description", "x" * 1_000_001), ("НаименованиеПолное", "a\x00b"),
                         ("Ref_Key", GUID + "\n" + GUID)):
        spoiled = page()
        spoiled[7][field] = value
        conv = _converters(P)["product"]
        got = (conv(spoiled), [exc.reason for exc in conv.quarantined])
        assert got == _row_wise(_converters(P)["product"], spoiled)
        assert len(got[0][0]) == 49 and len(got[1]) == 1, field
