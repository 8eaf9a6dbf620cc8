"""The products' re-pricing (queued every day by the article sweep) spends a Fortnox call per
product: a sales rep's won deal queued meanwhile is sent beside it, not after the last product."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest

from tests.e2e.harness import SyncHarness
from tests.e2e.outbound_support import job, link_demo_products, queue, win
from upsales_fortnox.jobs import Worker
from upsales_fortnox.sync.inbound import reprice
from upsales_fortnox.sync.outbound import won_deals
from upsales_fortnox.vocabulary import JobKind, JobStatus


async def test_a_won_deal_is_sent_while_the_products_are_repriced(
    harness: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    await link_demo_products(harness)
    win(harness, harness.demo.opportunity_id)
    sent = asyncio.Event()
    writing = won_deals.write_document
    pricing = reprice.chosen_price

    async def write_document(*args: Any, **kwargs: Any) -> Any:
        written = await writing(*args, **kwargs)
        sent.set()
        return written

    async def chosen_price(*args: Any) -> Decimal | None:
        # the first product's price waits for the deal: in vain when the deal waits for it
        await asyncio.wait_for(sent.wait(), timeout=3)
        return await pricing(*args)

    monkeypatch.setattr(won_deals, "write_document", write_document)
    monkeypatch.setattr(reprice, "chosen_price", chosen_price)
    repricing = await queue(harness, JobKind.REPRICE_PRODUCTS, reprice.REPRICE_ENTITY)
    deal = await queue(harness, "upsales.order", harness.demo.opportunity_id)
    settings = harness.worker._settings.model_copy(update={"worker_jobs_per_installation": 2})
    worker = Worker(harness.services.session_factory, harness.worker._registry, settings)
    while await worker.run_once():
        pass

    repriced = await job(harness, repricing)
    assert repriced.status == JobStatus.DONE, repriced.last_error
    assert (repriced.result or {})["products_checked"] == 3
    assert repriced.attempts == 1, "the re-pricing waited in vain for the deal"
    sent_deal = await job(harness, deal)
    assert sent_deal.status == JobStatus.DONE, sent_deal.last_error
    assert (sent_deal.result or {})["outcome"] == "created"
