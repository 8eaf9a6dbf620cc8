"""Liveness and readiness probes, answered to GET and to HEAD (the same status and headers, no
body): load balancers and uptime checkers often probe with HEAD."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn, TypeVar

from fastapi import APIRouter
from pydantic import BaseModel

from upsales_fortnox.api.deps import ServicesDep
from upsales_fortnox.api.errors import ApiError
from upsales_fortnox.core.db.migrate import missing_migrations
from upsales_fortnox.core.db.ping import ping, schema_revisions
from upsales_fortnox.core.db.unavailable import (
    DATABASE_NOT_MIGRATED,
    DATABASE_UNAVAILABLE,
    NOT_MIGRATED_MESSAGE,
    RETRY_AFTER_SECONDS,
    RETRY_LATER_RESPONSE,
)
from upsales_fortnox.integrations.upsales import facts as upsales_facts
from upsales_fortnox.models.installation import Installation
from upsales_fortnox.services import Services

router = APIRouter(tags=["health"])


class HealthStatus(BaseModel):
    status: str


_Probe = TypeVar("_Probe", bound=Callable[..., Awaitable[Any]])


def _probe(
    path: str, *, summary: str, response_model: Any = HealthStatus, **route: Any
) -> Callable[[_Probe], _Probe]:
    """Serve ``path`` with GET and with HEAD: two routes, so each operation keeps an id of its
    own in the OpenAPI document (one route with both methods would give both the same id), the
    id FastAPI gives a route of one method."""

    def register(endpoint: _Probe) -> _Probe:
        name = endpoint.__name__
        for method in ("GET", "HEAD"):
            router.add_api_route(
                path,
                endpoint,
                methods=[method],
                response_model=response_model,
                summary=summary if method == "GET" else f"{summary} (HEAD: no body)",
                operation_id=re.sub(r"\W", "_", f"{name}{path}_{method.lower()}"),
                **route,
            )
        return endpoint

    return register


@_probe("/healthz", summary="The process is up")
async def healthz() -> HealthStatus:
    return HealthStatus(status="ok")


@_probe(
    "/readyz",
    summary="The database is reachable and migrated",
    responses={
        503: {
            **RETRY_LATER_RESPONSE,
            "description": "The database is not reachable, or not within "
            "`WEBHOOK_DATABASE_WAIT_SECONDS` (`database_unavailable`), or has none of the "
            "service's tables or lacks one of this version's migrations "
            "(`database_not_migrated`: run `upsales-fortnox migrate`).",
        }
    },
)
async def readyz(services: ServicesDep) -> HealthStatus:
    await _database_reachable(services)
    return HealthStatus(status="ok")


@_probe(
    upsales_facts.HEALTH_POLL_PATH,
    response_model=str,
    summary="Upsales' health poll: the app's name while the database is reachable",
    responses={503: {**RETRY_LATER_RESPONSE, "description": "As `/readyz`."}},
)
async def upsales_health(services: ServicesDep) -> str:
    """Upsales polls every app's `GET /health` and expects the app's name (a JSON string);
    HEAD answers the same without it, as the app template's Express route does."""
    await _database_reachable(services)
    return upsales_facts.HEALTH_POLL_NAME


async def _database_reachable(services: Services) -> None:
    try:
        async with asyncio.timeout(services.settings.webhook_database_wait_seconds):
            await ping(services.engine)
            revisions = await schema_revisions(services.engine, Installation.__tablename__)
    except Exception as exc:
        raise ApiError(
            503,
            DATABASE_UNAVAILABLE,
            "the database is not reachable",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        ) from exc
    if revisions is None:
        _not_migrated(NOT_MIGRATED_MESSAGE)
    elif missing_migrations(revisions):
        _not_migrated(
            f"the database's schema is at migration {', '.join(revisions)}, short of this "
            "version's newest: run `upsales-fortnox migrate`"
        )


def _not_migrated(message: str) -> NoReturn:
    raise ApiError(
        503, DATABASE_NOT_MIGRATED, message, headers={"Retry-After": str(RETRY_AFTER_SECONDS)}
    )
