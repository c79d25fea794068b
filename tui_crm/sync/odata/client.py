"""Async httpx client for one 1C OData publication: encoding, paging, retries, error answers.

Why here: paging uses ``$top``/``$skip`` with a stable ``$orderby`` and never ``$inlinecount``
(which makes 1C ignore ``$top``/``$skip``); query strings are encoded by hand with ``%20`` for
spaces (httpx 0.28 ``params=`` emits ``+``, which 1C does not read as a space); HTML pages
answered with status 200 are errors; credentials never appear in exception messages, reprs or
logs.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import re
import ssl
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import quote

import httpx

from tui_crm.sync.odata.errors import (
    _RETRY_STATUSES,
    BusinessError,
    MalformedAnswer,
    NotFound,
    NotODataResponse,
    ODataError,
    PagingError,
    TLSProblem,
    TooLarge,
    Unreachable,
    Words,
    _is_html,
    _map_error,
    _parse_error_body,
    connect_failure,
    request_of,
    short_url,
    size_words,
    transient_1c_message,
)
from tui_crm.sync.odata.literals import (
    _CONTROL_RE,
    _check_entity,
    _check_field,
    and_,
    lit_bool,
    lit_guid,
)
from tui_crm.sync.odata.transport import Transport, environment_proxies

log = logging.getLogger("tui_crm.sync.odata")

# Pages one collection may take before `iter_pages` gives up: 100k pages of the default 1000
# rows is 100M rows, far beyond any base the CRM mirrors, and still a bound.
MAX_PAGES = 100_000
# `$metadata` is 10–15 MB on the biggest configurations (§1); past this it is not a 1C answer.
METADATA_MAX_BYTES = 64 * 2**20

# The most one answer may hold once decoded. A page of 1000 catalog rows with $select is well
# under 2 MB; 64 MB leaves room for wide rows and unpaged register reads, and still keeps a
# server that streams without end (or a 2 GB export a proxy hands back) from filling memory.
MAX_PAGE_BYTES = 64 * 1024 * 1024

# Reads a caller marks heavy (a register's Balance/SliceLast, a catalog page of a big base) may
# take this long before the read timeout: 1C computes them before the first byte is sent.
HEAVY_TIMEOUT = 300.0
# After a pager's early request was started, the event loop turns at most this many times to let
# it be written out before the answer in hand is decoded (a cap, not a time: loopback needs a few).
_SEND_TURNS = 100


class CollectionQuery(Protocol):
    """A prepared collection GET (``tui_crm.sync.queries.Query`` is one): a path (entity set or
    virtual table) and its options; ``paged`` says whether to page by ``orderby``."""

    @property
    def path(self) -> str: ...
    @property
    def select(self) -> Sequence[str]: ...
    @property
    def filter(self) -> str | None: ...
    @property
    def orderby(self) -> str | None: ...
    @property
    def paged(self) -> bool: ...
    @property
    def extra(self) -> Mapping[str, str]: ...
    @property
    def heavy(self) -> bool: ...
    @property
    def page_key(self) -> str | None: ...
    def path_after(self, after: str | None) -> str: ...


@dataclass
class RequestStats:
    """Counters for benchmarks and the "an idle cycle costs N requests" figure.

    ``requests`` counts HTTP attempts (retries included), ``bytes`` response bytes received,
    ``bytes_sent`` request body bytes, ``seconds`` time spent waiting on HTTP (no backoff).
    """

    requests: int = 0
    bytes: int = 0
    bytes_sent: int = 0
    retries: int = 0
    errors: int = 0
    seconds: float = 0.0
    by_method: dict[str, int] = field(default_factory=dict)

    def reset(self) -> None:
        """Zero all counters (e.g. at the start of a measured cycle)."""
        self.requests = self.bytes = self.bytes_sent = self.retries = self.errors = 0
        self.seconds = 0.0
        self.by_method = {}

    def snapshot(self) -> RequestStats:
        """A detached copy, to diff before/after a cycle."""
        return RequestStats(
            self.requests,
            self.bytes,
            self.bytes_sent,
            self.retries,
            self.errors,
            self.seconds,
            dict(self.by_method),
        )


# Characters left readable in paths/query values.  Everything else (space, &, +, #, ?, %, =,
# non-ASCII) is percent-encoded; spaces become %20, never '+'.
_PATH_SAFE = "/(),'=:$*@!;"
_QUERY_SAFE = "$'(),/:*@!;"
_FORBIDDEN_PARAMS = frozenset({"$inlinecount"})


def _encode_query(params: Mapping[str, str]) -> str:
    """Encode a query string with %20 for spaces (1C reads '+' literally)."""
    return "&".join(
        f"{quote(str(k), safe='$')}={quote(str(v), safe=_QUERY_SAFE)}" for k, v in params.items()
    )


def _check_path(path: str) -> str:
    """Refuse paths that could escape the OData base (absolute URLs, .., query/fragment
    smuggling is neutralised by encoding, control characters)."""
    if not isinstance(path, str) or not path:
        raise ValueError("empty OData path")
    if _CONTROL_RE.search(path) or "://" in path or path.startswith("/"):
        raise ValueError(f"not a relative OData path: {path!r}")
    if any(seg in (".", "..") for seg in path.split("/")):
        raise ValueError(f"not a relative OData path: {path!r}")
    return path


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


#: Request URLs an `ODataClient` keeps parsed (`ODataClient._absolute`).
_URLS_KEPT = 256

_JSON = json.JSONDecoder()
_WS = re.compile(r"[ \t\n\r]*")


def _skip(s: str, i: int) -> int:
    m = _WS.match(s, i)
    return m.end() if m else i


def _loads_one(text: str) -> Any:
    """`loads_strict` of one object's answer: the C scanner with a pairs hook (see there)."""
    last: list[list[tuple[str, Any]]] = [[]]

    def keep(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        last[0] = pairs
        return dict(pairs)

    out = json.loads(text, object_pairs_hook=keep)
    if isinstance(out, dict) and len(out) != len(last[0]):
        seen: set[str] = set()
        for key, _ in last[0]:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return out


def loads_strict(text: str, *, entity: bool = False) -> Any:
    """``json.loads`` that refuses a repeated key in the top-level object (`_DuplicateKey`).

    A page with two ``"value"`` lists once emptied the mirror: Python's ``json`` keeps the last
    one. The keys that decide what an answer is (``value``, ``odata.metadata``, ``odata.error``,
    an object's own properties) are the top level's, so only there is a repeat an error.
    Two ways to the same result, chosen by the answer's shape:

    - a page (``entity`` False: a few top-level keys, thousands of rows): the top object is
      walked here key by key (`json.decoder.scanstring`) and each value is decoded by the C
      scanner without a Python hook. A hook on every object (one call per row) made the pull's
      pages 1.52–1.64× plain ``json.loads``; this is 1.03–1.10× (bench/decode.py).
    - one object's answer (``entity`` True: a create, an update, a read by key — tens of
      top-level properties, a handful of nested objects, the rows of its tables): the C scanner
      reads it all with a pairs hook that only keeps the pairs it was given; the top object's
      pairs are the last it is given (an object is complete after everything inside it), so a
      repeat among them is found by counting them. The walk cost ~5 Python calls a top-level
      key (~100 an answer of the push); this is one a JSON object.

    A repeated key inside a nested object keeps its last value either way, as ``json.loads``.
    Anything that is not valid JSON raises ``ValueError`` like ``json.loads``."""
    if entity:
        return _loads_one(text)
    i = _skip(text, 0)
    if not text.startswith("{", i):
        return json.loads(text)
    scan = _JSON.scan_once  # type: ignore[attr-defined]
    out: dict[str, Any] = {}
    i = _skip(text, i + 1)
    if text.startswith("}", i):
        i += 1
    else:
        while True:
            if not text.startswith('"', i):
                raise ValueError(f"expected a key at {i}")
            key, i = json.decoder.scanstring(text, i + 1, True)  # type: ignore[attr-defined]
            i = _skip(text, i)
            if not text.startswith(":", i):
                raise ValueError(f"expected ':' at {i}")
            try:
                value, i = scan(text, _skip(text, i + 1))
            except StopIteration as exc:
                raise ValueError(f"expected a value at {exc.value}") from None
            if key in out:
                raise _DuplicateKey(key)
            out[key] = value
            i = _skip(text, i)
            if text.startswith(",", i):
                i = _skip(text, i + 1)
                continue
            if text.startswith("}", i):
                i += 1
                break
            raise ValueError(f"expected ',' or '}}' at {i}")
    if _skip(text, i) != len(text):
        raise ValueError(f"extra data at {i}")
    return out


def last_hint(on_last: Callable[[], None] | None, key: str | None, size: int) -> Callable[[bytes], None] | None:
    """The ``arrived`` callback of a pager's request: calls ``on_last`` when the answer's bytes say
    it is probably the read's last — an unpaged request (``key`` None), or fewer ``"<key>"``
    names in the bytes than the page size (a quote inside a JSON string is escaped, so a text
    cannot add one). Only a hint for sending the next read early: the pager still decides from
    the decoded page, and a wrong hint costs at most one request in flight beside another."""
    if on_last is None:
        return None
    if key is None:
        return lambda _body: on_last()
    name = f'"{key}"'.encode()

    def arrived(body: bytes) -> None:
        if body.count(name) < size:
            on_last()
    return arrived


_GUID_VALUE = re.compile(rb'[ \t\r\n]*:[ \t\r\n]*"([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-'
                         rb'[0-9a-fA-F]{4}-[0-9a-fA-F]{12})"')


def tail_keys(body: bytes, key: str, distinct: int) -> list[str] | None:
    """The last ``distinct`` different values of ``"<key>": "<guid>"`` in an answer's bytes, the
    last first (canonical form, as `lit_guid` writes them); None when they cannot be read there.
    A guess of where a key-set page ends, made before the page is decoded: the pager sends the
    next page's request with it and uses that answer only if the decoded page agrees."""
    name = f'"{key}"'.encode()
    out: list[str] = []
    end = len(body)
    for _ in range(10_000):
        if len(out) == distinct:
            return out
        i = body.rfind(name, 0, end)
        if i < 0:
            return None
        m = _GUID_VALUE.match(body, i + len(name))
        if m is None:
            return None
        value = lit_guid(m.group(1).decode("ascii"))[5:-1]
        if not out or out[-1] != value:
            out.append(value)
        end = i
    return None


class _Unsent:
    """One attempt's request until its body is written (httpcore's ``trace`` event) or it ends,
    counted in the client's ``_unsent``."""

    __slots__ = ("client", "pending")

    def __init__(self, client: ODataClient) -> None:
        self.client = client
        self.pending = True
        client._unsent += 1

    async def trace(self, event: str, _info: Any) -> None:
        if event.endswith("send_request_body.complete"):
            self.done()

    def done(self) -> None:
        if self.pending:
            self.pending = False
            self.client._unsent -= 1


class _Early:
    """A pager's next-page request sent before its page was decoded (at most one at a time),
    by the key it was sent after. It is used only when the decoded page ends at that very key,
    which makes it the request the pager would have sent; any other is cancelled."""

    def __init__(self) -> None:
        self.after: str | None = None
        self.task: asyncio.Future[list[dict]] | None = None

    def send(self, after: str, request: Awaitable[list[dict]]) -> None:
        self.after, self.task = after, asyncio.ensure_future(request)

    async def take(self, after: str | None) -> asyncio.Future[list[dict]] | None:
        task, sent_after = self.task, self.after
        self.task = self.after = None
        if task is not None and after is not None and sent_after == after:
            return task
        if task is not None:
            await _drop(task)
        return None

    async def cancel(self) -> None:
        if self.task is not None:
            await _drop(self.task)
            self.task = self.after = None


async def _drop(task: asyncio.Future[Any]) -> None:
    task.cancel()
    with contextlib.suppress(BaseException):
        await task


def _tls_reason(exc: BaseException) -> str | None:
    """The TLS failure behind a transport error in plain words, or None when it is not one."""
    seen: set[int] = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if isinstance(e, ssl.SSLCertVerificationError):
            return (e.verify_message or "certificate verify failed").strip()
        if isinstance(e, ssl.SSLError):
            return (e.reason or "TLS handshake failed").replace("_", " ").lower()
        e = e.__cause__ or e.__context__
    text = str(exc)
    if "CERTIFICATE_VERIFY_FAILED" in text:
        tail = text.split("certificate verify failed:", 1)
        return "certificate verify failed" + (": " + tail[1].split("(")[0].strip() if len(tail) > 1 else "")
    return None


_NOT_TLS_REASONS = frozenset({"WRONG_VERSION_NUMBER", "UNKNOWN_PROTOCOL", "PACKET_LENGTH_TOO_LONG",
                              "RECORD_LAYER_FAILURE", "HTTP_REQUEST"})
"""OpenSSL's words when the peer answered the TLS hello with something that is not TLS at all:
an https:// URL pointed at a port where the web server speaks plain http."""


def _peer_is_not_tls(exc: BaseException) -> bool:
    """True when the handshake failed because the server does not speak TLS on that port."""
    seen: set[int] = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if isinstance(e, ssl.SSLError) and not isinstance(e, ssl.SSLCertVerificationError):
            return (e.reason or "") in _NOT_TLS_REASONS
        e = e.__cause__ or e.__context__
    return any(reason in str(exc) for reason in _NOT_TLS_REASONS)


def _safe_url(url: httpx.URL) -> str:
    """URL text without user info (credentials never leave this module)."""
    if url.userinfo:
        url = url.copy_with(username=None, password=None)
    return str(url)


class ODataClient:
    """Async client for one 1C OData publication (``…/odata/standard.odata/``).

    Reads (GET) are retried with exponential backoff + jitter on unreachability, 502/503/504
    and 500 with code -1 / no code (often transient).  Writes (POST/PATCH/DELETE) are never
    retried automatically: 1C writes are not idempotent and a lost answer may hide a commit;
    the push layer decides (see docs/architecture.md §3, "Push").  ``create(..., idempotent=True)``
    opts in when the caller supplied ``Ref_Key`` and will reconcile KeyExists.
    """

    def __init__(
        self,
        base_url: str,
        *,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 30.0,
        connect_timeout: float = 10.0,
        verify: bool = True,
        retries: int = 2,
        backoff: float = 0.5,
        transport: httpx.AsyncBaseTransport | None = None,
        page_size: int = 1000,
        max_pages: int = MAX_PAGES,
        heavy_timeout: float | None = None,
        max_page_bytes: int = MAX_PAGE_BYTES,
        allowed_only: bool = True,
        keyset: bool = True,
    ) -> None:
        url = httpx.URL(base_url)
        # Credentials embedded in the URL are moved into the auth object and stripped, so the
        # URL we keep (and put in errors/logs) is clean.
        if url.userinfo:
            username = username if username is not None else url.username
            password = password if password is not None else url.password
            url = url.copy_with(username=None, password=None)
        if url.scheme not in ("http", "https"):
            raise ValueError("accounting base URL must start with http:// or https://")
        base = str(url)
        if not base.endswith("/"):
            base += "/"
        if page_size < 1:
            raise ValueError("page_size must be >= 1")
        if max_pages < 1:
            raise ValueError("max_pages must be >= 1")
        if max_page_bytes < 1:
            raise ValueError("max_page_bytes must be >= 1")
        self.base_url = base
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        # Known-heavy reads wait at least as long as ordinary ones.
        self.heavy_timeout = max(timeout, heavy_timeout if heavy_timeout is not None else HEAVY_TIMEOUT)
        self.max_page_bytes = max_page_bytes
        # `allowedOnly=true` on every read: under row-level security 1C then leaves out the rows
        # the user may not see instead of refusing the whole read with 401/code 20, an answer
        # that reads like a wrong password.
        self.allowed_only = allowed_only
        # Key-set paging (`Ref_Key gt guid'…'`) until the server refuses it once; then `$skip`.
        self.keyset = keyset
        self.max_pages = max_pages
        self.retries = max(0, retries)
        self.backoff = max(0.0, backoff)
        self.page_size = page_size
        self.stats = RequestStats()
        self._unsent = 0   # requests started whose body is not written out yet
        self._has_auth = username is not None
        auth = httpx.BasicAuth(username, password or "") if username is not None else None
        self._http = httpx.AsyncClient(
            base_url=base,
            auth=auth,
            headers={"Accept": "application/json", "Accept-Charset": "utf-8"},
            timeout=httpx.Timeout(timeout, connect=connect_timeout),
            verify=verify,
            # httpx's own transport on a stream that makes fewer system calls a request
            # (`transport.py`); a caller's transport (tests, benches) is used as given. Not when
            # the environment names a proxy (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY): httpx applies
            # those, and NO_PROXY, only to a client made without a transport of its own.
            transport=transport if transport is not None or environment_proxies() else Transport(verify=verify),
            follow_redirects=False,
        )
        self._urls: dict[str, httpx.URL] = {}   # relative URL -> the request's (`_absolute`)

    def __repr__(self) -> str:
        return f"ODataClient({self.base_url!r}, auth={'basic' if self._has_auth else 'none'})"

    async def aclose(self) -> None:
        """Close the underlying connection pool."""
        await self._http.aclose()

    async def __aenter__(self) -> ODataClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- transport -------------------------------------------------------------------------

    def _url(self, path: str, params: Mapping[str, str] | None) -> str:
        """Relative URL with encoded path and a hand-encoded query (always ``$format=json``)."""
        query: dict[str, str] = {}
        for k, v in (params or {}).items():
            if v is None:
                continue
            if k in _FORBIDDEN_PARAMS:
                raise ValueError("$inlinecount disables paging in 1C; use count() instead")
            query[k] = v
        query["$format"] = "json"
        return quote(_check_path(path), safe=_PATH_SAFE) + "?" + _encode_query(query)

    def _absolute(self, rel: str) -> httpx.URL:
        """The request URL of a relative one (`_url`): the base and ``rel`` as httpx joins them
        (``rel`` is encoded already), parsed once per text. httpx parses and checks a relative
        URL anew for each request and then the joined one: ~0.13 ms of the event loop a
        `build_request`, ~0.03 ms with the URL given whole — and most of a push's requests
        are POSTs to a few entity sets, written again and again. At most `_URLS_KEPT` texts
        are kept (those of one object's reads and PATCHes come and go)."""
        url = self._urls.get(rel)
        if url is None:
            if len(self._urls) >= _URLS_KEPT:
                self._urls.clear()
            url = self._urls[rel] = httpx.URL(self.base_url + rel)
        return url

    def _delay(self, attempt: int) -> float:
        """Exponential backoff with jitter, so many CRM instances don't retry in lockstep."""
        base = self.backoff * (2**attempt)
        return base + random.uniform(0, base)

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        read_timeout: float | None = None,
    ) -> httpx.Response:
        """Send one logical request (with retries if idempotent) and raise on any error answer.

        Returns only a non-error response; the caller checks the body shape. ``read_timeout`` (the
        read timeout of a known-heavy read) overrides the client's for this request. Reads carry
        ``allowedOnly=true`` (unless the client was built without it).
        """
        if idempotent is None:
            idempotent = method == "GET"
        if method == "GET" and self.allowed_only:
            params = {**(params or {}), "allowedOnly": "true"}
        rel = self._url(path, params)
        per_request = httpx.Timeout(read_timeout, connect=self.connect_timeout) if read_timeout else None
        content = None
        req_headers = dict(headers or {})
        if body is not None:
            content = json.dumps(body, ensure_ascii=False).encode("utf-8")
            req_headers["Content-Type"] = "application/json; charset=utf-8"
        attempts = 1 + (self.retries if idempotent else 0)
        last: ODataError | None = None
        for attempt in range(attempts):
            if attempt:
                self.stats.retries += 1
                await asyncio.sleep(self._delay(attempt - 1))
            request = self._http.build_request(method, self._absolute(rel), content=content, headers=req_headers)
            if per_request is not None:
                request.extensions["timeout"] = per_request.as_dict()
            url = _safe_url(request.url)
            started = time.monotonic()
            self.stats.requests += 1
            self.stats.by_method[method] = self.stats.by_method.get(method, 0) + 1
            self.stats.bytes_sent += len(content or b"")
            unsent = _Unsent(self)
            request.extensions["trace"] = unsent.trace
            try:
                response = await self._receive(request, method, url)
            except httpx.TransportError as exc:
                elapsed = time.monotonic() - started
                self.stats.seconds += elapsed
                self.stats.errors += 1
                last = self._transport_error(exc, method, url)
                log.debug("%s %s -> %s after %.3fs", method, request.url.raw_path.decode(
                    "ascii", "replace"), type(exc).__name__, elapsed)
                if isinstance(last, TLSProblem):
                    raise last from None   # the same certificate is refused again on a retry
                if last.reason == "dns":
                    raise last from None   # a name that does not resolve will not a second later; the next run asks
                continue
            finally:
                unsent.done()
            elapsed = time.monotonic() - started
            self.stats.seconds += elapsed
            self.stats.bytes += len(response.content)
            log.debug("%s %s -> %s in %.3fs", method,
                      request.url.raw_path.decode("ascii", "replace"), response.status_code,
                      elapsed)
            if 300 <= response.status_code < 400:
                # 1C never redirects; a redirect means a login page / proxy in front of it.
                # Following it would turn a write into a GET of someone else's page.
                self.stats.errors += 1
                target = httpx.URL(response.headers.get("location", "")).host or Words("odata.elsewhere")
                raise NotODataResponse(
                    words=[Words("odata.redirect", {"target": target, "status": response.status_code,
                                                    "request": request_of(method, url)})],
                    status=response.status_code, url=url, method=method,
                )
            if response.status_code < 400:
                self._check_not_html(response, method, url)
                return response
            self.stats.errors += 1
            previous = last
            last = self._error_from_response(response, method, url)
            if not self._retryable(response.status_code, last):
                raise last
            if (previous is not None and previous.status == last.status and previous.code is not None
                    and previous.code == last.code and previous.message == last.message):
                raise last   # the same 1C error twice for the same request: it is not passing
        assert last is not None
        if attempts > 1 and isinstance(last, Unreachable):
            last.add(Words("odata.gave_up", {"n": attempts}))
        raise last

    async def _receive(self, request: httpx.Request, method: str, url: str) -> httpx.Response:
        """Send and read the answer in chunks, stopping at ``max_page_bytes`` (`TooLarge`): a
        body is never held whole before its size is known. Returns a read response."""
        response = await self._http.send(request, stream=True)
        try:
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > self.max_page_bytes and \
                    "content-encoding" not in response.headers:
                raise self._too_large(method, url)
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > self.max_page_bytes:
                    raise self._too_large(method, url)
                chunks.append(chunk)
        finally:
            await response.aclose()
        headers = [(k, v) for k, v in response.headers.raw
                   if k.lower() not in (b"content-encoding", b"content-length", b"transfer-encoding")]
        return httpx.Response(response.status_code, headers=headers, content=b"".join(chunks),
                              request=request, extensions=response.extensions)

    def _too_large(self, method: str, url: str) -> TooLarge:
        self.stats.errors += 1
        return TooLarge(
            words=[Words("odata.too_large", {"limit": size_words(self.max_page_bytes),
                                             "request": request_of(method, url)})],
            url=url, method=method,
        )

    @staticmethod
    def _retryable(status: int, err: ODataError) -> bool:
        """Failures of the moment only: gateway errors (502/503/504), a 500 without a 1C code
        (the web server or the 1C cluster failed before 1C code ran), and a 500 with code -1
        whose message says lock, deadlock, timeout or lost connection. Any other 1C error is
        deterministic: the same request fails again, so it is not repeated."""
        if status in _RETRY_STATUSES:
            return True
        if status != 500 or isinstance(err, NotFound):
            return False
        if err.code is None:
            return True
        return err.code == "-1" and transient_1c_message(err.message)

    @staticmethod
    def _transport_error(exc: httpx.TransportError, method: str, url: str) -> Unreachable:
        """Plain-words sentence for connect errors, timeouts and dropped connections; a refused
        certificate is a `TLSProblem` with a hint, not "could not connect"."""
        host = httpx.URL(url).host
        tls = _tls_reason(exc)
        if tls is not None and _peer_is_not_tls(exc):
            # Not a certificate at all: the https:// URL names a port where the server speaks
            # plain http. The certificate hint (SSL_CERT_FILE, verify_tls = false) cannot help.
            port = httpx.URL(url).port
            return TLSProblem(
                words=[Words("odata.tls.not_https", {"where": f"{host}{f':{port}' if port else ''}",
                                                     "reason": tls, "request": request_of(method, url)})],
                url=url, method=method,
            )
        if tls is not None:
            return TLSProblem(
                words=[Words("odata.tls.certificate", {"host": host, "reason": tls,
                                                       "request": request_of(method, url)})],
                url=url, method=method,
            )
        reason = ""
        if isinstance(exc, httpx.ConnectError) and connect_failure(exc) == "dns":
            # as `tui-crm doctor` names it (tui_crm.sync.reach words it for the operator)
            what, applied, reason = Words("odata.what.dns", {"host": host}), False, "dns"
        elif isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout)):
            what, applied = Words("odata.what.connect"), False
            reason = connect_failure(exc) if isinstance(exc, httpx.ConnectError) else ""
        elif isinstance(exc, httpx.PoolTimeout):
            what, applied = Words("odata.what.pool"), False
        elif isinstance(exc, httpx.TimeoutException):
            what, applied = Words("odata.what.timeout"), True
        elif isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)):
            what, applied = Words("odata.what.dropped"), True
        else:
            what, applied = Words("odata.what.network", {"name": type(exc).__name__}), True
        return Unreachable(
            words=[Words("odata.unreachable", {"host": host, "what": what, "request": request_of(method, url)})],
            maybe_applied=applied,
            reason=reason,
            host=host,
            url=url,
            method=method,
        )

    @staticmethod
    def _check_not_html(response: httpx.Response, method: str, url: str) -> None:
        ctype = response.headers.get("content-type", "").lower()
        # Only the head is decoded: `response.text` would decode a 20 MB page a second time.
        try:
            head = response.content[:400].decode(response.encoding or "utf-8", "replace")
        except LookupError:
            head = response.content[:400].decode("utf-8", "replace")
        if response.content and _is_html(ctype, head):
            raise NotODataResponse(status=response.status_code, url=url, method=method)

    @staticmethod
    def _error_from_response(response: httpx.Response, method: str, url: str) -> ODataError:
        status = response.status_code
        text = response.text if response.content else ""
        parsed = _parse_error_body(text) if text else None
        if parsed is not None:
            code, message = parsed
            return _map_error(status, code, message, method, url)
        ctype = response.headers.get("content-type", "").lower()
        if status in (401, 403, 404, 412) or status in _RETRY_STATUSES:
            return _map_error(status, None, None, method, url)
        if text and _is_html(ctype, text):
            return NotODataResponse(status=status, url=url, method=method)
        return _map_error(status, None, None, method, url)

    @staticmethod
    def _json(response: httpx.Response, method: str, url: str, *, entity: bool = False) -> Any:
        """Decode a JSON body; anything else is NotODataResponse (even with 200). ``entity``: the
        answer is one object (a read by key, a write), not a page (`loads_strict`)."""
        ctype = response.headers.get("content-type", "").lower()
        if "json" not in ctype:
            raise NotODataResponse(
                words=[Words("odata.not_json", {"ctype": ctype or Words("odata.no_ctype"),
                                                "status": response.status_code, "request": request_of(method, url)})],
                status=response.status_code, url=url, method=method,
            )
        try:
            data = loads_strict(response.content.decode("utf-8-sig"), entity=entity)
        except _DuplicateKey as exc:
            raise MalformedAnswer(
                words=[Words("odata.malformed", {"key": repr(exc.key[:60]), "status": response.status_code,
                                                 "request": request_of(method, url)})],
                status=response.status_code, url=url, method=method,
            ) from None
        except (ValueError, UnicodeDecodeError):
            raise NotODataResponse(
                words=[Words("odata.broken_json", {"status": response.status_code,
                                                   "request": request_of(method, url)})],
                status=response.status_code, url=url, method=method,
            ) from None
        if isinstance(data, dict) and ("odata.error" in data):
            parsed = _parse_error_body(json.dumps(data))
            code, message = parsed or (None, None)
            raise _map_error(response.status_code, code, message, method, url)
        return data

    def _not_odata(self, response: httpx.Response, what: str) -> NotODataResponse:
        url = _safe_url(response.request.url)
        method = response.request.method
        return NotODataResponse(
            words=[Words("odata.not_odata_json", {"what": Words(f"odata.what.{what}"), "status": response.status_code,
                                                  "request": request_of(method, url)})],
            status=response.status_code, url=url, method=method,
        )

    # -- reads -----------------------------------------------------------------------------

    async def get_json(self, path: str, params: dict[str, str] | None = None, *,
                       read_timeout: float | None = None, arrived: Callable[[bytes], None] | None = None) -> dict:
        """One GET; the answer must be a 1C OData JSON object (``value`` or
        ``odata.metadata``), otherwise NotODataResponse.

        ``arrived`` is called with the answer's bytes as soon as they are read, before they are
        decoded: a pager sends its next request from there (`iter_pages`), and the event loop
        turns until that request is written out, so 1C works on it while this answer is decoded
        (decoding on a worker thread instead was slower: its GIL-holding C scan stalls the loop
        reading the next answer, bench/sync.py, BENCHMARKS.md "First full pull, third round")."""
        response = await self._request("GET", path, params=params, read_timeout=read_timeout)
        if arrived is not None:
            arrived(response.content)
            await asyncio.sleep(0)          # an early request starts (and counts as unsent) here
            for _ in range(_SEND_TURNS):
                if self._unsent <= 0:
                    break
                await asyncio.sleep(0)
        data = self._json(response, "GET", _safe_url(response.request.url))
        if not isinstance(data, dict) or not ("value" in data or "odata.metadata" in data):
            raise self._not_odata(response, "answer")
        return data

    @staticmethod
    def _query(
        select: str | Iterable[str] | None = None,
        filter: str | None = None,
        orderby: str | None = None,
        top: int | None = None,
        skip: int | None = None,
        expand: str | Iterable[str] | None = None,
        extra: Mapping[str, str] | None = None,
    ) -> dict[str, str]:
        params: dict[str, str] = {}
        if select:
            params["$select"] = select if isinstance(select, str) else ",".join(select)
        if filter:
            params["$filter"] = filter
        if orderby:
            params["$orderby"] = orderby
        if top is not None:
            params["$top"] = str(int(top))
        if skip:
            params["$skip"] = str(int(skip))
        if expand:
            params["$expand"] = expand if isinstance(expand, str) else ",".join(expand)
        for k, v in (extra or {}).items():
            params[k] = v
        return params

    async def get_page(
        self,
        entity: str,
        *,
        select: str | Iterable[str] | None = None,
        filter: str | None = None,
        orderby: str | None = None,
        top: int | None = None,
        skip: int | None = None,
        expand: str | Iterable[str] | None = None,
        extra: Mapping[str, str] | None = None,
        read_timeout: float | None = None,
        arrived: Callable[[bytes], None] | None = None,
    ) -> list[dict]:
        """One collection GET -> the ``value`` rows.  ``entity`` may be a virtual-table path;
        ``arrived`` as in `get_json`."""
        params = self._query(select, filter, orderby, top, skip, expand, extra)
        data = await self.get_json(entity, params, read_timeout=read_timeout, arrived=arrived)
        rows = data.get("value")
        if not isinstance(rows, list):
            raise NotODataResponse(
                words=[Words("odata.no_rows", {"entity": entity})],
                url=self.base_url + entity, method="GET",
            )
        return rows

    async def iter_pages(
        self,
        entity: str,
        *,
        select: str | Iterable[str] | None = None,
        filter: str | None = None,
        orderby: str | None = "Ref_Key",
        page_size: int | None = None,
        extra: Mapping[str, str] | None = None,
        read_timeout: float | None = None,
        on_last: Callable[[], None] | None = None,
    ) -> AsyncGenerator[list[dict], None]:
        """Yield pages in a stable ``$orderby``; stop on a short page.

        Ordered by ``Ref_Key`` alone, pages are read by key set: the next page asks for
        ``Ref_Key gt guid'<last key>'`` (1C's own "ГДЕ Ссылка > &Ссылка УПОРЯДОЧИТЬ ПО Ссылка"), so
        the server reads each row once; with ``$skip`` it reads and throws away every earlier page
        again, which grows with the square of the catalog. The order of references is the
        server's, never compared here. A server that refuses the comparison (an error answer to
        the second page), ignores it (the page repeats the previous one) or sends a row without a
        key makes the client fall back to ``$top``/``$skip`` for the rest of the read and for
        every later one.

        ``$inlinecount`` is never sent (it disables paging in 1C).  ``orderby=None`` (for
        virtual tables, which have no ``Ref_Key``) fetches everything in one unpaged request,
        since paging without a stable order can skip or repeat rows. ``on_last`` is called when
        an answer that is probably the read's last has arrived, before it is decoded (`last_hint`):
        the caller may send its next read's request then.  A page longer than
        requested means the server ignored ``$top``: that raises rather than looping forever.
        Every loop is bounded: a page that starts with the previous page's first row (the
        server ignored ``$skip``) or a page past ``max_pages`` raises `PagingError`.
        """
        size = page_size or self.page_size
        if size < 1:
            raise ValueError("page_size must be >= 1")
        if not orderby:
            rows = await self.get_page(entity, select=select, filter=filter, extra=extra, read_timeout=read_timeout,
                                       arrived=last_hint(on_last, None, size))
            if rows:
                yield rows
            return
        key = orderby.strip() if orderby.strip() == "Ref_Key" else None
        hint = last_hint(on_last, key, size) if key is not None else None
        early = _Early()

        def arrived(body: bytes) -> None:
            # A full page read by key set: the next one is asked for now, while this one is decoded.
            if hint is not None:
                hint(body)
            if key is None or not self.keyset or early.task is not None or body.count(f'"{key}"'.encode()) < size:
                return
            guess = tail_keys(body, key, 1)
            if guess:
                early.send(guess[0], self.get_page(
                    entity, select=select, filter=and_(filter, f"{key} gt {lit_guid(guess[0])}"), orderby=orderby,
                    top=size, extra=extra, read_timeout=read_timeout, arrived=arrived))

        skip = 0
        after: str | None = None
        previous: dict | None = None
        try:
            for number in range(1, self.max_pages + 1):
                by_key = key is not None and self.keyset and after is not None
                flt = and_(filter, f"{key} gt {lit_guid(after)}") if by_key and after else filter
                try:
                    sent = await early.take(after if by_key else None)
                    rows = await sent if sent is not None else await self.get_page(
                        entity, select=select, filter=flt, orderby=orderby, top=size,
                        skip=None if by_key else skip, extra=extra, read_timeout=read_timeout, arrived=arrived,
                    )
                except BusinessError as exc:
                    if not by_key or exc.status not in (400, 500, 501):
                        raise
                    log.warning("%s: key-set paging refused (%s); paging by $skip from here on", entity, exc)
                    self.keyset = False
                    continue
                if len(rows) > size:
                    raise PagingError(words=[Words("odata.paging.top", {"size": size, "entity": entity,
                                                                        "rows": len(rows)})])
                if rows and previous is not None and rows[0] == previous:
                    if by_key:
                        log.warning("%s: the server ignored the key-set filter; paging by $skip", entity)
                        self.keyset = False
                        continue
                    raise PagingError(words=[Words("odata.paging.skip", {"skip": skip, "entity": entity,
                                                                         "page": number})])
                if rows:
                    previous = rows[0]
                    yield rows
                if len(rows) < size:
                    return
                skip += size
                if key is not None:
                    last = rows[-1].get(key) if isinstance(rows[-1], dict) else None
                    try:
                        after = lit_guid(last)[5:-1] if isinstance(last, str) else None
                    except ValueError:
                        after = None
                    if after is None and self.keyset:
                        log.warning("%s: a row without a usable %s; paging by $skip", entity, key)
                        self.keyset = False
            raise PagingError(words=[Words("odata.paging.cap", {"pages": self.max_pages, "size": size,
                                                                "entity": entity})])
        finally:
            await early.cancel()

    async def iter_key_pages(
        self,
        path_after: Callable[[str | None], str],
        key: str,
        *,
        select: str | Iterable[str] | None = None,
        page_size: int | None = None,
        read_timeout: float | None = None,
        on_last: Callable[[], None] | None = None,
    ) -> AsyncGenerator[list[dict], None]:
        """Pages of a virtual table (``Balance``, ``SliceLast``) by key set on one dimension.

        ``path_after(k)`` is the table's path whose ``Condition`` also holds ``<key> gt
        guid'k'`` (``None``: the first page), so 1C computes only the next slice of the register
        instead of the whole table for every page. Pages are ``$orderby=<key>`` with ``$top``;
        rows of the last key of a full page may continue on the next page, so they are held
        back and read again with it. A full page of one single key cannot move on: the read
        falls back to one unpaged request, as does a server that refuses the first paged one.
        ``on_last`` as in `iter_pages`.
        """
        _check_field(key)
        size = page_size or self.page_size
        hint = last_hint(on_last, key, size)
        early = _Early()

        def arrived(body: bytes) -> None:
            # A full page: the next one is asked for now, after the key its rows are cut at.
            if hint is not None:
                hint(body)
            if early.task is not None or body.count(f'"{key}"'.encode()) < size:
                return
            guess = tail_keys(body, key, 2)
            if guess:
                early.send(guess[1], self.get_page(path_after(guess[1]), select=select, orderby=key, top=size,
                                                   read_timeout=read_timeout, arrived=arrived))

        after: str | None = None
        seen_first: Any = None
        try:
            for _ in range(self.max_pages):
                try:
                    sent = await early.take(after)
                    rows = await sent if sent is not None else await self.get_page(
                        path_after(after), select=select, orderby=key, top=size, read_timeout=read_timeout,
                        arrived=arrived)
                except BusinessError as exc:
                    if after is not None or exc.status not in (400, 500, 501):
                        raise
                    log.warning("%s: paged register read refused (%s); reading it in one request",
                                short_url(path_after(None)), exc)
                    break
                if len(rows) > size or (rows and after is not None and rows[0] == seen_first):
                    raise PagingError(words=[Words("odata.paging.key", {
                        "entity": short_url(path_after(None)), "size": size, "key": key})])
                if len(rows) < size:
                    if rows:
                        yield rows
                    return
                last = rows[-1].get(key) if isinstance(rows[-1], dict) else None
                cut = len(rows)
                while cut > 0 and isinstance(rows[cut - 1], dict) and rows[cut - 1].get(key) == last:
                    cut -= 1
                if cut == 0 or not isinstance(last, str):
                    if after is None:
                        break       # one key fills a whole page: no safe place to cut
                    raise PagingError(words=[Words("odata.paging.one_key", {
                        "key": key, "entity": short_url(path_after(None))})])
                mark = rows[cut - 1].get(key)
                try:
                    after = lit_guid(mark)[5:-1] if isinstance(mark, str) else None
                except ValueError:
                    after = None
                if after is None:
                    raise PagingError(words=[Words("odata.paging.no_key", {
                        "key": key, "entity": short_url(path_after(None))})])
                seen_first = rows[0]
                yield rows[:cut]
            else:
                raise PagingError(words=[Words("odata.paging.cap", {
                    "pages": self.max_pages, "size": size, "entity": short_url(path_after(None))})])
            await early.cancel()
            rows = await self.get_page(path_after(None), select=select, read_timeout=read_timeout,
                                       arrived=last_hint(on_last, None, size))
            if rows:
                yield rows
        finally:
            await early.cancel()

    def pages(
        self, query: CollectionQuery, *, page_size: int | None = None, on_last: Callable[[], None] | None = None,
    ) -> AsyncGenerator[list[dict], None]:
        """`iter_pages` for a prepared query: paged by its ``orderby`` when ``query.paged``,
        otherwise one unpaged request (virtual tables, small registers). A ``heavy`` query
        waits up to ``heavy_timeout`` for each answer; one with a ``page_key`` (a register's
        virtual table) is paged by key set on that dimension (`iter_key_pages`). ``on_last``
        as in `iter_pages`."""
        read_timeout = self.heavy_timeout if query.heavy else None
        if query.page_key:
            return self.iter_key_pages(query.path_after, query.page_key, select=list(query.select) or None,
                                       page_size=page_size, read_timeout=read_timeout, on_last=on_last)
        return self.iter_pages(
            query.path, select=list(query.select) or None, filter=query.filter,
            orderby=query.orderby if query.paged else None, page_size=page_size,
            extra=dict(query.extra) or None, read_timeout=read_timeout, on_last=on_last,
        )

    async def get_all(self, what: str | CollectionQuery, **kw: Any) -> list[dict]:
        """Every row of an entity set (``iter_pages`` keywords) or of a prepared query
        (``pages`` keywords) in one list: the one "fetch all pages" of the sync layer."""
        out: list[dict] = []
        pages = self.iter_pages(what, **kw) if isinstance(what, str) else self.pages(what, **kw)
        async for page in pages:
            out.extend(page)
        return out

    async def get_metadata(self, *, max_bytes: int = METADATA_MAX_BYTES,
                           total_seconds: float = 120.0) -> bytes:
        """The publication's ``$metadata`` (CSDL XML, never JSON) as bytes, for `tui-crm doctor`.

        Never on a hot path (10–15 MB on big bases, §1). Read as a stream and refused past
        ``max_bytes`` or ``total_seconds`` (a server trickling bytes forever), not retried.
        Errors are the client's usual typed exceptions; a transport failure keeps the httpx
        exception as ``__cause__`` so a caller can tell a DNS failure from a refused port.
        """
        request = self._http.build_request("GET", "$metadata",
                                           headers={"Accept": "application/xml"})
        url = _safe_url(request.url)
        self.stats.requests += 1
        self.stats.by_method["GET"] = self.stats.by_method.get("GET", 0) + 1
        chunks: list[bytes] = []
        try:
            async with asyncio.timeout(total_seconds):
                try:
                    response = await self._http.send(request, stream=True)
                except httpx.TransportError as exc:
                    self.stats.errors += 1
                    raise self._transport_error(exc, "GET", url) from exc
                try:
                    size = 0
                    limit = max_bytes if response.status_code < 300 else 64 * 1024
                    async for chunk in response.aiter_bytes():
                        size += len(chunk)
                        if size > limit:
                            if response.status_code >= 300:
                                break  # an error page: its head is enough to word it
                            raise NotODataResponse(
                                words=[Words("odata.metadata.too_large", {
                                    "size": size_words(max_bytes), "request": request_of("GET", url)})],
                                status=response.status_code, url=url,
                                method="GET")
                        chunks.append(chunk)
                except httpx.TransportError as exc:
                    self.stats.errors += 1
                    raise self._transport_error(exc, "GET", url) from exc
                finally:
                    await response.aclose()
        except TimeoutError:
            self.stats.errors += 1
            raise Unreachable(
                words=[Words("odata.metadata.too_late", {"seconds": f"{total_seconds:.0f}",
                                                         "request": request_of("GET", url)})],
                maybe_applied=False, url=url, method="GET",
            ) from None
        body = b"".join(chunks)
        self.stats.bytes += len(body)
        head = httpx.Response(response.status_code, headers=response.headers,
                              content=body[:64 * 1024], request=request)
        if 300 <= response.status_code < 400:
            self.stats.errors += 1
            target = httpx.URL(response.headers.get("location", "")).host or Words("odata.elsewhere")
            raise NotODataResponse(
                words=[Words("odata.redirect.metadata", {"target": target, "status": response.status_code,
                                                         "request": request_of("GET", url)})],
                status=response.status_code, url=url, method="GET")
        if response.status_code >= 400:
            self.stats.errors += 1
            raise self._error_from_response(head, "GET", url)
        self._check_not_html(head, "GET", url)
        return body

    async def count(self, entity: str, filter: str | None = None) -> int:
        """``entity/$count`` (bare number body; the only safe way to count, §7.3)."""
        params = {"$filter": filter} if filter else None
        response = await self._request("GET", f"{entity}/$count", params=params)
        text = response.content.decode("utf-8-sig", "replace").strip().strip('"')
        # ASCII digits only and a sane length: str.isdigit() accepts "²" and "１２", and int() of a
        # 5000-digit text raises ValueError — a count is at most an Int64.
        if not (text.isascii() and text.isdigit() and len(text) <= 19):
            raise NotODataResponse(
                words=[Words("odata.count", {"entity": entity})],
                status=response.status_code, url=_safe_url(response.request.url), method="GET",
            )
        return int(text)

    async def get_record(self, path: str) -> dict | None:
        """One record of an independent information register by its key path
        (``InformationRegister_X(Dim=…,…)``, built by the caller from literals), or None when
        1C has no such record (404 without code, or code 9)."""
        return await self._get_one(path)

    async def get_entity(
        self, entity: str, ref: str, select: str | Iterable[str] | None = None
    ) -> dict | None:
        """``Entity(guid'…')`` -> the entity, or None when 1C has no object with that key.

        Only "no such object" (404 without code, or code 9) gives None; an unknown entity set
        (code 6/8) still raises NotFound, since that is a configuration error, not absence.
        """
        path = f"{_check_entity(entity)}({lit_guid(ref)})"
        return await self._get_one(path, self._query(select=select))

    async def _get_one(self, path: str, params: Mapping[str, str] | None = None) -> dict | None:
        """GET one object by its key path: the object, or None when 1C has none (404 without
        code, or code 9; any other NotFound, e.g. an unknown set, is raised). The one body of
        `get_record` and `get_entity`."""
        try:
            response = await self._request("GET", path, params=params)
        except NotFound as exc:
            if exc.code in (None, "9"):
                return None
            raise
        data = self._json(response, "GET", _safe_url(response.request.url), entity=True)
        if not isinstance(data, dict) or "odata.error" in data:
            raise self._not_odata(response, "entity")
        return data

    # -- writes ----------------------------------------------------------------------------

    def _write_result(self, response: httpx.Response) -> dict:
        if response.status_code == 204 or not response.content.strip():
            return {}
        data = self._json(response, response.request.method, _safe_url(response.request.url), entity=True)
        if not isinstance(data, dict):
            raise self._not_odata(response, "entity")
        return data

    async def create(self, entity: str, body: dict, *, idempotent: bool = False) -> dict:
        """POST a new object; returns 1C's full entity (``Ref_Key``, ``DataVersion``, …).

        Not retried unless ``idempotent=True`` (caller supplied ``Ref_Key`` and handles
        KeyExists by adopting the existing object).
        """
        response = await self._request(
            "POST", _check_entity(entity), body=body, idempotent=idempotent
        )
        return self._write_result(response)

    async def update(
        self, entity: str, ref: str, body: dict, *, if_match: str | None = None
    ) -> dict:
        """PATCH only the given fields (table parts must be sent whole); ``if_match`` is the
        ``DataVersion`` read earlier (412 -> Conflict).  Returns the updated entity, or {} if
        1C answered 204."""
        headers = {"If-Match": if_match} if if_match else None
        path = f"{_check_entity(entity)}({lit_guid(ref)})"
        response = await self._request("PATCH", path, body=body, headers=headers)
        return self._write_result(response)

    async def delete(self, entity: str, ref: str, *, if_match: str | None = None) -> None:
        """Physical deletion (1C DELETE is not "mark for deletion": PATCH DeletionMark for that)."""
        headers = {"If-Match": if_match} if if_match else None
        path = f"{_check_entity(entity)}({lit_guid(ref)})"
        await self._request("DELETE", path, headers=headers)

    async def post_document(self, entity: str, ref: str, *, operational: bool = False) -> None:
        """``POST …(guid'…')/Post?PostingModeOperational=…``.  Failures come back as 500/-1
        (BusinessError with 1C's message).  Success body is undocumented: re-read ``Posted``."""
        path = f"{_check_entity(entity)}({lit_guid(ref)})/Post"
        await self._request(
            "POST", path, params={"PostingModeOperational": lit_bool(operational)}
        )

    async def unpost_document(self, entity: str, ref: str) -> None:
        """``POST …(guid'…')/Unpost``."""
        path = f"{_check_entity(entity)}({lit_guid(ref)})/Unpost"
        await self._request("POST", path)
