"""A Fortnox customer number as long as Fortnox allows reaches Upsales by every way in (change
event, initial import, reconciliation), and a won deal of its company is invoiced to it."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, select

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import (
    EventFeed,
    companies_named,
    custom_value,
    jobs_of,
    link_of,
)
from tests.e2e.outbound_support import sync_order
from tests.e2e.won_deal_support import new_won_deal
from upsales_fortnox.integrations.fortnox.limits import MAX_CUSTOMER_NUMBER_LENGTH
from upsales_fortnox.models.job import InboundEvent, ReconcileCheckpoint
from upsales_fortnox.sync.reconcile import reconcile_installation
from upsales_fortnox.vocabulary import FortnoxType, JobStatus

LONGEST = ("K-" + "0123456789" * 103)[:MAX_CUSTOMER_NUMBER_LENGTH]
NAME = "Långa Nummer AB"


def _seed_customer(harness: SyncHarness) -> None:
    harness.fortnox.seed(harness.tenant_id, customers=[{"CustomerNumber": LONGEST, "Name": NAME}])


async def _linked_company(harness: SyncHarness) -> int:
    (company,) = companies_named(harness, NAME)
    field_id = harness.demo.account_fortnox_customer_number_field_id
    assert custom_value(company, field_id) == LONGEST
    link = await link_of(harness, FortnoxType.CUSTOMER, LONGEST)
    assert link is not None and link.upsales_id == company["id"]
    return int(company["id"])


async def test_a_customer_with_the_longest_number_reaches_upsales_by_its_event(
    harness: SyncHarness,
) -> None:
    _seed_customer(harness)

    assert await EventFeed(harness).sync() == 1

    company_id = await _linked_company(harness)
    (job,) = await jobs_of(harness, "fortnox.customer", LONGEST)
    assert job.status == JobStatus.DONE, job.last_error
    assert job.result == {
        "fortnox_customer": LONGEST,
        "upsales_company": company_id,
        "outcome": "created",
    }
    async with harness.services.session_factory() as session:
        (entity_id,) = await session.scalars(select(InboundEvent.entity_id))
    assert entity_id == LONGEST


async def test_the_initial_import_brings_a_customer_with_the_longest_number(
    harness: SyncHarness,
) -> None:
    _seed_customer(harness)

    started = await harness.service.post(
        f"/api/installations/{harness.installation_id}/initial-sync", headers=harness.admin_headers
    )
    assert started.status_code == 202, started.text
    await harness.run_jobs()

    await _linked_company(harness)
    status = await harness.service.get(
        f"/api/installations/{harness.installation_id}/initial-sync", headers=harness.admin_headers
    )
    (customers,) = [p for p in status.json()["phases"] if p["phase"] == "customers"]
    assert customers["counts"].get("created") == 1, customers


async def test_reconciliation_brings_a_customer_with_the_longest_number(
    harness: SyncHarness,
) -> None:
    _seed_customer(harness)  # its event is never delivered
    moment = datetime.now(UTC)

    await reconcile_installation(harness.services, harness.installation_id, clock=lambda: moment)
    async with harness.services.session_factory() as session:  # a crash before the checkpoints
        await session.execute(delete(ReconcileCheckpoint))
        await session.commit()
    await reconcile_installation(harness.services, harness.installation_id, clock=lambda: moment)
    await harness.run_jobs()

    await _linked_company(harness)
    assert len(await jobs_of(harness, "fortnox.customer", LONGEST)) == 1  # recorded once
    async with harness.services.session_factory() as session:
        (key,) = await session.scalars(select(InboundEvent.dedupe_key))
    assert key.startswith("fortnox:customers:reconcile:#") and len(key) < 100


async def test_a_won_deal_of_its_company_is_invoiced_to_the_customer_with_the_longest_number(
    linked: SyncHarness,
) -> None:
    harness = linked
    _seed_customer(harness)
    await EventFeed(harness).sync()
    order_id = new_won_deal(harness, await _linked_company(harness))

    job = await sync_order(harness, order_id)

    assert job.status == JobStatus.DONE, job.last_error
    result = job.result or {}
    assert result["outcome"] == "created" and result["fortnox_customer"] == LONGEST
    invoice = harness.fortnox_entity("invoices", result["fortnox_invoice"])
    assert invoice is not None and invoice["CustomerNumber"] == LONGEST
