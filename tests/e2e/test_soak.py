"""A CI-sized fault soak with real processes: `bench/soak.py` (what `make soak` runs with 1000
runs) for 12 runs of the two kinds only real processes can show — the sandbox server stopped
(SIGTERM / SIGKILL) and started again on its port and data file in the middle of a push, and the
CRM process killed with SIGKILL at a random moment or around a random request and restarted on
its store. Afterwards the sandbox's data file must hold every CRM object exactly once."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def load_soak() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_soak", ROOT / "bench" / "soak.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module   # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def test_small_soak_with_kill_9_and_sandbox_restarts_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    soak = load_soak()
    report = soak.soak(12, seed=11, kinds=("restart", "kill9"), folder=tmp_path, progress=False)
    table = report.table()
    for kind, row in report.rows.items():
        assert row.runs == 6, (kind, table)
        assert (row.lost, row.duplicated, row.stale, row.stuck) == (0, 0, 0, 0), table
    assert (report.drain.lost, report.drain.duplicated, report.drain.stuck) == (0, 0, 0), table
    assert report.rows["kill9"].kills == 6, table                 # every kill9 run killed the CRM
    assert "6 sandbox restarts" in report.rows["restart"].notes, table
    assert report.objects["orders"] >= 6 and report.objects["clients"] >= 1, table
