"""Gathers what :mod:`~upsales_fortnox.domain.health_rules` decides from, through the
repositories (a few queries)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from upsales_fortnox.core.crypto import DecryptionError, SecretBox
from upsales_fortnox.core.db.session import DbSession
from upsales_fortnox.domain.health_rules import HealthFacts, TokenKind
from upsales_fortnox.installations.repository.settings import load_settings
from upsales_fortnox.installations.repository.tokens import read_credentials
from upsales_fortnox.models.installation import FortnoxCredentials, Installation
from upsales_fortnox.ops.repository.connection_health import (
    connection_check_of,
    last_fortnox_event_at,
    last_reconciliation_at,
)
from upsales_fortnox.ops.repository.queue_reads import QueueFigures, queue_figures


@dataclass(frozen=True)
class InstallationReadings:
    facts: HealthFacts
    queue: QueueFigures
    fortnox_last_success_at: datetime | None
    upsales_key_checked_at: datetime | None
    last_stream_event_at: datetime | None
    last_reconciliation_at: datetime | None


def _tokens_unreadable(credentials: FortnoxCredentials | None, box: SecretBox) -> bool:
    """Whether the stored Fortnox tokens fail to decrypt (a local check: no call, and the
    plaintext is dropped at once)."""
    if credentials is None:
        return False
    try:
        box.decrypt(credentials.access_token_enc)
        box.decrypt_optional(credentials.refresh_token_enc)
    except DecryptionError:
        return True
    return False


async def read_installation(
    session: DbSession, installation: Installation, now: datetime, box: SecretBox
) -> InstallationReadings:
    credentials = await read_credentials(session, installation.id)
    check = await connection_check_of(session, installation.id)
    queue = await queue_figures(session, installation.id, now)
    last_event = await last_fortnox_event_at(session, installation.id)
    last_reconciliation = await last_reconciliation_at(session, installation.id)
    settings = await load_settings(session, installation.id)
    facts = HealthFacts(
        status=installation.status,
        status_reason=installation.status_reason,
        token_kind=TokenKind(credentials.token_kind) if credentials is not None else None,
        access_token_expires_at=credentials.access_token_expires_at if credentials else None,
        last_refresh_at=credentials.refreshed_at if credentials else None,
        upsales_key_ok=check.upsales_key_ok if check else None,
        upsales_key_error=check.upsales_key_error if check else None,
        oldest_pending_at=queue.oldest_pending_at,
        dead_jobs=queue.dead_unsettled,
        dead_refused_by_upsales=queue.dead_refused_by_upsales,
        dead_refused_by_fortnox=queue.dead_refused_by_fortnox,
        client_rejected_jobs=queue.client_rejected,
        fortnox_tokens_unreadable=_tokens_unreadable(credentials, box),
        upsales_key_stored=installation.upsales_api_token_enc is not None,
        settings_saved=settings.row is not None,
    )
    return InstallationReadings(
        facts=facts,
        queue=queue,
        fortnox_last_success_at=check.fortnox_last_success_at if check else None,
        upsales_key_checked_at=check.upsales_key_checked_at if check else None,
        last_stream_event_at=last_event,
        last_reconciliation_at=last_reconciliation,
    )
