"""Running the sandbox over real HTTP on loopback with uvicorn.

Why we bind the socket ourselves: `port=0` must yield a real free port that we know *before*
anyone connects (the demo prints it, end-to-end tests build URLs from it), with no race
between "find a free port" and "bind it".
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from dataclasses import dataclass

import uvicorn

from .app import create_app
from .faults import Faults
from .publication import Publication
from .state import SandboxState


def _bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit TCP_NODELAY from the listening socket (Linux). Without it the
    # answer's body, which uvicorn writes after its headers, waits for the client's delayed ACK:
    # every request took 40 ms more over loopback, which a web server in front of 1C (Apache,
    # IIS) does not cost.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def base_url_for(host: str, port: int, base: str) -> str:
    return f"http://{host}:{port}/{base}/odata/standard.odata/"


def serve(state: SandboxState, host: str = "127.0.0.1", port: int = 0, base: str = "demo",
          faults: Faults | None = None, auth: tuple[str, str] | None = None,
          log_level: str = "warning", strict_properties: bool = True,
          ignore_if_match: bool = False, publication: Publication | None = None) -> None:
    """Serve until interrupted; prints the base URL first (flushed, so scripts can read it)."""
    app = create_app(state, base=base, faults=faults, auth=auth, strict_properties=strict_properties,
                     ignore_if_match=ignore_if_match, publication=publication)
    sock = _bind(host, port)
    real_port = sock.getsockname()[1]
    print(base_url_for(host, real_port, base), flush=True)
    config = uvicorn.Config(app, log_level=log_level, lifespan="off", access_log=False)
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
        state.close()


@dataclass
class RunningSandbox:
    """A sandbox served from a daemon thread; `stop()` shuts it down."""

    base_url: str
    port: int
    state: SandboxState
    faults: Faults
    _server: uvicorn.Server
    _thread: threading.Thread
    _sock: socket.socket

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self, timeout: float = 5.0) -> None:
        self._server.should_exit = True
        self._thread.join(timeout)
        if self._thread.is_alive():
            self._server.force_exit = True
            self._thread.join(timeout)
        with contextlib.suppress(OSError):
            self._sock.close()

    def __enter__(self) -> RunningSandbox:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def start_in_thread(state: SandboxState, port: int = 0, base: str = "demo",
                    faults: Faults | None = None, auth: tuple[str, str] | None = None,
                    host: str = "127.0.0.1", timeout: float = 10.0,
                    strict_properties: bool = True, ignore_if_match: bool = False,
                    publication: Publication | None = None) -> RunningSandbox:
    """Start uvicorn in a daemon thread and return once it accepts connections."""
    faults = faults if faults is not None else Faults()
    app = create_app(state, base=base, faults=faults, auth=auth, strict_properties=strict_properties,
                     ignore_if_match=ignore_if_match, publication=publication)
    sock = _bind(host, port)
    real_port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="critical", lifespan="off", access_log=False)
    server = uvicorn.Server(config)

    def run() -> None:
        asyncio.run(server.serve(sockets=[sock]))

    th = threading.Thread(target=run, name=f"sandbox-{real_port}", daemon=True)
    th.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not th.is_alive():
            raise RuntimeError("sandbox server failed to start")
        if time.monotonic() > deadline:
            server.should_exit = True
            raise TimeoutError("sandbox server did not start in time")
        time.sleep(0.01)
    # make sure it really accepts connections
    with socket.create_connection((host, real_port), timeout=timeout):
        pass
    return RunningSandbox(base_url_for(host, real_port, base), real_port, state, faults, server,
                          th, sock)
