"""One entity whose write fails with an error of its own every time (Upsales answering 500 to
that one company, not an outage) does not hold the initial sync at its page for good: after a
few runs in a row it is reported failed, as a refused entity is, and the import goes on."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import update

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import jobs_of
from tests.sync.initial.scenario import run_job_to_its_end, seed_overlap
from tests.sync.initial.test_initial_sync_e2e import _links, _start, _status
from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.domain.initial_progress import STUCK_RUNS
from upsales_fortnox.integrations.fortnox.client import FortnoxClient
from upsales_fortnox.integrations.fortnox.errors import FortnoxUnavailable
from upsales_fortnox.integrations.upsales.client import UpsalesClient
from upsales_fortnox.integrations.upsales.errors import error_from_response
from upsales_fortnox.integrations.upsales.models import Company, CompanyDraft, Order, OrderDraft
from upsales_fortnox.models.job import SyncJob
from upsales_fortnox.vocabulary import FortnoxType, JobKind, JobStatus

DELTA = "Delta Data AB"
"""Customer 4 of the scenario: a company of its own is created for it."""


def _failing_for_delta(monkeypatch: pytest.MonkeyPatch, times: int | None) -> list[str]:
    """Upsales answers 500 to the create of Delta's company (``times`` times; None: always)."""
    create_company = UpsalesClient.create_company
    answered: list[str] = []

    async def create(client: UpsalesClient, draft: CompanyDraft) -> Company:
        if draft.name == DELTA and (times is None or len(answered) < times):
            answered.append("500")
            raise error_from_response(500, None, {}, "POST /accounts")
        return await create_company(client, draft)

    monkeypatch.setattr(UpsalesClient, "create_company", create)
    return answered


async def _run_to_the_end(harness: SyncHarness) -> SyncJob:
    job_id = await _start(harness)
    return await run_job_to_its_end(harness, job_id, harness.worker, runs=STUCK_RUNS + 5)


async def test_a_company_upsales_always_answers_500_to_is_reported_failed(
    harness: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_overlap(harness)
    answered = _failing_for_delta(monkeypatch, None)

    job = await _run_to_the_end(harness)

    assert job.status == JobStatus.DONE, job.last_error
    assert len(answered) == STUCK_RUNS
    status = await _status(harness)
    phases: dict[str, Any] = {phase["phase"]: phase for phase in status["phases"]}
    assert phases["customers"]["counts"]["failed"] == 1
    counts = phases["customers"]["counts"]  # run 1's writes, not told unchanged at run 3
    assert (counts["created"], counts["updated"], counts["unchanged"]) == (1, 2, 0)
    (failed,) = status["failed"]
    assert (failed["fortnox_id"], failed["reason"][:20]) == ("4", "upsales_server_error")
    links = await _links(harness)
    assert (FortnoxType.CUSTOMER, "4") not in links
    assert (FortnoxType.CUSTOMER, "5") in links
    assert phases["invoices"]["counts"]["created"] == 2  # customer 1's and 5's; 4's skipped


async def test_a_company_upsales_answers_500_to_a_few_times_is_imported(
    harness: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_overlap(harness)
    answered = _failing_for_delta(monkeypatch, STUCK_RUNS - 1)

    job = await _run_to_the_end(harness)

    assert job.status == JobStatus.DONE, job.last_error
    assert len(answered) == STUCK_RUNS - 1
    status = await _status(harness)
    assert status["failed"] == []
    assert (FortnoxType.CUSTOMER, "4") in await _links(harness)


async def test_an_article_whose_price_fortnox_always_answers_500_to_is_reported_failed(
    harness: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its price read ahead of the page fails as its own read at the page too: the article is
    reported failed after as many runs, the other articles imported."""
    seed_overlap(harness)
    harness.fortnox.seed(
        harness.tenant_id, articles=[{"ArticleNumber": "TRASIG-1", "Description": "Trasig"}]
    )
    article_prices = FortnoxClient.article_prices
    answered: list[str] = []

    async def prices(client: FortnoxClient, price_list: str, number: str) -> Any:
        if number == "TRASIG-1":
            answered.append(number)
            raise FortnoxUnavailable("GET /prices/sublist: HTTP 500", status=500)
        return await article_prices(client, price_list, number)

    monkeypatch.setattr(FortnoxClient, "article_prices", prices)

    job = await _run_to_the_end(harness)

    assert job.status == JobStatus.DONE, job.last_error
    status = await _status(harness)
    (failed,) = status["failed"]
    assert (failed["fortnox_id"], failed["reason"][:19]) == ("TRASIG-1", "fortnox_unavailable")
    links = await _links(harness)
    assert (FortnoxType.ARTICLE, "TRASIG-1") not in links
    assert {(FortnoxType.ARTICLE, "KONS-1"), (FortnoxType.ARTICLE, "NY-1")} <= set(links)


async def test_companies_upsales_answers_500_to_all_writes_of_are_not_reported_failed(
    harness: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Upsales answering 500 to every company write (its reads answered: a maintenance of its
    writes) fails no entity of its own: the import holds at the page, as in any outage,
    instead of reporting every company it meets failed after a few runs."""
    seed_overlap(harness)
    answered: list[str] = []

    async def refuse(client: UpsalesClient, *args: Any, **kwargs: Any) -> Company:
        answered.append("500")
        raise error_from_response(500, None, {}, "POST /accounts")

    monkeypatch.setattr(UpsalesClient, "create_company", refuse)
    monkeypatch.setattr(UpsalesClient, "update_company", refuse)
    job_id = await _start(harness)
    for _ in range(STUCK_RUNS + 2):
        await harness.worker.run_once()
        async with harness.services.session_factory() as session:
            await session.execute(
                update(SyncJob).where(SyncJob.id == job_id).values(run_after=utcnow())
            )
            await session.commit()

    assert len(answered) >= 2 * (STUCK_RUNS + 2)  # every run reached the companies
    status = await _status(harness)
    assert status["failed"] == []
    assert status["status"] in (JobStatus.QUEUED, JobStatus.RUNNING)


async def test_orders_made_before_a_stuck_one_of_their_page_get_their_payment_status(
    harness: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The orders a page made in a run that failed count as made when the page ends in a later
    run: the import then queues the refresh that writes their payment status."""
    await harness.update_settings(payment_status=True)
    harness.fortnox.seed(
        harness.tenant_id,
        customers=[{"CustomerNumber": "41", "Name": "Importkund AB"}],
        articles=[{"ArticleNumber": "IMP-1", "Description": "Importerad vara"}],
        invoices=[
            {
                "CustomerNumber": "41",
                "InvoiceDate": "2026-03-01",
                "InvoiceRows": [{"ArticleNumber": "IMP-1", "DeliveredQuantity": n, "Price": 150}],
            }
            for n in (1, 2)
        ],
    )
    create_order = UpsalesClient.create_order
    made: list[int] = []

    async def create(client: UpsalesClient, draft: OrderDraft) -> Order:
        if made:  # the first order is made, every other answered 500
            raise error_from_response(500, None, {}, "POST /orders")
        order = await create_order(client, draft)
        made.append(order.id)
        return order

    monkeypatch.setattr(UpsalesClient, "create_order", create)

    job = await _run_to_the_end(harness)

    assert job.status == JobStatus.DONE, job.last_error
    status = await _status(harness)
    phases: dict[str, Any] = {phase["phase"]: phase for phase in status["phases"]}
    assert (phases["invoices"]["counts"]["created"], phases["invoices"]["counts"]["failed"]) == (
        1,
        1,
    )
    (refresh,) = await jobs_of(harness, JobKind.REFRESH_ORDER_FIELDS)
    assert refresh.entity_id == "paymentStatus"
