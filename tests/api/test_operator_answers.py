"""What operators read stays free of secrets wherever a job's error or result is shown, and
what the operator API refuses it refuses plainly: a blank name, a loose number, an unknown
installation, a method a path does not take (never kept by a cache)."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.api.operator_support import add_job, create_installation
from upsales_fortnox.models.installation import Installation
from upsales_fortnox.vocabulary import JobStatus

KEY = "upsaleskey0123456789abcdef"
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"


async def test_the_initial_sync_progress_shows_its_error_redacted(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    installation = (await create_installation(api_client, admin_headers))["id"]
    error = f"upsales_unauthorized: GET /orders/1?token={KEY} answered 401"
    await add_job(
        session_factory, installation, kind="initial_sync", entity_id="initial",
        status=JobStatus.DEAD, last_error=error,
    )  # fmt: skip
    progress = await api_client.get(
        f"/api/installations/{installation}/initial-sync", headers=admin_headers
    )
    assert progress.status_code == 200, progress.text
    assert KEY not in progress.text
    assert progress.json()["last_error"].startswith("upsales_unauthorized: GET /orders/1?token=")


async def test_an_entitys_history_shows_the_ids_a_job_wrote_redacted(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    installation = (await create_installation(api_client, admin_headers))["id"]
    await add_job(
        session_factory, installation, kind="upsales.order", entity_id="7",
        status=JobStatus.DONE, result={"fortnox_access": "Bearer 0123456789abcdef"},
    )  # fmt: skip
    history = await api_client.get(
        f"/api/installations/{installation}/history?entity=order&upsales_id=7",
        headers=admin_headers,
    )
    [job] = history.json()["jobs"]
    assert job["result"]["fortnox_access"] == "Bearer [redacted]"
    assert job["written"]["fortnox_access"] == "Bearer [redacted]"


@pytest.mark.parametrize("name", [" ", "   ", "\u2028", "\u00a0\t"])
async def test_an_installation_needs_a_name_with_a_visible_character(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
    name: str,
) -> None:
    made = await api_client.post("/api/installations", json={"name": name}, headers=admin_headers)
    assert made.status_code == 422, made.text
    assert made.json()["error"]["code"] == "validation_error"
    installation = (await create_installation(api_client, admin_headers))["id"]
    read = await api_client.get(f"/api/installations/{installation}", headers=admin_headers)
    renamed = await api_client.patch(
        f"/api/installations/{installation}",
        json={"name": name},
        headers={**admin_headers, "If-Match": read.headers["etag"]},
    )
    assert renamed.status_code == 422, renamed.text
    async with session_factory() as session:
        names = await session.scalars(select(Installation.name))
        assert name not in set(names)
        assert await session.scalar(select(func.count()).select_from(Installation)) == 1
    spaced = await api_client.post(
        "/api/installations", json={"name": " Ångström Svets AB "}, headers=admin_headers
    )
    assert spaced.status_code == 201, spaced.text


@pytest.mark.parametrize("limit", [True, "5", 2.5])
async def test_a_bulk_retry_limit_is_a_whole_number(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
    limit: object,
) -> None:
    installation = (await create_installation(api_client, admin_headers))["id"]
    job_id = await add_job(session_factory, installation, last_error="x: y")
    refused = await api_client.post(
        "/api/jobs/retry-dead", json={"dry_run": False, "limit": limit}, headers=admin_headers
    )
    assert refused.status_code == 422, refused.text
    job = await api_client.get(f"/api/jobs/{job_id}", headers=admin_headers)
    assert job.json()["status"] == "dead"


async def test_a_bulk_retry_of_an_unknown_installation_is_404(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    for dry_run in (True, False):
        answer = await api_client.post(
            "/api/jobs/retry-dead",
            json={"installation_id": UNKNOWN_ID, "dry_run": dry_run},
            headers=admin_headers,
        )
        assert answer.status_code == 404, answer.text
        assert answer.json()["error"]["code"] == "installation_not_found"


async def test_a_method_a_path_does_not_take_is_never_kept_by_a_cache(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    for method, path in (("PUT", "/api/jobs"), ("GET", "/api/no-such-route")):
        answer = await api_client.request(method, path, headers=admin_headers)
        assert answer.status_code in (404, 405), path
        assert answer.headers["cache-control"] == "no-store", path


async def test_rotations_at_once_each_take_a_key_version_of_their_own(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    installation = (await create_installation(api_client, admin_headers))["id"]
    rotate = f"/api/installations/{installation}/document-links/rotate"
    for first in (1, 5):  # a key made by the first rotations, then one rotated further
        answers = await asyncio.gather(
            *(api_client.post(rotate, headers=admin_headers) for _ in range(4))
        )
        assert [answer.status_code for answer in answers] == [200] * 4, answers[0].text
        versions = sorted(answer.json()["key_version"] for answer in answers)
        assert versions == list(range(first, first + 4))
