"""Installations and row counts shared by the intake and webhook tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from upsales_fortnox.core.crypto import SecretBox
from upsales_fortnox.models.installation import Installation
from upsales_fortnox.models.job import InboundEvent, SyncJob
from upsales_fortnox.vocabulary import JobKind

API_KEY = "upsales-customer-api-key-0123456789"
WEBHOOK_SECRET = "whsec_test-webhook-secret-0123456789"
TENANT_ID = "29302"


async def create_installation(
    session_factory: async_sessionmaker[AsyncSession],
    secret_box: SecretBox,
    *,
    api_key: str | None = API_KEY,
    webhook_secret: str | None = WEBHOOK_SECRET,
    tenant_id: str | None = TENANT_ID,
) -> Installation:
    async with session_factory() as session:
        installation = Installation(
            name="Acme AB",
            upsales_api_token_enc=secret_box.encrypt_optional(api_key),
            webhook_secret_enc=secret_box.encrypt_optional(webhook_secret),
            fortnox_tenant_id=tenant_id,
        )
        session.add(installation)
        await session.commit()
        return installation


async def count_rows(session_factory: async_sessionmaker[AsyncSession]) -> tuple[int, int]:
    """(inbound events, sync jobs), read in a fresh session; not the initial sync's job, which
    no hook queues (a fixture records one done)."""
    async with session_factory() as session:
        events = await session.scalar(select(func.count()).select_from(InboundEvent))
        jobs = await session.scalar(
            select(func.count()).select_from(SyncJob).where(SyncJob.kind != JobKind.INITIAL_SYNC)
        )
    return int(events or 0), int(jobs or 0)


async def all_events(session_factory: async_sessionmaker[AsyncSession]) -> list[InboundEvent]:
    async with session_factory() as session:
        return list((await session.scalars(select(InboundEvent).order_by(InboundEvent.id))).all())


async def all_jobs(session_factory: async_sessionmaker[AsyncSession]) -> list[SyncJob]:
    async with session_factory() as session:
        return list((await session.scalars(select(SyncJob).order_by(SyncJob.id))).all())


def order_hook(
    order_id: int = 7, *, event: str = "after_order_update", **extra: Any
) -> dict[str, Any]:
    """An app-hook body as Upsales sends it for an order event."""
    return {
        "type": event,
        "apiKey": API_KEY,
        "data": {"object": {"id": order_id, "description": "Consulting", "value": 1200}},
        "user": {"email": "seller@example.com"},
        **extra,
    }


def fortnox_event(
    offset: str = "xDy7J",
    *,
    topic: str = "invoices",
    entity_id: str = "3817",
    tenant_id: int | str = 29302,
    type_: str | None = None,
) -> dict[str, Any]:
    """A Fortnox change event; its type by default the topic's ``…-created-v1``."""
    return {
        "topic": topic,
        "offset": offset,
        "type": type_ or f"{topic.removesuffix('s')}-created-v1",
        "tenantId": tenant_id,
        "entityId": entity_id,
        "timestamp": "2017-12-28T14:59:16.500+01:00",
    }
