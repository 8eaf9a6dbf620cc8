"""Service-account consent webhooks: both plausible shapes read, a revocation stops the tenant's
installations at once, and nothing happens without the shared secret."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import select, update

from tests.intake.support import create_installation
from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.integrations.fortnox.consent import ConsentEvent, parse_consent_event
from upsales_fortnox.main import create_app
from upsales_fortnox.models.installation import SERVICE_ACCOUNT, FortnoxCredentials, Installation
from upsales_fortnox.services import Services, build_services
from upsales_fortnox.vocabulary import InstallationStatus

SECRET = "consent-webhook-secret-0123456789"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"type": "consent-revoked", "tenantId": 4242}, ConsentEvent("revoked", "4242")),
        ({"eventType": "CONSENT_REVOKED", "tenant_id": "4242"}, ConsentEvent("revoked", "4242")),
        ({"topic": "consent-created-v1", "TenantId": "7"}, ConsentEvent("created", "7")),
        ({"event": "ConsentCreated", "databaseNumber": 7}, ConsentEvent("created", "7")),
        ({"type": "consent-revoked"}, None),
        ({"type": "invoice-created-v1", "tenantId": 1}, None),
        ({"type": "consent-revoked", "tenantId": True}, None),
        ([{"type": "consent-revoked", "tenantId": 1}], None),
    ],
)
def test_the_consent_event_shapes_are_read_in_one_place(
    body: Any, expected: ConsentEvent | None
) -> None:
    assert parse_consent_event(body) == expected


async def _status(services: Services, installation_id: uuid.UUID) -> str | None:
    async with services.session_factory() as session:
        return await session.scalar(
            select(Installation.status).where(Installation.id == installation_id)
        )


async def _connected(services: Services, installation_id: uuid.UUID, token_kind: str) -> None:
    async with services.session_factory() as session:
        session.add(
            FortnoxCredentials(
                installation_id=installation_id,
                access_token_enc=services.secret_box.encrypt("access-token-0000"),
                token_kind=token_kind,
                access_token_expires_at=utcnow(),
            )
        )
        await session.execute(
            update(Installation)
            .where(Installation.id == installation_id)
            .values(status=InstallationStatus.ACTIVE)
        )
        await session.commit()


async def test_a_revoked_consent_needs_a_new_connection_at_once(services: Services) -> None:
    configured = build_services(
        services.settings.model_copy(update={"fortnox_consent_webhook_secret": SecretStr(SECRET)}),
        engine=services.engine,
    )
    mine = await create_installation(configured.session_factory, configured.secret_box)
    await _connected(configured, mine.id, SERVICE_ACCOUNT)
    transport = httpx.ASGITransport(app=create_app(services=configured))
    async with httpx.AsyncClient(transport=transport, base_url="http://service.test") as client:
        url = "/webhooks/fortnox-consent"
        body = {"type": "consent-revoked", "tenantId": int(mine.fortnox_tenant_id or 0)}
        for headers in ({}, {"X-Webhook-Secret": "wrong-secret-000000"}):
            refused = await client.post(url, json=body, headers=headers)
            assert refused.status_code == 401
        assert await _status(configured, mine.id) == "active"
        headers = {"X-Webhook-Secret": SECRET}
        bad = await client.post(url, json={"type": "consent-revoked"}, headers=headers)
        assert (bad.status_code, bad.json()["error"]["code"]) == (422, "unsupported_event")
        created = await client.post(url, json={**body, "type": "consent-created"}, headers=headers)
        assert created.json() == {"status": "ignored", "installations": 0}
        revoked = await client.post(url, json=body, headers=headers)
        assert (revoked.status_code, revoked.json()) == (
            202,
            {"status": "applied", "installations": 1},
        )
        assert await _status(configured, mine.id) == "needs_relogin"
        # kept with its tokens: pausing, then resuming, does not end it; only a new connection
        admin = {
            "Authorization": f"Bearer {configured.settings.admin_token.get_secret_value()}",
            "If-Match": "*",
        }
        url = f"/api/installations/{mine.id}"
        paused = await client.patch(url, json={"status": "paused"}, headers=admin)
        assert paused.status_code == 200, paused.text
        resumed = await client.patch(url, json={"status": "active"}, headers=admin)
        assert resumed.status_code == 409, resumed.text
        assert resumed.json()["error"]["code"] == "fortnox_login_required"
    await configured.http.aclose()


async def test_a_revoked_service_account_consent_leaves_a_user_login_be(
    services: Services,
) -> None:
    """An installation connected by a user login holds its own refresh token: a service
    account's consent revoked for its tenant is not its grant (its next refresh tells)."""
    configured = build_services(
        services.settings.model_copy(update={"fortnox_consent_webhook_secret": SecretStr(SECRET)}),
        engine=services.engine,
    )
    mine = await create_installation(configured.session_factory, configured.secret_box)
    await _connected(configured, mine.id, "user")
    transport = httpx.ASGITransport(app=create_app(services=configured))
    async with httpx.AsyncClient(transport=transport, base_url="http://service.test") as client:
        body = {"type": "consent-revoked", "tenantId": int(mine.fortnox_tenant_id or 0)}
        revoked = await client.post(
            "/webhooks/fortnox-consent", json=body, headers={"X-Webhook-Secret": SECRET}
        )
    assert revoked.json() == {"status": "applied", "installations": 0}
    assert await _status(configured, mine.id) == "active"
    await configured.http.aclose()


async def test_without_a_secret_configured_the_webhook_is_off(
    api_client: httpx.AsyncClient,
) -> None:
    response = await api_client.post(
        "/webhooks/fortnox-consent", json={"type": "consent-revoked", "tenantId": 1}
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 50_000,
        b"[" * 40 + b"]" * 40,
        b'{"type": "consent-revoked", "tenantId": 1, "tenantId": %s}',
        b'{"type": "consent-revoked", "tenantId": ',
    ],
    ids=["nested-50000", "nested-40", "tenant-twice", "cut-off"],
)
async def test_a_body_the_webhooks_would_refuse_is_no_consent_event(
    services: Services, body: bytes
) -> None:
    """Read by the webhooks' strict JSON rules (deep nesting, a key given twice): 422."""
    configured = build_services(
        services.settings.model_copy(update={"fortnox_consent_webhook_secret": SecretStr(SECRET)}),
        engine=services.engine,
    )
    mine = await create_installation(configured.session_factory, configured.secret_box)
    if b"%s" in body:
        body = body % (mine.fortnox_tenant_id or "0").encode()
    transport = httpx.ASGITransport(app=create_app(services=configured))
    async with httpx.AsyncClient(transport=transport, base_url="http://service.test") as client:
        response = await client.post(
            "/webhooks/fortnox-consent",
            content=body,
            headers={"X-Webhook-Secret": SECRET, "Content-Type": "application/json"},
        )
    await configured.http.aclose()
    assert (response.status_code, response.json()["error"]["code"]) == (422, "unsupported_event")
    assert await _status(configured, mine.id) == "pending_login"


async def test_a_revoked_consent_leaves_a_paused_installation_paused(services: Services) -> None:
    """The operator paused it: connecting again must not resume it, so it is not moved to
    ``needs_relogin`` (which a new connection clears to ``active``)."""
    configured = build_services(
        services.settings.model_copy(update={"fortnox_consent_webhook_secret": SecretStr(SECRET)}),
        engine=services.engine,
    )
    mine = await create_installation(configured.session_factory, configured.secret_box)
    async with configured.session_factory() as session:
        await session.execute(
            update(Installation).where(Installation.id == mine.id).values(status="paused")
        )
        await session.commit()
    transport = httpx.ASGITransport(app=create_app(services=configured))
    async with httpx.AsyncClient(transport=transport, base_url="http://service.test") as client:
        body = {"type": "consent-revoked", "tenantId": int(mine.fortnox_tenant_id or 0)}
        revoked = await client.post(
            "/webhooks/fortnox-consent", json=body, headers={"X-Webhook-Secret": SECRET}
        )
    await configured.http.aclose()
    assert revoked.json() == {"status": "applied", "installations": 0}
    assert await _status(configured, mine.id) == "paused"
