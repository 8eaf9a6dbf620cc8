"""An entity's history beyond one page: a company every won deal names gathers hundreds of
jobs, and its first syncs were left out unannounced once the newest page was full."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.api.operator_support import add_job, create_installation
from tests.conftest import ADMIN_TOKEN
from tests.console.support import CONSOLE_ORIGIN, log_in
from upsales_fortnox.console import routes_installations
from upsales_fortnox.vocabulary import JobStatus


async def _jobs_of_company(
    session_factory: async_sessionmaker[AsyncSession], installation_id: str, count: int
) -> list[int]:
    return [
        await add_job(
            session_factory,
            installation_id,
            kind="upsales.company",
            entity_id="42",
            status=JobStatus.DONE,
        )
        for _ in range(count)
    ]


async def test_the_history_pages_through_every_job_of_the_entity(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    installation_id = (await create_installation(api_client, admin_headers))["id"]
    job_ids = await _jobs_of_company(session_factory, installation_id, 5)
    url = f"/api/installations/{installation_id}/history"
    query = {"entity": "company", "upsales_id": "42", "limit": "2"}
    seen: list[int] = []
    cursor = None
    for _ in range(5):
        params = {**query, **({"cursor": cursor} if cursor else {})}
        page = await api_client.get(url, params=params, headers=admin_headers)
        assert page.status_code == 200, page.text
        seen += [job["id"] for job in page.json()["jobs"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(job_ids, reverse=True)
    for bad in ("x", "0", "9" * 30, "ä"):
        refused = await api_client.get(url, params={**query, "cursor": bad}, headers=admin_headers)
        assert refused.status_code == 422, bad
        assert refused.json()["error"]["code"] == "invalid_cursor"


@pytest.fixture
async def console(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=CONSOLE_ORIGIN) as client:
        yield client


async def test_the_console_history_links_to_the_older_jobs(
    console: httpx.AsyncClient,
    admin_headers: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(routes_installations, "HISTORY_SHOWN", 2)
    installation_id = (await create_installation(console, admin_headers))["id"]
    job_ids = await _jobs_of_company(session_factory, installation_id, 3)
    await log_in(console, ADMIN_TOKEN)
    page = await console.get(
        f"/console/installations/{installation_id}/history",
        params={"entity": "company", "upsales_id": "42"},
    )
    assert page.status_code == 200
    shown = [int(i) for i in re.findall(r'<a href="/console/jobs/(\d+)">', page.text)]
    assert shown == sorted(job_ids, reverse=True)[:2]
    found = re.search(r'<a href="([^"]+)" rel="next">', page.text)
    assert found is not None, "no link to the older jobs"
    older = await console.get(found.group(1).replace("&amp;", "&"))
    assert older.status_code == 200
    shown = [int(i) for i in re.findall(r'<a href="/console/jobs/(\d+)">', older.text)]
    assert shown == [min(job_ids)]
    assert 'rel="next"' not in older.text
