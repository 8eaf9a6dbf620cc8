"""The initial sync into an Upsales account that already holds overlapping data."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import delete, select, update

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import settle
from tests.sync.initial.scenario import creates, duplicates, money, seed_overlap, writes
from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.domain.inbound.products import NO_ARTICLE_NUMBER
from upsales_fortnox.integrations.errors import RetryableError
from upsales_fortnox.integrations.fortnox import listing as fortnox_listing
from upsales_fortnox.integrations.upsales.client import UpsalesClient
from upsales_fortnox.integrations.upsales.errors import UpsalesBadRequest
from upsales_fortnox.integrations.upsales.models import Company, CompanyDraft
from upsales_fortnox.jobs import HandlerRegistry, JobContext, Worker
from upsales_fortnox.jobs.store.job_store import JobStore
from upsales_fortnox.links.repository.links import LinkStore
from upsales_fortnox.models.installation import Installation, InstallationSettings
from upsales_fortnox.models.job import SyncJob
from upsales_fortnox.models.link import Link
from upsales_fortnox.sync.initial.handler import run_initial_sync
from upsales_fortnox.vocabulary import FortnoxType, InstallationStatus, JobStatus, LinkEntity


async def _links(harness: SyncHarness) -> dict[tuple[str, str], int]:
    async with harness.services.session_factory() as session:
        rows = await session.execute(
            select(Link.fortnox_type, Link.fortnox_id, Link.upsales_id).where(
                Link.installation_id == harness.installation_id
            )
        )
        return {(t, f): u for t, f, u in rows}


async def _start(harness: SyncHarness) -> int:
    response = await harness.service.post(
        f"/api/installations/{harness.installation_id}/initial-sync",
        headers=harness.admin_headers,
    )
    assert response.status_code == 202, response.text
    job_id: int = response.json()["job_id"]
    return job_id


async def _status(harness: SyncHarness) -> dict[str, Any]:
    response = await harness.service.get(
        f"/api/installations/{harness.installation_id}/initial-sync",
        headers=harness.admin_headers,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_imports_without_duplicates_and_reports_the_ambiguous(
    harness: SyncHarness,
) -> None:
    existing = seed_overlap(harness)
    accounts_before = len(harness.upsales_entities("accounts"))

    await _start(harness)
    await harness.run_jobs()

    status = await _status(harness)
    assert status["status"] == JobStatus.DONE
    phases = {phase["phase"]: phase for phase in status["phases"]}
    assert [p["phase"] for p in status["phases"]] == ["customers", "articles", "invoices"]
    assert phases["customers"]["counts"]["created"] == 2
    assert phases["customers"]["counts"]["ambiguous"] == 1
    assert phases["customers"]["counts"]["linked"] + phases["customers"]["counts"]["updated"] == 2
    assert phases["customers"]["done"] == phases["customers"]["total"] == 5
    assert phases["articles"]["counts"]["created"] == 1
    assert phases["invoices"]["counts"]["created"] == 3
    assert phases["invoices"]["counts"]["skipped"] == 1
    (ambiguous,) = status["ambiguous"]
    assert ambiguous["fortnox_id"] == "3"
    assert sorted(c["id"] for c in ambiguous["candidates"]) == sorted(
        [existing["twin_a"], existing["twin_b"]]
    )

    links = await _links(harness)
    nordisk = harness.demo.account_ids[0]
    assert links[(FortnoxType.CUSTOMER, "1")] == nordisk
    assert links[(FortnoxType.CUSTOMER, "2")] == existing["beta"]
    assert (FortnoxType.CUSTOMER, "3") not in links
    assert (
        links[(FortnoxType.ARTICLE, "KONS-1")] == harness.demo.product_ids_by_article_no["KONS-1"]
    )
    assert len(harness.upsales_entities("accounts")) == accounts_before + 2
    assert duplicates(harness) == 0

    product = harness.upsales_entity("products", links[(FortnoxType.ARTICLE, "KONS-1")])
    assert product is not None and money(product["listPrice"]) == 1300
    order = harness.upsales_entity("orders", links[(FortnoxType.INVOICE, "1")])
    assert order is not None
    assert order["client"]["id"] == nordisk
    assert order["stage"]["id"] == harness.demo.stage_won_id
    assert money(order["value"]) == 2600
    lost = harness.upsales_entity("orders", links[(FortnoxType.INVOICE, "4")])
    assert lost is not None and lost["stage"]["id"] == harness.demo.stage_lost_id


async def test_a_company_identified_from_a_website_visit_is_no_match(
    harness: SyncHarness,
) -> None:
    """Upsales also lists the companies it identified from website visits (``isExternal`` 1),
    which are not in the account's database: the customer links to the account's own company
    instead of being reported ambiguous, and one only a visitor matches gets a company."""
    own, visitor, other_visitor = harness.upsales.seed(
        harness.demo.customer_id,
        "accounts",
        [
            {"name": "Omega Maskin AB", "orgNo": "556222-3333"},
            {"name": "Omega Maskin AB", "orgNo": "5562223333", "isExternal": 1},
            {"name": "Sigma Solutions AB", "orgNo": "556333-4444", "isExternal": 1},
        ],
    )
    harness.fortnox.seed(
        harness.tenant_id,
        customers=[
            {"CustomerNumber": "21", "Name": "Omega Maskin AB", "OrganisationNumber": "5562223333"},
            {"CustomerNumber": "22", "Name": "Sigma Solutions", "OrganisationNumber": "5563334444"},
        ],
    )

    await _start(harness)
    await harness.run_jobs()

    links = await _links(harness)
    assert links[(FortnoxType.CUSTOMER, "21")] == own
    assert links[(FortnoxType.CUSTOMER, "22")] not in (visitor, other_visitor)
    assert (await _status(harness))["ambiguous"] == []


def _seed_retired_article_sold(harness: SyncHarness, dates: list[str], *, quantity: int) -> None:
    """Customer 31 and the article GAMMAL-1, inactive, sold on an invoice of each date."""
    harness.fortnox.seed(
        harness.tenant_id,
        customers=[{"CustomerNumber": "31", "Name": "Retro AB"}],
        articles=[{"ArticleNumber": "GAMMAL-1", "Description": "Utgången vara", "Active": False}],
        invoices=[
            {
                "CustomerNumber": "31",
                "InvoiceDate": date,
                "InvoiceRows": [
                    {"ArticleNumber": "GAMMAL-1", "DeliveredQuantity": quantity, "Price": 150}
                ],
            }
            for date in dates
        ],
    )


async def test_an_invoice_row_of_a_retired_article_keeps_its_product(
    harness: SyncHarness,
) -> None:
    """An old invoice sold an article inactive in Fortnox since: its order row is of that
    article's product (made inactive, as the change events make it), not of the product for
    rows without an article."""
    _seed_retired_article_sold(harness, ["2025-03-01"], quantity=2)

    await _start(harness)
    await harness.run_jobs()

    links = await _links(harness)
    (invoice_number,) = [n for t, n in links if t == FortnoxType.INVOICE]
    order = harness.upsales_entity("orders", links[(FortnoxType.INVOICE, invoice_number)])
    assert order is not None
    (row,) = order["orderRow"]
    product = harness.upsales_entity("products", row["product"]["id"])
    assert product is not None
    assert (product["articleNo"], product["name"], product["active"]) == (
        "GAMMAL-1",
        "Utgången vara",
        0,
    )
    assert links[(FortnoxType.ARTICLE, "GAMMAL-1")] == product["id"]


async def test_a_retired_article_whose_product_upsales_refuses_leaves_its_rows_without_one(
    harness: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Should Upsales refuse the retired article's product, the invoice is imported all the
    same, its rows on the product for rows without an article, and the article is not asked
    for again by the next document naming it."""
    _seed_retired_article_sold(harness, ["2025-03-01", "2025-03-02"], quantity=1)
    create_product = UpsalesClient.create_product
    refused: list[str | None] = []

    async def refuse_the_retired(self: UpsalesClient, product: Any) -> Any:
        if product.articleNo == "GAMMAL-1":
            refused.append(product.articleNo)
            raise UpsalesBadRequest("Upsales POST /products answered 400")
        return await create_product(self, product)

    monkeypatch.setattr(UpsalesClient, "create_product", refuse_the_retired)

    await _start(harness)
    await harness.run_jobs()

    status = await _status(harness)
    assert status["status"] == JobStatus.DONE
    phases = {phase["phase"]: phase for phase in status["phases"]}
    assert phases["invoices"]["counts"]["created"] == 2
    assert refused == ["GAMMAL-1"]  # once, not once per document
    links = await _links(harness)
    for number in [n for t, n in links if t == FortnoxType.INVOICE]:
        order = harness.upsales_entity("orders", links[(FortnoxType.INVOICE, number)])
        assert order is not None
        (row,) = order["orderRow"]
        product = harness.upsales_entity("products", row["product"]["id"])
        assert product is not None and product["articleNo"] == NO_ARTICLE_NUMBER


async def test_a_second_run_changes_nothing(harness: SyncHarness) -> None:
    seed_overlap(harness)
    await _start(harness)
    await harness.run_jobs()
    before = creates(harness)

    await _start(harness)
    await harness.run_jobs()

    assert creates(harness) == before
    status = await _status(harness)
    assert status["status"] == JobStatus.DONE
    assert all(p["counts"]["created"] == 0 for p in status["phases"])


SUBLIST = "GET /3/prices/sublist/{PriceList}/{ArticleNumber}"


async def test_a_chosen_price_list_costs_one_call_per_unlinked_article(
    harness: SyncHarness,
) -> None:
    seed_overlap(harness)
    harness.fortnox.seed(
        harness.tenant_id,
        pricelists=[{"Code": "B", "Description": "Partner"}],
        prices=[
            {"PriceList": "B", "ArticleNumber": "NY-1", "FromQuantity": 5, "Price": 200},
            {"PriceList": "B", "ArticleNumber": "NY-1", "FromQuantity": 0, "Price": 275},
        ],
    )
    await harness.update_settings(price_list="B")
    harness.fortnox.reset_counters()

    await _start(harness)
    await harness.run_jobs()

    links = await _links(harness)
    routes = harness.fortnox.request_counters().by_route
    assert routes[SUBLIST] == 2  # KONS-1 and NY-1, neither linked before
    assert not [route for route in routes if "/prices" in route and route != SUBLIST]
    new = harness.upsales_entity("products", links[(FortnoxType.ARTICLE, "NY-1")])
    assert new is not None and money(new["listPrice"]) == 275  # the base price of list B
    status = await _status(harness)
    (articles,) = [phase for phase in status["phases"] if phase["phase"] == "articles"]
    assert articles["done"] == 2

    harness.fortnox.reset_counters()
    await _start(harness)
    await harness.run_jobs()

    assert SUBLIST not in harness.fortnox.request_counters().by_route  # all linked now


class Crash(RetryableError):
    code = "test_crash"


@pytest.mark.parametrize("crash_at_page", [1, 3, 4], ids=["customers", "articles", "invoices"])
async def test_a_crash_in_any_phase_resumes_without_duplicates(
    harness: SyncHarness, monkeypatch: pytest.MonkeyPatch, crash_at_page: int
) -> None:
    """Pages of two: customers 1-2, articles 3, invoices 4-5. The crash comes after the page's
    writes and before its checkpoint is saved, so the page runs again on resume."""
    monkeypatch.setattr(fortnox_listing, "PAGE_SIZE", 2)
    seed_overlap(harness)
    pages = 0

    async def crashing(job: JobContext) -> dict[str, Any]:
        save = job.save_checkpoint

        async def checkpoint(payload: dict[str, Any]) -> None:
            nonlocal pages
            pages += 1
            if pages == crash_at_page:
                raise Crash("the worker died")
            await save(payload)

        job.save_checkpoint = checkpoint
        return await run_initial_sync(harness.services, job)

    registry = HandlerRegistry({"initial_sync": crashing})
    worker = Worker(harness.services.session_factory, registry, harness.services.settings)
    job_id = await _start(harness)
    for _ in range(5):  # the retry is due at once (tiny backoff); run until it is done
        await worker.run_once()
        async with harness.services.session_factory() as session:
            job = await session.get(SyncJob, job_id)
            assert job is not None
            if job.status != JobStatus.QUEUED:
                break
            await session.execute(
                update(SyncJob).where(SyncJob.id == job_id).values(run_after=utcnow())
            )
            await session.commit()
    assert job.attempts == 2

    status = await _status(harness)
    assert status["status"] == JobStatus.DONE, status
    assert duplicates(harness) == 0
    assert creates(harness) == {"accounts": 2, "products": 1, "orders": 3}
    links = await _links(harness)
    assert len([key for key in links if key[0] == FortnoxType.INVOICE]) == 3


async def run_crashing_once_at_links(
    harness: SyncHarness, monkeypatch: pytest.MonkeyPatch, crash_on: LinkEntity
) -> SyncJob:
    """Start the initial sync, the worker dying once as it saves the first links of
    ``crash_on`` (after a page's records were created in Upsales); run it again until it is no
    longer queued. The job as it ended."""
    save_many = LinkStore.save_many
    crashed: list[LinkEntity] = []

    async def crashing(store: LinkStore, links: Any) -> int:
        links = list(links)
        if not crashed and any(link.entity == crash_on for link in links):
            crashed.append(crash_on)
            raise Crash("the worker died")
        return await save_many(store, links)

    monkeypatch.setattr(LinkStore, "save_many", crashing)
    job_id = await _start(harness)
    for _ in range(5):
        await harness.worker.run_once()
        async with harness.services.session_factory() as session:
            job = await session.get(SyncJob, job_id)
            assert job is not None
            if job.status != JobStatus.QUEUED:
                break
            await session.execute(
                update(SyncJob).where(SyncJob.id == job_id).values(run_after=utcnow())
            )
            await session.commit()
    assert crashed == [crash_on]
    return job


@pytest.mark.parametrize(
    "crash_on", [LinkEntity.COMPANY, LinkEntity.PRODUCT, LinkEntity.ORDER], ids=lambda e: e.value
)
async def test_a_crash_before_a_page_links_what_it_created_resumes_without_duplicates(
    harness: SyncHarness, monkeypatch: pytest.MonkeyPatch, crash_on: LinkEntity
) -> None:
    """The worker dies after a page's records were created in Upsales and before their links
    were saved: the page runs again and finds each record instead of creating it twice."""
    seed_overlap(harness)
    job = await run_crashing_once_at_links(harness, monkeypatch, crash_on)
    assert job.attempts == 2

    status = await _status(harness)
    assert status["status"] == JobStatus.DONE, status
    assert duplicates(harness) == 0
    assert creates(harness) == {"accounts": 2, "products": 1, "orders": 3}
    links = await _links(harness)
    assert len([key for key in links if key[0] == FortnoxType.INVOICE]) == 3
    assert len([key for key in links if key[0] == FortnoxType.CUSTOMER]) == 4


async def test_the_preview_writes_nothing(harness: SyncHarness) -> None:
    seed_overlap(harness)
    harness.upsales.reset_counters()
    fortnox_before = harness.fortnox.request_counters()

    response = await harness.service.post(
        f"/api/installations/{harness.installation_id}/initial-sync/preview",
        headers=harness.admin_headers,
    )

    assert response.status_code == 200, response.text
    preview = response.json()
    phases = {phase["phase"]: phase for phase in preview["phases"]}
    assert phases["customers"]["counts"]["created"] == 2
    assert phases["customers"]["counts"]["ambiguous"] == 1
    assert {s["fortnox_id"] for s in phases["customers"]["samples"]["created"]} == {"4", "5"}
    assert phases["articles"]["counts"]["created"] == 1
    assert phases["invoices"]["counts"]["created"] == 3
    assert phases["invoices"]["samples"]["skipped"][0]["reason"] == "customer_not_linked"
    assert preview["ambiguous"][0]["candidates"]
    assert writes(harness) == 0
    fortnox_after = harness.fortnox.request_counters()
    assert all(
        route.startswith("GET ")
        for route, count in fortnox_after.by_route.items()
        if count != fortnox_before.by_route.get(route, 0)
    )
    assert await _links(harness) == {}
    async with harness.services.session_factory() as session:
        assert (await session.scalars(select(SyncJob))).all() == []


async def test_refusals_change_nothing(harness: SyncHarness) -> None:
    job_id = await _start(harness)
    second = await harness.service.post(
        f"/api/installations/{harness.installation_id}/initial-sync",
        headers=harness.admin_headers,
    )
    assert second.status_code == 409
    assert second.json()["error"]["code"] == "initial_sync_running"

    async with harness.services.session_factory() as session:
        await session.execute(
            update(Installation)
            .where(Installation.id == harness.installation_id)
            .values(status=InstallationStatus.PAUSED)
        )
        await session.execute(update(SyncJob).values(status=JobStatus.DONE))
        await session.commit()
    paused = await harness.service.post(
        f"/api/installations/{harness.installation_id}/initial-sync",
        headers=harness.admin_headers,
    )
    assert paused.status_code == 409
    assert paused.json()["error"]["code"] == "installation_not_active"
    async with harness.services.session_factory() as session:
        assert [job.id for job in (await session.scalars(select(SyncJob))).all()] == [job_id]


async def test_no_preview_before_the_settings_are_chosen(harness: SyncHarness) -> None:
    """The module (``syncType``) decides which documents are imported, the price list their
    products' prices: a preview before they are chosen would show another import than the
    one that then runs, which is refused until then. The preview is refused the same way."""
    async with harness.services.session_factory() as session:
        await session.execute(
            delete(InstallationSettings).where(
                InstallationSettings.installation_id == harness.installation_id
            )
        )
        await session.commit()
    fortnox_before = sum(harness.fortnox.request_counters().by_route.values())

    response = await harness.service.post(
        f"/api/installations/{harness.installation_id}/initial-sync/preview",
        headers=harness.admin_headers,
    )

    assert response.status_code == 409, response.text
    assert response.json()["error"]["code"] == "installation_not_configured"
    assert sum(harness.fortnox.request_counters().by_route.values()) == fortnox_before


async def test_a_page_whose_lease_ran_out_on_its_way_counts_as_lost_not_failed(
    harness: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker stalls past the job's lease while one company's create fails on its way: the
    page's next create is not sent, and the run counts as lost (the job is whoever holds the
    installation next's to run again), not as failed by the other error."""
    seed_overlap(harness)
    create_company = UpsalesClient.create_company
    tried: list[str | None] = []

    async def fail_then_stall(client: UpsalesClient, draft: CompanyDraft) -> Company:
        tried.append(draft.name)
        if len(tried) == 1:
            monkeypatch.setattr(JobStore, "seconds_held", lambda store, job: 0.0)
            raise Crash("Upsales did not answer")
        return await create_company(client, draft)

    monkeypatch.setattr(UpsalesClient, "create_company", fail_then_stall)
    job_id = await _start(harness)

    await harness.worker.run_once()

    assert len(tried) == 2
    assert creates(harness)["accounts"] == 0
    async with harness.services.session_factory() as session:
        job = await session.get(SyncJob, job_id)
    assert job is not None and (job.status, job.attempts) == (
        JobStatus.QUEUED,
        1,
    )  # given back, due now


async def test_the_echoes_of_the_import_write_nothing_to_fortnox(harness: SyncHarness) -> None:
    """Linking a customer to an existing company writes its number there; that write's hook
    (and a created company's) sends nothing to Fortnox: each link keeps the company as written
    as its merge base, so the customers keep their own names and addresses."""
    seed_overlap(harness)
    harness.connect_upsales_hooks()
    customers_before = {
        number: harness.fortnox_entity("customers", number) for number in ("1", "2", "4", "5")
    }
    await _start(harness)
    await harness.run_jobs()
    harness.services.fortnox_calls.clear()

    await settle(harness)

    writes = {k for k in harness.services.fortnox_calls if not k.startswith("GET")}
    assert writes == set()
    for number, before in customers_before.items():
        assert harness.fortnox_entity("customers", number) == before
