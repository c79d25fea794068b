"""Field definitions from a profile (clear errors for a bad one), typed values, the filter words,
and the sandbox's extra-attributes file."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from onec_sandbox.extra import ExtraError
from onec_sandbox.extra import load as load_extra
from tests.custom.kit import all_kinds
from tui_crm.domain.custom import (
    FieldKind,
    format_value,
    from_json,
    parse_value,
    split_filter,
    to_json,
)
from tui_crm.domain.problems import Code, ValidationError
from tui_crm.sync.profile import ProfileError, load_profile


def _profile(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "company.toml"
    path.write_text('extends = "ka1"\n[profile]\nname = "c"\ngeneration = "ka1"\n' + body, encoding="utf-8")
    return path


@pytest.mark.parametrize(("entry", "says"), [
    ('x = { field = "Отрасль", kind = "reference" }', 'needs catalog = "Catalog_<name>"'),
    ('x = { field = "Штат", kind = "integer" }', "kind = 'integer'; use one of text, number"),
    ('x = { field = "Штат", kind = "number", min = 5, max = 1 }', "min is greater than max"),
    ('x = { field = "Код", max_length = 0 }', "max_length is for kind"),
    ('x = { field = "Код", colour = "red" }', "unknown key(s) colour"),
    ('x = { field = "Код", label_ru = "" }', "label_ru must be printable text"),
    ('x = { field = "Код; drop", kind = "text" }', "is not a 1C attribute name"),
])
def test_a_bad_field_definition_is_refused_with_where_and_why(tmp_path: Path, entry: str, says: str) -> None:
    with pytest.raises(ProfileError) as err:
        load_profile(str(_profile(tmp_path, f"[custom_fields.client]\n{entry}\n")))
    assert "custom_fields.client.x" in str(err.value) and says in str(err.value)


def test_a_reference_is_exchanged_as_its_key_property(tmp_path: Path) -> None:
    p = load_profile(str(_profile(tmp_path, '[custom_fields.client]\nindustry = { field = "Отрасль", '
                                             'kind = "reference", catalog = "Catalog_Отрасли", label = "Отр" }\n')))
    (cf,) = p.custom("client")
    assert cf.onec == "Отрасль_Key" and cf.field_spec.kind is FieldKind.REFERENCE
    assert p.field_set().catalog_names() == ["Catalog_Отрасли"]


def test_values_are_typed_and_kept_as_json_without_floats() -> None:
    branch, _industry, staff, since, vip = all_kinds().client
    assert parse_value(staff, "1 200") == Decimal(1200)
    assert to_json(staff, Decimal("1200")) == "1200"
    assert from_json(staff, 12.5) == Decimal("12.5")
    assert parse_value(since, "05.12.2026") == date(2026, 12, 5)
    assert from_json(since, "0001-01-01T00:00:00") is None  # 1C's "no date"
    assert format_value(since, date(2026, 12, 5)) == "05.12.2026"
    assert to_json(vip, None) is False
    with pytest.raises(ValidationError) as err:
        parse_value(staff, "")
    assert err.value.problem.code is Code.CUSTOM_REQUIRED
    with pytest.raises(ValidationError) as err:
        parse_value(branch, "12345678901")
    assert err.value.problem.code is Code.CUSTOM_TOO_LONG


def test_filter_words_split_from_the_field_condition() -> None:
    fields = all_kinds().client
    words, flt, problem = split_filter(fields, "ромашка staff>10")
    assert (words, problem) == ("ромашка", None) and flt is not None and flt.value == Decimal(10)
    words, flt, problem = split_filter(fields, "a=b")  # no such field: plain words
    assert (words, flt, problem) == ("a=b", None, None)
    _, flt, problem = split_filter(fields, "branch_code>5")
    assert flt is None and problem is not None and problem.code is Code.FILTER_COMPARE_TEXT


def test_sandbox_extra_attributes_file_errors_are_plain(tmp_path: Path) -> None:
    bad = tmp_path / "extra.toml"
    bad.write_text('[attributes."Catalog_Контрагенты"]\n"Отрасль" = "r=Catalog_Нет"\n', encoding="utf-8")
    with pytest.raises(ExtraError, match="ends in _Key"):
        load_extra(bad)
    bad.write_text('[attributes."Catalog_Контрагенты"]\n"ИНН" = "s"\n', encoding="utf-8")
    with pytest.raises(ExtraError, match="already has this attribute"):
        load_extra(bad)
