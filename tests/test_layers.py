"""The layer rules of DESIGN.md §2, checked: imports flow one way only."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "tui_crm"


def _imports(folder: Path) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in folder.rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
        found[str(path.relative_to(PKG.parent))] = names
    return found


def _offenders(folder: str, forbidden: tuple[str, ...]) -> list[str]:
    bad = []
    for file, names in _imports(PKG / folder).items():
        for name in names:
            if any(name == f or name.startswith(f + ".") for f in forbidden):
                bad.append(f"{file} imports {name}")
    return sorted(bad)


@pytest.mark.parametrize(
    ("folder", "forbidden"),
    [
        ("domain", ("textual", "duckdb", "httpx", "apscheduler", "tui_crm.store", "tui_crm.sync", "tui_crm.screens")),
        ("store", ("textual", "httpx", "apscheduler", "tui_crm.sync", "tui_crm.screens", "tui_crm.widgets")),
        ("sync", ("textual", "tui_crm.screens", "tui_crm.widgets", "tui_crm.app")),
        ("screens", ("httpx", "duckdb", "tui_crm.sync.odata")),
        ("widgets", ("httpx", "duckdb", "tui_crm.sync.odata")),
        ("sandbox", ("tui_crm.sync", "tui_crm.store", "tui_crm.screens", "textual", "duckdb")),
    ],
)
def test_layer_does_not_import(folder: str, forbidden: tuple[str, ...]) -> None:
    assert _offenders(folder, forbidden) == []


def test_core_layers_import_without_textual() -> None:
    """domain, store and sync load in a process where Textual cannot be imported."""
    code = (
        "import sys\n"
        "sys.modules['textual'] = None\n"
        "import tui_crm.domain, tui_crm.store, tui_crm.sync.odata, tui_crm.sync.pull, "
        "tui_crm.sync.service, tui_crm.sync.scheduler\n"
        "assert not any(m == 'textual' or m.startswith('textual.') for m in sys.modules if sys.modules[m])\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
