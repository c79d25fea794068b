"""The sandbox is an optional extra: without it, `tui-crm sandbox`/`demo` say how to get it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _cli_without(blocked: str, argv: list[str]) -> subprocess.CompletedProcess[str]:
    """Run `tui-crm ARGV` in a process where `blocked` cannot be imported (as if not installed)."""
    code = (
        "import sys\n"
        f"sys.modules[{blocked!r}] = None\n"
        "from tui_crm.cli import main\n"
        f"sys.exit(main({argv!r}))\n"
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=False, cwd=ROOT)


@pytest.mark.parametrize("blocked", ["onec_sandbox", "starlette", "uvicorn"])
@pytest.mark.parametrize("argv", [["sandbox", "orders"], ["sandbox", "--help"], ["sandbox"],
                                  ["demo"]], ids=["sandbox-orders", "sandbox-help", "sandbox",
                                                  "demo"])
def test_missing_sandbox_is_one_plain_line_and_exit_2(blocked: str, argv: list[str],
                                                      tmp_path: Path) -> None:
    if argv == ["demo"]:
        argv = ["demo", "--dir", str(tmp_path)]
    proc = _cli_without(blocked, argv)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "pip install 'tui-crm[sandbox]'" in lines[0]
    assert "make demo" in lines[0]
    assert blocked in lines[0]
    assert proc.stdout == ""
    assert list(tmp_path.iterdir()) == []  # the demo gave up before writing anything


def test_sandbox_command_hands_over_to_onec_sandbox() -> None:
    proc = subprocess.run([sys.executable, "-m", "tui_crm.cli", "sandbox", "--help"],
                          capture_output=True, text=True, timeout=120, check=False, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("usage: tui-crm sandbox")
    for command in ("serve", "seed", "orders", "post", "pay", "ship", "price", "receive"):
        assert command in proc.stdout
    same = subprocess.run([sys.executable, "-m", "onec_sandbox", "--help"],
                          capture_output=True, text=True, timeout=120, check=False, cwd=ROOT)
    assert same.returncode == 0, same.stderr
    assert same.stdout.split("\n", 1)[1] == proc.stdout.split("\n", 1)[1]


def test_crm_help_lists_sandbox_without_importing_it() -> None:
    proc = _cli_without("onec_sandbox", ["--help"])
    assert proc.returncode == 0, proc.stderr
    assert "sandbox" in proc.stdout and "demo" in proc.stdout


@pytest.mark.parametrize("blocked", ["starlette", "uvicorn"])
def test_onec_sandbox_command_says_how_to_get_its_web_stack(blocked: str) -> None:
    code = (
        "import sys\n"
        f"sys.modules[{blocked!r}] = None\n"
        "from onec_sandbox.cli import main\n"
        "sys.exit(main(['orders'], prog='onec-sandbox'))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=False, cwd=ROOT)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("onec-sandbox:"), proc.stderr
    assert blocked in lines[0] and "pip install 'tui-crm[sandbox]'" in lines[0]
