"""The process' HTTP transport against a real loopback server: connections are kept and reused,
and one the server hung up on is noticed before a request is sent on it."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpx

from upsales_fortnox.integrations.http_pool import (
    SocketKeepingBackend,
    pooled_transport,
    socket_is_readable,
)

RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"


@dataclass
class LoopbackServer:
    """Answers every request with ``ok``; with ``hang_up`` it closes the connection after each
    answer without saying so in the response (as a server whose keep-alive ran out does)."""

    hang_up: bool = False
    connections: int = 0
    hung_up: asyncio.Event = field(default_factory=asyncio.Event)

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while await reader.readuntil(b"\r\n\r\n"):
                writer.write(RESPONSE)
                await writer.drain()
                if self.hang_up:
                    break
        except asyncio.IncompleteReadError:
            pass
        writer.close()
        await writer.wait_closed()
        self.hung_up.set()


@asynccontextmanager
async def serving(server: LoopbackServer) -> AsyncIterator[str]:
    listener = await asyncio.start_server(server.serve, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        listener.close()
        await listener.wait_closed()


async def test_the_pool_opens_its_connections_through_the_socket_keeping_backend() -> None:
    transport = pooled_transport(httpx.Limits(max_connections=5))
    assert isinstance(transport._pool._network_backend, SocketKeepingBackend)
    await transport.aclose()


async def test_a_kept_connection_serves_request_after_request() -> None:
    server = LoopbackServer()
    async with (
        serving(server) as url,
        httpx.AsyncClient(transport=pooled_transport(httpx.Limits())) as client,
    ):
        answers = [(await client.get(url)).text for _ in range(3)]
    assert answers == ["ok", "ok", "ok"]
    assert server.connections == 1


async def test_a_connection_the_server_hung_up_on_is_replaced_before_the_next_request() -> None:
    server = LoopbackServer(hang_up=True)
    answers = []
    async with (
        serving(server) as url,
        httpx.AsyncClient(transport=pooled_transport(httpx.Limits())) as client,
    ):
        for _ in range(3):
            server.hung_up.clear()
            answers.append((await client.get(url)).text)
            await server.hung_up.wait()
    assert answers == ["ok", "ok", "ok"]
    assert server.connections == 3


def test_a_socket_is_readable_when_data_or_the_peers_hang_up_waits() -> None:
    ours, theirs = socket.socketpair()
    try:
        assert not socket_is_readable(ours)
        theirs.sendall(b"x")
        assert socket_is_readable(ours)
        ours.recv(1)
        theirs.close()
        assert socket_is_readable(ours)
    finally:
        ours.close()
    assert socket_is_readable(ours)  # closed: its connection is dropped
    assert socket_is_readable(None)
