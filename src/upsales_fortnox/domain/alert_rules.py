"""Which alerts to raise and which to resolve, decided from causes alone (no I/O).

A *cause* is one thing wrong, under a stable key (``dead_jobs:<installation>:<code>``). Each
cause is announced once when it appears and once when it clears, however often it is seen in
between. Causes that a check finds (``POLLED_KINDS``) clear when a check no longer finds them;
the others (reconciliation differences) clear only when their reporter says so.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum
from typing import Final


class AlertKind(StrEnum):
    DEAD_JOBS = "dead_jobs"
    NEEDS_LOGIN = "needs_login"
    REFRESH_TOKEN_ENDING = "refresh_token_ending"
    QUEUE_BEHIND = "queue_behind"
    UPSALES_KEY_REFUSED = "upsales_key_refused"
    RECONCILIATION_DIFFERENCES = "reconciliation_differences"
    FORTNOX_CLIENT_REJECTED = "fortnox_client_rejected"
    """Service-wide (no installation): Fortnox refuses the service's own OAuth client."""


POLLED_KINDS: Final = frozenset(
    {
        AlertKind.DEAD_JOBS,
        AlertKind.NEEDS_LOGIN,
        AlertKind.REFRESH_TOKEN_ENDING,
        AlertKind.QUEUE_BEHIND,
        AlertKind.UPSALES_KEY_REFUSED,
        AlertKind.FORTNOX_CLIENT_REJECTED,
    }
)


@dataclass(frozen=True)
class Cause:
    key: str
    kind: AlertKind
    installation_id: uuid.UUID | None
    summary: str
    """Our own words and codes only: never a token, key or secret."""


@dataclass(frozen=True)
class Raise:
    cause: Cause


@dataclass(frozen=True)
class Resolve:
    key: str


AlertCommand = Raise | Resolve


def decide_alerts(
    open_causes: dict[str, AlertKind], found: list[Cause], deleted: Collection[str] = ()
) -> list[AlertCommand]:
    """``open_causes``: the keys raised and not yet resolved, with their kind; ``found``: what
    the checks see now; ``deleted``: the open causes of installations deleted since. New
    causes are raised; open polled causes no longer found resolve, and a deleted
    installation's causes of any kind."""
    found_keys = {cause.key for cause in found}
    commands: list[AlertCommand] = [Raise(cause) for cause in found if cause.key not in open_causes]
    commands += [
        Resolve(key)
        for key, kind in sorted(open_causes.items())
        if key not in found_keys and (kind in POLLED_KINDS or key in deleted)
    ]
    return commands
