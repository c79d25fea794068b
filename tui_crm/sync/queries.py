"""Every OData request the sync jobs make, built from a profile.

Why one module: the same builders serve the jobs, the tests that prove the ut11/bp3 profiles
produce well-formed URLs, and `tui-crm status` answering from accounting. All filter text goes
through the escaping builders of `odata.py`; all names come from a validated profile.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from tui_crm.sync.odata import (
    and_,
    cast_ref,
    eq,
    in_guids,
    lit_bool,
    lit_datetime,
    lit_guid,
    lit_str,
    or_,
    to_server_time,
    virtual_table,
)
from tui_crm.sync.profile import Concept, Profile, batches


@dataclass(frozen=True)
class Table:
    """A register's virtual table and its parameters, kept apart so a page can add to the
    ``Condition`` (key-set paging inside 1C's query rather than over its whole result)."""

    entity: str
    function: str
    condition: str | None = None
    period: datetime | None = None
    dimensions: str | None = None
    account_condition: str | None = None   # an accounting register's AccountCondition (БП 3)

    def path(self, more: str | None = None) -> str:
        cond = and_(self.condition, more)
        return virtual_table(self.entity, self.function, Condition=cond or None, Period=self.period,
                             Dimensions=self.dimensions, AccountCondition=self.account_condition)


@dataclass(frozen=True)
class Query:
    """One GET: a path (entity set or virtual table) and its options. A register read with a
    ``page_key`` is paged by key set on that dimension inside its ``Condition``."""

    path: str
    select: tuple[str, ...] = ()
    filter: str | None = None
    orderby: str | None = None
    paged: bool = False
    extra: dict[str, str] = field(default_factory=dict)
    heavy: bool = False         # a read 1C needs long to compute: `accounting.heavy_timeout`
    page_key: str | None = None     # the dimension a register read is paged by (a plain `_Key`)
    table: Table | None = None

    def path_after(self, after: str | None) -> str:
        """The path of the page after key ``after`` (None: the first page)."""
        if self.table is None or self.page_key is None or after is None:
            return self.path
        return self.table.path(f"{self.page_key} gt {lit_guid(after)}")

    def params(self) -> dict[str, str]:
        out: dict[str, str] = {}
        if self.select:
            out["$select"] = ",".join(self.select)
        if self.filter:
            out["$filter"] = self.filter
        if self.orderby:
            out["$orderby"] = self.orderby
        out.update(self.extra)
        return out


def ref_match(field_name: str, ref: str, type_name: str | None) -> str:
    """``F eq guid'…'`` or, for a composite, ``F eq cast(guid'…','Type')`` (docs/onec-odata-notes.md §7.1)."""
    return eq(field_name, cast_ref(ref, type_name) if type_name else lit_guid(ref))


def refs_match(field_name: str, refs: Sequence[str], type_name: str | None) -> str:
    if not type_name:
        return in_guids(field_name, refs)
    return or_(*(ref_match(field_name, r, type_name) for r in dict.fromkeys(refs)))


# -- catalogs ---------------------------------------------------------------------------------

CATALOG_FIELDS = {
    "organization": ("id", "data_version", "deletion_mark", "code", "name", "full_name", "inn", "kpp", "prefix"),
    "currency": ("id", "code", "name"),
    "warehouse": ("id", "data_version", "deletion_mark", "code", "name", "is_folder"),
    "price_type": ("id", "data_version", "deletion_mark", "code", "name", "includes_vat", "currency"),
    "unit": ("id", "name", "owner", "factor"),
    "product": ("id", "data_version", "deletion_mark", "is_folder", "code", "name", "article", "full_name",
                "unit", "vat_rate", "is_service"),
    "counterparty": ("id", "data_version", "deletion_mark", "is_folder", "code", "name", "full_name", "inn",
                     "kpp", "legal_form", "partner", "is_buyer", "comment"),
    "contract": ("id", "data_version", "deletion_mark", "is_folder", "name", "owner", "organization", "kind",
                 "settlement", "currency", "number", "date"),
    "vat_rate": ("id", "rate", "predefined"),
    "debt_key": ("id", "client"),
}


def catalog(p: Profile, key: str, *, extra_fields: Sequence[str] = ()) -> Query:
    """All elements of a catalog, paged by Ref_Key."""
    c = p[key]
    select = c.select(*CATALOG_FIELDS[key]) + [f for f in extra_fields if f]
    flt = None
    if key == "contract" and c.has("kind") and p.enums.get("contract_kind", {}).get("sale"):
        flt = eq(c.f("kind"), lit_str(p.enum("contract_kind", "sale")))
    if key == "counterparty" and p["contact"].present and p["contact"].options.get("mode") == "table_part":
        cc = p["contact"]
        select += [f"{cc.lines}/{cc.f(n)}" for n in ("type", "kind", "value")]
    # Not heavy: paged by key set, each page is an index range read that 1C answers quickly.
    return Query(c.entity, tuple(dict.fromkeys(select)), flt, c.f("id"), paged=True)


def custom_catalog(entity: str) -> Query:
    """All items of a catalog a reference custom field points to (its name checked by the profile)."""
    return Query(entity, ("Ref_Key", "Code", "Description", "DeletionMark"), None, "Ref_Key", paged=True)


def contacts(p: Profile) -> Query | None:
    """Contact information of counterparties (register mode; table-part mode rides on the catalog).

    Only the types the CRM keeps (phone, e-mail, address: an enum comparison every platform
    reads), in pages ordered by the register's dimensions. The owner is not filtered: isof()
    support varies by platform; rows of other owners are dropped when parsed."""
    c = p["contact"]
    if not c.present or c.options.get("mode", "register") != "register":
        return None
    types = [v for k, v in p.enums.get("contact_type", {}).items() if k in ("phone", "email", "address") and v]
    flt = or_(*(eq(c.f("type"), lit_str(v)) for v in dict.fromkeys(types))) or None
    order = ",".join(dimension(c.f(n)) for n in ("owner", "type", "kind"))
    return Query(c.entity, tuple(c.select("owner", "type", "kind", "value")), flt, order, paged=True, heavy=True)


def contact_kinds(p: Profile) -> Query | None:
    c = p["contact"]
    kind_entity = c.options.get("kind_entity")
    if not kind_entity:
        return None
    return Query(kind_entity, ("Ref_Key", "PredefinedDataName", "Description"), None, "Ref_Key", paged=True)


# -- registers --------------------------------------------------------------------------------

def _table(c: Concept, condition: str | None, *, period: datetime | None = None,
           dimensions: str | None = None, account_condition: str | None = None) -> Table:
    return Table(c.entity, c.options["function"], and_(c.options.get("condition") or None, condition) or None,
                 period, dimensions, account_condition)


def _register_path(c: Concept, condition: str | None, *, Period: datetime | None = None,
                   Dimensions: str | None = None, AccountCondition: str | None = None) -> str:
    """Path of the concept's virtual table; the keyword names are 1C's parameter names."""
    return _table(c, condition, period=Period, dimensions=Dimensions, account_condition=AccountCondition).path()


def _register_read(c: Concept, condition: str | None, select: Sequence[str], *,
                   period: datetime | None = None, whole: bool, dimensions: str | None = None,
                   account_condition: str | None = None) -> Query:
    """A register read. A whole-register read (a warehouse's stock, a price type's prices) is
    heavy and, when the product dimension is a plain reference, paged by key set on it inside
    the ``Condition``; a read restricted to a few products is one light request."""
    table = _table(c, condition, period=period, dimensions=dimensions, account_condition=account_condition)
    product = c.f("product")
    key = product if whole and product.endswith("_Key") and not c.type_of(product) else None
    return Query(table.path(), tuple(select), heavy=whole, page_key=key, table=table if key else None)


def subconto(c: Concept) -> list[str]:
    """The subconto (``ExtDimension1..3``) among which an accounting register's balance carries
    the warehouse and the product, each found by its ``_Type`` (БП 3: their order on account 41
    depends on the accounting settings). Empty for a register with fixed dimensions."""
    return [n.strip() for n in (c.options.get("subconto") or "").split(",") if n.strip()]


def register_accounts(p: Profile, key: str) -> Query | None:
    """The accounts an accounting register's concept reads (``Code eq '41.01'``: `[stock]` 41.01,
    `[debt]` 62.01 and 62.02 in БП 3), from the chart its ``account_entity`` names; None for an
    accumulation register."""
    c = p[key]
    codes = [a.strip() for a in (c.options.get("accounts") or "").split(",") if a.strip()]
    entity = c.options.get("account_entity") or ""
    if not codes or not entity:
        return None
    return Query(entity, ("Ref_Key", "Code"), or_(*(eq("Code", lit_str(code)) for code in codes)), "Ref_Key")


def _subconto_match(c: Concept, crm: str, refs: Sequence[str]) -> str:
    """``ExtDimension2 eq cast(…) or ExtDimension3 eq cast(…)``: the value in whichever subconto
    holds its type (a subconto of another type never equals the cast)."""
    name = c.f(crm)
    typ = c.type_of(name)
    others = {c.f(k) for k in ("warehouse", "product") if k != crm}   # always the other one's place
    return or_(*(refs_match(n, refs, typ) for n in subconto(c) if n not in others))


def stock(p: Profile, warehouse_id: str | None = None, product_ids: Sequence[str] = (),
          period: datetime | None = None, accounts: Sequence[str] = ()) -> Query:
    """Balance of the stock register, restricted in ``Condition`` (not $filter) by warehouse and
    products (docs/onec-odata-notes.md §3: restrictions belong in the virtual table's parameters).
    An accounting register (БП 3) is restricted to the stock ``accounts`` (their Ref_Keys) in
    ``AccountCondition``, and the warehouse is looked for in every subconto of the profile."""
    c = p["stock"]
    parts = []
    by_type = bool(subconto(c))
    if warehouse_id:
        parts.append(_subconto_match(c, "warehouse", [warehouse_id]) if by_type
                     else ref_match(c.f("warehouse"), warehouse_id, c.type_of(c.f("warehouse"))))
    if product_ids:
        parts.append(refs_match(c.f("product"), product_ids, c.type_of(c.f("product"))))
    if by_type:
        select = [*dict.fromkeys(n for s in subconto(c) for n in (s, f"{s}_Type"))]
        select += c.select("quantity", "reserved")
    else:
        select = c.select("warehouse", "product", "quantity", "reserved")
    account_cond = in_guids("Account_Key", accounts) if accounts else None
    return _register_read(c, and_(*parts) or None, select, period=period, whole=not product_ids,
                          account_condition=account_cond)
def stock_probe(p: Profile, accounts: Sequence[str], period: datetime | None = None) -> Query:
    """A few balance rows of the stock accounts whatever their warehouse: asked when no warehouse
    had any stock, to tell an empty warehouse from a base that keeps no warehouse on account 41."""
    q = stock(p, None, (), period, accounts)
    return Query(q.path, q.select, extra={"$top": "5"})


def reserves(p: Profile, warehouse_id: str | None = None, product_ids: Sequence[str] = (),
             period: datetime | None = None) -> Query | None:
    c = p["reserves"]
    if not c.present:
        return None
    parts = []
    if warehouse_id:
        parts.append(ref_match(c.f("warehouse"), warehouse_id, None))
    if product_ids:
        parts.append(refs_match(c.f("product"), product_ids, None))
    # `dimensions` groups away the register's other dimensions (УТ 11.5's ТоварыКОтгрузке has
    # one row per order and warehouse; the CRM wants the sum per warehouse and product)
    return _register_read(c, and_(*parts) or None, c.select("warehouse", "product", "quantity"),
                          period=period, whole=not product_ids, dimensions=c.options.get("dimensions") or None)


def prices(p: Profile, price_type_id: str | None = None, product_ids: Sequence[str] = ()) -> Query:
    c = p["prices"]
    parts = []
    if price_type_id:
        parts.append(ref_match(c.f("price_type"), price_type_id, None))
    if product_ids:
        parts.append(refs_match(c.f("product"), product_ids, None))
    select = c.select("price_type", "product", "variant", "price", "unit", "period")
    return _register_read(c, and_(*parts) or None, select, whole=not product_ids)


def debt(p: Profile, accounts: Sequence[str] = ()) -> Query | None:
    """Debt per client: the register's balance by its client dimension. An accounting register
    (БП 3: `Хозрасчетный` on 62.01 and 62.02, Ref_Keys from `register_accounts`) is restricted to
    those ``accounts`` in ``AccountCondition`` and read as one heavy request: its client is a
    composite subconto (``ExtDimension1`` + ``_Type``), on which key-set paging cannot run."""
    c = p["debt"]
    if not c.present:
        return None
    dims = c.options.get("dimensions") or None
    select = tuple(c.select("client", "amount"))
    if accounts:
        table = _table(c, None, account_condition=in_guids("Account_Key", accounts))
        return Query(table.path(), select, heavy=True)
    return Query(_register_path(c, None, Dimensions=dims), select)


def debt_keys_by_id(p: Profile, ids: Sequence[str]) -> list[Query]:
    """УТ 11: analytics keys the debt register named that the store's copy lacks (made in 1C
    since the last reference pull), in batches."""
    c = p["debt_key"]
    if not c.present:
        return []
    return [Query(c.entity, tuple(c.select("id", "client")), in_guids(c.f("id"), chunk), None)
            for chunk in batches(ids, p.ids_per_request)]


def dimension(field_name: str) -> str:
    """The register dimension behind a wire field: ``Контрагент_Key`` → ``Контрагент``; a
    composite (``Сделка``) is its own name."""
    return field_name[:-4] if field_name.endswith("_Key") else field_name


def settlements(p: Profile) -> Query | None:
    """Debt per client and the remaining settlement of every deal (order) in ONE request:
    ``Balance(Dimensions='Контрагент,Сделка')``. None when the profile maps no deal."""
    c = p["debt"]
    if not c.present or not c.has("order"):
        return None
    dims = [d.strip() for d in (c.options.get("dimensions") or dimension(c.f("client"))).split(",") if d.strip()]
    if dimension(c.f("order")) not in dims:
        dims.append(dimension(c.f("order")))
    return Query(_register_path(c, None, Dimensions=",".join(dims)), tuple(c.select("client", "order", "amount")))


def reserves_by_order(p: Profile) -> Query | None:
    """Reserved quantity per order document in ONE request: ``Balance(Dimensions='ДокументРезерва')``."""
    c = p["reserves"]
    if not c.present or not c.has("order"):
        return None
    return Query(_register_path(c, None, Dimensions=dimension(c.f("order"))), tuple(c.select("order", "quantity")))


def reserves_of_orders(p: Profile, order_ids: Sequence[str]) -> list[Query]:
    """Reserved quantity per order and product of the given orders, in batches:
    ``Balance(Condition='ДокументРезерва eq cast(…)', Dimensions='ДокументРезерва,Номенклатура')``.
    Empty when the profile maps no reserve register or no order dimension."""
    c = p["reserves"]
    if not c.present or not c.has("order"):
        return []
    dims = f"{dimension(c.f('order'))},{dimension(c.f('product'))}"
    return [Query(_register_path(c, refs_match(c.f("order"), chunk, c.type_of(c.f("order"))), Dimensions=dims),
                  tuple(c.select("order", "product", "quantity")))
            for chunk in batches(order_ids, p.ids_per_request)]


# -- documents --------------------------------------------------------------------------------

ORDER_STATE_FIELDS = ("id", "number", "date", "posted", "deletion_mark", "data_version", "client", "total",
                      "contract")
ORDER_FULL_FIELDS = (*ORDER_STATE_FIELDS, "warehouse", "price_type", "amount_includes_vat", "comment")
ORDER_LINE_FIELDS = ("product", "quantity", "price", "discount_pct", "amount", "vat_rate", "vat", "cancelled")


def orders_by_id(p: Profile, ids: Sequence[str]) -> list[Query]:
    """State of given orders, in batches (plain Ref_Key comparisons)."""
    c = p["order"]
    select = c.select(*ORDER_STATE_FIELDS) + [cf.onec for cf in p.custom("invoice") if cf.pulls]
    return [Query(c.entity, tuple(dict.fromkeys(select)), in_guids(c.f("id"), chunk), None)
            for chunk in batches(ids, p.ids_per_request)]


def orders_since(p: Profile, since: datetime, also: Sequence[str] = ()) -> Query:
    """Orders dated from ``since`` (naive UTC, the CRM's clock) on, compared in the 1C server's
    wall time (orders created in 1C for our clients are picked from them).

    ``also``: ids of orders to read in the same request whatever their date or deletion mark
    (at most ``ids_per_request``; the idle cycle's sweep of open orders rides along instead of
    costing a request of its own); their custom fields are selected too, as `orders_by_id` does."""
    c = p["order"]
    select = c.select(*ORDER_FULL_FIELDS) + c.line_select(*ORDER_LINE_FIELDS)
    flt = and_(f"{c.f('date')} ge {lit_datetime(to_server_time(since))}", eq(c.f("deletion_mark"), lit_bool(False))
               if c.has("deletion_mark") else None)
    if also:
        if len(set(also)) > p.ids_per_request:
            raise ValueError("orders_since: more ids than one request may carry")
        select += [cf.onec for cf in p.custom("invoice") if cf.pulls]
        flt = or_(flt, in_guids(c.f("id"), also))
    return Query(c.entity, tuple(dict.fromkeys(select)), flt, c.f("id"), paged=True)


def settlement_objects(p: Profile, order_ids: Sequence[str]) -> list[Query]:
    """УТ 11.5: the settlement objects (``Catalog_ОбъектыРасчетов``) whose ``Объект`` is one of
    the orders, in batches; payments point at these, not at the orders."""
    c = p["settlement_object"]
    if not c.present:
        return []
    link = c.f("order")
    link_type = c.type_of(link)
    size = p.casts_per_request if link_type else p.ids_per_request
    return [Query(c.entity, tuple(c.select("id", "order")), refs_match(link, chunk, link_type))
            for chunk in batches(order_ids, size)]


def agreements(p: Profile, organization_id: str) -> Query | None:
    """The standard agreements (``Типовое``) of an organization, for the orders the CRM writes."""
    c = p["agreement"]
    if not c.present:
        return None
    parts = [eq(c.f("standard"), lit_bool(True))]
    if c.has("organization"):
        parts.append(eq(c.f("organization"), lit_guid(organization_id)))
    if c.has("deletion_mark"):
        parts.append(eq(c.f("deletion_mark"), lit_bool(False)))
    return Query(c.entity, (c.f("id"),), and_(*parts), c.f("id"))


def payments(p: Profile, key: str, order_ids: Sequence[str]) -> list[Query]:
    """Payments whose rows settle against any of the orders:
    ``Lines/any(d: d/Сделка eq cast(guid'…','Document_…') or …)``, in batches."""
    c = p[key]
    if not c.present:
        return []
    link = c.lf("order")
    link_type = c.line_type_of(link)
    size = p.casts_per_request if link_type else p.ids_per_request
    select = c.select("id", "number", "date", "posted", "deletion_mark", "total") + c.line_select("order", "amount")
    out = []
    for chunk in batches(order_ids, size):
        inner = or_(*(ref_match(f"d/{link}", r, link_type) for r in chunk))
        out.append(Query(c.entity, tuple(select), f"{c.lines}/any(d: {inner})"))
    return out


def shipments(p: Profile, order_ids: Sequence[str]) -> list[Query]:
    """Shipments whose header points at any of the orders, in batches."""
    c = p["shipment"]
    if not c.present:
        return []
    link = c.f("order")
    link_type = c.type_of(link)
    size = p.casts_per_request if link_type else p.ids_per_request
    select = c.select("id", "number", "date", "posted", "deletion_mark", "order") + c.line_select(
        "line_number", "product", "quantity")
    return [Query(c.entity, tuple(select), refs_match(link, chunk, link_type))
            for chunk in batches(order_ids, size)]


def shipment_requests_of_orders(p: Profile, order_ids: Sequence[str]) -> list[Query]:
    """The shipment requests' documents linked to any of the orders (КА 1.1:
    ``ДокументПередачи eq cast(guid'…','Document_ЗаказПокупателя') or …``), in batches; their
    number, posted and deletion mark. Empty when the profile maps no shipment request."""
    c = p["shipment_request"]
    if not c.present:
        return []
    link = c.f("order")
    link_type = c.type_of(link)
    size = p.casts_per_request if link_type else p.ids_per_request
    select = c.select("id", "number", "posted", "deletion_mark", "order")
    return [Query(c.entity, tuple(select), refs_match(link, chunk, link_type))
            for chunk in batches(order_ids, size)]


def contracts_of(p: Profile, counterparty_id: str, organization_id: str) -> Query:
    """Sales contracts of one counterparty with one organization (looked up before creating one)."""
    c = p["contract"]
    parts = [eq(c.f("owner"), lit_guid(counterparty_id))]
    if c.has("organization"):
        parts.append(eq(c.f("organization"), lit_guid(organization_id)))
    if c.has("kind"):
        parts.append(eq(c.f("kind"), lit_str(p.enum("contract_kind", "sale"))))
    if c.has("deletion_mark"):
        parts.append(eq(c.f("deletion_mark"), lit_bool(False)))
    return Query(c.entity, tuple(c.select(*CATALOG_FIELDS["contract"])), and_(*parts), c.f("id"))


def counterparty_search(p: Profile, text: str) -> Query:
    """Counterparties whose name contains ``text`` or whose ИНН equals it (status over OData)."""
    from tui_crm.sync.odata import substringof

    c = p["counterparty"]
    parts = [substringof(text, c.f("name"))]
    if text.isdigit():
        parts.append(eq(c.f("inn"), lit_str(text)))
    return Query(c.entity, tuple(c.select("id", "code", "name", "inn")), or_(*parts), None)


def orders_search(p: Profile, text: str = "", client_ids: Sequence[str] = (),
                  word_clients: Sequence[Sequence[str]] = ()) -> Query:
    """Orders by number (as typed or in short: `substringof_number`) or by clients, newest first
    (status over OData). `word_clients`, one list per search word (`search_words`), are the
    clients that word finds by name or ИНН: each word is then found in the number or in the
    client, as the store's search finds it ("Ромашка 9")."""
    c = p["order"]
    from tui_crm.domain.number import search_words

    parts = []
    if text:
        # every word, as the store's search wants them (tui_crm.domain.number.number_found)
        words = search_words(text)
        per_word = list(word_clients) + [()] * (len(words) - len(word_clients))
        parts.append(and_(*(or_(substringof_number(c, w), in_guids(c.f("client"), ids) if ids else None)
                            for w, ids in zip(words, per_word, strict=False))) or None)
    if client_ids:
        parts.append(in_guids(c.f("client"), client_ids))
    # The goods lines come along (same request), so shipped % can be worked out as in the store.
    select = c.select(*ORDER_FULL_FIELDS) + c.line_select(*ORDER_LINE_FIELDS)
    return Query(c.entity, tuple(select), or_(*parts) or None, f"{c.f('date')} desc")


def counterparties_by_id(p: Profile, ids: Sequence[str]) -> list[Query]:
    """Id, code, name and ИНН of given counterparties, in batches (status names the clients of
    the orders it found by number)."""
    c = p["counterparty"]
    return [Query(c.entity, tuple(c.select("id", "code", "name", "inn")), in_guids(c.f("id"), chunk), None)
            for chunk in batches(ids, p.ids_per_request)]


NUMBER_DIGITS = 6
"""The fewest digits a 1C document number of the supported configurations carries after its
prefix, zero-padded: КА 1.1 / УТ 10.3 numbers are String(11), the organization's prefix
(String(3), "0" when empty) with at most the exchange node's prefix in front, then zeros and the
counter (`ТД000000009`); УТ 11 and БП 3 (БСП numbering) put organization + infobase prefix and a
dash before a 6-digit counter (`ТД00-000009`, `0000-000009`)."""


def substringof_number(c: Concept, text: str) -> str:
    """Orders whose number holds ``text`` as typed, or is ``text`` written in short (`ТД9`,
    `тд 9`, `9` for `ТД000000009`; `ТД00-9` for `ТД00-000009`; tui_crm.domain.number holds the
    rule the store follows).

    1C's OData has neither regular expressions nor ``length``/``tolower`` (docs/onec-odata-notes.md
    §1), so the short form is asked as ``startswith(Number, prefix) and endswith(Number,
    digits padded to NUMBER_DIGITS)`` (the typed prefix: `ТД`, or `ТД00` of `ТД00-9`): every
    number the store's rule finds (its counter is zero padded to at least that width), and
    nothing else short of a counter past a million with the same last six digits — which the
    caller drops by the same rule (`number_found`). Case: the prefix goes as typed and
    upper-cased (1C prefixes are capitals; whether 1C compares case depends on its database's
    collation)."""
    from tui_crm.domain.number import short_number
    from tui_crm.sync.odata import endswith, startswith, substringof

    field_name = c.f("number")
    parts = [substringof(text, field_name)]
    short = short_number(text)
    if short is not None:
        heads = [startswith(field_name, h) for h in dict.fromkeys((short.prefix, short.prefix.upper())) if h]
        tails = [endswith(field_name, short.digits.zfill(NUMBER_DIGITS))]
        tails += _hand_typed_tails(field_name, short.prefix, short.digits)
        parts.append(and_(or_(*heads) or None, or_(*tails)))
    return or_(*parts)


def _hand_typed_tails(field_name: str, prefix: str, digits: str) -> list[str]:
    """A number typed by hand in 1C keeps its short counter (`ТД-9`, `ТД 09`, `9`): the store's
    rule finds it (tui_crm.domain.number), so the filter asks for a counter of fewer than
    NUMBER_DIGITS digits too — ending the number after a dash, a space or the typed prefix's last
    letter, or the whole number when no prefix was typed. Not asked: a hand-typed counter right
    after a letter the operator did not type (`ТД9` for `9`); OData cannot say "a non-digit"."""
    from tui_crm.sync.odata import endswith

    before = ["-", " "]
    if prefix and not prefix[-1].isdigit():
        before += list(dict.fromkeys((prefix[-1], prefix[-1].upper())))
    counters = [digits.zfill(width) for width in range(len(digits), NUMBER_DIGITS)]
    found = [endswith(field_name, b + t) for t in counters for b in before]
    if not prefix:
        found += [eq(field_name, lit_str(t)) for t in counters]
    return found


__all__ = [
    "CATALOG_FIELDS",
    "Query",
    "Table",
    "agreements",
    "catalog",
    "contact_kinds",
    "contacts",
    "contracts_of",
    "counterparties_by_id",
    "debt",
    "debt_keys_by_id",
    "orders_by_id",
    "orders_since",
    "payments",
    "prices",
    "ref_match",
    "refs_match",
    "register_accounts",
    "reserves",
    "reserves_by_order",
    "reserves_of_orders",
    "settlement_objects",
    "settlements",
    "shipment_requests_of_orders",
    "shipments",
    "stock",
    "stock_probe",
    "subconto",
]
