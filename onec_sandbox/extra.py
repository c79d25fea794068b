"""Extra attributes: a company's own data on top of the КА 1.1 metadata.

A real base is often extended by its integrator (an industry on the counterparty, a delivery
date on the order, a catalog of industries). `serve --extra-attributes FILE` reads such
additions from a TOML file and adds them to the sandbox's metadata before the base opens:

    [attributes."Catalog_Контрагенты"]
    "КодФилиала" = "s"                  # type codes as in schema.py: s b d i n0…n6 r=<Catalog>
    "Отрасль_Key" = "r=Catalog_Отрасли" # a reference attribute's name ends in _Key
    [attributes."Document_ЗаказПокупателя"]
    "ДатаДоставкиПлан" = "d"
    [catalogs."Catalog_Отрасли"]        # a new catalog, seeded with these items
    items = ["Розничная торговля", "Оптовая торговля", "Производство"]

Items get keys derived from the catalog and their name, so they are the same on every start.
`install` returns the undo, so tests leave the metadata as they found it.
"""

from __future__ import annotations

import re
import tomllib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .configs import configuration
from .schema import EntityDef, Schema, parse_type
from .state import SandboxState

__all__ = ["Extra", "ExtraError", "add_items", "install", "load"]

_NAME = re.compile(r"^[A-Za-zА-Яа-яЁё_][A-Za-z0-9_А-Яа-яЁё]*$")
_TYPE = re.compile(r"^(s|b|d|i|n[0-6]|r=Catalog_[A-Za-z0-9_А-Яа-яЁё]+)$")
_NAMESPACE = uuid.UUID("6f1c9a52-0c8e-4d8e-9b1e-5a7d1c2e3f40")


class ExtraError(ValueError):
    """A file of extra attributes that cannot be used; the message says where and why."""


@dataclass(frozen=True)
class Extra:
    attributes: dict[str, dict[str, str]] = field(default_factory=dict)  # entity set -> name -> type
    catalogs: dict[str, list[str]] = field(default_factory=dict)         # new catalog -> item names


def _schema(schema: Schema | None) -> Schema:
    return schema if schema is not None else configuration("ka1").schema


def load(path: Path, schema: Schema | None = None) -> Extra:
    """Read and check a file of extra attributes against a configuration's metadata (ka1's by
    default)."""
    ENTITIES = _schema(schema).entities
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ExtraError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ExtraError(f"{path}: not valid TOML: {exc}") from None
    unknown = set(data) - {"attributes", "catalogs"}
    if unknown:
        raise ExtraError(f"{path}: unknown table(s) {', '.join(sorted(unknown))}; use [attributes.*] "
                         "and [catalogs.*]")
    catalogs: dict[str, list[str]] = {}
    for name, table in (data.get("catalogs") or {}).items():
        if not name.startswith("Catalog_") or not _NAME.match(name):
            raise ExtraError(f"{path}: [catalogs.{name}]: a catalog is named Catalog_<name>")
        if name in ENTITIES:
            raise ExtraError(f"{path}: [catalogs.{name}]: the base already has this catalog")
        items = table.get("items") if isinstance(table, dict) else None
        if not isinstance(items, list) or not all(isinstance(i, str) and i.strip() for i in items):
            raise ExtraError(f"{path}: [catalogs.{name}] needs items = [\"name\", ...]")
        catalogs[name] = [i.strip() for i in items]
    attributes: dict[str, dict[str, str]] = {}
    for entity, table in (data.get("attributes") or {}).items():
        ent = ENTITIES.get(entity)
        if ent is None or ent.kind not in ("catalog", "document"):
            raise ExtraError(f"{path}: [attributes.{entity}]: no such catalog or document in the base")
        if not isinstance(table, dict):
            raise ExtraError(f"{path}: [attributes.{entity}] must be a table of name = \"type\"")
        for name, code in table.items():
            where = f"{path}: attributes.{entity}.{name}"
            if not _NAME.match(name):
                raise ExtraError(f"{where}: not a 1C attribute name")
            if name in ent.fields:
                raise ExtraError(f"{where}: {entity} already has this attribute")
            if not isinstance(code, str) or not _TYPE.match(code):
                raise ExtraError(f"{where}: type {code!r}; use s, b, d, i, n0…n6 or r=Catalog_<name>")
            if code.startswith("r="):
                target = code[2:]
                if not name.endswith("_Key"):
                    raise ExtraError(f"{where}: a reference attribute's name ends in _Key")
                if target not in ENTITIES and target not in catalogs:
                    raise ExtraError(f"{where}: no catalog {target} (add it under [catalogs])")
        attributes[entity] = dict(table)
    return Extra(attributes, catalogs)


def install(extra: Extra, schema: Schema | None = None) -> Callable[[], None]:
    """Add the catalogs and attributes to a configuration's metadata (ka1's by default; before
    the base opens); returns the undo."""
    target = _schema(schema)
    ENTITIES = target.entities
    added_sets: list[str] = []
    added_fields: list[tuple[EntityDef, str]] = []
    for name in extra.catalogs:
        target.catalog(name, "", code_len=9)
        added_sets.append(name)
    for entity, table in extra.attributes.items():
        ent = ENTITIES[entity]
        for name, code in table.items():
            ent.fields[name] = parse_type(code)
            added_fields.append((ent, name))

    def undo() -> None:
        for ent, name in added_fields:
            ent.fields.pop(name, None)
        for name in added_sets:
            ENTITIES.pop(name, None)

    return undo


def item_key(catalog: str, name: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{catalog}/{name}"))


def add_items(state: SandboxState, extra: Extra) -> None:
    """Seed the new catalogs' items and give existing objects the new attributes' empty values."""
    ENTITIES = state.config.schema.entities
    with state.lock:
        for catalog, items in extra.catalogs.items():
            objects = state.objects.setdefault(catalog, {})
            fields = ENTITIES[catalog].fields
            for n, name in enumerate(items, start=1):
                key = item_key(catalog, name)
                if key not in objects:
                    rec = {f: ft.default() for f, ft in fields.items()}
                    rec.update(Ref_Key=key, Code=f"{n:09d}", Description=name,
                               DataVersion=state.new_data_version())
                    objects[key] = rec
        for entity, table in extra.attributes.items():
            types = {name: ENTITIES[entity].fields[name] for name in table}
            for rec in state.objects.get(entity, {}).values():
                for name, ft in types.items():
                    rec.setdefault(name, ft.default())
