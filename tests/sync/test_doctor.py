"""`tui-crm doctor` against the real sandbox over loopback (issue 10, part 4).

A complete publication passes (exit 0); objects and fields left out of the composition
(`--unpublish`) are named exactly (exit 1); a wrong password, a port nobody listens on and an
unknown publication are exit 2 with a plain sentence; mistyped URL shapes get the right hint;
a hostile `$metadata` (huge, deeply nested, entity expansion) is a clear error, never a hang or
a traceback.

Parametrised by sandbox configuration: `ka1` today; `ut11` / `bp3` join when the sandbox speaks
them (each entry names the profile and what to leave out of its publication).
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from onec_sandbox.configs import configuration
from onec_sandbox.publication import Publication, PublicationError
from onec_sandbox.server import RunningSandbox, start_in_thread
from onec_sandbox.state import SandboxState
from tui_crm.cli import main
from tui_crm.sync.metadata import MetadataError, parse_csdl
from tui_crm.sync.needs import profile_needs
from tui_crm.sync.profile import load_profile

LOGIN = ("Интегратор", "пароль-1С")


@dataclass(frozen=True)
class Config:
    """One sandbox configuration and what a test leaves out of its publication."""

    name: str
    profile: str
    required_set: str       # a set every pull needs
    push_set: str           # a set only the push needs (or "" when the profile does not push)
    optional_set: str       # a register the CRM does without (or "" when it needs them all)
    header_field: str       # Set.Field
    line_field: str         # Set.Part.Field
    recognised: str


CONFIGS = [
    Config("ka1", "ka1", "Document_ПриходныйКассовыйОрдер", "Document_СчетНаОплатуПокупателю",
           "AccumulationRegister_ТоварыВРезервеНаСкладах", "Catalog_Контрагенты.Комментарий",
           "Document_ЗаказПокупателя.Товары.СтавкаНДС", "ka1"),
    Config("ut11", "ut11", "Document_ПриходныйКассовыйОрдер", "",
           "AccumulationRegister_ТоварыКОтгрузке", "Catalog_Контрагенты.ДополнительнаяИнформация",
           "Document_ЗаказКлиента.Товары.СтавкаНДС_Key", "ut11"),
    # БП 3: every set serves the pull too, and none is optional (no reserves, no debt register)
    Config("bp3", "bp3", "AccountingRegister_Хозрасчетный", "", "",
           "Catalog_Номенклатура.ВидСтавкиНДС",
           "Document_ПоступлениеНаРасчетныйСчет.РасшифровкаПлатежа.СчетНаОплату_Key", "bp3"),
]


def entities(config: Config) -> dict:
    return configuration(config.name).schema.entities


@pytest.fixture(params=CONFIGS, ids=lambda c: c.name)
def config(request: pytest.FixtureRequest) -> Config:
    return request.param


def _serve(publication: Publication | None = None, config: str = "ka1") -> RunningSandbox:
    state = SandboxState.seeded(products=12, warehouses=2, seed=3, config=config)
    return start_in_thread(state, auth=LOGIN, publication=publication)


def _doctor(tmp_path: Path, url: str, *extra: str, password: str = LOGIN[1],
            monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setenv("TUI_CRM_PASSWORD", password)
    monkeypatch.setenv("TUI_CRM_LANG", "en")
    return ["doctor", "--url", url, "--user", LOGIN[0], "--config", str(tmp_path / "none.toml"),
            "--store", str(tmp_path / "crm.duckdb"), *extra]


def _names(items: list[dict]) -> set[str]:
    return {i["name"] for i in items}


def test_complete_publication_passes(config: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    with _serve(config=config.name) as sb:
        argv = _doctor(tmp_path, sb.base_url, "--profile", config.profile, monkeypatch=monkeypatch)
        assert main(argv) == 0
        out = capsys.readouterr().out
        assert "Ready: this publication has everything the profile needs." in out
        assert main([*argv, "--json"]) == 0
        report = json.loads(capsys.readouterr().out)
    assert report["exit"] == 0
    assert report["must_publish"] == report["mismatch"] == report["unreadable"] == []
    assert report["optional_missing"] == [] and report["unchecked"] == []
    assert report["ok"] == len(profile_needs(load_profile(config.profile)))
    assert report["recognised"]["profile"] == config.recognised
    assert report["suggested_profile"] is None


def test_unpublished_objects_and_fields_are_named_exactly(
        config: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    left_out = [config.required_set, config.header_field, config.line_field]
    left_out += [name for name in (config.push_set, config.optional_set) if name]
    publication = Publication.parse([",".join(left_out)], entities(config))
    with _serve(publication, config.name) as sb:
        argv = _doctor(tmp_path, sb.base_url, "--profile", config.profile, monkeypatch=monkeypatch)
        assert main([*argv, "--json"]) == 1
        report = json.loads(capsys.readouterr().out)
        assert main(argv) == 1
        text = capsys.readouterr().out
    must = {config.required_set} | ({config.push_set} if config.push_set else set())
    assert _names(report["must_publish"]) == must
    assert _names(report["mismatch"]) == {config.header_field, config.line_field}
    assert _names(report["optional_missing"]) == ({config.optional_set} if config.optional_set else set())
    by_name = {i["name"]: i for i in report["must_publish"]}
    if config.push_set:
        assert by_name[config.push_set]["uses"] == ["push"]
    assert by_name[config.required_set]["required"] is True
    if config.optional_set:
        assert report["optional_missing"][0]["required"] is False
        assert "OPTIONAL, missing" in text
    # the text names each of them, under its heading
    assert "MUST PUBLISH" in text and "NOT IN THIS BASE" in text
    for name in must | {config.header_field, config.line_field} | ({config.optional_set} - {""}):
        assert f"  {name}  (" in text
    assert "Not ready" in text


@pytest.mark.parametrize("config", [c for c in CONFIGS if c.optional_set], ids=lambda c: c.name)
def test_unpublished_optional_register_alone_still_passes(
        config: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    with _serve(Publication.parse([config.optional_set], entities(config)), config.name) as sb:
        argv = _doctor(tmp_path, sb.base_url, "--profile", config.profile, "--json",
                       monkeypatch=monkeypatch)
        assert main(argv) == 0
        report = json.loads(capsys.readouterr().out)
    assert _names(report["optional_missing"]) == {config.optional_set}


def test_sets_the_user_cannot_read_are_listed(config: Config, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    publication = Publication.parse([], entities(config), deny_read=[config.required_set])
    with _serve(publication, config.name) as sb:
        argv = _doctor(tmp_path, sb.base_url, "--profile", config.profile, "--json",
                       monkeypatch=monkeypatch)
        assert main(argv) == 1
        report = json.loads(capsys.readouterr().out)
    assert [i["name"] for i in report["unreadable"]] == [config.required_set]
    assert "Недостаточно прав" in report["unreadable"][0]["reason"]
    assert report["must_publish"] == []


def test_wrong_password_is_exit_2_with_a_plain_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    with _serve() as sb:
        assert main(_doctor(tmp_path, sb.base_url, password="не тот", monkeypatch=monkeypatch)) == 2
    out, err = capsys.readouterr()
    assert f"1C refused the login '{LOGIN[0]}' (HTTP 401)" in out
    assert "Traceback" not in out + err


def test_unknown_publication_and_closed_port(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    with _serve() as sb:
        wrong = sb.base_url.replace("/demo/", "/nosuchbase/")
        assert main(_doctor(tmp_path, wrong, monkeypatch=monkeypatch)) == 2
        assert "Nothing is published at this address (HTTP 404)" in capsys.readouterr().out
    with socket.socket() as s:  # a port nobody listens on once this socket closes
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/demo/odata/standard.odata/"
    assert main(_doctor(tmp_path, url, monkeypatch=monkeypatch)) == 2
    assert "refused the connection" in capsys.readouterr().out


@pytest.mark.parametrize(("typed", "hint", "expected"), [
    ("http://127.0.0.1:9/demo/ru_RU/", "web client's address (…/ru_RU/)",
     "http://127.0.0.1:9/demo/odata/standard.odata/"),
    ("http://127.0.0.1:9/demo/odata/standard.odata/$metadata", "ends in $metadata",
     "http://127.0.0.1:9/demo/odata/standard.odata/"),
    ("http://127.0.0.1:9/demo", "ends in /odata/standard.odata/",
     "http://127.0.0.1:9/demo/odata/standard.odata/"),
    ("http://127.0.0.1:9/demo/odata/standard.odata/Catalog_Номенклатура", "goes on past standard.odata",
     "http://127.0.0.1:9/demo/odata/standard.odata/"),
    ("http://127.0.0.1:9/demo/hs/crm/", "HTTP service's address",
     "http://127.0.0.1:9/demo/odata/standard.odata/"),
])
def test_url_shapes_get_the_right_hint(typed: str, hint: str, expected: str, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert main(_doctor(tmp_path, typed, monkeypatch=monkeypatch)) == 2
    out = capsys.readouterr().out
    assert hint in out
    assert f"expected:   {expected}" in out


def test_plain_http_to_a_remote_host_is_a_warning_only() -> None:
    from tui_crm.sync.doctor import check_url

    check = check_url("http://accounting.example/base/odata/standard.odata/")
    assert [f.code for f in check.findings] == ["url.plain_http"] and not check.fatal
    assert not check_url("https://accounting.example/base/odata/standard.odata/").findings


def test_sandbox_refuses_an_unknown_name_to_unpublish() -> None:
    with pytest.raises(PublicationError, match="no entity set 'Document_Нет'"):
        Publication.parse(["Document_Нет"], configuration("ka1").schema.entities)
    with pytest.raises(PublicationError, match="has no field 'Нет'"):
        Publication.parse(["Catalog_Контрагенты.Нет"], configuration("ka1").schema.entities)


# -- a hostile $metadata --------------------------------------------------------------------------

LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
          + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
                     for i in range(1, 10))
          + b']><edmx:Edmx xmlns:edmx="x"><a>&lol9;</a></edmx:Edmx>')
DEEP = b"<edmx:Edmx xmlns:edmx='x'>" + b"<a>" * 100_000 + b"</a>" * 100_000 + b"</edmx:Edmx>"
EXTERNAL = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
            b'<edmx:Edmx xmlns:edmx="x">&e;</edmx:Edmx>')


@pytest.mark.parametrize(("body", "says"), [
    (LAUGHS, "declares a DTD"),
    (EXTERNAL, "declares a DTD"),
    (DEEP, "nested deeper than 64 levels"),
    (b"<html><body>login</body></html>", "not a CSDL"),
    (b"<edmx:Edmx xmlns:edmx='x'><unclosed>", "not well-formed XML"),
    (b"", "empty"),
], ids=["billion-laughs", "external-entity", "deep", "html", "broken", "empty"])
def test_parser_refuses_hostile_metadata(body: bytes, says: str) -> None:
    with pytest.raises(MetadataError, match=says):
        parse_csdl(body)


class _HostileMetadata:
    """An ASGI app answering `$metadata` with a fixed body (and anything else with 404)."""

    def __init__(self, body: bytes, repeat: int = 1) -> None:
        self.body, self.repeat = body, repeat

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/xml")]})
        for _ in range(self.repeat):
            await send({"type": "http.response.body", "body": self.body, "more_body": True})
        await send({"type": "http.response.body", "body": b""})


@pytest.fixture
def hostile_server() -> Iterator[callable]:
    import asyncio
    import threading

    import uvicorn

    servers: list[tuple[uvicorn.Server, threading.Thread]] = []

    def start(app: _HostileMetadata) -> str:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        server = uvicorn.Server(uvicorn.Config(app, log_level="critical", lifespan="off"))
        th = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True)
        th.start()
        while not server.started:
            th.join(0.01)
        servers.append((server, th))
        return f"http://127.0.0.1:{sock.getsockname()[1]}/demo/odata/standard.odata/"

    yield start
    for server, th in servers:
        server.should_exit = True
        th.join(5)


@pytest.mark.parametrize(("app", "says"), [
    (_HostileMetadata(LAUGHS), "declares a DTD or entities"),
    (_HostileMetadata(b"<x>" * 1000, repeat=24_000), "larger than 64 MB"),
    (_HostileMetadata(DEEP), "nested deeper than 64 levels"),
], ids=["billion-laughs", "huge", "deep"])
def test_hostile_metadata_over_http_is_a_clear_exit_2(app: _HostileMetadata, says: str, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch, hostile_server,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    url = hostile_server(app)
    assert main(_doctor(tmp_path, url, monkeypatch=monkeypatch)) == 2
    out, err = capsys.readouterr()
    assert says in out
    assert "Traceback" not in out + err and "unexpected error" not in err


@pytest.mark.parametrize(("app", "says"), [
    (_HostileMetadata(LAUGHS), "ответ $metadata объявляет DTD или сущности"),
    (_HostileMetadata(DEEP), "ответ $metadata вложен глубже 64 уровней"),
    (_HostileMetadata(b"<Service/>"),
     "ответ $metadata — XML, но не документ CSDL (метаданные OData): его корневой элемент <Service>"),
    (_HostileMetadata(b"<edmx:Edmx xmlns:edmx='x'><unclosed>"), "ответ $metadata — некорректный XML (строка 1: "),
    (_HostileMetadata(b"   "), "ответ $metadata пуст"),
], ids=["billion-laughs", "deep", "html", "broken", "empty"])
def test_hostile_metadata_is_said_in_russian(app: _HostileMetadata, says: str, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch, hostile_server,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    """Why $metadata could not be read, in the interface language (it read "the $metadata answer
    declares a DTD …" after the Russian lead)."""
    url = hostile_server(app)
    argv = _doctor(tmp_path, url, monkeypatch=monkeypatch)
    monkeypatch.setenv("TUI_CRM_LANG", "ru")
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert "Не удалось прочитать $metadata публикации: " + says in out, out
    assert "the $metadata answer" not in out and "Traceback" not in out + err


def test_bp3_the_chart_of_accounts_the_stock_and_debt_reads_look_up_is_a_need(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """БП 3's stock (41.01) and debt (62.01, 62.02) find their accounts' keys by code in
    ChartOfAccounts_Хозрасчетный: unpublished, every pull fails, so doctor must name it."""
    names = {n.name for n in profile_needs(load_profile("bp3"))}
    assert {"ChartOfAccounts_Хозрасчетный", "ChartOfAccounts_Хозрасчетный.Code",
            "ChartOfAccounts_Хозрасчетный.Ref_Key"} <= names
    config = next(c for c in CONFIGS if c.name == "bp3")
    with _serve(Publication.parse(["ChartOfAccounts_Хозрасчетный"], entities(config)), "bp3") as sb:
        argv = _doctor(tmp_path, sb.base_url, "--profile", "bp3", "--json", monkeypatch=monkeypatch)
        assert main(argv) == 1
        report = json.loads(capsys.readouterr().out)
    assert "ChartOfAccounts_Хозрасчетный" in _names(report["must_publish"])
