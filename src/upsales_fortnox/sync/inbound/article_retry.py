"""Deals that died for want of a Fortnox article are retried once an article is linked.

A won deal whose product has no Fortnox article ends ``dead`` with ``product_not_in_fortnox``.
The natural fix is to create the article in Fortnox; when its sync links it to an Upsales
product, every such dead deal of the installation goes back on the queue by itself. A deal
whose product is still missing dies again at once, with the same readable reason.
"""

from __future__ import annotations

import logging
import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from upsales_fortnox.domain.outbound.rows import ProductNotInFortnox
from upsales_fortnox.jobs.errors import JobOperationError
from upsales_fortnox.jobs.store.operator_actions import retry_dead_job
from upsales_fortnox.models.job import SyncJob
from upsales_fortnox.vocabulary import JobStatus

logger = logging.getLogger(__name__)

#: How the stored error of such a deal starts (``error_text``: ``"<code>: <message>"``).
MISSING_ARTICLE_PREFIX = f"{ProductNotInFortnox.code}:"


async def retry_deals_missing_articles(
    session_factory: async_sessionmaker[AsyncSession], installation_id: uuid.UUID
) -> list[int]:
    """Requeue the installation's jobs that died for a missing article; their ids."""
    async with session_factory() as session:
        job_ids = list(
            await session.scalars(
                select(SyncJob.id)
                .where(
                    SyncJob.installation_id == installation_id,
                    SyncJob.status == JobStatus.DEAD,
                    SyncJob.last_error.startswith(MISSING_ARTICLE_PREFIX, autoescape=True),
                )
                .order_by(SyncJob.id)
            )
        )
    retried = []
    for job_id in job_ids:
        async with session_factory() as session:
            try:
                await retry_dead_job(session, job_id)
            except JobOperationError:  # retried meanwhile by someone else
                continue
            await session.commit()
        retried.append(job_id)
    if retried:
        logger.info(
            "retrying %d deals that lacked a Fortnox article",
            len(retried),
            extra={"installation_id": installation_id},
        )
    return retried
