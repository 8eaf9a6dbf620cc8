"""The sandbox's ASGI app: the imitated API, its gateway and the admin API."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from ufs_sandboxes.upsales.admin import build_admin_router
from ufs_sandboxes.upsales.api_routes import build_api_routes
from ufs_sandboxes.upsales.errors import UpsalesApiError, error_body
from ufs_sandboxes.upsales.gateway import API_PREFIX, Gateway
from ufs_sandboxes.upsales.jsonio import UpsalesJSONResponse

if TYPE_CHECKING:
    from ufs_sandboxes.upsales.sandbox import UpsalesSandbox


class UpsalesSandboxApp(FastAPI):
    """FastAPI with the gateway in front of every ``/api/v2/`` request.

    The gateway runs outside FastAPI's own middleware so that a dropped request reaches the
    server (or the in-process client) as a closed connection rather than a 500 answer.
    """

    gateway: Gateway | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        gateway = self.gateway
        if gateway is not None and scope["type"] == "http" and scope["path"].startswith(API_PREFIX):
            await gateway.handle(scope, receive, send, super().__call__)
        else:
            await super().__call__(scope, receive, send)


async def _upsales_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, UpsalesApiError)
    return UpsalesJSONResponse(exc.body(), status_code=exc.status)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if request.url.path.startswith(API_PREFIX):
        return UpsalesJSONResponse(
            error_body(exc.status_code, str(exc.detail)), status_code=exc.status_code
        )
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)


def build_app(sandbox: UpsalesSandbox) -> UpsalesSandboxApp:
    app = UpsalesSandboxApp(
        title="Upsales API sandbox",
        description="An in-memory imitation of the Upsales REST API v2 (under /api/v2/).",
        docs_url="/_sandbox/docs",
        openapi_url="/_sandbox/openapi.json",
        redoc_url=None,
    )
    api_routes = build_api_routes(sandbox)
    for route in api_routes:
        app.router.add_route(
            route.path, route.handler, methods=[route.method], include_in_schema=False
        )
    app.include_router(build_admin_router(sandbox))
    app.add_exception_handler(UpsalesApiError, _upsales_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.gateway = Gateway(sandbox, [route.path for route in api_routes])
    return app
