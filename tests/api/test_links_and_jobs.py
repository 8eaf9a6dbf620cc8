"""Operator API: links, jobs with their attempts, and retrying dead jobs."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.api.operator_support import add_job, create_installation
from upsales_fortnox.core.logging_setup import register_secret
from upsales_fortnox.jobs import JobNotDead, JobNotFound, retry_dead_job
from upsales_fortnox.jobs.schemas import REDACTED, redact_document
from upsales_fortnox.jobs.store.enqueue import enqueue
from upsales_fortnox.models.fortnox_ids import MAX_FORTNOX_ID_LENGTH
from upsales_fortnox.models.job import JobAttempt, SyncJob
from upsales_fortnox.models.link import Link
from upsales_fortnox.vocabulary import JobStatus

UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"


async def _add_links(
    session_factory: async_sessionmaker[AsyncSession], installation_id: str
) -> None:
    rows = [
        ("company", 1, "customer", "100"),
        ("company", 2, "customer", "101"),
        ("product", 1, "article", "A-1"),
        ("order", 5, "invoice", "9001"),
        ("order", 5, "order", "9001"),
    ]
    async with session_factory() as session:
        for entity, upsales_id, fortnox_type, fortnox_id in rows:
            session.add(
                Link(
                    installation_id=uuid.UUID(installation_id),
                    entity=entity,
                    upsales_id=upsales_id,
                    fortnox_type=fortnox_type,
                    fortnox_id=fortnox_id,
                    fingerprint="f" * 64,
                )
            )
        await session.commit()


async def _link_ids(client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> list[str]:
    response = await client.get(url, headers=headers)
    assert response.status_code == 200, response.text
    return [item["fortnox_id"] + "/" + item["fortnox_type"] for item in response.json()["items"]]


async def test_links_filter_and_paginate(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    mine = await create_installation(api_client, admin_headers)
    other = await create_installation(api_client, admin_headers, name="Other")
    await _add_links(session_factory, mine["id"])
    await _add_links(session_factory, other["id"])
    url = f"/api/installations/{mine['id']}/links"

    everything = await api_client.get(url, headers=admin_headers)
    body = everything.json()
    assert body["total"] == 5 and len(body["items"]) == 5
    assert {item["installation_id"] for item in body["items"]} == {mine["id"]}
    first = body["items"][0]
    assert set(first) == {
        "id",
        "installation_id",
        "entity",
        "upsales_id",
        "fortnox_type",
        "fortnox_id",
        "fingerprint",
        "synced_at",
        "created_at",
    }

    assert await _link_ids(api_client, f"{url}?entity=company", admin_headers) == [
        "100/customer",
        "101/customer",
    ]
    assert await _link_ids(api_client, f"{url}?entity=order&upsales_id=5", admin_headers) == [
        "9001/invoice",
        "9001/order",
    ]
    assert await _link_ids(
        api_client, f"{url}?fortnox_id=9001&fortnox_type=order", admin_headers
    ) == ["9001/order"]
    assert await _link_ids(api_client, f"{url}?upsales_id=3", admin_headers) == []

    page = (await api_client.get(f"{url}?limit=2&offset=2", headers=admin_headers)).json()
    assert (page["total"], page["limit"], page["offset"]) == (5, 2, 2)
    assert [item["fortnox_id"] for item in page["items"]] == ["A-1", "9001"]


async def test_links_reject_bad_filters(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    created = await create_installation(api_client, admin_headers)
    bad_queries = [
        "entity=invoice",
        "fortnox_type=bill",
        "upsales_id=0",
        "upsales_id=x",
        "upsales_id=2147483648",
        "limit=0",
        "fortnox_id=%00",
        "fortnox_id=" + "9" * (MAX_FORTNOX_ID_LENGTH + 1),
    ]
    for query in bad_queries:
        response = await api_client.get(
            f"/api/installations/{created['id']}/links?{query}", headers=admin_headers
        )
        assert response.status_code == 422, query
        assert response.json()["error"]["code"] == "validation_error", query


async def test_links_of_an_unknown_installation_are_404(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    response = await api_client.get(f"/api/installations/{UNKNOWN_ID}/links", headers=admin_headers)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "installation_not_found"


async def test_jobs_of_an_unknown_installation_are_404_not_an_empty_list(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    """A mistyped id must not read as a customer without jobs (the command line refuses it too)."""
    response = await api_client.get(
        f"/api/jobs?installation_id={UNKNOWN_ID}&status=dead", headers=admin_headers
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "installation_not_found"
    assert response.headers["cache-control"] == "no-store"


async def _job_ids(client: httpx.AsyncClient, query: str, headers: dict[str, str]) -> list[int]:
    response = await client.get(f"/api/jobs?{query}", headers=headers)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


async def test_jobs_list_newest_first_with_filters(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    first = (await create_installation(api_client, admin_headers))["id"]
    second = (await create_installation(api_client, admin_headers, name="Second"))["id"]
    dead_order = await add_job(session_factory, first, kind="upsales.order", entity_id="7")
    queued_order = await add_job(
        session_factory, first, kind="upsales.order", entity_id="7", status=JobStatus.QUEUED
    )
    customer = await add_job(
        session_factory, first, kind="fortnox.customer", entity_id="42", status=JobStatus.DONE
    )
    initial = await add_job(
        session_factory, second, kind="initial_sync", entity_id=None, status=JobStatus.RUNNING
    )

    assert await _job_ids(api_client, "", admin_headers) == [
        initial,
        customer,
        queued_order,
        dead_order,
    ]
    assert await _job_ids(api_client, f"installation_id={first}", admin_headers) == [
        customer,
        queued_order,
        dead_order,
    ]
    assert await _job_ids(api_client, "status=dead", admin_headers) == [dead_order]
    assert await _job_ids(api_client, "kind=upsales.order", admin_headers) == [
        queued_order,
        dead_order,
    ]
    assert await _job_ids(api_client, "entity_id=42", admin_headers) == [customer]
    assert await _job_ids(
        api_client, f"installation_id={second}&status=running", admin_headers
    ) == [initial]
    assert (
        await _job_ids(api_client, f"installation_id={second}&kind=upsales.order", admin_headers)
        == []
    )

    summary = (await api_client.get("/api/jobs?status=dead", headers=admin_headers)).json()[
        "items"
    ][0]
    assert summary["installation_id"] == first
    assert (summary["kind"], summary["entity_id"], summary["status"]) == (
        "upsales.order",
        "7",
        "dead",
    )
    assert "payload" not in summary and "attempts" not in summary


async def test_jobs_cursor_pages_cover_every_job_once(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    installation = (await create_installation(api_client, admin_headers))["id"]
    created = [
        await add_job(session_factory, installation, entity_id=str(n), status=JobStatus.DONE)
        for n in range(7)
    ]
    seen: list[int] = []
    cursor: str | None = None
    pages = 0
    while True:
        query = "limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = (await api_client.get(f"/api/jobs?{query}", headers=admin_headers)).json()
        pages += 1
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == sorted(created, reverse=True)


async def test_jobs_list_rejects_bad_parameters(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    for query, code in [
        ("cursor=abc", "invalid_cursor"),
        ("cursor=-1", "invalid_cursor"),
        ("cursor=0", "invalid_cursor"),
        ("cursor=9999999999999999999", "invalid_cursor"),
        ("cursor=99999999999999999999", "invalid_cursor"),
        ("cursor=" + "1" * 500, "invalid_cursor"),
        ("status=sleeping", "validation_error"),
        ("installation_id=nope", "validation_error"),
        ("limit=201", "validation_error"),
        ("kind=%00", "validation_error"),
    ]:
        response = await api_client.get(f"/api/jobs?{query}", headers=admin_headers)
        assert response.status_code == 422, query
        assert response.json()["error"]["code"] == code, query


async def test_job_detail_shows_attempts_and_redacts_secrets(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    installation = (await create_installation(api_client, admin_headers))["id"]
    register_secret("registered-secret-value-1234")
    started = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    job_id = await add_job(
        session_factory,
        installation,
        attempts=2,
        max_attempts=2,
        last_error="Fortnox answered 400: bad VAT",
        payload={
            "apiKey": "customer-api-key-abcdef",
            "data": {"object": {"id": 7, "note": "call registered-secret-value-1234"}},
        },
        result={"fortnox_id": "9001"},
        finished_at=started + timedelta(minutes=2),
    )
    async with session_factory() as session:
        session.add_all(
            [
                JobAttempt(
                    job_id=job_id,
                    number=2,
                    worker_id="worker-b",
                    started_at=started + timedelta(minutes=1),
                    finished_at=started + timedelta(minutes=2),
                    outcome="dead",
                    error="Fortnox answered 400: bad VAT",
                ),
                JobAttempt(
                    job_id=job_id,
                    number=1,
                    worker_id="worker-a",
                    started_at=started,
                    finished_at=started + timedelta(seconds=3),
                    outcome="retry",
                    error="timeout; Authorization: Bearer eyJabc.def",
                ),
            ]
        )
        await session.commit()

    response = await api_client.get(f"/api/jobs/{job_id}", headers=admin_headers)
    assert response.status_code == 200
    detail = response.json()
    assert detail["status"] == "dead"
    assert (detail["attempt_count"], detail["max_attempts"]) == (2, 2)
    assert detail["last_error"] == "Fortnox answered 400: bad VAT"
    assert detail["result"] == {"fortnox_id": "9001"}
    assert detail["payload"]["apiKey"] == REDACTED
    assert detail["payload"]["data"]["object"] == {"id": 7, "note": "call [redacted]"}
    assert [attempt["number"] for attempt in detail["attempts"]] == [1, 2]
    assert detail["attempts"][0] == {
        "number": 1,
        "worker_id": "worker-a",
        "started_at": "2024-05-01T12:00:00Z",
        "finished_at": "2024-05-01T12:00:03Z",
        "outcome": "retry",
        "error": "timeout; Authorization: Bearer [redacted]",
    }
    assert detail["attempts"][1]["outcome"] == "dead"
    assert "customer-api-key-abcdef" not in response.text
    assert "eyJabc" not in response.text


def test_redact_document_masks_secret_keys_at_any_depth() -> None:
    document: dict[str, Any] = {
        "apiKey": "k",
        "nested": [{"access_token": "t", "Secret": None, "name": "Acme"}],
        "authenticationKey": 5,
        "count": 3,
    }
    assert redact_document(document) == {
        "apiKey": REDACTED,
        "nested": [{"access_token": REDACTED, "Secret": None, "name": "Acme"}],
        "authenticationKey": REDACTED,
        "count": 3,
    }
    assert document["apiKey"] == "k"


async def test_unknown_and_malformed_job_ids(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    for path, status in [("1", 404), ("0", 422), ("abc", 422), ("9" * 20, 422)]:
        for method, url in (("GET", f"/api/jobs/{path}"), ("POST", f"/api/jobs/{path}/retry")):
            response = await api_client.request(method, url, headers=admin_headers)
            assert response.status_code == status, url
            expected = "job_not_found" if status == 404 else "validation_error"
            assert response.json()["error"]["code"] == expected
            if status == 404:  # a sentence, as the retry and the command line word it
                assert response.json()["error"]["message"] == "job 1 does not exist", method


async def test_retry_requeues_a_dead_job(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    installation = (await create_installation(api_client, admin_headers))["id"]
    long_ago = datetime(2024, 1, 1, tzinfo=UTC)
    job_id = await add_job(
        session_factory,
        installation,
        attempts=8,
        run_after=long_ago,
        last_error="Upsales answered 422",
        lease_owner="worker-a",
        lease_expires_at=long_ago,
        finished_at=long_ago,
        result={"reason": "refused"},
    )
    async with session_factory() as session:
        session.add(JobAttempt(job_id=job_id, number=8, worker_id="worker-a", outcome="dead"))
        await session.commit()

    before = datetime.now(UTC)
    response = await api_client.post(f"/api/jobs/{job_id}/retry", headers=admin_headers)
    after = datetime.now(UTC)
    assert response.status_code == 200
    detail = response.json()
    assert detail["id"] == job_id
    assert (detail["status"], detail["attempt_count"]) == ("queued", 0)
    assert before <= datetime.fromisoformat(detail["run_after"]) <= after
    assert detail["last_error"] == "Upsales answered 422"
    assert (detail["lease_owner"], detail["finished_at"], detail["result"]) == (None, None, None)
    assert [attempt["number"] for attempt in detail["attempts"]] == [8]

    again = await api_client.post(f"/api/jobs/{job_id}/retry", headers=admin_headers)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "job_not_dead"
    assert again.json()["error"]["details"] == {"status": "queued"}


@pytest.mark.parametrize("status", [JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.DONE])
async def test_only_dead_jobs_can_be_retried(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
    status: JobStatus,
) -> None:
    installation = (await create_installation(api_client, admin_headers))["id"]
    job_id = await add_job(session_factory, installation, status=status, attempts=1)
    response = await api_client.post(f"/api/jobs/{job_id}/retry", headers=admin_headers)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "job_not_dead"
    async with session_factory() as session:
        job = await session.get(SyncJob, job_id)
        assert job is not None
        assert (job.status, job.attempts) == (status.value, 1)


async def test_retry_absorbs_the_queued_job_for_the_same_entity(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    installation = (await create_installation(api_client, admin_headers))["id"]
    dead = await add_job(
        session_factory, installation, entity_id="7", last_error="boom", attempts=8
    )
    queued = await add_job(session_factory, installation, entity_id="7", status=JobStatus.QUEUED)

    response = await api_client.post(f"/api/jobs/{dead}/retry", headers=admin_headers)
    assert response.status_code == 200
    assert (response.json()["id"], response.json()["status"]) == (dead, "queued")
    assert response.json()["last_error"] == "boom"

    merged = (await api_client.get(f"/api/jobs/{queued}", headers=admin_headers)).json()
    assert merged["status"] == "done"
    assert merged["result"] == {"merged_into": dead}
    async with session_factory() as session:
        statuses = (
            await session.scalars(
                select(SyncJob.status).where(SyncJob.entity_id == "7").order_by(SyncJob.id)
            )
        ).all()
    assert statuses == ["queued", "done"]


async def test_retry_does_not_merge_across_kinds_entities_or_installations(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    installation = (await create_installation(api_client, admin_headers))["id"]
    other = (await create_installation(api_client, admin_headers, name="Other"))["id"]
    dead = await add_job(session_factory, installation, kind="upsales.order", entity_id="7")
    for kind, entity, owner in (
        ("upsales.client", "7", installation),
        ("upsales.order", "8", installation),
        ("upsales.order", "7", other),
    ):
        await add_job(session_factory, owner, kind=kind, entity_id=entity, status=JobStatus.QUEUED)
    response = await api_client.post(f"/api/jobs/{dead}/retry", headers=admin_headers)
    assert response.status_code == 200
    assert (response.json()["id"], response.json()["status"]) == (dead, "queued")


async def test_retry_dead_job_directly(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    installation = (await create_installation(api_client, admin_headers))["id"]
    now = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    without_entity = await add_job(
        session_factory, installation, kind="initial_sync", entity_id=None
    )
    await add_job(
        session_factory, installation, kind="initial_sync", entity_id=None, status=JobStatus.QUEUED
    )
    async with session_factory() as session:
        job = await retry_dead_job(session, without_entity, now=now)
        await session.commit()
    assert (job.id, job.status, job.run_after) == (without_entity, "queued", now)

    async with session_factory() as session:
        with pytest.raises(JobNotFound):
            await retry_dead_job(session, 10_000)
        with pytest.raises(JobNotDead) as not_dead:
            await retry_dead_job(session, without_entity)
        assert not_dead.value.status == "queued"


async def test_a_requeued_job_then_coalesces_new_events(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    installation = (await create_installation(api_client, admin_headers))["id"]
    dead = await add_job(session_factory, installation, entity_id="7")
    assert (
        await api_client.post(f"/api/jobs/{dead}/retry", headers=admin_headers)
    ).status_code == 200
    async with session_factory() as session:
        enqueued = await enqueue(
            session, installation_id=uuid.UUID(installation), kind="upsales.order", entity_id="7"
        )
        await session.commit()
    assert (enqueued.job_id, enqueued.created) == (dead, False)
