"""Metadata of a sandbox base: how a configuration's objects are described, with their exact names.

Why a table of types and not free-form dicts: 1C is strict about what exists (unknown
property → code 10, unknown entity → code 6) and about how each type is rendered in JSON
(Int64 as strings, empty refs, composite `X`+`X_Type`). Every rule of the wire format is
driven from this one description, so the sandbox cannot drift from itself.

Type codes used in the compact specs below:
  s  string                      b  boolean            e  enum (member name, "" = empty)
  d  date ("0001-01-01T00:00:00" = empty)
  n2/n3/n4  Edm.Double with that many fraction digits (Decimal inside, JSON number outside)
  i  Edm.Int32 (JSON number)     l  Edm.Int64 (JSON *string*, like 1C)
  r=Target  reference (field name ends in _Key, empty = zero guid)
  c  composite: the field `X` holds the value, `X_Type` holds "StandardODATA.<Type>"
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

EMPTY_REF = "00000000-0000-0000-0000-000000000000"
EMPTY_DATE = "0001-01-01T00:00:00"
UNDEFINED_TYPE = "StandardODATA.Undefined"
TYPE_PREFIX = "StandardODATA."


@dataclass(frozen=True)
class FieldType:
    """One property type. `kind` is one of s b e d n i l r c t (t = composite's _Type part)."""

    kind: str
    scale: int = 0
    target: str | None = None

    def default(self):
        """The value 1C shows for a never-filled property of this type."""
        k = self.kind
        if k in ("s", "e"):
            return ""
        if k == "b":
            return False
        if k == "d":
            return EMPTY_DATE
        if k == "n":
            return Decimal(0)
        if k == "i":
            return 0
        if k == "l":
            return "0"
        if k == "r":
            return EMPTY_REF
        if k == "c":
            return ""
        if k == "t":
            return UNDEFINED_TYPE
        raise ValueError(k)


def parse_type(code: str) -> FieldType:
    if code.startswith("r="):
        return FieldType("r", target=code[2:])
    if code == "r":
        return FieldType("r")
    if code[0] == "n":
        return FieldType("n", scale=int(code[1:] or 2))
    return FieldType(code)


def parse_fields(spec: str) -> dict[str, FieldType]:
    """'A:s B_Key:r=Catalog_X C:c' → ordered {name: type}; composites add their `_Type` twin."""
    out: dict[str, FieldType] = {}
    for item in spec.split():
        name, code = item.split(":", 1)
        ft = parse_type(code)
        out[name] = ft
        if ft.kind == "c":
            out[name + "_Type"] = FieldType("t")
    return out


@dataclass
class EntityDef:
    """An entity set (catalog, document, table part collection, register view)."""

    name: str
    kind: str  # catalog | document | tabular | inforeg | balance | slice
    fields: dict[str, FieldType]
    table_parts: dict[str, dict[str, FieldType]] = field(default_factory=dict)
    code_len: int = 0
    #: БСП prefixation of new codes (`ПрефиксацияОбъектовСобытия.УстановитьПрефиксИнформационнойБазы`
    #: on OnSetNewCode): the infobase prefix padded to 2 with zeros and a dash before the counter
    code_prefixed: bool = False
    hierarchical: bool = False
    owner: str | None = None
    postable: bool = False
    number_len: int = 11
    parent: str | None = None  # for table-part collections: the owning document set
    tp_name: str | None = None

    def all_props(self) -> dict[str, FieldType]:
        return self.fields

    def field_type(self, name: str) -> FieldType | None:
        return self.fields.get(name)


def catalog_code(ent: EntityDef, n: int, infobase_prefix: str = "") -> str:
    """The code 1C gives the `n`-th element of catalog `ent`: the counter zero-padded to the
    catalog's CodeLength (`000000001`), or, for a catalog БСП prefixes, the infobase prefix padded
    on the left with zeros to 2 characters, a dash, and the counter in the characters left
    (`00-000001` for CodeLength 9, `00-00000001` for 11; `ПрефиксацияОбъектовСобытия`)."""
    head = f"{infobase_prefix:0>2}-" if ent.code_prefixed else ""
    width = ent.code_len - len(head)
    return head + f"{n:0{width}d}"[-width:]


class Schema:
    """The metadata of one configuration: entity sets (with their virtual tables), the
    accumulation registers' dimensions and resources, and the one prices register's shape.

    A configuration module (`onec_sandbox.configs.ka1`, …) builds one `Schema` with the
    `catalog` / `document` / `register` calls below; the app, the state and the posting rules
    read everything from it, so two configurations never share mutable metadata."""

    def __init__(self) -> None:
        self.entities: dict[str, EntityDef] = {}
        #: accumulation register name (without prefix) → (dimension → wire columns, resources)
        self.acc_registers: dict[str, tuple[dict[str, list[str]], list[str]]] = {}
        #: the names among acc_registers that are accounting registers (AccountingRegister_…)
        self.accounting_registers: set[str] = set()
        #: the prices register's dimension columns and resource columns (its SliceLast rows)
        self.price_dims: list[str] = []
        self.price_res: list[str] = []

    def catalog(self, name: str, attrs: str, *, code_len: int = 9, hier: bool = False,
                owner: str | None = None, tps: dict[str, str] | None = None,
                owner_composite: bool = False, prefixed: bool = False) -> EntityDef:
        """A catalog; `owner` adds `Owner_Key` (or, with `owner_composite`, the composite
        `Owner` + `Owner_Type` a catalog with several owner types has on the wire); `prefixed`:
        its codes carry the infobase prefix (`00-000001`, see `catalog_code`)."""
        spec = "Ref_Key:r DataVersion:s DeletionMark:b"
        if owner:
            spec += " Owner:c" if owner_composite else f" Owner_Key:r={owner}"
        if hier:
            spec += f" Parent_Key:r={name} IsFolder:b"
        spec += " Code:s Description:s " + attrs
        fields = parse_fields(spec)
        tparts = {k: tp_fields(v) for k, v in (tps or {}).items()}
        fields.update(parse_fields("Predefined:b PredefinedDataName:s"))
        ent = EntityDef(name, "catalog", fields, tparts, code_len=code_len, hierarchical=hier,
                        owner=owner, code_prefixed=prefixed)
        self._add_with_parts(ent)
        return ent

    def document(self, name: str, attrs: str, *, postable: bool = True,
                 tps: dict[str, str] | None = None) -> EntityDef:
        fields = parse_fields("Ref_Key:r DataVersion:s DeletionMark:b Number:s Date:d Posted:b "
                              + attrs)
        tparts = {k: tp_fields(v) for k, v in (tps or {}).items()}
        ent = EntityDef(name, "document", fields, tparts, postable=postable)
        self._add_with_parts(ent)
        return ent

    def _add_with_parts(self, ent: EntityDef) -> None:
        self.entities[ent.name] = ent
        if ent.kind == "document" or ent.table_parts:
            for tp, tfields in ent.table_parts.items():
                self.entities[f"{ent.name}_{tp}"] = EntityDef(
                    f"{ent.name}_{tp}", "tabular", tfields, parent=ent.name, tp_name=tp)

    def register(self, name: str, kind: str, spec: str) -> EntityDef:
        ent = EntityDef(name, kind, parse_fields(spec))
        self.entities[name] = ent
        return ent

    def accumulation(self, name: str, spec: str, dims: dict[str, list[str]],
                     resources: list[str]) -> EntityDef:
        """An accumulation register of type Balance and its `Balance` view (row shape `spec`:
        the dimension columns, then `<resource>Balance`); `dims` maps each dimension to its
        wire columns (a composite has two), in the register's order."""
        self.acc_registers[name] = (dims, resources)
        return self.register(f"AccumulationRegister_{name}/Balance", "balance", spec)

    def accounting(self, name: str, spec: str, dims: dict[str, list[str]],
                   resources: list[str]) -> EntityDef:
        """An accounting register (БП 3's `Хозрасчетный`) and its `Balance` view: rows by
        `Account_Key`, the balance dimensions and the subconto `ExtDimension1..3` (composites),
        then `<resource>Balance`. Kept like an accumulation register whose movements are signed
        debit (+) / credit (−); its Balance also takes `AccountCondition`."""
        self.acc_registers[name] = (dims, resources)
        self.accounting_registers.add(name)
        return self.register(f"AccountingRegister_{name}/Balance", "balance", spec)

    def prices(self, name: str, spec: str, dims: list[str], resources: list[str]) -> None:
        """The periodic prices register `name` (e.g. `InformationRegister_ЦеныНоменклатуры`):
        its `_RecordType/SliceLast` and `/SliceFirst` views share the row shape `spec`."""
        last = self.register(f"{name}_RecordType/SliceLast", "slice", spec)
        self.entities[f"{name}_RecordType/SliceFirst"] = EntityDef(
            f"{name}_RecordType/SliceFirst", "slice", last.fields)
        self.price_dims = list(dims)
        self.price_res = list(resources)

    def price_fields(self) -> dict[str, FieldType]:
        """The prices register's row shape (empty when the configuration has none)."""
        for e in self.entities.values():
            if e.kind == "slice":
                return e.fields
        return {}

    @property
    def object_sets(self) -> list[str]:
        """Entity sets that hold objects (what POST/PATCH/DELETE work on)."""
        return [n for n, e in self.entities.items() if e.kind in ("catalog", "document")]


def tp_fields(spec: str) -> dict[str, FieldType]:
    return parse_fields("Ref_Key:r LineNumber:l " + spec)
