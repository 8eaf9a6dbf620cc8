"""The module (``syncType``) changed while the initial sync runs: the import goes on with the
documents of the module chosen, whether its worker restarts meanwhile or not."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from tests.e2e.harness import SyncHarness
from tests.sync.initial.scenario import run_job_to_its_end, seed_overlap
from tests.sync.initial.test_initial_sync_e2e import Crash, _links, _start, _status
from upsales_fortnox.domain.initial_phases import Phase, phases_for
from upsales_fortnox.domain.initial_progress import SyncProgress
from upsales_fortnox.integrations.fortnox import listing as fortnox_listing
from upsales_fortnox.jobs import HandlerRegistry, JobContext, Worker
from upsales_fortnox.models.job import SyncJob
from upsales_fortnox.sync.initial.handler import run_initial_sync
from upsales_fortnox.vocabulary import FortnoxType, JobStatus, SyncType

AFTER_ARTICLES = 3
"""Pages of two: customers 1-2, articles 3."""


def _seed_an_order(harness: SyncHarness) -> None:
    harness.fortnox.seed(
        harness.tenant_id,
        orders=[
            {
                "CustomerNumber": "1",
                "OrderDate": "2026-10-02",
                "OrderRows": [{"ArticleNumber": "KONS-1", "OrderedQuantity": 1, "Price": 1300}],
            }
        ],
    )


async def _run_changing_module(
    harness: SyncHarness, after_checkpoint: Callable[[], Awaitable[None]]
) -> SyncJob:
    """Run the initial sync (invoice module), the admin choosing the order module once the
    articles' page is checkpointed (then ``after_checkpoint``); run until it is not queued."""
    pages = 0

    async def changing(job: JobContext) -> Any:
        save = job.save_checkpoint

        async def checkpoint(payload: dict[str, Any]) -> None:
            nonlocal pages
            await save(payload)
            pages += 1
            if pages == AFTER_ARTICLES:
                await harness.update_settings(sync_type=SyncType.ORDER)
                await after_checkpoint()

        job.save_checkpoint = checkpoint
        return await run_initial_sync(harness.services, job)

    worker = Worker(
        harness.services.session_factory,
        HandlerRegistry({"initial_sync": changing}),
        harness.services.settings,
    )
    job_id = await _start(harness)
    return await run_job_to_its_end(harness, job_id, worker, runs=5)


async def _dies() -> None:
    raise Crash("the worker died")


async def _goes_on() -> None:
    return None


@pytest.mark.parametrize("then", [_dies, _goes_on], ids=["worker_restarted", "same_run"])
async def test_the_import_takes_the_documents_of_the_module_chosen_meanwhile(
    harness: SyncHarness, monkeypatch: pytest.MonkeyPatch, then: Callable[[], Awaitable[None]]
) -> None:
    monkeypatch.setattr(fortnox_listing, "PAGE_SIZE", 2)
    seed_overlap(harness)
    _seed_an_order(harness)

    job = await _run_changing_module(harness, then)

    assert job.status == JobStatus.DONE, job.last_error
    status = await _status(harness)
    assert [phase["phase"] for phase in status["phases"]] == ["customers", "articles", "orders"]
    phases = {phase["phase"]: phase for phase in status["phases"]}
    assert phases["orders"]["counts"]["created"] == 1
    assert phases["customers"]["counts"]["created"] == 2  # kept across the change
    links = await _links(harness)
    assert (FortnoxType.ORDER, "1") in links
    assert not [key for key in links if key[0] == FortnoxType.INVOICE]


def test_a_progress_saved_under_another_module_goes_on_with_the_new_phases() -> None:
    saved = SyncProgress(phases_for(SyncType.INVOICE), phase_index=2, next_page=3)
    saved.phase(Phase.CUSTOMERS).count("created", 4)
    saved.phase(Phase.INVOICES).count("created", 1000)

    moved = saved.for_phases(phases_for(SyncType.ORDER_OFFER))

    assert moved.phases == (Phase.CUSTOMERS, Phase.ARTICLES, Phase.OFFERS, Phase.ORDERS)
    assert (moved.current, moved.next_page) == (Phase.OFFERS, 1)
    assert moved.phase(Phase.CUSTOMERS).counts["created"] == 4
    assert moved.phase(Phase.OFFERS).counts["created"] == 0


def test_a_phase_both_modules_import_goes_on_from_its_page() -> None:
    saved = SyncProgress(phases_for(SyncType.ORDER_OFFER), phase_index=3, next_page=5)
    saved.phase(Phase.ORDERS).count("created", 8)

    moved = saved.for_phases(phases_for(SyncType.ORDER))

    assert (moved.current, moved.next_page) == (Phase.ORDERS, 5)
    assert moved.phase(Phase.ORDERS).counts["created"] == 8
    assert saved.for_phases(saved.phases) is saved


def test_a_phase_the_import_comes_back_to_starts_again_from_its_first_page() -> None:
    saved = SyncProgress(phases_for(SyncType.ORDER), phase_index=2, next_page=4)
    saved.phase(Phase.ORDERS).count("created", 6)

    moved = saved.for_phases(phases_for(SyncType.ORDER_OFFER))

    assert (moved.current, moved.next_page) == (Phase.OFFERS, 1)
    moved.next_phase()
    assert (moved.current, moved.next_page) == (Phase.ORDERS, 1)
    assert moved.phase(Phase.ORDERS).counts["created"] == 0  # counted again as it is read again
