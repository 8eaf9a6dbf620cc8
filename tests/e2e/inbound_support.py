"""Helpers of the inbound end-to-end tests: feeding Fortnox change events in, reading state."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from tests.e2e.harness import SyncHarness
from upsales_fortnox.db.models import FortnoxType, JobStatus, Link, SyncJob
from upsales_fortnox.jobs import enqueue
from upsales_fortnox.sync.context import InstallationContext, installation_context

TOPICS = ("customers", "articles", "orders", "invoices", "offers")
JOB_KINDS = {
    "customers": "fortnox.customer",
    "articles": "fortnox.article",
    "orders": "fortnox.order",
    "invoices": "fortnox.invoice",
    "offers": "fortnox.offer",
}


class EventFeed:
    """Queues a sync job for every new change event of the Fortnox sandbox, as the intake does
    (one job per entity, coalesced while queued)."""

    def __init__(self, harness: SyncHarness) -> None:
        self._harness = harness
        self._offsets: dict[str, str | None] = {}

    def new_events(self) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        for topic in TOPICS:
            found = self._harness.fortnox.events(
                self._harness.tenant_id, topic, self._offsets.get(topic)
            )
            if found:
                self._offsets[topic] = str(found[-1]["offset"])
                events.extend(dict(event) for event in found)
        return events

    async def enqueue(self, events: Iterable[dict[str, Any]]) -> int:
        count = 0
        async with self._harness.services.session_factory() as session:
            for event in events:
                await enqueue(
                    session,
                    installation_id=self._harness.installation_id,
                    kind=JOB_KINDS[event["topic"]],
                    entity_id=str(event["entityId"]),
                    payload={"event": event["type"]},
                )
                count += 1
            await session.commit()
        return count

    async def sync(self) -> int:
        """Queue the new events' jobs and run the worker until idle; returns the events fed."""
        count = await self.enqueue(self.new_events())
        await self._harness.run_jobs()
        return count


async def context_of(harness: SyncHarness) -> InstallationContext:
    return await installation_context(harness.services, harness.installation_id)


async def link_of(harness: SyncHarness, fortnox_type: FortnoxType, fortnox_id: str) -> Link | None:
    async with harness.services.session_factory() as session:
        found: Link | None = await session.scalar(
            select(Link).where(
                Link.installation_id == harness.installation_id,
                Link.fortnox_type == fortnox_type,
                Link.fortnox_id == fortnox_id,
            )
        )
        return found


async def jobs_of(harness: SyncHarness, kind: str, entity_id: str | None = None) -> list[SyncJob]:
    async with harness.services.session_factory() as session:
        query = select(SyncJob).where(SyncJob.kind == kind).order_by(SyncJob.id)
        if entity_id is not None:
            query = query.where(SyncJob.entity_id == entity_id)
        return list(await session.scalars(query))


async def dead_jobs(harness: SyncHarness) -> list[SyncJob]:
    async with harness.services.session_factory() as session:
        return list(await session.scalars(select(SyncJob).where(SyncJob.status == JobStatus.DEAD)))


def custom_value(entity: dict[str, Any], field_id: int) -> Any:
    for item in entity.get("custom") or ():
        if item["fieldId"] == field_id:
            return item["value"]
    return None


def companies_named(harness: SyncHarness, name: str) -> list[dict[str, Any]]:
    return [c for c in harness.upsales_entities("accounts") if c["name"] == name]


async def fortnox_call(
    harness: SyncHarness, method: str, path: str, body: dict[str, Any] | None = None
) -> Any:
    """A raw Fortnox API call as the installation (for changes the client has no method for)."""
    token = await harness.services.token_store.access_token(harness.installation_id)
    response = await harness.services.http.request(
        method,
        f"{harness.services.settings.fortnox_api_base_url}{path}",
        json=body,
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
    )
    assert response.status_code < 300, response.text
    return response.json() if response.content else None


def products_by_article_no(harness: SyncHarness) -> dict[str, dict[str, Any]]:
    return {p["articleNo"]: p for p in harness.upsales_entities("products") if p["articleNo"]}
