"""Fault injection and HTTP Basic auth for the sandbox, as plain ASGI middleware.

Why: the CRM's sync must survive what real 1C publications do under load or misconfiguration
— slow answers, 500s, hangs past the client timeout, a write that commits but whose response
never arrives, an HTML login/error page with status 200. Faults draw from a seeded RNG in a
fixed order per request, so a test that sets `seed` sees the same sequence every run.
"""

from __future__ import annotations

import asyncio
import base64
import json
import random
import threading
import time
from dataclasses import dataclass, field, fields
from typing import Any

WRITE_METHODS = {"POST", "PATCH", "PUT", "DELETE"}

HTML_PAGE = ("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Ошибка</title></head>"
             "<body><h1>Ошибка при выполнении операции с информационной базой</h1>"
             "<p>Ошибка аутентификации или публикация недоступна.</p></body></html>")


try:  # in-process (ASGITransport) clients then see the same error class as over loopback
    from httpx import RemoteProtocolError as _DropBase
except ImportError:  # pragma: no cover - httpx is a project dependency
    _DropBase = Exception  # type: ignore[misc,assignment]


class DroppedResponse(_DropBase):
    """Raised after a committed write so the server closes the connection mid-response.

    Over uvicorn the client gets `httpx.RemoteProtocolError` (incomplete body); through
    `httpx.ASGITransport` the exception itself reaches the client, and it *is* a
    `RemoteProtocolError` too, so retry code is exercised identically."""


@dataclass
class Faults:
    """What to break. Rates are probabilities per request (0..1); `*_next` break the next N
    matching requests deterministically; `only` restricts faults to paths containing it."""

    latency_ms: int = 0
    error_rate: float = 0.0
    hang_rate: float = 0.0
    hang_s: float = 0.0
    drop_rate: float = 0.0
    html_rate: float = 0.0
    error_next: int = 0
    hang_next: int = 0
    drop_next: int = 0
    html_next: int = 0
    only: str = ""
    #: "Entity.Field, …": rows of those entity sets (or registers) come without that field, as
    #: from a base whose rows lack what a profile selects (a renamed or deleted attribute)
    omit: str = ""
    seed: int | None = None
    _rng: random.Random = field(default_factory=random.Random, repr=False, compare=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def configure(self, data: dict[str, Any]) -> None:
        """Apply a JSON config (admin endpoint). Unknown keys are an error; `reset: true`
        first returns everything to defaults."""
        names = {f.name for f in fields(self) if not f.name.startswith("_")}
        if data.get("reset"):
            for f in fields(self):
                if not f.name.startswith("_"):
                    setattr(self, f.name, f.default)
        for k, v in data.items():
            if k == "reset":
                continue
            if k not in names:
                raise ValueError(f"unknown fault setting {k!r}")
            cur = getattr(self, k)
            if k == "seed":
                setattr(self, k, None if v is None else int(v))
            elif k in ("only", "omit"):
                setattr(self, k, str(v))
            elif isinstance(cur, float):
                setattr(self, k, float(v))
            else:
                setattr(self, k, int(v))
        self._rng = random.Random(self.seed)

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if not f.name.startswith("_")}

    def omitted(self, entity: str) -> set[str]:
        """Fields `omit` leaves out of the rows of `entity` (a register by its own name)."""
        base = entity.split("/", 1)[0]
        out = set()
        for item in (s.strip() for s in self.omit.split(",")):
            name, _, fld = item.partition(".")
            if fld and name == base:
                out.add(fld)
        return out

    def active(self) -> bool:
        return bool(self.latency_ms or self.error_rate or self.hang_rate or self.drop_rate
                    or self.html_rate or self.error_next or self.hang_next or self.drop_next
                    or self.html_next)

    def decide(self, method: str, path: str) -> dict[str, bool]:
        """Which faults hit this request. Always draws four numbers, so sequences are stable."""
        with self._lock:
            r = [self._rng.random() for _ in range(4)]
            out = {"error": False, "hang": False, "drop": False, "html": False}
            if self.only and self.only not in path:
                return out
            if self.hang_next > 0:
                self.hang_next -= 1
                out["hang"] = True
            elif r[0] < self.hang_rate:
                out["hang"] = True
            if self.html_next > 0:
                self.html_next -= 1
                out["html"] = True
            elif r[1] < self.html_rate:
                out["html"] = True
            if not out["html"]:
                if self.error_next > 0:
                    self.error_next -= 1
                    out["error"] = True
                elif r[2] < self.error_rate:
                    out["error"] = True
            if not (out["html"] or out["error"]) and method in WRITE_METHODS:
                if self.drop_next > 0:
                    self.drop_next -= 1
                    out["drop"] = True
                elif r[3] < self.drop_rate:
                    out["drop"] = True
            return out


async def _buffered(receive):
    """Read the whole request body now; the returned `receive` replays it."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    replay = [{"type": "http.request", "body": b"".join(chunks), "more_body": False}]

    async def again():
        return replay.pop() if replay else {"type": "http.disconnect"}

    return again


async def _send_simple(send, status: int, body: bytes, ctype: str,
                       extra: list[tuple[bytes, bytes]] | None = None) -> None:
    headers = [(b"content-type", ctype.encode()), (b"content-length", str(len(body)).encode())]
    headers += extra or []
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def is_admin_path(path: str, base: str) -> bool:
    """True for the admin route of `base` only: an exact prefix of the URL path, never a
    substring anywhere (an OData path such as `Balance(Condition='... /__admin__/ ...')` or
    a query string carrying that text is an ordinary OData request)."""
    return path.startswith(f"/{base}/__admin__/")


class FaultMiddleware:
    """Applies `Faults` to OData requests (the admin route of the base is never affected)."""

    def __init__(self, app, faults: Faults, state=None, base: str = "demo"):
        self.app = app
        self.faults = faults
        self.state = state
        self.base = base

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or is_admin_path(scope.get("path", ""), self.base) \
                or not self.faults.active():
            await self.app(scope, receive, send)
            return
        f = self.faults
        if f.latency_ms:
            await asyncio.sleep(f.latency_ms / 1000)
        d = f.decide(scope.get("method", "GET"), scope.get("path", ""))
        if d["hang"] and f.hang_s:
            # Like 1C behind a web server, a hung request is still carried out after the client
            # has given up on it: the body is read first, so a write commits late.
            receive = await _buffered(receive)
            await asyncio.sleep(f.hang_s)
        if d["html"]:
            await _send_simple(send, 200, HTML_PAGE.encode(), "text/html; charset=utf-8")
            return
        if d["error"]:
            body = {"odata.error": {"code": "-1", "message": {
                "lang": "ru", "value": "Произошла внутренняя ошибка OData сервиса. "
                "Дополнительные сведения можно найти в технологическом журнале."}}}
            await _send_simple(send, 500, json.dumps(body, ensure_ascii=False).encode(),
                               "application/json;charset=utf-8")
            return
        if d["drop"]:
            captured: dict[str, Any] = {"start": None, "body": b""}

            async def capture(message):
                if message["type"] == "http.response.start":
                    captured["start"] = message
                elif message["type"] == "http.response.body":
                    captured["body"] += message.get("body", b"")

            await self.app(scope, receive, capture)  # the write is committed here
            start = captured["start"] or {"type": "http.response.start", "status": 200,
                                          "headers": []}
            body = captured["body"]
            headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
            headers.append((b"content-length", str(len(body) + 100).encode()))
            await send({"type": "http.response.start", "status": start["status"],
                        "headers": headers})
            await send({"type": "http.response.body", "body": body[: len(body) // 2],
                        "more_body": True})
            raise DroppedResponse("sandbox fault: response dropped after commit")
        await self.app(scope, receive, send)


class ServerTimingMiddleware:
    """Tells each answer's own time in a standard `Server-Timing: app;dur=<ms>` header: from the
    moment the request reached the app until its headers were sent (the sandbox renders a body
    before its headers, and injected latency counts, as a slow 1C would). The time a request
    waited for the server before that is not in it, so a client comparing its own wall time
    with `dur` sees how much was queueing or its own delay (bench/operators.py)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()

        async def timed(message):
            if message["type"] == "http.response.start":
                dur = (time.perf_counter() - started) * 1000
                message = {**message, "headers": [*message.get("headers", []),
                                                  (b"server-timing", f"app;dur={dur:.3f}".encode())]}
            await send(message)

        await self.app(scope, receive, timed)


class AuthMiddleware:
    """HTTP Basic like a 1C publication: credentials decoded as UTF-8 (Cyrillic logins work).

    When auth is on it guards every request, the admin route (faults) included: no path,
    prefix or query text skips it."""

    def __init__(self, app, auth: tuple[str, str] | None = None):
        self.app = app
        self.auth = auth

    async def __call__(self, scope, receive, send):
        if self.auth is None or scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = b""
        for k, v in scope.get("headers", []):
            if k == b"authorization":
                header = v
        if check_basic(header, self.auth):
            await self.app(scope, receive, send)
            return
        await _send_simple(send, 401, "Ошибка аутентификации пользователя".encode(),
                           "text/plain; charset=utf-8",
                           [(b"www-authenticate", b'Basic realm="1C:Enterprise"')])


def check_basic(header: bytes, auth: tuple[str, str]) -> bool:
    try:
        scheme, _, token = header.decode("latin-1").partition(" ")
        if scheme.lower() != "basic":
            return False
        raw = base64.b64decode(token.strip(), validate=True)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("cp1251")
        user, sep, pwd = text.partition(":")
        return bool(sep) and user == auth[0] and pwd == auth[1]
    except (ValueError, UnicodeDecodeError):
        return False
