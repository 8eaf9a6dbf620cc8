"""The queue page keeps a dead job a later job of its entity settled, and says it is settled
(it raises no alert), beside the dead jobs that still wait for someone."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.api.operator_support import add_job
from tests.conftest import ADMIN_TOKEN
from tests.console.support import CONSOLE_ORIGIN, log_in
from upsales_fortnox.console.page_texts import TEXTS
from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.models.installation import Installation
from upsales_fortnox.vocabulary import JobStatus


@pytest.fixture
async def console(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=CONSOLE_ORIGIN) as client:
        yield client


async def test_a_settled_dead_job_stays_listed_and_is_marked_settled(
    console: httpx.AsyncClient, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    died_at = utcnow() - timedelta(hours=1)
    async with session_factory() as session:
        installation = Installation(name="Kund AB")
        session.add(installation)
        await session.commit()
        installation_id = str(installation.id)
    error = "product_not_in_fortnox: no article"
    settled = await add_job(
        session_factory, installation_id, entity_id="1", last_error=error, finished_at=died_at
    )
    still_dead = await add_job(
        session_factory, installation_id, entity_id="2", last_error=error, finished_at=died_at
    )
    await add_job(
        session_factory,
        installation_id,
        entity_id="1",
        status=JobStatus.DONE,
        finished_at=died_at + timedelta(minutes=5),
    )
    await log_in(console, ADMIN_TOKEN)

    page = await console.get("/console/queue")
    assert page.status_code == 200
    table = page.text.split('id="dead-jobs"', 1)[1].split("</table>", 1)[0]
    rows = dict(re.findall(r'<tr data-job-id="(\d+)"[^>]*>(.*?)</tr>', table, flags=re.S))
    assert sorted(rows) == sorted([str(settled), str(still_dead)])
    assert TEXTS["queue_dead_settled"] in rows[str(settled)]
    assert TEXTS["queue_dead_settled"] not in rows[str(still_dead)]
