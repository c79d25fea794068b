"""A tiny real HTTP server on 127.0.0.1 for tests that replay recorded 1C answers.

Why: the recorded bodies in ``tests/fixtures/onec/`` must go through the whole client (socket,
httpx, streaming, JSON) exactly as they came from 1C; the sandbox would re-render them. Each test
gives a function from the request (method, decoded path, query) to the answer (status, content
type, body bytes); every request is recorded for assertions.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote


@dataclass(frozen=True)
class Seen:
    method: str
    path: str                 # decoded, after the publication's base
    query: dict[str, str]     # decoded
    headers: dict[str, str]


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json;odata=minimalmetadata;charset=utf-8"
    chunks: int = 1           # >1: sent with chunked transfer encoding in that many pieces


Serve = Callable[[Seen], Answer]
PREFIX = "/base/odata/standard.odata/"


@dataclass
class Loopback:
    url: str
    seen: list[Seen] = field(default_factory=list)


@contextmanager
def loopback(serve: Serve) -> Iterator[Loopback]:
    """Run ``serve`` behind a real socket; yields the base URL and the requests seen."""
    box = Loopback("")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _handle(self) -> None:
            raw_path, _, raw_query = self.path.partition("?")
            path = unquote(raw_path)
            path = path[len(PREFIX):] if path.startswith(PREFIX) else path
            query: dict[str, str] = {}
            for part in raw_query.split("&"):
                if part:
                    k, _, v = part.partition("=")
                    query[unquote(k)] = unquote(v)
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            seen = Seen(self.command, path, query, {k.lower(): v for k, v in self.headers.items()})
            box.seen.append(seen)
            answer = serve(seen)
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.content_type)
            if answer.chunks > 1:
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                size = max(1, len(answer.body) // answer.chunks + 1)
                for i in range(0, len(answer.body), size):
                    piece = answer.body[i:i + size]
                    try:
                        self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                    except OSError:
                        return     # the client stopped reading (a body over its cap)
                self.wfile.write(b"0\r\n\r\n")
            else:
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

        do_GET = do_POST = do_PATCH = do_DELETE = _handle

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    box.url = f"http://127.0.0.1:{server.server_address[1]}{PREFIX}"
    try:
        yield box
    finally:
        server.shutdown()
        server.server_close()
