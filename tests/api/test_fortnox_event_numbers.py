"""A Fortnox order, invoice or offer event names its document by its number: one that names no
number (letters, a sign, other scripts' digits, more digits than a number holds) is recorded with
no job (answered ``recorded``, with a log line), as an event of a type we do not know is, instead
of queueing a job that can only die (and raise a dead-job alert). The rest of its batch is taken
as usual: which id some event types carry is *unverified* (``reminder-sent-v1``), so such an event
must not refuse a batch. Payment events keep their payment numbers, which the spec types as text;
a customer number is text too."""

from __future__ import annotations

import logging

import httpx
import pytest

from tests.intake.support import WEBHOOK_SECRET, count_rows, create_installation, fortnox_event
from upsales_fortnox.services import Services

pytestmark = pytest.mark.asyncio

HEADERS = {"X-Webhook-Secret": WEBHOOK_SECRET}


@pytest.mark.parametrize("topic", ["invoices", "orders", "offers"])
@pytest.mark.parametrize("entity_id", ["abc", "-1", "3 817", "٣٨١٧", "1" * 30, "12.5"])
async def test_a_document_event_naming_no_number_is_recorded_without_a_job(
    api_client: httpx.AsyncClient,
    services: Services,
    caplog: pytest.LogCaptureFixture,
    topic: str,
    entity_id: str,
) -> None:
    installation = await create_installation(services.session_factory, services.secret_box)
    url = f"/webhooks/fortnox/{installation.id}"
    batch = [fortnox_event("a", topic=topic), fortnox_event("b", topic=topic, entity_id=entity_id)]
    with caplog.at_level(logging.WARNING):
        response = await api_client.post(url, json=batch, headers=HEADERS)
    assert response.status_code == 202, (entity_id, response.text)
    assert [result["status"] for result in response.json()["results"]] == ["accepted", "recorded"]
    assert await count_rows(services.session_factory) == (2, 1)  # both events, one job
    assert "names its document by no number" in caplog.text


async def test_payment_and_customer_events_keep_their_text_numbers(
    api_client: httpx.AsyncClient, services: Services
) -> None:
    installation = await create_installation(services.session_factory, services.secret_box)
    batch = [
        fortnox_event("p", topic="invoices", type_="invoicepayment-bookkeep-v1", entity_id="P-7"),
        fortnox_event("c", topic="customers", type_="customer-updated-v2", entity_id="K-12"),
        fortnox_event("u", topic="invoices", type_="invoice-newtype-v9", entity_id="x"),
    ]
    response = await api_client.post(
        f"/webhooks/fortnox/{installation.id}", json=batch, headers=HEADERS
    )
    assert response.status_code == 202, response.text
    assert [result["status"] for result in response.json()["results"]] == [
        "accepted",
        "accepted",
        "recorded",
    ]


async def test_a_reminder_event_naming_no_invoice_number_does_not_refuse_its_batch(
    api_client: httpx.AsyncClient, services: Services
) -> None:
    """Which id ``reminder-sent-v1`` carries is *unverified*: were it a reminder's own id, its
    batch still reaches the intake, and the invoice event beside it still queues its job."""
    installation = await create_installation(services.session_factory, services.secret_box)
    batch = [
        fortnox_event("r", topic="invoices", type_="reminder-sent-v1", entity_id="R-5"),
        fortnox_event("i", topic="invoices", entity_id="7"),
    ]
    response = await api_client.post(
        f"/webhooks/fortnox/{installation.id}", json=batch, headers=HEADERS
    )
    assert response.status_code == 202, response.text
    assert [result["status"] for result in response.json()["results"]] == ["recorded", "accepted"]
