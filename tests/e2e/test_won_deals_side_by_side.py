"""An installation's won deals run side by side in a worker's turn (``upsales.order`` is a
side-by-side kind): deals of linked companies send their invoices at the same time, and deals
that may make what they share (a new company's customer) take turns, so it is made once."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from tests.e2e.harness import SyncHarness
from tests.e2e.outbound_support import job, queue, sync_order, win
from tests.e2e.won_deal_support import invoices_of, new_won_deal
from upsales_fortnox.vocabulary import JobStatus

SAFETY_TIMEOUT = 10


def _customers_named(harness: SyncHarness, name: str) -> list[str]:
    customers = harness.fortnox.tenant(harness.tenant_id).collection("customers").items
    return sorted(str(c["CustomerNumber"]) for c in customers.values() if c.get("Name") == name)


async def test_deals_of_a_linked_company_send_their_invoices_at_the_same_time(
    linked: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness = linked
    win(harness, harness.demo.opportunity_id)
    await sync_order(harness, harness.demo.opportunity_id)  # links the company: steady state
    orders = [new_won_deal(harness) for _ in range(3)]
    jobs = [await queue(harness, "upsales.order", order) for order in orders]
    all_sent = asyncio.Barrier(len(orders))
    http = harness.services.http
    send: Callable[..., Awaitable[httpx.Response]] = http.request

    async def together(method: str, url: Any, **kwargs: Any) -> httpx.Response:
        if method == "POST" and str(url).endswith("/invoices"):
            # one at a time, the first create would wait here for the others forever
            await asyncio.wait_for(all_sent.wait(), SAFETY_TIMEOUT)
        return await send(method, url, **kwargs)

    monkeypatch.setattr(http, "request", together)
    await harness.run_jobs()

    for job_id in jobs:
        assert (await job(harness, job_id)).status == JobStatus.DONE
    assert [len(invoices_of(harness, order)) for order in orders] == [1, 1, 1]


async def test_deals_of_a_company_without_a_customer_make_one(linked: SyncHarness) -> None:
    harness = linked
    company = win(harness, harness.demo.opportunity_id)["client"]
    orders = [harness.demo.opportunity_id, *(new_won_deal(harness) for _ in range(3))]
    jobs = [await queue(harness, "upsales.order", order) for order in orders]

    await harness.run_jobs()

    for job_id in jobs:
        finished = await job(harness, job_id)
        assert finished.status == JobStatus.DONE, finished.last_error
    assert len(_customers_named(harness, company["name"])) == 1
    assert [len(invoices_of(harness, order)) for order in orders] == [1, 1, 1, 1]
