"""The layer rules of docs/architecture.md §2, checked: imports flow one way only."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "tui_crm"
SANDBOX = PKG.parent / "onec_sandbox"


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


# The sandbox is the other side (docs/architecture.md §2): a package of its own, installed by the `sandbox`
# extra. It imports nothing of tui_crm, and tui_crm reaches it only from the CLI commands that start it
# (`sandbox`, `demo`, `serve --demo`: demo_sandbox is called after sandbox_missing() said it is there).
SANDBOX_GATES = {"sandbox_missing", "cmd_sandbox", "cmd_demo", "demo_sandbox"}  # functions of tui_crm/cli.py


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          check=False, cwd=PKG.parent)


def _imports_with_scope(path: Path) -> list[tuple[str, str | None]]:
    """(imported module, enclosing top-level function or None) for every absolute import."""
    found: list[tuple[str, str | None]] = []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for top in tree.body:
        scope = top.name if isinstance(top, (ast.FunctionDef, ast.AsyncFunctionDef)) else None
        for node in ast.walk(top):
            if isinstance(node, ast.Import):
                found.extend((a.name, scope) for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.append((node.module, scope))
    return found


def test_onec_sandbox_imports_nothing_of_tui_crm() -> None:
    assert SANDBOX.is_dir()
    bad = [f"{path.relative_to(PKG.parent)} imports {name}"
           for path in sorted(SANDBOX.rglob("*.py"))
           for name, _ in _imports_with_scope(path)
           if name == "tui_crm" or name.startswith("tui_crm.")]
    assert bad == []
    # and for real: every module of the sandbox loads where tui_crm cannot be imported
    proc = _run(
        "import importlib, pkgutil, sys\n"
        "sys.modules['tui_crm'] = None\n"
        "import onec_sandbox\n"
        "for m in pkgutil.walk_packages(onec_sandbox.__path__, 'onec_sandbox.'):\n"
        "    if not m.name.endswith('__main__'):\n"
        "        importlib.import_module(m.name)\n"
        "st = onec_sandbox.SandboxState.seeded(products=5, warehouses=1, seed=1)\n"
        "onec_sandbox.create_app(st)\n"
        "assert not [m for m in sys.modules if m.startswith('tui_crm') and sys.modules[m]]\n"
    )
    assert proc.returncode == 0, proc.stderr


def test_tui_crm_never_imports_the_sandbox_outside_its_cli_commands() -> None:
    forbidden = ("onec_sandbox", "starlette", "uvicorn")
    bad = []
    for path in sorted(PKG.rglob("*.py")):
        rel = str(path.relative_to(PKG.parent))
        for name, scope in _imports_with_scope(path):
            gated = rel == "tui_crm/cli.py" and scope in SANDBOX_GATES
            if any(name == f or name.startswith(f + ".") for f in forbidden) and not gated:
                bad.append(f"{rel} imports {name} (in {scope or 'module scope'})")
    assert bad == []
    # and for real: the whole CRM loads, and builds its CLI, without the sandbox or its web stack
    proc = _run(
        "import importlib, pkgutil, sys\n"
        "for name in ('onec_sandbox', 'starlette', 'uvicorn'):\n"
        "    sys.modules[name] = None\n"
        "import tui_crm, tui_crm.app, tui_crm.cli, tui_crm.sync.service\n"
        "for m in pkgutil.walk_packages(tui_crm.__path__, 'tui_crm.'):\n"
        "    importlib.import_module(m.name)\n"
        "tui_crm.cli.build_parser()\n"
    )
    assert proc.returncode == 0, proc.stderr
