"""Where a running `tui-crm demo` says what it is: its sandbox URL, its store and its process.

`tui-crm demo` writes `running.json` into its folder while it runs and removes it on the way out;
the shell commands (`status`, `client add`, `invoice add`, `config`) read it so that, with the
demo running, they work on the demo's store and know its sandbox URL without being told. A file
left behind by a killed demo is recognised by its process id and ignored.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from tui_crm.config import data_dir

FILE_NAME = "running.json"


def demo_folder() -> Path:
    """The demo's default folder (`tui-crm demo` without `--dir`)."""
    return data_dir() / "demo"


@dataclass(frozen=True)
class RunningDemo:
    url: str
    store: Path
    pid: int


def write(folder: Path, url: str, store: Path) -> Path:
    path = folder / FILE_NAME
    path.write_text(json.dumps({"url": url, "store": str(store), "pid": os.getpid()}), encoding="utf-8")
    return path


def clear(folder: Path) -> None:
    (folder / FILE_NAME).unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it exists
        return True
    except OSError:
        return False
    return True


def find(folder: Path | None = None) -> RunningDemo | None:
    """The demo running from `folder` (default: the demo folder), or None."""
    path = (folder or demo_folder()) / FILE_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        demo = RunningDemo(str(data["url"]), Path(str(data["store"])), int(data["pid"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return demo if demo.url and _alive(demo.pid) else None


def for_store(store: Path) -> RunningDemo | None:
    """The running demo whose store is `store` (its folder holds the demo's running.json)."""
    demo = find(store.expanduser().parent)
    if demo is None:
        return None
    try:
        same = demo.store.resolve() == store.expanduser().resolve()
    except OSError:
        same = False
    return demo if same else None
