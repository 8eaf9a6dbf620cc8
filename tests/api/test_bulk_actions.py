"""Operator API: bulk retry of dead jobs (dry run first) and replaying one entity's sync."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.api.operator_support import add_job, create_installation, settled_and_waiting
from upsales_fortnox.models.job import SyncJob
from upsales_fortnox.vocabulary import JobStatus

UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"


async def _statuses(
    session_factory: async_sessionmaker[AsyncSession], job_ids: list[int]
) -> list[str]:
    async with session_factory() as session:
        rows = await session.execute(
            select(SyncJob.id, SyncJob.status).where(SyncJob.id.in_(job_ids))
        )
        by_id = {job_id: status for job_id, status in rows}
    return [by_id[job_id] for job_id in job_ids]


async def test_bulk_retry_counts_first_then_requeues_only_what_the_filter_picks(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    mine = (await create_installation(api_client, admin_headers))["id"]
    other = (await create_installation(api_client, admin_headers, name="Other AB"))["id"]
    now = datetime.now(UTC)
    recent, old = now - timedelta(minutes=5), now - timedelta(days=3)
    missing = "product_not_in_fortnox: the product has no Fortnox article"
    picked = [
        await add_job(session_factory, mine, entity_id="1", last_error=missing, finished_at=recent),
        await add_job(session_factory, mine, entity_id="2", last_error=missing, finished_at=recent),
    ]
    left = [
        # another reason, one like it but longer, another kind, too old, another installation
        await add_job(session_factory, mine, entity_id="3", last_error="x: y", finished_at=recent),
        await add_job(
            session_factory, mine, entity_id="4", last_error="product_not_in_fortnoxes: z",
            finished_at=recent,
        ),
        await add_job(
            session_factory, mine, kind="upsales.company", entity_id="5", last_error=missing,
            finished_at=recent,
        ),
        await add_job(session_factory, mine, entity_id="6", last_error=missing, finished_at=old),
        await add_job(
            session_factory, other, entity_id="7", last_error=missing, finished_at=recent
        ),
        await add_job(
            session_factory, mine, entity_id="8", status=JobStatus.DONE, last_error=missing,
            finished_at=recent,
        ),
    ]  # fmt: skip
    selection = {
        "installation_id": mine,
        "kind": "upsales.order",
        "reason_code": "product_not_in_fortnox",
        "died_from": (now - timedelta(days=1)).isoformat(),
        "died_before": now.isoformat(),
    }
    dry = await api_client.post("/api/jobs/retry-dead", json=selection, headers=admin_headers)
    assert dry.status_code == 200, dry.text
    assert dry.json() == {
        "dry_run": True,
        "matched": 2,
        "retried": 0,
        "retried_job_ids": [],
        "remaining": 2,
    }
    assert await _statuses(session_factory, picked) == ["dead", "dead"]

    run = await api_client.post(
        "/api/jobs/retry-dead", json={**selection, "dry_run": False}, headers=admin_headers
    )
    assert run.status_code == 200, run.text
    assert run.json() == {
        "dry_run": False,
        "matched": 2,
        "retried": 2,
        "retried_job_ids": picked,
        "remaining": 0,
    }
    assert await _statuses(session_factory, picked) == ["queued", "queued"]
    assert await _statuses(session_factory, left) == ["dead"] * 5 + ["done"]

    again = await api_client.post("/api/jobs/retry-dead", json=selection, headers=admin_headers)
    assert again.json()["matched"] == 0


async def test_two_dead_jobs_of_one_entity_come_back_as_one_queued_job_named_for_both(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """The order died, a later hook's job for it died too: retried together they leave one
    queued job with the later hint, and the answer names that job for each of them."""
    mine = (await create_installation(api_client, admin_headers))["id"]
    first = await add_job(session_factory, mine, entity_id="7", payload={"hint": "first"})
    later = await add_job(session_factory, mine, entity_id="7", payload={"hint": "later"})
    other = await add_job(session_factory, mine, entity_id="8")
    run = await api_client.post(
        "/api/jobs/retry-dead", json={"dry_run": False}, headers=admin_headers
    )
    assert run.status_code == 200, run.text
    statuses = await _statuses(session_factory, [first, later, other])
    queued = first if statuses[0] == "queued" else later
    assert sorted(statuses) == ["done", "queued", "queued"]
    assert run.json() == {
        "dry_run": False,
        "matched": 3,
        "retried": 3,
        "retried_job_ids": [queued, queued, other],
        "remaining": 0,
    }
    detail = await api_client.get(f"/api/jobs/{queued}", headers=admin_headers)
    assert detail.json()["payload"] == {"hint": "later"}


async def test_bulk_retry_respects_its_limit_and_refuses_bad_filters(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    mine = (await create_installation(api_client, admin_headers))["id"]
    ids = [await add_job(session_factory, mine, entity_id=str(n)) for n in range(3)]
    run = await api_client.post(
        "/api/jobs/retry-dead", json={"dry_run": False, "limit": 2}, headers=admin_headers
    )
    assert run.json()["retried_job_ids"] == ids[:2]
    assert run.json()["remaining"] == 1
    for bad in (
        {"reason_code": "50%"},
        {"died_from": "2026-12-01T00:00:00"},
        {"limit": 0},
        {"installation_id": "nope"},
    ):
        response = await api_client.post("/api/jobs/retry-dead", json=bad, headers=admin_headers)
        assert response.status_code == 422, bad
        assert response.json()["error"]["code"] == "validation_error"
    assert (await api_client.post("/api/jobs/retry-dead", json={})).status_code == 401
    assert await _statuses(session_factory, ids) == ["queued", "queued", "dead"]


@pytest.mark.parametrize("dry_run", ["false", "no", "off", 0, None])
async def test_bulk_retry_runs_only_for_the_json_boolean_false(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
    dry_run: object,
) -> None:
    """Text or a number that lax validation reads as false must not turn a count into a run."""
    mine = (await create_installation(api_client, admin_headers))["id"]
    job_id = await add_job(session_factory, mine)
    response = await api_client.post(
        "/api/jobs/retry-dead", json={"dry_run": dry_run}, headers=admin_headers
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "validation_error"
    assert await _statuses(session_factory, [job_id]) == ["dead"]


BEYOND_UTC = ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00")


@pytest.mark.parametrize("field", ["died_from", "died_before"])
@pytest.mark.parametrize("moment", BEYOND_UTC)
@pytest.mark.parametrize("dry_run", [True, False])
async def test_bulk_retry_refuses_a_moment_beyond_the_years_utc_holds(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
    field: str,
    moment: str,
    dry_run: bool,
) -> None:
    """A valid ISO 8601 moment whose offset moves it to year 0 or 10000 in UTC."""
    mine = (await create_installation(api_client, admin_headers))["id"]
    job_id = await add_job(session_factory, mine)
    response = await api_client.post(
        "/api/jobs/retry-dead", json={field: moment, "dry_run": dry_run}, headers=admin_headers
    )
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["details"][0]["loc"] == ["body", field]
    assert await _statuses(session_factory, [job_id]) == ["dead"]


@pytest.mark.parametrize(
    ("died_from", "died_before"),
    [
        ("2026-12-02T00:00:00Z", "2026-12-01T00:00:00Z"),
        ("2026-12-01T00:00:00Z", "2026-12-01T00:00:00Z"),
        ("2026-12-01T02:00:00+01:00", "2026-12-01T00:30:00Z"),
    ],
)
@pytest.mark.parametrize("dry_run", [True, False])
async def test_bulk_retry_refuses_a_period_that_ends_before_it_starts(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
    died_from: str,
    died_before: str,
    dry_run: bool,
) -> None:
    """Dates typed the wrong way round are a mistake to show, not a filter that picks none."""
    mine = (await create_installation(api_client, admin_headers))["id"]
    job_id = await add_job(session_factory, mine)
    response = await api_client.post(
        "/api/jobs/retry-dead",
        json={"died_from": died_from, "died_before": died_before, "dry_run": dry_run},
        headers=admin_headers,
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid_period"
    assert await _statuses(session_factory, [job_id]) == ["dead"]


async def test_replay_queues_the_entity_sync_once(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    mine = (await create_installation(api_client, admin_headers))["id"]
    url = f"/api/installations/{mine}/replay"
    first = await api_client.post(
        url, json={"kind": "upsales.order", "entity_id": "42"}, headers=admin_headers
    )
    assert first.status_code == 202, first.text
    body = first.json()
    assert body["created"] is True
    assert (body["job"]["kind"], body["job"]["entity_id"], body["job"]["status"]) == (
        "upsales.order",
        "42",
        "queued",
    )
    second = await api_client.post(
        url, json={"kind": "upsales.order", "entity_id": "42"}, headers=admin_headers
    )
    assert second.json()["created"] is False
    assert second.json()["job"]["id"] == body["job"]["id"]
    fortnox = await api_client.post(
        url, json={"kind": "fortnox.invoice", "entity_id": "1001"}, headers=admin_headers
    )
    assert fortnox.status_code == 202
    async with session_factory() as session:
        jobs = (
            await session.scalars(select(SyncJob).where(SyncJob.installation_id == uuid.UUID(mine)))
        ).all()
    assert sorted((job.kind, job.entity_id) for job in jobs) == [
        ("fortnox.invoice", "1001"),
        ("upsales.order", "42"),
    ]


async def test_a_replayed_upsales_id_with_leading_zeros_is_the_same_entity(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    """Upsales ids are numbers: "042" is order 42, so its replay joins the job queued for 42
    (and shows in order 42's history) rather than queueing a second sync under another id."""
    mine = (await create_installation(api_client, admin_headers))["id"]
    url = f"/api/installations/{mine}/replay"
    first = await api_client.post(
        url, json={"kind": "upsales.order", "entity_id": "42"}, headers=admin_headers
    )
    padded = await api_client.post(
        url, json={"kind": "upsales.order", "entity_id": "0042"}, headers=admin_headers
    )
    assert padded.status_code == 202, padded.text
    assert padded.json()["created"] is False
    assert padded.json()["job"]["id"] == first.json()["job"]["id"]
    history = await api_client.get(
        f"/api/installations/{mine}/history",
        params={"entity": "order", "upsales_id": 42},
        headers=admin_headers,
    )
    assert [job["id"] for job in history.json()["jobs"]] == [first.json()["job"]["id"]]


async def test_replay_refuses_unknown_kinds_ids_and_installations(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    mine = (await create_installation(api_client, admin_headers))["id"]
    url = f"/api/installations/{mine}/replay"
    for bad in (
        {"kind": "upsales.order", "entity_id": "A-1"},
        {"kind": "initial_sync", "entity_id": "1"},
        {"kind": "fortnox.customer", "entity_id": ""},
        {"kind": "fortnox.invoice", "entity_id": "abc"},  # a document is named by its number
        {"kind": "fortnox.order", "entity_id": "012"},
        {"kind": "fortnox.offer", "entity_id": "0"},
    ):
        response = await api_client.post(url, json=bad, headers=admin_headers)
        assert response.status_code == 422, bad
        assert response.json()["error"]["code"] == "validation_error"
    jobs = await api_client.get(
        "/api/jobs", params={"installation_id": mine}, headers=admin_headers
    )
    assert jobs.status_code == 200 and jobs.json()["items"] == []  # nothing queued half-way
    unknown = await api_client.post(
        f"/api/installations/{UNKNOWN_ID}/replay",
        json={"kind": "upsales.order", "entity_id": "1"},
        headers=admin_headers,
    )
    assert unknown.status_code == 404


async def test_a_replayed_upsales_id_padded_past_eighteen_digits_is_still_the_same_entity(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    mine = (await create_installation(api_client, admin_headers))["id"]
    url = f"/api/installations/{mine}/replay"
    first = await api_client.post(
        url, json={"kind": "upsales.order", "entity_id": "42"}, headers=admin_headers
    )
    padded = await api_client.post(
        url, json={"kind": "upsales.order", "entity_id": "42".zfill(30)}, headers=admin_headers
    )
    assert padded.status_code == 202, padded.text
    assert padded.json()["job"]["id"] == first.json()["job"]["id"]


async def test_a_bulk_retry_can_leave_out_the_dead_jobs_a_later_job_settled(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """Deal 1 died, then a later sync of it was done: its dead job waits for no one, and
    ``unsettled_only`` leaves it out, as the dead-job alert does; deal 2's is retried."""
    mine = (await create_installation(api_client, admin_headers))["id"]
    settled, waiting = await settled_and_waiting(session_factory, mine)
    both = await api_client.post("/api/jobs/retry-dead", json={}, headers=admin_headers)
    assert both.json()["matched"] == 2
    selection = {"installation_id": mine, "unsettled_only": True}
    dry = await api_client.post("/api/jobs/retry-dead", json=selection, headers=admin_headers)
    assert dry.status_code == 200, dry.text
    assert dry.json()["matched"] == 1
    run = await api_client.post(
        "/api/jobs/retry-dead", json={**selection, "dry_run": False}, headers=admin_headers
    )
    assert run.json()["retried_job_ids"] == [waiting]
    assert await _statuses(session_factory, [settled, waiting]) == ["dead", "queued"]
    bad = await api_client.post(
        "/api/jobs/retry-dead", json={"unsettled_only": "yes"}, headers=admin_headers
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["code"] == "validation_error"
