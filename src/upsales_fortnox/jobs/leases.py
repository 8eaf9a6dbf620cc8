"""Installation leases: at most one worker serves an installation at a time.

A lease is a row in ``installation_leases``. It is taken atomically with one upsert that inserts
the row, or takes over an existing one only when it has expired; the statement returns the rows
it won. A worker renews its lease while it works and deletes it when it is done (both in
:mod:`.statements`).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from upsales_fortnox.db.models import (
    Installation,
    InstallationLease,
    InstallationStatus,
    JobStatus,
    SyncJob,
)


def is_postgresql(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def job_is_due(now: datetime) -> ColumnElement[bool]:
    """A job ready to run: queued and due, or running under a lease that has expired."""
    return or_(
        and_(SyncJob.status == JobStatus.QUEUED, SyncJob.run_after <= now),
        and_(SyncJob.status == JobStatus.RUNNING, SyncJob.lease_expires_at < now),
    )


async def find_installations_to_serve(
    session: AsyncSession,
    now: datetime,
    *,
    limit: int,
    exclude: Collection[uuid.UUID] = (),
) -> list[uuid.UUID]:
    """Active installations with due jobs and no live lease, the longest-waiting first.

    On PostgreSQL the installation rows are locked ``FOR NO KEY UPDATE SKIP LOCKED`` for the
    rest of the transaction, so competing workers pick different candidates instead of racing
    for the same ones (the lock does not block enqueueing, whose foreign key check only takes
    a key-share lock).
    """
    has_due_job = exists().where(SyncJob.installation_id == Installation.id, job_is_due(now))
    has_live_lease = exists().where(
        InstallationLease.installation_id == Installation.id, InstallationLease.expires_at >= now
    )
    oldest_due = (
        select(func.min(SyncJob.run_after))
        .where(SyncJob.installation_id == Installation.id, job_is_due(now))
        .scalar_subquery()
    )
    query = (
        select(Installation.id)
        .where(Installation.status == InstallationStatus.ACTIVE, has_due_job, ~has_live_lease)
        .order_by(oldest_due, Installation.id)
        .limit(limit)
    )
    if exclude:
        query = query.where(Installation.id.not_in(list(exclude)))
    if is_postgresql(session):
        query = query.with_for_update(skip_locked=True, key_share=True, of=Installation)
    return list((await session.scalars(query)).all())


async def take_installation_leases(
    session: AsyncSession,
    installation_ids: Sequence[uuid.UUID],
    *,
    owner: str,
    now: datetime,
    expires_at: datetime,
) -> list[uuid.UUID]:
    """Take the leases that are free or expired; returns the installations won."""
    if not installation_ids:
        return []
    insert = postgresql.insert if is_postgresql(session) else sqlite.insert
    statement = insert(InstallationLease).values(
        [
            {"installation_id": installation_id, "owner": owner, "expires_at": expires_at}
            for installation_id in installation_ids
        ]
    )
    upsert = statement.on_conflict_do_update(
        index_elements=[InstallationLease.installation_id],
        set_={"owner": statement.excluded.owner, "expires_at": statement.excluded.expires_at},
        where=InstallationLease.expires_at < now,
    ).returning(InstallationLease.installation_id)
    won = set((await session.scalars(upsert)).all())
    return [installation_id for installation_id in installation_ids if installation_id in won]
