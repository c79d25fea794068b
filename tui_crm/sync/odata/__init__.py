"""Client for the 1C:Enterprise 8.3 standard OData interface (OData v3, JSON).

Why this module exists: 1C's OData dialect has quirks that silently break a naive client
(see ``docs/onec-odata-notes.md`` §7).  Everything the rest of the sync layer needs to talk to
accounting goes through this package, so those quirks are handled in exactly one place:

* user text only ever reaches ``$filter`` through the literal builders (``lit_*``), which escape
  or validate it -- a hostile value stays one literal;
* composite fields are compared with ``cast(guid'…','Type')`` (a bare guid silently matches
  nothing);
* Int64 values arrive as JSON strings, money is parsed via ``Decimal(str(v))`` and never floats;
* empty references / dates (all-zero guid, ``0001-01-01T00:00:00``) become ``None``;
* paging uses ``$top``/``$skip`` with a stable ``$orderby`` and never ``$inlinecount``
  (which makes 1C ignore ``$top``/``$skip``);
* query strings are encoded by hand with ``%20`` for spaces: httpx 0.28 ``params=`` emits ``+``,
  which 1C does not read as a space;
* HTML pages answered with status 200 (broken publication, auth front-ends) are errors, and
  ``odata.error`` bodies (JSON or XML) become typed exceptions whose ``str()`` a user can read;
* credentials never appear in exception messages, reprs or logs.

The package imports nothing from the rest of tui_crm: it is the protocol layer only. It is split
by concern -- ``literals`` (filter building and escaping), ``wire`` (values as 1C sends them),
``errors`` (exceptions and the mapping of error answers), ``client`` (httpx, paging, retries) --
and re-exports the public names here, so importers write ``from tui_crm.sync.odata import …``.
"""

from __future__ import annotations

from tui_crm.sync.odata.client import (
    CollectionQuery,
    ODataClient,
    RequestStats,
)
from tui_crm.sync.odata.errors import (
    AuthError,
    BusinessError,
    Conflict,
    KeyExists,
    MalformedAnswer,
    NotFound,
    NotODataResponse,
    ODataError,
    PagingError,
    TLSProblem,
    TooLarge,
    Unreachable,
    Worded,
    Words,
    connect_failure,
    short_url,
    word,
)
from tui_crm.sync.odata.literals import (
    and_,
    cast_ref,
    cmp,
    endswith,
    eq,
    in_guids,
    in_guids_batches,
    lit_bool,
    lit_datetime,
    lit_decimal,
    lit_guid,
    lit_str,
    not_,
    or_,
    startswith,
    substringof,
    virtual_table,
    virtual_table_query,
)
from tui_crm.sync.odata.wire import (
    EMPTY_DATE,
    EMPTY_REF,
    from_server_time,
    parse_composite,
    parse_date,
    parse_decimal,
    parse_int,
    parse_ref,
    server_timezone,
    set_server_timezone,
    to_server_time,
)

__all__ = [
    "EMPTY_DATE",
    "EMPTY_REF",
    "AuthError",
    "BusinessError",
    "CollectionQuery",
    "Conflict",
    "KeyExists",
    "MalformedAnswer",
    "NotFound",
    "NotODataResponse",
    "ODataClient",
    "ODataError",
    "PagingError",
    "RequestStats",
    "TLSProblem",
    "TooLarge",
    "Unreachable",
    "Worded",
    "Words",
    "and_",
    "cast_ref",
    "cmp",
    "connect_failure",
    "endswith",
    "eq",
    "from_server_time",
    "in_guids",
    "in_guids_batches",
    "lit_bool",
    "lit_datetime",
    "lit_decimal",
    "lit_guid",
    "lit_str",
    "not_",
    "or_",
    "parse_composite",
    "parse_date",
    "parse_decimal",
    "parse_int",
    "parse_ref",
    "server_timezone",
    "set_server_timezone",
    "short_url",
    "startswith",
    "substringof",
    "to_server_time",
    "virtual_table",
    "virtual_table_query",
    "word",
]
