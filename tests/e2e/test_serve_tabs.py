"""`tui-crm serve` ends its tabs' processes cleanly, without a browser.

A websocket client stands in for the page (the same `/ws` protocol textual-serve's script speaks).
Ctrl+C on the server while a tab is open must: quit the tab's `tui-crm run` (the data file is
free afterwards), exit 0, and print no traceback. textual-serve's own handler never waited for
the tab's process, and the garbage collector closing its pipes after the loop had stopped printed
"Event loop is closed" on some runs (main's CI, the year-ahead suite).
"""

from __future__ import annotations

import asyncio
import signal
import subprocess

import aiohttp

from tests.clock import TestClock
from tests.e2e import test_browser
from tui_crm.store import Store

ESCAPES = test_browser.ESCAPES
sandbox, served = test_browser.sandbox, test_browser.served  # the browser test's fixtures


async def _open_tab(url: str, *, garbage: bool = False) -> aiohttp.ClientSession:
    """Connect as a page would, until the clients list is drawn; leave the tab open."""
    session = aiohttp.ClientSession()
    websocket = await session.ws_connect(f"{url}ws?width=80&height=24")
    drawn = ""
    async with asyncio.timeout(60):
        while "Clients" not in ESCAPES.sub("", drawn):
            message = await websocket.receive()
            if message.type == aiohttp.WSMsgType.BINARY:
                drawn += message.data.decode("utf-8", "replace")
            elif message.type == aiohttp.WSMsgType.TEXT:
                continue
            else:
                raise AssertionError(f"the tab ended before drawing the clients list: {message}")
    if garbage:
        await websocket.send_str("not json [")
    return session  # left open on purpose: the server is stopped under an open tab


def test_ctrl_c_with_a_tab_open_ends_the_tab_and_prints_no_traceback(served) -> None:
    url, path, process = served
    loop = asyncio.new_event_loop()
    session = loop.run_until_complete(_open_tab(url))
    try:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=40)
    finally:
        loop.run_until_complete(session.close())
        loop.close()
    assert process.returncode == 0, err
    assert "Traceback" not in out + err and "Exception ignored" not in out + err, out + err
    store = Store.open(path, clock=TestClock())  # the tab's `tui-crm run` let go of the file
    store.close()


def test_a_garbled_message_from_a_page_ends_that_tab_with_a_line(served) -> None:
    url, path, process = served
    loop = asyncio.new_event_loop()
    session = loop.run_until_complete(_open_tab(url, garbage=True))
    try:
        loop.run_until_complete(asyncio.sleep(1))
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=40)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    finally:
        loop.run_until_complete(session.close())
        loop.close()
    assert process.returncode == 0, err
    assert "a browser tab ended" in err
    assert "Traceback" not in out + err and "Exception ignored" not in out + err, out + err
    store = Store.open(path, clock=TestClock())
    store.close()


def test_ctrl_c_just_as_a_tab_closes_prints_no_traceback(served) -> None:
    # the browser test's ending: the page closes, and the server is stopped a moment later
    url, path, process = served
    loop = asyncio.new_event_loop()
    session = loop.run_until_complete(_open_tab(url))
    try:
        loop.run_until_complete(session.close())
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=40)
    finally:
        loop.close()
    assert process.returncode == 0, err
    assert "Traceback" not in out + err and "Exception ignored" not in out + err, out + err
    store = Store.open(path, clock=TestClock())
    store.close()
