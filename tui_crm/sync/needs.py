"""What a profile makes the CRM read and write in 1C: every entity set, table part, virtual
table and field, derived from the profile itself (never a hand-kept second list).

Why: `tui-crm doctor` compares this list with a publication's ``$metadata``; a company's copied
profile with renamed or extra fields (``custom_fields``) is checked exactly as it will be used.

Each need says what uses it (``pull``, ``push``) and whether the CRM can do without it
(``required``): the reserve register and the settlements register are read when published and
skipped with a warning when not (`pull.py`, `jobs.py`), so they are optional; everything else a
profile names is requested by some query, and a query naming a missing set or field fails.
"""

from __future__ import annotations

from dataclasses import dataclass

from tui_crm.sync.profile import _CONCEPTS, _PUSH_CONCEPTS, _PUSH_FIELDS, Concept, Profile

__all__ = ["Need", "profile_needs"]

#: Registers the pull tolerates when unpublished (NotFound → a warning, the feature is off).
#: The shipment request's document is read (its state) and written (the request); unpublished, the
#: state read warns and a request fails with 1C's message: the feature is off, the CRM works.
OPTIONAL_CONCEPTS = frozenset({"reserves", "debt", "debt_key", "shipment_request"})
#: Concepts only the push writes (the КА 1.1 printable invoice).
PUSH_ONLY_CONCEPTS = frozenset({"bill"})
#: Concepts both read and written when the profile pushes.
PUSHED_CONCEPTS = frozenset({"order", "counterparty", "contract", "contact", "bill", "shipment_request"})


@dataclass(frozen=True, order=True)
class Need:
    """One thing the CRM asks of the publication.

    ``field == ""`` and ``lines == ""``: the entity set itself; ``lines`` set and ``field`` empty:
    the table part; ``function``: fields live in that virtual table's rows (registers).
    """

    entity: str
    lines: str = ""
    field: str = ""
    function: str = ""
    concept: str = ""
    crm_field: str = ""
    uses: tuple[str, ...] = ("pull",)
    required: bool = True

    @property
    def name(self) -> str:
        """How the list to publish names it: ``Set``, ``Set.Part``, ``Set.Field``,
        ``Set.Part.Field`` (a register's field: ``Set.Function.Field``)."""
        parts = [self.entity]
        if self.function and self.field:
            parts.append(self.function)
        if self.lines:
            parts.append(self.lines)
        if self.field:
            parts.append(self.field)
        return ".".join(parts)

    @property
    def kind(self) -> str:
        """entity_set | table_part | field"""
        if self.field:
            return "field"
        return "table_part" if self.lines else "entity_set"


def _uses(profile: Profile, concept: str, crm_field: str) -> tuple[str, ...]:
    # what pushing needs depends on the generation (УТ 11 also writes partners, reads agreements)
    push_fields = _PUSH_FIELDS.get(profile.generation, {})
    if concept in PUSH_ONLY_CONCEPTS or crm_field in push_fields.get(concept, ()):
        return ("push",)
    if profile.push and (concept in PUSHED_CONCEPTS or concept in _PUSH_CONCEPTS.get(profile.generation, ())):
        return ("pull", "push")
    return ("pull",)


def _concept_needs(profile: Profile, c: Concept) -> list[Need]:
    required = c.key not in OPTIONAL_CONCEPTS
    function = str(c.options.get("function", ""))
    base = _uses(profile, c.key, "")
    out = [Need(c.entity, function=function, concept=c.key, uses=base, required=required)]
    seen: set[str] = set()
    # contacts kept in the owner's table part (mode = "table_part", УТ 11 / БП 3): the concept's
    # fields are that table part's, except the owner's key
    in_part = c.options.get("mode") == "table_part" and bool(c.lines)
    for crm, onec in c.fields.items():
        if onec and onec not in seen:
            seen.add(onec)
            part = c.lines if in_part and crm != "owner" else ""
            out.append(Need(c.entity, lines=part, field=onec, function=function, concept=c.key, crm_field=crm,
                            uses=_uses(profile, c.key, crm), required=required))
    for part in c.line_parts:
        out.append(Need(c.entity, lines=part, concept=c.key, uses=base, required=required))
        seen_lines: set[str] = set()
        for crm, onec in c.line_fields.items():
            if onec and onec not in seen_lines:
                seen_lines.add(onec)
                out.append(Need(c.entity, lines=part, field=onec, concept=c.key,
                                crm_field=crm, uses=base, required=required))
    kind_entity = str(c.options.get("kind_entity", ""))
    if kind_entity:
        out.append(Need(kind_entity, concept=c.key, uses=base, required=required))
    # an accounting register's accounts are looked up by code in their chart (queries.register_accounts)
    account_entity = str(c.options.get("account_entity", ""))
    if account_entity and c.options.get("accounts"):
        out.append(Need(account_entity, concept=c.key, uses=base, required=required))
        out += [Need(account_entity, field=f, concept=c.key, uses=base, required=required) for f in ("Ref_Key", "Code")]
    return out


def profile_needs(profile: Profile) -> list[Need]:
    """Every set, table part and field `profile` makes the CRM use, push-only ones only when
    the profile pushes; sorted, no duplicates (a set two concepts use is listed once)."""
    needs: dict[tuple[str, str, str, str], Need] = {}

    def add(n: Need) -> None:
        if n.uses == ("push",) and not profile.push:
            return
        key = (n.entity, n.lines, n.field, n.function)
        old = needs.get(key)
        if old is None:
            needs[key] = n
        else:  # the stronger of the two: required wins, uses are merged
            uses = tuple(u for u in ("pull", "push") if u in old.uses or u in n.uses)
            needs[key] = Need(old.entity, old.lines, old.field, old.function, old.concept,
                              old.crm_field, uses, old.required or n.required)

    for key in _CONCEPTS:
        c = profile[key]
        if c.present:
            for n in _concept_needs(profile, c):
                add(n)
    for target, concept in (("client", "counterparty"), ("invoice", "order")):
        c = profile[concept]
        for cf in profile.custom(target):
            uses = tuple(u for u, on in (("pull", cf.pulls), ("push", cf.pushes and profile.push)) if on)
            if uses:
                add(Need(c.entity, field=cf.onec, concept=concept, crm_field=f"custom:{cf.name}",
                         uses=uses, required=True))
    return sorted(needs.values())
