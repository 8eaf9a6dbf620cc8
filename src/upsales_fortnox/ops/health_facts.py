"""Reads what :mod:`~upsales_fortnox.domain.health_rules` decides from, in a few queries."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from upsales_fortnox.domain.health_rules import HealthFacts, TokenKind
from upsales_fortnox.models.installation import FortnoxCredentials, Installation
from upsales_fortnox.models.job import InboundEvent, ReconcileCheckpoint, SyncJob
from upsales_fortnox.models.operations import ConnectionCheck
from upsales_fortnox.vocabulary import EventSource, JobStatus


@dataclass(frozen=True)
class QueueFigures:
    queued: int
    due: int
    running: int
    dead: int
    oldest_pending_at: datetime | None
    """When the oldest job that is due now was queued."""


@dataclass(frozen=True)
class InstallationReadings:
    facts: HealthFacts
    queue: QueueFigures
    fortnox_last_success_at: datetime | None
    upsales_key_checked_at: datetime | None
    last_stream_event_at: datetime | None
    last_reconciliation_at: datetime | None


async def queue_figures(
    session: AsyncSession, installation_id: uuid.UUID, now: datetime
) -> QueueFigures:
    is_due = (SyncJob.status == JobStatus.QUEUED) & (SyncJob.run_after <= now)
    row = (
        await session.execute(
            select(
                func.count().filter(SyncJob.status == JobStatus.QUEUED),
                func.count().filter(is_due),
                func.count().filter(SyncJob.status == JobStatus.RUNNING),
                func.count().filter(SyncJob.status == JobStatus.DEAD),
                func.min(case((is_due, SyncJob.created_at))),
            ).where(
                SyncJob.installation_id == installation_id,
                SyncJob.status != JobStatus.DONE,
            )
        )
    ).one()
    oldest = row[4]
    if isinstance(oldest, str):  # SQLite returns MIN() over a CASE untyped
        oldest = datetime.fromisoformat(oldest)
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=now.tzinfo)
    return QueueFigures(row[0], row[1], row[2], row[3], oldest)


async def read_installation(
    session: AsyncSession, installation: Installation, now: datetime
) -> InstallationReadings:
    credentials = await session.get(FortnoxCredentials, installation.id)
    check = await session.get(ConnectionCheck, installation.id)
    queue = await queue_figures(session, installation.id, now)
    last_event = await session.scalar(
        select(func.max(InboundEvent.received_at)).where(
            InboundEvent.installation_id == installation.id,
            InboundEvent.source == EventSource.FORTNOX,
        )
    )
    last_reconciliation = await session.scalar(
        select(func.max(ReconcileCheckpoint.updated_at)).where(
            ReconcileCheckpoint.installation_id == installation.id
        )
    )
    facts = HealthFacts(
        status=installation.status,
        status_reason=installation.status_reason,
        token_kind=TokenKind(credentials.token_kind) if credentials is not None else None,
        access_token_expires_at=credentials.access_token_expires_at if credentials else None,
        last_refresh_at=credentials.refreshed_at if credentials else None,
        upsales_key_ok=check.upsales_key_ok if check else None,
        upsales_key_error=check.upsales_key_error if check else None,
        oldest_pending_at=queue.oldest_pending_at,
        dead_jobs=queue.dead,
    )
    return InstallationReadings(
        facts=facts,
        queue=queue,
        fortnox_last_success_at=check.fortnox_last_success_at if check else None,
        upsales_key_checked_at=check.upsales_key_checked_at if check else None,
        last_stream_event_at=last_event,
        last_reconciliation_at=last_reconciliation,
    )
