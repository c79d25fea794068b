"""tui_crm.sandbox: a bundled 1C КА 1.1 OData endpoint (the "other side" of sync).

It imports nothing from tui_crm.sync or tui_crm.store, so tests running our client against it
check both sides for real. Entry points: `create_app` (ASGI), `SandboxState` (data),
`start_in_thread` / `serve` (uvicorn on loopback), `cli` (`tui-crm sandbox …`).
"""

from __future__ import annotations

from .app import create_app
from .faults import Faults
from .state import SandboxState

__all__ = ["create_app", "Faults", "SandboxState", "start_in_thread", "serve"]


def __getattr__(name: str):
    # uvicorn is imported lazily: in-process tests need only the ASGI app
    if name in ("start_in_thread", "serve", "RunningSandbox"):
        from . import server
        return getattr(server, name)
    raise AttributeError(name)
