"""What the sandbox publishes: its `$metadata` (CSDL), and an incomplete publication on demand.

Why: in a real base each object must be added to the standard OData interface's composition
(`УстановитьСоставСтандартногоИнтерфейсаOData`, compatibility mode 8.3.5 and later); an object
left out is absent from `$metadata` and answered like an unknown entity (code 6). Releases also
differ by attribute. `--unpublish NAME[,NAME…]` (an entity set, or `Set.Field`, or
`Set.Part.Field` for a table part's field) makes the sandbox serve such a publication, so
`tui-crm doctor` can be tested against it.

The CSDL is shaped like 1C's: an `EntityType` per object, a table part as a property of type
`Collection(StandardODATA.<Set>_<Part>_RowType)` with a `ComplexType` for its rows (and the
part's own entity set), a register's virtual table as a `FunctionImport` bound to the register's
type returning a `ComplexType` (`AccumulationRegister_X_Balance`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from xml.sax.saxutils import quoteattr

from .schema import EntityDef, FieldType

_EDM = {"s": "Edm.String", "e": "Edm.String", "b": "Edm.Boolean", "d": "Edm.DateTime",
        "n": "Edm.Double", "i": "Edm.Int32", "l": "Edm.Int64", "r": "Edm.Guid",
        "c": "Edm.String", "t": "Edm.String"}


class PublicationError(ValueError):
    """An --unpublish name the sandbox does not have; the message says which and what exists."""


@dataclass(frozen=True)
class Publication:
    """Entity sets and fields left out of the composition (everything else is published)."""

    sets: frozenset[str] = frozenset()
    fields: Mapping[str, frozenset[str]] = field(default_factory=dict)  # set → {"F", "Part/F"}
    #: published, but the user has no right to read them: 403, code 20 (`--deny-read`)
    denied: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, specs: Iterable[str], entities: Mapping[str, EntityDef],
              deny_read: Iterable[str] = ()) -> Publication:
        """`["Document_X", "Catalog_Y.Field", "Document_X.Товары.Field"]` (commas allowed);
        `deny_read`: entity sets the user may not read."""
        denied: set[str] = set()
        register_names = {n.split("/", 1)[0] for n in entities if "/" in n}
        for spec in deny_read:
            for item in (s.strip() for s in spec.split(",")):
                if item and item not in entities and item not in register_names:
                    raise PublicationError(f"--deny-read {item}: the sandbox has no entity set "
                                           f"{item!r}")
                if item:
                    denied.add(item)
        sets: set[str] = set()
        fields: dict[str, set[str]] = {}
        registers = {n.split("/", 1)[0]: n for n in entities if "/" in n}
        for spec in specs:
            for item in (s.strip() for s in spec.split(",")):
                if not item:
                    continue
                name, _, rest = item.partition(".")
                if name not in entities and name not in registers:
                    raise PublicationError(f"--unpublish {item}: the sandbox has no entity set "
                                           f"{name!r}")
                if not rest:
                    sets.add(name)
                    continue
                ent = entities.get(name) or entities[registers[name]]
                part, _, sub = rest.partition(".")
                if sub:
                    if part not in ent.table_parts or sub not in ent.table_parts[part]:
                        raise PublicationError(f"--unpublish {item}: {name} has no table part "
                                               f"field {part}.{sub}")
                    fields.setdefault(name, set()).add(f"{part}/{sub}")
                elif part in ent.fields or part in ent.table_parts:
                    fields.setdefault(name, set()).add(part)
                else:
                    raise PublicationError(f"--unpublish {item}: {name} has no field {part!r}")
        return cls(frozenset(sets), {k: frozenset(v) for k, v in fields.items()},
                   frozenset(denied))

    @property
    def complete(self) -> bool:
        return not self.sets and not self.fields

    def readable(self, name: str) -> bool:
        return name.split("/", 1)[0] not in self.denied

    def published(self, name: str) -> bool:
        """Is the entity set (or the register a virtual table belongs to) in the composition?
        A table part's set (`Document_X_Товары`) goes with its document."""
        base = name.split("/", 1)[0]
        if base in self.sets:
            return False
        return not any(base.startswith(s + "_") and s.startswith("Document_") for s in self.sets)

    def hidden_field(self, name: str, query: Mapping[str, str]) -> str | None:
        """The first unpublished field a request's `$select`/`$filter`/`$orderby` names."""
        hidden = self.fields.get(name.split("/", 1)[0])
        if not hidden:
            return None
        for key in ("$select", "$filter", "$orderby", "$expand"):
            text = query.get(key, "")
            for f in hidden:
                if f in text or f.split("/")[-1] in _words(text):
                    return f.split("/")[-1]
        return None

    # -- $metadata -----------------------------------------------------------------------------

    def csdl(self, entities: Mapping[str, EntityDef]) -> str:
        """The CSDL document of what is published, shaped like 1C's."""
        types: list[str] = []
        sets: list[str] = []
        functions: list[str] = []
        for name, ent in entities.items():
            if not self.published(name):
                continue
            hidden = self.fields.get(name.split("/", 1)[0], frozenset())
            if "/" in name:
                reg, func = name.split("/", 1)
                types.append(_complex(f"{reg}_{func}", ent.fields, hidden))
                if not any(s == f'<EntitySet Name="{reg}"' for s in sets):
                    types.append(f'<EntityType Name="{reg}"><Key><PropertyRef Name="Recorder"/>'
                                 f'</Key>{_prop("Recorder", "Edm.String")}</EntityType>')
                    sets.append(f'<EntitySet Name="{reg}"')
                functions.append(
                    f'<FunctionImport Name="{func}" IsBindable="true" IsSideEffecting="false" '
                    f'ReturnType="Collection(StandardODATA.{reg}_{func})">'
                    f'<Parameter Name="bindingParameter" Type="StandardODATA.{reg}"/>'
                    '<Parameter Name="Condition" Type="Edm.String"/>'
                    '<Parameter Name="Period" Type="Edm.DateTime"/></FunctionImport>')
                continue
            if ent.kind == "tabular":
                # the part's own set; its fields hide with the document's `Part/Field`
                parent_hidden = self.fields.get(ent.parent or "", frozenset())
                part_hidden = {f.split("/", 1)[1] for f in parent_hidden
                               if f.startswith(f"{ent.tp_name}/")}
                if ent.tp_name in parent_hidden:
                    continue
                types.append(_entity(name, ent.fields, part_hidden, {}))
                sets.append(f'<EntitySet Name="{name}"')
                continue
            parts = {}
            for part, pfields in ent.table_parts.items():
                if part in hidden:
                    continue
                part_hidden = {f.split("/", 1)[1] for f in hidden if f.startswith(f"{part}/")}
                types.append(_complex(f"{name}_{part}_RowType", pfields, part_hidden))
                parts[part] = f"{name}_{part}_RowType"
            types.append(_entity(name, ent.fields, hidden, parts))
            sets.append(f'<EntitySet Name="{name}"')
        container = "".join(f'{s} EntityType="StandardODATA.{_set_name(s)}"/>' for s in sets)
        return ('<?xml version="1.0" encoding="UTF-8"?>'
                '<edmx:Edmx xmlns:edmx="http://schemas.microsoft.com/ado/2007/06/edmx" '
                'Version="1.0"><edmx:DataServices '
                'xmlns:m="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata" '
                'm:DataServiceVersion="3.0"><Schema Namespace="StandardODATA" '
                'xmlns="http://schemas.microsoft.com/ado/2009/11/edm">'
                + "".join(types)
                + '<EntityContainer Name="StandardODATA" m:IsDefaultEntityContainer="true">'
                + container + "".join(functions)
                + "</EntityContainer></Schema></edmx:DataServices></edmx:Edmx>")


def _words(text: str) -> set[str]:
    out, cur = set(), []
    for ch in text:
        if ch.isalnum() or ch == "_":
            cur.append(ch)
        else:
            if cur:
                out.add("".join(cur))
            cur = []
    if cur:
        out.add("".join(cur))
    return out


def _set_name(decl: str) -> str:
    return decl.split('"')[1]


def _prop(name: str, edm: str) -> str:
    return f'<Property Name={quoteattr(name)} Type="{edm}" Nullable="true"/>'


def _props(fields: Mapping[str, FieldType], hidden: Iterable[str]) -> str:
    gone = set(hidden)
    gone |= {f"{h}_Type" for h in gone}
    return "".join(_prop(f, _EDM[ft.kind]) for f, ft in fields.items() if f not in gone)


def _complex(name: str, fields: Mapping[str, FieldType], hidden: Iterable[str]) -> str:
    return f'<ComplexType Name="{name}">{_props(fields, hidden)}</ComplexType>'


def _entity(name: str, fields: Mapping[str, FieldType], hidden: Iterable[str],
            parts: Mapping[str, str]) -> str:
    key = "Ref_Key" if "Ref_Key" in fields else next(iter(fields), "Ref_Key")
    tparts = "".join(f'<Property Name="{p}" Type="Collection(StandardODATA.{t})" Nullable="false"/>'
                     for p, t in parts.items())
    return (f'<EntityType Name="{name}"><Key><PropertyRef Name="{key}"/></Key>'
            f"{_props(fields, hidden)}{tparts}</EntityType>")
