"""The process' httpx client for the Fortnox and Upsales APIs, and its transport: aiohttp's
connection pool and C-accelerated HTTP parser behind httpx's client interface.

The clients keep speaking httpx (requests, responses, event hooks, timeouts, respx in tests);
only the wire goes through aiohttp, which costs about a third of the CPU per request of httpx's
own transport on asyncio (measured with the Upsales sandbox in another process: 0.88 → 0.30 ms
per GET at 20 concurrent).

A request may carry a check to run at the last moment before it is written
(:data:`BEFORE_WRITE`, an httpx request extension): once it holds its connection, after any wait
for the pool or for a new connection, and again right before its body (and with it its head,
which aiohttp holds back until then) is written, in the task that writes it. A job's write uses it
(:mod:`upsales_fortnox.integrations.send_check`): a process that was stalled while its request
waited for a connection (its installation another worker's meanwhile) does not send it late.

aiohttp's errors become httpx's by what they say about the request, since that decides
whether a non-repeatable request may be sent again (``_NOT_SENT`` in each client): only a
failure to get a connection (refused, unreachable, a connect or pool timeout) says it never
left; everything after that (the server hanging up, a read timeout, a broken answer) is
ambiguous and maps to an error that does not claim otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Final

import aiohttp
import httpx

__all__ = ["BEFORE_WRITE", "AiohttpTransport", "CookielessClient"]

BEFORE_WRITE: Final = "before_write"
"""The request extension naming a callable (no arguments) run once the request holds its
connection, right before it is written; what it raises leaves the request unsent and is raised
as it is (not as an httpx error)."""


class _NoCookies(httpx.Cookies):
    """Always empty: what an answer sets is dropped."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None

    def set_cookie_header(self, request: httpx.Request) -> None:
        return None


class CookielessClient(httpx.AsyncClient):
    """httpx's client, keeping no cookies: the APIs authenticate each request by its headers,
    and one client serves every tenant, so a cookie one tenant's answer sets must not ride on
    another tenant's requests. (Skipping httpx's cookie handling also spares a URL parse per
    answer.)"""

    @property
    def cookies(self) -> httpx.Cookies:
        return _NoCookies()

    @cookies.setter
    def cookies(self, cookies: object) -> None:
        return None


@contextmanager
def _as_httpx_errors(request: httpx.Request) -> Iterator[None]:
    try:
        yield
    except aiohttp.ConnectionTimeoutError as exc:  # connecting, or waiting for the pool
        raise httpx.ConnectTimeout(str(exc) or "connect timed out", request=request) from exc
    except aiohttp.ClientConnectorError as exc:  # refused, unreachable, DNS, TLS handshake
        raise httpx.ConnectError(str(exc), request=request) from exc
    except aiohttp.SocketTimeoutError as exc:
        raise httpx.ReadTimeout(str(exc) or "read timed out", request=request) from exc
    except (
        aiohttp.ServerDisconnectedError,
        aiohttp.ClientPayloadError,
        aiohttp.ClientResponseError,
    ) as exc:  # hung up after the request, or a broken answer
        raise httpx.RemoteProtocolError(str(exc), request=request) from exc
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise httpx.ReadError(str(exc) or type(exc).__name__, request=request) from exc


class AiohttpTransport(httpx.AsyncBaseTransport):
    """One aiohttp session (its own pool of ``limits.max_connections``), opened on first use.

    The whole answer is read before it is handed back, so its connection is free again at
    once; bodies stay encoded as sent (httpx decodes them), and cookies are neither kept nor
    sent (the APIs authenticate every request by its headers). Nothing is sent twice here: a
    request on a kept connection that the server closed just then fails as ambiguous, and the
    client resends it only if that is safe.
    """

    def __init__(self, limits: httpx.Limits) -> None:
        self._limits = limits
        self._session: aiohttp.ClientSession | None = None
        self._checked_session: aiohttp.ClientSession | None = None
        """The requests carrying :data:`BEFORE_WRITE`, on the same pool: its trace runs the
        check (a trace costs every request it is on some CPU, so the others go without)."""

    def _open_sessions(self) -> tuple[aiohttp.ClientSession, aiohttp.ClientSession]:
        limit = self._limits.max_connections or 0  # 0: no limit, as httpx's None
        keepalive = self._limits.keepalive_expiry
        connector = (
            aiohttp.TCPConnector(limit=limit)  # aiohttp's own keep-alive expiry
            if keepalive is None
            else aiohttp.TCPConnector(limit=limit, keepalive_timeout=keepalive)
        )
        plain = self._session_on(connector, owner=True, traces=[])
        checked = self._session_on(connector, owner=False, traces=[_before_write_trace()])
        return plain, checked

    @staticmethod
    def _session_on(
        connector: aiohttp.BaseConnector, *, owner: bool, traces: list[aiohttp.TraceConfig]
    ) -> aiohttp.ClientSession:
        session = aiohttp.ClientSession(
            connector=connector,
            connector_owner=owner,
            cookie_jar=aiohttp.DummyCookieJar(),
            auto_decompress=False,
            skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding", "Content-Type"),
            trace_configs=traces,
        )
        # aiohttp sends a GET, PUT or DELETE again, unasked, when a kept connection fails under
        # it, even after the server has it: a Fortnox action (PUT .../createinvoice) would run
        # twice, past the pacer. The clients decide what is sent again (the switch has no
        # public name; tests/integrations/test_api_transport.py fails if it stops working).
        session._retry_connection = False
        return session

    def _session_for(self, check: _WriteCheck | None) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session, self._checked_session = self._open_sessions()
        if check is None:
            return self._session
        assert self._checked_session is not None
        return self._checked_session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        before_write = request.extensions.get(BEFORE_WRITE)
        check = None if before_write is None else _WriteCheck(before_write)
        try:
            return await self._send(request, check)
        except httpx.TransportError:
            if check is not None and check.refused is not None:  # aiohttp wrapped it: unsent
                raise check.refused from None
            raise

    async def _send(self, request: httpx.Request, check: _WriteCheck | None) -> httpx.Response:
        session = self._session_for(check)
        timeouts = request.extensions.get("timeout", {})
        body = await request.aread()
        with _as_httpx_errors(request):
            async with session.request(
                request.method,
                str(request.url),
                headers=request.headers.multi_items(),
                data=body or None,
                allow_redirects=False,
                trace_request_ctx=check,
                timeout=aiohttp.ClientTimeout(
                    total=None,
                    connect=_sum(timeouts.get("pool"), timeouts.get("connect")),
                    sock_connect=timeouts.get("connect"),
                    sock_read=timeouts.get("read"),
                ),
            ) as answer:
                content = await answer.read()
                return httpx.Response(
                    answer.status,
                    headers=list(answer.raw_headers),
                    stream=httpx.ByteStream(content),
                    request=request,
                    extensions={"http_version": b"HTTP/1.1"},
                )

    async def aclose(self) -> None:
        if self._checked_session is not None:
            await self._checked_session.close()
        if self._session is not None:
            await self._session.close()


class _WriteCheck:
    """A request's :data:`BEFORE_WRITE` check, and what it raised (aiohttp wraps what is raised
    in the task that writes the body in a connection error)."""

    __slots__ = ("check", "refused")

    def __init__(self, check: Callable[[], None]) -> None:
        self.check = check
        self.refused: Exception | None = None

    def __call__(self) -> None:
        try:
            self.check()
        except Exception as refused:
            self.refused = refused
            raise


def _before_write_trace() -> aiohttp.TraceConfig:
    """Runs a request's :data:`BEFORE_WRITE` check once it holds a connection (taken from the
    pool, or made anew), as its head is put together, and again just before its body is
    written: aiohttp writes a body in a task of its own, which a stalled process may run only
    after the stall, and holds the head back until then. A request without a body is written
    at once after the first. A check that raises leaves the connection unused, and aiohttp
    closes it (the pool makes another). Not on aiohttp's connection events: what those raise
    leaves the connection neither closed nor in the pool, open until it is collected."""

    async def check(
        _session: aiohttp.ClientSession, context: SimpleNamespace, _params: object
    ) -> None:
        write_check: _WriteCheck | None = context.trace_request_ctx
        if write_check is not None:
            write_check()

    trace = aiohttp.TraceConfig()
    trace.on_request_headers_sent.append(check)  # run before the head is buffered
    trace.on_request_chunk_sent.append(check)
    return trace


def _sum(first: float | None, second: float | None) -> float | None:
    """Two timeouts in a row; ``None`` (no limit) wins."""
    return None if first is None or second is None else first + second
