"""The clerk's commands against the `--hostile` seed: names from the base reach the terminal
with their control characters made visible, never as live escape sequences."""

from __future__ import annotations

import re

import pytest

from onec_sandbox import cli as sandbox_cli
from onec_sandbox.clerk import shown
from onec_sandbox.server import start_in_thread
from onec_sandbox.state import SandboxState

#: Anything a terminal acts on: C0 controls but LF (print's own line end), DEL, C1 controls.
LIVE = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")


@pytest.fixture(scope="module")
def running():
    srv = start_in_thread(SandboxState.seeded(products=60, warehouses=3, seed=7, hostile=True))
    yield srv
    srv.stop()


def clerk(running, capsys, *argv: str) -> tuple[int, str, str]:
    code = sandbox_cli.main([argv[0], "--url", running.base_url, *argv[1:]])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_orders_show_hostile_names_without_escape_sequences(running, capsys):
    code, out, err = clerk(running, capsys, "orders")
    assert code == 0, err
    assert not LIVE.search(out), repr(out[:400])
    assert "Склад [/]" in out and "[@click=app.quit]Нажми[/] меня"[:30] in out
    assert "Товар ␛[2J␛[H" in out  # the ESC of "ansi-clear" made visible


def test_actions_on_hostile_names_print_them_safely(running, capsys):
    st = running.state
    prod = next(p for p in st.objects["Catalog_Номенклатура"].values()
                if "\x1b" in p["Description"])
    code, out, err = clerk(running, capsys, "receive", prod["Code"], "--warehouse", "Склад [/]",
                           "--qty", "2")
    assert code == 0, err
    assert not LIVE.search(out) and "␛" in out and "«Склад [/]»" in out


def test_shown():
    assert shown("a\x1b[31mb\x07\x00\r\n\x7f\x9b\u202eZ") == "a␛[31mb␇␀␍␊␡\\x9b<U+202E>Z"
    assert shown(shown("\x1b\u2067")) == shown("\x1b\u2067")
    assert shown("Склад [/] 🍏 Ёлка") == "Склад [/] 🍏 Ёлка"
