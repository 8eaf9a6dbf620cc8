"""The initial sync an operator watches when one died and was retried beside a new one."""

from __future__ import annotations

from sqlalchemy import update

from tests.e2e.harness import SyncHarness
from tests.sync.initial.scenario import seed_overlap
from tests.sync.initial.test_initial_sync_e2e import _start, _status
from upsales_fortnox.models.job import SyncJob
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
