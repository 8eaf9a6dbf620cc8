"""OAuth2 code flow, refresh rotation, expiry, revocation, and bearer checks on ``/3/``."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.sandbox.fortnox.helpers import client_for
from ufs_sandboxes.fortnox import FortnoxSandbox, ManualClock
from ufs_sandboxes.fortnox.facts import EXPIRED_TOKEN_STATUS

REDIRECT_URI = "https://sync.example/oauth/callback"


def basic(client_id: str = "sandbox-client-id", secret: str = "sandbox-client-secret") -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


async def authorize(client: httpx.AsyncClient, **extra: str) -> dict[str, str]:
    params = {
        "client_id": "sandbox-client-id",
        "response_type": "code",
        "state": "xyz-123",
        "scope": "customer article invoice",
        "redirect_uri": REDIRECT_URI,
        "access_type": "offline",
        **extra,
    }
    response = await client.get("/oauth-v1/auth", params=params)
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(REDIRECT_URI + "?")
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


async def token_request(
    client: httpx.AsyncClient, auth: str | None = None, **form: str
) -> httpx.Response:
    return await client.post(
        "/oauth-v1/token",
        data=form,
        headers={"Authorization": auth or basic()},
    )


def claims(access_token: str) -> dict[str, object]:
    parts = access_token.split(".")
    assert len(parts) == 3
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    decoded: dict[str, object] = json.loads(base64.urlsafe_b64decode(payload))
    return decoded


async def test_code_flow_issues_tokens_for_the_consenting_tenant(
    anonymous: httpx.AsyncClient, sandbox: FortnoxSandbox, tenant_id: int
) -> None:
    redirect = await authorize(anonymous)
    assert redirect["state"] == "xyz-123"

    response = await token_request(
        anonymous, grant_type="authorization_code", code=redirect["code"], redirect_uri=REDIRECT_URI
    )

    assert response.status_code == 200
    tokens = response.json()
    assert set(tokens) == {"access_token", "refresh_token", "scope", "expires_in", "token_type"}
    assert (tokens["expires_in"], tokens["token_type"]) == (3600, "bearer")
    assert set(tokens["scope"].split()) == {"customer", "article", "invoice"}
    assert claims(tokens["access_token"])["tenantId"] == tenant_id
    async with client_for(sandbox, tokens["access_token"]) as api:
        info = (await api.get("/3/customers")).status_code
    assert info == 200


async def test_tenant_parameter_and_admin_choice_pick_the_tenant(
    anonymous: httpx.AsyncClient, sandbox: FortnoxSandbox
) -> None:
    second = sandbox.create_tenant("Second AB")
    third = sandbox.create_tenant("Third AB")
    sandbox.set_consent_tenant(third)

    by_param = await authorize(anonymous, tenant=str(second))
    by_admin = await authorize(anonymous)

    for redirect, expected in ((by_param, second), (by_admin, third)):
        response = await token_request(
            anonymous,
            grant_type="authorization_code",
            code=redirect["code"],
            redirect_uri=REDIRECT_URI,
        )
        assert claims(response.json()["access_token"])["tenantId"] == expected


async def test_code_is_single_use_and_needs_the_same_redirect_uri(
    anonymous: httpx.AsyncClient,
) -> None:
    first = await authorize(anonymous)
    second = await authorize(anonymous)

    wrong_uri = await token_request(
        anonymous,
        grant_type="authorization_code",
        code=first["code"],
        redirect_uri="https://evil.example/",
    )
    used_up = await token_request(
        anonymous, grant_type="authorization_code", code=first["code"], redirect_uri=REDIRECT_URI
    )
    good = await token_request(
        anonymous, grant_type="authorization_code", code=second["code"], redirect_uri=REDIRECT_URI
    )
    reused = await token_request(
        anonymous, grant_type="authorization_code", code=second["code"], redirect_uri=REDIRECT_URI
    )

    assert wrong_uri.status_code == 400
    assert used_up.json()["error"] == "invalid_grant"
    assert good.status_code == 200
    assert reused.status_code == 400


async def test_code_expires_after_ten_minutes(
    anonymous: httpx.AsyncClient, clock: ManualClock
) -> None:
    fresh = await authorize(anonymous)
    stale = await authorize(anonymous)
    clock.advance(599)
    ok = await token_request(
        anonymous, grant_type="authorization_code", code=fresh["code"], redirect_uri=REDIRECT_URI
    )
    clock.advance(2)
    late = await token_request(
        anonymous, grant_type="authorization_code", code=stale["code"], redirect_uri=REDIRECT_URI
    )

    assert ok.status_code == 200
    assert (late.status_code, late.json()["error"]) == (400, "invalid_grant")


async def test_denied_consent_redirects_with_access_denied(
    anonymous: httpx.AsyncClient, sandbox: FortnoxSandbox
) -> None:
    sandbox.set_next_consent("deny")

    denied = await authorize(anonymous)
    allowed_again = await authorize(anonymous)

    assert denied == {"error": "access_denied", "state": "xyz-123"}
    assert "code" in allowed_again


async def test_bad_authorize_requests(anonymous: httpx.AsyncClient) -> None:
    unknown_client = await anonymous.get(
        "/oauth-v1/auth",
        params={
            "client_id": "other",
            "response_type": "code",
            "scope": "customer",
            "redirect_uri": REDIRECT_URI,
        },
    )
    bad_scope = await authorize(anonymous, scope="customer spaceship")

    assert unknown_client.status_code == 400
    assert bad_scope["error"] == "invalid_scope"


async def test_registered_redirect_uris_are_enforced(
    make_sandbox: Callable[..., FortnoxSandbox],
) -> None:
    sandbox = make_sandbox(redirect_uris=(REDIRECT_URI,))
    async with client_for(sandbox) as client:
        mismatch = await client.get(
            "/oauth-v1/auth",
            params={
                "client_id": "sandbox-client-id",
                "response_type": "code",
                "scope": "customer",
                "state": "s",
                "redirect_uri": "https://elsewhere.example/",
            },
        )
        implicit = await client.get(
            "/oauth-v1/auth",
            params={
                "client_id": "sandbox-client-id",
                "response_type": "code",
                "scope": "customer",
                "state": "s",
            },
        )

    assert mismatch.status_code == 400
    assert implicit.status_code == 302
    assert implicit.headers["location"].startswith(REDIRECT_URI + "?code=")


async def test_token_endpoint_needs_basic_client_auth(anonymous: httpx.AsyncClient) -> None:
    redirect = await authorize(anonymous)

    wrong = await token_request(
        anonymous,
        auth=basic(secret="guess"),
        grant_type="authorization_code",
        code=redirect["code"],
        redirect_uri=REDIRECT_URI,
    )

    assert (wrong.status_code, wrong.json()["error"]) == (401, "invalid_client")
    assert "guess" not in wrong.text


async def test_refresh_rotates_and_a_reused_refresh_token_is_rejected(
    anonymous: httpx.AsyncClient, sandbox: FortnoxSandbox, tenant_id: int
) -> None:
    first = sandbox.issue_tokens(tenant_id, ["customer"])

    rotated = await token_request(
        anonymous, grant_type="refresh_token", refresh_token=first.refresh_token
    )
    reused = await token_request(
        anonymous, grant_type="refresh_token", refresh_token=first.refresh_token
    )

    assert rotated.status_code == 200
    new = rotated.json()
    assert new["refresh_token"] != first.refresh_token
    assert new["access_token"] != first.access_token
    assert new["scope"] == "customer"
    assert reused.status_code == 400
    assert reused.json() == {"error": "invalid_grant", "error_description": "Invalid refresh token"}
    again = await token_request(
        anonymous, grant_type="refresh_token", refresh_token=new["refresh_token"]
    )
    assert again.status_code == 200


async def test_refresh_token_expires_after_45_days(
    anonymous: httpx.AsyncClient, sandbox: FortnoxSandbox, tenant_id: int, clock: ManualClock
) -> None:
    early = sandbox.issue_tokens(tenant_id)
    late = sandbox.issue_tokens(tenant_id)
    clock.advance(45 * 86400 - 1)
    ok = await token_request(
        anonymous, grant_type="refresh_token", refresh_token=early.refresh_token
    )
    clock.advance(2)
    expired = await token_request(
        anonymous, grant_type="refresh_token", refresh_token=late.refresh_token
    )

    assert ok.status_code == 200
    assert expired.status_code == 400


async def test_access_token_expires_after_an_hour(
    sandbox: FortnoxSandbox, tenant_id: int, clock: ManualClock
) -> None:
    tokens = sandbox.issue_tokens(tenant_id)
    async with client_for(sandbox, tokens.access_token) as api:
        clock.advance(3599)
        valid = await api.get("/3/customers")
        clock.advance(1)
        expired = await api.get("/3/customers")

    assert valid.status_code == 200
    assert expired.status_code == EXPIRED_TOKEN_STATUS
    assert expired.json()["ErrorInformation"]["code"] == 2000310


async def test_revoke_ends_the_whole_grant(
    anonymous: httpx.AsyncClient, sandbox: FortnoxSandbox, tenant_id: int
) -> None:
    tokens = sandbox.issue_tokens(tenant_id)

    response = await anonymous.post(
        "/oauth-v1/revoke",
        data={"token_type_hint": "refresh_token", "token": tokens.refresh_token},
        headers={"Authorization": basic()},
    )

    assert response.json() == {"revoked": True}
    refresh = await token_request(
        anonymous, grant_type="refresh_token", refresh_token=tokens.refresh_token
    )
    assert refresh.status_code == 400
    async with client_for(sandbox, tokens.access_token) as api:
        assert (await api.get("/3/customers")).status_code == 403


@pytest.mark.parametrize(
    ("authorization", "code"),
    [
        (None, 2000311),
        ("Bearer ", 2000311),
        ("Basic abc", 2000311),
        ("Bearer not-a-token", 2000310),
    ],
)
async def test_missing_or_unknown_token_is_403(
    anonymous: httpx.AsyncClient, authorization: str | None, code: int
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}

    response = await anonymous.get("/3/customers", headers=headers)

    assert response.status_code == 403
    assert response.json()["ErrorInformation"]["code"] == code


async def test_token_without_the_scope_is_refused(sandbox: FortnoxSandbox, tenant_id: int) -> None:
    tokens = sandbox.issue_tokens(tenant_id, ["customer"])
    async with client_for(sandbox, tokens.access_token) as api:
        customers = await api.get("/3/customers")
        invoices = await api.get("/3/invoices")

    assert customers.status_code == 200
    assert invoices.status_code == 403
    assert invoices.json()["ErrorInformation"]["code"] == 2000663


async def test_tokens_only_reach_their_own_tenant(sandbox: FortnoxSandbox, tenant_id: int) -> None:
    other = sandbox.create_tenant("Other AB")
    sandbox.seed(other, customers=[{"Name": "Only in other"}])
    async with client_for(sandbox, sandbox.issue_tokens(tenant_id).access_token) as api:
        mine = (await api.get("/3/customers")).json()
        info = (await api.get("/3/companyinformation")).json()

    assert mine["Customers"] == []
    assert info["CompanyInformation"]["DatabaseNumber"] == tenant_id


@pytest.mark.spec_guard_off("sends a body that is not JSON on purpose")
async def test_accept_and_content_type_are_checked(api: httpx.AsyncClient) -> None:
    xml_accept = await api.get("/3/customers", headers={"Accept": "application/xml"})
    no_accept = await api.get("/3/customers", headers={"Accept": ""})
    any_accept = await api.get("/3/customers", headers={"Accept": "*/*"})
    text_body = await api.post(
        "/3/customers", content=b"Name=Acme", headers={"Content-Type": "text/plain"}
    )

    assert (xml_accept.status_code, xml_accept.json()["ErrorInformation"]["code"]) == (400, 1000030)
    assert no_accept.status_code == 200
    assert any_accept.status_code == 200
    assert (text_body.status_code, text_body.json()["ErrorInformation"]["code"]) == (400, 1000031)
