"""The client-credentials grant of Fortnox service accounts (the token endpoint, faked)."""

from __future__ import annotations

import base64
from datetime import timedelta
from urllib.parse import parse_qs

import httpx
import pytest
import respx
from fortnox_testkit import CLIENT_ID, CLIENT_SECRET, NOW, TOKEN_URL, make_jwt

from upsales_fortnox.integrations.errors import ReauthorizationRequired
from upsales_fortnox.integrations.fortnox.oauth import FortnoxOAuth

BASIC = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()


async def test_the_grant_names_the_tenant_and_needs_no_refresh_token(
    oauth: FortnoxOAuth, router: respx.MockRouter
) -> None:
    answer = {"access_token": make_jwt(4242), "scope": "customer", "expires_in": 3600}
    route = router.post(TOKEN_URL).mock(return_value=httpx.Response(200, json=answer))

    tokens = await oauth.client_credentials("4242")

    request = route.calls.last.request
    assert request.headers["Authorization"] == BASIC
    assert request.headers["TenantId"] == "4242"
    assert parse_qs(request.content.decode()) == {
        "grant_type": ["client_credentials"],
        "tenantId": ["4242"],
    }
    assert (tokens.refresh_token, tokens.tenant_id, tokens.scope) == ("", "4242", "customer")
    assert tokens.expires_at == NOW + timedelta(hours=1)


async def test_a_service_account_the_client_may_not_use_needs_a_new_connection(
    oauth: FortnoxOAuth, router: respx.MockRouter
) -> None:
    refusal = {
        "error": "invalid_client",
        "error_description": "Client does not allow service account",
    }
    router.post(TOKEN_URL).mock(return_value=httpx.Response(400, json=refusal))
    with pytest.raises(ReauthorizationRequired):
        await oauth.client_credentials("4242")
