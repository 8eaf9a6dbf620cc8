"""The APIs' HTTP transport against a real loopback server: requests and answers arrive as
sent, connections are kept and replaced, and every failure becomes the httpx error that says
truthfully whether the request may have reached the server."""

from __future__ import annotations

import asyncio
import gzip
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpx
import pytest

from upsales_fortnox.integrations.api_transport import (
    BEFORE_WRITE,
    AiohttpTransport,
    CookielessClient,
)
from upsales_fortnox.integrations.fortnox.client import _NOT_SENT_ERRORS
from upsales_fortnox.integrations.upsales.client import _NOT_SENT

LIMITS = httpx.Limits(max_connections=5, max_keepalive_connections=5)


def answer(body: bytes, *headers: str, status: str = "200 OK") -> bytes:
    head = [f"HTTP/1.1 {status}", f"Content-Length: {len(body)}", *headers]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


@dataclass
class Request:
    head: str
    body: bytes

    def header(self, name: str) -> str | None:
        for line in self.head.split("\r\n")[1:]:
            key, _, value = line.partition(":")
            if key.strip().lower() == name.lower():
                return value.strip()
        return None


Reply = Callable[[Request], Awaitable[bytes | None]]


@dataclass
class LoopbackServer:
    """Answers each request with what ``reply`` returns; ``None`` hangs up without an answer.
    With ``hang_up`` it closes the connection after each answer without saying so."""

    reply: Reply
    hang_up: bool = False
    connections: int = 0
    requests: list[Request] = field(default_factory=list)
    hung_up: asyncio.Event = field(default_factory=asyncio.Event)

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = (await reader.readuntil(b"\r\n\r\n")).decode()
                request = Request(head, b"")
                length = int(request.header("Content-Length") or 0)
                request.body = await reader.readexactly(length) if length else b""
                self.requests.append(request)
                reply = await self.reply(request)
                if reply is None:
                    break
                writer.write(reply)
                await writer.drain()
                if self.hang_up:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()
        self.hung_up.set()


async def ok(_request: Request) -> bytes:
    return answer(b"ok", "Content-Type: text/plain")


@asynccontextmanager
async def serving(server: LoopbackServer) -> AsyncIterator[str]:
    listener = await asyncio.start_server(server.serve, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        listener.close()


@asynccontextmanager
async def client(**options: object) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=AiohttpTransport(LIMITS), **options) as http:  # type: ignore[arg-type]
        yield http


async def test_a_request_arrives_as_sent_and_its_answer_comes_back_whole() -> None:
    async def echo(request: Request) -> bytes:
        body = gzip.compress(b'{"seen": "%s"}' % request.body)
        return answer(body, "Content-Type: application/json", "Content-Encoding: gzip")

    server = LoopbackServer(echo)
    async with serving(server) as url, client() as http:
        response = await http.post(
            url + "echo?page=2",
            content=b"faktura",
            headers={"Authorization": "Bearer token-1", "Content-Type": "application/json"},
        )
    assert response.status_code == 200
    assert response.json() == {"seen": "faktura"}  # decoded by httpx from the gzip body
    request = server.requests[0]
    assert request.head.startswith("POST /echo?page=2 HTTP/1.1")
    assert request.body == b"faktura"
    assert request.header("Authorization") == "Bearer token-1"
    assert request.header("Content-Type") == "application/json"
    assert request.header("Content-Length") == "7"


async def test_cookies_a_server_sets_are_never_sent_back_by_the_cookieless_client() -> None:
    async def set_cookie(_request: Request) -> bytes:
        return answer(b"ok", "Set-Cookie: lb=node-7; Path=/")

    server = LoopbackServer(set_cookie)
    async with (
        serving(server) as url,
        CookielessClient(transport=AiohttpTransport(LIMITS)) as http,
    ):
        await http.get(url)
        await http.get(url)
    assert [request.header("Cookie") for request in server.requests] == [None, None]


async def test_a_kept_connection_serves_request_after_request() -> None:
    server = LoopbackServer(ok)
    async with serving(server) as url, client() as http:
        answers = [(await http.get(url)).text for _ in range(3)]
    assert answers == ["ok", "ok", "ok"]
    assert server.connections == 1


async def test_limits_without_a_keep_alive_expiry_still_keep_connections() -> None:
    server = LoopbackServer(ok)
    limits = httpx.Limits(max_connections=5, keepalive_expiry=None)
    async with serving(server) as url, CookielessClient(transport=AiohttpTransport(limits)) as http:
        answers = [(await http.get(url)).text for _ in range(3)]
    assert answers == ["ok", "ok", "ok"]
    assert server.connections == 1


async def until_the_client_sees_its_idle_connections_closed(transport: AiohttpTransport) -> None:
    """Yield to the loop until every idle connection of the pool knows the server closed it
    (the pool then skips it when it hands out a connection)."""
    session = transport._session
    assert session is not None
    idle = session.connector._conns  # type: ignore[union-attr]
    for _ in range(1000):
        if not any(proto.is_connected() for kept in idle.values() for proto, _ in kept):
            return
        await asyncio.sleep(0)
    raise AssertionError("an idle connection never noticed the server had closed it")


async def test_a_connection_the_server_hung_up_on_while_idle_is_replaced() -> None:
    server = LoopbackServer(ok, hang_up=True)
    transport = AiohttpTransport(LIMITS)
    answers = []
    async with serving(server) as url, CookielessClient(transport=transport) as http:
        for _ in range(3):
            server.hung_up.clear()
            answers.append((await http.get(url)).text)
            await server.hung_up.wait()
            await until_the_client_sees_its_idle_connections_closed(transport)
    assert answers == ["ok", "ok", "ok"]
    assert server.connections == 3


@pytest.mark.parametrize("method", ["PUT", "DELETE", "GET"])
async def test_a_request_the_server_hung_up_on_is_not_sent_again_behind_the_clients_back(
    method: str,
) -> None:
    async def answer_then_hang_up(request: Request) -> bytes | None:
        return None if request.head.startswith(method + " /orders") else answer(b"ok")

    server = LoopbackServer(answer_then_hang_up)
    async with serving(server) as url, client() as http:
        assert (await http.get(url + "warm-up")).text == "ok"  # a kept connection now
        with pytest.raises(httpx.TransportError) as raised:
            await http.request(method, url + "orders/7/createinvoice")
    # It reached the server once; whether to send it again is the client's decision.
    assert [request.head.split(" ")[0] for request in server.requests] == ["GET", method]
    assert server.connections == 1
    assert not isinstance(raised.value, _NOT_SENT_ERRORS)


async def test_a_refused_connection_is_an_error_that_says_nothing_was_sent() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    async with client() as http:
        with pytest.raises(httpx.ConnectError) as raised:
            await http.post(f"http://127.0.0.1:{port}/documents", content=b"{}")
    assert isinstance(raised.value, _NOT_SENT_ERRORS)
    assert isinstance(raised.value, _NOT_SENT)


async def test_a_server_that_hangs_up_after_the_request_is_not_taken_for_one_never_reached() -> (
    None
):
    async def hang_up(_request: Request) -> None:
        return None

    server = LoopbackServer(hang_up)
    async with serving(server) as url, client() as http:
        with pytest.raises(httpx.TransportError) as raised:
            await http.post(url + "documents", content=b"{}")
    assert len(server.requests) == 1  # it did arrive: sending it again could make two
    assert not isinstance(raised.value, _NOT_SENT_ERRORS)
    assert not isinstance(raised.value, _NOT_SENT)


async def test_an_answer_slower_than_the_read_timeout_is_a_read_timeout() -> None:
    release = asyncio.Event()

    async def slow(_request: Request) -> bytes:
        await release.wait()
        return answer(b"late")

    server = LoopbackServer(slow)
    async with serving(server) as url, client(timeout=httpx.Timeout(5.0, read=0.05)) as http:
        with pytest.raises(httpx.ReadTimeout) as raised:
            await http.post(url, content=b"{}")
        release.set()
    assert not isinstance(raised.value, _NOT_SENT_ERRORS)


async def test_a_request_waiting_for_a_busy_pool_past_its_timeout_was_never_sent() -> None:
    release = asyncio.Event()
    arrived = asyncio.Event()

    async def slow(_request: Request) -> bytes:
        arrived.set()
        await release.wait()
        return answer(b"ok")

    server = LoopbackServer(slow)
    one_connection = httpx.Limits(max_connections=1)
    timeout = httpx.Timeout(5.0, pool=0.05, connect=0.05)
    async with (
        serving(server) as url,
        httpx.AsyncClient(transport=AiohttpTransport(one_connection), timeout=timeout) as http,
    ):
        first = asyncio.create_task(http.get(url))
        await arrived.wait()  # the one connection is busy
        with pytest.raises(httpx.ConnectTimeout) as raised:
            await http.post(url, content=b"{}")
        release.set()
        assert (await first).text == "ok"
    assert len(server.requests) == 1
    assert isinstance(raised.value, _NOT_SENT_ERRORS)


class LeaseOver(Exception):
    """What a job's check raises once its installation may be another worker's."""


def lease_check(over: asyncio.Event, checked: list[bool]) -> Callable[[], None]:
    def check() -> None:
        checked.append(over.is_set())
        if over.is_set():
            raise LeaseOver

    return check


async def test_a_write_that_waited_for_the_pool_is_checked_again_and_not_sent_once_refused() -> (
    None
):
    release = asyncio.Event()
    arrived = asyncio.Event()

    async def slow_first(request: Request) -> bytes:
        if request.head.startswith("GET"):
            arrived.set()
            await release.wait()
        return answer(b"ok")

    server = LoopbackServer(slow_first)
    over = asyncio.Event()
    checked: list[bool] = []
    async with (
        serving(server) as url,
        httpx.AsyncClient(transport=AiohttpTransport(httpx.Limits(max_connections=1))) as http,
    ):
        first = asyncio.create_task(http.get(url))
        await arrived.wait()  # the one connection is busy: the write waits for it
        write = asyncio.create_task(
            http.post(url, content=b"{}", extensions={BEFORE_WRITE: lease_check(over, checked)})
        )
        await asyncio.sleep(0)
        over.set()  # meanwhile the job's installation became another worker's
        release.set()
        assert (await first).text == "ok"
        with pytest.raises(LeaseOver):
            await write
        assert (await http.get(url)).text == "ok"  # the pool serves the next request
    assert [request.head.split()[0] for request in server.requests] == ["GET", "GET"]
    assert checked == [True]  # checked once it held the connection, after the wait


async def test_a_write_on_a_new_connection_is_checked_before_it_is_written() -> None:
    server = LoopbackServer(ok)
    over = asyncio.Event()
    checked: list[bool] = []
    check = lease_check(over, checked)
    async with serving(server) as url, client() as http:
        sent = await http.post(url, content=b"{}", extensions={BEFORE_WRITE: check})
        over.set()
        async with client() as fresh:  # no kept connection: one is made for the write
            with pytest.raises(LeaseOver):
                await fresh.post(url, content=b"{}", extensions={BEFORE_WRITE: check})
        read = await http.get(url)  # a request without the check is sent as before
    assert (sent.text, read.text) == ("ok", "ok")
    assert [request.head.split()[0] for request in server.requests] == ["POST", "GET"]
    assert checked == [False, False, True]  # the sent one on its connection and at its body


async def test_a_write_whose_check_refuses_just_before_its_body_is_written_is_not_sent() -> None:
    """aiohttp writes a body in a task of its own, after the request got its connection: a
    process stalled in between checks again right before the bytes leave (the head waits for
    the body), and nothing is sent once the check refuses there."""
    server = LoopbackServer(ok)
    calls: list[int] = []

    def refuse_the_second_time() -> None:
        calls.append(len(calls) + 1)
        if len(calls) == 2:
            raise LeaseOver

    async with serving(server) as url, client() as http:
        with pytest.raises(LeaseOver):
            await http.post(url, content=b"{}", extensions={BEFORE_WRITE: refuse_the_second_time})
        assert (await http.get(url)).text == "ok"  # the pool serves the next request
    assert calls == [1, 2]
    assert [request.head.split()[0] for request in server.requests] == ["GET"]


@pytest.mark.parametrize("kept", [True, False], ids=["kept connection", "new connection"])
async def test_the_connection_a_refused_write_held_is_closed_not_left_open(kept: bool) -> None:
    """A write refused by its check right after it got its connection leaves no socket open
    behind it (one left to the garbage collector stays open for the server, outside the pool,
    and ends as an unclosed-transport warning)."""
    server = LoopbackServer(ok)
    over = asyncio.Event()
    over.set()
    refuse = lease_check(over, [])
    async with serving(server) as url, client() as http:
        if kept:
            assert (await http.get(url)).text == "ok"  # a kept connection now
        with pytest.raises(LeaseOver):
            await http.put(url + "orders/7/createinvoice", extensions={BEFORE_WRITE: refuse})
        await asyncio.wait_for(server.hung_up.wait(), timeout=5)  # the client closed it
        assert (await http.get(url)).text == "ok"  # and the pool serves the next request
    assert server.connections == 2
    assert [request.head.split()[0] for request in server.requests] == ["GET"] * (1 + kept)
