"""The intake and the job queue: received events, sync jobs and their attempts, worker leases,
the Fortnox stream offsets and the reconciliation checkpoints."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from upsales_fortnox.core.db.base import Base
from upsales_fortnox.core.db.types import BigIntPK, JSONDoc, UTCDateTime, utcnow
from upsales_fortnox.models.fortnox_ids import MAX_FORTNOX_ID_LENGTH
from upsales_fortnox.vocabulary import JobStatus


class InboundEvent(Base):
    """A webhook or change event as received, kept for dedupe and for operators to see."""

    __tablename__ = "inbound_events"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    installation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("installations.id", ondelete="CASCADE")
    )
    source: Mapped[str] = mapped_column(String(10))
    dedupe_key: Mapped[str] = mapped_column(String(200))
    event_type: Mapped[str] = mapped_column(String(60))
    entity_type: Mapped[str] = mapped_column(String(20))
    entity_id: Mapped[str | None] = mapped_column(String(MAX_FORTNOX_ID_LENGTH))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    job_id: Mapped[int | None] = mapped_column(
        ForeignKey("sync_jobs.id", ondelete="SET NULL"), index=True
    )
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (UniqueConstraint("installation_id", "source", "dedupe_key"),)


class SyncJob(Base):
    """One unit of sync work, run by the worker under a lease.

    ``kind`` names the handler (for example ``upsales.order``); ``entity_id`` the entity it syncs.
    At most one *queued* job exists per (installation, kind, entity): later events coalesce into it.
    """

    __tablename__ = "sync_jobs"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    installation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("installations.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str | None] = mapped_column(String(MAX_FORTNOX_ID_LENGTH))
    status: Mapped[str] = mapped_column(String(12), default=JobStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=8)
    run_after: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    attempt_log: Mapped[list[JobAttempt]] = relationship(
        back_populates="job",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="JobAttempt.number",
    )

    __table_args__ = (
        Index(
            "uq_sync_jobs_queued_entity",
            "installation_id",
            "kind",
            "entity_id",
            unique=True,
            sqlite_where=text("status = 'queued'"),
            postgresql_where=text("status = 'queued'"),
        ),
        Index("ix_sync_jobs_due", "status", "run_after"),
        Index("ix_sync_jobs_installation_status", "installation_id", "status"),
        Index("ix_sync_jobs_entity", "installation_id", "kind", "entity_id", "status"),
    )


class JobAttempt(Base):
    """One run of a job: who ran it, when, and how it ended."""

    __tablename__ = "job_attempts"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("sync_jobs.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    worker_id: Mapped[str] = mapped_column(String(100))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    outcome: Mapped[str | None] = mapped_column(String(20))
    error: Mapped[str | None] = mapped_column(Text)

    job: Mapped[SyncJob] = relationship(back_populates="attempt_log")


class InstallationLease(Base):
    """Which worker serves an installation now; keeps one worker per installation."""

    __tablename__ = "installation_leases"

    installation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("installations.id", ondelete="CASCADE"), primary_key=True
    )
    owner: Mapped[str] = mapped_column(String(100))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class StreamOffset(Base):
    """The offset of the last recorded event of each Fortnox WebSocket topic.

    One stream serves every tenant, so offsets are per topic. The consumer saves an offset in the
    transaction that records the events up to it, and resumes after it on restart.
    """

    __tablename__ = "stream_offsets"

    topic: Mapped[str] = mapped_column(String(40), primary_key=True)
    offset: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class ReconcileCheckpoint(Base):
    """Until when an installation's Fortnox entities of one topic have been reconciled."""

    __tablename__ = "reconcile_checkpoints"

    installation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("installations.id", ondelete="CASCADE"), primary_key=True
    )
    topic: Mapped[str] = mapped_column(String(40), primary_key=True)
    checked_until: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
