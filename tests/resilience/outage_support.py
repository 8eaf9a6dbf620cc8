"""What the outage tests share: a won Upsales order, its hook sent to the service, and the
wait for every job to be done once the database is back."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from tests.e2e.harness import SyncHarness
from tests.intake.support import all_jobs
from upsales_fortnox.models.job import SyncJob
from upsales_fortnox.vocabulary import JobStatus


def won_order(harness: SyncHarness, number: int) -> int:
    """A won order of the demo's first company, with the demo opportunity's rows; its id (no
    hook fired: the test sends it)."""
    template = harness.upsales.get_entity(
        harness.demo.customer_id, "orders", harness.demo.opportunity_id
    )
    assert template is not None
    body = {
        "description": f"Avbrottstest {number}",
        "date": "2026-11-25",
        "user": {"id": harness.demo.sales_rep_user_ids[0]},
        "client": {"id": harness.demo.account_ids[0]},
        "stage": {"id": harness.demo.stage_won_id},
        "probability": 100,
        "orderRow": [
            {
                "product": {"id": row["product"]["id"]},
                "quantity": row["quantity"],
                "listPrice": row["listPrice"],
                "price": row["price"],
            }
            for row in template["orderRow"]
        ],
    }
    created = harness.upsales.create_entity(
        harness.demo.customer_id, "orders", body, fire_hooks=False
    )
    return int(created["id"])


def _hook(harness: SyncHarness, order_id: int) -> bytes:
    order = harness.upsales.get_entity(harness.demo.customer_id, "orders", order_id)
    return json.dumps(
        {"type": "after_order_update", "apiKey": harness.demo.api_key, "data": {"object": order}},
        default=str,
    ).encode()


async def send_hook(harness: SyncHarness, order_id: int) -> int:
    """The order's ``after_order_update`` hook sent to the service: its status, 202 or a 503
    ``database_unavailable`` with ``Retry-After``."""
    response = await harness.service.post(
        f"/webhooks/upsales/{harness.installation_id}",
        content=_hook(harness, order_id),
        headers={"Content-Type": "application/json"},
    )
    if response.status_code == 503:
        assert response.headers["Retry-After"].isdigit()
        assert response.json()["error"]["code"] == "database_unavailable"
    else:
        assert response.status_code == 202, response.text
    return response.status_code


async def all_done(
    harness: SyncHarness,
    worker: asyncio.Task[Any],
    *,
    since: float,
    deadline_seconds: float,
    interval: float = 0.05,
) -> list[SyncJob]:
    """Every job, once all are done; the worker never ends meanwhile, and they are done
    within ``deadline_seconds`` of ``since`` (``time.monotonic``)."""
    while True:
        jobs = await all_jobs(harness.services.session_factory)
        if jobs and all(job.status == JobStatus.DONE for job in jobs):
            return jobs
        assert not worker.done()
        assert time.monotonic() - since < deadline_seconds, [
            (job.kind, job.entity_id, job.status, job.last_error) for job in jobs
        ]
        await asyncio.sleep(interval)


async def stop_and_close(
    harness: SyncHarness, worker: asyncio.Task[None], stop: asyncio.Event, engine: AsyncEngine
) -> None:
    """The worker stopped, then the service, its clients and the engine closed."""
    stop.set()
    await asyncio.wait_for(worker, 30)
    await harness.service.aclose()
    await harness.services.http.aclose()
    await harness.services.fortnox_limiters.aclose()
    await engine.dispose()
