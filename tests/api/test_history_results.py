"""Typed job results through the store and the entity history: the worker stores a handler's
result as its JSON, it reads back as its kind's type, and the history shows its outcome and the
ids it names; a result stored before reads the same, one of another shape as plain JSON."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.api.operator_support import add_job as add_stored_job
from tests.jobs.support import FakeClock, add_installation, add_job, load_job, make_worker
from upsales_fortnox.domain.initial_phases import Phase
from upsales_fortnox.domain.initial_progress import SyncProgress
from upsales_fortnox.jobs import HandlerRegistry, JobContext
from upsales_fortnox.jobs.results import JobResult
from upsales_fortnox.sync.results.by_kind import read_result
from upsales_fortnox.sync.results.inbound import (
    ArticleSyncResult,
    CustomerSyncResult,
    DocumentSyncResult,
    ExtrasRefreshResult,
    PaymentStatusWritten,
    PaymentSyncResult,
    RepriceResult,
    StockWritten,
)
from upsales_fortnox.sync.results.order_refresh import OrderFieldsRefreshResult
from upsales_fortnox.sync.results.outbound import CompanySyncResult, DealCustomer, WonDealResult
from upsales_fortnox.sync.results.periodic import CatchUpResult, ReconcileResult, TopicCatchUp
from upsales_fortnox.sync.results.records import FortnoxRef
from upsales_fortnox.vocabulary import FortnoxType, JobKind, JobStatus

Factory = async_sessionmaker[AsyncSession]
NOW = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
INVOICE_12 = FortnoxRef(FortnoxType.INVOICE, "12")
SYNCED_INVOICE = DocumentSyncResult(
    INVOICE_12, "update", "won", upsales_order=7, payment=PaymentStatusWritten("paid", True)
)

#: Per kind that syncs one entity: its job's entity, the result its handler returns, and the
#: history question that finds the job.
ENTITY_CASES: list[tuple[JobKind, str, Any, dict[str, Any]]] = [
    (
        JobKind.UPSALES_ORDER,
        "7",
        WonDealResult(
            7,
            "created",
            document=INVOICE_12,
            customer=DealCustomer(3, "K-1", "created", written_back=True),
            net="1000.00",
            products_linked=(4,),
            document_url="written",
        ),
        {"entity": "order", "upsales_id": 7},
    ),
    (
        JobKind.UPSALES_COMPANY,
        "3",
        CompanySyncResult(3, "updated", "K-1", updated_fields=("name",)),
        {"entity": "company", "upsales_id": 3},
    ),
    (
        JobKind.FORTNOX_CUSTOMER,
        "K-1",
        CustomerSyncResult("K-1", "created", 3),
        {"entity": "company", "fortnox_id": "K-1"},
    ),
    (
        JobKind.FORTNOX_ARTICLE,
        "A-1",
        ArticleSyncResult(
            "A-1", "linked", 4, priced=False, stock=StockWritten("article", "written")
        ),
        {"entity": "product", "fortnox_id": "A-1"},
    ),
    (
        JobKind.FORTNOX_INVOICE,
        "12",
        SYNCED_INVOICE,
        {"entity": "order", "fortnox_id": "12", "fortnox_type": "invoice"},
    ),
    (
        JobKind.FORTNOX_ORDER,
        "3",
        DocumentSyncResult.skipped(FortnoxRef(FortnoxType.ORDER, "3"), "not_found"),
        {"entity": "order", "fortnox_id": "3", "fortnox_type": "order"},
    ),
    (
        JobKind.FORTNOX_OFFER,
        "4",
        DocumentSyncResult(FortnoxRef(FortnoxType.OFFER, "4"), "create", "offer", upsales_order=8),
        {"entity": "order", "upsales_id": 8},
    ),
    (
        JobKind.FORTNOX_INVOICE_PAYMENT,
        "5",
        PaymentSyncResult("5", SYNCED_INVOICE),
        {"entity": "order", "upsales_id": 7},
    ),
    (
        JobKind.FORTNOX_INVOICE_PAYMENT_DELETED,
        "6",
        PaymentSyncResult("6", SYNCED_INVOICE),
        {"entity": "order", "fortnox_id": "12", "fortnox_type": "invoice"},
    ),
]


def _progress() -> SyncProgress:
    progress = SyncProgress((Phase.CUSTOMERS, Phase.ARTICLES))
    progress.phase(Phase.CUSTOMERS).count("linked", 2)
    progress.next_phase()
    progress.next_phase()
    return progress


#: Per kind that names no entity: its job's entity and the result its handler returns.
OTHER_CASES: list[tuple[JobKind, str, Any]] = [
    (
        JobKind.FORTNOX_RECONCILE,
        "fortnox",
        ReconcileResult({"customers": 2}, {"customers": 0}, NOW),
    ),
    (
        JobKind.UPSALES_CATCH_UP,
        "upsales",
        CatchUpResult(
            NOW,
            TopicCatchUp(NOW, {"listed": 1, "queued": 1}),
            TopicCatchUp(NOW, {"listed": 0, "queued": 0}),
        ),
    ),
    (JobKind.REPRICE_PRODUCTS, "all", RepriceResult("A", checked=2, repriced=1)),
    (JobKind.REPRICE_PRODUCTS, "all", RepriceResult(None)),
    (
        JobKind.REFRESH_PRODUCT_EXTRAS,
        "products",
        ExtrasRefreshResult(2, 0, {"stock": {"written": 2}}),
    ),
    (
        JobKind.REFRESH_ORDER_FIELDS,
        "paymentStatus",
        OrderFieldsRefreshResult(("paymentStatus",), checked=2, written=2, statuses={"paid": 2}),
    ),
    (JobKind.REFRESH_ORDER_FIELDS, "documentLinks", OrderFieldsRefreshResult()),
    (JobKind.INITIAL_SYNC, "all", _progress()),
]


async def _run(
    session_factory: Factory, kind: JobKind, entity_id: str, result: JobResult
) -> tuple[uuid.UUID, int]:
    """A job of ``kind`` whose handler returns ``result``, run by the worker."""
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    job_id = await add_job(session_factory, installation_id, clock, kind=kind, entity_id=entity_id)

    async def handler(ctx: JobContext) -> JobResult:
        return result

    worker = make_worker(session_factory, HandlerRegistry({kind: handler}), clock)
    assert await worker.run_once() == 1
    return installation_id, job_id


async def _stored_text(session_factory: Factory, job_id: int) -> str:
    async with session_factory() as session:
        stored = await session.scalar(
            text("SELECT result FROM sync_jobs WHERE id = :id"), {"id": job_id}
        )
    return str(stored)


async def _history(
    client: httpx.AsyncClient, headers: dict[str, str], installation_id: uuid.UUID, **query: Any
) -> list[dict[str, Any]]:
    response = await client.get(
        f"/api/installations/{installation_id}/history", params=query, headers=headers
    )
    assert response.status_code == 200, response.text
    jobs: list[dict[str, Any]] = response.json()["jobs"]
    return jobs


@pytest.mark.parametrize(("kind", "entity_id", "result", "query"), ENTITY_CASES)
async def test_a_result_is_stored_read_back_and_shown_in_the_history(
    kind: JobKind,
    entity_id: str,
    result: Any,
    query: dict[str, Any],
    session_factory: Factory,
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    backend: str,
) -> None:
    installation_id, job_id = await _run(session_factory, kind, entity_id, result)

    job = await load_job(session_factory, job_id)
    assert job.status == JobStatus.DONE and job.result == result.to_json()
    assert read_result(kind, job.result) == result
    if backend == "sqlite":  # JSON text as written, keys in order (PostgreSQL's JSONB sorts them)
        assert await _stored_text(session_factory, job_id) == json.dumps(result.to_json())

    (shown,) = await _history(api_client, admin_headers, installation_id, **query)
    assert (shown["id"], shown["kind"], shown["status"]) == (job_id, kind, "done")
    assert shown["outcome"] == result.outcome
    assert shown["written"] == result.named_ids()
    assert shown["result"] == result.to_json()
    if backend == "sqlite":
        assert list(shown["result"]) == list(result.to_json())


@pytest.mark.parametrize("fortnox_id", ["\u00b2", "9" * 50], ids=["superscript-two", "50-digits"])
async def test_a_fortnox_id_of_digits_no_number_column_holds_finds_nothing(
    fortnox_id: str,
    session_factory: Factory,
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
) -> None:
    """A digit int() refuses, or a number beyond 64 bits, is compared as text only."""
    installation_id, _ = await _run(session_factory, JobKind.FORTNOX_INVOICE, "12", SYNCED_INVOICE)
    query = {"entity": "order", "fortnox_id": fortnox_id}
    assert await _history(api_client, admin_headers, installation_id, **query) == []


@pytest.mark.parametrize(("kind", "entity_id", "result"), OTHER_CASES)
async def test_a_result_of_a_kind_that_names_no_entity_round_trips_through_the_store(
    kind: JobKind, entity_id: str, result: Any, session_factory: Factory, backend: str
) -> None:
    _, job_id = await _run(session_factory, kind, entity_id, result)

    job = await load_job(session_factory, job_id)
    assert job.status == JobStatus.DONE and job.result == result.to_json()
    read = read_result(kind, job.result)
    assert read is not None and read.to_json() == result.to_json()
    if backend == "sqlite":
        assert await _stored_text(session_factory, job_id) == json.dumps(result.to_json())


async def _stored_history(
    session_factory: Factory,
    client: httpx.AsyncClient,
    headers: dict[str, str],
    stored: dict[str, Any],
) -> dict[str, Any]:
    """The history entry of a won-deal job whose result was stored as ``stored``."""
    installation = str(await add_installation(session_factory))
    await add_stored_job(
        session_factory, installation, kind="upsales.order", status=JobStatus.DONE, result=stored
    )
    (shown,) = await _history(
        client, headers, uuid.UUID(installation), entity="order", upsales_id=7
    )
    return shown


async def test_a_result_stored_before_reads_as_its_kind(
    session_factory: Factory, api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    stored = {
        "upsales_order": 7,
        "fortnox_invoice": "12",
        "upsales_company": 3,
        "fortnox_customer": "K-1",
        "customer": "linked",
        "net": "10.00",
        "outcome": "updated",
    }
    read = read_result(JobKind.UPSALES_ORDER, stored)
    assert isinstance(read, WonDealResult)
    assert read.document == INVOICE_12 and read.linked_before
    assert read.customer == DealCustomer(3, "K-1", "linked")

    shown = await _stored_history(session_factory, api_client, admin_headers, stored)
    assert shown["outcome"] == "updated" and shown["result"] == stored
    assert shown["written"] == {
        "upsales_order": 7,
        "fortnox_invoice": "12",
        "upsales_company": 3,
        "fortnox_customer": "K-1",
    }


async def test_a_result_of_another_shape_is_shown_as_plain_json(
    session_factory: Factory, api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    stored = {"upsales_order": 7, "fortnox_invoice": "12", "outcome": "created", "legacy": True}
    assert read_result(JobKind.UPSALES_ORDER, stored) is None

    shown = await _stored_history(session_factory, api_client, admin_headers, stored)
    assert shown["outcome"] == "created" and shown["result"] == stored
    assert shown["written"] == {"upsales_order": 7, "fortnox_invoice": "12"}
