"""Helpers of the inbound end-to-end tests: feeding Fortnox change events in, reading state."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update

from tests.e2e.harness import WEBHOOK_SECRET, SyncHarness
from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.integrations.fortnox.models import Invoice, InvoiceRow
from upsales_fortnox.integrations.fortnox.oauth import DEFAULT_SCOPES, TokenSet
from upsales_fortnox.models.job import SyncJob
from upsales_fortnox.models.link import Link
from upsales_fortnox.sync.context import InstallationContext, installation_context
from upsales_fortnox.vocabulary import FortnoxType, JobStatus

TOPICS = ("customers", "articles", "orders", "invoices", "offers")


class EventFeed:
    """Delivers the Fortnox sandbox's change events to the service's event endpoint (the HTTP
    way in: intake, dedupe, one queued job per entity) and runs the worker."""

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

    async def enqueue(self, events: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        """POST the events; the intake's answer for each."""
        batch = list(events)
        if not batch:
            return []
        response = await self._harness.service.post(
            f"/webhooks/fortnox/{self._harness.installation_id}",
            json=batch,
            headers={"X-Webhook-Secret": WEBHOOK_SECRET},
        )
        assert response.status_code == 202, response.text
        results: list[dict[str, Any]] = response.json()["results"]
        return results

    async def sync(self) -> int:
        """Deliver the new events and run the worker until idle; returns the events fed."""
        events = self.new_events()
        await self.enqueue(events)
        await self._harness.run_jobs()
        return len(events)


async def settle(harness: SyncHarness) -> None:
    """Deliver Upsales hooks and Fortnox events and run jobs until nothing moves."""
    for _ in range(10):
        await harness.upsales.hooks.flush()
        delivered = await harness.deliver_fortnox_events()
        ran = await harness.run_jobs()
        if delivered == 0 and ran == 0:
            return
    raise AssertionError("the sync did not settle")


async def queued_jobs_due_now(harness: SyncHarness) -> None:
    """Time passes: every queued job (one waiting out a retry's delay, say) is due now."""
    async with harness.services.session_factory() as session:
        await session.execute(
            update(SyncJob).where(SyncJob.status == JobStatus.QUEUED).values(run_after=utcnow())
        )
        await session.commit()


def change_event(harness: SyncHarness, topic: str, entity_id: str, offset: str) -> dict[str, Any]:
    """A hand-made change event, as Fortnox would send it."""
    singular = topic.removesuffix("s")
    return {
        "topic": topic,
        "offset": offset,
        "type": f"{singular}-updated-v1",
        "tenantId": harness.tenant_id,
        "entityId": entity_id,
        "timestamp": "2024-06-01T12:00:00.000+02:00",
    }


async def context_of(harness: SyncHarness) -> InstallationContext:
    return await installation_context(harness.services, harness.installation_id)


async def consultancy_invoice(
    harness: SyncHarness, customer_number: str, hours: Decimal = Decimal(2)
) -> Invoice:
    """The bookkeeper invoices ``customer_number`` in Fortnox for ``hours`` of the article
    ``KONS-1`` at 950 SEK (the article seeded by the test)."""
    context = await context_of(harness)
    return await context.fortnox.create_invoice(
        Invoice(
            CustomerNumber=customer_number,
            InvoiceRows=[
                InvoiceRow(ArticleNumber="KONS-1", DeliveredQuantity=hours, Price=Decimal(950))
            ],
        )
    )


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


async def login_without_payment_scope(harness: SyncHarness) -> None:
    """Tokens of a login from before the ``payment`` scope was asked for."""
    await login_without_scope(harness, "payment")


async def login_without_scope(harness: SyncHarness, scope: str) -> None:
    """Tokens of a login that did not grant ``scope``."""
    tokens = harness.fortnox.issue_tokens(
        harness.tenant_id, scopes=[s for s in DEFAULT_SCOPES if s != scope]
    )
    await harness.services.token_store.save_initial(
        harness.installation_id,
        TokenSet(
            access_token=tokens.access_token,
            refresh_token=tokens.refresh_token,
            expires_at=datetime.now(UTC) + timedelta(seconds=tokens.expires_in),
            scope=tokens.scope,
        ),
    )


def rep_loses_deal(harness: SyncHarness, order_id: int) -> None:
    """The sales rep moves the deal to the lost stage in Upsales (no hook fires)."""
    lost = {"stage": {"id": harness.demo.stage_lost_id}, "probability": 0}
    harness.upsales.update_entity(
        harness.demo.customer_id,
        "orders",
        order_id,
        lost,
        user_id=harness.demo.sales_rep_user_ids[0],
        fire_hooks=False,
    )
