"""The FastAPI app of a sandbox: imitated REST, OAuth2 and WebSocket paths plus the admin API."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI, Request, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from ufs_sandboxes.fortnox import errors
from ufs_sandboxes.fortnox.gate import REST_PREFIX, FortnoxGate
from ufs_sandboxes.fortnox.marker import SandboxMarker
from ufs_sandboxes.fortnox.routes.admin import (
    AdminError,
    add_admin_routes,
    admin_error_response,
)
from ufs_sandboxes.fortnox.routes.common import json_response
from ufs_sandboxes.fortnox.routes.oauth import add_oauth_routes
from ufs_sandboxes.fortnox.routes.rest import add_rest_routes
from ufs_sandboxes.fortnox.routes.stream import add_stream_route

if TYPE_CHECKING:
    from ufs_sandboxes.fortnox.sandbox import FortnoxSandbox


def build_app(sandbox: FortnoxSandbox) -> FastAPI:
    app = FastAPI(
        title="Fortnox sandbox",
        description=(
            "An in-memory imitation of the Fortnox REST API v3 (`/3/`), its OAuth2 endpoints "
            "(`/oauth-v1/`) and WebSocket change stream (`/topics-v1`), plus an admin API "
            "(`/_sandbox/`)."
        ),
        version="1",
    )
    add_rest_routes(app.router)
    add_oauth_routes(app.router, sandbox)
    add_stream_route(app.router, sandbox)
    add_admin_routes(app.router, sandbox)
    app.add_middleware(FortnoxGate, sandbox=sandbox)
    app.add_middleware(SandboxMarker)

    async def fortnox_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, errors.FortnoxError)
        return json_response(exc.body(), status_code=exc.status)

    async def admin_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, AdminError)
        return admin_error_response(exc)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if request.url.path.startswith(REST_PREFIX):
            # A path or method the API does not have: 404, as for an unknown resource.
            status = 404 if exc.status_code in (404, 405) else exc.status_code
            code = errors.NO_VALID_IDENTIFIER if status == 404 else errors.INVALID_PARAMETER
            body = errors.error_body(code, str(exc.detail))
            return json_response(body, status_code=status)
        return json_response({"detail": exc.detail}, status_code=exc.status_code)

    app.add_exception_handler(errors.FortnoxError, fortnox_error)
    app.add_exception_handler(AdminError, admin_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    return app
