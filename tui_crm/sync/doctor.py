"""`tui-crm doctor`: is this 1C publication ready for this profile, and if not, what exactly to do.

Steps, each answering one question an integrator asks when pointing the CRM at a real base:

1. the URL's shape (`check_url`): a standard OData base ends in ``/odata/standard.odata/``;
   common slips (the web client's ``/ru_RU/``, a trailing ``$metadata``, an entity path, plain
   ``http`` to a remote host) are named with what was typed and what is expected;
2. connection and login: the ``$metadata`` request tells DNS, refused port, TLS, timeout, 401
   (login), 403 (no right to use OData), 404 (no such publication), an HTML page;
3. ``$metadata`` (parsed safely, `metadata.parse_csdl`): every entity set, table part, virtual
   table and field the profile needs (`needs.profile_needs`) that the publication lacks; the
   configuration is recognised where the names tell it;
4. rights: one small GET with ``allowedOnly=true`` per needed set (``$top=1``), reporting the
   sets this user cannot read.

The result is a `Report` of codes and names; `tui_crm/doctor_cmd.py` words it (English and
Russian). The sync layer never prints.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

import httpx

from tui_crm.sync.metadata import Csdl, MetadataError, parse_csdl
from tui_crm.sync.needs import Need, profile_needs
from tui_crm.sync.odata import (
    AuthError,
    NotFound,
    NotODataResponse,
    ODataClient,
    ODataError,
    TLSProblem,
    Unreachable,
    connect_failure,
)
from tui_crm.sync.profile import Profile
from tui_crm.sync.reach import (
    error_words,  # registers connect.dns; the client's sentences as sync words them
)

__all__ = [
    "EXIT_CANNOT_CONNECT",
    "EXIT_MISSING",
    "EXIT_OK",
    "Finding",
    "Recognition",
    "Report",
    "UrlCheck",
    "check_url",
    "diagnose",
    "metadata_object",
    "recognise",
]

EXIT_OK = 0
EXIT_MISSING = 1
EXIT_CANNOT_CONNECT = 2

SUFFIX = "/odata/standard.odata/"

#: The 1C metadata class of each OData name prefix, as the composition dialog names it.
_OBJECT_CLASS = {
    "Catalog": "Справочник",
    "Document": "Документ",
    "DocumentJournal": "ЖурналДокументов",
    "Constant": "Константа",
    "ExchangePlan": "ПланОбмена",
    "ChartOfAccounts": "ПланСчетов",
    "ChartOfCalculationTypes": "ПланВидовРасчета",
    "ChartOfCharacteristicTypes": "ПланВидовХарактеристик",
    "InformationRegister": "РегистрСведений",
    "AccumulationRegister": "РегистрНакопления",
    "AccountingRegister": "РегистрБухгалтерии",
    "CalculationRegister": "РегистрРасчета",
    "BusinessProcess": "БизнесПроцесс",
    "Task": "Задача",
}


def metadata_object(entity: str) -> str:
    """The 1C object to add to the OData composition for an entity set:
    ``InformationRegister_ЦеныНоменклатуры_RecordType`` → ``РегистрСведений.ЦеныНоменклатуры``."""
    prefix, _, rest = entity.partition("_")
    rest = rest.removesuffix("_RecordType")
    cls = _OBJECT_CLASS.get(prefix)
    return f"{cls}.{rest}" if cls and rest else entity


@dataclass(frozen=True)
class Finding:
    """Something doctor found, as a code the command words, with its parameters."""

    code: str
    params: Mapping[str, str] = field(default_factory=dict)


# -- 1. the URL ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class UrlCheck:
    """``fatal``: do not even try (the URL cannot be a standard OData base); ``expected``: the
    URL doctor would use instead, when it can tell."""

    findings: tuple[Finding, ...]
    expected: str
    fatal: bool


def _is_local(host: str) -> bool:
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str) -> UrlCheck:
    """Check the shape of a standard OData base URL; never touches the network."""
    text = url.strip()
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 -- raises ValueError for a port that is not a number
    except ValueError:
        return UrlCheck((Finding("url.invalid", {"url": text}),), "", True)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return UrlCheck((Finding("url.not_http", {"url": text}),), "", True)
    if parts.username or parts.password:
        clean = urlunsplit((parts.scheme, parts.hostname + (f":{parts.port}" if parts.port else ""),
                            parts.path, "", ""))
        return UrlCheck((Finding("url.credentials", {"expected": clean}),), clean, True)
    findings: list[Finding] = []
    path = parts.path
    if parts.query or parts.fragment:
        findings.append(Finding("url.query", {"url": text}))
    segments = [s for s in path.split("/") if s]
    lowered = [s.lower() for s in segments]
    base_segments: list[str]
    if "standard.odata" in lowered:
        i = lowered.index("standard.odata")
        base_segments = segments[: i + 1]
        if i == 0 or lowered[i - 1] != "odata":
            base_segments = [*segments[:i], "odata", "standard.odata"]
            findings.append(Finding("url.no_odata_segment", {"url": text}))
        tail = segments[i + 1:]
        if tail:
            code = "url.metadata_suffix" if tail[-1].lower() == "$metadata" else "url.entity_path"
            findings.append(Finding(code, {"url": text, "tail": "/".join(tail)}))
    else:
        web_client = [s for s in segments if len(s) == 5 and s[2] == "_" and s[:2].isalpha()
                      and s[:2].islower() and s[3:].isupper()]
        if web_client:
            cut = lowered.index(web_client[0].lower())
            base_segments = segments[:cut]
            findings.append(Finding("url.web_client", {"url": text, "segment": web_client[0]}))
        elif "hs" in lowered:
            base_segments = segments[: lowered.index("hs")]
            findings.append(Finding("url.http_service", {"url": text}))
        elif "odata" in lowered:
            base_segments = segments[: lowered.index("odata")]
            findings.append(Finding("url.no_standard_odata", {"url": text}))
        else:
            base_segments = segments
            findings.append(Finding("url.no_suffix", {"url": text}))
        base_segments = [*base_segments, "odata", "standard.odata"]
    if len(base_segments) < 3:
        findings.append(Finding("url.no_publication", {"url": text}))
    expected = urlunsplit((parts.scheme, parts.netloc, "/" + "/".join(base_segments) + "/", "", ""))
    if parts.scheme == "http" and not _is_local(parts.hostname):
        findings.append(Finding("url.plain_http", {"host": parts.hostname}))
    fatal = any(f.code not in ("url.plain_http", "url.no_publication") for f in findings)
    return UrlCheck(tuple(findings), expected, fatal)


# -- 2. connection and login ---------------------------------------------------------------------


def _transport_cause(exc: BaseException) -> BaseException | None:
    seen: set[int] = set()
    e: BaseException | None = exc.__cause__
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if isinstance(e, httpx.TransportError):
            return e
        e = e.__cause__ or e.__context__
    return None


def _said(exc: ODataError) -> str:
    """The client's sentence in the interface language (OpenSSL's own reason stays as it was sent)."""
    return error_words(exc) or str(exc)


def _why_unreachable(exc: Unreachable, host: str) -> Finding:
    if isinstance(exc, TLSProblem):
        return Finding("connect.tls", {"host": host, "detail": _said(exc)})
    cause = _transport_cause(exc)
    if isinstance(cause, httpx.ConnectError):
        # the one rule the client marks every `Unreachable` by (sync and status say the same)
        reason = connect_failure(cause)
        if reason in ("dns", "refused"):
            return Finding(f"connect.{reason}", {"host": host})
        return Finding("connect.failed", {"host": host, "detail": _said(exc)})
    if isinstance(cause, httpx.TimeoutException) or cause is None:
        return Finding("connect.timeout", {"host": host})
    return Finding("connect.failed", {"host": host, "detail": _said(exc)})


def _why_refused(exc: ODataError, url: str, user: str) -> Finding:
    if isinstance(exc, AuthError):
        if exc.status == 403 or (exc.code == "20" and exc.status != 401):
            return Finding("auth.forbidden", {"user": user})
        if exc.code == "20":
            return Finding("auth.rights", {"user": user, "detail": exc.message or ""})
        return Finding("auth.login" if user else "auth.no_login", {"user": user})
    if isinstance(exc, NotFound) or exc.status == 404:
        return Finding("publication.missing", {"url": url})
    if isinstance(exc, NotODataResponse):
        return Finding("publication.not_odata", {"url": url, "detail": _said(exc)})
    return Finding("publication.error", {"url": url, "detail": _said(exc)})


# -- 3. recognising the configuration -------------------------------------------------------------


@dataclass(frozen=True)
class Recognition:
    """What the published names say the base is; ``profile`` is the bundled one to use."""

    configuration: str
    profile: str
    release: str = ""
    evidence: tuple[str, ...] = ()


def recognise(csdl: Csdl) -> Recognition | None:
    """The configuration (and release where a name tells it) from the published sets; None when
    the publication does not show enough (an incomplete composition can hide it)."""
    has = csdl.has_set
    if has("Document_ЗаказКлиента"):
        release = ""
        rows = csdl.line_properties("Document_ПоступлениеБезналичныхДенежныхСредств",
                                    "РасшифровкаПлатежа")
        if "ОбъектРасчетов_Key" in rows:
            release = "11.5+"
        elif "Заказ" in rows:
            release = "11.4"
        evidence = ["Document_ЗаказКлиента"]
        if has("InformationRegister_ЦеныНоменклатуры25"):
            evidence.append("InformationRegister_ЦеныНоменклатуры25")
        return Recognition("УТ 11 / КА 2 / ERP 2", "ut11", release, tuple(evidence))
    if has("Document_ЗаказПокупателя"):
        evidence = [n for n in ("Document_ЗаказПокупателя",
                                "AccumulationRegister_ТоварыВРезервеНаСкладах") if has(n)]
        return Recognition("КА 1.1 / УТ 10.3 / УПП 1.3", "ka1", "", tuple(evidence))
    if has("AccountingRegister_Хозрасчетный") and has("Document_СчетНаОплатуПокупателю") \
            and not has("Document_ЗаказПокупателя"):
        rows = csdl.line_properties("Document_СчетНаОплатуПокупателю", "Товары")
        release = ""
        if "Номенклатура_Type" in rows:
            release = "3.0.198+"
        elif "Номенклатура_Key" in rows:
            release = "3.0 (before 3.0.198)"
        return Recognition("БП 3.0", "bp3", release,
                           ("AccountingRegister_Хозрасчетный", "Document_СчетНаОплатуПокупателю"))
    return None


# -- the report ---------------------------------------------------------------------------------


@dataclass
class Report:
    """What doctor found. ``failure`` set: it could not get as far as comparing (exit 2)."""

    url: str
    profile: str
    profile_title: str = ""
    url_check: UrlCheck | None = None
    failure: Finding | None = None
    recognised: Recognition | None = None
    present: list[Need] = field(default_factory=list)
    #: required sets the publication lacks: add them to the OData composition
    must_publish: list[Need] = field(default_factory=list)
    #: table parts, virtual tables and fields a published set lacks: the profile does not match
    mismatch: list[Need] = field(default_factory=list)
    #: optional needs the publication lacks (the CRM works without them)
    optional_missing: list[Need] = field(default_factory=list)
    #: needs whose shape $metadata does not describe (a virtual table's row type)
    unchecked: list[Need] = field(default_factory=list)
    #: sets this user cannot read (allowedOnly=true refused), with the reason
    unreadable: list[tuple[Need, str]] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        if self.failure is not None:
            return EXIT_CANNOT_CONNECT
        if self.must_publish or self.mismatch or any(n.required for n, _ in self.unreadable):
            return EXIT_MISSING
        return EXIT_OK

    @property
    def suggested_profile(self) -> str | None:
        """The bundled profile the base looks like, when it is not the one in use."""
        r = self.recognised
        return r.profile if r is not None and r.profile != self.profile else None


def _compare(csdl: Csdl, needs: list[Need], report: Report) -> list[Need]:
    """Sort the needs into present / missing; returns the sets to probe for rights."""
    missing_sets: set[str] = set()
    probe: list[Need] = []
    for n in needs:
        if n.kind != "entity_set":
            continue
        ok = csdl.has_set(n.entity) and (not n.function or csdl.has_function(n.entity, n.function))
        if ok:
            report.present.append(n)
            probe.append(n)
        elif csdl.has_set(n.entity):  # the register is there, its virtual table is not
            (report.mismatch if n.required else report.optional_missing).append(n)
            missing_sets.add(n.entity)
        else:
            (report.must_publish if n.required else report.optional_missing).append(n)
            missing_sets.add(n.entity)
    for n in needs:
        if n.kind == "entity_set" or n.entity in missing_sets:
            continue
        if n.kind == "table_part":
            found = csdl.has_lines(n.entity, n.lines)
        elif n.lines:
            if not csdl.has_lines(n.entity, n.lines):
                continue  # the missing table part is listed once
            found = n.field in csdl.line_properties(n.entity, n.lines)
        elif n.function:
            props = csdl.function_properties(n.entity, n.function)
            if props is None:
                report.unchecked.append(n)
                continue
            found = n.field in props
        else:
            found = n.field in csdl.set_properties(n.entity)
        if found:
            report.present.append(n)
        else:
            (report.mismatch if n.required else report.optional_missing).append(n)
    return probe


async def _probe_rights(client: ODataClient, csdl: Csdl, probe: list[Need], report: Report) -> None:
    """One ``$top=1`` GET with ``allowedOnly=true`` per set; a refusal is a set this user cannot
    read (with row-level security, 1C answers code 20 without ``allowedOnly``)."""
    for n in probe:
        path = f"{n.entity}/{n.function}()" if n.function else n.entity
        params = {"$top": "1", "allowedOnly": "true"}
        fields = [f for f in csdl.set_properties(n.entity) if f in ("Ref_Key",)]
        if fields and not n.function:
            params["$select"] = fields[0]
        try:
            await client.get_json(path, params)
        except AuthError as exc:
            report.unreadable.append((n, exc.message or ""))
        except Unreachable:
            raise
        except ODataError as exc:
            report.unreadable.append((n, exc.message or _said(exc)))


async def diagnose(client: ODataClient, profile: Profile, *, url: str, user: str = "",
                   max_bytes: int | None = None) -> Report:
    """Run the checks against the publication `client` talks to (its URL is `url`, already
    checked by `check_url`); never raises for anything the server does."""
    report = Report(url=url, profile=profile.name, profile_title=profile.title)
    host = urlsplit(url).hostname or url
    kw = {"max_bytes": max_bytes} if max_bytes is not None else {}
    try:
        raw = await client.get_metadata(**kw)
    except Unreachable as exc:
        report.failure = _why_unreachable(exc, host)
        return report
    except ODataError as exc:
        report.failure = _why_refused(exc, url, user)
        return report
    try:
        csdl = parse_csdl(raw)
    except MetadataError as exc:
        report.failure = Finding("metadata.unreadable", {"detail": exc.said()})
        return report
    if not csdl.entity_sets:
        report.failure = Finding("metadata.empty", {})
        return report
    report.recognised = recognise(csdl)
    probe = _compare(csdl, profile_needs(profile), report)
    try:
        await _probe_rights(client, csdl, probe, report)
    except Unreachable as exc:
        report.failure = _why_unreachable(exc, host)
    return report
