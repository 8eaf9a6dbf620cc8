"""A Fortnox order, invoice or offer event names its document by its number: one that names no
number (letters, a sign, other scripts' digits, more digits than a number holds) is refused at
the door with 422 ``validation_error`` naming ``entityId``, nothing stored, instead of queueing
a job that can only die (and raise a dead-job alert). Payment events keep their payment numbers,
which the spec types as text; a customer number is text too."""

from __future__ import annotations

import httpx
import pytest

from tests.intake.support import WEBHOOK_SECRET, count_rows, create_installation, fortnox_event
from upsales_fortnox.services import Services

pytestmark = pytest.mark.asyncio

HEADERS = {"X-Webhook-Secret": WEBHOOK_SECRET}


@pytest.mark.parametrize("topic", ["invoices", "orders", "offers"])
@pytest.mark.parametrize("entity_id", ["abc", "-1", "3 817", "٣٨١٧", "1" * 30, "12.5"])
async def test_a_document_event_naming_no_number_is_refused(
    api_client: httpx.AsyncClient, services: Services, topic: str, entity_id: str
) -> None:
    installation = await create_installation(services.session_factory, services.secret_box)
    url = f"/webhooks/fortnox/{installation.id}"
    for body in (
        fortnox_event(topic=topic, entity_id=entity_id),
        [fortnox_event("a", topic=topic), fortnox_event("b", topic=topic, entity_id=entity_id)],
    ):
        response = await api_client.post(url, json=body, headers=HEADERS)
        assert response.status_code == 422, (entity_id, response.text)
        error = response.json()["error"]
        assert error["code"] == "validation_error"
        assert "entityId" in str(error["details"])
    assert await count_rows(services.session_factory) == (0, 0)


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
