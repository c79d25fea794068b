"""The HTTP transport of the OData client: httpx's own, on a network stream that asks the kernel
less per request.

Why (BENCHMARKS.md, "Push, sixth round"): over loopback the push's event loop spent as much in
system calls as in httpx's Python code, and on this project's machines a system call is dear
(a `getpeername` ~0.1 ms under load). Per request httpcore made:

* ~7 `getpeername` calls: before each request the connection pool asks every idle connection
  whether the server closed it (`is_readable`), and anyio builds its whole table of socket
  attributes — the peer's address included — to hand back the raw socket each time. Here the
  raw socket is kept when the connection is made;
* two `send` calls for a write: h11 hands the request's head and its body over separately, and
  each went out on its own. Here what is written is held until the request's first read (at
  once: httpcore reads the answer right after writing the request) and sent in one call.

Nothing else changes: the same httpcore pool, h11 connection, anyio socket, timeouts and error
mapping; the stream only wraps anyio's (`httpcore.AnyIOBackend`).

The stream's methods take httpcore's `timeout` arguments (its interface), hence `ASYNC109` off.
"""

from __future__ import annotations

import contextlib
import select
import ssl
import typing
import urllib.request

import httpcore
import httpx

_Options = typing.Iterable[typing.Any]


def _readable(sock: typing.Any) -> bool:
    """Whether the server has sent something (or closed the connection) on an idle keep-alive
    connection: httpcore's `is_socket_readable`, on the socket kept at connect."""
    fd = sock.fileno() if sock is not None else -1
    if fd < 0:
        return True   # gone: as if the next read would return the end
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(0))


class _Stream(httpcore.AsyncNetworkStream):
    """anyio's stream with its raw socket kept and a request's writes sent in one call."""

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner
        self._sock = inner.get_extra_info("socket")
        self._held: list[bytes] = []
        self._timeout: float | None = None

    async def _flush(self) -> None:
        if not self._held:
            return
        data = b"".join(self._held) if len(self._held) > 1 else self._held[0]
        self._held = []
        await self._inner.write(data, timeout=self._timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        # held until the first read of the answer (`read`): the request's head and body in one send
        if buffer:
            self._held.append(buffer)
            self._timeout = timeout

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        # as httpcore does when a request's write fails: read the answer anyway (a server may
        # refuse a request with a well-formed answer and close before reading it all)
        with contextlib.suppress(httpcore.WriteError):
            await self._flush()
        return await self._inner.read(max_bytes, timeout=timeout)

    async def aclose(self) -> None:
        self._held = []
        await self._inner.aclose()

    async def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                        timeout: float | None = None) -> httpcore.AsyncNetworkStream:
        await self._flush()
        return _Stream(await self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> typing.Any:
        if info == "is_readable":
            return _readable(self._sock)
        if info == "socket":
            return self._sock
        return self._inner.get_extra_info(info)


class _Backend(httpcore.AsyncNetworkBackend):
    """httpcore's anyio backend, its streams wrapped in `_Stream`."""

    def __init__(self) -> None:
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None,
                          socket_options: _Options | None = None) -> httpcore.AsyncNetworkStream:
        return _Stream(await self._inner.connect_tcp(host, port, timeout=timeout, local_address=local_address,
                                                     socket_options=socket_options))

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: _Options | None = None) -> httpcore.AsyncNetworkStream:
        return _Stream(await self._inner.connect_unix_socket(path, timeout=timeout, socket_options=socket_options))

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def environment_proxies() -> bool:
    """Whether the environment names a proxy for http or https (`HTTP_PROXY`, `HTTPS_PROXY`,
    `ALL_PROXY`, any case): then the OData client keeps httpx's default transport, which is the
    only one httpx routes through those proxies (and past `NO_PROXY`)."""
    proxies = urllib.request.getproxies_environment()
    return any(proxies.get(scheme) for scheme in ("http", "https", "all"))


class Transport(httpx.AsyncHTTPTransport):
    """`httpx.AsyncHTTPTransport` (HTTP/1.1, default limits, no proxy of its own: the client's
    environment proxies are mounted by `httpx.AsyncClient` as before) whose connections use
    `_Stream`. The pool is httpx's own, made again with the network backend httpx does not let
    a caller pass."""

    def __init__(self, verify: ssl.SSLContext | bool = True) -> None:
        # httpx's transport with an SSL context made here (so it is made once, not twice) …
        ssl_context = httpx.create_ssl_context(verify=verify)
        super().__init__(verify=ssl_context)
        # … and its pool made again as httpx makes it (`httpx.Limits()`'s defaults), with the backend
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=5.0)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=True,
            http2=False,
            network_backend=_Backend(),
        )


__all__ = ["Transport", "environment_proxies"]
