"""PostgreSQL: a job's state change and its attempt row's in one statement.

Starting a job is two writes (the job marked running, its attempt row opened) and ending it two
more (the job's outcome, the attempt's). On PostgreSQL each pair is one statement, the attempt's
write a data-modifying ``WITH`` query that runs only when the fenced change of the job matched:
one round trip fewer each (and with them the driver's and SQLAlchemy's CPU for a statement),
on every job. SQLite cannot run writes in ``WITH``; there the pairs stay two statements
(:class:`~upsales_fortnox.jobs.store.job_store.JobStore` picks by dialect).

Every query of such a statement sees the snapshot taken as it began; only the job's row is
read again should the statement wait for another transaction's lock on it. A job read as
queued that another worker starts meanwhile is no longer queued once that lock is let go, so
its start matches nothing and writes nothing. A job whose worker's lease expired is not so
guarded: another worker's start of it, committed while this one waited, may leave it running
under a lease expired again by this one's clock, and the attempt that start opened would be
missed by the count that numbers the next one and by the closing of those left open. That
start (rare: a worker stopped) keeps its statements apart, each with a snapshot of its own.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, func, insert, literal_column, select, true

from upsales_fortnox.jobs.store.statements import (
    ATTEMPTS,
    BURY_JOB,
    COMPLETE_JOB,
    FINISH_ATTEMPT,
    JOBS,
    START_JOB,
    param,
)


def _with_attempt_finished(fenced_change: Any) -> Any:
    """``fenced_change`` (returning the job's id) and, when it matched, ``FINISH_ATTEMPT``;
    returns the job's id as ``fenced_change`` does."""
    fenced = fenced_change.cte("fenced")
    finished = (
        FINISH_ATTEMPT.where(exists(select(fenced.c.id)))
        .returning(ATTEMPTS.c.id)
        .cte("finished_attempt")
    )
    return select(fenced.c.id).add_cte(finished)


COMPLETE_JOB_AND_ATTEMPT = _with_attempt_finished(COMPLETE_JOB)
"""``COMPLETE_JOB`` with ``FINISH_ATTEMPT``: their parameters, one row when the job was ours."""

BURY_JOB_AND_ATTEMPT = _with_attempt_finished(BURY_JOB)
"""``BURY_JOB`` with ``FINISH_ATTEMPT``: their parameters, one row when the job was ours."""


def _started_with_attempt() -> Any:
    """``START_JOB`` and, when it matched, the job's next attempt opened, numbered after every
    earlier one (as ``OPEN_ATTEMPT``): a row of ``START_JOB``'s columns with ``attempt_id`` and
    ``attempt_number``; none when it did not match."""
    started = START_JOB.returning(JOBS.c.id).cte("started")
    earlier_attempts = (
        select(func.count(literal_column("*")))
        .where(ATTEMPTS.c.job_id == param("job_id", ATTEMPTS.c.job_id))
        .scalar_subquery()
    )
    opened = (
        insert(ATTEMPTS)
        .from_select(
            ["job_id", "number", "worker_id", "started_at"],
            select(
                started.c.id,
                earlier_attempts + 1,
                param("owner", ATTEMPTS.c.worker_id),
                param("now", ATTEMPTS.c.started_at),
            ),
        )
        .returning(ATTEMPTS.c.id, ATTEMPTS.c.number)
        .cte("opened")
    )
    return select(
        *(column for column in started.c if column.name != "id"),
        opened.c.id.label("attempt_id"),
        opened.c.number.label("attempt_number"),
    ).select_from(started.join(opened, true()))


START_JOB_WITH_ATTEMPT = _started_with_attempt()
"""A due job started, with its attempt opened (see :func:`_started_with_attempt`). Only for
a job read as queued: see the module."""
