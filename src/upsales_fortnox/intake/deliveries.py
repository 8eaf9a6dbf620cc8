"""What the intake records, before any of it is stored: the events of each delivery, with the
job each calls for, and what became of each (:class:`IntakeResult`).

:class:`EventPlan` dedupes the events of a batch of deliveries and puts the results back in
their places; the intake's repository (:mod:`upsales_fortnox.intake.repository.record`) stores
them.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from upsales_fortnox.intake.errors import TenantMismatchError
from upsales_fortnox.intake.fortnox_events import classify, names_document
from upsales_fortnox.intake.parse import UpsalesChange, fortnox_dedupe_key
from upsales_fortnox.intake.wire import FortnoxChangeEvent
from upsales_fortnox.integrations.digits import parse_digits
from upsales_fortnox.vocabulary import EventSource

logger = logging.getLogger(__name__)

IntakeStatus = Literal["accepted", "recorded", "duplicate", "ignored"]
"""``accepted``: stored, its job queued; ``recorded``: stored, no job (an event type we do not
use); ``duplicate``: stored before; ``ignored``: not stored (nothing we follow)."""


class IntakeInstallation(Protocol):
    """What recording needs of an installation (an ORM ``Installation`` will do)."""

    @property
    def id(self) -> uuid.UUID: ...

    @property
    def fortnox_tenant_id(self) -> str | None: ...


@dataclass(frozen=True)
class IntakeResult:
    """What became of one event. ``job_id`` is the job that will sync it (for a duplicate, the
    job of the first delivery, which may have finished since)."""

    status: IntakeStatus
    job_id: int | None = None
    event_id: int | None = None


IGNORED = IntakeResult(status="ignored")


@dataclass(frozen=True)
class NewEvent:
    """An event to store, and the job that syncs its entity (``job_kind`` ``None``: no job)."""

    source: str
    dedupe_key: str
    event_type: str
    entity_type: str
    entity_id: str
    payload: dict[str, Any]
    job_kind: str | None
    #: ``payload`` as JSON text, when the parser made it already.
    payload_json: str | None = None


@dataclass(frozen=True)
class EventsOf:
    """The events of one delivery to one installation; ``None`` marks an ignored event (its
    result is ``ignored`` and nothing is written for it)."""

    installation_id: uuid.UUID
    events: Sequence[NewEvent | None]


def upsales_new_event(parsed: UpsalesChange) -> NewEvent:
    return NewEvent(
        source=EventSource.UPSALES.value,
        dedupe_key=parsed.dedupe_key,
        event_type=parsed.event_type,
        entity_type=parsed.entity,
        entity_id=str(parsed.entity_id),
        payload=parsed.payload,
        job_kind=parsed.job_kind,
        payload_json=parsed.payload_json,
    )


def check_tenant(installation: IntakeInstallation, events: Sequence[FortnoxChangeEvent]) -> None:
    """Refuse events of another Fortnox tenant than the installation's (when that is known)."""
    expected = installation.fortnox_tenant_id
    if expected is None:
        return
    for event in events:
        if event.tenant_id != expected:
            raise TenantMismatchError(
                f"event {event.topic}:{event.offset} belongs to another Fortnox tenant"
            )


def fortnox_new_events(
    installation: IntakeInstallation, events: Sequence[FortnoxChangeEvent]
) -> list[NewEvent | None]:
    """The events to store, in input order (``None`` for a topic we do not follow), each with
    the job its type calls for (:func:`~.fortnox_events.classify`). All events are checked
    first: one of another tenant refuses the lot. An order's, invoice's or offer's event that
    names its document by no number is recorded with no job (its job could only die), as one of
    a type we do not know is, and does not refuse its batch: which id some types carry is a
    guess (facts.INVOICE_NUMBER_EVENTS)."""
    check_tenant(installation, events)
    new_events: list[NewEvent | None] = []
    for wire in events:
        use = classify(wire.topic, wire.type)
        if use is None or wire.entity_id is None:
            new_events.append(None)
            continue
        job_kind = use.job_kind
        if names_document(wire.topic, wire.type) and parse_digits(wire.entity_id) is None:
            logger.warning(
                "a Fortnox %s event (offset %s) names its document by no number: recorded, no job",
                wire.type,
                wire.offset,
            )
            job_kind = None
        new_events.append(
            NewEvent(
                source=EventSource.FORTNOX.value,
                dedupe_key=fortnox_dedupe_key(wire),
                event_type=wire.type,
                entity_type=use.entity,
                entity_id=wire.entity_id,
                payload=wire.model_dump(mode="json", by_alias=True),
                job_kind=job_kind,
            )
        )
    return new_events


EventKey = tuple[uuid.UUID, str, str]
"""What dedupes an event: installation, source, dedupe key."""


class EventPlan:
    """The events of a batch of deliveries, deduplicated: each key once, in key order (the order
    rows are written in, so concurrent writers cannot deadlock), and where each result goes."""

    def __init__(self, deliveries: Sequence[EventsOf]) -> None:
        self._sizes = [len(delivery.events) for delivery in deliveries]
        self._first: dict[EventKey, tuple[int, int, NewEvent]] = {}
        self._repeats: list[tuple[int, int, EventKey]] = []
        for index, delivery in enumerate(deliveries):
            for position, event in enumerate(delivery.events):
                if event is None:
                    continue
                key = (delivery.installation_id, event.source, event.dedupe_key)
                if key in self._first:
                    self._repeats.append((index, position, key))
                else:
                    self._first[key] = (index, position, event)
        self.events: list[tuple[EventKey, NewEvent]] = [
            (key, self._first[key][2]) for key in sorted(self._first)
        ]

    def results(
        self, accepted: dict[EventKey, IntakeResult], stored: dict[EventKey, IntakeResult]
    ) -> list[list[IntakeResult]]:
        """Per delivery and event: ``accepted`` for keys written now, ``stored`` for keys found
        stored already (a key in neither was deleted in between: a duplicate without a job);
        a repeat within the batch is a duplicate of its first occurrence."""
        results = [[IGNORED] * size for size in self._sizes]
        for key, (index, position, _) in self._first.items():
            results[index][position] = accepted.get(key) or stored.get(
                key, IntakeResult("duplicate")
            )
        for index, position, key in self._repeats:
            first_index, first_position, _ = self._first[key]
            first = results[first_index][first_position]
            results[index][position] = IntakeResult(
                "duplicate", job_id=first.job_id, event_id=first.event_id
            )
        return results


def needs_no_job(deliveries: Sequence[EventsOf]) -> bool:
    """Whether some event of ``deliveries`` is stored without a job."""
    return any(
        event is not None and event.job_kind is None
        for delivery in deliveries
        for event in delivery.events
    )
