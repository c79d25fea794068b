"""Company-specific fields through the sandbox: pushed typed, changed in 1C, pulled back; the
reference catalog is mirrored; the clients list filters by a field."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from onec_sandbox.extra import add_items, install, item_key, load
from onec_sandbox.state import SandboxState
from tests.sync.sandbox_kit import Rig, make_rig, new_client
from tui_crm.domain.custom import split_filter
from tui_crm.sync.profile import load_profile

ROOT = Path(__file__).resolve().parents[2]
PROFILE = ROOT / "examples" / "custom-fields.toml"
EXTRA = ROOT / "examples" / "sandbox-extra-attributes.toml"
CP = "Catalog_Контрагенты"
INDUSTRIES = "Catalog_Отрасли"


@pytest.fixture
def rig() -> Iterator[Rig]:
    extra = load(EXTRA)
    undo = install(extra)
    try:
        state = SandboxState.seeded(products=20, warehouses=2, seed=5)
        add_items(state, extra)
        yield make_rig(state=state, profile=load_profile(str(PROFILE)))
    finally:
        undo()


async def test_custom_fields_push_change_in_1c_pull(rig: Rig) -> None:
    store, service = rig.store, rig.service
    await service.pull_now(full=True)
    items = store.custom_items(INDUSTRIES)
    assert [i.name for i in items][:2] == ["Общепит", "Оптовая торговля"]
    retail = item_key(INDUSTRIES, "Розничная торговля")
    client = new_client("ООО «Север»", inn="7736050003")
    store.save_client(client, queue=True, custom={"branch_code": "N-01", "industry": retail})
    await service.push_now()
    cp = rig.state.get(CP, client.id)
    assert cp is not None
    assert cp["КодФилиала"] == "N-01" and cp["Отрасль_Key"] == retail

    # accounting changes both fields; the next pull shows them on the CRM client
    building = item_key(INDUSTRIES, "Строительство")
    cp = dict(cp, КодФилиала="N-02", Отрасль_Key=building)
    rig.state.put(CP, cp)
    await service.pull_now(full=True)
    assert store.client_custom_values(client.id) == {"branch_code": "N-02", "industry": building}

    fields = service.profile.field_set().client
    words, flt, problem = split_filter(fields, "север industry=строит")
    assert problem is None and words == "север"
    assert [r.id for r in store.client_rows(words, custom=flt)] == [client.id]
    _, flt, _ = split_filter(fields, "industry=розн")
    assert client.id not in [r.id for r in store.client_rows("", custom=flt)]


async def test_invoice_field_push_change_in_1c_pull(rig: Rig) -> None:
    from datetime import datetime

    from tests.sync.sandbox_kit import ORDER, new_invoice

    store, service = rig.store, rig.service
    await service.pull_now(full=True)
    client = new_client("ООО «Юг»", inn="7736050003")
    store.save_client(client, queue=True)
    iid, inv = new_invoice(store, client.id)
    store.save_invoice(iid, inv, date=datetime(2026, 11, 30, 12), queue=True,
                       custom={"delivery_date": "2026-12-05"})
    await service.push_now()
    order = rig.state.get(ORDER, iid)
    assert order is not None and order["ДатаДоставкиПлан"] == "2026-12-05T00:00:00"

    rig.state.put(ORDER, dict(order, ДатаДоставкиПлан="2026-12-09T00:00:00"))
    await service.pull_now()
    assert store.invoice_custom_values(iid)["delivery_date"] == "2026-12-09"
