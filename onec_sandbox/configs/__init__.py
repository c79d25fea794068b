"""Configurations the sandbox can speak: КА 1.1 (`ka1`), УТ 11.5 (`ut11`), БП 3 (`bp3`).

A real 1C base is one *configuration* (its metadata, its posting code, its users' habits); the
OData wire rules (JSON shapes, keys, `$filter`, virtual tables, errors) are the platform's and
the same for all. The sandbox keeps that split: `app.py`, `expr.py`, `body.py`, `state.py` and
`faults.py` are the platform and are shared; each module in this package is one configuration.

A configuration module defines one `Configuration` (module constant `CONFIGURATION`):

- `schema` (`onec_sandbox.schema.Schema`): its entity sets with their exact field names,
  its accumulation registers (`Schema.accumulation`: dimensions, resources, Balance view) and
  its one periodic prices register (`Schema.prices`: dimensions, resources, SliceLast view);
  an optional contact-information register (kind ``inforeg``, keyed like КА 1.1's
  `InformationRegister_КонтактнаяИнформация`);
- `posters`: document set name → `Poster(st, rec, ref)`, the document's `ОбработкаПроведения`:
  it validates (raising `posting.PostError` with the user's message, changing nothing) and
  replaces the document's movements with `posting.write(st, register, ref, records)` and
  `st.prices.add(...)`; unposting is shared (`posting.unpost_document` clears them all);
- `seed(st, products=, warehouses=, seed=, hostile=)`: fills an empty state deterministically
  (the state file stores only these parameters plus later changes, and replays the seed on
  open); shared generators live in `onec_sandbox.seed` (`stored`, `seed_party`, `hostile_names`);
- `clerk` (`ClerkOps`): the accountant's commands (`orders`, `post`/`unpost`, `pay`, `ship`,
  `price`, `receive`, and `post-shipment`/`reject-shipment` where the CRM sends shipment
  requests), which talk to a running sandbox over OData only (`clerk.OData`); the bodies that
  only differ in 1C names are shared in `onec_sandbox.clerk` and take this configuration's names;
- `writers` (optional): set name → `Writer(st, rec)`, what 1C's write handlers do beyond
  storing the object (called after every POST/PATCH of that set);
- `variants` (optional): accounting settings a base can be seeded with (`--variant NAME`,
  kept in the data file), e.g. БП 3's order of the subconto on account 41.01;
- `marker`: an entity set only this configuration has; `detect()` uses it to tell which
  configuration a running sandbox (or a real base's service document) speaks.

Choosing one: `SandboxState.seeded(config="ut11")` / `SandboxState.open(path, config=...)`,
`onec-sandbox serve|seed --config NAME`, the clerk's `--config NAME` (default: detected from the
server). A data file remembers its configuration and is refused under another one.

Adding a configuration: write `configs/<name>.py` with `CONFIGURATION`, add its name to `NAMES`
and one branch to `configuration()` (explicit imports: no lookup by string).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ..clerk import OData
    from ..schema import Schema
    from ..state import SandboxState

#: Every configuration name the sandbox knows (the CLI's `--config` choices), default first.
NAMES = ("ka1", "ut11", "bp3")
DEFAULT = "ka1"


class Poster(Protocol):
    def __call__(self, st: SandboxState, rec: dict, ref: str) -> None: ...


class Writer(Protocol):
    def __call__(self, st: SandboxState, rec: dict) -> None: ...


class Seeder(Protocol):
    def __call__(self, st: SandboxState, products: int = ..., warehouses: int = ...,
                 seed: int = ..., counterparties: int = ..., hostile: bool = ...,
                 variant: str = ...) -> object: ...


ClerkCommand = Callable[["OData", argparse.Namespace], int]


def own_prefix(org_prefix: str) -> str:
    """КА 1.1 / УПП numbering: the organization's prefix as it is, the counter padded after it to
    the number's 11 characters (`ТД000000009`; `00000000009` without one)."""
    return org_prefix


def bsp_prefix(org_prefix: str, infobase_prefix: str = "") -> str:
    """УТ 11 / БП 3 numbering (БСП `ПрефиксацияОбъектовСобытия.УстановитьПрефикс`): the
    organization's prefix and the infobase's prefix, each padded on the left with zeros to 2
    characters, then a dash; the counter fills the 6 characters left of the 11 (`ТД00-000009`,
    `0000-000009` for a document without an organization)."""
    return f"{org_prefix:0>2}{infobase_prefix:0>2}-"


@dataclass(frozen=True)
class ClerkOps:
    """The clerk's commands in one configuration (see `onec_sandbox.clerk.run`)."""

    orders: ClerkCommand
    post: Callable[[OData, argparse.Namespace, str], int]  # action: "Post" | "Unpost"
    pay: ClerkCommand
    ship: ClerkCommand
    price: ClerkCommand
    receive: ClerkCommand
    #: answer a shipment request ("post" | "reject"); None where the CRM sends none yet
    shipment_request: Callable[[OData, argparse.Namespace, str], int] | None = None


@dataclass(frozen=True)
class Configuration:
    """One 1C configuration as the sandbox speaks it (see the module docstring)."""

    name: str
    title: str
    schema: Schema
    posters: Mapping[str, Poster]
    seed: Seeder
    clerk: ClerkOps
    marker: str
    #: the contact-information register served as kind "inforeg", if the configuration has one
    contact_register: str | None = None
    #: document or catalog set → what 1C's own write handlers do after the object is written
    #: (e.g. УТ 11 creates the order's element of ОбъектыРасчетов); same signature as a poster
    #: without the ref
    writers: Mapping[str, Writer] = field(default_factory=dict)
    #: enum-typed property name → the members a write may carry (others are refused, code 4);
    #: properties not listed accept any member
    enums: Mapping[str, frozenset[str]] = field(default_factory=dict)
    #: accounting settings a base can be seeded with (`--variant`): name → what it means; the
    #: first is the default (БП 3: the order of the subconto on account 41.01)
    variants: Mapping[str, str] = field(default_factory=dict)
    #: a document's number prefix from its organization's `Префикс` (`own_prefix`: КА 1.1's
    #: `ТД000000009`; `bsp_prefix`: УТ 11 / БП 3's `ТД00-000009`)
    number_prefix: Callable[[str], str] = own_prefix


class UnknownConfiguration(ValueError):
    """A configuration name the sandbox does not speak (the message lists the known ones), or a
    variant that configuration does not have."""


def check_variant(config: Configuration, variant: str) -> None:
    """Refuse a `--variant` the configuration does not know, naming the ones it does."""
    if variant and variant not in config.variants:
        known = ", ".join(config.variants) or "none"
        raise UnknownConfiguration(f"configuration {config.name} has no variant {variant!r} "
                                   f"(its variants: {known})")


def configuration(name: str) -> Configuration:
    """The configuration called `name` (imported on first use)."""
    if name == "ka1":
        from .ka1 import CONFIGURATION as KA1
        return KA1
    if name == "ut11":
        from .ut11 import CONFIGURATION as UT11
        return UT11
    if name == "bp3":
        from .bp3 import CONFIGURATION as BP3
        return BP3
    raise UnknownConfiguration(
        f"configuration {name!r} is not available: the sandbox speaks {', '.join(_BUILT)}")


#: The names with a module in this build (keep in step with the branches above).
_BUILT = ("ka1", "ut11", "bp3")


def available() -> list[str]:
    """Names whose module exists in this build (a name in NAMES may still be on its way)."""
    return list(_BUILT)


def detect(entity_sets: Iterable[str]) -> str | None:
    """The configuration whose marker entity set is among `entity_sets` (a service document's
    names), or None."""
    names = set(entity_sets)
    for n in _BUILT:
        if configuration(n).marker in names:
            return n
    return None
