"""Installation leases: at most one worker serves an installation at a time.

A lease is a row in ``installation_leases``. It is taken atomically with one upsert that inserts
the row, or takes over an existing one only when it has expired; the statement returns the rows
it won. A worker renews its lease while it works and deletes it when it is done (both in
:mod:`.statements`).

On PostgreSQL a lease also ends when its owner is no longer connected (its presence lock is
gone, see :mod:`.presence`): a worker killed mid-turn loses its installations at once instead
of when their leases expire. The worker taking such an installation over also takes over the
running jobs of the dead one (:func:`take_over_running_jobs`), which fences the dead worker's
late writes out: every change to a running job requires it to be still the job's owner.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Integer,
    Select,
    Update,
    and_,
    bindparam,
    exists,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.dml import ReturningInsert

from upsales_fortnox.core.db.session_presence import is_present, present
from upsales_fortnox.core.db.upsert import upsert_insert
from upsales_fortnox.jobs.claim_share import Waiting, Workload
from upsales_fortnox.jobs.store.presence import PRESENCE_LOCK_CLASS
from upsales_fortnox.models.installation import Installation
from upsales_fortnox.models.job import InstallationLease, SyncJob
from upsales_fortnox.vocabulary import InstallationStatus, JobStatus


def is_postgresql(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


When = datetime | ColumnElement[datetime]
"""A moment: a value, or a bound parameter of a statement built once."""


def job_is_due(now: When) -> ColumnElement[bool]:
    """A job ready to run: queued and due, or running under a lease that has expired."""
    return or_(
        and_(SyncJob.status == JobStatus.QUEUED, SyncJob.run_after <= now),
        and_(SyncJob.status == JobStatus.RUNNING, SyncJob.lease_expires_at < now),
    )


def owner_is_connected(owner: InstrumentedAttribute[Any]) -> ColumnElement[bool]:
    """PostgreSQL: whether the worker ``owner`` holds its presence lock in this database."""
    return is_present(owner, PRESENCE_LOCK_CLASS)


def job_to_run(now: When, *, postgres: bool) -> ColumnElement[bool]:
    """:func:`job_is_due`, and on PostgreSQL also a job left running by a worker no longer
    connected (due once taken over, see :func:`take_over_running_jobs`)."""
    due = job_is_due(now)
    if postgres:
        due = or_(
            due,
            and_(SyncJob.status == JobStatus.RUNNING, ~owner_is_connected(SyncJob.lease_owner)),
        )
    return due


def lease_is_live(now: When, *, postgres: bool) -> ColumnElement[bool]:
    """A lease not expired and, on PostgreSQL, whose owner is still connected."""
    live = InstallationLease.expires_at >= now
    if postgres:
        live = and_(live, owner_is_connected(InstallationLease.owner))
    return live


_NOW = "now"
"""The bound parameter of the claim's time in the statements below, built once (a claim's
statements cost more to build than to run: they are built once per process and kind of
database, and run with the claim's values)."""


def _now() -> BindParameter[datetime]:
    return bindparam(_NOW, type_=SyncJob.run_after.type)


@cache
def _installations_to_serve(postgres: bool) -> Select[uuid.UUID, datetime]:
    """:func:`find_installations_to_serve`'s query; parameters ``now``, ``limit``, ``exclude``."""
    now = _now()
    due = job_to_run(now, postgres=postgres)
    has_due_job = exists().where(SyncJob.installation_id == Installation.id, due)
    has_live_lease = exists().where(
        InstallationLease.installation_id == Installation.id, lease_is_live(now, postgres=postgres)
    )
    has_work: ColumnElement[bool] = has_due_job
    if postgres:
        has_work = or_(
            has_due_job, exists().where(InstallationLease.installation_id == Installation.id)
        )
    oldest_due = (
        select(func.min(SyncJob.run_after))
        .where(SyncJob.installation_id == Installation.id, due)
        .scalar_subquery()
    )
    query = (
        select(Installation.id, oldest_due)
        .where(
            Installation.status == InstallationStatus.ACTIVE,
            has_work,
            ~has_live_lease,
            Installation.id.not_in(bindparam("exclude", expanding=True)),
        )
        .order_by(oldest_due, Installation.id)
        .limit(bindparam("limit", type_=Integer))
    )
    if postgres:
        query = query.with_for_update(skip_locked=True, key_share=True, of=Installation)
    return query


async def find_installations_to_serve(
    session: AsyncSession,
    now: datetime,
    *,
    limit: int,
    exclude: Collection[uuid.UUID] = (),
) -> list[Waiting]:
    """Active installations with due jobs and no live lease, the longest-waiting first (on
    PostgreSQL a lease held by a worker no longer connected is not live, and the jobs it left
    running count as due: they are once taken over).

    On PostgreSQL the installation rows are locked ``FOR NO KEY UPDATE SKIP LOCKED`` for the
    rest of the transaction, so competing workers pick different candidates instead of racing
    for the same ones (the lock does not block enqueueing, whose foreign key check only takes
    a key-share lock). A claim may read more candidates than it takes (its fair share): a claim
    made at the same moment skips those too and finds them at its next look.
    """
    query = _installations_to_serve(is_postgresql(session))
    rows = (
        await session.execute(query, {_NOW: now, "limit": limit, "exclude": list(exclude)})
    ).all()
    return [Waiting(installation_id, waiting_since) for installation_id, waiting_since in rows]


@cache
def _workload() -> Select[int, int, int]:
    """:func:`workload`'s query; parameters ``now`` and ``owner``."""
    leased = (
        select(func.count())
        .select_from(InstallationLease)
        .where(lease_is_live(_now(), postgres=True))
    )
    return select(
        select(func.count()).select_from(present(PRESENCE_LOCK_CLASS).subquery()).scalar_subquery(),
        leased.scalar_subquery(),
        leased.where(InstallationLease.owner == bindparam("owner")).scalar_subquery(),
    )


async def workload(session: AsyncSession, owner: str, now: datetime) -> Workload:
    """PostgreSQL: the workers connected, the installations leased to them, and how many of
    those are ``owner``'s, for :func:`~upsales_fortnox.jobs.claim_share.fair_share`."""
    row = (await session.execute(_workload(), {_NOW: now, "owner": owner})).one()
    return Workload(workers=int(row[0]), leased=int(row[1]), mine=int(row[2]))


async def take_installation_leases(
    session: AsyncSession,
    installation_ids: Sequence[uuid.UUID],
    *,
    owner: str,
    now: datetime,
    expires_at: datetime,
) -> list[uuid.UUID]:
    """Take the leases that are free, expired or (PostgreSQL) held by a worker no longer
    connected; returns the installations won."""
    if not installation_ids:
        return []
    upsert = _take_leases(session.get_bind().dialect.name, len(installation_ids))
    values: dict[str, Any] = {"owner": owner, "expires_at": expires_at, _NOW: now}
    values.update(
        (f"installation_{index}", installation_id)
        for index, installation_id in enumerate(installation_ids)
    )
    won = set((await session.scalars(upsert, values)).all())
    return [installation_id for installation_id in installation_ids if installation_id in won]


@cache
def _take_leases(dialect_name: str, count: int) -> ReturningInsert[tuple[uuid.UUID]]:
    """:func:`take_installation_leases`' statement for ``count`` installations; parameters
    ``installation_0`` … , ``owner``, ``expires_at`` and ``now`` (one per count claimed at
    once, so at most ``worker_concurrency`` of them)."""
    expires_at = bindparam("expires_at", type_=InstallationLease.expires_at.type)
    statement = upsert_insert(dialect_name, InstallationLease.__table__).values(
        [
            {
                "installation_id": bindparam(
                    f"installation_{index}", type_=InstallationLease.installation_id.type
                ),
                "owner": bindparam("owner"),
                "expires_at": expires_at,
            }
            for index in range(count)
        ]
    )
    return statement.on_conflict_do_update(
        index_elements=[InstallationLease.installation_id],
        set_={"owner": statement.excluded.owner, "expires_at": statement.excluded.expires_at},
        where=~lease_is_live(_now(), postgres=dialect_name == "postgresql"),
    ).returning(InstallationLease.installation_id)


async def take_over_running_jobs(
    session: AsyncSession, installation_ids: Sequence[uuid.UUID], *, owner: str, now: datetime
) -> None:
    """PostgreSQL: make the jobs that a worker no longer connected left running in
    installations just leased to ``owner`` ours and due at once, so they run again (as after
    an expired lease) and the dead worker's late changes to them no longer match its
    ownership (the fence of every change to a running job).
    """
    if not installation_ids:
        return
    await session.execute(
        _take_over(),
        {
            "installations": list(installation_ids),
            "owner": owner,
            _NOW: now,
            "due_at": now - _JUST_BEFORE,
        },
        execution_options={"synchronize_session": False},
    )


@cache
def _take_over() -> Update:
    """:func:`take_over_running_jobs`' statement; parameters ``installations``, ``owner``,
    ``now`` and ``due_at`` (just before it)."""
    now = _now()
    return (
        update(SyncJob)
        .where(
            SyncJob.installation_id.in_(bindparam("installations", expanding=True)),
            SyncJob.status == JobStatus.RUNNING,
            SyncJob.lease_owner != bindparam("owner"),
            SyncJob.lease_expires_at >= now,
            ~owner_is_connected(SyncJob.lease_owner),
        )
        .values(
            lease_owner=bindparam("owner"),
            lease_expires_at=bindparam("due_at", type_=SyncJob.lease_expires_at.type),
        )
    )


_JUST_BEFORE = timedelta(microseconds=1)
