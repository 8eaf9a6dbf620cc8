"""The whole Fortnox login (OAuth2 authorization code flow) against the in-process sandbox.

Every failure must leave the installation exactly as it was and store no tokens.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

from sqlalchemy import update

from tests.activation.conftest import MovableClock
from tests.activation.login_flow import (
    consent,
    credential_rows,
    pending_installation,
    query_of,
    snapshot,
    start_login,
    with_query,
)
from tests.e2e.harness import SERVICE_ORIGIN, SyncHarness
from upsales_fortnox.db.models import Installation, InstallationStatus, JobStatus, SyncJob
from upsales_fortnox.fortnox.oauth import tenant_id_from_access_token
from upsales_fortnox.jobs import enqueue


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


async def test_errors_are_a_small_page_for_browsers(
    harness: SyncHarness, clock: MovableClock
) -> None:
    response = await harness.service.get(
        "/oauth/fortnox/callback?code=x&state=nonsense",
        headers={"Accept": "text/html,application/xhtml+xml"},
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert "invalid_state" in response.text


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


async def test_an_unknown_installation_cannot_start_a_login(
    harness: SyncHarness, clock: MovableClock
) -> None:
    response = await harness.service.get("/activate/00000000-0000-0000-0000-000000000000/fortnox")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "installation_not_found"
