"""The SQL of a job's run, built once as Core statements with bound parameters.

Building a statement (and the ORM's bookkeeping around it) costs more CPU than the database
takes to run it; these run for every job, so each is built once at import and executed on a plain
connection with its parameters.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    String,
    Table,
    and_,
    bindparam,
    delete,
    exists,
    func,
    insert,
    literal_column,
    or_,
    select,
    update,
)

from upsales_fortnox.models.installation import Installation, InstallationSettings
from upsales_fortnox.models.job import InstallationLease, JobAttempt, SyncJob
from upsales_fortnox.vocabulary import AttemptOutcome, InstallationStatus, JobStatus

JOBS = cast(Table, SyncJob.__table__)
ATTEMPTS = cast(Table, JobAttempt.__table__)
LEASES = cast(Table, InstallationLease.__table__)
INSTALLATIONS = cast(Table, Installation.__table__)
SETTINGS = cast(Table, InstallationSettings.__table__)

LEASE_EXPIRED_ERROR = "lease_expired: the worker running this attempt stopped renewing its lease"


def param(name: str, column: Any) -> Any:
    """A parameter typed like ``column``; named ``p_<name>``, since an UPDATE reserves the
    names of its table's columns."""
    return bindparam(f"p_{name}", type_=column.type)


def _now() -> Any:
    return param("now", JOBS.c.run_after)


def _due() -> ColumnElement[bool]:
    """Queued and due, or running under a lease that has expired."""
    return or_(
        and_(JOBS.c.status == JobStatus.QUEUED.value, JOBS.c.run_after <= _now()),
        and_(JOBS.c.status == JobStatus.RUNNING.value, JOBS.c.lease_expires_at < _now()),
    )


def _installation_active() -> ColumnElement[bool]:
    return exists().where(
        INSTALLATIONS.c.id == JOBS.c.installation_id,
        INSTALLATIONS.c.status == InstallationStatus.ACTIVE.value,
    )


def _owned() -> ColumnElement[bool]:
    """The fence of every change to a running job: still ours, at the same attempt."""
    return and_(
        JOBS.c.id == param("job_id", JOBS.c.id),
        JOBS.c.status == JobStatus.RUNNING.value,
        JOBS.c.lease_owner == param("owner", JOBS.c.lease_owner),
        JOBS.c.attempts == param("attempts", JOBS.c.attempts),
    )


DUE_JOBS = (
    select(
        JOBS.c.id,
        JOBS.c.status,
        JOBS.c.attempts,
        JOBS.c.max_attempts,
        JOBS.c.kind,
        JOBS.c.entity_id,
    )
    .where(
        JOBS.c.installation_id == param("installation_id", JOBS.c.installation_id),
        _due(),
        _installation_active(),
    )
    .order_by(JOBS.c.run_after, JOBS.c.id)
    .limit(bindparam("p_limit", type_=Integer()))
)
"""The installation's next due jobs, in ``(run_after, id)`` order."""

RENEW_INSTALLATION_LEASE = (
    update(LEASES)
    .where(
        LEASES.c.installation_id == param("installation_id", LEASES.c.installation_id),
        LEASES.c.owner == param("owner", LEASES.c.owner),
    )
    .values(expires_at=param("expires_at", LEASES.c.expires_at))
    .returning(LEASES.c.installation_id)
)

DROP_INSTALLATION_LEASE = delete(LEASES).where(
    LEASES.c.installation_id == param("installation_id", LEASES.c.installation_id),
    LEASES.c.owner == param("owner", LEASES.c.owner),
)

# Keyed by the parameter, not correlated: SQLite renders RETURNING columns unqualified.
_INSTALLATION_VERSION = (
    select(INSTALLATIONS.c.version)
    .where(INSTALLATIONS.c.id == param("installation_id", INSTALLATIONS.c.id))
    .scalar_subquery()
)
_SETTINGS_VERSION = func.coalesce(
    select(SETTINGS.c.version)
    .where(SETTINGS.c.installation_id == param("installation_id", SETTINGS.c.installation_id))
    .scalar_subquery(),
    0,
)

START_JOB = (
    update(JOBS)
    .where(
        JOBS.c.id == param("job_id", JOBS.c.id),
        JOBS.c.installation_id == param("installation_id", JOBS.c.installation_id),
        JOBS.c.status == param("expected_status", JOBS.c.status),
        _due(),
        _installation_active(),
        exists().where(
            LEASES.c.installation_id == JOBS.c.installation_id,
            LEASES.c.owner == param("owner", JOBS.c.lease_owner),
        ),
    )
    .values(
        status=JobStatus.RUNNING.value,
        lease_owner=param("owner", JOBS.c.lease_owner),
        lease_expires_at=param("expires_at", JOBS.c.lease_expires_at),
        attempts=JOBS.c.attempts + 1,
        updated_at=_now(),
        finished_at=None,
    )
    .returning(
        JOBS.c.installation_id,
        JOBS.c.kind,
        JOBS.c.entity_id,
        JOBS.c.payload,
        JOBS.c.attempts,
        JOBS.c.max_attempts,
        _INSTALLATION_VERSION.label("installation_version"),
        _SETTINGS_VERSION.label("settings_version"),
    )
)
"""Mark a due job running under our lease (``expected_status`` is the status it was read
with), while the installation is active and its lease is ours; returns what the run needs."""

CLOSE_EXPIRED_ATTEMPTS = (
    update(ATTEMPTS)
    .where(
        ATTEMPTS.c.job_id == param("job_id", ATTEMPTS.c.job_id),
        ATTEMPTS.c.finished_at.is_(None),
    )
    .values(
        finished_at=param("now", ATTEMPTS.c.finished_at),
        outcome=AttemptOutcome.LEASE_EXPIRED.value,
        error=LEASE_EXPIRED_ERROR,
    )
    .returning(ATTEMPTS.c.id)
)

OPEN_ATTEMPT = (
    insert(ATTEMPTS)
    .from_select(
        ["job_id", "number", "worker_id", "started_at"],
        select(
            bindparam("p_job_id", type_=BigInteger()),
            func.count(literal_column("*")) + 1,
            bindparam("p_owner", type_=String()),
            param("now", ATTEMPTS.c.started_at),
        ).where(ATTEMPTS.c.job_id == param("job_id", ATTEMPTS.c.job_id)),
    )
    .returning(ATTEMPTS.c.id, ATTEMPTS.c.number)
)
"""The next attempt row of a job, numbered after every earlier run of it."""

RENEW_JOB = (
    update(JOBS)
    .where(_owned())
    .values(
        lease_expires_at=param("expires_at", JOBS.c.lease_expires_at),
        updated_at=_now(),
    )
    .returning(JOBS.c.id)
)

CHECKPOINT_JOB = (
    update(JOBS)
    .where(_owned())
    .values(
        lease_expires_at=param("expires_at", JOBS.c.lease_expires_at),
        payload=param("payload", JOBS.c.payload),
        updated_at=_now(),
    )
    .returning(JOBS.c.id)
)

COMPLETE_JOB = (
    update(JOBS)
    .where(_owned())
    .values(
        status=JobStatus.DONE.value,
        result=param("result", JOBS.c.result),
        finished_at=_now(),
        last_error=None,
        lease_owner=None,
        lease_expires_at=None,
        updated_at=_now(),
    )
    .returning(JOBS.c.id)
)

BURY_JOB = (
    update(JOBS)
    .where(_owned())
    .values(
        status=JobStatus.DEAD.value,
        finished_at=_now(),
        last_error=param("reason", JOBS.c.last_error),
        lease_owner=None,
        lease_expires_at=None,
        updated_at=_now(),
    )
    .returning(JOBS.c.id)
)

FINISH_ATTEMPT = (
    update(ATTEMPTS)
    .where(ATTEMPTS.c.id == param("attempt_id", ATTEMPTS.c.id))
    .values(
        finished_at=param("now", ATTEMPTS.c.finished_at),
        outcome=param("outcome", ATTEMPTS.c.outcome),
        error=param("error", ATTEMPTS.c.error),
    )
)
