"""Installation lookups of concurrent webhook requests, answered many per query.

Reads ``installations`` (the columns that
:class:`~upsales_fortnox.intake.installations.WebhookInstallation` holds) for the webhook hot
path; the installations' own repository writes them.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence
from typing import Any, Final

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from upsales_fortnox.core.db.engine import retry_on_lost_connection
from upsales_fortnox.intake.batching import Batcher
from upsales_fortnox.intake.installations import WebhookInstallation
from upsales_fortnox.intake.repository.postgres import (
    closed_if_silent,
    driver_connection,
    lookup_installations,
    terminator,
)
from upsales_fortnox.models.installation import Installation

logger = logging.getLogger(__name__)

MAX_LOOKUP_BATCH: Final = 500

_COLUMNS = (
    Installation.id,
    Installation.version,
    Installation.status,
    Installation.fortnox_tenant_id,
    Installation.upsales_api_token_enc,
    Installation.webhook_secret_enc,
)
_LOOKUP = select(*_COLUMNS).where(Installation.id == bindparam("installation_id"))
_LOOKUP_MANY = select(*_COLUMNS).where(Installation.id.in_(bindparam("ids", expanding=True)))


async def load_webhook_installation(
    session: AsyncSession, installation_id: uuid.UUID
) -> WebhookInstallation | None:
    row = (await session.execute(_LOOKUP, {"installation_id": installation_id})).one_or_none()
    return None if row is None else _webhook_installation(row)


async def load_webhook_installations(
    connection: AsyncConnection, installation_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, WebhookInstallation]:
    """The installations among ``installation_ids`` that exist, by id."""
    rows = await connection.execute(_LOOKUP_MANY, {"ids": list(set(installation_ids))})
    return {row.id: _webhook_installation(row) for row in rows}


def _webhook_installation(row: Any) -> WebhookInstallation:
    return WebhookInstallation(
        id=row.id,
        version=row.version,
        status=row.status,
        fortnox_tenant_id=row.fortnox_tenant_id,
        upsales_api_token_enc=row.upsales_api_token_enc,
        webhook_secret_enc=row.webhook_secret_enc,
    )


class InstallationLoader:
    """Looks installations up for concurrent requests, many per query.

    Every lookup is answered by a query that started after it was asked (lookups that arrive
    while a query runs wait for the next one), so a request never sees an installation as it
    was before the request arrived: a rotated secret or a deleted installation takes effect at
    once. Nothing is kept between queries. On PostgreSQL the query runs on asyncpg directly; if
    that fails, the lookup is retried through SQLAlchemy (on a fresh connection if the first
    one had died). A connection silent for ``wait_seconds`` is closed
    (:func:`~.postgres.closed_if_silent`).
    """

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        max_batch: int = MAX_LOOKUP_BATCH,
        wait_seconds: float | None = None,
    ) -> None:
        self._engine = engine
        self._wait_seconds = wait_seconds
        self._on_postgres = engine.dialect.name == "postgresql"
        self._batcher: Batcher[uuid.UUID, WebhookInstallation | None] = Batcher(
            self._read, max_batch_weight=max_batch
        )

    async def load(self, installation_id: uuid.UUID) -> WebhookInstallation | None:
        """The installation, or ``TimeoutError`` after ``wait_seconds`` without an answer."""
        async with asyncio.timeout(self._wait_seconds):
            return await self._batcher.submit(installation_id)

    async def _read(self, keys: list[uuid.UUID]) -> list[WebhookInstallation | None]:
        found: dict[uuid.UUID, WebhookInstallation] | None = None
        if self._on_postgres:
            try:
                async with driver_connection(self._engine) as driver:
                    with closed_if_silent(driver.terminate, self._wait_seconds):
                        found = await lookup_installations(driver, keys)
            except Exception as exc:
                logger.warning("installation lookup failed (%s); retrying", type(exc).__name__)
        if found is None:
            found = await retry_on_lost_connection(lambda: self._read_with_sqlalchemy(keys))
        return [found.get(key) for key in keys]

    async def _read_with_sqlalchemy(
        self, keys: list[uuid.UUID]
    ) -> dict[uuid.UUID, WebhookInstallation]:
        async with self._engine.connect() as connection:
            with closed_if_silent(await terminator(connection), self._wait_seconds):
                return await load_webhook_installations(connection, keys)
