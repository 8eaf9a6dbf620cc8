"""Helpers for the Upsales → Fortnox end-to-end tests."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.e2e.harness import SyncHarness
from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.domain.link_view import LinkView
from upsales_fortnox.jobs import enqueue
from upsales_fortnox.links.repository.links import LinkStore
from upsales_fortnox.models.job import SyncJob
from upsales_fortnox.sync.initial.control import INITIAL_SYNC_ENTITY
from upsales_fortnox.sync.repository.sync_job_reads import latest_job
from upsales_fortnox.vocabulary import FortnoxType, JobKind, JobStatus, LinkEntity

ORDER_HOOKS = ("after_order_insert", "after_order_update", "after_order_delete")
"""The order hooks the service registers (the real Fortnox app leaves out the delete's)."""

ARTICLES = {
    "KONS-1": {"Description": "Konsulttimme", "Unit": "h"},
    "LIC-BAS": {"Description": "Licens Bas"},
    "UTB-DAG": {"Description": "Utbildningsdag", "VAT": 6},
}


async def link_demo_products(harness: SyncHarness) -> None:
    """Fortnox articles for the demo products, linked as the product sync would link them."""
    harness.fortnox.seed(
        harness.tenant_id,
        articles=[{"ArticleNumber": number, **fields} for number, fields in ARTICLES.items()],
    )
    async with harness.services.session_factory() as session:
        links = LinkStore(session, harness.installation_id)
        for article_number, product_id in harness.demo.product_ids_by_article_no.items():
            await links.save(
                LinkEntity.PRODUCT, product_id, FortnoxType.ARTICLE, article_number, None
            )
        await session.commit()


async def mark_initial_sync_done(
    session_factory: async_sessionmaker[AsyncSession], installation_id: uuid.UUID
) -> None:
    """Record a finished initial sync, as the operator's run leaves it: from then on
    ``before_order_save`` judges products by their links."""
    async with session_factory() as session:
        queued = await enqueue(
            session,
            installation_id=installation_id,
            kind=JobKind.INITIAL_SYNC,
            entity_id=INITIAL_SYNC_ENTITY,
        )
        await session.execute(
            update(SyncJob).where(SyncJob.id == queued.job_id).values(status=JobStatus.DONE)
        )
        await session.commit()


def fortnox_today(harness: SyncHarness) -> dt.date:
    """Today in Fortnox's time zone: the date Fortnox gives a document made now, and so the day
    a deal won now is reported in (the host's own date differs an hour or two each night)."""
    return harness.fortnox.tenant(harness.tenant_id).today()


def win(harness: SyncHarness, order_id: int, **changes: Any) -> dict[str, Any]:
    """Move an Upsales order to the won stage at 100 % (as a sales rep would)."""
    body = {"stage": {"id": harness.demo.stage_won_id}, "probability": 100, **changes}
    return dict(
        harness.upsales.update_entity(
            harness.demo.customer_id,
            "orders",
            order_id,
            body,
            user_id=harness.demo.sales_rep_user_ids[0],
            fire_hooks=False,
        )
    )


def edit(harness: SyncHarness, kind: str, entity_id: int, body: dict[str, Any]) -> dict[str, Any]:
    return dict(
        harness.upsales.update_entity(
            harness.demo.customer_id,
            kind,
            entity_id,
            body,
            user_id=harness.demo.sales_rep_user_ids[0],
            fire_hooks=False,
        )
    )


async def queue(harness: SyncHarness, kind: str, entity_id: int | str) -> int:
    async with harness.services.session_factory() as session:
        queued = await enqueue(
            session, installation_id=harness.installation_id, kind=kind, entity_id=str(entity_id)
        )
        await session.commit()
    return queued.job_id


async def run_now(harness: SyncHarness) -> None:
    """Run jobs until none is left queued, making retries due at once (no waiting)."""
    for _ in range(10):
        await harness.run_jobs()
        async with harness.services.session_factory() as session:
            result = await session.execute(
                update(SyncJob)
                .where(
                    SyncJob.installation_id == harness.installation_id,
                    SyncJob.status == JobStatus.QUEUED,
                )
                .values(run_after=utcnow())
            )
            await session.commit()
        if result.rowcount == 0:  # type: ignore[attr-defined]
            return
    raise AssertionError("jobs kept being queued")


async def job(harness: SyncHarness, job_id: int) -> SyncJob:
    async with harness.services.session_factory() as session:
        found = await session.get(SyncJob, job_id)
        assert found is not None
        return found


async def last_order_job(harness: SyncHarness, order_id: int) -> SyncJob:
    """The order's newest ``upsales.order`` job."""
    async with harness.services.session_factory() as session:
        found = await latest_job(
            session, harness.installation_id, JobKind.UPSALES_ORDER, str(order_id)
        )
    assert found is not None
    return found


async def sync_order(harness: SyncHarness, order_id: int) -> SyncJob:
    job_id = await queue(harness, "upsales.order", order_id)
    await run_now(harness)
    return await job(harness, job_id)


async def won_and_invoiced(harness: SyncHarness, order_id: int) -> str:
    """The deal won and synced; the number of the Fortnox invoice it became."""
    win(harness, order_id)
    sent = await sync_order(harness, order_id)
    assert sent.status == JobStatus.DONE, sent.last_error
    return str((sent.result or {})["fortnox_invoice"])


async def sync_company(harness: SyncHarness, company_id: int) -> SyncJob:
    job_id = await queue(harness, "upsales.company", company_id)
    await run_now(harness)
    return await job(harness, job_id)


async def link_of(harness: SyncHarness, entity: LinkEntity, upsales_id: int) -> LinkView | None:
    async with harness.services.session_factory() as session:
        return await LinkStore(session, harness.installation_id).by_upsales(entity, upsales_id)


def fortnox_list(harness: SyncHarness, collection: str) -> list[dict[str, Any]]:
    tenant = harness.fortnox.tenant(harness.tenant_id)
    return [dict(item) for item in tenant.collection(collection).items.values()]


async def jobs_of(harness: SyncHarness, kind: str) -> list[SyncJob]:
    async with harness.services.session_factory() as session:
        rows = await session.scalars(
            select(SyncJob).where(SyncJob.kind == kind).order_by(SyncJob.id)
        )
        return list(rows)
