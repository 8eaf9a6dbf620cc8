"""Helpers shared by the operator API tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.conftest import SECRET_KEY
from upsales_fortnox.core.crypto import SecretBox
from upsales_fortnox.models.installation import FortnoxCredentials
from upsales_fortnox.models.job import SyncJob
from upsales_fortnox.vocabulary import JobStatus

VALID_SETTINGS: dict[str, Any] = {
    "syncType": "order_offer",
    "placeholderUser": 3,
    "wonStage": 10,
    "lostStage": 11,
    "offerStage": 12,
    "priceList": "A",
    "productBundles": "bundleAndSubProducts",
    "paymentStatus": False,
    "creditInvoices": False,
    "documentLinks": True,
    "stockLevels": False,
    "currencyPriceLists": {"EUR": "EUR"},
}


async def create_installation(
    client: httpx.AsyncClient, headers: dict[str, str], **fields: Any
) -> dict[str, Any]:
    body = {"name": "Acme AB", **fields}
    response = await client.post("/api/installations", json=body, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def with_if_match(headers: dict[str, str], etag: str) -> dict[str, str]:
    return {**headers, "If-Match": etag}


async def add_fortnox_login(
    session_factory: async_sessionmaker[AsyncSession], installation_id: str
) -> None:
    box = SecretBox(SECRET_KEY)  # the test settings' key
    async with session_factory() as session:
        session.add(
            FortnoxCredentials(
                installation_id=uuid.UUID(installation_id),
                access_token_enc=box.encrypt("an-access-token"),
                refresh_token_enc=box.encrypt("a-refresh-token"),
                access_token_expires_at=datetime.now(UTC) + timedelta(hours=1),
            )
        )
        await session.commit()


async def add_job(
    session_factory: async_sessionmaker[AsyncSession],
    installation_id: str,
    *,
    kind: str = "upsales.order",
    entity_id: str | None = "7",
    status: JobStatus = JobStatus.DEAD,
    **fields: Any,
) -> int:
    async with session_factory() as session:
        job = SyncJob(
            installation_id=uuid.UUID(installation_id),
            kind=kind,
            entity_id=entity_id,
            status=status.value,
            **fields,
        )
        session.add(job)
        await session.commit()
        return job.id


async def settled_and_waiting(
    session_factory: async_sessionmaker[AsyncSession], installation_id: str
) -> tuple[int, int]:
    """Two dead jobs of deals 1 and 2 (error ``x: y``): deal 1's settled by a later job of it
    that was done, deal 2's waiting for someone. Their ids."""
    died = datetime.now(UTC) - timedelta(hours=2)
    settled = await add_job(
        session_factory, installation_id, entity_id="1", last_error="x: y", finished_at=died
    )
    await add_job(
        session_factory, installation_id, entity_id="1", status=JobStatus.DONE,
        finished_at=died + timedelta(hours=1),
    )  # fmt: skip
    waiting = await add_job(
        session_factory, installation_id, entity_id="2", last_error="x: y", finished_at=died
    )
    return settled, waiting
