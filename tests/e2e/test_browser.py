"""`tui-crm serve` in a real browser: Debian's headless Chromium, driven by Playwright, works the
CRM through the web page the way an operator without a terminal would.

Everything is real: the sandbox over loopback HTTP, `tui-crm serve` as its own process (which
starts a `tui-crm run` per tab), a DuckDB file, Chromium with textual-serve's page. The test
reads what the app draws from the page's websocket (the terminal output, escape sequences
removed) and presses keys in the page: clients list → a client's card → F3 new invoice → the
picker → a product's quantity → save → back. Then the order is in the sandbox and the invoice
in the store. A second tab on the same data file is told, on the page, that the file is in use.

No browser download: the browser is `/usr/bin/chromium` (Debian's `chromium`, which `.ci/run`
installs), or $TUI_CRM_CHROMIUM. Without it the test fails and says how to get it; only
TUI_CRM_BROWSER_TESTS=0 skips it.
"""

from __future__ import annotations

import codecs
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from onec_sandbox.server import RunningSandbox, start_in_thread
from onec_sandbox.state import SandboxState
from tests.clock import TestClock
from tests.sync.sandbox_kit import ORDER
from tui_crm.store import Store

BROWSER_ENV = "TUI_CRM_BROWSER_TESTS"
CHROMIUM_ENV = "TUI_CRM_CHROMIUM"
CHROMIUM = "/usr/bin/chromium"

pytestmark = pytest.mark.skipif(os.environ.get(BROWSER_ENV) == "0", reason=f"{BROWSER_ENV}=0")

# CSI (colours, cursor moves, modes), OSC (titles, clipboard), DCS, and two-byte escapes
ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1bP[^\x1b]*\x1b\\|\x1b[@-_]")


def chromium() -> str:
    path = os.environ.get(CHROMIUM_ENV) or CHROMIUM
    if not Path(path).is_file():
        pytest.fail(f"no Chromium at {path}: install Debian's package (`apt-get install -y chromium`; "
                    f".ci/run does it), or set {CHROMIUM_ENV} to a Chromium binary; "
                    f"{BROWSER_ENV}=0 skips the browser tests")
    return path


class Drawn:
    """What the app drew in the page, as text: the websocket's terminal output without escapes."""

    def __init__(self) -> None:
        self.chunks: list[str] = []
        self._utf8 = codecs.getincrementaldecoder("utf-8")("replace")

    def received(self, payload: str | bytes) -> None:
        self.chunks.append(self._utf8.decode(payload) if isinstance(payload, bytes) else payload)

    def mark(self) -> int:
        return len(self.chunks)

    def since(self, mark: int) -> str:
        return ESCAPES.sub("", "".join(self.chunks[mark:]))


def _flat(text: str) -> str:
    return " ".join(text.translate({ord(c): " " for c in "┃│║▏▕"}).split())


def wait_drawn(page, drawn: Drawn, mark: int, text: str, what: str, seconds: float = 30.0) -> None:
    """Until `text` is drawn after `mark` (bounded; the page's events are pumped meanwhile)."""
    deadline = time.monotonic() + seconds
    # blind to wrapping: a long message in a bordered box wraps, and where depends on the length
    # of the temp path in it
    while _flat(text) not in _flat(drawn.since(mark)):
        if time.monotonic() > deadline:
            tail = " ".join(drawn.since(mark).split())[-600:]
            raise AssertionError(f"timed out waiting for {what} ({text!r}); drawn since: {tail!r}")
        page.wait_for_timeout(100)


def wait_until(page, condition, what: str, seconds: float = 30.0):
    deadline = time.monotonic() + seconds
    while not (result := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        page.wait_for_timeout(100)
    return result


def env_for(tmp: Path) -> dict[str, str]:
    # folders of its own: no running demo, config, saved theme or log of the machine's user
    return {**os.environ, "TUI_CRM_CONFIG": str(tmp / "none.toml"), "PYTHONIOENCODING": "utf-8",
            "XDG_DATA_HOME": str(tmp / "data"), "XDG_CONFIG_HOME": str(tmp / "config"),
            "XDG_STATE_HOME": str(tmp / "state"), "XDG_CACHE_HOME": str(tmp / "cache"), "TUI_CRM_LANG": "en"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    running = start_in_thread(SandboxState.seeded(products=30, warehouses=2, seed=3), base="demo")
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def served(sandbox: RunningSandbox, tmp_path: Path) -> Iterator[tuple[str, Path, subprocess.Popen[str]]]:
    """`tui-crm serve` on a free loopback port against the sandbox, with a pulled store."""
    path = tmp_path / "crm.duckdb"
    pulled = subprocess.run([sys.executable, "-m", "tui_crm", "sync", "--once", "--quiet", "--url", sandbox.base_url,
                             "--store", str(path)], capture_output=True, text=True, timeout=90, env=env_for(tmp_path))
    assert pulled.returncode == 0, pulled.stderr
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "tui_crm", "serve", "--port", str(port), "--store", str(path), "--url",
         sandbox.base_url], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env_for(tmp_path))
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise AssertionError(f"tui-crm serve ended with {process.returncode}: {process.communicate()}")
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("tui-crm serve did not answer within 30 s")
            time.sleep(0.1)
        yield url, path, process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate()


def test_an_invoice_made_in_the_browser_reaches_accounting(served, sandbox: RunningSandbox) -> None:
    from playwright.sync_api import sync_playwright

    executable = chromium()
    url, path, process = served
    store = Store.open(path, clock=TestClock())  # what to pick, as an operator would see it
    try:
        client = next(r for r in store.client_rows("") if r.inn and r.origin == "accounting")
        warehouse, price_type = store.warehouses()[0], store.price_types()[0]  # the editor's defaults
        product = next(r for r in store.picker_search(warehouse.id, price_type.id, "", limit=50)
                       if r.price and r.free_stock >= 2)
    finally:
        store.close()
    orders_before = set(sandbox.state.objects[ORDER])

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            drawn = Drawn()
            page.on("websocket", lambda ws: ws.on("framereceived", drawn.received))
            keys = page.keyboard

            def step(keys_to_press: list[str], text: str, what: str) -> None:
                mark = drawn.mark()
                for key in keys_to_press:
                    keys.press(key)
                wait_drawn(page, drawn, mark, text, what)

            page.goto(url)
            wait_drawn(page, drawn, 0, "Clients", "the clients list")
            page.wait_for_selector("body.-first-byte")
            page.focus("textarea.xterm-helper-textarea")  # keys go to the terminal in the page

            # a second tab on the same data file is told so on its page, and can be closed
            other = browser.new_page(viewport={"width": 1000, "height": 600})
            other_drawn = Drawn()
            other.on("websocket", lambda ws: ws.on("framereceived", other_drawn.received))
            other.goto(url)
            wait_drawn(other, other_drawn, 0, "cannot start", "the second tab's message")
            wait_drawn(other, other_drawn, 0, "is in use", "the second tab's reason")
            other.focus("textarea.xterm-helper-textarea")
            other.keyboard.press("Enter")
            other.wait_for_selector("body.-closed")
            other.close()

            mark = drawn.mark()
            keys.type(client.inn)  # the search box has the focus: type-to-filter
            wait_drawn(page, drawn, mark, "1 shown", "the list filtered to the client")
            step(["Enter"], "Invoices", "the client's card")
            step(["F3"], "Warehouse", "the new invoice")
            step(["a"], product.name, "the picker")
            mark = drawn.mark()
            keys.type(product.code)
            wait_drawn(page, drawn, mark, "1 shown", "the picker's search")
            step(["Enter"], "Quantity", "the quantity form")
            step(["2", "Enter"], "Added", "the line added")
            step(["Escape"], product.name, "the invoice with its line")
            step(["F2"], "queued for accounting", "the invoice saved")

            def order_arrived() -> dict | None:
                new = [o for key, o in sandbox.state.objects[ORDER].items() if key not in orders_before]
                return new[0] if new else None

            order = wait_until(page, order_arrived, "the order in accounting")
            step(["Escape"], "Invoices", "back in the card")
            step(["Escape"], "Clients", "back in the clients list")
        finally:
            browser.close()  # the tab's `tui-crm run` quits and lets go of the data file

    assert order["Контрагент_Key"] == client.id
    assert [(line["Номенклатура_Key"], Decimal(str(line["Количество"]))) for line in order["Товары"]] == [
        (product.product_id, Decimal(2))]
    process.send_signal(signal.SIGINT)  # Ctrl+C: the server stops, exit code 0
    out, err = process.communicate(timeout=20)
    assert process.returncode == 0, err
    assert f"open {url}" in out and "Traceback" not in out + err

    store = Store.open(path, clock=TestClock())
    try:
        [invoice] = store.list_invoices(client_id=client.id)
        record = store.get_invoice(invoice.id)
        assert record is not None and record.invoice.lines[0].quantity == Decimal(2)
        assert record.invoice.lines[0].product_id == product.product_id
        assert invoice.id in sandbox.state.objects[ORDER]
    finally:
        store.close()
