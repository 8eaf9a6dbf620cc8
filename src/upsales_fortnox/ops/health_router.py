"""Operator API: one installation's health (``GET /api/installations/{id}/health``)."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

from upsales_fortnox.api.deps import AdminDep, ServicesDep, SessionDep
from upsales_fortnox.api.operator_errors import operator_errors
from upsales_fortnox.api.operator_route import OperatorRoute
from upsales_fortnox.api.schemas import error_responses
from upsales_fortnox.core.config import Settings
from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.domain.health_rules import (
    REFRESH_TOKEN_LIFETIME,
    HealthState,
    decide_health,
    refresh_token_expires_at,
)
from upsales_fortnox.installations.errors import InstallationNotFound
from upsales_fortnox.installations.repository.installation_rows import find_installation
from upsales_fortnox.models.installation import Installation
from upsales_fortnox.ops.alert_checks import thresholds_of
from upsales_fortnox.ops.connection_checks import check_connections
from upsales_fortnox.ops.health_facts import InstallationReadings, read_installation

router = APIRouter(
    prefix="/api/installations",
    tags=["health"],
    dependencies=[AdminDep],
    route_class=OperatorRoute,
    responses=error_responses(401, 404, 422),
)


class HealthReasonOut(BaseModel):
    code: str = Field(examples=["dead_jobs"])
    message: str
    state: HealthState = Field(description="What this reason alone makes the installation.")


class FortnoxConnection(BaseModel):
    connected: bool
    token_kind: str | None = Field(description="`user` (login), `service` (client credentials).")
    access_token_expires_at: datetime | None
    last_refresh_at: datetime | None
    refresh_token_age_seconds: float | None = Field(description="Null without a refresh token.")
    refresh_token_lifetime_seconds: float | None
    refresh_token_expires_at: datetime | None
    last_successful_call_at: datetime | None


class UpsalesConnection(BaseModel):
    key_ok: bool | None = Field(
        description="The last check of the API key; null: not checked since it was set."
    )
    key_checked_at: datetime | None


class QueueHealth(BaseModel):
    queued: int
    due: int = Field(description="Queued jobs whose time has come.")
    running: int
    dead: int
    oldest_pending_at: datetime | None = Field(
        description="Since when the oldest due job has been due (queued, back from a backoff, "
        "or retried)."
    )
    oldest_pending_seconds: float | None


class InstallationHealth(BaseModel):
    installation_id: uuid.UUID
    status: str
    state: HealthState
    reasons: list[HealthReasonOut]
    fortnox: FortnoxConnection
    upsales: UpsalesConnection
    last_stream_event_at: datetime | None
    last_reconciliation_at: datetime | None
    queue: QueueHealth
    checked_at: datetime


def health_of(
    installation: Installation,
    readings: InstallationReadings,
    now: datetime,
    settings: Settings,
) -> InstallationHealth:
    facts = readings.facts
    health = decide_health(facts, now, thresholds_of(settings))
    ends = refresh_token_expires_at(facts)
    has_refresh = ends is not None and facts.last_refresh_at is not None
    oldest = readings.queue.oldest_pending_at
    return InstallationHealth(
        installation_id=installation.id,
        status=installation.status,
        state=health.state,
        reasons=[
            HealthReasonOut(code=r.code, message=r.message, state=r.state) for r in health.reasons
        ],
        fortnox=FortnoxConnection(
            connected=facts.token_kind is not None,
            token_kind=facts.token_kind.value if facts.token_kind else None,
            access_token_expires_at=facts.access_token_expires_at,
            last_refresh_at=facts.last_refresh_at,
            refresh_token_age_seconds=(now - facts.last_refresh_at).total_seconds()
            if has_refresh and facts.last_refresh_at
            else None,
            refresh_token_lifetime_seconds=REFRESH_TOKEN_LIFETIME.total_seconds()
            if has_refresh
            else None,
            refresh_token_expires_at=ends,
            last_successful_call_at=readings.fortnox_last_success_at,
        ),
        upsales=UpsalesConnection(
            key_ok=facts.upsales_key_ok, key_checked_at=readings.upsales_key_checked_at
        ),
        last_stream_event_at=readings.last_stream_event_at,
        last_reconciliation_at=readings.last_reconciliation_at,
        queue=QueueHealth(
            queued=readings.queue.queued,
            due=readings.queue.due,
            running=readings.queue.running,
            dead=readings.queue.dead,
            oldest_pending_at=oldest,
            oldest_pending_seconds=(now - oldest).total_seconds() if oldest else None,
        ),
        checked_at=now,
    )


@router.get(
    "/{installation_id}/health",
    response_model=InstallationHealth,
    summary="One installation's health",
    description="The Fortnox and Upsales connections, the queue, and one overall `state` "
    "(`ok`, `degraded`: the sync runs but needs watching, `action_needed`: it is stopped until "
    "someone acts), with each reason as a stable `code` and a sentence.",
)
async def get_installation_health(
    installation_id: uuid.UUID, session: SessionDep, services: ServicesDep
) -> InstallationHealth:
    with operator_errors():
        installation = await find_installation(session, installation_id)
        if installation is None:
            raise InstallationNotFound(installation_id)
    now = utcnow()
    readings = await read_installation(session, installation, now, services.secret_box)
    return health_of(installation, readings, now, services.settings)


@router.post(
    "/{installation_id}/health/check",
    response_model=InstallationHealth,
    summary="Check both connections now, then answer the health",
    description="One call to each system with the stored credentials (Fortnox company "
    "information, Upsales `self`); a refusal is recorded (`upsales.key_ok: false`), a success "
    "as `fortnox.last_successful_call_at` / `upsales.key_checked_at`. The same check runs "
    "hourly for every active installation.",
)
async def post_installation_health_check(
    installation_id: uuid.UUID, session: SessionDep, services: ServicesDep
) -> InstallationHealth:
    with operator_errors():
        installation = await find_installation(session, installation_id)
        if installation is None:
            raise InstallationNotFound(installation_id)
    await check_connections(services, installation)
    now = utcnow()
    readings = await read_installation(session, installation, now, services.secret_box)
    return health_of(installation, readings, now, services.settings)
