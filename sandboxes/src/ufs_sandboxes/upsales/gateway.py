"""What happens to every ``/api/v2/`` request before and after its handler: API-key check,
rate limit, fault injection, rate-limit headers and request counters."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import parse_qsl

import httpx
from starlette.routing import compile_path
from starlette.types import Message, Receive, Scope, Send

from ufs_sandboxes.upsales.errors import error_body
from ufs_sandboxes.upsales.faults import Fault
from ufs_sandboxes.upsales.jsonio import encode_json
from ufs_sandboxes.upsales.ratelimit import RateLimitDecision

if TYPE_CHECKING:
    from ufs_sandboxes.upsales.sandbox import UpsalesSandbox

API_PREFIX: Final = "/api/v2/"
AUTH_SCOPE_KEY: Final = "upsales_sandbox.auth"
"""Scope key under which the handler finds the caller's :class:`AuthContext`."""
UNMATCHED_ROUTE: Final = "<unmatched>"

NextApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class UpsalesSandboxConnectionDropped(httpx.RemoteProtocolError):
    """Raised for a request the ``drop_next`` fault drops.

    In process (``httpx.ASGITransport``) the client sees this exception instead of a response,
    as it would see a ``RemoteProtocolError`` from a connection closed by the server. Under
    uvicorn the connection is also closed before uvicorn could write its own 500 answer.
    """


def _token_from(scope: Scope) -> str | None:
    """The API key from ``?token=`` or, failing that, from ``Cookie: token=``."""
    query: bytes = scope.get("query_string", b"")
    if b"token=" in query:
        for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
            if name == "token" and value:
                return value
    for header, value in scope.get("headers", ()):
        if header == b"cookie":
            cookies: str = value.decode("latin-1")
            for part in cookies.split(";"):
                name, sep, token = part.strip().partition("=")
                if sep and name == "token" and token:
                    return token.strip('"')
    return None


def _close_server_connection(send: Send) -> None:
    """Close the client's connection without an answer, when the server lets us reach it.

    Under uvicorn ``send`` is a method of the request cycle, which holds the socket transport.
    """
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    close = getattr(transport, "close", None)
    if callable(close):
        close()


async def _send_json(
    send: Send, status: int, body: Any, headers: list[tuple[bytes, bytes]]
) -> None:
    content = encode_json(body)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(content)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": content})


class Gateway:
    def __init__(self, sandbox: UpsalesSandbox, route_paths: Iterable[str]) -> None:
        self.sandbox = sandbox
        self._templates: list[tuple[re.Pattern[str], str]] = [
            (compile_path(path)[0], path) for path in dict.fromkeys(route_paths)
        ]

    def _route_template(self, scope: Scope) -> str:
        """``"GET /api/v2/accounts/{id}"``: the method and the path template the request hits."""
        path = scope["path"]
        template = next((t for regex, t in self._templates if regex.match(path)), UNMATCHED_ROUTE)
        return f"{scope['method']} {template}"

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: NextApp) -> None:
        sandbox = self.sandbox
        counters = sandbox.counters
        api_key = _token_from(scope)
        auth = sandbox.authenticate(api_key) if api_key else None
        if auth is None:
            msg = "A valid API key is required (token query parameter or cookie)"
            await _send_json(
                send, 401, error_body(401, msg), sandbox.rate_limiter.unmetered().headers()
            )
            counters.record(
                api_key=None, customer_id=None, route=self._route_template(scope), status=401
            )
            return
        customer_id = auth.customer.id
        decision = sandbox.rate_limiter.hit(auth.api_key, sandbox.config.clock())
        if not decision.allowed:
            msg = "Too many requests; the budget renews when X-RateLimit-Reset reaches 0"
            await _send_json(send, 429, error_body(429, msg), decision.headers())
            counters.record(
                api_key=auth.api_key,
                customer_id=customer_id,
                route=self._route_template(scope),
                status=429,
            )
            return
        fault = sandbox.fault_injector.next_fault()
        latency_ms = sandbox.fault_injector.settings.latency_ms
        if latency_ms:
            await sandbox.config.sleep(latency_ms / 1000)
        if fault is not Fault.NONE:
            await self._answer_fault(fault, scope, send, auth.api_key, customer_id, decision)
            return
        scope[AUTH_SCOPE_KEY] = auth
        await self._call_handler(
            scope, receive, send, next_app, auth.api_key, customer_id, decision
        )

    async def _answer_fault(
        self,
        fault: Fault,
        scope: Scope,
        send: Send,
        api_key: str,
        customer_id: int,
        decision: RateLimitDecision,
    ) -> None:
        route = self._route_template(scope)
        counters = self.sandbox.counters
        if fault is Fault.DROP:
            counters.record(api_key=api_key, customer_id=customer_id, route=route, status="dropped")
            _close_server_connection(send)
            raise UpsalesSandboxConnectionDropped("Server disconnected without sending a response.")
        status = 503 if fault is Fault.UNAVAILABLE else 500
        msg = "Service temporarily unavailable" if status == 503 else "Internal server error"
        await _send_json(send, status, error_body(status, msg), decision.headers())
        counters.record(api_key=api_key, customer_id=customer_id, route=route, status=status)

    async def _call_handler(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        next_app: NextApp,
        api_key: str,
        customer_id: int,
        decision: RateLimitDecision,
    ) -> None:
        status = 500
        extra_headers = decision.headers()

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", ()), *extra_headers]}
            await send(message)

        try:
            await next_app(scope, receive, send_with_headers)
        finally:
            self.sandbox.counters.record(
                api_key=api_key,
                customer_id=customer_id,
                route=self._route_template(scope),
                status=status,
            )
