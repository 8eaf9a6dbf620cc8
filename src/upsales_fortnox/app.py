"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from upsales_fortnox import __version__
from upsales_fortnox.api import (
    activation,
    choices,
    health,
    initial_sync,
    installation_settings,
    installations,
    jobs,
    links,
    webhooks,
)
from upsales_fortnox.api.errors import install_error_handlers
from upsales_fortnox.config import Settings, get_settings
from upsales_fortnox.services import Services, build_services

BackgroundTask = Callable[[Services], Coroutine[Any, Any, None]]


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
        import asyncio

        tasks = [asyncio.create_task(task(app_services)) for task in background or []]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if own_services:
                await app_services.aclose()

    app = FastAPI(
        title="upsales-fortnox-sync",
        version=__version__,
        description="Keeps Upsales CRM accounts and their Fortnox accounting companies in sync.",
        lifespan=lifespan,
    )
    app.state.services = app_services
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(installations.router)
    app.include_router(installation_settings.router)
    app.include_router(links.router)
    app.include_router(jobs.router)
    app.include_router(webhooks.router)
    app.include_router(activation.router)
    app.include_router(initial_sync.router)
    app.include_router(choices.router)
    if own_services:
        # Settings name only ids the live systems list (tests that pass their own services
        # install it themselves when they want it).
        app.state.settings_reference_check = choices.LiveReferenceCheck(app_services)
    return app
