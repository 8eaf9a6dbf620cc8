"""Durable intake of webhooks and change events: parse, dedupe, store, queue.

The API endpoints, the Fortnox WebSocket consumer and the reconciler feed events through
:func:`record_upsales_event` and :func:`record_fortnox_events`, inside their own transaction.
"""

from upsales_fortnox.intake.deliveries import IntakeInstallation, IntakeResult
from upsales_fortnox.intake.parse import (
    IgnoredEvent,
    SynchronousQuestion,
    UpsalesChange,
    parse_fortnox_events,
    parse_upsales_app_hook,
    parse_upsales_trigger,
)
from upsales_fortnox.intake.repository.record import record_fortnox_events, record_upsales_event
from upsales_fortnox.intake.wire import FortnoxChangeEvent

__all__ = [
    "FortnoxChangeEvent",
    "IgnoredEvent",
    "IntakeInstallation",
    "IntakeResult",
    "SynchronousQuestion",
    "UpsalesChange",
    "parse_fortnox_events",
    "parse_upsales_app_hook",
    "parse_upsales_trigger",
    "record_fortnox_events",
    "record_upsales_event",
]
