"""The domain layer is pure: no I/O library and nothing of ours outside tui_crm.domain."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import tui_crm.domain

DOMAIN_DIR = Path(tui_crm.domain.__file__).parent
REPO_ROOT = DOMAIN_DIR.parent.parent

_PROBE = textwrap.dedent(
    """
    import sys
    for blocked in ("textual", "duckdb", "httpx", "apscheduler", "starlette", "uvicorn", "platformdirs"):
        sys.modules[blocked] = None  # any import of these now raises ImportError
    before = set(sys.modules)
    import pkgutil, importlib
    import tui_crm.domain as domain
    for info in pkgutil.iter_modules(domain.__path__):
        importlib.import_module("tui_crm.domain." + info.name)
    new = sorted(set(sys.modules) - before)
    ours = [m for m in new if m.startswith("tui_crm") and m != "tui_crm" and not m.startswith("tui_crm.domain")]
    foreign = [m for m in new if not m.startswith("tui_crm") and m.split(".")[0] not in sys.stdlib_module_names]
    assert not ours, ours
    assert not foreign, foreign
    print("pure", len(new))
    """
)


def test_domain_imports_with_io_libraries_blocked() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _PROBE],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("pure")


def test_domain_sources_import_only_stdlib_and_domain() -> None:
    for path in DOMAIN_DIR.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:  # relative import stays inside the package
                    continue
                names = [node.module or ""]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                assert name.startswith("tui_crm.domain") or (
                    top in sys.stdlib_module_names and top != "tui_crm"
                ), f"{path.name} imports {name}"
                assert top not in {"sqlite3", "socket", "urllib", "http", "asyncio"}, f"{path.name} imports {name}"


def test_no_float_in_domain_sources() -> None:
    # Money must never pass through float(); a float() call in the domain is a bug magnet.
    for path in DOMAIN_DIR.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id != "float", f"{path.name}:{node.lineno} calls float()"
