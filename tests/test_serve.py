"""`tui-crm serve` refuses to start with plain words and exit code 2 (a busy port, a wrong host,
a data file in use, --demo with a data file of one's own), and says plainly when it would let
other machines in. The refusals run the real CLI in a subprocess; the browser itself is driven
in tests/e2e/test_browser.py."""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.clock import TestClock
from tui_crm.serve import child_command, exposure_warning, is_loopback, page_url
from tui_crm.store import Store


def serve(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUI_CRM_")}
    env.update({"TUI_CRM_CONFIG": str(tmp / "none.toml"), "PYTHONIOENCODING": "utf-8", "TUI_CRM_LANG": "en",
                "XDG_DATA_HOME": str(tmp / "data"), "XDG_STATE_HOME": str(tmp / "state")})
    return subprocess.run([sys.executable, "-m", "tui_crm", "serve", *args], capture_output=True, text=True,
                          timeout=60, env=env)


def assert_refused(done: subprocess.CompletedProcess[str], *phrases: str) -> None:
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr + done.stdout
    assert done.stderr.startswith("tui-crm serve: ") and len(done.stderr.strip().splitlines()) == 1, done.stderr
    for phrase in phrases:
        assert phrase in done.stderr


def test_a_port_in_use_is_said_plainly(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = serve(tmp_path, "--port", str(port), "--store", str(tmp_path / "crm.duckdb"))
    assert_refused(done, f"port {port} on 127.0.0.1 is already in use", "--port")


@pytest.mark.parametrize(
    ("args", "phrase"),
    [
        (("--port", "0"), "--port 0 is not a port number"),
        (("--port", "70000"), "--port 70000 is not a port number"),
        (("--host", "no-such-host.invalid"), "--host 'no-such-host.invalid' is not an address of this machine"),
        (("--host", "192.0.2.1"), "--host 192.0.2.1 is not an address of this machine"),
        (("--demo", "--store", "x.duckdb"), "--demo brings its own sandbox and data; drop --store"),
        (("--demo", "--pull-seconds", "0"), "--pull-seconds 0 must be above 0"),
    ],
)
def test_what_cannot_work_is_refused_before_anything_starts(tmp_path: Path, args: tuple[str, ...],
                                                           phrase: str) -> None:
    done = serve(tmp_path, *args)
    assert_refused(done, phrase)
    assert not (tmp_path / "data").exists()  # no demo started, no data file made


def test_a_data_file_in_use_is_said_at_start(tmp_path: Path) -> None:
    path = tmp_path / "crm.duckdb"
    store = Store.open(path, clock=TestClock())  # as a tui-crm running in a terminal holds it
    try:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        done = serve(tmp_path, "--port", str(port), "--store", str(path))
    finally:
        store.close()
    assert_refused(done, "is in use by another tui-crm")


def test_only_loopback_is_private() -> None:
    for host in ("127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]"):
        assert is_loopback(host) and exposure_warning(host) is None, host
    for host in ("0.0.0.0", "::", "192.168.1.10", "crm.example.org"):
        warning = exposure_warning(host)
        assert warning is not None and "no password" in warning and "proxy" in warning, host
    assert page_url("0.0.0.0", 8000) == "http://127.0.0.1:8000/"
    assert page_url("::", 8080) == "http://[::1]:8080/"
    assert page_url("127.0.0.1", 8000) == "http://127.0.0.1:8000/"


def test_a_tab_runs_this_python_with_the_options_quoted_for_the_shell() -> None:
    command = child_command(["--store", "/data/my crm; rm -rf ~.duckdb", "--url", "http://h/b?a=1&b=$X"])
    assert command.startswith(f"{shlex.quote(sys.executable)} -m tui_crm run --in-browser ")
    assert "'/data/my crm; rm -rf ~.duckdb'" in command and "'http://h/b?a=1&b=$X'" in command


def test_serve_demo_serves_the_page_and_cleans_up_on_ctrl_c(tmp_path: Path) -> None:
    """`serve --demo`: the demo's sandbox starts, the page is ours (nothing from the internet,
    the websocket beside the page), and Ctrl+C stops both and removes the running-demo note."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUI_CRM_")}
    env.update({"TUI_CRM_CONFIG": str(tmp_path / "none.toml"), "PYTHONIOENCODING": "utf-8", "TUI_CRM_LANG": "ru",
                "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_STATE_HOME": str(tmp_path / "state")})
    demo = tmp_path / "demo"
    process = subprocess.Popen(
        [sys.executable, "-m", "tui_crm", "serve", "--demo", "--dir", str(demo), "--products", "20",
         "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        page = None
        deadline = time.monotonic() + 30
        while page is None:
            assert process.poll() is None, process.communicate()
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/?fontsize=14", timeout=2)
            except httpx.TransportError:
                assert time.monotonic() < deadline, "tui-crm serve --demo did not answer within 30 s"
                time.sleep(0.1)
        assert page.status_code == 200
        html = page.text
        assert "Запуск tui-crm…" in html and 'data-font-size="14"' in html  # the interface language
        assert not re.search(r"""(?:src|href)=["']?(?:https?:)?//""", html)  # nothing from the internet
        assert httpx.get(f"http://127.0.0.1:{port}/static/js/textual.js", timeout=5).status_code == 200
        assert (demo / "running.json").exists()  # the clerk's and shell commands find this demo
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    # TUI_CRM_LANG=ru: the shell says it in Russian too
    assert "Песочница: http://127.0.0.1:" in out and f"откройте http://127.0.0.1:{port}/" in out
    assert "Traceback" not in out + err
    assert not (demo / "running.json").exists()


async def test_the_start_failed_page_shows_the_reason_as_plain_text_and_enter_closes_it() -> None:
    from textual.widgets import Static

    from tui_crm.i18n import set_language
    from tui_crm.serve import start_failed_app

    set_language("en")
    app = start_failed_app("tui-crm: The CRM data file /srv/[bold]crm[/bold]\x1b[31m.duckdb is in use")
    async with app.run_test(size=(100, 20)) as pilot:
        shown = str(app.query_one("#why", Static).render())
        assert "tui-crm cannot start:" in shown and "If the CRM is open in another tab" in shown
        assert "/srv/[bold]crm[/bold].duckdb is in use" in shown  # markup shown as typed, escape removed
        assert "tui-crm: The CRM" not in shown  # the prefix said once, by the heading
        await pilot.press("enter")
    assert app.return_code == 0 and not app.is_running
