"""A publication's ``$metadata`` (CSDL XML) read safely: which entity sets, properties, table
parts and virtual-table functions this 1C base publishes.

Why a streaming expat parser and not a DOM: the document comes from a server (possibly a
hostile one, or a proxy's error page), real ones are 10–15 MB, and we need only names. The
parser refuses any DTD (so no entity expansion, internal or external), stops past a depth and an
element count, and keeps only the names it needs; the caller bounds the bytes it downloads.
No third-party XML library is needed for that.

What 1C publishes (docs/onec-odata-notes.md §1, §3): ``EntitySet Name=… EntityType=…`` in the
container; an ``EntityType`` per object with a ``Property`` per attribute, a table part as a
property of type ``Collection(StandardODATA.<Set>_<Part>_RowType)`` whose ``ComplexType`` lists
the row's attributes; a register's virtual table (``Balance``, ``SliceLast``…) as a
``FunctionImport`` bound to the register's type, returning a collection of a ``ComplexType``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from xml.parsers import expat

from tui_crm.i18n import register, tr

__all__ = ["MAX_DEPTH", "MAX_ELEMENTS", "Csdl", "MetadataError", "parse_csdl"]

#: Nesting a CSDL document never needs (1C's is 6 deep); deeper is refused, not followed.
MAX_DEPTH = 64
#: Elements in the biggest real metadata (УТ 11.5: ~3 800 entity types) are well under a million.
MAX_ELEMENTS = 5_000_000

_COLLECTION = "Collection("


# Why ``$metadata`` could not be read: (English, Russian) by kind. {n} carries digit groups as
# each language writes them ({n} "5,000,000", {n_ru} "5 000 000"); {reason} is expat's own.
_WHY: dict[str, tuple[str, str]] = {
    "dtd": ("the $metadata answer declares a DTD or entities; a 1C publication never does, so it was not read "
            "(it could expand without bound)",
            "ответ $metadata объявляет DTD или сущности; публикация 1С так никогда не делает, поэтому он не "
            "прочитан (он мог бы разрастаться без предела)"),
    "too_many": ("the $metadata answer has more than {n} elements; it was not read to the end",
                 "в ответе $metadata больше {n_ru} элементов; он не дочитан"),
    "too_deep": ("the $metadata answer is nested deeper than {depth} levels, which no CSDL document is; it was "
                 "not read",
                 "ответ $metadata вложен глубже {depth} уровней, чего не бывает ни в одном документе CSDL; он не "
                 "прочитан"),
    "not_csdl": ("the $metadata answer is XML but not a CSDL (OData metadata) document: its root element is "
                 "<{name}>",
                 "ответ $metadata — XML, но не документ CSDL (метаданные OData): его корневой элемент <{name}>"),
    "broken_at": ("the $metadata answer is not well-formed XML (line {line}: {reason})",
                  "ответ $metadata — некорректный XML (строка {line}: {reason})"),
    "broken": ("the $metadata answer is not well-formed XML ({reason})",
               "ответ $metadata — некорректный XML ({reason})"),
    "nested": ("the $metadata answer is nested too deeply to read",
               "ответ $metadata вложен слишком глубоко, чтобы его прочитать"),
    "empty": ("the $metadata answer is empty", "ответ $metadata пуст"),
}
register({f"metadata.why.{k}": {"en": en, "ru": ru} for k, (en, ru) in _WHY.items()})


class MetadataError(ValueError):
    """The answer to ``$metadata`` is not a CSDL document we can read; the message says why
    (``str()`` in English for the log files, `said` in the interface language)."""

    def __init__(self, kind: str, **values: object) -> None:
        self.kind, self.values = kind, values
        super().__init__(_WHY[kind][0].format(**values))

    def said(self) -> str:
        """Why, in the interface language (`tui-crm doctor`)."""
        return tr(f"metadata.why.{self.kind}", **self.values)


@dataclass
class Csdl:
    """The names a publication offers. Type names are kept without the ``StandardODATA.``
    namespace; properties are per entity or complex type."""

    entity_sets: dict[str, str] = field(default_factory=dict)            # set → entity type
    properties: dict[str, dict[str, str]] = field(default_factory=dict)  # type → {property → type}
    functions: dict[str, dict[str, str]] = field(default_factory=dict)   # bound type → {name → result type}

    def has_set(self, name: str) -> bool:
        return name in self.entity_sets

    def _type_of_set(self, name: str) -> str:
        return self.entity_sets.get(name, "")

    def set_properties(self, name: str) -> Mapping[str, str]:
        """Properties of an entity set's type ({} when the set or its type is missing)."""
        return self.properties.get(self._type_of_set(name), {})

    def has_lines(self, name: str, lines: str) -> bool:
        return _element_type(self.set_properties(name).get(lines, "")) != ""

    def line_properties(self, name: str, lines: str) -> Mapping[str, str]:
        """Properties of one row of a table part (its ``_RowType``), {} when unknown."""
        row_type = _element_type(self.set_properties(name).get(lines, ""))
        if row_type:
            return self.properties.get(row_type, {})
        # Some publications list the part as an entity type of its own (`<Set>_<Part>`).
        return self.properties.get(f"{name}_{lines}", {})

    def has_function(self, name: str, function: str) -> bool:
        return function in self.functions.get(self._type_of_set(name), {})

    def function_properties(self, name: str, function: str) -> Mapping[str, str] | None:
        """Row properties of a virtual table, or None when its result type is not described."""
        result = self.functions.get(self._type_of_set(name), {}).get(function, "")
        if result and result in self.properties:
            return self.properties[result]
        return None


def _strip_ns(type_name: str) -> str:
    return type_name.rsplit(".", 1)[-1] if type_name.startswith("StandardODATA.") else type_name


def _element_type(type_name: str) -> str:
    if type_name.startswith(_COLLECTION) and type_name.endswith(")"):
        return _strip_ns(type_name[len(_COLLECTION):-1])
    return ""


def _local(tag: str) -> str:
    return tag.rsplit(":", 1)[-1]


def parse_csdl(data: bytes) -> Csdl:
    """Read a CSDL document's names. Raises `MetadataError` (plain words) for anything else:
    not XML, not CSDL, a DTD or entity declaration, nesting deeper than `MAX_DEPTH`, more than
    `MAX_ELEMENTS` elements."""
    out = Csdl()
    stack: list[str] = []
    count = 0
    current_type = ""             # EntityType / ComplexType being read
    function: tuple[str, str] | None = None   # (name, result type) of the FunctionImport being read
    saw_root = False

    def refuse_dtd(*_args: object) -> None:
        raise MetadataError("dtd")

    def start(tag: str, attrs: dict[str, str]) -> None:
        nonlocal count, current_type, function, saw_root
        count += 1
        if count > MAX_ELEMENTS:
            raise MetadataError("too_many", n=f"{MAX_ELEMENTS:,}",
                                n_ru=f"{MAX_ELEMENTS:,}".replace(",", " "))
        if len(stack) >= MAX_DEPTH:
            raise MetadataError("too_deep", depth=MAX_DEPTH)
        name = _local(tag)
        if not stack:
            saw_root = True
            if name != "Edmx":
                raise MetadataError("not_csdl", name=name[:40])
        stack.append(name)
        if name in ("EntityType", "ComplexType"):
            current_type = attrs.get("Name", "")
            out.properties.setdefault(current_type, {})
        elif name in ("Property", "NavigationProperty") and current_type and len(stack) >= 2 \
                and stack[-2] in ("EntityType", "ComplexType"):
            prop = attrs.get("Name", "")
            if prop:
                out.properties[current_type][prop] = attrs.get("Type", "")
        elif name == "EntitySet":
            set_name = attrs.get("Name", "")
            if set_name:
                out.entity_sets[set_name] = _strip_ns(attrs.get("EntityType", ""))
        elif name == "FunctionImport":
            ret = attrs.get("ReturnType", "")
            function = (attrs.get("Name", ""), _element_type(ret) or _strip_ns(ret))
        elif name == "Parameter" and function is not None and attrs.get("Name") == "bindingParameter":
            bound = _strip_ns(attrs.get("Type", ""))
            if function[0]:
                out.functions.setdefault(bound, {})[function[0]] = function[1]

    def end(tag: str) -> None:
        nonlocal current_type, function
        name = stack.pop() if stack else ""
        if name in ("EntityType", "ComplexType"):
            current_type = ""
        elif name == "FunctionImport":
            function = None

    if not data.strip():
        raise MetadataError("empty")
    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = refuse_dtd
    parser.EntityDeclHandler = refuse_dtd
    parser.UnparsedEntityDeclHandler = refuse_dtd
    parser.ExternalEntityRefHandler = refuse_dtd  # type: ignore[assignment]
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        reason = expat.errors.messages.get(exc.code, "syntax error")   # expat's own words
        line = getattr(exc, "lineno", None)
        raise (MetadataError("broken_at", line=line, reason=reason) if line
               else MetadataError("broken", reason=reason)) from None
    except RecursionError:  # pragma: no cover - expat is not recursive; belt and braces
        raise MetadataError("nested") from None
    if not saw_root:
        raise MetadataError("empty")
    return out
