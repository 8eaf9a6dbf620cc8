"""Deals that died waiting for something in Fortnox are retried once it is there.

* A won deal whose product has no Fortnox article ends ``dead`` with
  ``product_not_in_fortnox``. The natural fix is to create the article in Fortnox; when its
  sync links it to an Upsales product, every such dead deal of the installation goes back on
  the queue by itself. A deal whose product is still missing dies again at once, with the same
  readable reason.
* A won deal whose Fortnox customer is inactive ends ``dead`` with
  ``fortnox_customer_inactive``, naming the customer. When the sync of that customer reads it
  active, the deals naming it go back on the queue.
* A job that needs a setting not set (a cancellation without ``lostStage``, an import without
  ``wonStage``) ends ``dead`` with ``settings_incomplete``, naming it. When an admin saves the
  settings, every such job of the installation goes back on the queue, so the change it
  carried (a deal to move to lost) is not lost; one still missing a setting dies again at once.
* A job that Upsales refused (``upsales_unauthorized``: the API key revoked; or
  ``upsales_forbidden``, a 403, perhaps its user short of access) ends ``dead``. Its hook was
  recorded, so the catch-up takes that version as seen. When an operator saves a new key,
  every such job of the installation goes back on the queue; so does every job that died
  because the installation had no Upsales API key at all (``installation_not_ready``).
  Likewise a job Fortnox refused for the login's access (``fortnox_auth_failed``: a 403, the
  scope not granted) goes back on the queue when the installation logs in to Fortnox again.
"""

from __future__ import annotations

import logging
import uuid

from upsales_fortnox.core.db.session import DbSession, DbSessionFactory
from upsales_fortnox.domain.inbound.users import SettingsIncomplete
from upsales_fortnox.domain.outbound.decide import CustomerInactive
from upsales_fortnox.domain.outbound.rows import ProductNotInFortnox
from upsales_fortnox.installations.api_clients import NO_UPSALES_KEY, InstallationNotReady
from upsales_fortnox.integrations.fortnox.errors import FortnoxAuthError
from upsales_fortnox.integrations.upsales.errors import UpsalesAuthError, UpsalesForbidden
from upsales_fortnox.jobs import JobOperationError, retry_dead_job
from upsales_fortnox.sync.repository.sync_job_reads import dead_job_ids

logger = logging.getLogger(__name__)

#: How the stored error of such a deal starts (``error_text``: ``"<code>: <message>"``).
MISSING_ARTICLE_PREFIX = f"{ProductNotInFortnox.code}:"
MISSING_SETTING_PREFIX = f"{SettingsIncomplete.code}:"
REFUSED_BY_UPSALES_PREFIX = f"{UpsalesAuthError.code}:"
FORBIDDEN_BY_UPSALES_PREFIX = f"{UpsalesForbidden.code}:"
REFUSED_BY_FORTNOX_PREFIX = f"{FortnoxAuthError.code}:"
NO_UPSALES_KEY_PREFIX = f"{InstallationNotReady.code}: {NO_UPSALES_KEY}"


def inactive_customer_prefix(customer_number: str) -> str:
    """How the stored error of a deal waiting for ``customer_number`` to be activated starts."""
    return f"{CustomerInactive.code}: {CustomerInactive.opening(customer_number)}"


async def retry_deals_missing_articles(
    session_factory: DbSessionFactory, installation_id: uuid.UUID
) -> list[int]:
    """Requeue the installation's jobs that died for a missing article; their ids."""
    return await _retry_dead_deals(
        session_factory, installation_id, MISSING_ARTICLE_PREFIX, "lacked a Fortnox article"
    )


async def retry_deals_of_active_customer(
    session_factory: DbSessionFactory, installation_id: uuid.UUID, customer_number: str
) -> list[int]:
    """Requeue the installation's jobs that died for ``customer_number`` being inactive, now
    that it is active; their ids."""
    return await _retry_dead_deals(
        session_factory,
        installation_id,
        inactive_customer_prefix(customer_number),
        "waited for their Fortnox customer to be activated",
    )


async def retry_jobs_missing_settings(session: DbSession, installation_id: uuid.UUID) -> list[int]:
    """Requeue, in the caller's transaction (no commit), the installation's jobs that died for
    a setting not set, newest first (a retry folds an older queued job of its entity into
    itself); their ids. One retried meanwhile by someone else is passed over (refused before
    anything is written), so the settings are saved all the same."""
    return await _retry_in_transaction(
        session, installation_id, "waited for a setting", MISSING_SETTING_PREFIX
    )


async def retry_jobs_refused_by_upsales(
    session: DbSession, installation_id: uuid.UUID
) -> list[int]:
    """As :func:`retry_jobs_missing_settings`, for the jobs a new Upsales key lets run: those
    Upsales refused with the key it replaces, with 401, or with 403, which may be the key's
    user's access (:data:`~upsales_fortnox.integrations.upsales.facts.FORBIDDEN_MAY_BE_ACCESS`),
    and those that died as the installation had no key."""
    return await _retry_in_transaction(
        session,
        installation_id,
        "Upsales refused with an older key, or that had no key",
        REFUSED_BY_UPSALES_PREFIX,
        FORBIDDEN_BY_UPSALES_PREFIX,
        NO_UPSALES_KEY_PREFIX,
    )


async def retry_jobs_refused_by_fortnox(
    session: DbSession, installation_id: uuid.UUID
) -> list[int]:
    """As :func:`retry_jobs_missing_settings`, for the jobs Fortnox refused the login that a new
    one replaces."""
    return await _retry_in_transaction(
        session, installation_id, "Fortnox refused an older login", REFUSED_BY_FORTNOX_PREFIX
    )


async def _retry_in_transaction(
    session: DbSession, installation_id: uuid.UUID, why: str, *error_prefixes: str
) -> list[int]:
    """The dead jobs whose error starts with any of ``error_prefixes``, requeued newest first
    across them all, so an entity's newest change is the one left queued."""
    dead: set[int] = set()
    for prefix in error_prefixes:
        dead.update(await dead_job_ids(session, installation_id, prefix))
    retried = []
    for job_id in sorted(dead, reverse=True):
        try:
            await retry_dead_job(session, job_id)
        except JobOperationError:
            continue
        retried.append(job_id)
    if retried:
        logger.info(
            "retrying %d jobs that %s",
            len(retried),
            why,
            extra={"installation_id": installation_id},
        )
    return retried


async def _retry_dead_deals(
    session_factory: DbSessionFactory, installation_id: uuid.UUID, error_prefix: str, why: str
) -> list[int]:
    async with session_factory() as session:
        job_ids = await dead_job_ids(session, installation_id, error_prefix)
    retried = []
    for job_id in job_ids:
        async with session_factory() as session:
            try:
                await retry_dead_job(session, job_id)
            except JobOperationError:  # retried meanwhile by someone else
                continue
            await session.commit()
        retried.append(job_id)
    if retried:
        logger.info(
            "retrying %d deals that %s",
            len(retried),
            why,
            extra={"installation_id": installation_id},
        )
    return retried
