"""Each installation's API clients, built from the process' shared parts (:class:`Services`).

The concrete :class:`FortnoxClient` and :class:`UpsalesClient` are built here and only here;
the sync takes them as its ports (:mod:`upsales_fortnox.integrations.ports`). Build a Fortnox
client per installation and job, or turn: it is cheap, the shared parts (HTTP client, token
store, limiters, call counters) are what carries over, and it remembers the price lists it has
seen. An Upsales client keeps nothing of its own and may serve as long as its key.
"""

from __future__ import annotations

import uuid
from collections import Counter
from functools import partial
from typing import Final, Protocol

import httpx

from upsales_fortnox.core.config import Settings
from upsales_fortnox.installations.fortnox_tokens import DbTokenStore
from upsales_fortnox.integrations.errors import PermanentError
from upsales_fortnox.integrations.fortnox.client import FortnoxClient
from upsales_fortnox.integrations.retry import RetryPolicy
from upsales_fortnox.integrations.shared_pacing import PacerRegistry
from upsales_fortnox.integrations.upsales.client import UpsalesClient
from upsales_fortnox.models.installation import Installation
from upsales_fortnox.services import Services


class FortnoxIdentity(Protocol):
    """What a Fortnox client is built from: an installation, or what was kept of one."""

    @property
    def id(self) -> uuid.UUID: ...

    @property
    def fortnox_tenant_id(self) -> str | None: ...


class InstallationNotReady(PermanentError):
    """The installation is missing, or lacks what its clients need (an Upsales API key)."""

    code = "installation_not_ready"


NO_UPSALES_KEY: Final = "the installation has no Upsales API token"
"""The message of :class:`InstallationNotReady` for an installation without an Upsales API
key: a job that died of it runs again when a key is saved."""


class InstallationMissing(InstallationNotReady):
    """No installation has the id (deleted, or mistyped by an operator)."""

    code = "installation_not_found"


def tenant_key(installation_id: uuid.UUID, fortnox_tenant_id: str | None) -> str:
    """Fortnox limits per tenant: pace by tenant id, or by installation before it is known."""
    return f"tenant:{fortnox_tenant_id}" if fortnox_tenant_id else f"installation:{installation_id}"


def build_fortnox_client(
    installation: FortnoxIdentity,
    *,
    settings: Settings,
    http: httpx.AsyncClient,
    token_store: DbTokenStore,
    limiters: PacerRegistry,
    retry: RetryPolicy | None = None,
    calls: Counter[str] | None = None,
) -> FortnoxClient:
    key = tenant_key(installation.id, installation.fortnox_tenant_id)
    return FortnoxClient(
        http,
        base_url=settings.fortnox_api_base_url,
        tenant_key=key,
        access_token=partial(token_store.access_token, installation.id),
        refresh_token=partial(token_store.refresh_after_rejection, installation.id),
        limiter=limiters.get(key),
        retry=retry,
        calls=calls,
    )


def fortnox_client_for(
    services: Services, installation: FortnoxIdentity, *, retry: RetryPolicy | None = None
) -> FortnoxClient:
    """The installation's Fortnox client (``retry``: a policy other than the client's own)."""
    return build_fortnox_client(
        installation,
        settings=services.settings,
        http=services.http,
        token_store=services.token_store,
        limiters=services.fortnox_limiters,
        retry=retry,
        calls=services.fortnox_calls,
    )


def upsales_client_for(
    services: Services, installation: Installation, *, retry: RetryPolicy | None = None
) -> UpsalesClient:
    """The installation's Upsales client (``retry``: a policy other than the client's own)."""
    token = services.secret_box.decrypt_optional(installation.upsales_api_token_enc)
    if not token:
        raise InstallationNotReady(NO_UPSALES_KEY)
    return upsales_client_with_key(services, token, retry=retry)


def upsales_client_with_key(
    services: Services, token: str, *, retry: RetryPolicy | None = None
) -> UpsalesClient:
    """An Upsales client of the API key ``token``."""
    client = UpsalesClient(
        services.http,
        base_url=services.settings.upsales_api_base_url,
        api_token=token,
        limiter=services.upsales_limiters.get(token),
        retry=retry,
    )
    client.call_counts = services.upsales_calls
    return client
