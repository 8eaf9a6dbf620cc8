"""What is wrong now, read from the database as alert causes (see :mod:`.alert_rules`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from upsales_fortnox.domain.alert_rules import AlertKind, Cause
from upsales_fortnox.domain.health_rules import REFRESH_TOKEN_LIFETIME, TokenKind
from upsales_fortnox.models.installation import FortnoxCredentials, Installation
from upsales_fortnox.models.job import SyncJob
from upsales_fortnox.vocabulary import InstallationStatus, JobStatus


@dataclass(frozen=True)
class AlertThresholds:
    queue_age: timedelta = timedelta(minutes=15)
    refresh_token_warning: timedelta = timedelta(days=7)


async def current_causes(
    session: AsyncSession, now: datetime, limits: AlertThresholds
) -> list[Cause]:
    rows = await session.execute(select(Installation.id, Installation.name))
    names = {installation_id: name for installation_id, name in rows}
    causes: list[Cause] = []
    dead = await session.execute(
        select(SyncJob.installation_id, SyncJob.kind, func.count())
        .where(SyncJob.status == JobStatus.DEAD)
        .group_by(SyncJob.installation_id, SyncJob.kind)
    )
    for installation_id, kind, count in dead:
        causes.append(
            Cause(
                f"{AlertKind.DEAD_JOBS}:{installation_id}:{kind}",
                AlertKind.DEAD_JOBS,
                installation_id,
                f"{names.get(installation_id)}: {count} dead {kind} job(s) wait for a retry.",
            )
        )
    relogin = await session.scalars(
        select(Installation.id).where(Installation.status == InstallationStatus.NEEDS_RELOGIN)
    )
    for installation_id in relogin:
        causes.append(
            Cause(
                f"{AlertKind.NEEDS_LOGIN}:{installation_id}",
                AlertKind.NEEDS_LOGIN,
                installation_id,
                f"{names.get(installation_id)}: Fortnox refused the connection; "
                "the installation needs a new Fortnox login. Its jobs are paused.",
            )
        )
    ending_before = now - REFRESH_TOKEN_LIFETIME + limits.refresh_token_warning
    ending = await session.execute(
        select(FortnoxCredentials.installation_id, FortnoxCredentials.refreshed_at)
        .join(Installation, Installation.id == FortnoxCredentials.installation_id)
        .where(
            FortnoxCredentials.token_kind == TokenKind.USER,
            FortnoxCredentials.refreshed_at < ending_before,
            Installation.status == InstallationStatus.ACTIVE,
        )
    )
    for installation_id, refreshed_at in ending:
        ends = refreshed_at + REFRESH_TOKEN_LIFETIME
        causes.append(
            Cause(
                f"{AlertKind.REFRESH_TOKEN_ENDING}:{installation_id}",
                AlertKind.REFRESH_TOKEN_ENDING,
                installation_id,
                f"{names.get(installation_id)}: the Fortnox refresh token ends at "
                f"{ends.isoformat()} unless it is refreshed.",
            )
        )
    behind = await session.execute(
        select(SyncJob.installation_id, func.min(SyncJob.created_at))
        .where(SyncJob.status == JobStatus.QUEUED, SyncJob.run_after <= now)
        .group_by(SyncJob.installation_id)
        .having(func.min(SyncJob.created_at) < now - limits.queue_age)
    )
    for installation_id, oldest in behind:
        minutes = int((now - oldest).total_seconds() // 60)
        causes.append(
            Cause(
                f"{AlertKind.QUEUE_BEHIND}:{installation_id}",
                AlertKind.QUEUE_BEHIND,
                installation_id,
                f"{names.get(installation_id)}: the oldest due job has waited {minutes} minutes.",
            )
        )
    return causes
