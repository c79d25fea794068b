"""Document numbers in each configuration's own form, as a real base gives them.

КА 1.1 (УПП lineage): String(11), the organization's prefix then the zero-padded counter
(`ТД000000001`). УТ 11 and БП 3 (БСП prefixation, `ПрефиксацияОбъектовСобытия`): String(11), the
organization's prefix and the infobase's prefix, each padded to 2 with zeros ("00" when empty),
a dash, then the counter in the 6 digits left (`ТД00-000001`, `0000-000001` without an
organization). Numbering restarts each year (NumberPeriodicity Year) per prefix. Through the real
sandbox HTTP server on loopback.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from onec_sandbox.server import RunningSandbox, start_in_thread
from onec_sandbox.state import SandboxState

#: configuration → (its deal documents, the number its first one gets in 2026)
CASES = {
    "ka1": (("Document_ЗаказПокупателя", "Document_СчетНаОплатуПокупателю",
             "Document_РеализацияТоваровУслуг"), "ТД000000001"),
    "ut11": (("Document_ЗаказКлиента", "Document_СчетНаОплатуКлиенту",
              "Document_РеализацияТоваровУслуг"), "ТД00-000001"),
    "bp3": (("Document_СчетНаОплатуПокупателю", "Document_РеализацияТоваровУслуг",
             "Document_ПоступлениеНаРасчетныйСчет"), "БС00-000001"),
}


@pytest.fixture(params=sorted(CASES))
def served(request: pytest.FixtureRequest) -> Iterator[tuple[str, RunningSandbox]]:
    running = start_in_thread(SandboxState.seeded(products=3, warehouses=1, seed=5, config=request.param),
                              base="demo")
    try:
        yield request.param, running
    finally:
        running.stop()


def _post(http: httpx.Client, set_name: str, body: dict) -> str:
    r = http.post(f"{set_name}?$format=json", json=body)
    assert r.status_code == 201, r.text
    number = r.json()["Number"]
    assert isinstance(number, str)
    return number


def test_a_new_document_is_numbered_in_its_configurations_form(served) -> None:
    config, running = served
    sets, first = CASES[config]
    org = next(iter(running.state.objects["Catalog_Организации"].values()))["Ref_Key"]
    with httpx.Client(base_url=running.base_url.rstrip("/") + "/", timeout=30) as http:
        for set_name in sets:
            body = {"Date": "2026-03-01T10:00:00", "Организация_Key": org}
            a, b = _post(http, set_name, body), _post(http, set_name, body)
            assert (a, b) == (first, first[:-1] + "2"), set_name
            assert len(a) == 11
            # a new year starts the counter again, the prefix stays
            assert _post(http, set_name, {**body, "Date": "2027-01-10T09:00:00"}) == first


def test_a_document_without_an_organization_has_the_padded_empty_prefix(served) -> None:
    config, running = served
    sets, _first = CASES[config]
    with httpx.Client(base_url=running.base_url.rstrip("/") + "/", timeout=30) as http:
        number = _post(http, sets[-1], {"Date": "2026-03-01T10:00:00"})
    assert number == {"ka1": "00000000001", "ut11": "0000-000001", "bp3": "0000-000001"}[config]
