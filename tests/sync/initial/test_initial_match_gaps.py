"""Initial sync cases where what Upsales or Fortnox already holds must be found, not duplicated."""

from __future__ import annotations

import types
from collections.abc import Generator
from typing import Any

import pytest

from tests.e2e.harness import SyncHarness
from tests.sync.initial.test_initial_sync_e2e import _start, _status
from upsales_fortnox.domain.inbound.products import NO_ARTICLE_NUMBER
from upsales_fortnox.integrations.upsales.client import UpsalesClient
from upsales_fortnox.integrations.upsales.models import Product
from upsales_fortnox.vocabulary import JobStatus


def _free_text_invoice(customer: str, text: str) -> dict[str, Any]:
    return {
        "CustomerNumber": customer,
        "InvoiceDate": "2026-10-01",
        "InvoiceRows": [{"Description": text, "DeliveredQuantity": 1, "Price": 500}],
    }


@types.coroutine
def _round_trip() -> Generator[None]:
    """What a request over the network does and the in-process sandbox does not: give the
    event loop to the other tasks while the answer travels."""
    yield


async def test_invoices_with_rows_without_article_share_one_product(
    harness: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page of invoices whose rows name no article: they are imported at once (several in
    flight), and all take the one product for rows without an article."""
    find = UpsalesClient.find_product_by_article_no

    async def find_over_the_network(client: UpsalesClient, article_no: str) -> Product | None:
        found = await find(client, article_no)
        await _round_trip()  # the answer is on its way back
        return found

    monkeypatch.setattr(UpsalesClient, "find_product_by_article_no", find_over_the_network)
    customers = [{"CustomerNumber": str(n), "Name": f"Kund {n} AB"} for n in range(1, 9)]
    harness.fortnox.seed(
        harness.tenant_id,
        customers=customers,
        invoices=[_free_text_invoice(str(n), f"Frakt {n}") for n in range(1, 9)],
    )

    await _start(harness)
    await harness.run_jobs()

    status = await _status(harness)
    assert status["status"] == JobStatus.DONE, status
    (invoices,) = [phase for phase in status["phases"] if phase["phase"] == "invoices"]
    assert invoices["counts"]["failed"] == 0, status["failed"]
    assert invoices["counts"]["created"] == 8
    fallback = [
        product
        for product in harness.upsales_entities("products")
        if product.get("articleNo") == NO_ARTICLE_NUMBER
    ]
    assert len(fallback) == 1


async def test_an_article_takes_the_product_made_by_hand_with_its_name(
    harness: SyncHarness,
) -> None:
    """A product made in Upsales before its article, without an article number, is the one the
    article links to (as a change of the article would): it gets the article number, and no
    second product of that name is made. A name two products share is not guessed between."""
    upsales = harness.upsales
    by_hand, *twins = upsales.seed(
        harness.demo.customer_id,
        "products",
        [
            {"name": "Servicavtal Guld", "listPrice": 900},
            {"name": "Installation", "listPrice": 100},
            {"name": "Installation", "listPrice": 120},
        ],
    )
    harness.fortnox.seed(
        harness.tenant_id,
        articles=[
            {"ArticleNumber": "SERV-G", "Description": "Servicavtal Guld", "SalesPrice": 950},
            {"ArticleNumber": "INST", "Description": "Installation", "SalesPrice": 150},
        ],
    )

    await _start(harness)
    await harness.run_jobs()

    status = await _status(harness)
    (articles,) = [phase for phase in status["phases"] if phase["phase"] == "articles"]
    assert articles["counts"]["created"] == 1  # INST: two products have its name
    products = harness.upsales_entities("products")
    named = [p for p in products if p["name"] == "Servicavtal Guld"]
    assert [p["id"] for p in named] == [by_hand]
    assert named[0]["articleNo"] == "SERV-G"
    assert [p["articleNo"] for p in products if p["id"] in twins] == [None, None]
