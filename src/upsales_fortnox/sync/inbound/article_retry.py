"""Deals that died for want of a Fortnox article are retried once an article is linked.

A won deal whose product has no Fortnox article ends ``dead`` with ``product_not_in_fortnox``.
The natural fix is to create the article in Fortnox; when its sync links it to an Upsales
product, every such dead deal of the installation goes back on the queue by itself. A deal
whose product is still missing dies again at once, with the same readable reason.
"""

from __future__ import annotations

import logging
import uuid

from upsales_fortnox.core.db.session import DbSessionFactory
from upsales_fortnox.domain.outbound.rows import ProductNotInFortnox
from upsales_fortnox.jobs import JobOperationError, retry_dead_job
from upsales_fortnox.sync.repository.sync_job_reads import dead_job_ids

logger = logging.getLogger(__name__)

#: How the stored error of such a deal starts (``error_text``: ``"<code>: <message>"``).
MISSING_ARTICLE_PREFIX = f"{ProductNotInFortnox.code}:"


async def retry_deals_missing_articles(
    session_factory: DbSessionFactory, installation_id: uuid.UUID
) -> list[int]:
    """Requeue the installation's jobs that died for a missing article; their ids."""
    async with session_factory() as session:
        job_ids = await dead_job_ids(session, installation_id, MISSING_ARTICLE_PREFIX)
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
