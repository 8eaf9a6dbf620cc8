"""A customer number whose UTF-8 form no index entry could hold (should Fortnox take letters of
several bytes, see :mod:`upsales_fortnox.models.fortnox_ids`) is refused or skipped where it
comes in, with a stable code: never a 500, never a job failing at the database at each retry.
One just within the byte limit is kept, on PostgreSQL too."""

from __future__ import annotations

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import DBAPIError

from tests.conftest import BACKENDS
from tests.e2e.harness import WEBHOOK_SECRET, SyncHarness
from tests.e2e.inbound_support import EventFeed, change_event, companies_named, jobs_of, link_of
from tests.e2e.outbound_support import fortnox_list, sync_order, win
from upsales_fortnox.intake.fortnox_stream.recording import StreamTenant, record_with_intake
from upsales_fortnox.integrations.errors import PermanentError
from upsales_fortnox.links.repository.links import LinkStore
from upsales_fortnox.models.fortnox_ids import (
    FORTNOX_ID_TOO_LONG,
    MAX_FORTNOX_ID_BYTES,
    MAX_FORTNOX_ID_LENGTH,
)
from upsales_fortnox.models.job import InboundEvent, SyncJob
from upsales_fortnox.models.link import Link
from upsales_fortnox.sync.reconcile import reconcile_installation
from upsales_fortnox.vocabulary import FortnoxType, JobKind, JobStatus, LinkEntity


def _letters(first: int, span: int) -> str:
    """As many distinct-looking letters as a customer number may hold (none repeats often
    enough for PostgreSQL to compress the index entry)."""
    return "".join(chr(first + (i * 7919) % span) for i in range(MAX_FORTNOX_ID_LENGTH))


TWO_BYTES = _letters(0x100, 0x600)  # Latin Extended .. Arabic: 2 bytes each
THREE_BYTES = _letters(0x4E00, 0x5000)  # CJK: 3 bytes each
NAME = "Breda Tecken AB"
assert len(TWO_BYTES.encode()) == MAX_FORTNOX_ID_BYTES < len(THREE_BYTES.encode())


async def _count(harness: SyncHarness, model: type[InboundEvent] | type[SyncJob]) -> int:
    async with harness.services.session_factory() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def _fortnox_holds(harness: SyncHarness, number: str, **fields: str) -> None:
    """A customer Fortnox would hold if it took such letters (the sandbox takes ASCII ones)."""
    tenant = harness.fortnox.tenant(harness.tenant_id)
    customer = {"CustomerNumber": number, "Name": NAME, "Active": True, **fields}
    tenant.customers.put(number, customer, tenant.now())


async def test_a_link_just_within_the_byte_limit_is_kept(harness: SyncHarness) -> None:
    async with harness.services.session_factory() as session:
        await LinkStore(session, harness.installation_id).save(
            LinkEntity.COMPANY, 1, FortnoxType.CUSTOMER, TWO_BYTES, None
        )
        await session.commit()

    link = await link_of(harness, FortnoxType.CUSTOMER, TWO_BYTES)
    assert link is not None and link.upsales_id == 1


async def test_a_link_past_the_byte_limit_is_refused_with_a_stable_code(
    harness: SyncHarness,
) -> None:
    async with harness.services.session_factory() as session:
        store = LinkStore(session, harness.installation_id)
        with pytest.raises(PermanentError) as refused:
            await store.save(LinkEntity.COMPANY, 1, FortnoxType.CUSTOMER, THREE_BYTES, None)
    assert refused.value.code == FORTNOX_ID_TOO_LONG
    assert await link_of(harness, FortnoxType.CUSTOMER, THREE_BYTES) is None


@pytest.mark.postgres
@pytest.mark.skipif("postgresql" not in BACKENDS, reason="TEST_POSTGRES=off")
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_postgresql_could_not_index_the_number_the_sync_refuses(
    harness: SyncHarness,
) -> None:
    """Why it is refused: written as it is, PostgreSQL's index refuses the row (the entry
    limit is PostgreSQL's: the test runs there alone)."""
    row = {
        "installation_id": harness.installation_id,
        "entity": "company",
        "upsales_id": 1,
        "fortnox_type": "customer",
        "fortnox_id": THREE_BYTES,
        "created_at": func.now(),
    }
    async with harness.services.session_factory() as session:
        with pytest.raises(DBAPIError, match="index row"):
            await session.execute(insert(Link).values(row))


async def test_the_event_endpoint_refuses_the_event_with_a_4xx_code(harness: SyncHarness) -> None:
    response = await harness.service.post(
        f"/webhooks/fortnox/{harness.installation_id}",
        json=[change_event(harness, "customers", THREE_BYTES, "o-1")],
        headers={"X-Webhook-Secret": WEBHOOK_SECRET},
    )

    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "validation_error"
    assert await _count(harness, InboundEvent) == 0


async def test_the_stream_skips_the_event_and_records_the_others(harness: SyncHarness) -> None:
    tenant = StreamTenant(harness.installation_id, str(harness.tenant_id))
    events = [
        change_event(harness, "customers", THREE_BYTES, "o-1"),
        change_event(harness, "customers", TWO_BYTES, "o-2"),
    ]

    async with harness.services.session_factory() as session:
        await record_with_intake(session, tenant, events)
        await session.commit()

    async with harness.services.session_factory() as session:
        recorded = list(await session.scalars(select(InboundEvent.entity_id)))
    assert recorded == [TWO_BYTES]


async def test_the_initial_import_reports_the_customer_skipped(harness: SyncHarness) -> None:
    _fortnox_holds(harness, THREE_BYTES)

    started = await harness.service.post(
        f"/api/installations/{harness.installation_id}/initial-sync", headers=harness.admin_headers
    )
    assert started.status_code == 202, started.text
    await harness.run_jobs()

    (job,) = await jobs_of(harness, JobKind.INITIAL_SYNC)
    assert job.status == JobStatus.DONE, job.last_error
    status = await harness.service.get(
        f"/api/installations/{harness.installation_id}/initial-sync", headers=harness.admin_headers
    )
    (customers,) = [p for p in status.json()["phases"] if p["phase"] == "customers"]
    assert customers["counts"].get("skipped") == 1, customers
    assert companies_named(harness, NAME) == []


async def test_reconciliation_leaves_the_customer_out_and_ends_well(harness: SyncHarness) -> None:
    _fortnox_holds(harness, THREE_BYTES)

    await reconcile_installation(harness.services, harness.installation_id)
    await harness.run_jobs()

    assert await _count(harness, InboundEvent) == 0
    assert await dead_or_failed(harness) == []
    assert companies_named(harness, NAME) == []


async def dead_or_failed(harness: SyncHarness) -> list[SyncJob]:
    async with harness.services.session_factory() as session:
        return list(await session.scalars(select(SyncJob).where(SyncJob.status != JobStatus.DONE)))


async def test_a_won_deal_whose_customer_has_such_a_number_ends_with_the_code(
    linked: SyncHarness,
) -> None:
    """The deal's company matches the customer (by organisation number): its link cannot be
    kept, so the job ends at once with the stable code, not at every retry."""
    harness = linked
    _fortnox_holds(harness, THREE_BYTES, OrganisationNumber="5566778899")
    win(harness, harness.demo.opportunity_id)

    job = await sync_order(harness, harness.demo.opportunity_id)

    assert job.status == JobStatus.DEAD and job.attempts == 1
    assert (job.last_error or "").startswith(FORTNOX_ID_TOO_LONG)
    assert fortnox_list(harness, "invoices") == []


async def test_an_invoice_of_such_a_customer_ends_its_job_with_the_code(
    linked: SyncHarness,
) -> None:
    harness = linked
    _fortnox_holds(harness, THREE_BYTES)
    harness.fortnox.seed(
        harness.tenant_id,
        invoices=[{"CustomerNumber": THREE_BYTES, "InvoiceRows": [{"ArticleNumber": "KONS-1"}]}],
    )

    await EventFeed(harness).sync()

    (job,) = await jobs_of(harness, "fortnox.invoice")
    assert job.status in (JobStatus.DONE, JobStatus.DEAD) and job.attempts == 1, job.last_error
    if job.status == JobStatus.DEAD:
        assert (job.last_error or "").startswith(FORTNOX_ID_TOO_LONG)
    assert companies_named(harness, NAME) == []
