"""Liveness and readiness probes."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from pydantic import BaseModel

from upsales_fortnox.api.deps import ServicesDep
from upsales_fortnox.api.errors import ApiError
from upsales_fortnox.core.db.ping import ping
from upsales_fortnox.core.db.unavailable import (
    DATABASE_UNAVAILABLE,
    RETRY_AFTER_SECONDS,
    RETRY_LATER_RESPONSE,
)

router = APIRouter(tags=["health"])


class HealthStatus(BaseModel):
    status: str


@router.get("/healthz", response_model=HealthStatus, summary="The process is up")
async def healthz() -> HealthStatus:
    return HealthStatus(status="ok")


@router.get(
    "/readyz",
    response_model=HealthStatus,
    summary="The database is reachable",
    responses={
        503: {
            **RETRY_LATER_RESPONSE,
            "description": "The database is not reachable, or not within "
            "`WEBHOOK_DATABASE_WAIT_SECONDS` (`database_unavailable`).",
        }
    },
)
async def readyz(services: ServicesDep) -> HealthStatus:
    try:
        async with asyncio.timeout(services.settings.webhook_database_wait_seconds):
            await ping(services.engine)
    except Exception as exc:
        raise ApiError(
            503,
            DATABASE_UNAVAILABLE,
            "the database is not reachable",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        ) from exc
    return HealthStatus(status="ok")
