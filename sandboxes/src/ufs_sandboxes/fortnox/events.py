"""The change log behind the WebSocket stream: one ordered event list per tenant and topic.

Offsets are opaque strings from one sandbox-wide sequence, so they are unique across tenants
and topics and increase monotonically (also as strings: fixed-width base 36). Replaying "after
an offset" returns the events with a later sequence number, so an offset from any topic works.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ufs_sandboxes.fortnox.config import Clock
from ufs_sandboxes.fortnox.facts import FORTNOX_TIMEZONE

TOPICS_WITH_EVENTS = ("customers", "articles", "orders", "offers", "invoices")
OTHER_TOPICS = ("currencies", "termsofpayments", "waysofdelivery", "vouchers")
"""Topics Fortnox has that the sandbox accepts but never writes to."""
KNOWN_TOPICS = frozenset(TOPICS_WITH_EVENTS + OTHER_TOPICS)

_OFFSET_WIDTH = 10
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def encode_offset(sequence: int) -> str:
    chars = []
    for _ in range(_OFFSET_WIDTH):
        sequence, digit = divmod(sequence, 36)
        chars.append(_DIGITS[digit])
    return "".join(reversed(chars))


def decode_offset(offset: str) -> int | None:
    if len(offset) != _OFFSET_WIDTH:
        return None
    try:
        return int(offset, 36)
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class ChangeEvent:
    sequence: int
    topic: str
    type: str
    tenant_id: int
    entity_id: str
    timestamp: float

    @property
    def offset(self) -> str:
        return encode_offset(self.sequence)

    def as_message(self) -> dict[str, Any]:
        moment = dt.datetime.fromtimestamp(self.timestamp, FORTNOX_TIMEZONE)
        return {
            "topic": self.topic,
            "offset": self.offset,
            "type": self.type,
            "tenantId": self.tenant_id,
            "entityId": self.entity_id,
            "timestamp": moment.isoformat(timespec="milliseconds"),
        }


Listener = Callable[[ChangeEvent], None]


@dataclass(slots=True)
class _TopicLog:
    events: list[ChangeEvent] = field(default_factory=list)
    sequences: list[int] = field(default_factory=list)


class EventLog:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._sequence = 0
        self._logs: dict[tuple[int, str], _TopicLog] = {}
        self._listeners: list[Listener] = []

    def append(self, tenant_id: int, topic: str, event_type: str, entity_id: str) -> ChangeEvent:
        self._sequence += 1
        event = ChangeEvent(self._sequence, topic, event_type, tenant_id, entity_id, self._clock())
        log = self._logs.get((tenant_id, topic))
        if log is None:
            log = self._logs[(tenant_id, topic)] = _TopicLog()
        log.events.append(event)
        log.sequences.append(event.sequence)
        for listener in tuple(self._listeners):
            listener(event)
        return event

    def after(self, tenant_id: int, topic: str, after_sequence: int = 0) -> list[ChangeEvent]:
        """Events of one tenant's topic with a sequence number above ``after_sequence``."""
        log = self._logs.get((tenant_id, topic))
        if log is None:
            return []
        start = bisect.bisect_right(log.sequences, after_sequence)
        return log.events[start:]

    @property
    def last_sequence(self) -> int:
        return self._sequence

    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def clear(self) -> None:
        """Forget all events; the sequence keeps counting so old offsets never come back."""
        self._logs.clear()
