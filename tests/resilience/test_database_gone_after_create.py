"""PostgreSQL goes away just as Fortnox has made what a won deal asked for (its customer, or its
invoice) and before the service could save the link: when the database is back, the deal ends as
exactly one customer and one invoice in Fortnox, its job done (none left running).

The test runs its own PostgreSQL server (:mod:`tests.resilience.own_postgres`), stopped from a
gate in front of the Fortnox sandbox once the create is made there and before its answer is
handed back.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytest

from tests.database import create_schema
from tests.e2e.harness import build_harness, harness_settings
from tests.e2e.outbound_support import fortnox_list, link_demo_products
from tests.resilience.outage_support import all_done, send_hook, stop_and_close, won_order
from tests.resilience.own_postgres import OwnPostgres, own_postgres
from upsales_fortnox.core.db.engine import create_engine

pytestmark = pytest.mark.postgres

DEADLINE_SECONDS = 60.0

Message = MutableMapping[str, Any]
Asgi = Callable[..., Awaitable[None]]


@pytest.fixture(scope="module")
def server() -> Iterator[OwnPostgres]:
    with own_postgres() as started:
        yield started


class StopDatabaseAfterCreate:
    """In front of the Fortnox sandbox: the first ``POST /3/{collection}`` is made in Fortnox,
    then the database is stopped, then its answer goes back."""

    def __init__(self, server: OwnPostgres, collection: str) -> None:
        self.server = server
        self.path = f"/3/{collection}"
        self.stopped = asyncio.Event()
        self.app: Asgi | None = None

    def wrap(self, app: Asgi) -> Asgi:
        self.app = app

        async def gate(scope: Message, receive: Any, send: Any) -> None:
            assert self.app is not None
            watched = (
                scope["type"] == "http"
                and scope["method"] == "POST"
                and scope["path"] == self.path
                and not self.stopped.is_set()
            )
            if not watched:
                await self.app(scope, receive, send)
                return
            answer: list[Message] = []

            async def keep(message: Message) -> None:
                answer.append(message)

            await self.app(scope, receive, keep)
            # the job's run is stopped as its worker loses the database: the stop goes on
            stopping = asyncio.ensure_future(asyncio.to_thread(self.server.stop))
            stopping.add_done_callback(lambda _: self.stopped.set())
            await asyncio.shield(stopping)
            for message in answer:
                await send(message)

        return gate


@pytest.mark.parametrize("collection", ["customers", "invoices"])
async def test_a_create_made_as_the_database_went_is_linked_not_made_twice(
    server: OwnPostgres, collection: str
) -> None:
    database = f"gone_after_{collection}"
    admin = await asyncpg.connect(server.url, timeout=10)
    try:
        await admin.execute(f'CREATE DATABASE "{database}"')
    finally:
        await admin.close()
    url = server.url_for(database)
    await create_schema(url)
    engine = create_engine(url)
    gate = StopDatabaseAfterCreate(server, collection)
    harness = await build_harness(
        harness_settings(
            url,
            job_lease_seconds=2.0,
            worker_poll_seconds=0.05,
            fortnox_create_settle_seconds=0.2,
        ),
        engine,
        wrap_fortnox_app=gate.wrap,
    )
    stop = asyncio.Event()
    worker = asyncio.create_task(harness.worker.run(stop))
    try:
        await link_demo_products(harness)
        customers_before = len(fortnox_list(harness, "customers"))
        order_id = won_order(harness, 1)
        assert await send_hook(harness, order_id) == 202

        await asyncio.wait_for(gate.stopped.wait(), DEADLINE_SECONDS)
        while not harness.worker.outage.down:  # the worker meets the database gone
            assert not worker.done()
            await asyncio.sleep(0.01)
        await asyncio.to_thread(server.start)

        jobs = await all_done(
            harness, worker, since=time.monotonic(), deadline_seconds=DEADLINE_SECONDS
        )

        (deal_job,) = [job for job in jobs if job.kind == "upsales.order"]
        assert deal_job.attempts >= 2  # the run the database left was run again
        references = [i["ExternalInvoiceReference1"] for i in fortnox_list(harness, "invoices")]
        assert references == [f"upsales-order:{order_id}"]
        assert len(fortnox_list(harness, "customers")) == customers_before + 1
    finally:
        await stop_and_close(harness, worker, stop, engine)
