"""Error lines an operator reads (issue 9): a refused TLS certificate is a TLS problem with a hint,
not "could not connect"; a request is named by its entity set and a short decoded path, not a
300-character percent-encoded URL."""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import ssl
import subprocess
import threading
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.sync.loopback import Answer
from tui_crm.sync.odata import ODataClient, TLSProblem, Unreachable, in_guids, short_url

PRODUCTS = "Catalog_Номенклатура"


def _self_signed(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command for a certificate")
async def test_a_self_signed_certificate_is_a_tls_problem_with_a_hint(tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0, ssl=ctx)   # a real TLS listener on loopback
    port = server.sockets[0].getsockname()[1]
    try:
        async with ODataClient(f"https://127.0.0.1:{port}/base/odata/standard.odata/", retries=2,
                               backoff=0.0, timeout=10) as client:
            with pytest.raises(TLSProblem) as caught:
                await client.get_page(PRODUCTS)
            assert client.stats.requests == 1                       # not retried: it cannot help
        text = str(caught.value)
        assert "TLS certificate was not accepted" in text and "self-signed certificate" in text
        assert "SSL_CERT_FILE" in text and "accounting.verify_tls" in text
        assert "could not connect" not in text
        assert text.endswith(f"(GET {PRODUCTS}).")
    finally:
        server.close()
        await server.wait_closed()


async def test_an_error_line_names_the_entity_and_a_short_path_not_the_encoded_url() -> None:
    with socket.socket() as s:            # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    refs = [str(uuid.UUID(int=n + 1)) for n in range(100)]
    async with ODataClient(f"http://127.0.0.1:{port}/base/odata/standard.odata/", retries=0) as client:
        with pytest.raises(Unreachable) as caught:
            await client.get_page(PRODUCTS, filter=in_guids("Ref_Key", refs))
    text = str(caught.value)
    assert "could not connect" in text
    assert f"(GET {PRODUCTS})." in text and "%" not in text and "$filter" not in text
    assert len(text) < 160
    assert caught.value.url is not None and "$filter=" in caught.value.url   # the full URL is kept


def test_short_url() -> None:
    base = "http://srv/base/odata/standard.odata/"
    assert short_url(base + "Catalog_%D0%A1%D0%BA%D0%BB%D0%B0%D0%B4%D1%8B?$format=json") == "Catalog_Склады"
    key = f"Document_X(guid'{uuid.UUID(int=7)}')/Post"
    assert short_url(base + key + "?PostingModeOperational=false") == key
    long = short_url(base + "AccumulationRegister_" + "Я" * 300 + "/Balance(Condition='x')")
    assert len(long) == 80 and long.endswith("…") and long.startswith("AccumulationRegister_ЯЯ")
    assert short_url(base + "A%0Db") == "A?b"            # no control characters in an error line
    assert short_url(None) == ""


async def test_https_to_a_plain_http_port_says_so_not_the_certificate() -> None:
    """An integrator types https:// for a publication served over plain http (or the http port):
    OpenSSL says "wrong version number". That is no certificate problem, and the certificate
    hint (SSL_CERT_FILE, verify_tls = false) would send them the wrong way."""
    from onec_sandbox.server import start_in_thread
    from onec_sandbox.state import SandboxState

    running = start_in_thread(SandboxState.seeded(products=2, warehouses=1, seed=1), base="demo")
    try:
        url = running.base_url.replace("http://", "https://", 1)
        port = httpx.URL(url).port
        async with ODataClient(url, retries=2, backoff=0.0, timeout=10) as client:
            with pytest.raises(TLSProblem) as caught:
                await client.get_page(PRODUCTS)
            assert client.stats.requests == 1                       # not retried: it cannot help
    finally:
        running.stop()
    text = str(caught.value)
    assert f"127.0.0.1:{port} does not answer https on this port" in text
    assert "plain http" in text and "http://" in text
    assert "certificate" not in text and "SSL_CERT_FILE" not in text and "verify_tls" not in text
    assert text.endswith(f"(GET {PRODUCTS}).")


# -- a server name that does not resolve: sync says what doctor says ----------------------------------

NOWHERE = "http://no-such-host.invalid/base/odata/standard.odata/"   # .invalid never resolves (RFC 6761)


def _cli(tmp: Path, lang: str, *args: str) -> subprocess.CompletedProcess[str]:
    import os
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("TUI_CRM_")}
    env.update({"TUI_CRM_CONFIG": str(tmp / "none.toml"), "TUI_CRM_LANG": lang, "PYTHONIOENCODING": "utf-8",
                "XDG_DATA_HOME": str(tmp / "data")})
    return subprocess.run([sys.executable, "-m", "tui_crm.cli", *args], capture_output=True, text=True,
                          timeout=120, env=env)


async def test_a_name_that_does_not_resolve_is_named_dns_not_could_not_connect() -> None:
    async with ODataClient(NOWHERE, retries=0) as client:
        with pytest.raises(Unreachable) as caught:
            await client.get_page(PRODUCTS)
    assert caught.value.reason == "dns"
    assert "no-such-host.invalid is not known (DNS)" in str(caught.value)
    assert "could not connect" not in str(caught.value)


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_sync_names_a_dns_failure_as_doctor_does(tmp_path: Path, lang: str) -> None:
    doctor = _cli(tmp_path, lang, "doctor", "--url", NOWHERE)
    line = next(x for x in doctor.stdout.splitlines() if "(DNS)" in x)
    assert "no-such-host.invalid" in line
    synced = _cli(tmp_path, lang, "sync", "--once", "--quiet", "--url", NOWHERE, "--store",
                  str(tmp_path / "crm.duckdb"))
    assert synced.returncode == 1 and "Traceback" not in synced.stderr, synced.stderr
    assert line in synced.stderr, (line, synced.stderr)
    assert "could not connect" not in synced.stderr


# -- the sync's error lines in the interface language (Russian too) ----------------------------------

BASE = "http://127.0.0.1:9/base/odata/standard.odata/"
_ENGLISH = ("Accounting", "unreachable", "could not", "server", "answer", "Gave up", "attempts", "refused",
            "check", "HTTP page", "not OData", "certificate", "1C says", "1C code")


def _said_in(lang: str, exc: BaseException) -> str:
    from tui_crm.i18n import set_language
    from tui_crm.sync.runs import describe

    set_language(lang)
    try:
        return describe(exc)
    finally:
        set_language("en")


def _no_english(text: str) -> None:
    assert not [w for w in _ENGLISH if w in text], text


def _transport(exc: httpx.TransportError, url: str = BASE + PRODUCTS) -> Unreachable:
    return ODataClient._transport_error(exc, "GET", url)


@pytest.mark.parametrize(("exc", "en", "ru"), [
    (httpx.ConnectError("[Errno 111] Connection refused"), "could not connect to the server",
     "не удалось подключиться к серверу"),
    (httpx.ConnectTimeout("timed out"), "could not connect to the server", "не удалось подключиться к серверу"),
    (httpx.PoolTimeout("pool"), "no free connection to the server", "нет свободного соединения с сервером"),
    (httpx.ReadTimeout("timed out"), "the server did not answer in time", "сервер не ответил вовремя"),
    (httpx.RemoteProtocolError("Server disconnected"), "the connection was dropped before the answer arrived",
     "соединение оборвалось до ответа"),
    (httpx.UnsupportedProtocol("odd"), "network error (UnsupportedProtocol)", "ошибка сети (UnsupportedProtocol)"),
])
def test_unreachable_is_worded_in_the_interface_language(exc: httpx.TransportError, en: str, ru: str) -> None:
    error = _transport(exc)
    english = _said_in("en", error)
    assert english == f"Accounting (1C) at 127.0.0.1 is unreachable: {en} (GET {PRODUCTS})."
    assert str(error) == english                         # the log line stays English
    russian = _said_in("ru", error)
    assert russian == f"Учёт (1С) на 127.0.0.1 недоступен: {ru} (GET {PRODUCTS}).", russian
    _no_english(russian)


async def test_gave_up_after_n_attempts_in_russian() -> None:
    with socket.socket() as s:            # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    async with ODataClient(f"http://127.0.0.1:{port}/base/odata/standard.odata/", retries=2,
                           backoff=0.0) as client:
        with pytest.raises(Unreachable) as caught:
            await client.get_page(PRODUCTS)
    assert str(caught.value).endswith(f"(GET {PRODUCTS}). Gave up after 3 attempts.")
    russian = _said_in("ru", caught.value)
    assert russian.endswith(f"(GET {PRODUCTS}). Прекращено после 3 попыток."), russian
    _no_english(russian)


def _answer(status: int, body: str, ctype: str = "application/json") -> BaseException:
    request = httpx.Request("GET", BASE + PRODUCTS)
    response = httpx.Response(status, content=body.encode(), headers={"content-type": ctype}, request=request)
    return ODataClient._error_from_response(response, "GET", BASE + PRODUCTS)


ONEC = '{"odata.error": {"code": "%s", "message": {"lang": "ru", "value": "%s"}}}'


@pytest.mark.parametrize(("status", "body", "ctype", "en", "ru"), [
    (401, "", "text/plain",
     "Accounting (1C) refused access: check the user name, password and the user's rights. (HTTP 401, GET {u})",
     "Учёт (1С) отказал в доступе: проверьте имя пользователя, пароль и права пользователя. (HTTP 401, GET {u})"),
    (403, ONEC % ("20", "Недостаточно прав"), "application/json",
     "Accounting (1C) refused access: check the user name, password and the user's rights. "
     "1C says: «Недостаточно прав» (1C code 20, HTTP 403, GET {u})",
     "Учёт (1С) отказал в доступе: проверьте имя пользователя, пароль и права пользователя. "
     "1С сообщает: «Недостаточно прав» (код 1С 20, HTTP 403, GET {u})"),
    (404, "", "text/plain", "Accounting (1C) has no such object or entity set. (HTTP 404, GET {u})",
     "В учёте (1С) нет такого объекта или набора сущностей. (HTTP 404, GET {u})"),
    (503, "", "text/plain", "Accounting (1C) is unreachable. (HTTP 503, GET {u})",
     "Учёт (1С) недоступен. (HTTP 503, GET {u})"),
    (500, ONEC % ("-1", "Ошибка при вызове метода"), "application/json",
     "Accounting (1C) refused the operation. 1C says: «Ошибка при вызове метода» (1C code -1, HTTP 500, GET {u})",
     "Учёт (1С) отказался выполнить операцию. 1С сообщает: «Ошибка при вызове метода» (код 1С -1, HTTP 500, GET {u})"),
    (500, "<html><body>Internal error</body></html>", "text/html",
     "Accounting answered with an HTML page or other non-OData content, not OData — check the publication / "
     "web server. (HTTP 500, GET {u})",
     "Учёт ответил HTML-страницей или другим содержимым, не OData, — проверьте публикацию и веб-сервер. "
     "(HTTP 500, GET {u})"),
])
def test_http_errors_are_worded_in_the_interface_language(status: int, body: str, ctype: str, en: str,
                                                          ru: str) -> None:
    error = _answer(status, body, ctype)
    assert str(error) == en.format(u=PRODUCTS)
    russian = _said_in("ru", error)
    assert russian == ru.format(u=PRODUCTS), russian
    _no_english(russian)


def test_answers_that_are_not_odata_are_worded_in_russian() -> None:
    request = httpx.Request("GET", BASE + PRODUCTS)
    page = httpx.Response(200, content=b"<p>login</p>", headers={"content-type": "text/plain"}, request=request)
    with pytest.raises(Exception) as caught:
        ODataClient._json(page, "GET", BASE + PRODUCTS)
    assert str(caught.value) == ("Accounting answered with text/plain, not OData JSON — check the publication / "
                                 f"web server (HTTP 200, GET {PRODUCTS}).")
    russian = _said_in("ru", caught.value)
    assert russian == ("Учёт ответил содержимым text/plain, а не JSON OData, — проверьте публикацию и "
                       f"веб-сервер (HTTP 200, GET {PRODUCTS})."), russian
    broken = httpx.Response(200, content=b'{"value": [', headers={"content-type": "application/json"},
                            request=request)
    with pytest.raises(Exception) as caught:
        ODataClient._json(broken, "GET", BASE + PRODUCTS)
    russian = _said_in("ru", caught.value)
    assert russian == ("Учёт прислал испорченный ответ JSON — проверьте публикацию и веб-сервер "
                       f"(HTTP 200, GET {PRODUCTS})."), russian


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command for a certificate")
async def test_tls_hints_in_russian(tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0, ssl=ctx)
    port = server.sockets[0].getsockname()[1]
    try:
        async with ODataClient(f"https://127.0.0.1:{port}/base/odata/standard.odata/", retries=0,
                               timeout=10) as client:
            with pytest.raises(TLSProblem) as caught:
                await client.get_page(PRODUCTS)
    finally:
        server.close()
        await server.wait_closed()
    russian = _said_in("ru", caught.value)
    assert russian.startswith("Учёт (1С) на 127.0.0.1: TLS-сертификат сервера не принят (")
    assert "SSL_CERT_FILE" in russian and "accounting.verify_tls = false" in russian
    assert russian.endswith(f"(GET {PRODUCTS})."), russian

    from onec_sandbox.server import start_in_thread
    from onec_sandbox.state import SandboxState

    running = start_in_thread(SandboxState.seeded(products=2, warehouses=1, seed=1), base="demo")
    try:   # https:// to the sandbox's plain http port
        url = running.base_url.replace("http://", "https://", 1)
        port = httpx.URL(url).port
        async with ODataClient(url, retries=0, timeout=10) as client:
            with pytest.raises(TLSProblem) as caught:
                await client.get_page(PRODUCTS)
    finally:
        running.stop()
    assert str(caught.value).startswith(f"Accounting (1C) at 127.0.0.1:{port} does not answer https on this port (")
    russian = _said_in("ru", caught.value)
    assert russian.startswith(f"Учёт (1С) на 127.0.0.1:{port} не отвечает по https на этом порту ("), russian
    assert "http://" in russian and russian.endswith(f"(GET {PRODUCTS})."), russian
    assert "certificate" not in russian


def test_sync_once_against_an_unreachable_url_says_it_all_in_russian(tmp_path: Path) -> None:
    import os
    import sys

    config = tmp_path / "crm.toml"
    config.write_text('[accounting]\nurl = "http://127.0.0.1:9/base/odata/standard.odata/"\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUI_CRM_")}
    env.update({"TUI_CRM_LANG": "ru", "PYTHONIOENCODING": "utf-8", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
                "XDG_DATA_HOME": str(tmp_path / "data")})
    done = subprocess.run([sys.executable, "-m", "tui_crm", "sync", "--once", "--config", str(config),
                           "--store", str(tmp_path / "crm.duckdb")], capture_output=True, text=True,
                          timeout=120, env=env)
    out = done.stdout + done.stderr
    assert done.returncode == 1 and "Traceback" not in out, out
    assert "загрузка не удалась: Учёт (1С) на 127.0.0.1 недоступен: не удалось подключиться к серверу" in out, out
    _no_english(out)


# -- the client's other refusals (size, paging, malformed answers, $metadata, $count) --------------

GUIDS = [str(uuid.UUID(int=n + 1)) for n in range(4)]
KEY = "Номенклатура_Key"
_MORE_ENGLISH = ("refusing", "ignored", "sent more than", "too big", "memory", "malformed", "larger than",
                 "did not arrive", "other than a number", "row list", "full page", "usable", "stopped",
                 "repeats", "the read", "Stock per warehouse", "Switch on")


def _no_english_at_all(text: str) -> None:
    assert not [w for w in _ENGLISH + _MORE_ENGLISH if w in text], text


def _rows(keys: list[str]) -> Answer:
    return Answer(200, json.dumps({"odata.metadata": "x", "value": [{KEY: k, "Code": k} for k in keys]},
                                  ensure_ascii=False).encode())


def _key_path(after: str | None) -> str:
    return f"AccumulationRegister_Запасы/Balance(Condition='{after or ''}')"


KEYED = short_url(_key_path(None))   # how an error line names the register read


async def _refusal(case: str) -> BaseException:
    """Run one of the client's refusals against a real loopback server; the error it raised."""
    from tests.sync.loopback import loopback

    page_size, max_pages = 2, 50
    gate = threading.Event()

    def serve(seen: Any) -> Answer:
        skip = int(seen.query.get("$skip") or 0)
        if case == "too_large":
            return Answer(200, b'{"value": [' + b'"x",' * 60_000 + b'"x"]}')
        if case in ("top", "key_top"):
            return _rows(GUIDS[:3])
        if case == "skip":
            return _rows(GUIDS[:2])
        if case == "cap":
            return _rows([str(uuid.UUID(int=skip + 1)), str(uuid.UUID(int=skip + 2))])
        if case == "one_key":
            return _rows(GUIDS[:2]) if GUIDS[0] not in seen.path else _rows([GUIDS[2], GUIDS[2]])
        if case == "no_key":
            return _rows(["not-a-guid", GUIDS[1]])
        if case == "key_cap":
            n = 1 if GUIDS[0] in seen.path else 0
            return _rows(GUIDS[n:n + 2])
        if case == "malformed":
            return Answer(200, b'{"value": [], "value": []}')
        if case == "metadata_large":
            return Answer(200, b"<x>" + b" " * (2 * 2**20) + b"</x>", "application/xml")
        if case == "metadata_late":
            gate.wait(20)
            return Answer(200, b"<x/>", "application/xml")
        if case == "count":
            return Answer(200, b"many", "text/plain;charset=utf-8")
        if case == "no_rows":
            return Answer(200, b'{"odata.metadata": "x"}')
        raise AssertionError(case)

    with loopback(serve) as lb:
        async with ODataClient(lb.url, retries=0, page_size=page_size, max_pages=max_pages if case not in (
                "cap", "key_cap") else 2, max_page_bytes=100_000, keyset=False) as client:
            try:
                if case in ("top", "skip", "cap"):
                    await client.get_all(PRODUCTS, orderby="Code")
                elif case in ("key_top", "one_key", "no_key", "key_cap"):
                    async for _ in client.iter_key_pages(
                            lambda after: _key_path(after), KEY):
                        pass
                elif case.startswith("metadata"):
                    await client.get_metadata(max_bytes=2**20, total_seconds=0.3)
                elif case == "count":
                    await client.count(PRODUCTS)
                else:
                    await client.get_page(PRODUCTS)
            except Exception as exc:  # noqa: BLE001 - the refusal under test
                return exc
            finally:
                gate.set()
    raise AssertionError(f"{case}: no error")


@pytest.mark.parametrize(("case", "en", "ru"), [
    # a size as a person writes it: KB under 1 MB, at most one decimal, the Russian with a comma
    # (it read "0.0953674 MB" / "0.0953674 МБ" for a 100 000-byte limit)
    ("too_large", "sent more than 97.7 KB in one answer",
     "Учёт (1С) прислал больше 97,7 КБ в одном ответе; чтение остановлено"),
    ("top", f"Accounting ignored paging ($top=2) for {PRODUCTS}: got 3 rows; refusing to continue.",
     f"Учёт не соблюдает постраничное чтение ($top=2) для {PRODUCTS}: строк в ответе: 3; чтение остановлено."),
    ("skip", f"Accounting ignored paging ($skip=2) for {PRODUCTS}: page 2 repeats the previous page",
     f"Учёт не соблюдает постраничное чтение ($skip=2) для {PRODUCTS}: страница 2 повторяет предыдущую"),
    ("cap", f"Accounting sent more than 2 pages of 2 rows for {PRODUCTS}; refusing to continue",
     f"Учёт прислал больше 2 страниц для {PRODUCTS} (по 2 на странице); чтение остановлено"),
    ("key_top", f"Accounting ignored paging of {KEYED} ($top=2 by {KEY}); refusing to continue.",
     f"Учёт не соблюдает постраничное чтение {KEYED} ($top=2 по {KEY}); чтение остановлено."),
    ("one_key", f"Accounting sent a full page of one {KEY} for {KEYED}; raise accounting.page_size.",
     f"Учёт прислал полную страницу с одним значением {KEY} для {KEYED}; увеличьте "
     "accounting.page_size."),
    ("no_key", f"Accounting sent a row without a usable {KEY} for {KEYED}; refusing to continue.",
     f"Учёт прислал строку без годного {KEY} для {KEYED}; чтение остановлено."),
    ("key_cap", f"Accounting sent more than 2 pages of 2 rows for {KEYED}; refusing to continue",
     f"Учёт прислал больше 2 страниц для {KEYED} (по 2 на странице); чтение остановлено"),
    ("malformed", "the key 'value' appears twice in one object",
     "ключ 'value' встречается в одном объекте дважды"),
    ("metadata_large", "Accounting's $metadata is larger than 1 MB; the read was stopped",
     "Ответ $metadata от учёта больше 1 МБ; чтение остановлено"),
    ("metadata_late", "Accounting's $metadata did not arrive within 0 s; the read was stopped",
     "Ответ $metadata от учёта не пришёл за 0 с; чтение остановлено"),
    ("count", f"Accounting answered a count request with something other than a number — check the "
              f"publication / web server ({PRODUCTS}).",
     f"Учёт ответил на запрос количества не числом — проверьте публикацию и веб-сервер ({PRODUCTS})."),
    ("no_rows", "Accounting answered without a row list ('value') where a collection was expected",
     "Учёт ответил без списка строк ('value') там, где ожидался набор"),
])
async def test_the_clients_refusals_are_worded_in_the_interface_language(case: str, en: str, ru: str) -> None:
    error = await _refusal(case)
    assert en in str(error), str(error)                      # the log line stays English
    assert _said_in("en", error) == str(error)
    russian = _said_in("ru", error)
    assert ru in russian, russian
    _no_english_at_all(russian)


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_doctor_says_a_tls_problem_in_the_interface_language(tmp_path: Path, lang: str) -> None:
    """doctor's TLS finding carried the client's English sentence (str(exc)) in Russian too."""
    from onec_sandbox.server import start_in_thread
    from onec_sandbox.state import SandboxState

    running = start_in_thread(SandboxState.seeded(products=2, warehouses=1, seed=1), base="demo")
    try:   # https:// to the sandbox's plain http port: a TLSProblem without needing a certificate
        url = running.base_url.replace("http://", "https://", 1)
        port = httpx.URL(url).port
        done = _cli(tmp_path, lang, "doctor", "--url", url, "--store", str(tmp_path / "crm.duckdb"))
    finally:
        running.stop()
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    if lang == "en":
        assert f"Accounting (1C) at 127.0.0.1:{port} does not answer https on this port (" in done.stdout
    else:
        line = next(x for x in done.stdout.splitlines() if f"127.0.0.1:{port} " in x)
        assert f"Учёт (1С) на 127.0.0.1:{port} не отвечает по https на этом порту (" in line, done.stdout
        _no_english_at_all(line.split("(", 2)[0] + line.rsplit(")", 2)[-1])
        assert "does not answer" not in done.stdout and "plain http" not in done.stdout, done.stdout


# -- a name that does not resolve is not asked again within one run -------------------------------------

async def test_a_dns_failure_is_not_retried_within_a_run() -> None:
    """A name that does not resolve will not resolve a second later: one attempt, not 1 + retries;
    still said as DNS (the next scheduled run tries again)."""
    async with ODataClient(NOWHERE, retries=2, backoff=0.0) as client:
        with pytest.raises(Unreachable) as caught:
            await client.get_page(PRODUCTS)
        assert (client.stats.requests, client.stats.retries) == (1, 0)
    assert caught.value.reason == "dns" and "no-such-host.invalid is not known (DNS)" in str(caught.value)
    assert "Gave up" not in str(caught.value)
    for lang, says in (("en", "no-such-host.invalid is not known (DNS)"), ("ru", "не находится (DNS)")):
        assert says in _said_in(lang, caught.value)


def test_sync_once_asks_a_name_that_does_not_resolve_once(tmp_path: Path) -> None:
    from tests.clock import TestClock
    from tui_crm.store import Store

    store = tmp_path / "crm.duckdb"
    synced = _cli(tmp_path, "en", "sync", "--once", "--quiet", "--no-push", "--url", NOWHERE, "--store", str(store))
    assert synced.returncode == 1 and "(DNS)" in synced.stderr, synced.stderr
    opened = Store.open(store, clock=TestClock())
    try:
        runs = [r for r in opened.recent_runs() if not r.ok]
    finally:
        opened.close()
    assert runs and all(r.requests == 1 for r in runs), [(r.job, r.requests, r.error) for r in runs]



# -- the Russian leak check over the new sentences: a whole `sync --once` each ------------------------

def _sync_once_ru(tmp: Path, config_text: str, **env: str) -> str:
    import os
    import sys

    config = tmp / "crm.toml"
    config.write_text(config_text, encoding="utf-8")
    base = {k: v for k, v in os.environ.items() if not k.startswith("TUI_CRM_")}
    base.update({"TUI_CRM_LANG": "ru", "PYTHONIOENCODING": "utf-8", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
                 "XDG_DATA_HOME": str(tmp / "data"), **env})
    done = subprocess.run([sys.executable, "-m", "tui_crm", "sync", "--once", "--config", str(config),
                           "--store", str(tmp / "crm.duckdb")], capture_output=True, text=True, timeout=120, env=base)
    out = done.stdout + done.stderr
    assert done.returncode in (1, 2) and "Traceback" not in out, out
    return out


def _same_rows(seen: Any) -> Answer:
    """Every answer the same ten rows: paging that never moves on."""
    return _rows([str(uuid.UUID(int=n + 1)) for n in range(10)])


@pytest.mark.parametrize(("case", "says"), [
    ("malformed", "ключ 'value' встречается в одном объекте дважды"),
    ("paging", "чтение остановлено"),
    ("too_large", "МБ в одном ответе"),
    ("dns", "не находится (DNS)"),
    ("profile", "нет таблицы [profile]"),
    ("ca_bundle", "не удалось загрузить набор корневых сертификатов"),
])
def test_sync_once_says_the_new_refusals_all_in_russian(tmp_path: Path, case: str, says: str) -> None:
    from tests.sync.loopback import loopback

    serve = {"malformed": lambda seen: Answer(200, b'{"value": [], "value": []}'),
             "paging": _same_rows,
             "too_large": lambda seen: Answer(200, b'{"value": [' + b'"x",' * 300_000 + b'"x"]}')}.get(
        case, _same_rows)
    with loopback(serve) as lb:
        url = {"dns": NOWHERE, "ca_bundle": lb.url.replace("http://", "https://")}.get(case, lb.url)
        config = f'[accounting]\nurl = "{url}"\npage_size = 10\nmax_page_mb = 1.0\n'
        env: dict[str, str] = {}
        if case == "profile":
            broken = tmp_path / "my.toml"
            broken.write_text('[counterparty]\nentity = "Catalog_Контрагенты"\n', encoding="utf-8")
            config += f'profile = "{broken}"\n'
        if case == "ca_bundle":
            env["SSL_CERT_FILE"] = str(tmp_path / "company-ca.pem")
        out = _sync_once_ru(tmp_path, config, **env)
    assert says in out, out
    # the log's own lines (logging's "WARNING name: …") stay English, as the log files do
    _no_english_at_all("\n".join(line for line in out.splitlines() if not line.startswith("WARNING tui_crm.")))


def test_a_run_stopped_before_it_finished_is_said_in_the_language() -> None:
    """The sync log's line for a job cut off at the cycle's deadline (or the CRM closing)."""
    assert _said_in("en", asyncio.CancelledError()) == "Stopped before it finished."
    russian = _said_in("ru", asyncio.CancelledError())
    assert russian == "Остановлено, не закончив.", russian


async def test_a_pull_past_its_deadline_is_said_in_russian() -> None:
    """The cycle's deadline (a wedged accounting): the sync log and tui-crm sync read English."""
    from datetime import timedelta

    from onec_sandbox.state import SandboxState
    from tests.sync.test_hostile_sync import _service
    from tui_crm.i18n import set_language

    service, wedged = _service(SandboxState.seeded(products=10, warehouses=1, seed=4))
    set_language("ru")
    try:
        service.cycle_deadline = timedelta(seconds=1)
        wedged.mode = "hang"
        assert await asyncio.wait_for(service.pull_now(full=True), 20) is None
        assert service.last_error == ("Загрузка из учёта шла дольше 1 с и была остановлена; прежние данные "
                                      "сохранены, следующая загрузка начнётся заново."), service.last_error
        runs = {r.job: r.error for r in service.store.recent_runs()}
        assert runs.get("mirror") in (None, "Остановлено, не закончив."), runs
    finally:
        set_language("en")
        await service.aclose()
        service.store.close()


# -- why a row from accounting was skipped: each reason in the interface language ----------------------

_ROW_KEY = "0a1b2c3d-0000-0000-0000-000000000001"


def _bad_rows() -> list[tuple[Any, str, str]]:
    """(a reader refusing a row, the field it names, the reason in Russian)."""
    from tui_crm.sync import parse

    def row(**fields: Any) -> dict[str, Any]:
        return {"Ref_Key": _ROW_KEY, **fields}

    e = PRODUCTS
    return [
        (lambda: parse.ref(row(Склад_Key=""), "Склад_Key", e, required=True), "Склад_Key", "Склад_Key пусто"),
        (lambda: parse.ref(row(Склад_Key="x"), "Склад_Key", e), "Склад_Key", "Склад_Key — не ссылка: 'x'"),
        (lambda: parse.text(row(Артикул=1.5), "Артикул", e), "Артикул", "Артикул — не текст: 1.5"),
        (lambda: parse.text(row(Артикул="abc"), "Артикул", e, max_len=2), "Артикул",
         "Артикул длиннее 2 символов"),
        (lambda: parse.text(row(Артикул="a\x1b"), "Артикул", e), "Артикул", "Артикул содержит управляющие символы"),
        (lambda: parse.flag(row(Услуга="yes"), "Услуга", e), "Услуга", "Услуга — не истина/ложь: 'yes'"),
        (lambda: parse.number(row(Цена="abc"), "Цена", e, 2), "Цена", "Цена — не число: 'abc'"),
        (lambda: parse.number(row(Цена=10**20), "Цена", e, 2), "Цена",
         "Цена вне допустимого диапазона: 100000000000000000000"),
        (lambda: parse.date(row(Date="вчера"), "Date", e), "Date", "Date — не дата: 'вчера'"),
    ]


@pytest.mark.parametrize("case", range(9))
def test_a_skipped_rows_reason_is_worded_in_russian(case: int) -> None:
    from tui_crm.i18n import set_language
    from tui_crm.sync.parse import BadData
    from tui_crm.sync.reach import error_words

    read, field, ru = _bad_rows()[case]
    with pytest.raises(BadData) as caught:
        read()
    assert field in caught.value.reason                     # str() and the log stay English
    set_language("ru")
    try:
        said = error_words(caught.value)
    finally:
        set_language("en")
    assert said == f"Учёт прислал испорченную строку {PRODUCTS} (Ref_Key {_ROW_KEY}): {ru}", said


def test_an_object_gone_from_accounting_is_said_in_russian() -> None:
    """The push's "not found" (an object deleted in 1C between two requests) reached the outbox's
    error and `tui-crm sync` in English; the entity and key stay as 1C names them."""
    from tui_crm.sync.push import gone

    exc = gone("Document_ЗаказПокупателя", _ROW_KEY)
    assert str(exc) == f"Document_ЗаказПокупателя {_ROW_KEY} not found"
    assert exc.code == "9" and exc.status == 404
    russian = _said_in("ru", exc)
    assert russian == f"Document_ЗаказПокупателя {_ROW_KEY}: такого объекта в учёте (1С) нет.", russian


@pytest.mark.parametrize(("nbytes", "en", "ru"), [
    (100, "100 bytes", "100 байт"),
    (1536, "1.5 KB", "1,5 КБ"),
    (100_000, "97.7 KB", "97,7 КБ"),
    (2**20, "1 MB", "1 МБ"),
    (int(1.25 * 2**20), "1.3 MB", "1,3 МБ"),    # halves away from zero, as 1C rounds
    (64 * 2**20, "64 MB", "64 МБ"),
])
def test_a_size_is_worded_in_each_language(nbytes: int, en: str, ru: str) -> None:
    from tui_crm.i18n import set_language, tr
    from tui_crm.sync.odata import word
    from tui_crm.sync.odata.errors import size_words

    assert word([size_words(nbytes)]) == en
    set_language("ru")
    try:
        assert word([size_words(nbytes)], lambda key: str(tr(key))) == ru
    finally:
        set_language("en")


def test_a_deadline_is_said_with_a_decimal_comma_in_russian() -> None:
    """The cycle's deadline in its sentence: "дольше 1.5 с" was a decimal point in Russian."""
    from tui_crm.i18n import set_language
    from tui_crm.sync.service import _took

    assert (_took(1.5), _took(90)) == ("1.5 s", "1.5 min")
    set_language("ru")
    try:
        assert (_took(1.5), _took(90), _took(600)) == ("1,5 с", "1,5 мин", "10 мин")
    finally:
        set_language("en")
