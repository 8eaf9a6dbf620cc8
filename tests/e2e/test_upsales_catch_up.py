"""The Upsales catch-up: won deals whose hooks never reached us are synced, once each."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests.e2e.catchup_support import (
    catch_up,
    deals_and_documents,
    eventually,
    running_service,
    service_down,
    start_catch_up_now,
    won_deal,
)
from tests.e2e.harness import SyncHarness
from tests.e2e.outbound_support import (
    fortnox_list,
    jobs_of,
    link_demo_products,
    run_now,
    sync_order,
    win,
)
from tests.e2e.stream_support import listening_socket
from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.models.job import InboundEvent, ReconcileCheckpoint
from upsales_fortnox.sync.catchup.checkpoints import ACCOUNTS_TOPIC, ORDERS_TOPIC
from upsales_fortnox.sync.catchup.run import OVERLAP, catch_up_installation


async def test_deals_won_while_hooks_were_lost_are_synced_exactly_once(
    harness: SyncHarness,
) -> None:
    await link_demo_products(harness)
    await start_catch_up_now(harness)
    harness.connect_upsales_hooks()
    delivered = won_deal(harness, 0)
    await harness.upsales.flush_hooks()
    await run_now(harness)

    harness.upsales.register_hook_sink(service_down)  # the service is down: hooks are lost
    missed = [won_deal(harness, 1), won_deal(harness, 0, quantity=2)]
    win(harness, harness.demo.opportunity_id)
    missed.append(harness.demo.opportunity_id)
    await harness.upsales.flush_hooks()
    assert all(d.error for d in harness.upsales.hook_deliveries()[-2:])
    await run_now(harness)
    assert deals_and_documents(harness, missed) == dict.fromkeys(missed, 0)

    harness.connect_upsales_hooks()  # up again: nothing repeats the lost hooks but the catch-up
    result = await catch_up(harness)

    deals = [delivered, *missed]
    assert deals_and_documents(harness, deals) == dict.fromkeys(deals, 1)
    assert result["orders"]["queued"] == 3
    assert result["orders"]["hook_received"] == 1  # the delivered deal costs nothing
    # a second run (overlapping window) records nothing and sends nothing twice
    again = await catch_up(harness)
    assert again["orders"]["queued"] == 0
    assert (again["orders"]["synced"], again["orders"]["hook_received"]) == (3, 1)
    assert deals_and_documents(harness, deals) == dict.fromkeys(deals, 1)


async def test_synced_and_unwon_orders_cost_no_call(harness: SyncHarness) -> None:
    await link_demo_products(harness)
    await start_catch_up_now(harness)
    order_id = harness.demo.opportunity_id
    win(harness, order_id)  # no hook at all: synced by a job queued by hand
    assert (await sync_order(harness, order_id)).status == "done"
    open_deal = won_deal(harness, 1)
    harness.upsales.update_entity(
        harness.demo.customer_id, "orders", open_deal, {"probability": 60}, fire_hooks=False
    )
    harness.services.upsales_calls.clear()
    harness.services.fortnox_calls.clear()
    jobs_before = len(await jobs_of(harness, "upsales.order"))

    result = await catch_up(harness)

    assert result["orders"]["synced"] == 1  # by its link's fingerprint
    assert result["orders"]["queued"] == 0
    assert len(await jobs_of(harness, "upsales.order")) == jobs_before
    # the customer number written back changed the linked company, not its synced fields
    assert (result["accounts"]["synced"], result["accounts"]["queued"]) == (1, 0)
    # one list call per topic, nothing per entity
    assert dict(harness.services.upsales_calls) == {"GET /orders": 1, "GET /accounts": 1}
    assert not harness.services.fortnox_calls


async def test_the_checkpoint_advances_and_the_window_overlaps(harness: SyncHarness) -> None:
    await link_demo_products(harness)
    first = utcnow()
    async with harness.services.session_factory() as session:  # no initial sync, no login
        assert await session.scalar(select(ReconcileCheckpoint)) is None
    result = (
        await catch_up_installation(harness.services, harness.installation_id, clock=lambda: first)
    ).to_json()
    assert result["orders"]["since"] == (first - OVERLAP).isoformat()
    order_id = won_deal(harness, 0)  # its hook is lost: no sink
    second = utcnow()

    result = (
        await catch_up_installation(harness.services, harness.installation_id, clock=lambda: second)
    ).to_json()

    assert result["orders"]["since"] == (first - OVERLAP).isoformat()
    assert result["orders"]["queued"] == 1
    async with harness.services.session_factory() as session:
        rows = (await session.scalars(select(ReconcileCheckpoint))).all()
        assert {(row.topic, row.checked_until) for row in rows} == {
            (ORDERS_TOPIC, second),
            (ACCOUNTS_TOPIC, second),
        }
        keys = (await session.scalars(select(InboundEvent.dedupe_key))).all()
    assert len(keys) == 1 and keys[0].startswith(f"reconcile:order:{order_id}:")
    third = (
        await catch_up_installation(
            harness.services, harness.installation_id, clock=lambda: second + timedelta(minutes=1)
        )
    ).to_json()
    assert third["orders"]["since"] == (second - OVERLAP).isoformat()
    # seen again in the overlap, still unsynced (no job ran), but recorded once
    assert (third["orders"]["queued"], third["orders"]["recorded"]) == (1, 0)
    assert len(await jobs_of(harness, "upsales.order")) == 1


async def test_every_deal_won_across_restarts_of_the_service_ends_with_one_invoice(
    harness: SyncHarness,
) -> None:
    await link_demo_products(harness)
    await start_catch_up_now(harness)
    sock = listening_socket()
    port = sock.getsockname()[1]
    harness.upsales.register_hook_sink(
        f"http://127.0.0.1:{port}/webhooks/upsales/{harness.installation_id}"
    )
    deals: list[int] = []
    for _ in range(3):
        async with running_service(harness.services, sock):
            deals += [won_deal(harness, n % 2, quantity=n + 1) for n in range(2)]
            await harness.upsales.flush_hooks()  # these hooks arrive
            deals += [won_deal(harness, n % 2, quantity=n + 3) for n in range(2)]
        # stopped while those last hooks were on their way; more deals are won while it is down
        deals += [won_deal(harness, n % 2) for n in range(3)]
        await harness.upsales.flush_hooks()
        sock.close()
        sock = listening_socket(port)
    statuses = [delivery.status for delivery in harness.upsales.hook_deliveries()]
    assert statuses.count(202) >= 6 and statuses.count(None) >= 9  # arrived / never arrived

    async with running_service(harness.services, sock):
        await eventually(lambda: set(deals_and_documents(harness, deals).values()) == {1})
    sock.close()

    assert deals_and_documents(harness, deals) == dict.fromkeys(deals, 1)
    assert len(fortnox_list(harness, "invoices")) == len(deals)
