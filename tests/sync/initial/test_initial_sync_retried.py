"""The initial sync an operator watches when one died and was retried beside a new one."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from sqlalchemy import update

from tests.e2e.harness import SyncHarness
from tests.sync.initial.scenario import seed_overlap
from tests.sync.initial.test_initial_sync_e2e import _start, _status
from upsales_fortnox.models.job import SyncJob
from upsales_fortnox.sync.initial import console
from upsales_fortnox.sync.initial.console import follow_initial_sync
from upsales_fortnox.sync.initial.control import start_initial_sync
from upsales_fortnox.vocabulary import JobStatus


async def _died(harness: SyncHarness, job_id: int) -> None:
    async with harness.services.session_factory() as session:
        await session.execute(
            update(SyncJob).where(SyncJob.id == job_id).values(status=JobStatus.DEAD)
        )
        await session.commit()


async def test_a_dead_import_retried_over_a_new_one_is_the_one_reported(
    harness: SyncHarness,
) -> None:
    """The first import died; the admin starts a new one, and the operator then retries the
    dead one, which takes the new one over (merged into it). The progress reported is the
    import that runs, not the merged one shown as done with no phases, also once it ends."""
    seed_overlap(harness)
    first = await _start(harness)
    await _died(harness, first)
    await _start(harness)
    retried = await harness.service.post(f"/api/jobs/{first}/retry", headers=harness.admin_headers)
    assert retried.status_code == 200, retried.text

    waiting = await _status(harness)
    assert (waiting["job_id"], waiting["status"]) == (first, JobStatus.QUEUED)

    await harness.run_jobs()

    status = await _status(harness)
    assert (status["job_id"], status["status"]) == (first, JobStatus.DONE)
    assert [phase["state"] for phase in status["phases"]] == ["done", "done", "done"]
    assert {phase["phase"]: phase["counts"]["created"] for phase in status["phases"]} == {
        "customers": 2,
        "articles": 1,
        "invoices": 3,
    }


async def test_the_command_following_an_import_merged_into_a_retried_one_follows_that_one(
    harness: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``upsales-fortnox initial-sync ID`` starts an import and follows it; the operator then
    retries the dead one, which takes it over: the command follows the import that runs to
    its end, instead of ending at once with the merged one's empty report."""
    seed_overlap(harness)
    first = await _start(harness)
    await _died(harness, first)
    started = asyncio.Event()

    async def start(session: Any, installation_id: uuid.UUID, *, attach: bool = False) -> Any:
        begun = await start_initial_sync(session, installation_id, attach=attach)
        started.set()
        return begun

    monkeypatch.setattr(console, "start_initial_sync", start)
    following = asyncio.create_task(
        follow_initial_sync(
            harness.services.settings,
            harness.installation_id,
            run_worker=False,
            poll_seconds=0.01,
        )
    )
    await started.wait()
    retried = await harness.service.post(f"/api/jobs/{first}/retry", headers=harness.admin_headers)
    assert retried.status_code == 200, retried.text
    await harness.run_jobs()

    report = await asyncio.wait_for(following, timeout=30)

    assert (report["job_id"], report["status"]) == (first, JobStatus.DONE)
    assert [phase["state"] for phase in report["phases"]] == ["done", "done", "done"]
