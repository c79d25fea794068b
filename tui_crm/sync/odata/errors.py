"""Failures talking to 1C as typed exceptions, and the mapping of an error answer to them.

Why: ``str()`` of every exception is a sentence an operator can read; ``odata.error`` bodies
(JSON or XML) keep 1C's own code and message; HTML pages are told apart from OData. Credentials
never appear in these messages (the client strips them from URLs first).
"""

from __future__ import annotations

import html
import json
import re
import socket
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, ClassVar
from urllib.parse import unquote, urlsplit

# 502/503/504 from the web server in front of 1C: accounting is unreachable (and a read may be
# retried).
_RETRY_STATUSES = frozenset({502, 503, 504})


# The longest request description an error line carries (the full URL stays in ``exc.url``).
URL_CAP = 80
_BASE_MARK = "/odata/standard.odata/"


def short_url(url: str | None, cap: int = URL_CAP) -> str:
    """What an error line says about a request: the decoded path after the OData base (the
    entity set, a key, a virtual table) without the query, capped at ``cap`` characters. A
    filtered read of a 100-key batch used to put 300 characters of percent-encoding there."""
    if not url:
        return ""
    try:
        path = unquote(urlsplit(url).path)
    except ValueError:
        path = url.split("?", 1)[0]
    at = path.find(_BASE_MARK)
    path = path[at + len(_BASE_MARK):] if at >= 0 else path.rsplit("/", 1)[-1] or path
    path = "".join(ch if ch.isprintable() else "?" for ch in path)
    return path if len(path) <= cap else path[: cap - 1] + "…"


# The English of every sentence piece an error is worded from, by key. The package imports nothing
# of tui_crm, so it words its errors in English here (``str(exc)``, the log files); the errors keep
# the pieces (`Words`), and tui_crm.sync.reach registers these keys with their Russian and words an
# error in the interface language for the operator (the sync log, the status bar, `tui-crm sync`).
TEXT: dict[str, str] = {
    "odata.lead.error": "Accounting (1C) returned an error.",
    "odata.lead.unreachable": "Accounting (1C) is unreachable.",
    "odata.lead.not_odata": (
        "Accounting answered with an HTML page or other non-OData content, not OData — "
        "check the publication / web server."
    ),
    "odata.lead.auth": "Accounting (1C) refused access: check the user name, password and the user's rights.",
    "odata.lead.not_found": "Accounting (1C) has no such object or entity set.",
    "odata.lead.conflict": "The object was changed in accounting since it was read; reload it and retry.",
    "odata.lead.key_exists": "Accounting (1C) already has an object with this key.",
    "odata.lead.tls": "Accounting's TLS certificate was not accepted.",
    "odata.lead.too_large": "Accounting (1C) sent an answer that is too big; the read was stopped.",
    "odata.lead.paging": "Accounting (1C) sends pages that never end; the read was stopped.",
    "odata.lead.malformed": "Accounting sent a malformed JSON answer (a key appears twice); the read was stopped.",
    "odata.lead.business": "Accounting (1C) refused the operation.",
    "odata.gone": "{entity} {key} not found",
    # a size (`size_words`): {n} with a decimal point, {n_ru} the same with a decimal comma
    "odata.size.b": "{n} bytes",
    "odata.size.kb": "{n} KB",
    "odata.size.mb": "{n} MB",
    "odata.says": " 1C says: «{message}»",
    "odata.code": "1C code {code}",
    "odata.unreachable": "Accounting (1C) at {host} is unreachable: {what} ({request}).",
    "odata.what.dns": "the server name {host} is not known (DNS)",
    "odata.what.connect": "could not connect to the server",
    "odata.what.pool": "no free connection to the server",
    "odata.what.timeout": "the server did not answer in time",
    "odata.what.dropped": "the connection was dropped before the answer arrived",
    "odata.what.network": "network error ({name})",
    "odata.gave_up": " Gave up after {n} attempts.",
    "odata.tls.not_https": (
        "Accounting (1C) at {where} does not answer https on this port ({reason}): the server there speaks "
        "something else, most likely plain http; write the URL with http://, or use the port its https is "
        "published on ({request})."
    ),
    "odata.tls.certificate": (
        "Accounting (1C) at {host}: the server's TLS certificate was not accepted ({reason}). "
        "If the server uses a self-signed certificate or your company's own certificate "
        "authority, point SSL_CERT_FILE at a CA bundle that includes it; "
        "accounting.verify_tls = false turns the check off (not recommended) ({request})."
    ),
    "odata.redirect": (
        "Accounting redirected the request to {target} instead of answering with OData — check the "
        "publication / web server (HTTP {status}, {request})."
    ),
    "odata.redirect.metadata": (
        "Accounting redirected the request to {target} instead of answering — check the "
        "publication / web server (HTTP {status}, {request})."
    ),
    "odata.elsewhere": "elsewhere",
    "odata.no_ctype": "no content type",
    "odata.not_json": (
        "Accounting answered with {ctype}, not OData JSON — check the publication / web server "
        "(HTTP {status}, {request})."
    ),
    "odata.broken_json": (
        "Accounting sent a broken JSON answer — check the publication / web server (HTTP {status}, {request})."
    ),
    "odata.not_odata_json": (
        "Accounting answered with JSON that is not a 1C OData {what} — check the publication / web server "
        "(HTTP {status}, {request})."
    ),
    "odata.what.answer": "answer",
    "odata.what.entity": "entity",
    "odata.too_large": (
        "Accounting (1C) sent more than {limit} in one answer; the read was stopped to keep memory bounded. "
        "Lower accounting.page_size, or raise accounting.max_page_mb if the base really needs it ({request})."
    ),
    "odata.paging.top": "Accounting ignored paging ($top={size}) for {entity}: got {rows} rows; refusing to continue.",
    "odata.paging.skip": (
        "Accounting ignored paging ($skip={skip}) for {entity}: page {page} repeats the previous page; "
        "refusing to continue."
    ),
    "odata.paging.cap": (
        "Accounting sent more than {pages} pages of {size} rows for {entity}; refusing to continue "
        "(raise accounting.max_pages if the base is really that big)."
    ),
    "odata.paging.key": "Accounting ignored paging of {entity} ($top={size} by {key}); refusing to continue.",
    "odata.paging.one_key": "Accounting sent a full page of one {key} for {entity}; raise accounting.page_size.",
    "odata.paging.no_key": "Accounting sent a row without a usable {key} for {entity}; refusing to continue.",
    "odata.malformed": (
        "Accounting sent a malformed JSON answer: the key {key} appears twice in one object, so the page "
        "cannot be trusted; the read was stopped and the data kept (HTTP {status}, {request})."
    ),
    "odata.metadata.too_large": (
        "Accounting's $metadata is larger than {size}; the read was stopped (a real 1C base's is 10–15 MB) "
        "({request})."
    ),
    "odata.metadata.too_late": "Accounting's $metadata did not arrive within {seconds} s; the read was stopped "
                               "({request}).",
    "odata.count": (
        "Accounting answered a count request with something other than a number — check the publication / "
        "web server ({entity})."
    ),
    "odata.no_rows": (
        "Accounting answered without a row list ('value') where a collection was expected, not OData rows — "
        "check the publication / web server ({entity})."
    ),
}


@dataclass(frozen=True)
class Words:
    """One piece of an error's sentence: a `TEXT` key and its values. A value that is itself
    `Words` is worded first (``what`` of an unreachable server); any other value is shown as is
    (a host, a request, 1C's own message: 1C's text stays as 1C sent it)."""

    key: str
    values: dict[str, Any] = field(default_factory=dict)


Sentence = Sequence["Words | str"]   # pieces in order; a plain str is shown as is (punctuation)


@dataclass(frozen=True)
class Phrase:
    """A value made of several pieces (a list whose length varies), worded as one."""

    pieces: tuple[Words | str, ...]


def _worded(value: Any, template: Callable[[str], str]) -> Any:
    if isinstance(value, Words):
        return word([value], template)
    if isinstance(value, Phrase):
        return word(value.pieces, template)
    return value


def word(pieces: Sentence, template: Callable[[str], str] = TEXT.__getitem__) -> str:
    """The sentence of ``pieces`` with each key's text from ``template`` (English by default)."""
    out = []
    for piece in pieces:
        if isinstance(piece, Words):
            values = {k: _worded(v, template) for k, v in piece.values.items()}
            out.append(template(piece.key).format(**values) if values else template(piece.key))
        else:
            out.append(piece)
    return "".join(out)


class Worded(Exception):
    """An error kept as one sentence piece (a key and its values): ``str(exc)`` is its English,
    from the class's `TEXT` (the log files); sync.reach.error_words words ``words`` in the
    interface language for the operator. A subclass names the dictionary its keys are in."""

    TEXT: ClassVar[Mapping[str, str]] = TEXT

    def __init__(self, key: str, /, **values: Any) -> None:
        self.words: list[Words | str] = [Words(key, values)]
        super().__init__(word(self.words, self.TEXT.__getitem__))


def size_words(nbytes: int) -> Words:
    """A size as a sentence says it: bytes under 1 KB, KB under 1 MB, else MB, with at most one
    decimal (halves away from zero, as 1C rounds) and no trailing ``.0``; the Russian template
    takes ``n_ru``, the same number with a decimal comma (a limit of 100 000 bytes read
    "0.0953674 МБ")."""
    key, unit = "odata.size.b", 1
    for k, u in (("odata.size.mb", 2**20), ("odata.size.kb", 2**10)):
        if nbytes >= u:
            key, unit = k, u
            break
    n = (Decimal(nbytes) / unit).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    text = f"{n:f}".removesuffix(".0")
    return Words(key, {"n": text, "n_ru": text.replace(".", ",")})


def request_of(method: str | None, url: str | None) -> str:
    """How an error line names a request: ``GET Catalog_Склады``."""
    return f"{method} {short_url(url)}"


class ODataError(Exception):
    """Any failure talking to 1C.  ``str(exc)`` is a sentence an operator can read.

    Attributes: ``code`` (1C error code as text, or None), ``message`` (1C's own text, usually
    Russian, or None), ``status`` (HTTP status or None), ``url`` (request URL without
    credentials), ``method``.
    """

    lead_key = "odata.lead.error"
    lead = TEXT[lead_key]

    def __init__(
        self,
        sentence: str | None = None,
        *,
        words: Sentence | None = None,
        code: str | None = None,
        message: str | None = None,
        status: int | None = None,
        url: str | None = None,
        method: str | None = None,
    ) -> None:
        self.code = code
        self.message = message
        self.status = status
        self.url = url
        self.method = method
        # ``words``: the sentence's pieces, worded in the interface language by
        # tui_crm.sync.reach.error_words; a plain ``sentence`` is shown as it is in every language.
        self.words: list[Words | str] = list(words) if words is not None else (
            [sentence] if sentence else self._compose())
        self.sentence = word(self.words)
        super().__init__(self.sentence)

    def _compose(self) -> list[Words | str]:
        pieces: list[Words | str] = [Words(self.lead_key)]
        if self.message:
            pieces.append(Words("odata.says", {"message": self.message}))
        details: list[Words | str] = []
        if self.code is not None:
            details.append(Words("odata.code", {"code": self.code}))
        if self.status is not None:
            details.append(f"HTTP {self.status}")
        if self.method and self.url:
            details.append(request_of(self.method, self.url))
        if details:
            pieces.append(" (")
            for n, detail in enumerate(details):
                pieces.extend([", ", detail] if n else [detail])
            pieces.append(")")
        return pieces

    def add(self, *pieces: Words | str) -> None:
        """Append pieces to the sentence (the retry loop's "Gave up after N attempts.")."""
        self.words.extend(pieces)
        self.sentence = word(self.words)
        self.args = (self.sentence,)

    def __str__(self) -> str:
        return self.sentence


_DNS_WORDS = ("name or service not known", "nodename nor servname", "getaddrinfo",
              "name resolution", "no address associated")


def _chain(exc: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    e: BaseException | None = exc
    while e is not None and e not in out:
        out.append(e)
        e = e.__cause__ or e.__context__
    return out


def connect_failure(exc: BaseException) -> str:
    """Why a connection could not be made, from the error and its causes: ``"dns"`` (the server
    name does not resolve), ``"refused"`` (nothing listens on the port) or ``"other"``. The one
    rule `tui-crm doctor` and every request's `Unreachable` (sync, status) tell them apart by."""
    chain = _chain(exc)
    text = " ".join(str(e) for e in chain).lower()
    if any(isinstance(e, socket.gaierror) for e in chain) or any(s in text for s in _DNS_WORDS):
        return "dns"
    if any(isinstance(e, ConnectionRefusedError) for e in chain) or "refused" in text:
        return "refused"
    return "other"


class Unreachable(ODataError):
    """Accounting could not be reached: connect error, timeout, dropped connection, or a
    502/503/504 from the web server in front of 1C.

    ``maybe_applied`` is True when the request may have reached 1C before the failure (read
    timeout, dropped response): a write in that state must be verified, not blindly resent.
    ``reason`` is ``connect_failure``'s answer when the connection could not be made ("dns",
    "refused", "other"), else ""; ``host`` the server's name.
    """

    lead_key = "odata.lead.unreachable"
    lead = TEXT[lead_key]

    def __init__(self, sentence: str | None = None, *, maybe_applied: bool = False, reason: str = "",
                 host: str = "", **kw: Any):
        self.maybe_applied = maybe_applied
        self.reason = reason
        self.host = host
        super().__init__(sentence, **kw)


class NotODataResponse(ODataError):
    """The server answered, but not with 1C OData (HTML page, non-JSON, wrong JSON shape)."""

    lead_key = "odata.lead.not_odata"
    lead = TEXT[lead_key]


class AuthError(ODataError):
    """401/403 or 1C code 20: wrong login/password or missing rights (incl. RLS)."""

    lead_key = "odata.lead.auth"
    lead = TEXT[lead_key]


class NotFound(ODataError):
    """404, code 9 (no object with this key) or code 6/8 (unknown entity, e.g. not published)."""

    lead_key = "odata.lead.not_found"
    lead = TEXT[lead_key]


class Conflict(ODataError):
    """412: the object changed in accounting since it was read (stale DataVersion)."""

    lead_key = "odata.lead.conflict"
    lead = TEXT[lead_key]


class KeyExists(ODataError):
    """Code 15: an object with this key already exists."""

    lead_key = "odata.lead.key_exists"
    lead = TEXT[lead_key]


class TLSProblem(Unreachable):
    """The TLS handshake failed: a self-signed certificate, one from a company CA this machine
    does not trust, an expired one or a name mismatch. Retrying cannot help; the sentence says
    what to change (the CA bundle or ``accounting.verify_tls``)."""

    lead_key = "odata.lead.tls"
    lead = TEXT[lead_key]


class TooLarge(ODataError):
    """One answer is bigger than ``accounting.max_page_mb``: the body was cut off while it
    streamed in, so memory stays bounded whatever the server sends. Retrying would fetch the
    same bytes again, so it is final; the sentence says which setting to change."""

    lead_key = "odata.lead.too_large"
    lead = TEXT[lead_key]


class PagingError(ODataError):
    """Accounting's paging does not end: a page repeats the previous one (``$skip`` ignored) or
    a collection runs past the client's page cap. Retrying would loop again, so it is final."""

    lead_key = "odata.lead.paging"
    lead = TEXT[lead_key]


class MalformedAnswer(NotODataResponse):
    """The answer is JSON but cannot be trusted: its top-level object repeats a key (two ``"value"`` lists:
    which one is the page?). Python's ``json`` would silently keep the last one, which once
    emptied the product mirror; the page is refused instead, and the pull with it."""

    lead_key = "odata.lead.malformed"
    lead = TEXT[lead_key]


class BusinessError(ODataError):
    """1C refused the operation: code -1 (exception in 1C code, e.g. posting failed) and other
    request errors (bad value, unknown property, …)."""

    lead_key = "odata.lead.business"
    lead = TEXT[lead_key]


_XML_CODE = re.compile(r"<(?:\w+:)?code>\s*(.*?)\s*</(?:\w+:)?code>", re.S)
_XML_MSG = re.compile(r"<(?:\w+:)?message(?:\s[^>]*)?>\s*(.*?)\s*</(?:\w+:)?message>", re.S)


def _parse_error_body(text: str) -> tuple[str | None, str | None] | None:
    """Extract (code, message) from a JSON ``odata.error`` or an XML ``<m:error>`` body."""
    stripped = text.lstrip("\ufeff \r\n\t")
    if stripped.startswith("{"):
        try:
            data = json.loads(stripped)
        except ValueError:
            return None
        if not isinstance(data, dict):
            return None
        err = data.get("odata.error") or data.get("error")
        if not isinstance(err, dict):
            return None
        code = err.get("code")
        msg = err.get("message")
        if isinstance(msg, dict):
            msg = msg.get("value")
        return (None if code in (None, "") else str(code)), (str(msg) if msg else None)
    if stripped.startswith("<"):
        m_code = _XML_CODE.search(stripped)
        if not m_code or "<html" in stripped[:500].lower():
            return None
        m_msg = _XML_MSG.search(stripped)
        msg = html.unescape(m_msg.group(1)) if m_msg else None
        return html.unescape(m_code.group(1)) or None, msg
    return None


# Words of a 1C "-1" message that mark a failure of the moment (a lock that was not granted, a
# deadlock the DBMS broke, a lost connection between the 1C server and its DBMS): the same
# request may succeed a moment later. Any other "-1" is an exception in 1C's own code (a field
# that does not exist, a failed posting check, a bug in a configuration module) that the same
# request hits again every time, so repeating it only multiplies the load on a struggling base.
_TRANSIENT_1C = re.compile(
    r"блокиров|deadlock|lock|тайм-?аут|timeout|превышено максимальное время|"
    r"соединени[яе] с сервером|connection|недоступен|unavailable|ошибка субд|dbms",
    re.IGNORECASE,
)


def transient_1c_message(message: str | None) -> bool:
    """Whether a 1C error message (code -1) describes a failure of the moment worth one retry."""
    return bool(message) and _TRANSIENT_1C.search(message or "") is not None


def _is_html(content_type: str, text: str) -> bool:
    head = text.lstrip("\ufeff \r\n\t")[:200].lower()
    return "html" in content_type or head.startswith(("<!doctype html", "<html"))


def _map_error(
    status: int, code: str | None, message: str | None, method: str, url: str
) -> ODataError:
    """Choose the exception class for an error answer (status and 1C code)."""
    kw: dict[str, Any] = {"code": code, "message": message, "status": status, "url": url,
                          "method": method}
    if status in (401, 403) or code == "20":
        return AuthError(**kw)
    if status == 412:
        return Conflict(**kw)
    if code == "15":
        return KeyExists(**kw)
    if status == 404 or code in ("6", "8", "9"):
        return NotFound(**kw)
    if status in _RETRY_STATUSES and code is None:
        return Unreachable(maybe_applied=True, **kw)
    return BusinessError(**kw)
