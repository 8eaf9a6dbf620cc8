"""Service-account consent webhooks from Fortnox: their shape, read in this one place.

Fortnox says "consent created" and "consent revoked" events for service accounts arrive "via
webhook" (fortnox.md §6) but documents neither payload nor registration (the guesses:
:data:`~upsales_fortnox.integrations.fortnox.facts.CONSENT_EVENT_TYPES` and the key lists beside
it). So the reader is lenient: the event type from ``type``, ``eventType``, ``event`` or ``topic``
(any spelling with "consent" and "revok"/"creat" in it, e.g. ``consent-revoked-v1``), the tenant
from ``tenantId``, ``tenant_id``, ``TenantId`` or ``databaseNumber`` (a number or digits).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from upsales_fortnox.integrations.digits import parse_digits
from upsales_fortnox.integrations.fortnox.facts import (
    CONSENT_EVENT_TYPES,
    CONSENT_TENANT_KEYS,
    CONSENT_TYPE_KEYS,
)


@dataclass(frozen=True)
class ConsentEvent:
    change: Literal["created", "revoked"]
    tenant_id: str


def _change(value: Any) -> Literal["created", "revoked"] | None:
    if not isinstance(value, str):
        return None
    known = CONSENT_EVENT_TYPES.get(value)
    letters = re.sub(r"[^a-z]", "", value.lower())
    if known == "revoked" or ("consent" in letters and "revok" in letters):
        return "revoked"
    if known == "created" or ("consent" in letters and "creat" in letters):
        return "created"
    return None


def _tenant(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and value > 0:
        return str(value)
    if isinstance(value, str) and parse_digits(value.strip(), max_digits=20) is not None:
        return value.strip()
    return None


def parse_consent_event(body: Any) -> ConsentEvent | None:
    """The event a body describes, or None when it is not a consent event we can act on."""
    if not isinstance(body, dict):
        return None
    change = next((c for key in CONSENT_TYPE_KEYS if (c := _change(body.get(key)))), None)
    tenant = next((t for key in CONSENT_TENANT_KEYS if (t := _tenant(body.get(key)))), None)
    if change is None or tenant is None:
        return None
    return ConsentEvent(change, tenant)
