"""Wiring: a :class:`FortnoxClient` for an installation, from settings and shared parts.

Build the shared parts once per process (one ``httpx.AsyncClient``, one
:class:`DbTokenStore`, one :class:`LimiterRegistry`) and a client per installation and job.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable
from functools import partial

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from upsales_fortnox.config import Settings
from upsales_fortnox.db.models import Installation
from upsales_fortnox.fortnox.client import FortnoxClient, RetryPolicy
from upsales_fortnox.fortnox.oauth import FortnoxOAuth
from upsales_fortnox.fortnox.pacing import LimiterRegistry
from upsales_fortnox.fortnox.token_store import DbTokenStore
from upsales_fortnox.security.crypto import SecretBox


def build_oauth(
    settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None
) -> FortnoxOAuth:
    return FortnoxOAuth(
        client_id=settings.fortnox_client_id,
        client_secret=settings.fortnox_client_secret.get_secret_value(),
        auth_base_url=settings.fortnox_auth_base_url,
        transport=transport,
    )


def build_token_store(
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    oauth: FortnoxOAuth | None = None,
) -> DbTokenStore:
    return DbTokenStore(
        session_factory,
        SecretBox(settings.secret_key.get_secret_value()),
        oauth or build_oauth(settings),
    )


def build_limiter_registry(
    settings: Settings, *, on_wait: Callable[[], None] | None = None
) -> LimiterRegistry:
    return LimiterRegistry(
        settings.fortnox_rate_limit, settings.fortnox_rate_window_seconds, on_wait=on_wait
    )


def tenant_key(installation_id: uuid.UUID, fortnox_tenant_id: str | None) -> str:
    """Fortnox limits per tenant: pace by tenant id, or by installation before it is known."""
    return f"tenant:{fortnox_tenant_id}" if fortnox_tenant_id else f"installation:{installation_id}"


def build_fortnox_client(
    installation: Installation,
    *,
    settings: Settings,
    http: httpx.AsyncClient,
    token_store: DbTokenStore,
    limiters: LimiterRegistry,
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
