"""One catch-up run against a faked Upsales API: one list call a page, nothing per entity,
jobs only for what no hook or earlier sync covered, and the checkpoint moves on success only."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import respx
from sqlalchemy import select

from upsales_fortnox.domain.outbound.mapping import map_order
from upsales_fortnox.integrations.upsales.errors import UpsalesAuthError
from upsales_fortnox.integrations.upsales.models import Order
from upsales_fortnox.links.repository.links import LinkStore
from upsales_fortnox.models.installation import (
    FortnoxCredentials,
    Installation,
    InstallationSettings,
)
from upsales_fortnox.models.job import InboundEvent, ReconcileCheckpoint, SyncJob
from upsales_fortnox.services import Services
from upsales_fortnox.sync.catchup.checkpoints import ORDERS_TOPIC, first_run_start
from upsales_fortnox.sync.catchup.run import OVERLAP, catch_up_installation
from upsales_fortnox.sync.catchup.schedule import schedule_catch_up
from upsales_fortnox.vocabulary import (
    FortnoxType,
    InstallationStatus,
    JobKind,
    LinkEntity,
    ProductBundleMode,
    SyncType,
)

TOKEN = "upsales-api-key-0123456789"
NOW = datetime(2026, 12, 3, 5, 10, tzinfo=UTC)
CHECKPOINT = datetime(2026, 12, 3, 5, 5, tzinfo=UTC)
CHANGED = "2026-12-03T05:06:07.000Z"


def order_json(order_id: int, *, probability: int = 100) -> dict[str, Any]:
    return {
        "id": order_id,
        "description": "Konsultuppdrag",
        "probability": probability,
        "currency": "SEK",
        "user": {"id": 1, "name": "Erik Säljare"},
        "client": {"id": 3, "name": "Nordisk Verkstad AB"},
        "orderRow": [
            {"id": 1, "quantity": 2, "price": 100, "listPrice": 100, "product": {"id": 1}},
            {"id": 2, "quantity": 1, "price": 50, "listPrice": 50, "product": {"id": 2}},
        ],
        "modDate": CHANGED,
    }


def listing(rows: list[dict[str, Any]]) -> httpx.Response:
    total = len(rows)
    return httpx.Response(200, json={"error": None, "metadata": {"total": total}, "data": rows})


async def installation(
    services: Services, *, credentials: bool = False, tenant: str | None = "42"
) -> uuid.UUID:
    async with services.session_factory() as session:
        row = Installation(
            name="Demo Konsult AB",
            status=InstallationStatus.ACTIVE,
            upsales_api_token_enc=services.secret_box.encrypt(TOKEN),
            fortnox_tenant_id=tenant,
        )
        row.settings = InstallationSettings(sync_type=SyncType.INVOICE)
        session.add(row)
        await session.flush()
        if credentials:
            session.add(
                FortnoxCredentials(
                    installation_id=row.id,
                    access_token_enc=services.secret_box.encrypt("access"),
                    refresh_token_enc=services.secret_box.encrypt("refresh"),
                    access_token_expires_at=NOW,
                )
            )
        session.add(
            ReconcileCheckpoint(
                installation_id=row.id, topic=ORDERS_TOPIC, checked_until=CHECKPOINT
            )
        )
        await session.commit()
        return row.id


async def link_order_as_sent(services: Services, installation_id: uuid.UUID, order_id: int) -> None:
    """Links as a won deal's job leaves them: products, company, and the order's document."""
    sent = map_order(
        Order.model_validate(order_json(order_id)),
        fortnox_type=FortnoxType.INVOICE,
        customer_number="1001",
        article_numbers={1: "A1", 2: "A2"},
        bundle_mode=ProductBundleMode.ONLY_BUNDLE,
    )
    async with services.session_factory() as session:
        links = LinkStore(session, installation_id)
        await links.save(LinkEntity.PRODUCT, 1, FortnoxType.ARTICLE, "A1", None)
        await links.save(LinkEntity.PRODUCT, 2, FortnoxType.ARTICLE, "A2", None)
        await links.save(LinkEntity.COMPANY, 3, FortnoxType.CUSTOMER, "1001", None)
        await links.save(LinkEntity.ORDER, order_id, FortnoxType.INVOICE, "12", sent.fingerprint())
        await session.commit()


@pytest.fixture
def upsales(services: Services) -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=services.settings.upsales_api_base_url) as router:
        yield router


async def jobs(services: Services, kind: str = "upsales.order") -> list[str | None]:
    async with services.session_factory() as session:
        found = await session.scalars(
            select(SyncJob.entity_id).where(SyncJob.kind == kind).order_by(SyncJob.entity_id)
        )
        return list(found)


async def test_only_unsynced_won_orders_get_a_job_for_one_list_call(
    services: Services, upsales: respx.MockRouter, api_client: httpx.AsyncClient
) -> None:
    installation_id = await installation(services)
    await link_order_as_sent(services, installation_id, 7)
    hook = {"type": "after_order_update", "apiKey": TOKEN, "data": {"object": order_json(9)}}
    delivered = await api_client.post(f"/webhooks/upsales/{installation_id}", json=hook)
    assert delivered.status_code == 202, delivered.text
    orders = upsales.get("/orders").mock(
        return_value=listing([order_json(7), order_json(8), order_json(9)])
    )
    accounts = upsales.get("/accounts").mock(return_value=listing([]))

    result = (await catch_up_installation(services, installation_id, clock=lambda: NOW)).to_json()

    assert orders.call_count == 1 and accounts.call_count == 1  # and nothing else was called
    query = orders.calls.last.request.url.params
    since = CHECKPOINT - OVERLAP
    assert query.get_list("modDate") == [f"gte:{since:%Y-%m-%dT%H:%M:%S}.000Z"]
    assert (query["probability"], query["sort"], query["limit"]) == ("100", "id", "2000")
    assert result["orders"] == {
        "since": since.isoformat(),
        "listed": 3,
        "queued": 1,
        "recorded": 1,
        "synced": 1,
        "hook_received": 1,
        "not_won": 0,
        "not_linked": 0,
        "before_window": 0,
    }
    assert await jobs(services) == ["8", "9"]  # 9 by its hook, 8 by the catch-up
    async with services.session_factory() as session:
        keys = list(
            await session.scalars(select(InboundEvent.dedupe_key).order_by(InboundEvent.id))
        )
        checkpoint = await session.get(ReconcileCheckpoint, (installation_id, ORDERS_TOPIC))
    assert keys[1:] == [
        f"reconcile:order:8:{datetime(2026, 12, 3, 5, 6, 7, tzinfo=UTC).isoformat()}"
    ]
    assert checkpoint is not None and checkpoint.checked_until == NOW


@pytest.mark.parametrize(
    "mod_date", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", 10**12, "2026-02-30"]
)
async def test_a_hook_whose_moddate_is_no_moment_in_utc_does_not_stop_the_catch_up(
    services: Services,
    upsales: respx.MockRouter,
    api_client: httpx.AsyncClient,
    mod_date: str | int,
) -> None:
    """The intake takes a hook whatever its ``modDate`` (it is a hint): one that names no
    moment a UTC clock holds carries no version, and the run goes on (else it would fail on
    that hook at every run, its checkpoint never moving)."""
    installation_id = await installation(services)
    order = {**order_json(9), "modDate": mod_date}
    hook = {"type": "after_order_update", "apiKey": TOKEN, "data": {"object": order}}
    delivered = await api_client.post(f"/webhooks/upsales/{installation_id}", json=hook)
    assert delivered.status_code == 202, delivered.text
    upsales.get("/orders").mock(return_value=listing([order_json(9)]))
    upsales.get("/accounts").mock(return_value=listing([]))

    result = (await catch_up_installation(services, installation_id, clock=lambda: NOW)).to_json()

    assert result["orders"]["listed"] == 1 and result["orders"]["hook_received"] == 0
    async with services.session_factory() as session:
        checkpoint = await session.get(ReconcileCheckpoint, (installation_id, ORDERS_TOPIC))
    assert checkpoint is not None and checkpoint.checked_until == NOW


async def test_a_refused_timestamp_filter_falls_back_to_the_date(
    services: Services, upsales: respx.MockRouter
) -> None:
    installation_id = await installation(services)
    refused = httpx.Response(400, json={"error": {"msg": "bad date", "code": 400}, "data": None})
    orders = upsales.get("/orders").mock(side_effect=[refused, listing([order_json(8)])])
    upsales.get("/accounts").mock(side_effect=[refused, listing([])])

    result = (await catch_up_installation(services, installation_id, clock=lambda: NOW)).to_json()

    assert [call.request.url.params["modDate"] for call in orders.calls] == [
        "gte:2026-12-03T05:03:00.000Z",
        "gte:2026-12-03",
    ]
    assert result["orders"]["queued"] == 1 and await jobs(services) == ["8"]


async def test_a_failed_run_leaves_the_checkpoint_and_records_nothing(
    services: Services, upsales: respx.MockRouter
) -> None:
    installation_id = await installation(services)
    upsales.get("/orders").mock(return_value=httpx.Response(401, json={"error": "no key"}))

    with pytest.raises(UpsalesAuthError):
        await catch_up_installation(services, installation_id, clock=lambda: NOW)

    async with services.session_factory() as session:
        checkpoint = await session.get(ReconcileCheckpoint, (installation_id, ORDERS_TOPIC))
        assert await session.scalar(select(InboundEvent.id)) is None
    assert checkpoint is not None and checkpoint.checked_until == CHECKPOINT


async def test_the_scheduler_queues_one_catch_up_per_active_installation(
    services: Services,
) -> None:
    connected = await installation(services, credentials=True)
    await installation(services, tenant=None)  # never logged in to Fortnox: nothing to sync to

    assert await schedule_catch_up(services.session_factory) == 1
    assert await schedule_catch_up(services.session_factory) == 0  # the queued one absorbs it
    async with services.session_factory() as session:
        queued = (await session.execute(select(SyncJob.installation_id, SyncJob.kind))).all()
    assert queued == [(connected, JobKind.UPSALES_CATCH_UP)]


async def test_without_a_checkpoint_the_first_run_starts_at_the_initial_sync(
    services: Services,
) -> None:
    installation_id = await installation(services)
    assert await first_run_start(services.session_factory, installation_id, NOW) == NOW
    async with services.session_factory() as session:
        session.add(
            SyncJob(
                installation_id=installation_id,
                kind="initial_sync",
                entity_id="all",
                created_at=NOW - timedelta(hours=3),
            )
        )
        await session.commit()
    started = await first_run_start(services.session_factory, installation_id, NOW)
    assert started == NOW - timedelta(hours=3)
    much_later = NOW + timedelta(days=30)
    assert await first_run_start(services.session_factory, installation_id, much_later) == (
        much_later - timedelta(days=1)
    )
