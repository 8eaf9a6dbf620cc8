"""The client for an installation, wired to the real token store on SQLite."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import httpx
import pytest
import respx
from fortnox_testkit import (
    API_BASE,
    AUTH_BASE,
    CLIENT_ID,
    CLIENT_SECRET,
    NOW,
    SECRET_KEY,
    Clock,
    TokenEndpoint,
    create_installation,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from upsales_fortnox.core.config import Settings
from upsales_fortnox.core.crypto import SecretBox
from upsales_fortnox.core.db.clock import SERVICE_CLOCK
from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.installations.api_clients import build_fortnox_client, tenant_key
from upsales_fortnox.installations.fortnox_tokens import DbTokenStore
from upsales_fortnox.integrations.errors import ReauthorizationRequired
from upsales_fortnox.models.installation import Installation
from upsales_fortnox.services import build_limiter_registry, build_oauth, build_token_store
from upsales_fortnox.vocabulary import InstallationStatus

Sessions = async_sessionmaker[AsyncSession]

SETTINGS = Settings(
    fortnox_api_base_url=API_BASE,
    fortnox_auth_base_url=AUTH_BASE,
    fortnox_client_id=CLIENT_ID,
    fortnox_client_secret=CLIENT_SECRET,
    secret_key=SECRET_KEY,
    fortnox_rate_limit=10,
    fortnox_rate_window_seconds=2.0,
)


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


@pytest.fixture
def store(sqlite_sessions: Sessions, wall_clock: Clock) -> DbTokenStore:
    # The store's clock stands at NOW, when the test tokens were issued.
    return DbTokenStore(
        sqlite_sessions, SecretBox(SECRET_KEY), build_oauth(SETTINGS), clock=wall_clock
    )


async def load(sessions: Sessions, installation_id: uuid.UUID) -> Installation:
    async with sessions() as session:
        installation = await session.get(Installation, installation_id)
        assert installation is not None
        return installation


def test_shared_parts_follow_the_settings(sqlite_sessions: Sessions) -> None:
    limiter = build_limiter_registry(SETTINGS).get("tenant:1")
    oauth = build_oauth(SETTINGS)

    assert (limiter.limit, limiter.window_seconds) == (10, 2.0)
    assert oauth.token_url == f"{AUTH_BASE}/token"
    assert isinstance(build_token_store(SETTINGS, sqlite_sessions), DbTokenStore)


def test_tenant_key_prefers_the_fortnox_tenant() -> None:
    installation_id = uuid.uuid4()

    assert tenant_key(installation_id, "4242") == "tenant:4242"
    assert tenant_key(installation_id, None) == f"installation:{installation_id}"


async def test_a_rejected_access_token_is_refreshed_through_the_store(
    sqlite_sessions: Sessions,
    store: DbTokenStore,
    http: httpx.AsyncClient,
    router: respx.MockRouter,
    token_endpoint: TokenEndpoint,
) -> None:
    installation_id = await create_installation(sqlite_sessions)
    first = token_endpoint.issue()
    await store.save_initial(installation_id, first)
    api = router.get(f"{API_BASE}/companyinformation").mock(
        side_effect=[
            httpx.Response(401),
            httpx.Response(200, json={"CompanyInformation": {"DatabaseNumber": 4242}}),
        ]
    )
    limiters = build_limiter_registry(SETTINGS)
    client = build_fortnox_client(
        await load(sqlite_sessions, installation_id),
        settings=SETTINGS,
        http=http,
        token_store=store,
        limiters=limiters,
    )

    company = await client.get_company_information()

    assert company.DatabaseNumber == "4242"
    assert client.tenant_key == "tenant:4242"
    assert token_endpoint.refresh_calls == 1
    second = api.calls[1].request.headers["Authorization"]
    assert second != f"Bearer {first.access_token}"
    assert second == f"Bearer {await store.access_token(installation_id)}"


async def test_a_refused_refresh_surfaces_as_reauthorization_required(
    sqlite_sessions: Sessions,
    store: DbTokenStore,
    http: httpx.AsyncClient,
    router: respx.MockRouter,
    token_endpoint: TokenEndpoint,
) -> None:
    installation_id = await create_installation(sqlite_sessions, tenant_id=None)
    expired = replace(token_endpoint.issue(), expires_at=NOW - timedelta(minutes=1))
    await store.save_initial(installation_id, expired)
    token_endpoint.reject_all = True
    api = router.get(f"{API_BASE}/articles/A1").mock(return_value=httpx.Response(200, json={}))
    client = build_fortnox_client(
        await load(sqlite_sessions, installation_id),
        settings=SETTINGS,
        http=http,
        token_store=store,
        limiters=build_limiter_registry(SETTINGS),
    )

    with pytest.raises(ReauthorizationRequired):
        await client.get_article("A1")

    installation = await load(sqlite_sessions, installation_id)
    assert installation.status == InstallationStatus.NEEDS_RELOGIN
    assert api.call_count == 0
    assert client.tenant_key == f"installation:{installation_id}"


async def test_a_token_s_end_is_dated_on_the_clock_that_reads_it(
    sqlite_sessions: Sessions, token_endpoint: TokenEndpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The store compares a token's end with the service's clock (the database's); Fortnox's
    ``expires_in`` counts from now on that clock too. A host two hours behind the database
    (its offset read) refreshes once, not on every call, its new token already stale."""
    monkeypatch.setattr(SERVICE_CLOCK, "offset", timedelta(hours=2))
    store = build_token_store(SETTINGS, sqlite_sessions)
    installation_id = await create_installation(sqlite_sessions)
    stale = replace(token_endpoint.issue(), expires_at=utcnow() - timedelta(minutes=1))
    await store.save_initial(installation_id, stale)

    first = await store.access_token(installation_id)

    assert await store.access_token(installation_id) == first
    assert token_endpoint.refresh_calls == 1
