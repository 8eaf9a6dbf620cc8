"""Idle Fortnox logins are refreshed before their refresh token ends; a refused one stops the
installation's jobs at once and raises one alert (against the Fortnox sandbox)."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import datetime, timedelta

import httpx
import pytest
import respx
from sqlalchemy import select, update

from tests.e2e.harness import SyncHarness
from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.jobs import enqueue
from upsales_fortnox.models.installation import FortnoxCredentials, Installation
from upsales_fortnox.ops import token_keeper
from upsales_fortnox.ops.alert_delivery import AlertSender, check_alerts
from upsales_fortnox.ops.token_keeper import keep_tokens_alive
from upsales_fortnox.services import Services
from upsales_fortnox.vocabulary import InstallationStatus

ALERT_URL = "https://alerts.example.test/hook"
SAFETY_TIMEOUT = 20


async def _credentials(harness: SyncHarness) -> FortnoxCredentials:
    async with harness.services.session_factory() as session:
        row = await session.get(FortnoxCredentials, harness.installation_id)
        assert row is not None
        return row


async def _age_login(harness: SyncHarness, days: int) -> None:
    async with harness.services.session_factory() as session:
        await session.execute(
            update(FortnoxCredentials).values(refreshed_at=utcnow() - timedelta(days=days))
        )
        await session.commit()


async def test_an_idle_login_is_refreshed_and_a_fresh_one_left_alone(harness: SyncHarness) -> None:
    box = harness.services.secret_box
    assert await keep_tokens_alive(harness.services) == {"refreshed": 0, "refused": 0, "failed": 0}
    await _age_login(harness, 20)
    before = await _credentials(harness)
    old_refresh = box.decrypt(before.refresh_token_enc or "")

    assert await keep_tokens_alive(harness.services) == {"refreshed": 1, "refused": 0, "failed": 0}
    after = await _credentials(harness)
    assert after.refreshed_at > utcnow() - timedelta(minutes=1)
    new_access = box.decrypt(after.access_token_enc)
    new_refresh = box.decrypt(after.refresh_token_enc or "")
    assert new_refresh != old_refresh
    assert old_refresh not in harness.fortnox.oauth.refresh_tokens  # used up at Fortnox
    grant = harness.fortnox.oauth.lookup_access_token(new_access)
    assert grant is not None and not harness.fortnox.oauth.is_expired(grant)
    assert await keep_tokens_alive(harness.services) == {"refreshed": 0, "refused": 0, "failed": 0}


async def test_a_refused_refresh_needs_a_login_pauses_jobs_and_alerts_once(
    harness: SyncHarness,
) -> None:
    services = harness.services
    credentials = await _credentials(harness)
    harness.fortnox.oauth.revoke(services.secret_box.decrypt(credentials.refresh_token_enc or ""))
    await _age_login(harness, 30)
    async with services.session_factory() as session:
        await enqueue(
            session, installation_id=harness.installation_id, kind="upsales.order", entity_id="1"
        )
        await session.commit()

    assert await keep_tokens_alive(services) == {"refreshed": 0, "refused": 1, "failed": 0}
    async with services.session_factory() as session:
        status = await session.scalar(
            select(Installation.status).where(Installation.id == harness.installation_id)
        )
    assert status == InstallationStatus.NEEDS_RELOGIN
    assert await harness.run_jobs() == 0  # paused until the new login

    async with httpx.AsyncClient() as http:
        sender = AlertSender(http, ALERT_URL)
        with respx.mock(assert_all_called=True) as router:
            route = router.post(ALERT_URL).mock(return_value=httpx.Response(200))
            assert await check_alerts(services, sender) == 1
            assert await check_alerts(services, sender) == 0
    (body,) = [json.loads(call.request.content) for call in route.calls]
    assert (body["event"], body["kind"]) == ("raised", "needs_login")
    assert body["installation_id"] == str(harness.installation_id)


async def test_a_refresh_fortnox_does_not_answer_holds_up_no_other_login(
    harness: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first idle login's refresh gets no answer: the other idle logins are kept alive
    meanwhile, not a timeout later each."""
    hung, *others = [uuid.uuid4() for _ in range(3)]
    kept: list[uuid.UUID] = []
    hangs = asyncio.Event()
    answer = asyncio.Event()
    others_kept = asyncio.Event()

    async def stale(services: Services, now: datetime) -> list[uuid.UUID]:
        return [hung, *others]

    async def access_token(installation_id: uuid.UUID) -> str:
        if installation_id == hung:
            hangs.set()
            await answer.wait()
        kept.append(installation_id)
        if set(others) <= set(kept):
            others_kept.set()
        return "token"

    async def refreshed_since(
        services: Services, installation_id: uuid.UUID, now: datetime
    ) -> bool:
        return True

    monkeypatch.setattr(token_keeper, "stale_logins", stale)
    monkeypatch.setattr(token_keeper, "_refreshed_since", refreshed_since)
    monkeypatch.setattr(harness.services.token_store, "access_token", access_token)
    keeping = asyncio.create_task(token_keeper.keep_tokens_alive(harness.services))
    try:
        await asyncio.wait_for(hangs.wait(), SAFETY_TIMEOUT)
        served = asyncio.create_task(others_kept.wait())
        done, _ = await asyncio.wait(
            {served, keeping}, timeout=SAFETY_TIMEOUT, return_when=asyncio.FIRST_COMPLETED
        )
        assert served in done and not keeping.done()
    finally:
        answer.set()
    counts = await asyncio.wait_for(keeping, SAFETY_TIMEOUT)
    assert counts == {"refreshed": 3, "refused": 0, "failed": 0}


async def test_pausing_and_resuming_does_not_end_a_refused_login(harness: SyncHarness) -> None:
    """Only a new Fortnox login ends Fortnox's refusal: resuming by way of paused is refused as
    resuming needs_relogin itself is, and the installation stays paused, its jobs waiting."""
    services = harness.services
    credentials = await _credentials(harness)
    harness.fortnox.oauth.revoke(services.secret_box.decrypt(credentials.refresh_token_enc or ""))
    await _age_login(harness, 30)
    assert await keep_tokens_alive(services) == {"refreshed": 0, "refused": 1, "failed": 0}
    url = f"/api/installations/{harness.installation_id}"

    async def set_status(status: str) -> httpx.Response:
        current = await harness.service.get(url, headers=harness.admin_headers)
        headers = {**harness.admin_headers, "If-Match": current.headers["ETag"]}
        return await harness.service.patch(url, json={"status": status}, headers=headers)

    assert (await set_status("paused")).status_code == 200
    resumed = await set_status("active")
    assert resumed.status_code == 409, resumed.text
    assert resumed.json()["error"]["code"] == "fortnox_login_required"
    shown = await harness.service.get(url, headers=harness.admin_headers)
    assert shown.json()["status"] == "paused"
    health = await harness.service.get(f"{url}/health", headers=harness.admin_headers)
    assert health.json()["state"] != "ok"
    assert (await _credentials(harness)).refused_at is not None
