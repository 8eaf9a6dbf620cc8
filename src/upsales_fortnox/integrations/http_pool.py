"""The HTTP transport of the process' clients: httpx's own, with a cheaper look at each socket.

Before each request httpcore's pool asks every pooled connection whether it has expired, and an
idle HTTP/1.1 connection answers by asking its stream whether the socket is readable (a server
that hung up). httpcore's anyio stream finds the socket by building anyio's whole table of
socket attributes (a ``getpeername`` system call among them) on every such question, for every
connection, on every request: with 20 connections kept alive to Fortnox that was half of the
client's CPU per request. :class:`SocketKeepingBackend` wraps httpcore's own backend and keeps
each connection's socket from its opening, so the question costs one ``poll``.
"""

from __future__ import annotations

import select
import socket
import ssl
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

SocketOption = (
    tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]
)


def pooled_transport(limits: httpx.Limits) -> httpx.AsyncHTTPTransport:
    """httpx's transport with its pool's connections opened through
    :class:`SocketKeepingBackend` (everything else, respx's mocking included, unchanged)."""
    transport = httpx.AsyncHTTPTransport(limits=limits)
    pool = transport._pool  # httpx builds its pool without a backend option
    if isinstance(pool, httpcore.AsyncConnectionPool):
        pool._network_backend = SocketKeepingBackend(pool._network_backend)
    return transport


def socket_is_readable(sock: socket.socket | None) -> bool:
    """Data (or the peer's hang-up) waiting on ``sock``; a closed or unknown socket counts as
    readable, so its connection is dropped."""
    if sock is None or sock.fileno() == -1:
        return True
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        return bool(poller.poll(0))
    readable, _, _ = select.select([sock], [], [], 0)  # pragma: no cover - not on Linux
    return bool(readable)


class SocketKeepingStream(httpcore.AsyncNetworkStream):
    """Another backend's stream, answering ``socket`` and ``is_readable`` from the socket it
    kept when the connection opened (or asking the other stream, if it had none to give)."""

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner
        self._socket: socket.socket | None = inner.get_extra_info("socket")

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return SocketKeepingStream(
            await self._inner.start_tls(ssl_context, server_hostname, timeout)
        )

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable" and self._socket is not None:
            return socket_is_readable(self._socket)
        if info == "socket":
            return self._socket
        return self._inner.get_extra_info(info)


class SocketKeepingBackend(httpcore.AsyncNetworkBackend):
    """Opens connections with ``inner`` and hands them out as :class:`SocketKeepingStream`."""

    def __init__(self, inner: httpcore.AsyncNetworkBackend) -> None:
        self._inner = inner

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        return SocketKeepingStream(stream)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return SocketKeepingStream(
            await self._inner.connect_unix_socket(path, timeout, socket_options)
        )

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)
