"""`tui-crm demo` without --config keeps the configuration its existing base holds (its help says
so); before, it always asked for КА 1.1 and refused a УТ 11 or БП 3 demo made earlier, and
`serve --demo` could not start such a demo at all."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from onec_sandbox.state import SandboxState, held_configuration
from tui_crm.cli import build_parser, demo_sandbox


@pytest.fixture(autouse=True)
def _own_logging(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """demo_sandbox points the root logger at the demo's log file (the TUI owns the terminal)."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    for handler in root.handlers:
        if handler not in handlers:
            handler.close()
    root.handlers[:], root.level = handlers, level


def _args(folder: Path, **extra: object) -> argparse.Namespace:
    values: dict[str, object] = {"dir": str(folder), "fresh": False, "products": 20, "warehouses": 1,
                                 "hostile": False}
    values.update(extra)
    return argparse.Namespace(**values)


def _base(folder: Path, config: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    SandboxState.seeded(products=20, warehouses=1, seed=1, path=folder / "sandbox.sqlite", config=config).close()


@pytest.mark.parametrize("config", ["ut11", "bp3", "ka1"])
def test_an_existing_demo_keeps_its_configuration(tmp_path: Path, config: str) -> None:
    _base(tmp_path / "demo", config)
    assert held_configuration(tmp_path / "demo" / "sandbox.sqlite") == config
    with demo_sandbox(_args(tmp_path / "demo")) as demo:
        assert demo.configuration == config
        assert demo.url.startswith("http://127.0.0.1:")


def test_a_new_demo_is_ka1_and_a_named_configuration_is_used(tmp_path: Path) -> None:
    with demo_sandbox(_args(tmp_path / "a")) as demo:
        assert demo.configuration == "ka1"
    with demo_sandbox(_args(tmp_path / "b"), configuration="bp3") as demo:
        assert demo.configuration == "bp3"
    assert held_configuration(tmp_path / "b" / "sandbox.sqlite") == "bp3"


def test_naming_another_configuration_than_the_base_holds_is_refused_in_plain_words(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _base(tmp_path / "demo", "ut11")
    with pytest.raises(SystemExit) as stop, demo_sandbox(_args(tmp_path / "demo"), configuration="ka1"):
        pass
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert "holds a ut11 base" in err and "--config ut11" in err and "--fresh" in err


def test_held_configuration_of_no_file_or_a_foreign_file_is_none(tmp_path: Path) -> None:
    assert held_configuration(tmp_path / "missing.sqlite") is None
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"not a database at all" * 100)
    assert held_configuration(junk) is None
    assert held_configuration(tmp_path) is None   # a folder


def test_the_demo_command_leaves_the_configuration_unset_and_a_served_tab_takes_the_demo_profile() -> None:
    parser = build_parser()
    assert parser.parse_args(["demo"]).config is None
    tab = parser.parse_args(["run", "--demo-profile", "ut11"])
    assert tab.demo_profile == "ut11"
