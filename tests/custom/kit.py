"""Shared set-up for the custom-field screen tests: the example profile's fields, all five kinds,
and a store holding a mirrored industry catalog."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from tui_crm.domain.custom import CustomFieldSet, FieldKind, FieldSpec
from tui_crm.store import Store
from tui_crm.sync.profile import load_profile

ROOT = Path(__file__).resolve().parents[2]
PROFILE = ROOT / "examples" / "custom-fields.toml"
EXTRA = ROOT / "examples" / "sandbox-extra-attributes.toml"
INDUSTRIES = "Catalog_Отрасли"
RETAIL = "aaaaaaaa-0000-0000-0000-000000000001"
WHOLESALE = "aaaaaaaa-0000-0000-0000-000000000002"
BUILDING = "aaaaaaaa-0000-0000-0000-000000000003"


def example_fields() -> CustomFieldSet:
    """The example profile's fields: branch code (text ≤ 10), industry (reference); delivery date."""
    return load_profile(str(PROFILE)).field_set()


def all_kinds() -> CustomFieldSet:
    return CustomFieldSet(client=(
        FieldSpec("branch_code", FieldKind.TEXT, "Branch code", "Код филиала", max_length=10),
        FieldSpec("industry", FieldKind.REFERENCE, "Industry", "Отрасль", catalog=INDUSTRIES),
        FieldSpec("staff", FieldKind.NUMBER, "Staff", "Штат", required=True, minimum=Decimal(1),
                  maximum=Decimal(10000), places=0),
        FieldSpec("since", FieldKind.DATE, "Client since", "Клиент с"),
        FieldSpec("vip", FieldKind.YES_NO, "VIP", "VIP"),
    ))


def mirror_industries(store: Store) -> None:
    with store.transaction() as cur:
        store.replace_custom_items(cur, [
            (RETAIL, INDUSTRIES, "000000001", "Розничная торговля", False),
            (WHOLESALE, INDUSTRIES, "000000002", "Оптовая торговля", False),
            (BUILDING, INDUSTRIES, "000000003", "Строительство", False),
        ])
