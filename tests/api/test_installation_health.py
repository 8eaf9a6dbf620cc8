"""Operator API: ``GET /api/installations/{id}/health``."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.api.operator_support import (
    add_fortnox_login,
    add_job,
    create_installation,
    with_if_match,
)
from upsales_fortnox.models.installation import (
    FortnoxCredentials,
    Installation,
    InstallationSettings,
)
from upsales_fortnox.models.job import InboundEvent, ReconcileCheckpoint, SyncJob
from upsales_fortnox.models.operations import ConnectionCheck
from upsales_fortnox.vocabulary import JobStatus

UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"
UPSALES_KEY = "upsales-key-2222"


async def _activate(
    session_factory: async_sessionmaker[AsyncSession], installation_id: str
) -> None:
    await add_fortnox_login(session_factory, installation_id)
    async with session_factory() as session:
        session.add(InstallationSettings(installation_id=uuid.UUID(installation_id)))
        await session.execute(
            update(Installation)
            .where(Installation.id == uuid.UUID(installation_id))
            .values(status="active", version=Installation.version + 1)
        )
        await session.commit()


async def _active_installation(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
) -> str:
    """A new installation with an Upsales key, logged in to Fortnox and active; its id."""
    created = await create_installation(client, headers, upsales_api_token=UPSALES_KEY)
    installation_id = str(created["id"])
    await _activate(session_factory, installation_id)
    return installation_id


async def _health(
    client: httpx.AsyncClient, headers: dict[str, str], installation_id: str
) -> dict[str, object]:
    response = await client.get(f"/api/installations/{installation_id}/health", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


async def test_a_new_installation_needs_its_fortnox_login(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    created = await create_installation(api_client, admin_headers)
    health = await _health(api_client, admin_headers, created["id"])
    assert health["state"] == "action_needed"
    assert [r["code"] for r in health["reasons"]] == ["fortnox_login_pending"]  # type: ignore[attr-defined]
    assert health["fortnox"] == {
        "connected": False,
        "token_kind": None,
        "access_token_expires_at": None,
        "last_refresh_at": None,
        "refresh_token_age_seconds": None,
        "refresh_token_lifetime_seconds": None,
        "refresh_token_expires_at": None,
        "last_successful_call_at": None,
    }


async def test_an_active_installation_with_jobs_shows_its_queue_and_connections(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    installation_id = await _active_installation(api_client, admin_headers, session_factory)
    health = await _health(api_client, admin_headers, installation_id)
    assert (health["state"], health["reasons"]) == ("ok", [])
    fortnox = health["fortnox"]
    assert isinstance(fortnox, dict)
    assert fortnox["connected"] is True and fortnox["token_kind"] == "user"
    assert fortnox["refresh_token_lifetime_seconds"] == 45 * 86400
    assert 0 <= fortnox["refresh_token_age_seconds"] < 60

    now = datetime.now(UTC)
    long_ago = now - timedelta(hours=1)
    await add_job(session_factory, installation_id, entity_id="1", last_error="boom: it broke")
    await add_job(
        session_factory,
        installation_id,
        entity_id="2",
        status=JobStatus.QUEUED,
        created_at=long_ago,
        run_after=long_ago,
    )
    await add_job(
        session_factory,
        installation_id,
        entity_id="3",
        status=JobStatus.QUEUED,
        run_after=now + timedelta(hours=1),
    )
    await add_job(session_factory, installation_id, entity_id="4", status=JobStatus.DONE)
    async with session_factory() as session:
        key = uuid.UUID(installation_id)
        session.add(
            ConnectionCheck(
                installation_id=key,
                fortnox_last_success_at=now,
                upsales_key_checked_at=now,
                upsales_key_ok=True,
            )
        )
        session.add(
            InboundEvent(
                installation_id=key,
                source="fortnox",
                dedupe_key="k1",
                event_type="customer-updated",
                entity_type="customer",
                entity_id="100",
                payload={},
                received_at=now - timedelta(minutes=3),
            )
        )
        session.add(
            ReconcileCheckpoint(
                installation_id=key, topic="customers", checked_until=now, updated_at=now
            )
        )
        await session.commit()

    health = await _health(api_client, admin_headers, installation_id)
    assert health["state"] == "degraded"
    assert [r["code"] for r in health["reasons"]] == ["dead_jobs", "queue_behind"]  # type: ignore[attr-defined]
    queue = health["queue"]
    assert isinstance(queue, dict)
    assert {k: queue[k] for k in ("queued", "due", "running", "dead")} == {
        "queued": 2,
        "due": 1,
        "running": 0,
        "dead": 1,
    }
    assert datetime.fromisoformat(queue["oldest_pending_at"]) == long_ago
    assert 3600 <= queue["oldest_pending_seconds"] < 3700
    assert health["upsales"] == {
        "key_ok": True,
        "key_checked_at": health["upsales"]["key_checked_at"],
    }  # type: ignore[index]
    assert datetime.fromisoformat(str(health["last_stream_event_at"])) == now - timedelta(minutes=3)
    assert datetime.fromisoformat(str(health["last_reconciliation_at"])) == now
    assert datetime.fromisoformat(fortnox["last_refresh_at"]) <= now


async def test_an_old_refresh_token_is_reported_before_it_ends(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    created = await create_installation(api_client, admin_headers, upsales_api_token=UPSALES_KEY)
    await _activate(session_factory, created["id"])
    async with session_factory() as session:
        await session.execute(
            update(FortnoxCredentials).values(refreshed_at=datetime.now(UTC) - timedelta(days=41))
        )
        await session.commit()
    health = await _health(api_client, admin_headers, created["id"])
    assert health["state"] == "degraded"
    reasons = health["reasons"]
    assert isinstance(reasons, list) and [r["code"] for r in reasons] == ["refresh_token_ending"]
    assert "refresh token ends at" in reasons[0]["message"]


async def test_a_new_upsales_key_is_not_judged_by_the_refusal_of_the_old_one(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """The operator replaces a refused key: the health no longer asks for what was just done;
    the next check (hourly, or ``POST …/health/check``) judges the new key."""
    created = await create_installation(
        api_client, admin_headers, upsales_api_token="refused-upsales-key-0000"
    )
    installation_id = created["id"]
    await _activate(session_factory, installation_id)
    async with session_factory() as session:
        session.add(
            ConnectionCheck(
                installation_id=uuid.UUID(installation_id),
                upsales_key_checked_at=datetime.now(UTC),
                upsales_key_ok=False,
                upsales_key_error="upsales_unauthorized",
            )
        )
        await session.commit()
    url = f"/api/installations/{installation_id}"
    renamed = await api_client.patch(
        url, json={"name": "Renamed AB"}, headers=with_if_match(admin_headers, '"2"')
    )
    assert renamed.status_code == 200, renamed.text
    health = await _health(api_client, admin_headers, installation_id)
    assert [r["code"] for r in health["reasons"]] == ["upsales_key_refused"]  # type: ignore[attr-defined]
    new_key = await api_client.patch(
        url,
        json={"upsales_api_token": "new-upsales-key-1111"},
        headers=with_if_match(admin_headers, '"3"'),
    )
    assert new_key.status_code == 200, new_key.text
    health = await _health(api_client, admin_headers, installation_id)
    assert (health["state"], health["reasons"]) == ("ok", [])
    assert health["upsales"] == {"key_ok": None, "key_checked_at": None}


async def test_health_needs_the_operator_token_and_a_known_installation(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    url = f"/api/installations/{UNKNOWN_ID}/health"
    assert (await api_client.get(url)).status_code == 401
    response = await api_client.get(url, headers=admin_headers)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "installation_not_found"
    bad = await api_client.get("/api/installations/not-a-uuid/health", headers=admin_headers)
    assert bad.status_code == 422


async def test_jobs_an_api_refused_need_action_at_once(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    installation_id = await _active_installation(api_client, admin_headers, session_factory)
    refused = [
        ("1", "upsales_unauthorized: Upsales GET /orders/{id} answered 401"),
        # a 403 may be the key's user's access (facts.FORBIDDEN_MAY_BE_ACCESS)
        ("2", "upsales_forbidden: Upsales PUT /orders/{id} answered 403 (Forbidden: no)"),
        ("3", "fortnox_auth_failed: POST /invoices: HTTP 403 (code 2000663)"),
        ("4", "product_not_in_fortnox: no article"),
    ]
    for entity_id, error in refused:
        await add_job(session_factory, installation_id, entity_id=entity_id, last_error=error)
    await add_job(  # a refusal that is history: the job was retried and done
        session_factory,
        installation_id,
        entity_id="5",
        status=JobStatus.DONE,
        last_error="upsales_unauthorized: answered 401",
    )
    health = await _health(api_client, admin_headers, installation_id)
    assert health["state"] == "action_needed"
    reasons = {r["code"]: r["message"] for r in health["reasons"]}  # type: ignore[attr-defined]
    assert list(reasons) == ["upsales_access_refused", "fortnox_access_refused", "dead_jobs"]
    assert reasons["upsales_access_refused"].startswith("2 job(s)")
    assert reasons["fortnox_access_refused"].startswith("1 job(s)")
    assert reasons["dead_jobs"].startswith("4 job(s)")


async def test_an_active_installation_whose_settings_were_never_saved_needs_action(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """Its jobs wait uncounted (no queue age, no dead job): the reason is what tells it."""
    created = await create_installation(api_client, admin_headers, upsales_api_token=UPSALES_KEY)
    installation_id = str(created["id"])
    await add_fortnox_login(session_factory, installation_id)
    async with session_factory() as session:
        await session.execute(
            update(Installation)
            .where(Installation.id == uuid.UUID(installation_id))
            .values(status="active", version=Installation.version + 1)
        )
        await session.commit()
    health = await _health(api_client, admin_headers, installation_id)
    assert health["state"] == "action_needed"
    assert [r["code"] for r in health["reasons"]] == ["settings_missing"]  # type: ignore[attr-defined]
    async with session_factory() as session:
        session.add(InstallationSettings(installation_id=uuid.UUID(installation_id)))
        await session.commit()
    health = await _health(api_client, admin_headers, installation_id)
    assert (health["state"], health["reasons"]) == ("ok", [])


async def test_an_installation_without_an_upsales_key_needs_one_and_saving_it_retries_jobs(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """Without a key its Upsales jobs die at once (no check ever judges a key): the health
    says what to do, and saving a key puts the jobs that died for want of it back on the
    queue."""
    created = await create_installation(api_client, admin_headers)
    installation_id = str(created["id"])
    await _activate(session_factory, installation_id)
    no_key = "installation_not_ready: the installation has no Upsales API token"
    died = await add_job(session_factory, installation_id, entity_id="1", last_error=no_key)
    other = await add_job(session_factory, installation_id, entity_id="2", last_error="x: y")
    health = await _health(api_client, admin_headers, installation_id)
    assert health["state"] == "action_needed"
    codes = [r["code"] for r in health["reasons"]]  # type: ignore[attr-defined]
    assert codes == ["upsales_key_missing", "dead_jobs"]
    assert health["upsales"] == {"key_ok": None, "key_checked_at": None}
    saved = await api_client.patch(
        f"/api/installations/{installation_id}",
        json={"upsales_api_token": UPSALES_KEY},
        headers=with_if_match(admin_headers, '"2"'),
    )
    assert saved.status_code == 200, saved.text
    async with session_factory() as session:
        statuses = {
            job_id: (await session.get(SyncJob, job_id)).status  # type: ignore[union-attr]
            for job_id in (died, other)
        }
    assert statuses == {died: JobStatus.QUEUED, other: JobStatus.DEAD}
    health = await _health(api_client, admin_headers, installation_id)
    assert [r["code"] for r in health["reasons"]] == ["dead_jobs"]  # type: ignore[attr-defined]
