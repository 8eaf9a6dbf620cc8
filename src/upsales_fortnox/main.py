"""The FastAPI application factory."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from upsales_fortnox import __version__
from upsales_fortnox.activation import consent_router, service_account_router
from upsales_fortnox.activation import router as activation_router
from upsales_fortnox.api.docs import install_offline_docs
from upsales_fortnox.api.errors import install_error_handlers
from upsales_fortnox.api.openapi_doc import install_openapi
from upsales_fortnox.background import BackgroundTask, run_background
from upsales_fortnox.console import install_console
from upsales_fortnox.core.config import Settings, get_settings
from upsales_fortnox.core.heap import prepare_heap_for_serving
from upsales_fortnox.documents import router as document_links_router
from upsales_fortnox.history import router as history_router
from upsales_fortnox.history import search_router
from upsales_fortnox.installations import (
    app_choices_router,
    choices_router,
    settings_router,
)
from upsales_fortnox.installations import router as installations_router
from upsales_fortnox.intake import router as webhooks_router
from upsales_fortnox.intake.admission import AdmissionMiddleware
from upsales_fortnox.jobs import router as jobs
from upsales_fortnox.links import router as links_router
from upsales_fortnox.ops import bulk_router, health_router, probes_router
from upsales_fortnox.ops.metrics_http import install_metrics
from upsales_fortnox.services import Services, build_services
from upsales_fortnox.sync.initial import router as initial_sync_router
from upsales_fortnox.sync.registry import build_responder_registry
from upsales_fortnox.sync.report import router as reconciliation_router

logger = logging.getLogger(__name__)
#: How long a stopping app waits for its worker to finish the current job.
SHUTDOWN_GRACE_SECONDS = 30.0


def create_app(
    settings: Settings | None = None,
    *,
    services: Services | None = None,
    background: list[BackgroundTask] | None = None,
) -> FastAPI:
    """Build the app. Pass ``services`` to share a database with tests; ``background`` tasks
    (such as the in-process worker) run for the app's lifetime."""
    own_services = services is None
    app_services = services or build_services(settings or get_settings())

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        prepare_heap_for_serving()
        stop = asyncio.Event()
        runner = (
            asyncio.create_task(run_background(app_services, stop, background))
            if background
            else None
        )
        try:
            yield
        finally:
            stop.set()
            if runner is not None:
                try:
                    await asyncio.wait_for(runner, SHUTDOWN_GRACE_SECONDS)
                except TimeoutError:
                    logger.warning("background tasks did not stop in time; cancelled")
            if own_services:
                await app_services.aclose()

    app = FastAPI(
        title="upsales-fortnox-sync",
        version=__version__,
        description="Keeps Upsales CRM accounts and their Fortnox accounting companies in sync.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    install_offline_docs(app, app.title)
    app.state.services = app_services
    app.state.responders = build_responder_registry(app_services)
    install_error_handlers(app)
    app.include_router(webhooks_router.router)
    app.include_router(probes_router.router)
    app.include_router(installations_router.router)
    app.include_router(settings_router.router)
    app.include_router(links_router.router)
    app.include_router(jobs.router)
    app.include_router(history_router.router)
    app.include_router(search_router.router)
    app.include_router(activation_router.router)
    app.include_router(initial_sync_router.router)
    app.include_router(reconciliation_router.router)
    app.include_router(choices_router.router)
    app.include_router(health_router.router)
    app.include_router(bulk_router.router)
    app.include_router(service_account_router.router)
    app.include_router(consent_router.router)
    app.include_router(document_links_router.public_router)
    app.include_router(document_links_router.operator_router)
    app.include_router(app_choices_router.router)
    install_openapi(app)
    app.add_middleware(AdmissionMiddleware)
    install_metrics(app)
    install_console(app)
    return app


def build_service_app(
    settings: Settings | None = None,
    *,
    services: Services | None = None,
    background: list[BackgroundTask] | None = None,
) -> FastAPI:
    """The app as ``serve`` and the demo run it: :func:`create_app` with every check on,
    including the live one that settings name only stages, users and price lists the
    connected systems list (tests that build a bare :func:`create_app` install it themselves
    when they want it)."""
    app = create_app(settings, services=services, background=background)
    app.state.settings_reference_check = choices_router.LiveReferenceCheck(app.state.services)
    return app
