"""The Upsales catch-up where two versions of a deal share a ``modDate``: Upsales writes it to
the second (``2018-05-22T11:08:26.000Z``, reference upsales.md §3), so a deal changed twice in
one second shows one version for both changes."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.e2e.catchup_support import catch_up, service_down, start_catch_up_now, won_deal
from tests.e2e.harness import (
    FAST_UPSALES_LIMIT,
    SyncHarness,
    build_harness,
    harness_settings,
)
from tests.e2e.outbound_support import edit, fortnox_list, link_demo_products, run_now
from ufs_sandboxes.upsales import UpsalesSandboxConfig


class SecondClock:
    """Upsales' clock: whole seconds, held still while ``held`` is set."""

    def __init__(self) -> None:
        self.held: float | None = None

    def __call__(self) -> float:
        return self.held if self.held is not None else float(int(time.time()))


@pytest.fixture
async def clocked(
    database_url: str, engine: AsyncEngine
) -> AsyncIterator[tuple[SyncHarness, SecondClock]]:
    clock = SecondClock()
    built = await build_harness(
        harness_settings(database_url),
        engine,
        upsales_config=UpsalesSandboxConfig(rate_limit_requests=FAST_UPSALES_LIMIT, clock=clock),
    )
    try:
        yield built, clock
    finally:
        await built.service.aclose()
        await built.services.http.aclose()


async def test_a_change_in_the_second_of_a_hooked_version_is_caught_up(
    clocked: tuple[SyncHarness, SecondClock],
) -> None:
    harness, clock = clocked
    await link_demo_products(harness)
    await start_catch_up_now(harness)
    harness.connect_upsales_hooks()
    clock.held = float(int(time.time()))
    order_id = won_deal(harness, 0)
    await harness.upsales.flush_hooks()  # its hook arrives and is synced at once
    await run_now(harness)
    (invoice,) = fortnox_list(harness, "invoices")
    assert invoice["InvoiceRows"][0]["DeliveredQuantity"] == 1

    harness.upsales.register_hook_sink(service_down)  # the hook of the next change is lost
    order = harness.upsales_entity("orders", order_id)
    assert order is not None
    (row,) = order["orderRow"]
    edit(harness, "orders", order_id, {"orderRow": [{**row, "quantity": 2}]})  # same second
    clock.held = None
    harness.connect_upsales_hooks()

    result = await catch_up(harness)

    assert (result["orders"]["queued"], result["orders"]["hook_received"]) == (1, 0)

    (invoice,) = fortnox_list(harness, "invoices")
    assert invoice["InvoiceRows"][0]["DeliveredQuantity"] == 2
    assert Decimal(str(invoice["Net"])) == Decimal(19000)
