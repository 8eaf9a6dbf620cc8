"""Live checks of an installation's two connections, recorded for its health.

One cheap call each: Fortnox's company information (with the stored token, refreshed if need
be) and Upsales' ``self`` (with the stored API key). A refusal is recorded (the health then
needs action); an outage is not (it says nothing about the credentials). A stored credential
that cannot be decrypted (``SECRET_KEY`` is not the one it was stored with) is recorded as the
Upsales key's :data:`CREDENTIALS_UNREADABLE`, and the Fortnox side as not checked (the health
finds unreadable Fortnox tokens itself, by decrypting them, see :mod:`.health_facts`). A key
that opens another Upsales account than the installation's customer id is recorded as
:data:`UPSALES_KEY_OTHER_ACCOUNT`, and pauses an active installation: its jobs would read and
write that other customer's CRM (:mod:`upsales_fortnox.installations.key_owner`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from upsales_fortnox.core.crypto import DecryptionError
from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.domain.health_rules import CREDENTIALS_UNREADABLE, UPSALES_KEY_OTHER_ACCOUNT
from upsales_fortnox.installations.api_clients import fortnox_client_for, upsales_client_for
from upsales_fortnox.installations.repository.installation_rows import (
    find_installation,
    pause_active,
)
from upsales_fortnox.integrations.errors import (
    PermanentError,
    ReauthorizationRequired,
    RetryableError,
)
from upsales_fortnox.integrations.upsales.errors import UpsalesAuthError, UpsalesForbidden
from upsales_fortnox.models.installation import Installation
from upsales_fortnox.ops.repository.connection_health import record_connection_check
from upsales_fortnox.services import Services

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CheckResult:
    fortnox_ok: bool | None
    upsales_key_ok: bool | None
    """None: not checked (not connected, or the system was unreachable)."""


async def check_connections(services: Services, installation: Installation) -> CheckResult:
    now = utcnow()
    fortnox_ok = await _check_fortnox(services, installation)
    upsales_ok, upsales_error = await _check_upsales(services, installation)
    await _record(services, installation, now, fortnox_ok, upsales_ok, upsales_error)
    return CheckResult(fortnox_ok, upsales_ok)


async def _check_fortnox(services: Services, installation: Installation) -> bool | None:
    try:
        await fortnox_client_for(services, installation).get_company_information()
    except ReauthorizationRequired:
        return False
    except (RetryableError, PermanentError):
        return None
    except DecryptionError:
        _unreadable(installation)
        return None
    return True


async def _check_upsales(
    services: Services, installation: Installation
) -> tuple[bool | None, str | None]:
    if installation.upsales_api_token_enc is None:
        return None, None
    try:
        me = await upsales_client_for(services, installation).get_self()
    except (UpsalesAuthError, UpsalesForbidden) as exc:  # any key may read /self
        return False, exc.code
    except (RetryableError, PermanentError):
        return None, None
    except DecryptionError:
        _unreadable(installation)
        return False, CREDENTIALS_UNREADABLE
    owner = me.client.id if me.client is not None else None
    expected = installation.upsales_customer_id
    if owner is not None and expected is not None and owner != expected:
        if not await _pause_for_other_account(services, installation, owner):
            return None, None  # the key or the customer id changed meanwhile: not judged
        return False, UPSALES_KEY_OTHER_ACCOUNT
    return True, None


async def _pause_for_other_account(
    services: Services, installation: Installation, owner: int
) -> bool:
    """The key opens another customer's Upsales: nothing more is synced with it (the
    installation is paused until an operator saves its own key and resumes it). False, and
    nothing done, when the installation's key or customer id changed since it was read."""
    reason = (
        f"{UPSALES_KEY_OTHER_ACCOUNT}: the Upsales API key opens Upsales customer {owner}, "
        f"not {installation.upsales_customer_id}"
    )
    async with services.session_factory() as session, session.begin():
        now = await find_installation(session, installation.id)
        if now is None or (now.upsales_api_token_enc, now.upsales_customer_id) != (
            installation.upsales_api_token_enc,
            installation.upsales_customer_id,
        ):
            return False
        paused = await pause_active(session, installation.id, reason, utcnow())
    logger.error(
        "the installation's Upsales API key opens another Upsales account%s",
        "; installation paused" if paused else "",
        extra={"installation_id": str(installation.id), "code": UPSALES_KEY_OTHER_ACCOUNT},
    )
    return True


def _unreadable(installation: Installation) -> None:
    logger.error(
        "a stored credential cannot be decrypted; is SECRET_KEY the one it was stored with?",
        extra={"installation_id": str(installation.id), "code": CREDENTIALS_UNREADABLE},
    )


async def _record(
    services: Services,
    installation: Installation,
    now: datetime,
    fortnox_ok: bool | None,
    upsales_ok: bool | None,
    upsales_error: str | None,
) -> None:
    recorded = await record_connection_check(
        services.session_factory,
        installation.id,
        now,
        fortnox_ok=fortnox_ok,
        upsales_ok=upsales_ok,
        upsales_error=upsales_error,
    )
    if not recorded:
        logger.info("connection check recorded concurrently; this one is dropped")
