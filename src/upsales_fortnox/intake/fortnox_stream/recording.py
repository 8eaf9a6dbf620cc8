"""How the stream consumer records events: through the intake, for one installation at a time
(what it keeps in the database, the installations it follows and the topics' offsets, is in
:mod:`upsales_fortnox.intake.repository.stream_offsets`)."""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Collection, Sequence
from dataclasses import dataclass
from typing import Final, Protocol

from pydantic import TypeAdapter, ValidationError

from upsales_fortnox.core.db.errors import is_lock_timeout
from upsales_fortnox.core.db.lock_wait import bound_lock_waits
from upsales_fortnox.core.db.session import DbSession, DbSessionFactory
from upsales_fortnox.intake import FortnoxChangeEvent, record_fortnox_events
from upsales_fortnox.intake.errors import EventValidationError
from upsales_fortnox.intake.parse import check_fortnox_event, text_problem
from upsales_fortnox.intake.wire import DeliveryId
from upsales_fortnox.integrations.fortnox.stream import Message

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StreamTenant:
    """An installation as the intake sees it (``id``, ``fortnox_tenant_id``)."""

    id: uuid.UUID
    fortnox_tenant_id: str | None


class StreamRecorder(Protocol):
    """Records one installation's events (the intake), in the caller's transaction."""

    async def __call__(
        self, session: DbSession, tenant: StreamTenant, events: Sequence[Message]
    ) -> None: ...


async def record_with_intake(
    session: DbSession, tenant: StreamTenant, events: Sequence[Message]
) -> None:
    """The default recorder: the event intake, shared with the HTTP endpoint and its dedupe.

    An event that does not fit Fortnox's event shape (or holds text the database cannot store: a
    NUL, a lone surrogate) is logged and skipped, as the event endpoint refuses it, so it cannot
    fail its batch at every replay.
    """
    parsed: list[FortnoxChangeEvent] = []
    for event in events:
        try:
            if text_problem(event) is not None:  # the event endpoint refuses it too
                raise EventValidationError("text the database cannot store")
            change = FortnoxChangeEvent.model_validate(event)
            check_fortnox_event(change)
            parsed.append(change)
        except (ValueError, EventValidationError):
            log.warning(
                "skipping a malformed stream event (topic %r, offset %r)",
                event.get("topic"),
                event.get("offset"),
            )
    if parsed:
        await record_fortnox_events(session, tenant, parsed)


class TokenSource(Protocol):
    async def access_token(self, installation_id: uuid.UUID) -> str: ...


_OFFSET: Final = TypeAdapter(DeliveryId)


def storable(events: Sequence[Message], topics: Collection[str]) -> list[Message]:
    """The events whose offsets can be kept: of a topic followed, with an offset the intake
    reads. Another (an event the intake skips) moves no offset, or the batch's save would fail
    on every replay: the stream resumes before it, and skips it again."""
    kept = []
    for event in events:
        try:
            offset = _OFFSET.validate_python(event.get("offset"))
        except ValidationError:
            continue
        if text_problem(offset) is not None:
            continue
        if event.get("topic") in topics:
            kept.append(event)
    return kept


def by_tenant(batch: Sequence[Message]) -> list[tuple[str, list[Message]]]:
    """A batch's events by tenant id, in the order of the ids."""
    grouped: dict[str, list[Message]] = {}
    for event in batch:
        grouped.setdefault(str(event.get("tenantId")), []).append(event)
    return sorted(grouped.items())


@contextlib.asynccontextmanager
async def batch_session(
    session_factory: DbSessionFactory, lock_wait_seconds: float
) -> AsyncIterator[DbSession]:
    """The session a batch is recorded in: it waits at most ``lock_wait_seconds`` for a row
    another transaction holds (PostgreSQL). A batch given up so is logged with a stable code and
    its error goes on, so its offsets stay unsaved and the stream reconnects and replays it,
    rather than every installation's events waiting behind that one transaction."""
    async with session_factory() as session:
        try:
            await bound_lock_waits(session, lock_wait_seconds)
            yield session
        except Exception as exc:
            if is_lock_timeout(exc):
                log.warning(
                    "stream_lock_timeout: a batch waited for a row another transaction holds; "
                    "it is recorded again after reconnecting"
                )
            raise
