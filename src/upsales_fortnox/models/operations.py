"""Tables for operators: the shared Fortnox request budget's grants, what the service last saw
of each connection, raised alerts, and the console sessions logged out of."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    String,
    Text,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from upsales_fortnox.core.db.base import Base
from upsales_fortnox.core.db.types import BigIntPK, UTCDateTime, utcnow
from upsales_fortnox.models import budget_take


class FortnoxBudgetGrant(Base):
    """A place taken in a tenant's Fortnox request budget, shared by every process on
    PostgreSQL: held from ``granted_at`` until ``finished_at`` (the answer) and counted for a
    window after it (see :mod:`upsales_fortnox.fortnox_budget.repository`). ``holder`` names the
    process that took it (its presence lock tells whether it is still connected)."""

    __tablename__ = "fortnox_budget_grants"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    tenant_key: Mapped[str] = mapped_column(String(100), index=True)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    holder: Mapped[str | None] = mapped_column(String(100))


budget_take.created_with(FortnoxBudgetGrant.__table__)


class ConnectionCheck(Base):
    """The last signs of life of an installation's two connections (for its health).

    Kept apart from the versioned :class:`~upsales_fortnox.models.installation.Installation` so that
    recording them never conflicts with an operator's edit.
    """

    __tablename__ = "connection_checks"

    installation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("installations.id", ondelete="CASCADE"), primary_key=True
    )
    fortnox_last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    upsales_key_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    upsales_key_ok: Mapped[bool | None] = mapped_column(Boolean)
    upsales_key_error: Mapped[str | None] = mapped_column(Text)


class AlertState(Base):
    """One alert cause (``cause`` is its stable key, e.g. ``needs_login:<id>``), raised once
    and resolved once; shared by every process so that each cause is announced only once.

    Also the outbox of the alert webhook: ``raise_sent_at``/``resolve_sent_at`` stay null until
    the announcement went out (a cause that comes back after resolving is raised anew), and
    ``announcing_until`` is the claim of the process posting one (see
    :func:`~upsales_fortnox.ops.repository.alert_states.claim_announcement`).
    ``installation_id`` has no foreign key: a deleted installation's alerts stay to be announced
    resolved.
    """

    __tablename__ = "alert_states"

    cause: Mapped[str] = mapped_column(String(200), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    installation_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    summary: Mapped[str] = mapped_column(Text)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    raise_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolve_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    announcing_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


class EndedConsoleSession(Base):
    """A console session its operator logged out of, by its cookie's nonce: that cookie opens
    nothing again. Kept until the session would have expired anyway (``expires_at``)."""

    __tablename__ = "ended_console_sessions"

    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
