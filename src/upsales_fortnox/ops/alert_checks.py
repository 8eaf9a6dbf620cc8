"""What is wrong now, read from the database as alert causes (see :mod:`.alert_rules`), and
recording what is raised or resolved."""

from __future__ import annotations

from datetime import datetime, timedelta

from upsales_fortnox.core.config import Settings
from upsales_fortnox.core.db.session import DbSession
from upsales_fortnox.domain.alert_rules import AlertKind, Cause, decide_alerts
from upsales_fortnox.domain.health_rules import (
    CREDENTIALS_UNREADABLE,
    REFRESH_TOKEN_LIFETIME,
    UPSALES_KEY_OTHER_ACCOUNT,
    HealthThresholds,
)
from upsales_fortnox.installations.repository.installation_rows import ids_with_status, names_by_id
from upsales_fortnox.installations.repository.tokens import user_logins_refreshed_at_before
from upsales_fortnox.ops.repository.alert_states import (
    apply,
    open_causes,
    open_causes_of_deleted_installations,
)
from upsales_fortnox.ops.repository.connection_health import upsales_keys_refused
from upsales_fortnox.ops.repository.queue_reads import (
    dead_jobs_by_kind,
    due_jobs_waiting_since,
    jobs_client_rejected,
)
from upsales_fortnox.ops.token_keeper import LOGINS_KEPT_ALIVE
from upsales_fortnox.vocabulary import InstallationStatus


def thresholds_of(settings: Settings) -> HealthThresholds:
    """The operator's limits (``ALERT_QUEUE_AGE_SECONDS``, ``ALERT_REFRESH_TOKEN_DAYS``): the
    alerts' and the installations' health alike, so the two never disagree."""
    return HealthThresholds(
        refresh_token_warning=timedelta(days=settings.alert_refresh_token_days),
        queue_age=timedelta(seconds=settings.alert_queue_age_seconds),
    )


async def current_causes(
    session: DbSession, now: datetime, limits: HealthThresholds
) -> list[Cause]:
    names = await names_by_id(session)
    causes: list[Cause] = await _client_rejected(session)
    for installation_id, kind, count in await dead_jobs_by_kind(session):
        causes.append(
            Cause(
                f"{AlertKind.DEAD_JOBS}:{installation_id}:{kind}",
                AlertKind.DEAD_JOBS,
                installation_id,
                f"{names.get(installation_id)}: {count} dead {kind} job(s) wait for a retry.",
            )
        )
    for installation_id in await ids_with_status(session, InstallationStatus.NEEDS_RELOGIN):
        causes.append(
            Cause(
                f"{AlertKind.NEEDS_LOGIN}:{installation_id}",
                AlertKind.NEEDS_LOGIN,
                installation_id,
                f"{names.get(installation_id)}: Fortnox refused the connection; "
                "the installation needs a new Fortnox login. Its jobs are paused.",
            )
        )
    for installation_id, error in await upsales_keys_refused(session):
        what = _key_refusal(error)
        causes.append(
            Cause(
                f"{AlertKind.UPSALES_KEY_REFUSED}:{installation_id}",
                AlertKind.UPSALES_KEY_REFUSED,
                installation_id,
                f"{names.get(installation_id)}: {what}",
            )
        )
    ending_before = now - REFRESH_TOKEN_LIFETIME + limits.refresh_token_warning
    for installation_id, refreshed_at in await user_logins_refreshed_at_before(
        session, ending_before, LOGINS_KEPT_ALIVE
    ):
        ends = refreshed_at + REFRESH_TOKEN_LIFETIME
        when = (
            f"ended at {ends.isoformat()}; log in to Fortnox again"
            if ends <= now
            else f"ends at {ends.isoformat()} unless it is refreshed"
        )
        causes.append(
            Cause(
                f"{AlertKind.REFRESH_TOKEN_ENDING}:{installation_id}",
                AlertKind.REFRESH_TOKEN_ENDING,
                installation_id,
                f"{names.get(installation_id)}: the Fortnox refresh token {when}.",
            )
        )
    for installation_id, oldest in await due_jobs_waiting_since(
        session, now, now - limits.queue_age
    ):
        minutes = int((now - oldest).total_seconds() // 60)
        causes.append(
            Cause(
                f"{AlertKind.QUEUE_BEHIND}:{installation_id}",
                AlertKind.QUEUE_BEHIND,
                installation_id,
                f"{names.get(installation_id)}: the oldest due job has waited {minutes} minutes.",
            )
        )
    return causes


async def _client_rejected(session: DbSession) -> list[Cause]:
    """One service-wide cause while jobs wait because Fortnox refuses the service's own OAuth
    client: the operator's configuration, whichever installations it holds up."""
    jobs, installations = await jobs_client_rejected(session)
    if not jobs:
        return []
    summary = (
        "Fortnox refuses the service's own OAuth client (FORTNOX_CLIENT_ID / "
        f"FORTNOX_CLIENT_SECRET): {jobs} job(s) of {installations} installation(s) wait. "
        "Correct them; the jobs then go on by themselves."
    )
    kind = AlertKind.FORTNOX_CLIENT_REJECTED
    return [Cause(str(kind), kind, None, summary)]


async def sync_causes(session: DbSession, found: list[Cause], now: datetime) -> None:
    """Raise what is newly found, resolve the polled causes no longer found and those of
    deleted installations. Does not commit."""
    deleted = await open_causes_of_deleted_installations(session)
    await apply(session, decide_alerts(await open_causes(session), found, deleted), now)


def _key_refusal(error: str | None) -> str:
    """What an operator reads of the installation's Upsales key the last check refused."""
    if error == CREDENTIALS_UNREADABLE:
        return (
            "the stored Upsales API key cannot be decrypted: SECRET_KEY is not the key it was "
            "stored with; restore that key, or enter the Upsales API key again."
        )
    if error == UPSALES_KEY_OTHER_ACCOUNT:
        return (
            "the Upsales API key opens another customer's Upsales account; the installation "
            "is paused so nothing is written there. Save the key of its own account, then "
            "resume it."
        )
    return (
        "Upsales refused the installation's API key; save a valid key (the jobs Upsales "
        "refused run again then)."
    )
