"""examples/clerk-scenario.sh: the accounting side of the demo from the shell alone, over loopback."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from onec_sandbox.server import start_in_thread
from onec_sandbox.state import SandboxState

SCRIPT = Path(__file__).resolve().parents[2] / "examples" / "clerk-scenario.sh"


@pytest.mark.skipif(not (shutil.which("curl") and shutil.which("jq")), reason="needs curl and jq")
def test_clerk_scenario_script_runs_the_whole_accounting_side() -> None:
    with start_in_thread(SandboxState.seeded(products=60, warehouses=3, seed=2)) as sandbox:
        env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
        proc = subprocess.run(["bash", str(SCRIPT), sandbox.base_url], capture_output=True, text=True,
                              timeout=180, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    before = int(float(out.split("stock before: ")[1].split()[0]))
    after = int(float(out.split("stock after: ")[1].split()[0]))
    assert after == before - 2
    assert "проведен" in out and "ПКО" in out
    assert out.strip().splitlines()[-1].rstrip().endswith("100%")
