"""Sync jobs and their attempts, as operators see them.

Payloads, results and error texts come from webhooks and remote APIs; before they are shown,
values under secret-looking keys (an Upsales app hook body carries the customer's API key) are
replaced and every string passes the log redaction.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from upsales_fortnox.core.logging_setup import redact
from upsales_fortnox.models.job import JobAttempt, SyncJob
from upsales_fortnox.vocabulary import JobStatus

REDACTED = "[redacted]"
_SECRET_KEY = re.compile(
    r"(?i)(api_?key|token|secret|password|authenticationkey|authorization|credential)"
)


def redact_document(value: Any) -> Any:
    """A copy of a JSON document with secret values replaced."""
    if isinstance(value, dict):
        return {
            key: REDACTED
            if isinstance(key, str) and _SECRET_KEY.search(key) and item is not None
            else redact_document(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [redact_document(item) for item in value]
    if isinstance(value, str):
        return redact(value)
    return value


def _redact_text(text: str | None) -> str | None:
    return None if text is None else redact(text)


class JobAttemptOut(BaseModel):
    number: int
    worker_id: str
    started_at: datetime
    finished_at: datetime | None
    outcome: str | None = Field(description="done, retry, waiting, dead, lease_expired or released")
    error: str | None

    @classmethod
    def from_row(cls, attempt: JobAttempt) -> JobAttemptOut:
        return cls(
            number=attempt.number,
            worker_id=attempt.worker_id,
            started_at=attempt.started_at,
            finished_at=attempt.finished_at,
            outcome=attempt.outcome,
            error=_redact_text(attempt.error),
        )


class JobSummary(BaseModel):
    id: int
    installation_id: uuid.UUID
    kind: str = Field(examples=["upsales.order"])
    entity_id: str | None
    status: str = Field(description=", ".join(status.value for status in JobStatus))
    attempt_count: int = Field(description="Attempts since the job was (re)queued.")
    max_attempts: int
    run_after: datetime
    last_error: str | None
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None

    @staticmethod
    def fields_of(job: SyncJob) -> dict[str, Any]:
        return {
            "id": job.id,
            "installation_id": job.installation_id,
            "kind": job.kind,
            "entity_id": job.entity_id,
            "status": job.status,
            "attempt_count": job.attempts,
            "max_attempts": job.max_attempts,
            "run_after": job.run_after,
            "last_error": _redact_text(job.last_error),
            "created_at": job.created_at,
            "updated_at": job.updated_at,
            "finished_at": job.finished_at,
        }

    @classmethod
    def from_row(cls, job: SyncJob) -> JobSummary:
        return cls(**cls.fields_of(job))


class JobDetail(JobSummary):
    payload: dict[str, Any]
    result: dict[str, Any] | None
    lease_owner: str | None
    lease_expires_at: datetime | None
    attempts: list[JobAttemptOut] = Field(description="Every run of the job, oldest first.")

    @classmethod
    def from_job(cls, job: SyncJob, attempts: list[JobAttempt]) -> JobDetail:
        return cls(
            **cls.fields_of(job),
            payload=redact_document(job.payload or {}),
            result=redact_document(job.result) if job.result is not None else None,
            lease_owner=job.lease_owner,
            lease_expires_at=job.lease_expires_at,
            attempts=[JobAttemptOut.from_row(attempt) for attempt in attempts],
        )
