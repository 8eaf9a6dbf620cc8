"""The overall health of an installation, decided from facts alone (no I/O).

:func:`decide_health` turns :class:`HealthFacts` into one state, ``ok``, ``degraded`` (the sync
runs but something needs watching) or ``action_needed`` (the sync is stopped until someone
acts), with every reason as a stable code and a sentence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

#: Fortnox refresh tokens live 45 days and are single use (fortnox.md §3).
CREDENTIALS_UNREADABLE: Final = "credentials_unreadable"
"""The Upsales key's recorded error, and the reason's code, when a stored credential cannot be
decrypted."""
UPSALES_KEY_OTHER_ACCOUNT: Final = "upsales_key_other_account"
"""The Upsales API key opens another Upsales account than the installation's customer id."""
REFRESH_TOKEN_LIFETIME: Final = timedelta(days=45)


class HealthState(StrEnum):
    OK = "ok"
    DEGRADED = "degraded"
    ACTION_NEEDED = "action_needed"


class TokenKind(StrEnum):
    USER = "user"
    """An authorization-code login: an access token and a single-use refresh token."""
    SERVICE = "service"
    """A Fortnox service account: access tokens by client credentials, no refresh token."""


@dataclass(frozen=True)
class HealthThresholds:
    refresh_token_warning: timedelta = timedelta(days=7)
    """Warn when the refresh token ends within this time."""
    queue_age: timedelta = timedelta(minutes=15)
    """Warn when the oldest due job has waited longer than this."""


@dataclass(frozen=True)
class HealthFacts:
    status: str
    status_reason: str | None
    token_kind: TokenKind | None
    """None: no Fortnox login stored."""
    access_token_expires_at: datetime | None
    last_refresh_at: datetime | None
    upsales_key_ok: bool | None
    upsales_key_error: str | None
    oldest_pending_at: datetime | None
    dead_jobs: int
    """Dead jobs that wait for someone: not settled by a later job of their entity that was
    done (the dead-job alert counts the same)."""
    fortnox_tokens_unreadable: bool = False
    """The stored Fortnox tokens cannot be decrypted (``SECRET_KEY`` is not their key)."""
    dead_refused_by_upsales: int = 0
    """Of ``dead_jobs``: those Upsales refused (``upsales_unauthorized``, or a 403's
    ``upsales_forbidden``, perhaps the key's user's access), known before the
    next connection check says whether the key itself or only its user's access is refused."""
    dead_refused_by_fortnox: int = 0
    """Of ``dead_jobs``: those Fortnox refused for the login's access (``fortnox_auth_failed``:
    a scope or licence missing)."""
    client_rejected_jobs: int = 0
    """Jobs waiting (queued or running) whose last try met Fortnox refusing the service's own
    OAuth client id and secret (``fortnox_client_rejected``): the operator's configuration,
    not this login (those dead past the outage patience count among ``dead_jobs``)."""
    upsales_key_stored: bool = True
    """An Upsales API key is stored (without one, every job that needs Upsales dies)."""
    settings_saved: bool = True
    """The installation's sync settings were saved (until then its jobs wait, uncounted)."""


@dataclass(frozen=True)
class HealthReason:
    code: str
    message: str
    state: HealthState


@dataclass(frozen=True)
class Health:
    state: HealthState
    reasons: tuple[HealthReason, ...]


def refresh_token_expires_at(facts: HealthFacts) -> datetime | None:
    """When the stored refresh token ends (a user login's last refresh + 45 days)."""
    if facts.token_kind is not TokenKind.USER or facts.last_refresh_at is None:
        return None
    return facts.last_refresh_at + REFRESH_TOKEN_LIFETIME


def _login_reasons(
    facts: HealthFacts, now: datetime, limits: HealthThresholds
) -> list[HealthReason]:
    action = HealthState.ACTION_NEEDED
    if facts.status == "pending_login":
        return [
            HealthReason("fortnox_login_pending", "No one has logged in to Fortnox yet.", action)
        ]
    if facts.status == "needs_relogin":
        detail = f" ({facts.status_reason})" if facts.status_reason else ""
        message = f"Fortnox refused the connection; log in to Fortnox again{detail}."
        return [HealthReason("fortnox_relogin_needed", message, action)]
    if facts.token_kind is None:
        message = "No Fortnox tokens are stored; log in to Fortnox."
        return [HealthReason("fortnox_not_connected", message, action)]
    ends = refresh_token_expires_at(facts)
    if ends is None:
        return []
    if ends <= now:
        message = f"The Fortnox refresh token ended at {ends.isoformat()}; log in again."
        return [HealthReason("refresh_token_expired", message, action)]
    if ends - now <= limits.refresh_token_warning:
        message = f"The Fortnox refresh token ends at {ends.isoformat()} unless it is refreshed."
        return [HealthReason("refresh_token_ending", message, HealthState.DEGRADED)]
    return []


def _unreadable_reason(upsales: bool, fortnox: bool) -> HealthReason:
    which = {
        (True, True): "Upsales API key and Fortnox tokens",
        (True, False): "Upsales API key",
        (False, True): "Fortnox tokens",
    }[(upsales, fortnox)]
    remedies = [
        remedy
        for remedy, needed in (
            ("enter the Upsales API key again", upsales),
            ("log in to Fortnox again", fortnox),
        )
        if needed
    ]
    message = (
        f"The installation's stored {which} cannot be decrypted: SECRET_KEY is not the key "
        f"they were stored with. Restore that key, or {' and '.join(remedies)}."
    )
    return HealthReason(CREDENTIALS_UNREADABLE, message, HealthState.ACTION_NEEDED)


def _refused_job_reasons(facts: HealthFacts, *, key_refused: bool) -> list[HealthReason]:
    """Dead jobs an API refused: the sync of what they carry stops until someone acts (unless
    a reason above names the refusal already)."""
    action = HealthState.ACTION_NEEDED
    reasons = []
    if facts.dead_refused_by_upsales and not key_refused:
        message = (
            f"{facts.dead_refused_by_upsales} job(s) died because Upsales refused the API key or "
            "its user's access: save a valid key (they run again when it is saved), or give the "
            "key's user access."
        )
        reasons.append(HealthReason("upsales_access_refused", message, action))
    if facts.dead_refused_by_fortnox and facts.status != "needs_relogin":
        message = (
            f"{facts.dead_refused_by_fortnox} job(s) died because Fortnox refused the login's "
            "access (a scope or licence missing): log in to Fortnox again granting it (they run "
            "again after the login)."
        )
        reasons.append(HealthReason("fortnox_access_refused", message, action))
    return reasons


def _client_rejected_reason(facts: HealthFacts) -> list[HealthReason]:
    """Jobs held up because Fortnox refused the service's own client credentials: not this
    installation's login (no new login helps), the operator's configuration."""
    if not facts.client_rejected_jobs:
        return []
    message = (
        f"{facts.client_rejected_jobs} job(s) wait because Fortnox refused the service's own "
        "client credentials (FORTNOX_CLIENT_ID / FORTNOX_CLIENT_SECRET), not this "
        "installation's login: the operator must correct them (the jobs then go on by "
        "themselves)."
    )
    return [HealthReason("fortnox_client_rejected", message, HealthState.ACTION_NEEDED)]


def _setup_reasons(facts: HealthFacts) -> list[HealthReason]:
    """What an operator must still give an installation past its first Fortnox login before
    anything syncs; a paused or ``needs_relogin`` one is told too, as it needs them to sync
    again. Before that login, ``fortnox_login_pending`` names the step to take first: the
    settings are chosen once Fortnox can be read, and its jobs wait for the login, none dying
    for want of a key."""
    if facts.status == "pending_login":
        return []
    reasons = []
    if not facts.upsales_key_stored:
        message = (
            "The installation has no Upsales API key: every job that reads or writes Upsales "
            "dies. Save one (upsales_api_token); the jobs that died for want of it run again."
        )
        reasons.append(HealthReason("upsales_key_missing", message, HealthState.ACTION_NEEDED))
    if not facts.settings_saved:
        message = (
            "The installation's settings were never saved: its jobs wait, nothing syncs. Save "
            "them (PUT on the installation's settings); the jobs then run at once."
        )
        reasons.append(HealthReason("settings_missing", message, HealthState.ACTION_NEEDED))
    return reasons


def _queue_behind(facts: HealthFacts, now: datetime, limits: HealthThresholds) -> timedelta | None:
    """How long the oldest due job has waited for a worker, when too long, as the queue-age
    alert says: only an active installation's jobs wait for one (a paused one's, or those
    waiting for a Fortnox login, wait for someone to act, a reason of their own)."""
    if facts.status != "active" or facts.oldest_pending_at is None:
        return None
    waited = now - facts.oldest_pending_at
    return waited if waited > limits.queue_age else None


def decide_health(
    facts: HealthFacts, now: datetime, limits: HealthThresholds | None = None
) -> Health:
    """The worst state among the reasons found; ``ok`` when there is none."""
    limits = limits or HealthThresholds()
    reasons = _login_reasons(facts, now, limits)
    if facts.status == "paused":
        reasons.append(
            HealthReason(
                "paused", "The installation is paused: nothing syncs.", HealthState.DEGRADED
            )
        )
    reasons.extend(_setup_reasons(facts))
    upsales_unreadable = (
        facts.upsales_key_ok is False and facts.upsales_key_error == CREDENTIALS_UNREADABLE
    )
    if upsales_unreadable or facts.fortnox_tokens_unreadable:
        reasons.append(_unreadable_reason(upsales_unreadable, facts.fortnox_tokens_unreadable))
    if facts.upsales_key_ok is False and facts.upsales_key_error == UPSALES_KEY_OTHER_ACCOUNT:
        message = (
            "The Upsales API key opens another customer's Upsales account than the "
            "installation's: save the key of its own account, then resume the installation."
        )
        reasons.append(HealthReason(UPSALES_KEY_OTHER_ACCOUNT, message, HealthState.ACTION_NEEDED))
    elif facts.upsales_key_ok is False and not upsales_unreadable:
        detail = f": {facts.upsales_key_error}" if facts.upsales_key_error else ""
        message = f"Upsales refused the installation's API key{detail}."
        reasons.append(HealthReason("upsales_key_refused", message, HealthState.ACTION_NEEDED))
    reasons.extend(_refused_job_reasons(facts, key_refused=facts.upsales_key_ok is False))
    reasons.extend(_client_rejected_reason(facts))
    if facts.dead_jobs:
        message = f"{facts.dead_jobs} job(s) are dead and wait for an operator's retry."
        reasons.append(HealthReason("dead_jobs", message, HealthState.DEGRADED))
    waited = _queue_behind(facts, now, limits)
    if waited is not None:
        minutes = int(waited.total_seconds() // 60)
        message = f"The oldest due job has waited {minutes} minutes."
        reasons.append(HealthReason("queue_behind", message, HealthState.DEGRADED))
    order = [HealthState.OK, HealthState.DEGRADED, HealthState.ACTION_NEEDED]
    state = max((reason.state for reason in reasons), key=order.index, default=HealthState.OK)
    return Health(state, tuple(reasons))
