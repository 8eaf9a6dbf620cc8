"""Fortnox service accounts: tokens by client credentials (no refresh token), the tenant id
stored at activation, and a withdrawn consent that needs a new connection at once."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select, update

from tests.e2e.harness import SyncHarness
from upsales_fortnox.installations.api_clients import build_fortnox_client
from upsales_fortnox.integrations.errors import ReauthorizationRequired
from upsales_fortnox.models.installation import FortnoxCredentials, Installation
from upsales_fortnox.vocabulary import InstallationStatus


async def _reset_to_pending(harness: SyncHarness) -> None:
    async with harness.services.session_factory() as session:
        await session.execute(delete(FortnoxCredentials))
        await session.execute(
            update(Installation).values(
                status=InstallationStatus.PENDING_LOGIN, fortnox_tenant_id=None, version=5
            )
        )
        await session.commit()


async def _connect(harness: SyncHarness, tenant_id: object) -> tuple[int, dict[str, object]]:
    response = await harness.service.post(
        f"/api/installations/{harness.installation_id}/fortnox-service-account",
        json={"tenant_id": str(tenant_id)},
        headers=harness.admin_headers,
    )
    body: dict[str, object] = response.json()
    return response.status_code, body


async def test_a_service_account_connects_and_renews_its_token_by_client_credentials(
    harness: SyncHarness,
) -> None:
    await _reset_to_pending(harness)
    status, health = await _connect(harness, harness.tenant_id)
    assert status == 200, health
    assert health["status"] == "active"
    fortnox = health["fortnox"]
    assert isinstance(fortnox, dict)
    assert (fortnox["token_kind"], fortnox["refresh_token_expires_at"]) == ("service", None)
    services = harness.services
    async with services.session_factory() as session:
        installation = await session.get(Installation, harness.installation_id)
        credentials = await session.get(FortnoxCredentials, harness.installation_id)
    assert installation is not None and credentials is not None
    assert installation.fortnox_tenant_id == str(harness.tenant_id)
    assert credentials.refresh_token_enc is None

    client = build_fortnox_client(
        installation,
        settings=services.settings,
        http=services.http,
        token_store=services.token_store,
        limiters=services.fortnox_limiters,
    )
    information = await client.get_company_information()
    assert str(information.DatabaseNumber) == str(harness.tenant_id)

    first = await services.token_store.access_token(harness.installation_id)
    renewed = await services.token_store.refresh_after_rejection(harness.installation_id, first)
    assert renewed != first
    assert harness.fortnox.oauth.lookup_access_token(renewed) is not None
    await client.get_company_information()  # the renewed token works

    harness.fortnox.oauth.revoke_service_consent(harness.tenant_id)
    with pytest.raises(ReauthorizationRequired):
        await services.token_store.refresh_after_rejection(harness.installation_id, renewed)
    async with services.session_factory() as session:
        status_now = await session.scalar(
            select(Installation.status).where(Installation.id == harness.installation_id)
        )
    assert status_now == InstallationStatus.NEEDS_RELOGIN


async def test_a_refused_or_unknown_tenant_connects_nothing(harness: SyncHarness) -> None:
    await _reset_to_pending(harness)
    status, body = await _connect(harness, 999999)
    assert status == 409
    assert body["error"]["code"] == "service_account_refused"  # type: ignore[index]
    harness.fortnox.oauth.revoke_service_consent(harness.tenant_id)
    status, body = await _connect(harness, harness.tenant_id)
    assert status == 409
    status, body = await _connect(harness, "not-a-number")
    assert status == 422
    async with harness.services.session_factory() as session:
        assert await session.scalar(select(FortnoxCredentials.installation_id)) is None
        installation = await session.get(Installation, harness.installation_id)
    assert installation is not None
    assert (installation.status, installation.fortnox_tenant_id) == ("pending_login", None)
