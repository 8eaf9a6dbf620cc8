"""The ``alert_states`` table: raised and resolved alerts. Every process sees the same, so a
cause is raised once and resolved once, and each is announced by one process at a time (the
table is the webhook's outbox): at least once, since a process that stops between its post and
recording it leaves its claim to run out, and the next check posts it again. Nothing here
commits."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import ColumnElement, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.core.db.upsert import upsert_insert
from upsales_fortnox.domain.alert_rules import AlertCommand, AlertKind, Cause, Raise
from upsales_fortnox.models.installation import Installation
from upsales_fortnox.models.operations import AlertState

ANNOUNCEMENT_CLAIM_SECONDS: Final = 60
"""How long a process's claim on an announcement keeps others from posting it: longer than its
post may take (``alert_delivery.POST_TIMEOUT_SECONDS``) and the recording of it."""


async def open_causes(session: AsyncSession) -> dict[str, AlertKind]:
    rows = await session.execute(
        select(AlertState.cause, AlertState.kind).where(AlertState.resolved_at.is_(None))
    )
    return {cause: AlertKind(kind) for cause, kind in rows}


async def open_causes_of_deleted_installations(session: AsyncSession) -> set[str]:
    """The open causes whose installation no longer exists (it was deleted)."""
    still_there = exists().where(Installation.id == AlertState.installation_id)
    rows = await session.scalars(
        select(AlertState.cause).where(
            AlertState.resolved_at.is_(None),
            AlertState.installation_id.is_not(None),
            ~still_there,
        )
    )
    return set(rows)


async def apply(session: AsyncSession, commands: list[AlertCommand], now: datetime) -> None:
    """Record the commands. Does not commit."""
    for command in commands:
        if isinstance(command, Raise):
            await raise_cause(session, command.cause, now)
        else:
            await resolve_cause(session, command.key, now)


async def raise_cause(session: AsyncSession, cause: Cause, now: datetime) -> None:
    """Open the cause (again, if it was resolved); a cause open already stays as it is.

    A claim on the cause stays: the raise is announced only once the announcement in flight
    (the old resolve) went out or its claim ran out, so the webhook never hears the new raise
    before the old resolve."""
    await session.execute(
        upsert_insert(session.get_bind().dialect.name, AlertState)
        .values(
            cause=cause.key,
            kind=cause.kind.value,
            installation_id=cause.installation_id,
            summary=cause.summary,
            raised_at=now,
        )
        .on_conflict_do_nothing(index_elements=["cause"])
    )
    await session.execute(
        update(AlertState)
        .where(AlertState.cause == cause.key, AlertState.resolved_at.is_not(None))
        .values(
            summary=cause.summary,
            raised_at=now,
            resolved_at=None,
            raise_sent_at=None,
            resolve_sent_at=None,
        )
    )


async def resolve_cause(session: AsyncSession, key: str, now: datetime) -> None:
    await session.execute(
        update(AlertState)
        .where(AlertState.cause == key, AlertState.resolved_at.is_(None))
        .values(resolved_at=now)
    )


async def report_reconciliation_differences(
    session: AsyncSession,
    installation_id: uuid.UUID,
    topic: str,
    differences: int,
    *,
    now: datetime | None = None,
) -> None:
    """The hook for reconciliations: ``differences`` found in ``topic`` (0: none, which
    resolves an earlier alert). Raises one alert per installation and topic. Does not commit."""
    now = now or utcnow()
    key = f"{AlertKind.RECONCILIATION_DIFFERENCES}:{installation_id}:{topic}"
    if differences <= 0:
        await resolve_cause(session, key, now)
        return
    summary = f"Reconciliation of {topic} found {differences} difference(s)."
    cause = Cause(key, AlertKind.RECONCILIATION_DIFFERENCES, installation_id, summary)
    await raise_cause(session, cause, now)


async def pending_announcements(session: AsyncSession) -> list[AlertState]:
    """The alerts whose raising, or resolving, is not announced yet."""
    return list(
        await session.scalars(
            select(AlertState).where(
                AlertState.raise_sent_at.is_(None)
                | (AlertState.resolved_at.is_not(None) & AlertState.resolve_sent_at.is_(None))
            )
        )
    )


def _same_raising(row: AlertState) -> ColumnElement[bool]:
    return (AlertState.cause == row.cause) & (AlertState.raised_at == row.raised_at)


async def claim_announcement(
    session: AsyncSession, row: AlertState, column: str, now: datetime
) -> datetime | None:
    """Claim the announcement (``column``: ``raise_sent_at`` or ``resolve_sent_at``) for
    :data:`ANNOUNCEMENT_CLAIM_SECONDS`, unless it went out or a claim on the cause holds (of
    another process, or of an earlier raising's announcement still under way); returns the
    claim (when it runs out) if this one took it. :func:`announced` records the post."""
    sent_column = getattr(AlertState, column)
    claim_free = AlertState.announcing_until.is_(None) | (AlertState.announcing_until <= now)
    until = now + timedelta(seconds=ANNOUNCEMENT_CLAIM_SECONDS)
    claimed = await session.execute(
        update(AlertState)
        .where(_same_raising(row), sent_column.is_(None), claim_free)
        .values(announcing_until=until)
    )
    return until if claimed.rowcount == 1 else None  # type: ignore[attr-defined]


async def announced(
    session: AsyncSession, row: AlertState, column: str, now: datetime, claim: datetime
) -> None:
    """The claimed announcement went out (recorded if the cause was not raised anew since)."""
    await session.execute(update(AlertState).where(_same_raising(row)).values({column: now}))
    await release_announcement(session, row, claim)


async def release_announcement(session: AsyncSession, row: AlertState, claim: datetime) -> None:
    """End the claim, if it is still this one: what waits for it (the announcement, if it did
    not go out; a raise of the cause anew) is posted at the next round."""
    await session.execute(
        update(AlertState)
        .where(AlertState.cause == row.cause, AlertState.announcing_until == claim)
        .values(announcing_until=None)
    )
