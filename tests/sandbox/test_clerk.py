"""End to end over loopback: the clerk CLI against a server from start_in_thread."""

from __future__ import annotations

import argparse
import uuid

import httpx
import pytest

from onec_sandbox import cli as sandbox_cli
from onec_sandbox.faults import Faults
from onec_sandbox.server import start_in_thread
from onec_sandbox.state import SandboxState

from .conftest import url

AUTH = ("Администратор", "секрет")


@pytest.fixture(scope="module")
def running():
    st = SandboxState.seeded(products=60, warehouses=3, seed=7)
    srv = start_in_thread(st, auth=AUTH, faults=Faults())
    yield srv
    srv.stop()


def clerk(running, capsys, *argv: str) -> tuple[int, str, str]:
    p = argparse.ArgumentParser()
    sandbox_cli.add_arguments(p)
    args = p.parse_args([argv[0], "--url", running.base_url, "--user", AUTH[0],
                         "--password", AUTH[1], *argv[1:]])
    code = sandbox_cli.run(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def make_order(running) -> dict:
    st = running.state
    first = lambda s: next(iter(st.objects[s].values()))  # noqa: E731
    cp = first("Catalog_Контрагенты")
    wh = st.find_by("Catalog_Склады", "Description", "Основной склад")
    prods = [p for p in st.objects["Catalog_Номенклатура"].values() if not p["IsFolder"]
             and st.acc["ТоварыНаСкладах"].totals.get(
                 (wh["Ref_Key"], p["Ref_Key"], *["00000000-0000-0000-0000-000000000000"] * 3),
                 [0])[0] >= 3][:2]
    rows = [{"LineNumber": str(i), "Номенклатура_Key": p["Ref_Key"],
             "ЕдиницаИзмерения_Key": p["ЕдиницаХраненияОстатков_Key"], "Количество": 2,
             "Цена": 150, "Сумма": 300, "СтавкаНДС": p["СтавкаНДС"], "ПроцентСкидкиНаценки": 0}
            for i, p in enumerate(prods, start=1)]
    body = {"Ref_Key": str(uuid.uuid4()), "Организация_Key": first("Catalog_Организации")["Ref_Key"],
            "Контрагент_Key": cp["Ref_Key"], "ДоговорКонтрагента_Key": cp["ОсновнойДоговорКонтрагента_Key"],
            "ВалютаДокумента_Key": first("Catalog_Валюты")["Ref_Key"], "СкладГруппа": wh["Ref_Key"],
            "СкладГруппа_Type": "StandardODATA.Catalog_Склады", "СуммаДокумента": 600,
            "СуммаВключаетНДС": True, "Товары": rows}
    with httpx.Client(base_url=running.base_url, auth=httpx.BasicAuth(*AUTH)) as c:
        r = c.post(url("Document_ЗаказПокупателя"), json=body)
        assert r.status_code == 201, r.text
        return r.json()


def test_clerk_flow(running, capsys):
    order = make_order(running)
    num = order["Number"]
    code, out, err = clerk(running, capsys, "post", num)
    assert code == 0 and "проведен" in out, err
    code, out, err = clerk(running, capsys, "pay", num, "--amount", "200.50")
    assert code == 0, err
    code, out, err = clerk(running, capsys, "pay", order["Ref_Key"], "--amount", "99.5", "--cash")
    assert code == 0 and "ПКО" in out, err
    code, out, err = clerk(running, capsys, "ship", num, "--line", "1", "--qty", "1")
    assert code == 0 and "проведена" in out, err
    code, out, err = clerk(running, capsys, "orders")
    assert code == 0, err
    line = next(ln for ln in out.splitlines() if ln.startswith(num))
    assert "300.00 50%" in line and "25%" in line and " да " in line
    code, out, err = clerk(running, capsys, "ship", num)  # the rest
    assert code == 0, err
    code, out, err = clerk(running, capsys, "orders")
    line = next(ln for ln in out.splitlines() if ln.startswith(num))
    assert line.rstrip().endswith("100%")
    code, out, err = clerk(running, capsys, "ship", num)
    assert code == 1 and "нечего" in err
    code, out, err = clerk(running, capsys, "unpost", num)
    assert code == 0 and "не проведен" in out
    code, out, err = clerk(running, capsys, "post", "НЕТ-ТАКОГО")
    assert code == 1 and "не найден" in err


def test_clerk_price_and_receive(running, capsys):
    st = running.state
    prod = next(p for p in st.objects["Catalog_Номенклатура"].values() if not p["IsFolder"])
    code, _out, err = clerk(running, capsys, "price", prod["Code"], "--type", "Розничная",
                            "--price", "123.45")
    assert code == 0, err
    rt = st.find_by("Catalog_ТипыЦенНоменклатуры", "Description", "Розничная")["Ref_Key"]
    cond = f"Номенклатура_Key eq guid'{prod['Ref_Key']}' and ТипЦен_Key eq guid'{rt}'"
    with httpx.Client(base_url=running.base_url, auth=httpx.BasicAuth(*AUTH)) as c:
        rows = c.get(url("InformationRegister_ЦеныНоменклатуры_RecordType/SliceLast",
                         Condition=cond)).json()["value"]
        assert rows[0]["Цена"] == 123.45
        code, _out, err = clerk(running, capsys, "receive", prod["Артикул"], "--warehouse",
                                "Склад Юг", "--qty", "7")
        assert code == 0, err
        wh = st.find_by("Catalog_Склады", "Description", "Склад Юг")["Ref_Key"]
        bal = c.get(url("AccumulationRegister_ТоварыНаСкладах/Balance", Condition=(
            f"Склад_Key eq guid'{wh}' and Номенклатура_Key eq guid'{prod['Ref_Key']}'"))).json()
        assert bal["value"][0]["КоличествоBalance"] >= 7
    code, _out, err = clerk(running, capsys, "receive", prod["Code"], "--warehouse", "Нет такого",
                            "--qty", "1")
    assert code == 1 and "не найден" in err


def test_wrong_password_and_dropped_response_over_http(running):
    with httpx.Client(base_url=running.base_url, auth=httpx.BasicAuth(AUTH[0], "x")) as c:
        assert c.get(url("Catalog_Валюты")).status_code == 401
    running.faults.configure({"drop_next": 1})
    key = str(uuid.uuid4())
    with httpx.Client(base_url=running.base_url, auth=httpx.BasicAuth(*AUTH)) as c:
        with pytest.raises(httpx.RemoteProtocolError):
            c.post(url("Catalog_Контрагенты"), json={"Ref_Key": key, "Description": "Потерян"})
        r = c.get(url(f"Catalog_Контрагенты(guid'{key}')"))
        assert r.status_code == 200 and r.json()["Description"] == "Потерян"
    running.faults.configure({"reset": True})


def _warehouse_order(running, order: dict, qty: int = 1) -> dict:
    """A shipment request as the CRM writes it: unposted, linked to the order."""
    st = running.state
    row = order["Товары"][0]
    body = {"Ref_Key": str(uuid.uuid4()), "ВидОперации": "РасходПоНакладной",
            "Организация_Key": order["Организация_Key"], "Склад_Key": order["СкладГруппа"],
            "Контрагент_Key": order["Контрагент_Key"], "ДокументПередачи": order["Ref_Key"],
            "ДокументПередачи_Type": "StandardODATA.Document_ЗаказПокупателя", "Комментарий": "#ОТГРУЗКА",
            "Товары": [{"LineNumber": "1", "Номенклатура_Key": row["Номенклатура_Key"], "Количество": qty,
                        "Коэффициент": 1, "ДокументРезерва": order["Ref_Key"],
                        "ДокументРезерва_Type": "StandardODATA.Document_ЗаказПокупателя"}]}
    with httpx.Client(base_url=running.base_url, auth=httpx.BasicAuth(*AUTH)) as c:
        r = c.post(url("Document_РасходныйОрдерНаТовары"), json=body)
        assert r.status_code == 201, r.text
    assert st.objects["Document_РасходныйОрдерНаТовары"][body["Ref_Key"]]["Posted"] is False
    return r.json()


def test_clerk_posts_and_rejects_shipment_requests(running, capsys):
    order = make_order(running)
    code, _, err = clerk(running, capsys, "post-shipment", order["Number"])
    assert code == 1 and "нет заявок на отгрузку" in err
    first = _warehouse_order(running, order)
    code, out, _ = clerk(running, capsys, "post-shipment", order["Number"])
    assert code == 0 and first["Number"] in out and "проведен" in out
    docs = running.state.objects["Document_РасходныйОрдерНаТовары"]
    assert docs[first["Ref_Key"]]["Posted"] is True
    second = _warehouse_order(running, order)
    code, out, _ = clerk(running, capsys, "reject-shipment", order["Number"], "--doc", second["Number"])
    assert code == 0 and "помечен на удаление" in out
    assert docs[second["Ref_Key"]]["DeletionMark"] is True and not docs[second["Ref_Key"]]["Posted"]
    code, _, err = clerk(running, capsys, "reject-shipment", order["Number"])
    assert code == 1 and "нет заявок" in err


def test_posting_a_shipment_request_needs_stock(running, capsys):
    order = make_order(running)
    doc = _warehouse_order(running, order, qty=100000)
    code, _, err = clerk(running, capsys, "post-shipment", order["Number"], "--doc", doc["Number"])
    assert code == 1 and "Недостаточно остатка" in err


@pytest.mark.parametrize("config", ["ut11", "bp3"])
def test_sale_based_configurations_answer_only_the_crms_requests(config, capsys):
    """УТ 11 / БП 3: a shipment request is an unposted sale marked #ОТГРУЗКА; the clerk answers
    those only — an unposted sale someone made by hand (no mark) is left alone."""
    st = SandboxState.seeded(products=10, warehouses=1, seed=3, config=config)
    srv = start_in_thread(st)
    try:
        p = argparse.ArgumentParser()
        sandbox_cli.add_arguments(p)
        order_set = "Document_ЗаказКлиента" if config == "ut11" else "Document_СчетНаОплатуПокупателю"
        with httpx.Client(base_url=srv.base_url, auth=httpx.BasicAuth(*AUTH)) as c:
            r = c.post(url(order_set), json={"Комментарий": "заказ", "Товары": []})
            assert r.status_code == 201, r.text
            order = r.json()
            link = {"ЗаказКлиента": order["Ref_Key"], "ЗаказКлиента_Type": "StandardODATA." + order_set} \
                if config == "ut11" else {"СчетНаОплатуПокупателю_Key": order["Ref_Key"]}
            r = c.post(url("Document_РеализацияТоваровУслуг"), json={"Комментарий": "вручную", **link})
            assert r.status_code == 201, r.text
        hand = r.json()["Ref_Key"]
        code = sandbox_cli.run(p.parse_args(["post-shipment", order["Number"], "--url", srv.base_url]))
        assert code == 1 and "нет заявок на отгрузку" in capsys.readouterr().err
        assert st.objects["Document_РеализацияТоваровУслуг"][hand]["Posted"] is False
    finally:
        srv.stop()


def test_clerk_refuses_nan_inf_and_a_negative_price_in_words(running, capsys):
    """`pay --amount nan`, `ship --qty nan`, `receive --qty nan` ended in a decimal.InvalidOperation
    traceback; `price --price inf` or `-1` went to the base. Each is one line, exit 1, nothing written."""
    st = running.state
    order = make_order(running)
    num = order["Number"]
    prod = next(p for p in st.objects["Catalog_Номенклатура"].values() if not p["IsFolder"])
    docs = {name: len(st.objects.get(name, {})) for name in (
        "Document_ПлатежноеПоручениеВходящее", "Document_РеализацияТоваровУслуг",
        "Document_УстановкаЦенНоменклатуры", "Document_ОприходованиеТоваров")}
    cases = [
        (("pay", num, "--amount", "nan"), "неверная сумма: nan"),
        (("pay", num, "--amount", "Infinity"), "неверная сумма: Infinity"),
        (("ship", num, "--line", "1", "--qty", "nan"), "неверное количество: nan"),
        (("ship", num, "--line", "1", "--qty", "inf"), "неверное количество: inf"),
        (("receive", prod["Code"], "--warehouse", "Склад Юг", "--qty", "NaN"), "неверное количество: NaN"),
        (("price", prod["Code"], "--type", "Розничная", "--price", "inf"), "неверная цена: inf"),
        (("price", prod["Code"], "--type", "Розничная", "--price", "-1"), "цена не может быть отрицательной"),
    ]
    for argv, words in cases:
        code, _out, err = clerk(running, capsys, *argv)
        assert code == 1 and words in err, (argv, code, err)
    assert {name: len(st.objects.get(name, {})) for name in docs} == docs
    code, _out, err = clerk(running, capsys, "pay", num, "--amount", "1,5")  # a comma still reads
    assert code == 0, err
