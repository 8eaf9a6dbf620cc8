"""The service's tables.

Secrets (API tokens, OAuth tokens, webhook secrets) are stored only encrypted, in columns whose
names end in ``_enc``; see :mod:`upsales_fortnox.security.crypto`.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from upsales_fortnox.db.base import Base
from upsales_fortnox.db.types import BigIntPK, JSONDoc, UTCDateTime, utcnow


class InstallationStatus(StrEnum):
    PENDING_LOGIN = "pending_login"
    ACTIVE = "active"
    PAUSED = "paused"
    NEEDS_RELOGIN = "needs_relogin"


class SyncType(StrEnum):
    """Setting ``syncType``: what syncs from Fortnox to Upsales, where won deals go."""

    INVOICE = "invoice"
    ORDER = "order"
    ORDER_OFFER = "order_offer"


class ProductBundleMode(StrEnum):
    """Setting ``productBundles``: how an Upsales bundle is sent to Fortnox."""

    ONLY_BUNDLE = "onlyBundle"
    ONLY_SUB_PRODUCTS = "onlySubProducts"
    BUNDLE_AND_SUB_PRODUCTS = "bundleAndSubProducts"


class LinkEntity(StrEnum):
    COMPANY = "company"
    PRODUCT = "product"
    ORDER = "order"


class FortnoxType(StrEnum):
    CUSTOMER = "customer"
    ARTICLE = "article"
    ORDER = "order"
    INVOICE = "invoice"
    OFFER = "offer"


class EventSource(StrEnum):
    UPSALES = "upsales"
    FORTNOX = "fortnox"


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    DEAD = "dead"


class AttemptOutcome(StrEnum):
    DONE = "done"
    RETRY = "retry"
    DEAD = "dead"
    LEASE_EXPIRED = "lease_expired"
    RELEASED = "released"


class Installation(Base):
    """One Upsales account connected to one Fortnox company."""

    __tablename__ = "installations"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(200))
    upsales_customer_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    status: Mapped[str] = mapped_column(String(20), default=InstallationStatus.PENDING_LOGIN)
    status_reason: Mapped[str | None] = mapped_column(Text)
    upsales_api_token_enc: Mapped[str | None] = mapped_column(Text)
    webhook_secret_enc: Mapped[str | None] = mapped_column(Text)
    fortnox_tenant_id: Mapped[str | None] = mapped_column(String(50))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    settings: Mapped[InstallationSettings | None] = relationship(
        back_populates="installation", cascade="all, delete-orphan", passive_deletes=True
    )

    __mapper_args__ = {"version_id_col": version}


class FortnoxCredentials(Base):
    """The installation's Fortnox OAuth2 tokens, encrypted; rotated by the token store.

    Kept apart from :class:`Installation` so a token refresh never conflicts with an operator's
    edit of the installation (which is versioned for optimistic concurrency).
    """

    __tablename__ = "fortnox_credentials"

    installation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("installations.id", ondelete="CASCADE"), primary_key=True
    )
    access_token_enc: Mapped[str] = mapped_column(Text)
    #: Null for a service account (client credentials), which has no refresh token.
    refresh_token_enc: Mapped[str | None] = mapped_column(Text)
    #: ``user`` (authorization code login) or ``service`` (client credentials).
    token_kind: Mapped[str] = mapped_column(String(20), default="user", server_default="user")
    access_token_expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    scopes: Mapped[str] = mapped_column(String(500), default="")
    refreshed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class InstallationSettings(Base):
    """The sync settings of one installation; names follow the app's config fields."""

    __tablename__ = "installation_settings"

    installation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("installations.id", ondelete="CASCADE"), primary_key=True
    )
    sync_type: Mapped[str] = mapped_column(String(20), default=SyncType.INVOICE)
    placeholder_user: Mapped[int | None] = mapped_column(Integer)
    won_stage: Mapped[int | None] = mapped_column(Integer)
    lost_stage: Mapped[int | None] = mapped_column(Integer)
    offer_stage: Mapped[int | None] = mapped_column(Integer)
    price_list: Mapped[str | None] = mapped_column(String(50))
    product_bundles: Mapped[str] = mapped_column(String(30), default=ProductBundleMode.ONLY_BUNDLE)
    # --- money after the deal: payments and credits (issue 11, parts 1, 2) ---
    payment_status: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    credit_invoices: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # --- end payments and credits ---
    # --- documents and stock (issue 11, parts 3-5) ---
    document_links: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    stock_levels: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    currency_price_lists: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc)
    """Upsales currency (ISO code) → the Fortnox price list its product prices come from."""
    # --- end documents and stock ---
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    installation: Mapped[Installation] = relationship(back_populates="settings")

    __mapper_args__ = {"version_id_col": version}


class DocumentLinkKey(Base):
    """The salt of an installation's document-link key (the key itself is derived from
    ``SECRET_KEY`` and the salt, never stored). A new salt (``key_version`` + 1) voids every
    document link made before it."""

    __tablename__ = "document_link_keys"

    installation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("installations.id", ondelete="CASCADE"), primary_key=True
    )
    key_version: Mapped[int] = mapped_column(Integer, default=1)
    salt: Mapped[str] = mapped_column(String(64))
    rotated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Link(Base):
    """An Upsales entity and the Fortnox entity it is kept in sync with.

    ``fingerprint`` is a hash of the fields as they were last synced; a change whose mapped fields
    hash to the same value is the echo of our own write and is ignored. ``synced_fields`` holds
    those fields themselves where a three-way merge needs them (companies); for a document the
    sync wrote, the ``RowId`` and article of each row as Fortnox answered that write (so an edit
    is one PUT); else null.
    """

    __tablename__ = "links"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    installation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("installations.id", ondelete="CASCADE")
    )
    entity: Mapped[str] = mapped_column(String(20))
    upsales_id: Mapped[int] = mapped_column(Integer)
    fortnox_type: Mapped[str] = mapped_column(String(20))
    fortnox_id: Mapped[str] = mapped_column(String(50))
    fingerprint: Mapped[str | None] = mapped_column(String(64))
    synced_fields: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc)
    synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        UniqueConstraint("installation_id", "entity", "upsales_id", "fortnox_type"),
        UniqueConstraint("installation_id", "fortnox_type", "fortnox_id"),
    )


class DocumentIntent(Base):
    """A won deal whose Fortnox document was (or is being) created: written and committed
    before the create is sent, and kept afterwards.

    A deal with no link and no intent has never been sent, so its document is created without
    searching Fortnox first; a deal with an intent but no link (a crash, a timeout, a dropped
    connection, a link deleted by hand) is searched for by its order reference first.
    """

    __tablename__ = "document_intents"

    installation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("installations.id", ondelete="CASCADE"), primary_key=True
    )
    upsales_order_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fortnox_type: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CustomFieldId(Base):
    """An Upsales custom field id resolved from its alias, cached per installation.

    ``field_id`` is null when the installation has no field with that alias (checked at
    ``resolved_at``).
    """

    __tablename__ = "custom_field_ids"

    installation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("installations.id", ondelete="CASCADE"), primary_key=True
    )
    entity: Mapped[str] = mapped_column(String(20), primary_key=True)
    alias: Mapped[str] = mapped_column(String(100), primary_key=True)
    field_id: Mapped[int | None] = mapped_column(Integer)
    resolved_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


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
    entity_id: Mapped[str | None] = mapped_column(String(50))
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
    entity_id: Mapped[str | None] = mapped_column(String(50))
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


class OAuthState(Base):
    """A Fortnox login in progress: the nonce of a signed OAuth ``state``, usable once.

    Written when the login starts, marked ``used_at`` when the callback consumes it (or when
    consent is denied); expired rows are deleted when new logins start.
    """

    __tablename__ = "oauth_states"

    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    installation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("installations.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class FortnoxBudgetGrant(Base):
    """A place taken in a tenant's Fortnox request budget, shared by every process on
    PostgreSQL: held from ``granted_at`` until ``finished_at`` (the answer) and counted for a
    window after it (see :mod:`upsales_fortnox.shared_budget`)."""

    __tablename__ = "fortnox_budget_grants"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    tenant_key: Mapped[str] = mapped_column(String(100), index=True)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


# The operations tables (connection checks, alert states) live in their own module.
from upsales_fortnox.db import ops_models  # noqa: E402, F401
