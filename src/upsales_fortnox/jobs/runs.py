"""What a worker knows of the jobs it picks and runs, and of the leases it may lose meanwhile."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from upsales_fortnox.vocabulary import JobStatus

Clock = Callable[[], datetime]


class LeaseLost(Exception):
    """This worker no longer holds the lease of the job or installation it was working on."""


class OutcomeSavedLeaseLost(LeaseLost):
    """The job's outcome was saved, but the installation lease was gone when the next job was
    to start with it."""


@dataclass(frozen=True)
class DueJob:
    job_id: int
    status: str
    attempts: int
    max_attempts: int
    kind: str
    entity_id: str | None

    @property
    def lease_expired(self) -> bool:
        return self.status == JobStatus.RUNNING

    @property
    def to_bury(self) -> bool:
        """Its last attempt ran out with its worker's lease: it is buried, not run."""
        return self.lease_expired and self.attempts >= self.max_attempts


@dataclass(frozen=True)
class RunningJob:
    """A job this worker has started; ``attempts`` includes this run and fences every update."""

    job_id: int
    installation_id: uuid.UUID
    kind: str
    entity_id: str | None
    payload: dict[str, Any]
    attempts: int
    max_attempts: int
    attempt_id: int
    attempt_number: int
    recovered: bool
    """A previous run's lease had expired (its worker stopped) before this run started."""
    installation_version: int = 0
    settings_version: int = 0
    """The installation's and its settings' versions as the run started (0: no settings)."""


def running_job_of(
    row: Any,
    *,
    job_id: int,
    installation_id: uuid.UUID,
    attempt_id: int,
    attempt_number: int,
    recovered: bool,
) -> RunningJob:
    """The run of a started job, from a row of its columns (``kind``, ``entity_id``,
    ``payload``, ``attempts``, ``max_attempts``, ``installation_version``,
    ``settings_version``)."""
    return RunningJob(
        job_id=job_id,
        installation_id=installation_id,
        kind=row.kind,
        entity_id=row.entity_id,
        payload=dict(row.payload or {}),
        attempts=row.attempts,
        max_attempts=row.max_attempts,
        attempt_id=attempt_id,
        attempt_number=attempt_number,
        recovered=recovered,
        installation_version=row.installation_version,
        settings_version=row.settings_version or 0,
    )


@dataclass(frozen=True)
class Completed:
    recorded: bool
    """``False``: the job was no longer ours, nothing was saved."""
    next_job: RunningJob | None = None
    """The next job, if one was asked for and started in the same transaction."""
