"""Serving and feeding the metrics over HTTP: the webhook timer, ``GET /metrics`` (behind the
operator token on the API's port, or alone on ``METRICS_PORT``), and the API-call counter."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

import uvicorn
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from upsales_fortnox.api.deps import AdminDep
from upsales_fortnox.api.no_store import NoStoreRoute
from upsales_fortnox.core.db.unavailable import (
    DATABASE_UNAVAILABLE,
    is_database_unavailable,
    is_missing_schema,
)
from upsales_fortnox.ops.metrics import observe_webhook, process_metrics_text
from upsales_fortnox.ops.metrics_gauges import (
    DatabaseFigures,
    database_metrics_text,
    read_database_figures,
)

if TYPE_CHECKING:
    from upsales_fortnox.services import Services

logger = logging.getLogger(__name__)

_WEBHOOK_SOURCES = (
    ("/webhooks/upsales", "upsales"),
    ("/webhooks/fortnox", "fortnox"),
    ("/webhooks/fortnox-consent", "fortnox_consent"),
)


def _webhook_source(path: str) -> str | None:
    for prefix, source in _WEBHOOK_SOURCES:
        if path == prefix or path.startswith(prefix + "/"):
            return source
    return None


class WebhookMetrics:
    """ASGI middleware: counts and times every answer to a webhook (other paths pass by)."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        source = _webhook_source(scope["path"]) if scope["type"] == "http" else None
        if source is None:
            await self._app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self._app(scope, receive, send_noting_status)
        finally:
            observe_webhook(source, status, time.perf_counter() - started)


async def metrics_response(services: Services) -> Response:
    """What this process counted, and the database's gauges; a database that does not answer
    within ``WEBHOOK_DATABASE_WAIT_SECONDS`` leaves its gauges out (``database_up`` 0) rather
    than fail the scrape, whose counters tell what the outage does."""
    figures: DatabaseFigures | None = None
    try:
        async with asyncio.timeout(services.settings.webhook_database_wait_seconds):
            figures = await read_database_figures(services.session_factory)
    except Exception as exc:
        if not (is_database_unavailable(exc) or is_missing_schema(exc)):
            raise
        logger.warning(
            "metrics without the database's gauges (%s)",
            type(exc).__name__,
            extra={"code": DATABASE_UNAVAILABLE},
        )
    body = process_metrics_text() + database_metrics_text(figures)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


def _metrics_router(*, protected: bool) -> APIRouter:
    router = APIRouter(
        tags=["health"],
        dependencies=[AdminDep] if protected else [],
        route_class=NoStoreRoute,  # figures of now; a refusal neither
    )

    @router.get(
        "/metrics",
        summary="Prometheus metrics",
        response_class=Response,
        responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}},
    )
    async def get_metrics(request: Request) -> Response:
        return await metrics_response(request.app.state.services)

    return router


def install_metrics(app: FastAPI) -> None:
    """Count webhooks, and serve ``/metrics`` here unless it has a port of its own."""
    settings = app.state.services.settings
    if not settings.metrics_enabled:
        return
    app.add_middleware(WebhookMetrics)
    if settings.metrics_port is None:
        app.include_router(_metrics_router(protected=True))


def metrics_app(services: Services) -> FastAPI:
    """The app ``METRICS_PORT`` serves: ``/metrics`` alone, without a token."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.state.services = services
    app.include_router(_metrics_router(protected=False))
    return app


async def run_metrics_server(services: Services, stop: asyncio.Event) -> None:
    """A background task: serve :func:`metrics_app` on ``METRICS_HOST:METRICS_PORT``."""
    settings = services.settings
    if settings.metrics_port is None:
        return
    config = uvicorn.Config(
        metrics_app(services),
        host=settings.metrics_host,
        port=settings.metrics_port,
        log_config=None,
        lifespan="off",
    )
    server = uvicorn.Server(config)
    server_task = asyncio.create_task(server.serve())
    stop_task = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({server_task, stop_task}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        server.should_exit = True
        stop_task.cancel()
        await asyncio.gather(server_task, stop_task, return_exceptions=True)
    logger.info("metrics server stopped")
