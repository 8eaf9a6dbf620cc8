"""The whole Fortnox login (OAuth2 authorization code flow) against the in-process sandbox.

Every failure must leave the installation exactly as it was and store no tokens.
"""

from __future__ import annotations

import base64
import json
import logging
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from sqlalchemy import func, select, update

from tests.activation.conftest import MovableClock
from tests.activation.login_flow import (
    consent,
    credential_rows,
    login_link,
    pending_installation,
    query_of,
    snapshot,
    start_login,
    with_query,
)
from tests.e2e.harness import SERVICE_ORIGIN, SyncHarness
from upsales_fortnox.activation import login as login_module
from upsales_fortnox.core.texts import say
from upsales_fortnox.integrations.fortnox.oauth import tenant_id_from_access_token
from upsales_fortnox.jobs import enqueue
from upsales_fortnox.models.installation import Installation, OAuthState
from upsales_fortnox.models.job import SyncJob
from upsales_fortnox.vocabulary import InstallationStatus, JobStatus


async def test_login_connects_the_installation_and_returns_to_upsales(
    harness: SyncHarness, clock: MovableClock
) -> None:
    installation_id = await pending_installation(harness)
    new_tenant = harness.fortnox.create_tenant("Ny Kund AB")
    harness.fortnox.set_consent_tenant(new_tenant)

    authorization_url = await start_login(harness, installation_id)
    query = query_of(authorization_url)
    assert authorization_url.startswith("http://fortnox.sandbox/oauth-v1/auth?")
    assert query["redirect_uri"] == f"{SERVICE_ORIGIN}/oauth/fortnox/callback"
    assert unquote(query["scope"]).split() == [
        "customer",
        "article",
        "price",
        "order",
        "invoice",
        "offer",
        "companyinformation",
        "payment",
    ]
    assert query["response_type"] == "code"
    assert query["access_type"] == "offline"

    callback = await consent(harness, authorization_url)
    response = await harness.service.get(callback)

    assert response.status_code == 302, response.text
    assert response.headers["location"] == harness.services.settings.upsales_return_url
    after = await snapshot(harness, installation_id)
    assert after.status == InstallationStatus.ACTIVE
    assert after.fortnox_tenant_id == str(new_tenant)
    assert after.credentials is not None
    access_token = await harness.services.token_store.access_token(installation_id)
    assert tenant_id_from_access_token(access_token) == str(new_tenant)
    assert access_token not in after.credentials[0]  # stored encrypted


async def test_denied_consent_stores_nothing_and_uses_up_the_state(
    harness: SyncHarness, clock: MovableClock
) -> None:
    installation_id = await pending_installation(harness)
    before = await snapshot(harness, installation_id)
    harness.fortnox.set_consent_tenant(harness.fortnox.create_tenant())
    harness.fortnox.set_next_consent("deny")

    callback = await consent(harness, await start_login(harness, installation_id))
    assert query_of(callback)["error"] == "access_denied"
    response = await harness.service.get(callback)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "fortnox_access_denied"
    assert await snapshot(harness, installation_id) == before
    state = query_of(callback)["state"]
    replay = await harness.service.get(
        "/oauth/fortnox/callback", params={"code": "x", "state": state}
    )
    assert replay.json()["error"]["code"] == "state_reused"
    assert await snapshot(harness, installation_id) == before


async def test_a_tampered_or_missing_state_is_refused(
    harness: SyncHarness, clock: MovableClock
) -> None:
    installation_id = await pending_installation(harness)
    harness.fortnox.set_consent_tenant(harness.fortnox.create_tenant())
    before = await snapshot(harness, installation_id)
    callback = await consent(harness, await start_login(harness, installation_id))
    state = query_of(callback)["state"]
    version, payload, signature = state.split(".")
    forged = (
        f"{version}.{payload[:-2]}{'A' if payload[-2] != 'A' else 'B'}{payload[-1]}.{signature}"
    )

    tampered = await harness.service.get(with_query(callback, state=forged))
    missing = await harness.service.get(
        f"/oauth/fortnox/callback?code={query_of(callback)['code']}"
    )

    assert tampered.status_code == 400
    assert tampered.json()["error"]["code"] == "invalid_state"
    assert missing.json()["error"]["code"] == "invalid_state"
    assert await snapshot(harness, installation_id) == before


async def test_a_state_works_once(harness: SyncHarness, clock: MovableClock) -> None:
    installation_id = await pending_installation(harness)
    harness.fortnox.set_consent_tenant(harness.fortnox.create_tenant())
    callback = await consent(harness, await start_login(harness, installation_id))
    assert (await harness.service.get(callback)).status_code == 302
    after_first = await snapshot(harness, installation_id)

    replay = await harness.service.get(callback)

    assert replay.status_code == 400
    assert replay.json()["error"]["code"] == "state_reused"
    assert await snapshot(harness, installation_id) == after_first


async def test_a_double_clicked_callback_does_not_tell_the_admin_the_login_failed(
    harness: SyncHarness, clock: MovableClock
) -> None:
    """The browser shows the second click's answer while the first one connected the company:
    the page says the login was already used and where to see whether it is done, not that it
    took too long or began in another browser."""
    installation_id = await pending_installation(harness)
    harness.fortnox.set_consent_tenant(harness.fortnox.create_tenant())
    callback = await consent(harness, await start_login(harness, installation_id))
    browser = {"Accept": "text/html,application/xhtml+xml", "Accept-Language": "sv-SE"}
    first = await harness.service.get(callback, headers=browser)

    second = await harness.service.get(callback, headers=browser)

    assert first.status_code == 302
    assert second.status_code == 400
    assert second.headers["content-type"].startswith("text/html")
    assert "redan använd" in second.text
    assert "tog för lång tid" not in second.text and "annan webbläsare" not in second.text
    assert (await snapshot(harness, installation_id)).status == InstallationStatus.ACTIVE


async def test_an_expired_state_is_refused(harness: SyncHarness, clock: MovableClock) -> None:
    installation_id = await pending_installation(harness)
    harness.fortnox.set_consent_tenant(harness.fortnox.create_tenant())
    before = await snapshot(harness, installation_id)
    callback = await consent(harness, await start_login(harness, installation_id))

    clock.advance(timedelta(minutes=10, seconds=1))
    response = await harness.service.get(callback)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "state_expired"
    assert await snapshot(harness, installation_id) == before


async def test_a_refused_code_exchange_stores_nothing(
    harness: SyncHarness, clock: MovableClock
) -> None:
    installation_id = await pending_installation(harness)
    harness.fortnox.set_consent_tenant(harness.fortnox.create_tenant())
    before = await snapshot(harness, installation_id)
    rows_before = await credential_rows(harness)
    callback = await consent(harness, await start_login(harness, installation_id))

    response = await harness.service.get(with_query(callback, code="not-a-real-code"))

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "code_exchange_failed"
    assert await snapshot(harness, installation_id) == before
    assert await credential_rows(harness) == rows_before


async def test_a_failed_login_leaves_the_operator_its_code_and_installation(
    harness: SyncHarness, clock: MovableClock, caplog: pytest.LogCaptureFixture
) -> None:
    """The admin's browser shows a page without codes: the operator who is asked why finds the
    stable code and the installation in the log, and no code, state or token."""
    installation_id = await pending_installation(harness)
    harness.fortnox.set_consent_tenant(harness.fortnox.create_tenant())
    callback = await consent(harness, await start_login(harness, installation_id))
    refused = with_query(callback, code="not-a-real-code")

    with caplog.at_level(logging.INFO):
        page = await harness.service.get(refused, headers={"Accept": "text/html"})

    assert page.status_code == 400
    (record,) = [r for r in caplog.records if getattr(r, "code", None) == "code_exchange_failed"]
    assert record.levelno == logging.WARNING
    assert getattr(record, "installation_id", None) == str(installation_id)
    logged = " ".join(r.getMessage() for r in caplog.records if r.name.startswith("upsales"))
    assert "not-a-real-code" not in logged and query_of(callback)["state"] not in logged


async def test_a_token_answer_with_a_lifetime_past_any_date_stores_nothing(
    harness: SyncHarness, clock: MovableClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fortnox answering the code exchange with an ``expires_in`` no date can hold is a refused
    exchange (400 ``code_exchange_failed``), not a 500; nothing of the login is kept."""
    installation_id = await pending_installation(harness)
    harness.fortnox.set_consent_tenant(harness.fortnox.create_tenant())
    before = await snapshot(harness, installation_id)
    rows_before = await credential_rows(harness)
    callback = await consent(harness, await start_login(harness, installation_id))
    oauth = harness.fortnox.oauth
    monkeypatch.setattr(oauth, "_config", replace(oauth._config, access_token_lifetime=1e20))

    response = await harness.service.get(callback)

    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "code_exchange_failed"
    assert await snapshot(harness, installation_id) == before
    assert await credential_rows(harness) == rows_before


@pytest.mark.parametrize("claim", ["1" * 60, "29302; DROP", {"id": 29302}, 1.5, -29302, ""])
async def test_a_token_whose_tenant_claim_is_no_tenant_id_reads_the_company_information(
    harness: SyncHarness, clock: MovableClock, monkeypatch: pytest.MonkeyPatch, claim: Any
) -> None:
    """A ``tenantId`` claim that is not a tenant id (digits) names no company: the tenant is
    read from Fortnox's company information, as for a token without the claim, and never
    stored as the text of the claim."""
    installation_id = await pending_installation(harness)
    new_tenant = harness.fortnox.create_tenant("Ny Kund AB")
    harness.fortnox.set_consent_tenant(new_tenant)
    tokens_claim_tenant(harness, monkeypatch, claim)

    response = await harness.service.get(
        await consent(harness, await start_login(harness, installation_id))
    )

    assert response.status_code == 302, response.text
    after = await snapshot(harness, installation_id)
    assert after.status == InstallationStatus.ACTIVE
    assert after.fortnox_tenant_id == str(new_tenant)


@pytest.mark.spec_guard_off("a company information whose DatabaseNumber is past its int32")
async def test_a_login_whose_company_tells_no_tenant_id_stores_nothing(
    harness: SyncHarness, clock: MovableClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Neither the token's claim nor the company information's ``DatabaseNumber`` a tenant
    id (here 31 digits, longer than any): 502 ``fortnox_tenant_unknown``, nothing stored."""
    installation_id = await pending_installation(harness)
    new_tenant = harness.fortnox.create_tenant("Ny Kund AB")
    harness.fortnox.set_consent_tenant(new_tenant)
    before = await snapshot(harness, installation_id)
    rows_before = await credential_rows(harness)
    tokens_claim_tenant(harness, monkeypatch, None)
    tenant = harness.fortnox.tenants[new_tenant]
    real_information = tenant.company_information
    monkeypatch.setattr(
        tenant,
        "company_information",
        lambda: {**real_information(), "DatabaseNumber": 10**30},
    )

    response = await harness.service.get(
        await consent(harness, await start_login(harness, installation_id))
    )

    assert response.status_code == 502, response.text
    assert response.json()["error"]["code"] == "fortnox_tenant_unknown"
    assert await snapshot(harness, installation_id) == before
    assert await credential_rows(harness) == rows_before


async def test_fortnox_down_after_the_code_exchange_answers_the_waiting_admin_at_once(
    harness: SyncHarness, clock: MovableClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The company is read from Fortnox while the admin's browser waits on the callback: a
    failing Fortnox is said after one try, not after a sync job's half minute of backoff."""
    installation_id = await pending_installation(harness)
    harness.fortnox.set_consent_tenant(harness.fortnox.create_tenant())
    tokens_claim_tenant(harness, monkeypatch, None)  # the tenant must be read from Fortnox
    oauth = harness.fortnox.oauth
    real_exchange = oauth.exchange_code

    def exchange_then_fail(code: str, redirect_uri: str | None) -> Any:
        pair = real_exchange(code, redirect_uri)
        harness.fortnox.set_faults(fail_next=100)
        return pair

    monkeypatch.setattr(oauth, "exchange_code", exchange_then_fail)
    callback = await consent(harness, await start_login(harness, installation_id))
    before = harness.services.fortnox_calls["GET /companyinformation"]

    response = await harness.service.get(callback)

    assert response.status_code == 502, response.text
    assert response.json()["error"]["code"] == "fortnox_unavailable"
    assert harness.services.fortnox_calls["GET /companyinformation"] == before + 1


async def test_errors_are_a_small_page_for_browsers(
    harness: SyncHarness, clock: MovableClock
) -> None:
    response = await harness.service.get(
        "/oauth/fortnox/callback?code=x&state=nonsense",
        headers={"Accept": "text/html,application/xhtml+xml"},
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert "Inloggningen i Fortnox blev inte klar" in response.text
    assert "invalid_state" not in response.text  # the code is for operators (JSON answer)

    english = await harness.service.get(
        "/oauth/fortnox/callback?code=x&state=nonsense",
        headers={"Accept": "text/html", "Accept-Language": "en-GB,en;q=0.8"},
    )
    assert "The Fortnox login did not complete" in english.text


async def test_a_login_link_with_a_mangled_installation_id_is_the_login_page(
    harness: SyncHarness, clock: MovableClock
) -> None:
    """A link cut or altered on its way (a mail client, a copy) names no installation: the
    browser gets the Swedish page of a link no longer valid, an API caller its 403 code."""
    page = await harness.service.get(
        "/activate/48a83e9a-474a-4660/fortnox?token=abc",
        headers={"Accept": "text/html,application/xhtml+xml"},
    )
    assert page.status_code == 403
    assert page.headers["content-type"].startswith("text/html")
    assert "Inloggningen i Fortnox blev inte klar" in page.text
    assert "Logga in i Fortnox igen" in page.text

    answer = await harness.service.get("/activate/not-an-id/fortnox?token=abc")
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "invalid_login_link"


async def test_a_tenant_of_another_installation_is_refused(
    harness: SyncHarness, clock: MovableClock
) -> None:
    installation_id = await pending_installation(harness)
    harness.fortnox.set_consent_tenant(harness.tenant_id)  # the harness installation's company
    before = await snapshot(harness, installation_id)
    rows_before = await credential_rows(harness)

    response = await harness.service.get(
        await consent(harness, await start_login(harness, installation_id))
    )

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "tenant_already_connected"
    assert await snapshot(harness, installation_id) == before
    assert await credential_rows(harness) == rows_before


async def test_a_tenant_connected_elsewhere_during_the_login_is_refused_by_the_database(
    harness: SyncHarness, clock: MovableClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two Upsales accounts log in to one Fortnox company at the same moment: both pass the
    check made before the tenant is stored (played here by the check missing the other one).
    The second to store it is refused as the check would refuse it, keeping nothing."""
    installation_id = await pending_installation(harness)
    harness.fortnox.set_consent_tenant(harness.tenant_id)  # the harness installation's company
    before = await snapshot(harness, installation_id)
    rows_before = await credential_rows(harness)
    checks: list[str] = []
    real_check = login_module.tenant_connected_elsewhere

    async def check_missing_the_other_login(*args: Any) -> bool:
        checks.append("check")
        return False if len(checks) <= 2 else await real_check(*args)

    monkeypatch.setattr(login_module, "tenant_connected_elsewhere", check_missing_the_other_login)

    response = await harness.service.get(
        await consent(harness, await start_login(harness, installation_id))
    )

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "tenant_already_connected"
    assert len(checks) == 3  # the check, again under the lock, then the refused write's
    assert await snapshot(harness, installation_id) == before
    assert await credential_rows(harness) == rows_before


async def test_relogin_reactivates_and_resumes_parked_jobs(
    harness: SyncHarness, clock: MovableClock
) -> None:
    later = datetime.now(UTC) + timedelta(hours=1)
    async with harness.services.session_factory() as session:
        await session.execute(
            update(Installation)
            .where(Installation.id == harness.installation_id)
            .values(status=InstallationStatus.NEEDS_RELOGIN, status_reason="refresh refused")
        )
        queued = await enqueue(
            session,
            installation_id=harness.installation_id,
            kind="fortnox.customer",
            entity_id="1",
            run_after=later,
        )
        await session.commit()
    harness.fortnox.set_consent_tenant(harness.tenant_id)

    response = await harness.service.get(
        await consent(harness, await start_login(harness, harness.installation_id))
    )

    assert response.status_code == 302, response.text
    after = await snapshot(harness, harness.installation_id)
    assert after.status == InstallationStatus.ACTIVE
    assert after.status_reason is None
    async with harness.services.session_factory() as session:
        job = await session.get(SyncJob, queued.job_id)
        assert job is not None
        assert job.status == JobStatus.QUEUED
        assert job.run_after < later


async def test_a_login_for_another_company_than_the_connected_one_is_refused(
    harness: SyncHarness, clock: MovableClock
) -> None:
    harness.fortnox.set_consent_tenant(harness.fortnox.create_tenant())
    before = await snapshot(harness, harness.installation_id)

    response = await harness.service.get(
        await consent(harness, await start_login(harness, harness.installation_id))
    )

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "tenant_mismatch"
    assert await snapshot(harness, harness.installation_id) == before


def live_grants(harness: SyncHarness, tenant_id: int) -> int:
    """How many logins of the tenant Fortnox still honours (its unrevoked refresh tokens)."""
    grants = harness.fortnox.oauth.refresh_tokens.values()
    return sum(1 for grant in grants if grant.tenant_id == tenant_id)


async def test_a_refused_login_hands_its_fortnox_tokens_back(
    harness: SyncHarness, clock: MovableClock
) -> None:
    """A login the service may not connect (another company than the installation's) leaves
    Fortnox no live connection that the service does not hold: its tokens are revoked."""
    other_company = harness.fortnox.create_tenant("Fel Företag AB")
    harness.fortnox.set_consent_tenant(other_company)

    response = await harness.service.get(
        await consent(harness, await start_login(harness, harness.installation_id))
    )

    assert response.json()["error"]["code"] == "tenant_mismatch"
    assert live_grants(harness, other_company) == 0
    assert live_grants(harness, harness.tenant_id) == 1  # the installation's own login stays


async def test_a_deleted_installation_hands_its_fortnox_login_back(
    harness: SyncHarness, clock: MovableClock
) -> None:
    """Deleting an installation revokes its Fortnox tokens: the customer's Fortnox company keeps
    no live grant the service no longer holds."""
    assert live_grants(harness, harness.tenant_id) == 1
    admin = {"Authorization": f"Bearer {harness.services.settings.admin_token.get_secret_value()}"}
    deleted = await harness.service.delete(
        f"/api/installations/{harness.installation_id}", headers=admin
    )
    assert deleted.status_code == 204, deleted.text
    assert live_grants(harness, harness.tenant_id) == 0


async def test_an_installation_deleted_during_its_login_is_named_as_gone(
    harness: SyncHarness, clock: MovableClock
) -> None:
    """The operator deleted the installation while its admin was at Fortnox: the callback says
    the installation is gone (not that the link is invalid, which sends the admin to try again),
    in the admin's page too, and nothing is stored."""
    leaving = await pending_installation(harness, "Avslutad AB")
    authorize = await start_login(harness, leaving)
    admin = {"Authorization": f"Bearer {harness.services.settings.admin_token.get_secret_value()}"}
    deleted = await harness.service.delete(f"/api/installations/{leaving}", headers=admin)
    assert deleted.status_code == 204
    callback = await consent(harness, authorize)

    answer = await harness.service.get(callback)
    assert answer.status_code == 404, answer.text
    assert answer.json()["error"]["code"] == "installation_not_found"
    page = await harness.service.get(callback, headers={"Accept": "text/html"})
    assert page.status_code == 404
    assert say("login.failed.gone", "sv").split(":")[0] in page.text
    async with harness.services.session_factory() as session:
        assert await session.get(Installation, leaving) is None


async def test_an_unknown_installation_cannot_start_a_login(
    harness: SyncHarness, clock: MovableClock
) -> None:
    unknown = uuid.UUID(int=0)
    response = await harness.service.get(login_link(harness, unknown))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "installation_not_found"


async def test_the_operator_api_hands_out_the_login_link(
    harness: SyncHarness, clock: MovableClock
) -> None:
    admin = {"Authorization": f"Bearer {harness.services.settings.admin_token.get_secret_value()}"}
    created = await harness.service.post(
        "/api/installations", headers=admin, json={"name": "Via the operator API AB"}
    )
    assert created.status_code == 201, created.text
    installation_id = uuid.UUID(created.json()["id"])
    login_url = created.json()["fortnox_login_url"]
    assert login_url.startswith(f"{SERVICE_ORIGIN}/activate/{installation_id}/fortnox?token=")
    new_tenant = harness.fortnox.create_tenant("Operatör AB")
    harness.fortnox.set_consent_tenant(new_tenant)

    started = await harness.service.get(login_url)
    assert started.status_code == 302, started.text
    done = await harness.service.get(await consent(harness, started.headers["location"]))

    assert done.status_code == 302, done.text
    after = await snapshot(harness, installation_id)
    assert after.status == InstallationStatus.ACTIVE
    assert after.fortnox_tenant_id == str(new_tenant)


async def test_the_login_cookie_is_http_only_lax_and_only_for_the_callback(
    harness: SyncHarness, clock: MovableClock
) -> None:
    installation_id = await pending_installation(harness)
    response = await harness.service.get(login_link(harness, installation_id))

    assert response.status_code == 302
    cookie = response.headers["set-cookie"].lower()
    assert cookie.startswith("fortnox_login_")
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "path=/oauth/fortnox/callback" in cookie
    assert "max-age=600" in cookie
    state = query_of(response.headers["location"])["state"]
    assert unquote(state).split(".")[1] not in cookie  # a hash, not the state


@pytest.mark.parametrize(
    "case",
    [
        "missing",
        "garbage",
        "other_installation",
        "tampered",
        "expiry_superscript_digit",
        "expiry_circled_digit",
    ],
)
async def test_a_login_without_a_genuine_link_is_forbidden_and_stores_nothing(
    harness: SyncHarness, clock: MovableClock, case: str
) -> None:
    installation_id = await pending_installation(harness)
    before = await snapshot(harness, installation_id)
    path = f"/activate/{installation_id}/fortnox"
    genuine_token = query_of(login_link(harness, installation_id))["token"]
    tokens = {
        "missing": None,
        "garbage": "v1.99999999999999999999.x",
        "other_installation": query_of(login_link(harness, harness.installation_id))["token"],
        "tampered": genuine_token[:-1] + ("A" if genuine_token[-1] != "A" else "B"),
        # digits to str.isdigit() that int() refuses
        "expiry_superscript_digit": "v1.\u00b2.abc",
        "expiry_circled_digit": "v1.\u2460.abc",
    }
    token = tokens[case]

    response = await harness.service.get(path, params=None if token is None else {"token": token})

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "invalid_login_link"
    assert "set-cookie" not in response.headers
    assert await snapshot(harness, installation_id) == before
    assert await state_rows(harness) == 0


async def test_an_expired_login_link_is_forbidden(
    harness: SyncHarness, clock: MovableClock
) -> None:
    installation_id = await pending_installation(harness)
    link = login_link(harness, installation_id)

    clock.advance(timedelta(hours=24, seconds=1))
    response = await harness.service.get(link, headers={"Accept": "text/html"})

    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/html")
    assert "inte giltig längre" in response.text
    assert "invalid_login_link" not in response.text
    assert await state_rows(harness) == 0


async def test_an_expired_login_link_sends_the_admin_for_a_new_one_not_round_again(
    harness: SyncHarness, clock: MovableClock
) -> None:
    """The button in Upsales opens the same link again, so an expired one cannot be fixed by
    clicking it again: the page says to ask for a new link, the operator gets its own code."""
    installation_id = await pending_installation(harness)
    link = login_link(harness, installation_id)
    clock.advance(timedelta(hours=24, seconds=1))

    page = await harness.service.get(link, headers={"Accept": "text/html"})
    answer = await harness.service.get(link)

    assert page.status_code == answer.status_code == 403
    assert "har gått ut" in page.text and "administratören" in page.text
    assert "klicka på Logga in i Fortnox igen" not in page.text
    assert answer.json()["error"]["code"] == "login_link_expired"


async def test_a_callback_from_another_browser_is_refused_and_stores_nothing(
    harness: SyncHarness, clock: MovableClock
) -> None:
    """Login CSRF: a callback URL started (and consented) elsewhere cannot connect a company
    through a browser that did not start the login."""
    installation_id = await pending_installation(harness)
    harness.fortnox.set_consent_tenant(harness.fortnox.create_tenant("Angripare AB"))
    before = await snapshot(harness, installation_id)
    rows_before = await credential_rows(harness)
    callback = await consent(harness, await start_login(harness, installation_id))

    other_browser = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=harness.app, raise_app_exceptions=False),
        base_url=SERVICE_ORIGIN,
    )
    async with other_browser:
        without_cookie = await other_browser.get(callback)
        wrong_cookie = await other_browser.get(
            callback, headers={"Cookie": "fortnox_login=not-the-binding"}
        )

    for response in (without_cookie, wrong_cookie):
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "state_not_bound"
    assert await snapshot(harness, installation_id) == before
    assert await credential_rows(harness) == rows_before
    # the state was not used up: the browser that started the login can still finish it
    assert (await harness.service.get(callback)).status_code == 302


async def test_a_login_started_twice_in_one_browser_finishes_in_either_tab(
    harness: SyncHarness, clock: MovableClock
) -> None:
    """The admin clicked Log in to Fortnox again before finishing the first tab: consenting in
    the first tab still connects the company (both were started in this browser)."""
    installation_id = await pending_installation(harness)
    harness.fortnox.set_consent_tenant(harness.fortnox.create_tenant())
    first_tab = await start_login(harness, installation_id)
    second_tab = await start_login(harness, installation_id)

    finished = await harness.service.get(await consent(harness, first_tab))

    assert finished.status_code == 302, finished.text
    assert (await snapshot(harness, installation_id)).status == InstallationStatus.ACTIVE
    late = await harness.service.get(await consent(harness, second_tab))  # the other tab, later
    assert late.status_code == 302, late.text


async def state_rows(harness: SyncHarness) -> int:
    async with harness.services.session_factory() as session:
        return int(await session.scalar(select(func.count()).select_from(OAuthState)) or 0)


def tokens_claim_tenant(harness: SyncHarness, monkeypatch: pytest.MonkeyPatch, claim: Any) -> None:
    """The sandbox's access tokens carry ``claim`` as their ``tenantId`` (None: no tenant)."""
    oauth = harness.fortnox.oauth
    real_jwt = oauth._jwt

    def jwt_with_claim(grant: Any, now: float) -> str:
        header, claims, signature = real_jwt(grant, now).split(".")
        decoded = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))
        changed = json.dumps({**decoded, "tenantId": claim}).encode()
        return f"{header}.{base64.urlsafe_b64encode(changed).decode().rstrip('=')}.{signature}"

    monkeypatch.setattr(oauth, "_jwt", jwt_with_claim)
