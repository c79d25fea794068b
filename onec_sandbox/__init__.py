"""onec_sandbox: a bundled 1C OData endpoint (the "other side" of sync) that speaks КА 1.1,
УТ 11.5 or БП 3.0 (`--config ka1|ut11|bp3`; see `onec_sandbox.configs`).

A package of its own, beside tui_crm and installed by the `sandbox` extra
(`pip install 'tui-crm[sandbox]'`, which brings starlette and uvicorn). It imports nothing of
tui_crm, so tests running our client against it check both sides for real.
Entry points: `create_app` (ASGI), `SandboxState` (data), `start_in_thread` / `serve`
(uvicorn on loopback), `cli` (`tui-crm sandbox …`, also `onec-sandbox …` and
`python -m onec_sandbox …`).

CLI:
  tui-crm sandbox serve [--config ka1|ut11|bp3] [--port N] [--base NAME] [--data FILE | --memory] [--reset]
                        [--products N --warehouses N --seed N] [--hostile]
                        [--user U --password P] [--ignore-unknown-properties]
                        [--latency-ms MS] [--error-rate R] [--hang S [--hang-rate R]]
                        [--drop-rate R] [--html-rate R] [--fault-seed N]
  tui-crm sandbox seed [--config NAME] --data FILE --products N --warehouses N [--seed N] [--hostile]
  tui-crm sandbox orders|post|unpost|pay|ship|price|receive --url BASE_URL [--user U --password P]
                        [--config NAME]   (default: recognised from the server)

Query strings must encode spaces as %20 (a '+' is a literal plus, like in 1C).
"""

from __future__ import annotations

from .faults import Faults
from .state import SandboxState

__all__ = ["Faults", "SandboxState", "create_app", "serve", "start_in_thread"]


def __getattr__(name: str):
    # starlette and uvicorn are imported lazily: the data and the CLI's parser need neither, so
    # `onec-sandbox` can say how to install them; in-process tests need only the ASGI app
    if name == "create_app":
        from .app import create_app
        return create_app
    if name in ("start_in_thread", "serve", "RunningSandbox"):
        from . import server
        return getattr(server, name)
    raise AttributeError(name)
