from __future__ import annotations

import base64
import logging
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import respx
from fortnox_testkit import AUTH_BASE, CLIENT_ID, CLIENT_SECRET, NOW, TOKEN_URL, make_jwt

from upsales_fortnox.integrations.errors import ReauthorizationRequired
from upsales_fortnox.integrations.fortnox.errors import (
    FortnoxAuthError,
    FortnoxClientRejected,
    FortnoxMalformedResponse,
    FortnoxRateLimited,
    FortnoxUnavailable,
)
from upsales_fortnox.integrations.fortnox.oauth import (
    FortnoxOAuth,
    TokenSet,
    tenant_id_from_access_token,
)

BASIC = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()


def token_reply(access_token: str = "", refresh_token: str = "r2") -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "access_token": access_token or make_jwt(1234),
            "refresh_token": refresh_token,
            "scope": "customer invoice",
            "expires_in": 3600,
            "token_type": "bearer",
        },
    )


def form(request: httpx.Request) -> dict[str, list[str]]:
    return parse_qs(request.content.decode())


def test_authorization_url_has_the_documented_parameters(oauth: FortnoxOAuth) -> None:
    url = oauth.authorization_url(
        state="s-1", redirect_uri="https://sync.example/cb", scopes=("customer", "invoice")
    )

    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{AUTH_BASE}/auth"
    assert "scope=customer%20invoice" in parts.query
    assert parse_qs(parts.query) == {
        "client_id": [CLIENT_ID],
        "response_type": ["code"],
        "state": ["s-1"],
        "scope": ["customer invoice"],
        "redirect_uri": ["https://sync.example/cb"],
        "access_type": ["offline"],
    }


async def test_code_exchange_uses_basic_auth_and_a_form_body(
    oauth: FortnoxOAuth, router: respx.MockRouter
) -> None:
    route = router.post(TOKEN_URL).mock(return_value=token_reply(make_jwt(29302)))

    tokens = await oauth.exchange_code("code-1", redirect_uri="https://sync.example/cb")

    request = route.calls.last.request
    assert request.headers["Authorization"] == BASIC
    assert request.headers["Content-Type"].startswith("application/x-www-form-urlencoded")
    assert form(request) == {
        "grant_type": ["authorization_code"],
        "code": ["code-1"],
        "redirect_uri": ["https://sync.example/cb"],
    }
    assert tokens.refresh_token == "r2"
    assert tokens.expires_at == NOW + timedelta(hours=1)
    assert tokens.scope == "customer invoice"
    assert tokens.tenant_id == "29302"


async def test_refresh_sends_only_the_refresh_grant(
    oauth: FortnoxOAuth, router: respx.MockRouter
) -> None:
    route = router.post(TOKEN_URL).mock(return_value=token_reply(refresh_token="r3"))

    tokens = await oauth.refresh("r2")

    request = route.calls.last.request
    assert request.headers["Authorization"] == BASIC
    assert form(request) == {"grant_type": ["refresh_token"], "refresh_token": ["r2"]}
    assert tokens.refresh_token == "r3"


@pytest.mark.parametrize(
    "reply",
    [
        httpx.Response(400, json={"error": "invalid_grant", "error_description": "expired"}),
        httpx.Response(400, json={"message": "Invalid refresh token"}),
        httpx.Response(401, json={"error": "invalid_token"}),
    ],
)
async def test_a_dead_refresh_token_needs_a_new_login(
    oauth: FortnoxOAuth, router: respx.MockRouter, reply: httpx.Response
) -> None:
    router.post(TOKEN_URL).mock(return_value=reply)

    with pytest.raises(ReauthorizationRequired):
        await oauth.refresh("r-dead")


@pytest.mark.parametrize(
    ("reply", "kind"),
    [
        (httpx.Response(503, text="down"), FortnoxUnavailable),
        (httpx.Response(429, json={"message": "slow down"}), FortnoxRateLimited),
        (httpx.Response(400, json={"error": "invalid_request"}), FortnoxAuthError),
        (httpx.Response(400, json={"error": "unauthorized_client"}), FortnoxAuthError),
        (httpx.Response(400, text="<html>"), FortnoxAuthError),
        (httpx.Response(200, text="not json"), FortnoxMalformedResponse),
        (httpx.Response(200, json={"token_type": "bearer"}), FortnoxMalformedResponse),
    ],
)
async def test_other_token_endpoint_failures_are_typed(
    oauth: FortnoxOAuth, router: respx.MockRouter, reply: httpx.Response, kind: type[Exception]
) -> None:
    router.post(TOKEN_URL).mock(return_value=reply)

    with pytest.raises(kind) as caught:
        await oauth.refresh("r-secret-value")

    assert not isinstance(caught.value, ReauthorizationRequired)
    assert "r-secret-value" not in str(caught.value)


@pytest.mark.parametrize(
    "reply",
    [
        httpx.Response(401, json={"error": "invalid_client"}),
        httpx.Response(
            400, json={"error": "invalid_client", "error_description": "Invalid client"}
        ),
    ],
)
async def test_a_refused_service_client_is_an_outage_not_the_installations_login(
    oauth: FortnoxOAuth,
    router: respx.MockRouter,
    reply: httpx.Response,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The service's own client id and secret, shared by every installation, are refused:
    retried like an outage until the operator corrects them, never a dead job or a new login;
    the operator's log says so at error level, without the secret."""
    router.post(TOKEN_URL).mock(return_value=reply)

    with caplog.at_level(logging.INFO), pytest.raises(FortnoxClientRejected) as caught:
        await oauth.refresh("r-secret-value")

    refused = caught.value
    assert (refused.code, refused.retryable, refused.outage) == (
        "fortnox_client_rejected",
        True,
        True,
    )
    assert not isinstance(refused, ReauthorizationRequired)
    (record,) = [r for r in caplog.records if getattr(r, "code", None) == refused.code]
    assert record.levelno == logging.ERROR
    assert "FORTNOX_CLIENT_SECRET" in record.getMessage()
    assert CLIENT_SECRET not in caplog.text and "r-secret-value" not in caplog.text


async def test_a_code_exchange_with_a_refused_service_client_says_so(
    oauth: FortnoxOAuth, router: respx.MockRouter
) -> None:
    router.post(TOKEN_URL).mock(return_value=httpx.Response(401, json={"error": "invalid_client"}))

    with pytest.raises(FortnoxClientRejected):
        await oauth.exchange_code("c-1", redirect_uri="https://sync.example/cb")


@pytest.mark.parametrize("expires_in", ["1e20", "1000000000000", "Infinity", "-Infinity"])
async def test_a_lifetime_beyond_the_calendar_is_a_malformed_answer(
    oauth: FortnoxOAuth, router: respx.MockRouter, expires_in: str
) -> None:
    """An ``expires_in`` no clock can add (a float past any date, ``Infinity``) is not a token
    answer Fortnox documents: refused like any other malformed one, never an arithmetic crash."""
    body = (
        '{"access_token": "a1", "refresh_token": "r2", "token_type": "bearer", '
        f'"expires_in": {expires_in}}}'
    )
    router.post(TOKEN_URL).mock(return_value=httpx.Response(200, text=body))

    with pytest.raises(FortnoxMalformedResponse):
        await oauth.exchange_code("c1", redirect_uri="https://service.test/cb")
    with pytest.raises(FortnoxMalformedResponse):
        await oauth.refresh("r1")


async def test_network_failure_is_retryable(oauth: FortnoxOAuth, router: respx.MockRouter) -> None:
    router.post(TOKEN_URL).mock(side_effect=httpx.ConnectTimeout("slow"))

    with pytest.raises(FortnoxUnavailable):
        await oauth.refresh("r2")


async def test_revoke_posts_the_refresh_token(
    oauth: FortnoxOAuth, router: respx.MockRouter
) -> None:
    route = router.post(f"{AUTH_BASE}/revoke").mock(
        return_value=httpx.Response(200, json={"revoked": True})
    )

    await oauth.revoke("r2")

    request = route.calls.last.request
    assert request.headers["Authorization"] == BASIC
    assert form(request) == {"token": ["r2"], "token_type_hint": ["refresh_token"]}


def test_tenant_id_is_read_from_the_jwt_and_tokens_stay_out_of_repr() -> None:
    access = make_jwt(29302)
    tokens = TokenSet(access_token=access, refresh_token="r-secret", expires_at=NOW)

    assert tenant_id_from_access_token(access) == "29302"
    assert tenant_id_from_access_token("opaque-token") is None
    assert tenant_id_from_access_token("a.!!!.c") is None
    assert tenant_id_from_access_token(make_jwt("29302")) == "29302"
    for not_a_tenant in ("1" * 21, "29302; DROP", "", "-1", "²"):
        assert tenant_id_from_access_token(make_jwt(not_a_tenant)) is None
    assert access not in repr(tokens)
    assert "r-secret" not in repr(tokens)
