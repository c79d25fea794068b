"""Profiles: which 1C metadata names the CRM's concepts have in one configuration.

Why a data file and not code: 1C bases differ by generation (КА 1.1 vs УТ 11 vs БП 3) and by
company (renamed or extra attributes). A profile is a TOML file (``profiles/ka1.toml`` is the
reference one, fully commented) that an integrator can copy and edit without touching Python.
``accounting.profile`` in config.toml names a bundled profile (``ka1``, ``ut11``, ``bp3``) or a
path to such a copy. A copy may say ``extends = "ka1"`` and list only what differs.

Every 1C name is checked to be a plain metadata name when the profile is loaded, so a typo or a
hostile value can never become OData syntax, and a missing name is reported with the file, the
table and the key, not as a 1C error at the first sync.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Any

from tui_crm.domain.custom import CustomFieldSet, FieldKind, FieldSpec
from tui_crm.i18n import register
from tui_crm.sync.odata.errors import Worded

__all__ = [
    "BUNDLED",
    "Concept",
    "CustomField",
    "Profile",
    "ProfileError",
    "load_profile",
    "resolve_profile",
]

BUNDLED = ("ka1", "ut11", "bp3")
GENERATIONS = ("ka1", "ut11", "bp3")
TYPE_PREFIX = "StandardODATA."

_NAME = r"[A-Za-zА-Яа-яЁё_][A-Za-z0-9_А-Яа-яЁё]*"
_NAME_RE = re.compile(rf"^{_NAME}$")
_CRM_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
# A code of a chart of accounts: digits in dot-separated groups ("41", "41.01", "62.01.1").
_ACCOUNT_CODE_RE = re.compile(r"^[0-9]{1,4}(\.[0-9]{1,4}){0,3}$")

# concept -> (required CRM fields, needs a table part, is a register)
_CONCEPTS: dict[str, tuple[tuple[str, ...], tuple[str, ...], bool]] = {
    "organization": (("id", "name"), (), False),
    "currency": (("id", "code"), (), False),
    "warehouse": (("id", "name"), (), False),
    "price_type": (("id", "name"), (), False),
    "unit": (("id", "name"), (), False),
    "product": (("id", "code", "name"), (), False),
    "counterparty": (("id", "name", "inn"), (), False),
    "contact": (("owner", "type", "kind", "value"), (), False),
    "contract": (("id", "owner"), (), False),
    "prices": (("price_type", "product", "price"), (), True),
    "stock": (("warehouse", "product", "quantity"), (), True),
    "reserves": (("warehouse", "product", "quantity"), (), True),
    "debt": (("client", "amount"), (), True),
    "order": (("id", "number", "date", "posted", "data_version", "client", "total"),
              ("product", "quantity", "price", "amount"), False),
    "bill": (("id", "order"), (), False),
    "bank_payment": (("id", "number", "date", "posted"), ("order", "amount"), False),
    "cash_payment": (("id", "number", "date", "posted"), ("order", "amount"), False),
    "shipment": (("id", "number", "date", "posted", "order"), ("product", "quantity"), False),
    # The shipment request the CRM writes unposted for the warehouse (КА 1.1: the warehouse order
    # РасходныйОрдерНаТовары linked to the order; docs/shipment.md). Unmapped: not available.
    "shipment_request": (("id", "number", "posted", "deletion_mark", "order", "warehouse", "organization",
                          "comment"), ("product", "quantity"), False),
    # УТ 11: the VAT rate catalog (11.5), the partner beside the counterparty, the agreement an
    # order needs, and the settlement objects payments point at (11.5)
    "vat_rate": (("id", "rate"), (), False),
    "partner": (("id", "name"), (), False),
    "agreement": (("id",), (), False),
    "settlement_object": (("id", "order"), (), False),
    # УТ 11: the debt register is keyed by an analytics key (КлючиАналитикиУчетаПоПартнерам), an
    # element per organization + partner + counterparty + contract; ``client`` is its counterparty
    "debt_key": (("id", "client"), (), False),
}
# Concepts every profile must map to something (the mirror and the order state need them).
_REQUIRED_CONCEPTS = ("organization", "warehouse", "price_type", "product", "prices", "stock",
                      "counterparty", "order")
# What pushing clients and orders needs in addition, per generation.
_PUSH_FIELDS: dict[str, dict[str, tuple[str, ...]]] = {
    "ka1": {
        "order": ("contract", "organization", "warehouse", "price_type", "currency",
                  "amount_includes_vat", "comment"),
        "counterparty": ("full_name", "kpp", "legal_form"),
        "contract": ("organization", "kind", "currency", "name"),
    },
    "ut11": {
        "order": ("partner", "agreement", "organization", "warehouse", "currency",
                  "amount_includes_vat", "comment", "status"),
        "counterparty": ("full_name", "kpp", "legal_form", "partner"),
        "partner": ("name", "is_client"),
        "agreement": ("standard",),
    },
    # БП 3: the invoice is the deal, written like the КА 1.1 order (contract, price type…)
    "bp3": {
        "order": ("contract", "organization", "warehouse", "price_type", "currency",
                  "amount_includes_vat", "comment"),
        "counterparty": ("full_name", "kpp", "legal_form"),
        "contract": ("organization", "kind", "currency", "name"),
    },
}
_PUSH_CONCEPTS = {"ka1": ("contract", "currency", "contact"),
                  "ut11": ("currency", "contact", "partner", "agreement"),
                  "bp3": ("contract", "currency", "contact")}
# Enum kinds pushing needs mapped, per generation (vat_kind is optional: only БП 3 has it).
_PUSH_ENUMS = {"ka1": ("legal_form", "contract_kind", "settlement", "contact_type"),
               "ut11": ("legal_form", "contact_type", "order_status", "reservation", "partner_kind"),
               "bp3": ("legal_form", "contract_kind", "settlement", "contact_type")}
_SCALAR_KEYS = {"entity", "lines", "function", "dimensions", "condition", "mode", "kind_entity",
                "national_code", "account_entity", "accounts", "subconto", "lines_select", "more_lines",
                "service_lines", "service_content", "watch"}
_TABLE_KEYS = {"fields", "composite", "line_fields", "line_composite", "kinds"}
_TOP_KEYS = {"profile", "limits", "enums", "custom_fields", "extends"} | set(_CONCEPTS)
_ENUMS = {
    "legal_form": ("legal_entity", "sole_proprietor", "individual"),
    "contract_kind": ("sale",),
    "settlement": ("by_order",),
    "contact_type": ("phone", "email", "address"),
    # БП 3 keeps no rate on the product, only the kind of rate (ВидСтавкиНДС): general, reduced…
    "vat_kind": ("general", "reduced", "zero", "exempt"),
    "order_status": ("new",),
    "reservation": ("line",),
    "partner_kind": ("legal_entity", "sole_proprietor", "individual"),
    # КА 1.1's ВидыОперацийРасходныйОрдер member a shipment request is written with
    "shipment_operation": ("sale",),
}
_CUSTOM_TARGETS = {"client": "counterparty", "invoice": "order"}


# What a profile error says, by key: the English here (``str(exc)``, the log files), the Russian in
# _RU; both registered with i18n, and the operator reads it in the interface language
# (sync.reach.error_words). Values (a file, a TOML table or key, 1C names) are shown as they are.
TEXT: dict[str, str] = {
    "profile.no_field": "{where}: {table} has no '{name}'",
    "profile.no_concept": "profile {where}: no concept '{key}'",
    "profile.no_enum_value": "profile {where}: {table} has no value for '{value}'",
    "profile.toml": "{where} is not valid TOML: {error}",
    "profile.extends": "{where}: extends must be one of {known}, got {got}",
    "profile.extends_loop": "{where}: extends loops through {parent}",
    "profile.unreadable": "profile {path} cannot be read: {error}",
    "profile.not_found": "accounting.profile {spec} is neither a bundled profile ({known}) nor an existing file",
    "profile.not_table": "{where} must be a table",
    "profile.not_crm_name": "{where}: {name} is not a CRM field name (lower_case_with_underscores)",
    "profile.not_1c_name_key": "{where}: {name} is not a 1C metadata name",
    "profile.not_string": "{where} must be a string, got {got}",
    "profile.not_1c_name_value": "{where} = {value} is not a 1C metadata name",
    "profile.empty": "{where} must not be empty",
    "profile.table_not_table": "{where}: {table} must be a table",
    "profile.unknown_keys": "{where}: {table} has unknown key(s) {keys}",
    "profile.not_entity": "{where}: {name} = {value} is not a 1C entity name",
    "profile.composite": "{where}: {table} names '{name}', which no field of {fields} maps to",
    "profile.not_table_part": "{where}: {name} = {value} is not a table part name",
    "profile.not_table_parts": "{where}: {name} = {value} is not a list of table part names",
    "profile.needs": "{where}: {name} needs {needs}",
    "profile.opt_not_string": "{where}: {name} must be a string",
    "profile.opt_not_1c_name": "{where}: {name} = {value} is not a 1C name",
    "profile.opt_not_names": "{where}: {name} = {value} is not a list of names",
    "profile.not_accounts": "{where}: {name} = {value} is not a list of account codes (such as \"41.01\")",
    "profile.lines_select": "{where}: {name} must be columns or whole",
    "profile.watch": "{where}: {name}: only [debt] takes it, as \"client\" (or \"\")",
    "profile.one_line": "{where}: {name} must be one line",
    "profile.service_lines": "{where}: {name} must be one of {more}",
    "profile.must_map_fields": "{where}: {table} must map {names} (the 1C attribute names for {entity})",
    "profile.needs_lines": "{where}: {table} needs `lines` (the table part name)",
    "profile.must_map": "{where}: {table} must map {names}",
    "profile.register_function": "{where}: {table} is a register; set `function` (Balance, SliceLast, …)",
    "profile.contact_mode": "{where}: contact.mode must be register or table_part",
    "profile.contact_lines": "{where}: contact.mode = table_part needs `lines`",
    "profile.unknown_tables": "{where}: unknown table(s) {tables}; known: {known}",
    "profile.no_head": "{where}: missing [profile] table (name, generation)",
    "profile.no_name": "{where}: profile.name must be a non-empty string",
    "profile.generation": "{where}: profile.generation must be one of {known}, got {got}",
    "profile.true_false": "{where}: {name} must be true or false",
    "profile.need_entities": "{where}: these must name a 1C entity: {names}",
    "profile.push_generation": "{where}: pushing to accounting is implemented for generations {known}; "
                               "set profile.push = false",
    "profile.push_entity": "{where}: profile.push = true needs {table} with an entity",
    "profile.push_fields": "{where}: profile.push = true needs {table} {names}",
    "profile.push_kinds": "{where}: profile.push = true needs [contact.kinds]",
    "profile.integer": "{where}: {name} must be an integer {low}…{high}",
    "profile.unknown_enum": "{where}: unknown {table}; known: {known}",
    "profile.custom_target": "{where}: {table} unknown; use {known}",
    "profile.custom_name": "{where}: not a CRM field name (lower_case_with_underscores)",
    "profile.custom_standard": "{where}: {name} is already exchanged as a standard field",
    "profile.custom_spec": "{where} must be a 1C attribute name or {{ field = ..., kind = ... }}",
    "profile.custom_keys": "{where}: unknown key(s) {keys}; known: {known}",
    "profile.custom_field": "{where}: field = {value} is not a 1C attribute name",
    "profile.custom_direction": "{where}: direction must be both, pull or push",
    "profile.custom_kind": "{where}: kind = {value}; use one of {known}",
    "profile.custom_label": "{where}: {name} must be printable text of 1…40 characters",
    "profile.custom_max_length": "{where}: max_length is for kind = \"text\": an integer 1…1024",
    "profile.custom_bound": "{where}: {name} is for kind = \"number\" and must be a number",
    "profile.custom_not_number": "{where}: {name} = {value} is not a number",
    "profile.custom_min_max": "{where}: min is greater than max",
    "profile.custom_catalog": "{where}: kind = \"reference\" needs catalog = \"Catalog_<name>\" "
                              "(the 1C catalog its items come from)",
    "profile.custom_catalog_only": "{where}: catalog is for kind = \"reference\" only",
}

_RU: dict[str, str] = {
    "profile.no_field": "{where}: в {table} нет '{name}'",
    "profile.no_concept": "профиль {where}: нет понятия '{key}'",
    "profile.no_enum_value": "профиль {where}: в {table} нет значения для '{value}'",
    "profile.toml": "{where} — не правильный TOML: {error}",
    "profile.extends": "{where}: extends должен быть одним из {known}, указано {got}",
    "profile.extends_loop": "{where}: extends зацикливается через {parent}",
    "profile.unreadable": "профиль {path} не прочитать: {error}",
    "profile.not_found": "accounting.profile {spec} — не встроенный профиль ({known}) и не существующий файл",
    "profile.not_table": "{where} должен быть таблицей",
    "profile.not_crm_name": "{where}: {name} — не имя поля CRM (строчные_буквы_через_подчёркивание)",
    "profile.not_1c_name_key": "{where}: {name} — не имя метаданных 1С",
    "profile.not_string": "{where} должен быть строкой, указано {got}",
    "profile.not_1c_name_value": "{where} = {value} — не имя метаданных 1С",
    "profile.empty": "{where} не должен быть пустым",
    "profile.table_not_table": "{where}: {table} должен быть таблицей",
    "profile.unknown_keys": "{where}: в {table} неизвестные ключи: {keys}",
    "profile.not_entity": "{where}: {name} = {value} — не имя объекта 1С",
    "profile.composite": "{where}: {table} называет '{name}', но ни одно поле {fields} на него не указывает",
    "profile.not_table_part": "{where}: {name} = {value} — не имя табличной части",
    "profile.not_table_parts": "{where}: {name} = {value} — не список имён табличных частей",
    "profile.needs": "{where}: {name} требует {needs}",
    "profile.opt_not_string": "{where}: {name} должен быть строкой",
    "profile.opt_not_1c_name": "{where}: {name} = {value} — не имя 1С",
    "profile.opt_not_names": "{where}: {name} = {value} — не список имён",
    "profile.not_accounts": "{where}: {name} = {value} — не список кодов счетов (например, \"41.01\")",
    "profile.lines_select": "{where}: {name} должен быть columns или whole",
    "profile.watch": "{where}: {name}: его принимает только [debt], со значением \"client\" (или \"\")",
    "profile.one_line": "{where}: {name} должен быть одной строкой",
    "profile.service_lines": "{where}: {name} должен быть одним из {more}",
    "profile.must_map_fields": "{where}: {table} должен сопоставить {names} (имена реквизитов 1С для {entity})",
    "profile.needs_lines": "{where}: {table} требует `lines` (имя табличной части)",
    "profile.must_map": "{where}: {table} должен сопоставить {names}",
    "profile.register_function": "{where}: {table} — регистр; укажите `function` (Balance, SliceLast, …)",
    "profile.contact_mode": "{where}: contact.mode должен быть register или table_part",
    "profile.contact_lines": "{where}: contact.mode = table_part требует `lines`",
    "profile.unknown_tables": "{where}: неизвестные таблицы: {tables}; известные: {known}",
    "profile.no_head": "{where}: нет таблицы [profile] (name, generation)",
    "profile.no_name": "{where}: profile.name должен быть непустой строкой",
    "profile.generation": "{where}: profile.generation должен быть одним из {known}, указано {got}",
    "profile.true_false": "{where}: {name} должен быть true или false",
    "profile.need_entities": "{where}: эти понятия должны указывать объект 1С: {names}",
    "profile.push_generation": "{where}: запись в учёт реализована для поколений {known}; укажите profile.push = false",
    "profile.push_entity": "{where}: profile.push = true требует {table} с объектом (entity)",
    "profile.push_fields": "{where}: profile.push = true требует в {table}: {names}",
    "profile.push_kinds": "{where}: profile.push = true требует [contact.kinds]",
    "profile.integer": "{where}: {name} должен быть целым числом {low}…{high}",
    "profile.unknown_enum": "{where}: неизвестное {table}; известные: {known}",
    "profile.custom_target": "{where}: {table} неизвестно; используйте {known}",
    "profile.custom_name": "{where}: не имя поля CRM (строчные_буквы_через_подчёркивание)",
    "profile.custom_standard": "{where}: {name} уже передаётся как стандартное поле",
    "profile.custom_spec": "{where} должен быть именем реквизита 1С или {{ field = ..., kind = ... }}",
    "profile.custom_keys": "{where}: неизвестные ключи: {keys}; известные: {known}",
    "profile.custom_field": "{where}: field = {value} — не имя реквизита 1С",
    "profile.custom_direction": "{where}: direction должен быть both, pull или push",
    "profile.custom_kind": "{where}: kind = {value}; используйте одно из: {known}",
    "profile.custom_label": "{where}: {name} должен быть печатным текстом из 1…40 знаков",
    "profile.custom_max_length": "{where}: max_length — только для kind = \"text\": целое число 1…1024",
    "profile.custom_bound": "{where}: {name} — только для kind = \"number\" и должен быть числом",
    "profile.custom_not_number": "{where}: {name} = {value} — не число",
    "profile.custom_min_max": "{where}: min больше max",
    "profile.custom_catalog": "{where}: kind = \"reference\" требует catalog = \"Catalog_<имя>\" "
                              "(справочник 1С, из которого берутся значения)",
    "profile.custom_catalog_only": "{where}: catalog — только для kind = \"reference\"",
}
register({key: {"en": en, "ru": _RU[key]} for key, en in TEXT.items()})


class ProfileError(Worded, ValueError):
    """A profile that cannot be used; the message names the file, the table and the key.

    ``str(exc)`` is English (the log files); ``words`` keeps the sentence as pieces (a `TEXT` key
    and its values), worded in the interface language by sync.reach.error_words."""

    TEXT = TEXT   # this module's dictionary (the class body reads the module name)


@dataclass(frozen=True)
class Concept:
    """One CRM concept in one configuration: its entity set and field names.

    ``entity == ""`` means the configuration has no such object; jobs that need it are skipped.
    """

    key: str
    entity: str
    fields: Mapping[str, str] = field(default_factory=dict)
    composite: Mapping[str, str] = field(default_factory=dict)
    lines: str = ""
    line_fields: Mapping[str, str] = field(default_factory=dict)
    line_composite: Mapping[str, str] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)
    #: further table parts whose rows have the same line fields and count as lines too (БП 3: a
    #: sale of services keeps its lines in `Услуги`, `Товары` empty)
    more_lines: tuple[str, ...] = ()

    @property
    def present(self) -> bool:
        return bool(self.entity)

    def has(self, name: str) -> bool:
        return bool(self.fields.get(name))

    def f(self, name: str) -> str:
        """The 1C property for a CRM field; KeyError-like ProfileError when unmapped."""
        value = self.fields.get(name)
        if not value:
            raise ProfileError("profile.no_field", where="profile", table=f"[{self.key}.fields]", name=name)
        return value

    def opt(self, name: str) -> str | None:
        return self.fields.get(name) or None

    def lf(self, name: str) -> str:
        value = self.line_fields.get(name)
        if not value:
            raise ProfileError("profile.no_field", where="profile", table=f"[{self.key}.line_fields]", name=name)
        return value

    def lopt(self, name: str) -> str | None:
        return self.line_fields.get(name) or None

    def type_of(self, onec_field: str) -> str | None:
        """Entity type of a composite header field, or None for a plain one."""
        return self.composite.get(onec_field)

    def line_type_of(self, onec_field: str) -> str | None:
        return self.line_composite.get(onec_field)

    def select(self, *names: str) -> list[str]:
        """1C property names for the given CRM fields that are mapped (composites with _Type)."""
        out: list[str] = []
        for n in names:
            v = self.fields.get(n)
            if v:
                out.append(v)
                if v in self.composite:
                    out.append(f"{v}_Type")
        return out

    def line_select(self, *names: str) -> list[str]:
        """``Lines/Field`` select items for mapped line fields (1C's $select of table parts).

        With ``lines_select = "whole"`` the table part is selected as a whole (``Товары``): a
        line attribute that is composite in one release and a plain ``_Key`` in another then
        arrives in either shape, where naming one of them would be refused by the other release."""
        parts = self.line_parts
        if self.options.get("lines_select") == "whole":
            return list(parts) if any(self.line_fields.get(n) for n in names) else []
        out: list[str] = []
        for part in parts:
            for n in names:
                v = self.line_fields.get(n)
                if v:
                    out.append(f"{part}/{v}")
                    if v in self.line_composite:
                        out.append(f"{part}/{v}_Type")
        return out

    @property
    def line_parts(self) -> tuple[str, ...]:
        """Every table part read as lines: `lines`, then `more_lines`."""
        return (self.lines, *self.more_lines) if self.lines else ()


@dataclass(frozen=True)
class CustomField:
    """An extra 1C attribute exchanged with a CRM custom field."""

    name: str          # CRM custom field name (key in the JSON column)
    onec: str          # 1C property of the counterparty / order (a reference's ends in _Key)
    direction: str     # both | pull | push
    spec: FieldSpec | None = None   # kind, labels, limits (None: plain text labelled by its name)

    @property
    def field_spec(self) -> FieldSpec:
        return self.spec or FieldSpec(self.name, FieldKind.TEXT, self.name, self.name)

    @property
    def pulls(self) -> bool:
        return self.direction in ("both", "pull")

    @property
    def pushes(self) -> bool:
        return self.direction in ("both", "push")


@dataclass(frozen=True)
class Profile:
    name: str
    title: str
    generation: str
    push: bool
    concepts: Mapping[str, Concept]
    enums: Mapping[str, Mapping[str, str]]
    custom_fields: Mapping[str, tuple[CustomField, ...]]
    ids_per_request: int = 20
    casts_per_request: int = 8
    source: str = ""

    def __getitem__(self, key: str) -> Concept:
        try:
            return self.concepts[key]
        except KeyError:
            raise ProfileError("profile.no_concept", where=self.name, key=key) from None

    def enum(self, kind: str, value: str) -> str:
        """1C enum member for a CRM value (``enum('legal_form', 'legal_entity') -> 'ЮрЛицо'``)."""
        member = self.enums.get(kind, {}).get(value, "")
        if not member:
            raise ProfileError("profile.no_enum_value", where=self.name, table=f"[enums.{kind}]", value=value)
        return member

    def enum_reverse(self, kind: str, member: str) -> str | None:
        """CRM value for a 1C enum member (first match), or None."""
        for crm, onec in self.enums.get(kind, {}).items():
            if onec == member:
                return crm
        return None

    def custom(self, target: str) -> tuple[CustomField, ...]:
        return self.custom_fields.get(target, ())

    def field_set(self) -> CustomFieldSet:
        """The company-specific fields as the screens need them (kinds, labels, limits)."""
        return CustomFieldSet(client=tuple(cf.field_spec for cf in self.custom("client")),
                              invoice=tuple(cf.field_spec for cf in self.custom("invoice")))


# -- loading ---------------------------------------------------------------------------------


def _bundled_text(name: str) -> str:
    return resources.files("tui_crm.sync.profiles").joinpath(f"{name}.toml").read_text(encoding="utf-8")


def _parse(text: str, where: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError("profile.toml", where=where, error=exc) from exc


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = v
    return out


def _raw(where: str, text: str, seen: tuple[str, ...] = ()) -> dict[str, Any]:
    data = _parse(text, where)
    parent = data.pop("extends", None)
    if parent is None:
        return data
    if not isinstance(parent, str) or parent not in BUNDLED:
        raise ProfileError("profile.extends", where=where, known=", ".join(BUNDLED), got=repr(parent))
    if parent in seen:
        raise ProfileError("profile.extends_loop", where=where, parent=parent)
    base = _raw(f"bundled profile {parent}", _bundled_text(parent), (*seen, parent))
    return _merge(base, data)


def resolve_profile(spec: str, *, base_dir: Path | None = None) -> tuple[str, str]:
    """(where, text) for a bundled name or a path (relative paths: cwd, then ``base_dir``)."""
    if spec in BUNDLED:
        return f"bundled profile {spec}", _bundled_text(spec)
    path = Path(spec).expanduser()
    candidates = [path]
    if not path.is_absolute() and base_dir is not None:
        candidates.append(base_dir / path)
    for cand in candidates:
        if cand.is_file():
            try:
                return str(cand), cand.read_text(encoding="utf-8-sig")  # a Notepad BOM is not TOML
            except OSError as exc:
                raise ProfileError("profile.unreadable", path=cand, error=exc.strerror) from exc
    raise ProfileError("profile.not_found", spec=repr(spec), known=", ".join(BUNDLED))


def load_profile(spec: str = "ka1", *, base_dir: Path | None = None) -> Profile:
    """Load and validate a profile by bundled name or path."""
    where, text = resolve_profile(spec, base_dir=base_dir)
    return profile_from_dict(_raw(where, text), where)


def _names(where: str, table: Any, *, crm_keys: bool = True, allow_empty: bool = True) -> dict[str, str]:
    if not isinstance(table, dict):
        raise ProfileError("profile.not_table", where=where)
    out: dict[str, str] = {}
    for k, v in table.items():
        if crm_keys and not _CRM_NAME_RE.match(k):
            raise ProfileError("profile.not_crm_name", where=where, name=repr(k))
        if not crm_keys and not _NAME_RE.match(k):
            raise ProfileError("profile.not_1c_name_key", where=where, name=repr(k))
        if not isinstance(v, str):
            raise ProfileError("profile.not_string", where=f"{where}.{k}", got=repr(v))
        if v and not _NAME_RE.match(v):
            raise ProfileError("profile.not_1c_name_value", where=f"{where}.{k}", value=repr(v))
        if not v and not allow_empty:
            raise ProfileError("profile.empty", where=f"{where}.{k}")
        out[k] = v
    return out


def _concept(where: str, key: str, data: Any) -> Concept:
    if not isinstance(data, dict):
        raise ProfileError("profile.table_not_table", where=where, table=f"[{key}]")
    unknown = set(data) - _SCALAR_KEYS - _TABLE_KEYS
    if unknown:
        raise ProfileError("profile.unknown_keys", where=where, table=f"[{key}]", keys=", ".join(sorted(unknown)))
    entity = data.get("entity", "")
    if not isinstance(entity, str) or (entity and not _NAME_RE.match(entity)):
        raise ProfileError("profile.not_entity", where=where, name=f"{key}.entity", value=repr(entity))
    fields = _names(f"{where}: [{key}.fields]", data.get("fields", {}))
    line_fields = _names(f"{where}: [{key}.line_fields]", data.get("line_fields", {}))
    # An empty type drops the entry: a copy that `extends` a profile can say a field is plain
    # there (БП 3 before 3.0.198: `Товары.Номенклатура_Key` instead of the composite).
    composite = {k: v for k, v in _names(f"{where}: [{key}.composite]", data.get("composite", {}),
                                         crm_keys=False).items() if v}
    line_composite = {k: v for k, v in _names(f"{where}: [{key}.line_composite]",
                                              data.get("line_composite", {}), crm_keys=False).items() if v}
    for onec in composite:
        if onec not in fields.values():
            raise ProfileError("profile.composite", where=where, table=f"[{key}.composite]", name=onec,
                               fields=f"[{key}.fields]")
    for onec in line_composite:
        if onec not in line_fields.values():
            raise ProfileError("profile.composite", where=where, table=f"[{key}.line_composite]", name=onec,
                               fields=f"[{key}.line_fields]")
    lines = data.get("lines", "")
    if not isinstance(lines, str) or (lines and not _NAME_RE.match(lines)):
        raise ProfileError("profile.not_table_part", where=where, name=f"{key}.lines", value=repr(lines))
    more_lines = data.get("more_lines", [])
    if not isinstance(more_lines, list) or not all(isinstance(m, str) and _NAME_RE.match(m) for m in more_lines):
        raise ProfileError("profile.not_table_parts", where=where, name=f"{key}.more_lines", value=repr(more_lines))
    if more_lines and not lines:
        raise ProfileError("profile.needs", where=where, name=f"{key}.more_lines", needs=f"{key}.lines")
    options: dict[str, Any] = {}
    for opt in ("function", "dimensions", "mode", "kind_entity", "national_code", "condition", "account_entity",
                "accounts", "subconto", "lines_select", "service_lines", "service_content", "watch"):
        if opt in data:
            value = data[opt]
            if not isinstance(value, str):
                raise ProfileError("profile.opt_not_string", where=where, name=f"{key}.{opt}")
            if opt in ("function", "kind_entity", "account_entity", "service_lines", "service_content") \
                    and value and not _NAME_RE.match(value):
                raise ProfileError("profile.opt_not_1c_name", where=where, name=f"{key}.{opt}", value=repr(value))
            if opt in ("dimensions", "subconto") and value and not all(
                _NAME_RE.match(p.strip()) for p in value.split(",")
            ):
                raise ProfileError("profile.opt_not_names", where=where, name=f"{key}.{opt}", value=repr(value))
            if opt == "accounts" and value and not all(
                _ACCOUNT_CODE_RE.match(p.strip()) for p in value.split(",")
            ):
                raise ProfileError("profile.not_accounts", where=where, name=f"{key}.accounts", value=repr(value))
            if opt == "lines_select" and value not in ("", "columns", "whole"):
                raise ProfileError("profile.lines_select", where=where, name=f"{key}.lines_select")
            if opt == "watch" and (key != "debt" or value not in ("", "client")):
                raise ProfileError("profile.watch", where=where, name=f"{key}.watch")
            if opt == "condition" and any(ch in value for ch in "\r\n\x00"):
                raise ProfileError("profile.one_line", where=where, name=f"{key}.condition")
            options[opt] = value
    if options.get("service_lines") and options["service_lines"] not in more_lines:
        # БП 3: a sale's services go in `Услуги`, one of the table parts read as its lines
        raise ProfileError("profile.service_lines", where=where, name=f"{key}.service_lines", more=f"{key}.more_lines")
    if "kinds" in data:
        options["kinds"] = _names(f"{where}: [{key}.kinds]", data["kinds"], allow_empty=False)
    concept = Concept(key, entity, fields, composite, lines, line_fields, line_composite, options,
                      more_lines=tuple(more_lines))
    if entity:
        required, line_required, register = _CONCEPTS[key]
        missing = [n for n in required if not fields.get(n)]
        if missing:
            raise ProfileError("profile.must_map_fields", where=where, table=f"[{key}.fields]",
                               names=", ".join(missing), entity=entity)
        if line_required:
            if not lines:
                raise ProfileError("profile.needs_lines", where=where, table=f"[{key}]")
            missing = [n for n in line_required if not line_fields.get(n)]
            if missing:
                raise ProfileError("profile.must_map", where=where, table=f"[{key}.line_fields]",
                                   names=", ".join(missing))
        if register and not options.get("function"):
            raise ProfileError("profile.register_function", where=where, table=f"[{key}]")
        if key == "contact":
            mode = options.get("mode", "register")
            if mode not in ("register", "table_part"):
                raise ProfileError("profile.contact_mode", where=where)
            if mode == "table_part" and not lines:
                raise ProfileError("profile.contact_lines", where=where)
    return concept


def profile_from_dict(data: dict[str, Any], where: str = "profile") -> Profile:
    """Validate a parsed profile (``extends`` already merged)."""
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise ProfileError("profile.unknown_tables", where=where, tables=", ".join(sorted(unknown)),
                           known=", ".join(sorted(_TOP_KEYS - {"extends"})))
    head = data.get("profile")
    if not isinstance(head, dict):
        raise ProfileError("profile.no_head", where=where)
    name = head.get("name")
    generation = head.get("generation")
    if not isinstance(name, str) or not name:
        raise ProfileError("profile.no_name", where=where)
    if generation not in GENERATIONS:
        raise ProfileError("profile.generation", where=where, known=", ".join(GENERATIONS), got=repr(generation))
    push = head.get("push", False)
    if not isinstance(push, bool):
        raise ProfileError("profile.true_false", where=where, name="profile.push")
    concepts: dict[str, Concept] = {}
    for key in _CONCEPTS:
        concepts[key] = _concept(where, key, data.get(key, {}))
    absent = [k for k in _REQUIRED_CONCEPTS if not concepts[k].present]
    if absent:
        raise ProfileError("profile.need_entities", where=where, names=", ".join(absent))
    if push:
        if generation not in _PUSH_FIELDS:
            raise ProfileError("profile.push_generation", where=where, known=", ".join(_PUSH_FIELDS))
        for key in _PUSH_CONCEPTS[generation]:
            if not concepts[key].present:
                raise ProfileError("profile.push_entity", where=where, table=f"[{key}]")
        for key, names in _PUSH_FIELDS[generation].items():
            missing = [n for n in names if not concepts[key].fields.get(n)]
            if missing:
                raise ProfileError("profile.push_fields", where=where, table=f"[{key}.fields]",
                                   names=", ".join(missing))
        kinds = concepts["contact"].options.get("kinds", {})
        if not kinds:
            raise ProfileError("profile.push_kinds", where=where)

    limits = data.get("limits", {})
    if not isinstance(limits, dict):
        raise ProfileError("profile.table_not_table", where=where, table="[limits]")
    ids = limits.get("ids_per_request", 20)
    casts = limits.get("casts_per_request", 8)
    for label, value in (("ids_per_request", ids), ("casts_per_request", casts)):
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 200:
            raise ProfileError("profile.integer", where=where, name=f"limits.{label}", low=1, high=200)

    enums_raw = data.get("enums", {})
    if not isinstance(enums_raw, dict):
        raise ProfileError("profile.table_not_table", where=where, table="[enums]")
    enums: dict[str, dict[str, str]] = {}
    for kind, table in enums_raw.items():
        if kind not in _ENUMS:
            raise ProfileError("profile.unknown_enum", where=where, table=f"[enums.{kind}]", known=", ".join(_ENUMS))
        enums[kind] = _names(f"{where}: [enums.{kind}]", table)
    if push:
        for kind in _PUSH_ENUMS[generation]:
            if kind == "settlement" and not concepts["contract"].has("settlement"):
                continue  # no such attribute on the contract (БП 3): nothing to write
            values = _ENUMS[kind]
            missing = [v for v in values if not enums.get(kind, {}).get(v)]
            if missing:
                raise ProfileError("profile.must_map", where=where, table=f"[enums.{kind}]", names=", ".join(missing))

    custom_raw = data.get("custom_fields", {})
    if not isinstance(custom_raw, dict):
        raise ProfileError("profile.table_not_table", where=where, table="[custom_fields]")
    custom: dict[str, tuple[CustomField, ...]] = {}
    for target, table in custom_raw.items():
        if target not in _CUSTOM_TARGETS:
            raise ProfileError("profile.custom_target", where=where, table=f"[custom_fields.{target}]",
                               known=", ".join(_CUSTOM_TARGETS))
        if not isinstance(table, dict):
            raise ProfileError("profile.table_not_table", where=where, table=f"[custom_fields.{target}]")
        items: list[CustomField] = []
        for crm_name, spec in table.items():
            w = f"{where}: custom_fields.{target}.{crm_name}"
            if not _CRM_NAME_RE.match(crm_name):
                raise ProfileError("profile.custom_name", where=w)
            item = _custom_field(w, crm_name, spec)
            if item.onec in concepts[_CUSTOM_TARGETS[target]].fields.values():
                raise ProfileError("profile.custom_standard", where=w, name=item.onec)
            items.append(item)
        custom[target] = tuple(items)

    return Profile(
        name=name,
        title=str(head.get("title", name)),
        generation=generation,
        push=push,
        concepts=concepts,
        enums=enums,
        custom_fields=custom,
        ids_per_request=ids,
        casts_per_request=casts,
        source=where,
    )


_CUSTOM_KEYS = {"field", "direction", "kind", "label", "label_en", "label_ru", "required",
                "max_length", "min", "max", "places", "catalog"}


def _custom_field(w: str, crm_name: str, spec: object) -> CustomField:
    """One ``[custom_fields.*]`` entry: ``name = "1CAttribute"`` (text, both ways) or a table
    ``{ field, kind, label, required, max_length, min, max, places, catalog, direction }``."""
    if isinstance(spec, str):
        spec = {"field": spec}
    if not isinstance(spec, dict):
        raise ProfileError("profile.custom_spec", where=w)
    extra = set(spec) - _CUSTOM_KEYS
    if extra:
        raise ProfileError("profile.custom_keys", where=w, keys=", ".join(sorted(extra)),
                           known=", ".join(sorted(_CUSTOM_KEYS)))
    onec, direction = spec.get("field", ""), spec.get("direction", "both")
    if not isinstance(onec, str) or not _NAME_RE.match(onec):
        raise ProfileError("profile.custom_field", where=w, value=repr(onec))
    if direction not in ("both", "pull", "push"):
        raise ProfileError("profile.custom_direction", where=w)
    kind_raw = spec.get("kind", "text")
    try:
        kind = FieldKind(kind_raw)
    except ValueError:
        raise ProfileError("profile.custom_kind", where=w, value=repr(kind_raw),
                           known=", ".join(k.value for k in FieldKind)) from None
    label = spec.get("label", crm_name.replace("_", " "))
    label_en = spec.get("label_en", label)
    label_ru = spec.get("label_ru", label)
    for key, value in (("label_en", label_en), ("label_ru", label_ru)):
        if not isinstance(value, str) or not value.strip() or len(value) > 40 or not value.isprintable():
            raise ProfileError("profile.custom_label", where=w, name=key)
    required = spec.get("required", False)
    if not isinstance(required, bool):
        raise ProfileError("profile.true_false", where=w, name="required")
    max_length = spec.get("max_length")
    if max_length is not None and (kind is not FieldKind.TEXT or not isinstance(max_length, int)
                                   or isinstance(max_length, bool) or not 1 <= max_length <= 1024):
        raise ProfileError("profile.custom_max_length", where=w)
    places = spec.get("places", 2)
    if not isinstance(places, int) or isinstance(places, bool) or not 0 <= places <= 6:
        raise ProfileError("profile.integer", where=w, name="places", low=0, high=6)
    bounds: dict[str, Decimal | None] = {}
    for key in ("min", "max"):
        raw = spec.get(key)
        if raw is None:
            bounds[key] = None
            continue
        if kind is not FieldKind.NUMBER or isinstance(raw, bool) or not isinstance(raw, int | float | str):
            raise ProfileError("profile.custom_bound", where=w, name=key)
        try:
            bounds[key] = Decimal(str(raw))
        except InvalidOperation:
            raise ProfileError("profile.custom_not_number", where=w, name=key, value=repr(raw)) from None
    low, high = bounds["min"], bounds["max"]
    if low is not None and high is not None and low > high:
        raise ProfileError("profile.custom_min_max", where=w)
    catalog = spec.get("catalog", "")
    if kind is FieldKind.REFERENCE:
        if not isinstance(catalog, str) or not catalog.startswith("Catalog_") or not _NAME_RE.match(catalog):
            raise ProfileError("profile.custom_catalog", where=w)
        if not onec.endswith("_Key"):
            onec += "_Key"  # how OData names a reference attribute
    elif catalog:
        raise ProfileError("profile.custom_catalog_only", where=w)
    assert isinstance(label_en, str) and isinstance(label_ru, str)
    field_spec = FieldSpec(crm_name, kind, label_en.strip(), label_ru.strip(), required=required,
                           max_length=max_length, minimum=low, maximum=high, places=places,
                           catalog=catalog)
    return CustomField(crm_name, onec, direction, field_spec)


def batches(items: Iterable[str], size: int) -> list[list[str]]:
    """Unique items (order kept) in lists of at most ``size``."""
    uniq = list(dict.fromkeys(items))
    return [uniq[i : i + size] for i in range(0, len(uniq), size)]
