"""Everything a sync handler needs for one installation: its settings and both API clients.

Reading the installation and building its clients costs about as much CPU as a small job's own
work, so a job handler passes its :class:`~upsales_fortnox.jobs.JobContext`: the context is then
kept for the rest of the worker's turn with that installation, and what was read by the process
(the :data:`MAX_CONTEXTS_KEPT` installations used last), both reused while the installation and
its settings keep the versions they were read at (the worker reads both as each job starts;
every change of either, its credentials and status included, bumps its version). A deal that
comes alone is a turn of its own: its installation is not read again, only its Fortnox client
is made anew (it remembers the price lists it has seen for the turn).
A job of an installation whose settings were never saved waits for them
(:class:`InstallationNotConfigured`).
The clients are typed as the ports the sync needs (:mod:`upsales_fortnox.integrations.ports`);
:mod:`upsales_fortnox.installations.api_clients` builds the concrete ones.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, replace
from typing import Final

from upsales_fortnox.core.db.one_statement import in_one_statement
from upsales_fortnox.domain.sync_settings import SyncSettings
from upsales_fortnox.installations.api_clients import (
    InstallationMissing,
    fortnox_client_for,
    upsales_client_for,
)
from upsales_fortnox.integrations.errors import RetryLater
from upsales_fortnox.integrations.ports import FortnoxPort, UpsalesPort
from upsales_fortnox.jobs import JobContext
from upsales_fortnox.models.installation import Installation
from upsales_fortnox.services import Services
from upsales_fortnox.sync.repository.installation_reads import installation_with_settings

NOT_CONFIGURED_RETRY_SECONDS: Final = 3600.0
"""How often a job of an installation whose settings were never saved looks again: seldom, as
each look is an attempt row; the admin's first save of the settings makes them due at once."""


class InstallationNotConfigured(RetryLater):
    """A job of an installation whose settings were never saved (logged in to Fortnox, the
    app's settings not chosen yet): it waits, uncounted, rather than sync with defaults the
    admin never chose (a won deal sent as an invoice where they wanted orders)."""


@dataclass
class InstallationContext:
    installation_id: uuid.UUID
    fortnox_tenant_id: str | None
    settings: SyncSettings
    fortnox: FortnoxPort
    upsales: UpsalesPort


async def load_installation(services: Services, installation_id: uuid.UUID) -> Installation:
    async with services.session_factory() as session:
        await in_one_statement(session)
        installation = await installation_with_settings(session, installation_id)
    if installation is None:
        raise InstallationMissing(f"installation {installation_id} does not exist")
    return installation


_TURN_CACHE_KEY = "sync.installation_context"
_TURN_READ_LOCK_KEY = "sync.installation_context.read"
MAX_CONTEXTS_KEPT: Final = 1024
"""Installation contexts a process keeps (each a few kilobytes: two clients and the settings)."""


@dataclass(frozen=True)
class _ReadContext:
    installation_version: int
    settings_version: int
    context: InstallationContext

    def serves(self, job: JobContext) -> bool:
        """Read at the versions ``job`` started with."""
        return (self.installation_version, self.settings_version) == (
            job.installation_version,
            job.settings_version,
        )


@dataclass(frozen=True)
class _Tenant:
    """What the Fortnox client of a kept context is made anew from."""

    id: uuid.UUID
    fortnox_tenant_id: str | None


async def installation_context(
    services: Services, installation_id: uuid.UUID, job: JobContext | None = None
) -> InstallationContext:
    """The installation's context; with ``job``, the one its turn made already, or made from
    what the process read, if the installation and its settings are still at the versions it
    was read at. Jobs of a turn that start side by side wait for one read rather than each
    making their own."""
    if job is None or installation_id != job.installation_id:  # versions read for another
        return await _read_context(services, installation_id)
    cached = _turn_context(job, installation_id)
    if cached is not None:
        return cached
    async with job.turn_cache.setdefault(_TURN_READ_LOCK_KEY, asyncio.Lock()):
        cached = _turn_context(job, installation_id)
        if cached is not None:
            return cached
        kept = services.installation_contexts
        read = kept.pop(installation_id, None)
        if isinstance(read, _ReadContext) and read.serves(job):
            tenant = _Tenant(installation_id, read.context.fortnox_tenant_id)
            turn_read = replace(
                read, context=replace(read.context, fortnox=fortnox_client_for(services, tenant))
            )
        else:
            read = turn_read = await _read_configured(services, installation_id)
        kept[installation_id] = read  # the last used
        while len(kept) > MAX_CONTEXTS_KEPT:
            del kept[next(iter(kept))]  # the one used longest ago
        job.turn_cache[_TURN_CACHE_KEY] = turn_read
        return turn_read.context


async def _read_configured(services: Services, installation_id: uuid.UUID) -> _ReadContext:
    installation = await load_installation(services, installation_id)
    if installation.settings is None:
        raise InstallationNotConfigured(
            "the installation's settings have not been saved yet; its jobs wait for them",
            retry_after=NOT_CONFIGURED_RETRY_SECONDS,
            code="installation_not_configured",
        )
    return _ReadContext(
        installation.version, installation.settings.version, context_of(services, installation)
    )


def _turn_context(job: JobContext, installation_id: uuid.UUID) -> InstallationContext | None:
    read = job.turn_cache.get(_TURN_CACHE_KEY)
    if (
        isinstance(read, _ReadContext)
        and read.context.installation_id == installation_id
        and read.serves(job)
    ):
        return read.context
    return None


async def _read_context(services: Services, installation_id: uuid.UUID) -> InstallationContext:
    return context_of(services, await load_installation(services, installation_id))


def context_of(services: Services, installation: Installation) -> InstallationContext:
    """The context of an installation read already (:func:`load_installation`); raises
    :class:`InstallationNotReady` without an Upsales API key, ``DecryptionError`` when its
    stored key cannot be decrypted."""
    return InstallationContext(
        installation_id=installation.id,
        fortnox_tenant_id=installation.fortnox_tenant_id,
        settings=SyncSettings.of(installation.settings),
        fortnox=fortnox_client_for(services, installation),
        upsales=upsales_client_for(services, installation),
    )
