"""The OData client's transport (`tui_crm/sync/odata/transport.py`): httpx's own, on a stream that
sends a request's head and body in one call and asks an idle connection whether the server
closed it on the socket kept at connect. Against real sockets on loopback."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import httpcore
import pytest

from tests.sync.loopback import Answer, Seen, loopback
from tui_crm.sync.odata import ODataClient
from tui_crm.sync.odata.transport import Transport, _Stream


class _Inner(httpcore.AsyncNetworkStream):
    """The stream below ours (anyio's in the product): what reaches it, call by call."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:  # noqa: ASYNC109
        return b"answer"

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:  # noqa: ASYNC109
        self.writes.append(buffer)

    async def aclose(self) -> None:
        pass


async def test_a_requests_writes_reach_the_socket_in_one_call_before_its_first_read() -> None:
    inner = _Inner()
    stream = _Stream(inner)
    await stream.write(b"POST / HTTP/1.1\r\nContent-Length: 4\r\n\r\n")
    await stream.write(b"body")
    await stream.write(b"")   # h11's end of a body with a length
    assert inner.writes == []
    assert await stream.read(100) == b"answer"
    assert inner.writes == [b"POST / HTTP/1.1\r\nContent-Length: 4\r\n\r\nbody"]
    assert await stream.read(100) == b"answer"   # nothing held: nothing written again
    assert len(inner.writes) == 1


@contextmanager
def _one_answer_per_connection() -> Iterator[tuple[str, list[bytes], threading.Event]]:
    """A server that answers one request per connection as HTTP/1.1 keep-alive, then closes the
    connection without saying so (as a web server whose keep-alive timeout is shorter than the
    client's does): a client must see the close and not write its next request there."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    got: list[bytes] = []
    stop = threading.Event()
    closed = threading.Event()   # set while no connection is open: the test's next request waits for it
    closed.set()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except OSError:
                return
            with conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                head, _, body = data.partition(b"\r\n\r\n")
                length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                while len(body) < length:
                    body += conn.recv(65536)
                got.append(body)
                answer = b'{"Ref_Key": "00000000-0000-0000-0000-000000000001"}'
                conn.sendall(b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n"
                             b"Content-Length: " + str(len(answer)).encode() + b"\r\n\r\n" + answer)
            closed.set()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{srv.getsockname()[1]}/base/odata/standard.odata/", got, closed
    finally:
        stop.set()
        srv.close()
        thread.join(5)


async def test_a_connection_the_server_closed_is_not_used_for_the_next_write() -> None:
    """Writes are not retried (1C writes are not idempotent): the second POST must go on a new
    connection, which needs the idle connection's close seen on its kept socket."""
    with _one_answer_per_connection() as (url, got, closed):
        client = ODataClient(url, retries=0)
        try:
            for n in range(3):
                # the server has closed the last connection before the next request goes out (an
                # event, not a delay: without it the request could race the close)
                assert await asyncio.to_thread(closed.wait, 10)
                closed.clear()
                await client.create("Catalog_Контрагенты", {"Ref_Key": f"0000000{n}", "Description": f"№{n}"})
        finally:
            await client.aclose()
    assert len(got) == 3 and all(b"Description" in body for body in got)


async def test_the_clients_own_requests_go_through_the_transport_stream() -> None:
    def serve(seen: Seen) -> Answer:
        return Answer(body=b'{"value": []}')

    with loopback(serve) as lb:
        client = ODataClient(lb.url)
        try:
            assert isinstance(client._http._transport, Transport)
            response = await client._http.get("Catalog_Контрагенты?$format=json")
            assert isinstance(response.extensions["network_stream"], _Stream)
            assert await client.get_entity("Catalog_Контрагенты", "00000000-0000-0000-0000-000000000001") is not None
        finally:
            await client.aclose()
    assert lb.seen[0].path == "Catalog_Контрагенты" and len(lb.seen) == 2


async def test_a_proxy_named_by_the_environment_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    """HTTP_PROXY set (a company's way out to its 1C): the requests go through it, as with httpx's
    default transport. httpx applies environment proxies only to a client made without a transport
    of its own, so the client keeps httpx's then. The 1C host here does not resolve: only through
    the proxy can the request be answered."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    lines: list[bytes] = []

    def proxy() -> None:
        conn, _ = srv.accept()
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                data += chunk
            lines.append(data.split(b"\r\n", 1)[0])
            body = b'{"value": []}'
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
                         b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)

    thread = threading.Thread(target=proxy, daemon=True)
    thread.start()
    for name in ("NO_PROXY", "no_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{srv.getsockname()[1]}")
    client = ODataClient("http://onec.invalid/base/odata/standard.odata/", retries=0)
    try:
        assert not isinstance(client._http._transport, Transport)
        await client.get_entity("Catalog_Контрагенты", "00000000-0000-0000-0000-000000000001")
    finally:
        await client.aclose()
        srv.close()
        thread.join(5)
    assert lines and lines[0].startswith(b"GET http://onec.invalid/base/odata/standard.odata/Catalog_")
