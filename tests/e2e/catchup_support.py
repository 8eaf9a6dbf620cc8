"""Helpers of the Upsales catch-up tests: deals won while hooks reach us or not."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections import Counter
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import httpx
import uvicorn

from tests.e2e.harness import SyncHarness
from tests.e2e.outbound_support import fortnox_list, jobs_of, run_now
from ufs_sandboxes.upsales.hooks import HookCall
from upsales_fortnox.background import run_worker
from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.domain.outbound.reference import ORDER_REFERENCE_FIELD, order_reference
from upsales_fortnox.main import create_app
from upsales_fortnox.services import Services
from upsales_fortnox.sync.catchup.checkpoints import seed_checkpoints
from upsales_fortnox.sync.catchup.schedule import (
    run_catch_up_scheduler,
    schedule_catch_up,
)
from upsales_fortnox.vocabulary import JobKind


async def service_down(call: HookCall) -> httpx.Response:
    """A hook sink like a stopped service: the connection is refused, the hook is lost."""
    raise httpx.ConnectError("connection refused")


def won_deal(harness: SyncHarness, account: int = 0, *, quantity: int = 1) -> int:
    """A new order at 100 % for one of the demo companies (a deal won as a sales rep would
    enter it); its hook goes to whatever sink is registered."""
    order = harness.upsales.create_entity(
        harness.demo.customer_id,
        "orders",
        {
            "description": f"Utbildning x{quantity}",
            "date": "2026-11-25",
            "user": {"id": harness.demo.sales_rep_user_ids[0]},
            "client": {"id": harness.demo.account_ids[account]},
            "stage": {"id": harness.demo.stage_won_id},
            "probability": 100,
            "orderRow": [
                {
                    "quantity": quantity,
                    "price": 9500,
                    "listPrice": 9500,
                    "product": {"id": harness.demo.product_ids_by_article_no["UTB-DAG"]},
                }
            ],
        },
        user_id=harness.demo.sales_rep_user_ids[0],
    )
    return int(order["id"])


async def start_catch_up_now(harness: SyncHarness) -> None:
    """Checkpoints as the Fortnox login leaves them."""
    async with harness.services.session_factory() as session:
        await seed_checkpoints(session, harness.installation_id, utcnow())
        await session.commit()


async def catch_up(harness: SyncHarness) -> dict[str, Any]:
    """Queue the catch-up as the scheduler does, run every job; the catch-up job's result."""
    assert await schedule_catch_up(harness.services.session_factory) == 1
    await run_now(harness)
    job = (await jobs_of(harness, JobKind.UPSALES_CATCH_UP))[-1]
    assert job.result is not None, job.last_error
    return dict(job.result)


def documents_per_deal(harness: SyncHarness, collection: str = "invoices") -> Counter[str]:
    """How many Fortnox documents name each Upsales order in their reference."""
    return Counter(
        str(document.get(ORDER_REFERENCE_FIELD)) for document in fortnox_list(harness, collection)
    )


def deals_and_documents(harness: SyncHarness, order_ids: list[int]) -> dict[int, int]:
    """Each order's number of Fortnox invoices."""
    counts = documents_per_deal(harness)
    return {order_id: counts[order_reference(order_id)] for order_id in order_ids}


@contextlib.asynccontextmanager
async def running_service(
    services: Services, sock: socket.socket, interval: timedelta | None = None
) -> AsyncIterator[None]:
    """A fresh service process on ``sock``, as ``serve`` runs it (API, worker and the Upsales
    catch-up every ``interval``, default :data:`FAST_INTERVAL`), until the block ends; then it
    stops, dropping whatever hooks are still on their way."""
    every = interval or FAST_INTERVAL

    async def scheduler(services: Services, stop: asyncio.Event) -> None:
        await run_catch_up_scheduler(services, stop, interval=every)

    app = create_app(services=services, background=[run_worker, scheduler])
    config = uvicorn.Config(app, lifespan="on", log_level="warning", timeout_graceful_shutdown=1)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        yield
    finally:
        server.should_exit = True
        await task


FAST_INTERVAL = timedelta(milliseconds=200)


async def eventually(condition: Callable[[], bool]) -> None:
    """Wait until ``condition`` holds (checked every 50 ms); fails after a minute."""
    deadline = asyncio.get_running_loop().time() + 60.0
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("the condition did not come true within a minute")
        await asyncio.sleep(0.05)
