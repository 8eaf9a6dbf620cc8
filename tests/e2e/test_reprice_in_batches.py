"""The daily re-pricing spends a Fortnox call per active product (minutes for a large
catalogue): it runs in batches, so a bookkeeper's change queued meanwhile waits for one batch,
not for the last product's price, and each product is still asked for once."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

import pytest

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import consultancy_invoice, jobs_of, link_of, products_by_article_no
from tests.e2e.outbound_support import queue, run_now
from upsales_fortnox.integrations.errors import RetryableError
from upsales_fortnox.sync.inbound import fortnox_jobs, reprice
from upsales_fortnox.vocabulary import FortnoxType, JobKind, JobStatus

CATALOGUE = 120
"""Products with an article and a price in list A: more than two batches."""
NEW_PRICE = Decimal("100.00")


def seed_catalogue(harness: SyncHarness) -> set[str]:
    """The catalogue (and a customer to invoice), and two products out of sale; the article
    numbers of the active products, the demo's included."""
    numbers = [f"ART-{index:03}" for index in range(CATALOGUE)]
    harness.fortnox.seed(
        harness.tenant_id,
        customers=[{"CustomerNumber": "1001", "Name": "Nordisk Verkstad AB"}],
        articles=[
            {"ArticleNumber": "KONS-1", "Description": "Konsulttimme"},
            *({"ArticleNumber": number, "Description": number} for number in numbers),
        ],
        prices=[
            {"PriceList": "A", "ArticleNumber": number, "Price": str(NEW_PRICE)}
            for number in numbers
        ],
    )
    products = [{"name": number, "articleNo": number, "listPrice": 1} for number in numbers]
    retired = [
        {"name": f"Utgått {n}", "articleNo": f"OLD-{n}", "listPrice": 1, "active": 0}
        for n in (1, 2)
    ]
    harness.upsales.seed(harness.demo.customer_id, "products", [*products, *retired])
    return {
        p["articleNo"]
        for p in harness.upsales_entities("products")
        if p["articleNo"] and p["active"]
    }


def count_prices_asked(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The article numbers whose price the re-pricing asked Fortnox for, in order."""
    asked: list[str] = []
    pricing = reprice.chosen_price

    async def chosen_price(fortnox: Any, price_list: str | None, number: str) -> Any:
        asked.append(number)
        return await pricing(fortnox, price_list, number)

    monkeypatch.setattr(reprice, "chosen_price", chosen_price)
    return asked


async def test_a_bookkeepers_invoice_waits_for_one_batch_of_the_repricing(
    harness: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    active = seed_catalogue(harness)
    invoice = await consultancy_invoice(harness, "1001")
    number = str(invoice.DocumentNumber)
    asked = count_prices_asked(monkeypatch)
    pricing = reprice.chosen_price
    asked_as_invoice_synced: list[int] = []
    syncing = fortnox_jobs.sync_document

    async def chosen_price(*args: Any) -> Any:
        if len(asked) == 0:  # its change event comes in as the re-pricing gets under way
            await queue(harness, JobKind.FORTNOX_INVOICE, number)
        return await pricing(*args)

    async def sync_document(*args: Any) -> Any:
        asked_as_invoice_synced.append(len(asked))
        return await syncing(*args)

    monkeypatch.setattr(reprice, "chosen_price", chosen_price)
    monkeypatch.setattr(fortnox_jobs, "sync_document", sync_document)
    await queue(harness, JobKind.REPRICE_PRODUCTS, reprice.REPRICE_ENTITY)

    await harness.run_jobs()

    (synced,) = await jobs_of(harness, JobKind.FORTNOX_INVOICE, number)
    assert synced.status == JobStatus.DONE, synced.last_error
    assert await link_of(harness, FortnoxType.INVOICE, number) is not None
    assert asked_as_invoice_synced == [reprice.BATCH_SIZE], "it waited for more than a batch"
    assert len(asked) == len(active) > 2 * reprice.BATCH_SIZE
    assert Counter(asked) == Counter(active), "a product was asked for twice, or left out"
    products = products_by_article_no(harness)
    assert {products[f"ART-{i:03}"]["listPrice"] for i in range(CATALOGUE)} == {NEW_PRICE}
    batches = await jobs_of(harness, JobKind.REPRICE_PRODUCTS)
    assert [job.status for job in batches] == [JobStatus.DONE] * len(batches)
    checked = sum((job.result or {})["products_checked"] for job in batches)
    assert checked == CATALOGUE  # the demo's products are not in list A


async def test_requests_made_while_the_repricing_runs_join_it(
    harness: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A request queued while a batch runs (a new price list saved, say) takes the rest of the
    pass over, from where the batch ended: no second pass (the price list is the same)."""
    active = seed_catalogue(harness)
    asked = count_prices_asked(monkeypatch)
    pricing = reprice.chosen_price
    requests: list[bool] = []

    async def chosen_price(*args: Any) -> Any:
        if len(asked) in (reprice.BATCH_SIZE // 2, reprice.BATCH_SIZE + 1):  # batches 1 and 2
            async with harness.services.session_factory() as session:
                queued = await reprice.enqueue_reprice(session, harness.installation_id)
                await session.commit()
            requests.append(queued.created)
        return await pricing(*args)

    monkeypatch.setattr(reprice, "chosen_price", chosen_price)
    await queue(harness, JobKind.REPRICE_PRODUCTS, reprice.REPRICE_ENTITY)

    await harness.run_jobs()

    assert requests == [True, True]  # queued as jobs of their own, the batch running
    assert Counter(asked) == Counter(active), "a second pass, or a product left out"
    batches = await jobs_of(harness, JobKind.REPRICE_PRODUCTS)
    assert [bool((job.result or {}).get("rest_queued")) for job in batches] == [True, True, False]


async def test_a_batch_that_fails_goes_on_from_its_last_checkpoint(
    harness: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    active = seed_catalogue(harness)
    asked = count_prices_asked(monkeypatch)
    pricing = reprice.chosen_price
    failing_at = reprice.BATCH_SIZE + reprice.CHECKPOINT_EVERY + 3
    failed: list[str] = []

    async def chosen_price(*args: Any) -> Any:
        if len(asked) == failing_at and not failed:
            failed.append(args[2])
            raise RetryableError("Fortnox did not answer")
        return await pricing(*args)

    monkeypatch.setattr(reprice, "chosen_price", chosen_price)
    await queue(harness, JobKind.REPRICE_PRODUCTS, reprice.REPRICE_ENTITY)

    await run_now(harness)

    repeated = Counter(asked) - Counter(active)
    assert set(Counter(asked)) == active, "a product was left out"
    assert failed and sum(repeated.values()) == 3, "it started the batch over, or the pass"
    products = products_by_article_no(harness)
    assert {products[f"ART-{i:03}"]["listPrice"] for i in range(CATALOGUE)} == {NEW_PRICE}
