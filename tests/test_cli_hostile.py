"""`tui-crm status` / `sync` against hostile stores and hostile answers (issue 9, item 6): a plain
one-line message and a documented exit code, never a traceback, and never a new empty database
where the operator mistyped a path. Every case runs the real CLI in a subprocess."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

import pytest

from onec_sandbox.server import start_in_thread
from onec_sandbox.state import SandboxState
from tests.clock import TestClock
from tui_crm.store import Store

CP = "Catalog_Контрагенты"
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def tui_crm(*args: str, config: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUI_CRM_")}
    env.update({"TUI_CRM_CONFIG": str(config), "PYTHONIOENCODING": "utf-8", "TUI_CRM_LANG": "en"})
    return subprocess.run([sys.executable, "-m", "tui_crm.cli", *args], capture_output=True, text=True,
                          timeout=timeout, env=env)


def assert_plain(done: subprocess.CompletedProcess[str], code: int, *phrases: str) -> None:
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == code, (done.returncode, done.stderr, done.stdout)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    for phrase in phrases:
        assert phrase in lines[0], lines[0]


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return tmp_path / "none.toml"  # missing: defaults, no accounting URL


def test_status_store_is_a_folder(tmp_path: Path, config: Path) -> None:
    folder = tmp_path / "crm.duckdb"
    folder.mkdir()
    assert_plain(tui_crm("status", "x", "--store", str(folder), config=config), 2, "is a folder")


def test_status_store_is_dev_null(config: Path) -> None:
    assert_plain(tui_crm("status", "x", "--store", os.devnull, config=config), 2, "not a CRM data file")


def test_status_store_is_random_bytes(tmp_path: Path, config: Path) -> None:
    path = tmp_path / "crm.duckdb"
    path.write_bytes(os.urandom(64 * 1024))
    before = path.read_bytes()
    assert_plain(tui_crm("status", "x", "--store", str(path), config=config), 2, "not a CRM data file")
    assert path.read_bytes() == before  # left untouched


def test_sync_store_is_random_bytes(tmp_path: Path, config: Path) -> None:
    path = tmp_path / "crm.duckdb"
    path.write_bytes(os.urandom(64 * 1024))
    done = tui_crm("sync", "--once", "--url", "http://127.0.0.1:9/x/", "--store", str(path), config=config)
    assert_plain(done, 2, "not a CRM data file")


def test_status_store_read_only_file(tmp_path: Path, config: Path) -> None:
    path = tmp_path / "crm.duckdb"
    Store.open(path).close()
    path.chmod(stat.S_IRUSR)
    tmp_path.chmod(stat.S_IRUSR | stat.S_IXUSR)  # no WAL file can be made next to it either
    try:
        done = tui_crm("status", "x", "--store", str(path), config=config)
    finally:
        tmp_path.chmod(stat.S_IRWXU)
        path.chmod(stat.S_IRUSR | stat.S_IWUSR)
    assert "Traceback" not in done.stderr
    if IS_ROOT:  # root writes through permissions: the lookup just works
        assert done.returncode in (0, 3), done.stderr
    else:
        assert_plain(done, 2, str(path))


def test_status_mistyped_store_is_refused_and_not_created(tmp_path: Path, config: Path) -> None:
    path = tmp_path / "crm.duckdbb"
    assert_plain(tui_crm("status", "x", "--store", str(path), config=config), 2, "does not exist", str(path))
    assert not path.exists()
    assert list(tmp_path.iterdir()) == []


def test_status_store_under_missing_folder_is_refused_and_nothing_created(tmp_path: Path, config: Path) -> None:
    path = tmp_path / "no" / "such" / "crm.duckdb"
    assert_plain(tui_crm("status", "x", "--store", str(path), config=config), 2, "does not exist")
    assert not (tmp_path / "no").exists()


def test_status_store_under_read_only_folder(tmp_path: Path, config: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir(mode=0o555)
    try:
        done = tui_crm("status", "x", "--store", str(folder / "missing" / "crm.duckdb"), config=config)
    finally:
        folder.chmod(0o755)
    assert_plain(done, 2, "does not exist")


def test_sync_store_folder_cannot_be_created(tmp_path: Path, config: Path) -> None:
    """sync creates a new store (first use), but a folder that cannot be made is a message."""
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    done = tui_crm("sync", "--once", "--url", "http://127.0.0.1:9/x/", "--store",
                   str(blocker / "sub" / "crm.duckdb"), config=config)
    assert_plain(done, 2, "Cannot create the folder")


def test_status_query_with_undecodable_bytes_and_escapes(tmp_path: Path, config: Path) -> None:
    path = tmp_path / "crm.duckdb"
    Store.open(path).close()
    done = tui_crm("status", "a\x1b[31m\tb\udcff", "--store", str(path), config=config)
    assert "Traceback" not in done.stderr and done.returncode == 3, done.stderr


# -- the accounting fallback while another process holds the store --------------------------------

@pytest.fixture
def sandbox() -> Iterator[object]:
    state = SandboxState.seeded(products=5, warehouses=1, seed=3)
    running = start_in_thread(state, base="demo")
    yield running
    running.stop()


def test_status_tab_in_query_while_store_is_held(sandbox, tmp_path: Path, config: Path) -> None:
    first = next(iter(sandbox.state.objects[CP].values()))
    twin = {**first, "Ref_Key": str(uuid.uuid4()), "Description": "ООО «Таб Вкладка»", "Code": "000009999"}
    sandbox.state.objects[CP][twin["Ref_Key"]] = twin
    path = tmp_path / "crm.duckdb"
    holder = Store.open(path)  # DuckDB locks the file against every other process, like a running TUI
    try:
        done = tui_crm("status", "Таб\tВкладка", "--url", sandbox.base_url, "--store", str(path), config=config)
        assert "Traceback" not in done.stderr, done.stderr
        assert done.returncode == 0, done.stderr
        assert "answering from accounting directly" in done.stdout and "ООО «Таб Вкладка»" in done.stdout
        # only control characters: a blank search, refused as a usage error before accounting is asked
        done = tui_crm("status", "\t\n\x7f\x1b", "--url", sandbox.base_url, "--store", str(path), config=config)
        assert_plain(done, 2, "type a client name, phone, ИНН or invoice number")
        assert done.stdout == ""
    finally:
        holder.close()


def test_status_from_accounting_shows_a_1c_name_with_escapes_as_plain_text(sandbox, tmp_path: Path,
                                                                          config: Path) -> None:
    """The answer from accounting is 1C's text as it is: a name holding a clear-screen sequence
    and an OSC 52 clipboard write reached the operator's terminal raw. JSON keeps the exact text."""
    first = next(iter(sandbox.state.objects[CP].values()))
    name = "ООО «Эскейп»\x1b[2J\x1b[H\x1b]52;c;ZXZpbA==\x07 и звонок\x07"
    twin = {**first, "Ref_Key": str(uuid.uuid4()), "Description": name, "Code": "000009998"}
    sandbox.state.objects[CP][twin["Ref_Key"]] = twin
    path = tmp_path / "crm.duckdb"
    holder = Store.open(path)
    try:
        done = tui_crm("status", "Эскейп", "--url", sandbox.base_url, "--store", str(path), config=config)
        as_json = tui_crm("status", "Эскейп", "--json", "--url", sandbox.base_url, "--store", str(path),
                          config=config)
    finally:
        holder.close()
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert "ООО «Эскейп»" in done.stdout and "и звонок" in done.stdout
    assert "\x1b" not in done.stdout and "\x07" not in done.stdout and "]52;" not in done.stdout
    assert json.loads(as_json.stdout)["clients"][0]["name"] == name


class _Canned(BaseHTTPRequestHandler):
    """Accounting answering with rows a real base can hold: a null name, a missing Ref_Key, a key
    that is no GUID, an order row without a Ref_Key."""

    good = str(uuid.uuid4())
    nameless = str(uuid.uuid4())

    def do_GET(self) -> None:
        path = unquote(self.path)
        if CP in path:
            rows = [{"Ref_Key": self.nameless, "Code": "1", "Description": None, "ИНН": None},
                    {"Code": "2", "Description": "без ключа", "ИНН": "7707083893"},
                    {"Ref_Key": "not-a-guid", "Code": "3", "Description": "кривой ключ"},
                    {"Ref_Key": None, "Code": "4", "Description": "пустой ключ"},
                    {"Ref_Key": self.good, "Code": "5", "Description": "ООО «Рога»", "ИНН": "7707083893"}]
        elif "Document_" in path and "$top" in path:
            rows = [{"Number": "ЗК-1", "Description": None}]  # no Ref_Key
        else:
            rows = []
        body = json.dumps({"value": rows}, ensure_ascii=False).encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "application/json;charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def canned() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Canned)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/base/odata/standard.odata/"
    server.shutdown()
    server.server_close()


def test_status_fallback_copes_with_null_description_and_missing_ref_key(canned: str, tmp_path: Path,
                                                                          config: Path) -> None:
    path = tmp_path / "crm.duckdb"
    holder = Store.open(path)
    try:
        text = tui_crm("status", "Рога", "--url", canned, "--store", str(path), config=config)
        as_json = tui_crm("status", "Рога", "--json", "--url", canned, "--store", str(path), config=config)
    finally:
        holder.close()
    assert "Traceback" not in text.stderr and text.returncode == 0, text.stderr
    assert "ООО «Рога»" in text.stdout
    assert "Traceback" not in as_json.stderr and as_json.returncode == 0, as_json.stderr
    data = json.loads(as_json.stdout)
    assert data["source"] == "accounting" and data["invoices"] == []
    assert {c["id"]: c["name"] for c in data["clients"]} == {_Canned.nameless: "", _Canned.good: "ООО «Рога»"}
    assert {c["id"]: c["inn"] for c in data["clients"]} == {_Canned.nameless: "", _Canned.good: "7707083893"}


def test_status_fallback_unreachable_accounting_is_exit_1(tmp_path: Path, config: Path) -> None:
    path = tmp_path / "crm.duckdb"
    holder = Store.open(path)
    try:
        done = tui_crm("status", "x", "--url", "http://127.0.0.1:9/base/", "--store", str(path), config=config)
    finally:
        holder.close()
    assert_plain(done, 1, "accounting could not be asked")


def test_status_held_store_without_url_is_exit_2(tmp_path: Path, config: Path) -> None:
    path = tmp_path / "crm.duckdb"
    holder = Store.open(path)
    try:
        done = tui_crm("status", "x", "--store", str(path), config=config)
    finally:
        holder.close()
    assert_plain(done, 2, "in use")


def test_usage_error_is_exit_2(config: Path) -> None:
    done = tui_crm("status", config=config)
    assert done.returncode == 2 and "Traceback" not in done.stderr and "usage:" in done.stderr


def test_status_overlong_query_is_a_message_not_an_invalid_url(sandbox, tmp_path: Path, config: Path) -> None:
    path = tmp_path / "crm.duckdb"
    holder = Store.open(path)
    try:
        done = tui_crm("status", "x" * 100_000, "--url", sandbox.base_url, "--store", str(path), config=config)
    finally:
        holder.close()
    assert_plain(done, 2, "too long")
    # a long but sane one still asks accounting
    holder = Store.open(path)
    try:
        done = tui_crm("status", "ё" * 200, "--url", sandbox.base_url, "--store", str(path), config=config)
    finally:
        holder.close()
    assert "Traceback" not in done.stderr and done.returncode == 3, done.stderr


def test_unexpected_error_is_one_line_exit_1_and_debug_shows_the_traceback(config: Path) -> None:
    code = ("import sys, tui_crm.cli as cli, tui_crm.status_cmd as s\n"
            "def boom(*a, **k):\n    raise RuntimeError('boom\\nsecond line')\n"
            "s.run = boom\nsys.exit(cli.main(['status', 'x']))\n")
    env = {**os.environ, "TUI_CRM_CONFIG": str(config)}
    env.pop("TUI_CRM_DEBUG", None)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert_plain(done, 1, "unexpected error (RuntimeError: boom second line)", "TUI_CRM_DEBUG=1")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          env={**env, "TUI_CRM_DEBUG": "1"})
    assert done.returncode == 1 and "Traceback" in done.stderr and "RuntimeError: boom" in done.stderr


def test_ctrl_c_while_the_command_is_still_starting_is_exit_130_without_a_traceback(config: Path) -> None:
    """The console script imports tui_crm.cli before main() runs: Ctrl+C in that first second
    (a mistyped command noticed at once) printed a KeyboardInterrupt traceback. Here the
    interrupt arrives, deterministically, as the settings module's first dependency is imported."""
    code = ("import sys\n"
            "class Interrupt:\n"
            "    def find_spec(self, name, path=None, target=None):\n"
            "        if name == 'platformdirs':\n"
            "            raise KeyboardInterrupt\n"
            "sys.meta_path.insert(0, Interrupt())\n"
            "from tui_crm.cli import main\n"
            "sys.exit(main(['config']))\n")
    env = {**os.environ, "TUI_CRM_CONFIG": str(config)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 130, (done.returncode, done.stderr)
    assert "Traceback" not in done.stderr and done.stdout == "", done.stderr


# -- `tui-crm demo` options that cannot work: one line, exit 2, before any screen ----------------

def test_demo_port_in_use_file_as_folder_and_bad_pull_seconds(tmp_path: Path, config: Path) -> None:
    """Each ended in "unexpected error (OSError / FileExistsError / OverflowError)", exit 1, or
    (--pull-seconds nan) in a traceback inside the app with exit 0."""
    import socket

    demo = ["demo", "--no-history", "--products", "5", "--warehouses", "1"]
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = tui_crm(*demo, "--dir", str(tmp_path / "d1"), "--port", str(port), config=config)
    assert "Traceback" not in done.stderr and done.returncode == 2, (done.returncode, done.stderr)
    assert f"cannot listen on 127.0.0.1 port {port}: it is already in use" in done.stderr
    assert not (tmp_path / "d1" / "crm.duckdb").exists()
    a_file = tmp_path / "file"
    a_file.write_text("", encoding="utf-8")
    assert_plain(tui_crm(*demo, "--dir", str(a_file), config=config), 2, "it is a file, not a folder")
    assert_plain(tui_crm(*demo, "--dir", str(tmp_path / "d2"), "--port", "-3", config=config), 2,
                 "--port -3 is not a port number")
    for value in ("nan", "0", "-1"):
        assert_plain(tui_crm(*demo, "--dir", str(tmp_path / "d2"), "--pull-seconds", value, config=config), 2,
                     f"--pull-seconds {value} must be above 0")
    assert_plain(tui_crm(*demo, "--dir", str(tmp_path / "d2"), "--pull-seconds", "inf", config=config), 2,
                 "--pull-seconds inf must be a number from 1 to 86400")
    assert not (tmp_path / "d2").exists()


def test_sync_once_is_exit_1_when_accounting_refuses_a_pushed_item(sandbox, tmp_path: Path, config: Path) -> None:
    """`sync --once` printed "pushed 0, failed 1" and the refusal, then exited 0: a cron job or a
    script took a refused write for success. Here 1C refuses to post (reserve) an order it has
    marked for deletion."""
    from tests.sync.sandbox_kit import ORDER

    path = tmp_path / "crm.duckdb"
    at = ["--url", sandbox.base_url, "--store", str(path)]
    assert tui_crm("sync", "--once", "--quiet", *at, config=config).returncode == 0
    # The test's own store writes run on the test clock: the year-ahead CI run moves this process's
    # wall clock, not the `tui-crm` processes', and a reserve request stamped a year ahead of them
    # would not be due yet for the sync below.
    store = Store.open(path, clock=TestClock())
    try:
        warehouse = store.warehouses()[0]
        row = next(r for r in store.picker_search(warehouse.id, store.price_types()[0].id, "", limit=10)
                   if r.price is not None)
        inn = store.db.cursor().execute("SELECT inn FROM counterparties WHERE inn <> '' LIMIT 1").fetchone()[0]
    finally:
        store.close()
    made = tui_crm("invoice", "add", "--store", str(path), "--client", inn, "--warehouse", warehouse.name,
                   "--line", f"{row.code}:1", "--json", config=config)
    assert made.returncode == 0, made.stderr
    invoice_id = json.loads(made.stdout)["id"]
    sent = tui_crm("sync", "--once", "--quiet", *at, config=config)
    assert sent.returncode == 0 and "pushed 1, failed 0" in sent.stdout, (sent.stdout, sent.stderr)
    sandbox.state.objects[ORDER][invoice_id]["DeletionMark"] = True
    store = Store.open(path, clock=TestClock())
    try:
        store.request_reserve(invoice_id, "post")
    finally:
        store.close()
    refused = tui_crm("sync", "--once", "--quiet", *at, config=config)
    assert "Traceback" not in refused.stderr
    assert "pushed 0, failed 1" in refused.stdout and "marked order" in refused.stderr, refused.stderr
    assert refused.returncode == 1, (refused.stdout, refused.stderr)
