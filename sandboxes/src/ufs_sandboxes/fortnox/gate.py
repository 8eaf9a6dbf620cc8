"""The ASGI layer in front of the imitated paths (``/3/``, ``/oauth-v1/``): request counters,
fault knobs, Accept/Content-Type checks, bearer authentication, scopes and the rate limit.

``latency_ms`` delays a request before anything else (the window counts it late);
``answer_delay_ms`` delays the start of its answer, after the handler ran: the request counts at
its arrival and only the answer is late, as a round trip over a slow network would make it.

A dropped connection is imitated by starting an answer (a 502 announcing a one-byte body) and
raising ``ConnectionDropped``: uvicorn then closes the socket mid-answer, and an in-process
``httpx.ASGITransport`` client gets the exception itself, which is the ``httpx.RemoteProtocolError``
a real dropped connection raises. (Keep ``raise_app_exceptions`` at its default, True.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ufs_sandboxes.fortnox import errors
from ufs_sandboxes.fortnox.facts import (
    EXPIRED_TOKEN_STATUS,
    FAILED_AUTH_STATUS,
    HEADER_ERROR_STATUS,
    RATE_LIMIT_ERROR_CODE,
)
from ufs_sandboxes.fortnox.faults import Fault
from ufs_sandboxes.fortnox.jsonio import dump_json
from ufs_sandboxes.fortnox.oauth import RESOURCE_SCOPES, Grant
from ufs_sandboxes.fortnox.routes.common import TENANT_SCOPE_KEY

if TYPE_CHECKING:
    from ufs_sandboxes.fortnox.sandbox import FortnoxSandbox

REST_PREFIX = "/3/"
WAREHOUSE_PREFIX = "/api/warehouse/"
"""Fortnox Lager's API: authenticated and rate limited as ``/3/`` is; scope ``warehouse``."""
OAUTH_PREFIX = "/oauth-v1/"
_JSON_TYPES = frozenset({"application/json", "application/*", "*/*"})
_PDF_TYPES = frozenset({"application/pdf", "application/*", "*/*"})
"""What a document PDF (``/preview``) may be asked for as: the spec answers ``application/pdf``."""


class ConnectionDropped(httpx.RemoteProtocolError):
    """The fault knob closed the connection without an answer."""

    def __init__(self) -> None:
        super().__init__("Server disconnected without sending a response.")


class _Rejection(Exception):
    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None):
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or {}


class FortnoxGate:
    def __init__(self, app: ASGIApp, sandbox: FortnoxSandbox) -> None:
        self.app = app
        self.sandbox = sandbox

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(
            (REST_PREFIX, OAUTH_PREFIX, WAREHOUSE_PREFIX)
        ):
            await self.app(scope, receive, send)
            return
        rest = path.startswith((REST_PREFIX, WAREHOUSE_PREFIX))
        status: int | None = None
        tenant_id: int | None = None

        async def send_and_note_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                await self._delay_answer()
            await send(message)

        try:
            await self._inject_faults(rest, send)
            if rest:
                grant = self._authenticate(scope)
                tenant_id = grant.tenant_id
                self._check_rate_limit(grant)
            await self.app(scope, receive, send_and_note_status)
        except _Rejection as rejection:
            await _respond(
                send_and_note_status, rejection.status, rejection.body, rejection.headers
            )
        except ConnectionDropped:
            status = None
            raise
        except Exception:
            status = status or 500
            raise
        finally:
            self.sandbox.counters.record(
                f"{scope['method']} {self._route_template(scope)}", tenant_id, status
            )

    async def _delay_answer(self) -> None:
        """The ``answer_delay_ms`` fault: the answer starts late, its request already counted
        and handled. Awaited, so the server answers other requests meanwhile."""
        delay = self.sandbox.faults.answer_delay_seconds
        if delay > 0:
            await self.sandbox.config.sleep(delay)

    async def _inject_faults(self, rest: bool, send: Send) -> None:
        faults = self.sandbox.faults
        if faults.latency_seconds > 0:
            await self.sandbox.config.sleep(faults.latency_seconds)
        fault = faults.next_fault()
        if fault is None:
            return
        if fault is Fault.DROP:
            await send(
                {
                    "type": "http.response.start",
                    "status": 502,
                    "headers": [(b"content-length", b"1")],
                }
            )
            raise ConnectionDropped()
        status = 503 if fault is Fault.UNAVAILABLE else 500
        message = "Service unavailable" if status == 503 else "Systemfel (system exception)"
        if rest:
            raise _Rejection(status, errors.error_body(errors.SYSTEM_EXCEPTION, message))
        raise _Rejection(status, {"error": "server_error", "error_description": message})

    def _authenticate(self, scope: Scope) -> Grant:
        """Check headers, token and scope; leaves the tenant in the scope for the handlers."""
        headers = {
            key.decode("latin-1"): value.decode("latin-1") for key, value in scope["headers"]
        }
        _check_media_types(scope["method"], headers, scope["path"])
        oauth = self.sandbox.oauth
        authorization = headers.get("authorization", "")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _auth_rejection(
                FAILED_AUTH_STATUS,
                errors.INVALID_TOKEN_OR_SECRET,
                "Kan inte logga in, access-token eller client-secret saknas(2).",
            )
        grant = oauth.lookup_access_token(token.strip())
        tenant = self.sandbox.tenants.get(grant.tenant_id) if grant is not None else None
        if grant is None or tenant is None:
            raise _auth_rejection(FAILED_AUTH_STATUS, errors.INVALID_LOGIN, "Ogiltig inloggning")
        if oauth.is_expired(grant):
            raise _auth_rejection(
                EXPIRED_TOKEN_STATUS, errors.INVALID_LOGIN, "Ogiltig inloggning (token har gått ut)"
            )
        if scope["path"].startswith(WAREHOUSE_PREFIX):
            needed: str | None = "warehouse"
        else:
            segment = scope["path"][len(REST_PREFIX) :].split("/", 1)[0]
            needed = RESOURCE_SCOPES.get(segment)
        if needed is not None and needed not in grant.scopes:
            raise _auth_rejection(403, errors.NO_ACCESS_TO_SCOPE, "Har inte behörighet för scope")
        scope[TENANT_SCOPE_KEY] = tenant
        return grant

    def _check_rate_limit(self, grant: Grant) -> None:
        limiter_key = (grant.tenant_id, grant.client_id)
        now = self.sandbox.clock()
        if not self.sandbox.rate_limiter.try_acquire(limiter_key, now):
            headers_out = {}
            if self.sandbox.config.send_retry_after:
                wait = self.sandbox.rate_limiter.seconds_until_free(limiter_key, now)
                headers_out["Retry-After"] = str(max(1, int(wait + 0.999)))
            body = errors.error_body(RATE_LIMIT_ERROR_CODE, "Too many requests")
            raise _Rejection(429, body, headers_out)

    def _route_template(self, scope: Scope) -> str:
        route = scope.get("route")
        if route is not None:
            return str(route.path)
        partial: str | None = None
        for candidate in self.sandbox.app.router.routes:
            match, _ = candidate.matches(scope)
            if match is Match.FULL:
                return str(getattr(candidate, "path", scope["path"]))
            if match is Match.PARTIAL and partial is None:
                partial = str(getattr(candidate, "path", scope["path"]))
        return partial or str(scope["path"])


def _check_media_types(method: str, headers: dict[str, str], path: str = "") -> None:
    accept = headers.get("accept")
    if accept:
        offered = {part.split(";", 1)[0].strip().lower() for part in accept.split(",")}
        answers = _PDF_TYPES if path.rstrip("/").endswith("/preview") else _JSON_TYPES
        if not offered & answers:
            raise _Rejection(
                HEADER_ERROR_STATUS,
                errors.error_body(errors.INVALID_RESPONSE_TYPE, "Invalid response type"),
            )
    has_body = headers.get("content-length", "0") not in ("", "0") or "transfer-encoding" in headers
    if method in ("POST", "PUT") and has_body:
        content_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if content_type != "application/json":
            raise _Rejection(
                HEADER_ERROR_STATUS,
                errors.error_body(errors.INVALID_CONTENT_TYPE, "Invalid content type"),
            )


def _auth_rejection(status: int, code: int, message: str) -> _Rejection:
    return _Rejection(status, errors.error_body(code, message))


async def _respond(send: Send, status: int, body: dict[str, Any], headers: dict[str, str]) -> None:
    content = dump_json(body)
    raw_headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(content)).encode()),
    ]
    raw_headers.extend((k.lower().encode(), v.encode()) for k, v in headers.items())
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": content})
