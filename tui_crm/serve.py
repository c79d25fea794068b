"""`tui-crm serve`: the same CRM in a web browser, for operators who cannot use a terminal.

textual-serve runs a small web server (aiohttp). Each browser tab that connects gets its own
`tui-crm run` process, drawn by Textual's web driver instead of a terminal and fed the tab's keys
and size over a websocket. So a tab *is* the terminal app: same screens, keys, config, store and
accounting settings. What follows from that:

- **One tab at a time per CRM data file.** The TUI owns its file while it runs (DuckDB locks it,
  docs/architecture.md §4); a second tab, or a terminal `tui-crm` on the same file, gets a page
  that says so in words (`explain_in_browser`) instead of a blank screen.
- **No login.** Whoever reaches the port works as the OS user that runs `serve`. It listens on
  the loopback address unless told otherwise; any other address exposes the CRM to the network
  without a password unless a proxy in front of it asks for one (README, "In a browser").

The page is ours (`web/app_index.html`): relative URLs, so it works behind a proxy and on any
address the server is reached by, and no font or script from the internet (operators' networks
are often closed); textual-serve's script and fonts are served from its own package.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import gc
import ipaddress
import logging
import shlex
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from tui_crm.i18n import register, tr

if TYPE_CHECKING:
    from textual.app import App

PAGE_DIR = Path(__file__).parent / "web"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000

register({
    "web.connecting": {"en": "Starting tui-crm…", "ru": "Запуск tui-crm…"},
    "web.ended": {"en": "The session has ended.", "ru": "Сеанс завершён."},
    "web.reconnect": {"en": "Open again", "ru": "Открыть снова"},
    "web.no_script": {
        "en": "tui-crm in a browser needs JavaScript.",
        "ru": "Для tui-crm в браузере нужен JavaScript.",
    },
    "web.cannot_start": {"en": "tui-crm cannot start:", "ru": "tui-crm не может запуститься:"},
    "web.close_hint": {
        "en": "Press Enter to end this session. If the CRM is open in another tab, use that one; "
              "otherwise fix the cause and open this page again.",
        "ru": "Нажмите Enter, чтобы завершить сеанс. Если CRM открыта в другой вкладке, работайте в ней; "
              "иначе устраните причину и откройте эту страницу снова.",
    },
    # what `tui-crm serve` says in the shell
    "serve.exposed": {
        "en": "tui-crm serve: WARNING: listening on {host}: anyone who can reach this address and port uses the "
              "CRM as you, with no password. Put it behind a proxy that asks for one (README, \"In a browser\"), "
              "or use the default --host 127.0.0.1.",
        "ru": "tui-crm serve: ВНИМАНИЕ: приём на {host}: любой, кто достанет до этого адреса и порта, работает "
              "в CRM от вашего имени, без пароля. Поставьте перед ней прокси, который спрашивает пароль (README, "
              "«In a browser»), или оставьте --host 127.0.0.1 по умолчанию."},
    "serve.bad_port": {"en": "tui-crm serve: --port {port} is not a port number (1-65535)",
                       "ru": "tui-crm serve: --port {port} — не номер порта (1-65535)"},
    "serve.bad_host": {"en": "tui-crm serve: --host {host} is not an address of this machine (try 127.0.0.1, "
                             "the default)",
                       "ru": "tui-crm serve: --host {host} — не адрес этой машины (попробуйте 127.0.0.1, "
                             "по умолчанию)"},
    "serve.port_busy": {"en": "tui-crm serve: port {port} on {host} is already in use (another tui-crm serve, or "
                              "another program); choose another with --port",
                        "ru": "tui-crm serve: порт {port} на {host} уже занят (другой tui-crm serve или другая "
                              "программа); выберите другой через --port"},
    "serve.port_denied": {"en": "tui-crm serve: not allowed to listen on port {port}; ports below 1024 need root: "
                                "use --port 8000",
                          "ru": "tui-crm serve: нет прав слушать порт {port}; порты ниже 1024 только для root: "
                                "укажите --port 8000"},
    "serve.cannot_listen": {"en": "tui-crm serve: cannot listen on {host} port {port}: {error}",
                            "ru": "tui-crm serve: не слушать {host}, порт {port}: {error}"},
    "serve.no_textual_serve": {
        "en": "tui-crm serve: textual-serve is not installed ({error}); reinstall tui-crm (pip install tui-crm, "
              "or `make install` in a checkout)",
        "ru": "tui-crm serve: textual-serve не установлен ({error}); переустановите tui-crm (pip install "
              "tui-crm или `make install` в копии исходников)"},
    "serve.open": {"en": "tui-crm serve: open {url} in a browser (Ctrl+C stops the server)",
                   "ru": "tui-crm serve: откройте {url} в браузере (Ctrl+C останавливает сервер)"},
})


class ServeError(Exception):
    """The server cannot start; the message is for the operator, in plain words."""


def is_loopback(host: str) -> bool:
    """True for an address only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def exposure_warning(host: str) -> str | None:
    """What to say when `--host` lets other machines in (None for loopback)."""
    if is_loopback(host):
        return None
    return tr("serve.exposed", host=host)


def page_url(host: str, port: int) -> str:
    """The address to open in a browser on this machine."""
    shown = host
    if host in ("0.0.0.0", ""):
        shown = "127.0.0.1"
    elif host == "::":
        shown = "::1"
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


def check_can_listen(host: str, port: int) -> None:
    """Bind and release the address once, so a busy port or a wrong host is a plain message.

    The web server binds again right after; a port taken in between still ends in `serve`'s
    plain message (`_bind_error`), never in a traceback.
    """
    if not 1 <= port <= 65535:
        raise ServeError(tr("serve.bad_port", port=port))
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError):
        raise ServeError(tr("serve.bad_host", host=repr(host))) from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the web server does
        try:
            sock.bind(address)
        except OSError as exc:
            raise ServeError(_bind_error(host, port, exc)) from None


def _bind_error(host: str, port: int, exc: OSError) -> str:
    if exc.errno == errno.EADDRINUSE:
        return tr("serve.port_busy", port=port, host=host)
    if exc.errno == errno.EACCES:
        return tr("serve.port_denied", port=port)
    if exc.errno == errno.EADDRNOTAVAIL:
        return tr("serve.bad_host", host=host)
    return tr("serve.cannot_listen", host=host, port=port, error=exc.strerror or exc)


def child_command(run_args: list[str]) -> str:
    """The shell command textual-serve starts for each browser tab: this Python, `tui-crm run`."""
    return shlex.join([sys.executable, "-m", "tui_crm", "run", "--in-browser", *run_args])


def serve(command: str, *, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> int:
    """Serve the CRM until Ctrl+C (or SIGTERM); 2 when the server cannot start.

    Call `check_can_listen` first (before starting anything else, such as the demo's sandbox).
    """
    try:
        from textual_serve.app_service import AppService
        from textual_serve.server import Server, to_int
    except ImportError as exc:
        print(tr("serve.no_textual_serve", error=exc), file=sys.stderr)
        return 2
    import aiohttp_jinja2
    from aiohttp import web

    class Tab(AppService):
        """One browser tab's `tui-crm run`, always waited for (and killed if it will not quit)."""

        async def end(self, grace: float = 10.0) -> None:
            process = self._process
            if process is None:
                return
            if process.returncode is None and self._task is not None and not self._task.done():
                await self.send_meta({"type": "quit"})
            try:
                await asyncio.wait_for(process.wait(), grace)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
            if self._task is not None:  # its output read to the end (bounded: a grandchild may hold it)
                with contextlib.suppress(TimeoutError):  # wait_for has cancelled the reader
                    await asyncio.wait_for(self._task, grace)
            if process.stdin is not None and not process.stdin.is_closing():
                process.stdin.close()

    tabs: set[Tab] = set()
    warning = exposure_warning(host)
    if warning:
        print(warning, file=sys.stderr, flush=True)
    url = page_url(host, port)

    class CrmWebServer(Server):
        """textual-serve's server with our page, plain start-up words, and tabs that end cleanly."""

        def initialize_logging(self) -> None:
            # textual-serve's own log (a tab's app that could not start, its stderr): plain lines
            # on stderr, or the log file already set up (`serve --demo`)
            if not logging.getLogger().handlers:
                logging.basicConfig(level=logging.WARNING, format="tui-crm serve: %(message)s", stream=sys.stderr)

        async def on_startup(self, app: web.Application) -> None:
            print(tr("serve.open", url=url), flush=True)

        async def on_shutdown(self, app: web.Application) -> None:
            # Ctrl+C: every open tab's `tui-crm run` quits (it saves nothing half-way: the same
            # as closing the tab) and is waited for while the event loop still runs
            await asyncio.gather(*(tab.end() for tab in list(tabs)))
            gc.collect()  # what a tab left in reference cycles is finalised now, not after the loop

        async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
            # textual-serve's own handler never waits for the tab's process, so its pipes were
            # closed by the garbage collector after the loop had stopped: a traceback on Ctrl+C
            websocket = web.WebSocketResponse(heartbeat=15)
            width = to_int(request.query.get("width", "80"), 80)
            height = to_int(request.query.get("height", "24"), 24)
            await websocket.prepare(request)

            async def close() -> None:  # AppService wants no answer; aiohttp's close returns one
                await websocket.close()

            tab = Tab(self.command, write_bytes=websocket.send_bytes, write_str=websocket.send_str,
                      close=close, download_manager=self.download_manager, debug=self.debug)
            tabs.add(tab)
            try:
                await tab.start(width, height)
                await self._process_messages(websocket, tab)
            except (OSError, ValueError, LookupError, TypeError, AssertionError) as exc:
                # a tab that went away, a garbled message from a page: a line, not a traceback
                logging.getLogger(__name__).warning("a browser tab ended: %s", exc or type(exc).__name__)
            finally:
                try:
                    await asyncio.shield(tab.end())
                finally:
                    tabs.discard(tab)
                    if not websocket.closed:
                        await websocket.close()
            return websocket

        @aiohttp_jinja2.template("app_index.html")
        async def handle_index(self, request: web.Request) -> dict[str, Any]:
            return {
                "font_size": max(8, min(48, to_int(request.query.get("fontsize", "16"), 16))),
                "text": {key: tr(f"web.{key}") for key in ("connecting", "ended", "reconnect", "no_script")},
            }

    server = CrmWebServer(command, host=host, port=port, title="tui-crm", public_url=url.rstrip("/"),
                          templates_path=PAGE_DIR)
    try:
        server.serve()
    except OSError as exc:  # the port was taken between the check and the bind
        print(_bind_error(host, port, exc), file=sys.stderr)
        return 2
    return 0


def explain_in_browser(message: str) -> int:
    """`tui-crm run --in-browser` could not start the CRM: say why on the page, not in a log.

    Without this the tab would wait on "Starting…" for ever (the reason only in the server's
    output). Enter (or Esc, q) ends the session.
    """
    print(message, file=sys.stderr)
    start_failed_app(message).run()
    return 2


def start_failed_app(message: str) -> App[None]:
    """The one-panel app that shows why the CRM cannot start (the message as plain text)."""
    from textual.app import App, ComposeResult
    from textual.binding import Binding, BindingType
    from textual.widgets import Static

    from tui_crm.widgets.text import clean

    class StartFailed(App[None]):
        CSS_PATH = PAGE_DIR / "start_failed.tcss"
        BINDINGS: ClassVar[list[BindingType]] = [Binding("enter,escape,q", "quit", show=False, id="start-failed.close")]

        def compose(self) -> ComposeResult:
            why = clean(message.removeprefix("tui-crm: "), one_line=False)
            yield Static(f"{tr('web.cannot_start')}\n\n{why}\n\n{tr('web.close_hint')}", id="why", markup=False)

    return StartFailed()
