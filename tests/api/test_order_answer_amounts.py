"""``before_order_save`` over HTTP with amounts a won order cannot be sent with: the sales rep
reads why (400 ``order_not_sendable``), never an internal error, and nothing is stored."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.api.order_answer_support import installation_with_links
from tests.intake.support import API_KEY, count_rows
from upsales_fortnox.models.installation import Installation
from upsales_fortnox.services import Services

PRODUCT_ID = 3
COMPANY_ID = 5


@pytest.fixture
async def installation(services: Services) -> Installation:
    """An installation whose product and company are linked, so the rows are planned."""
    return await installation_with_links(services, product_id=PRODUCT_ID, company_id=COMPANY_ID)


def _won(row: dict[str, Any]) -> dict[str, Any]:
    order = {"id": 1, "probability": 100, "client": {"id": COMPANY_ID}, "orderRow": [row]}
    return {"type": "before_order_save", "apiKey": API_KEY, "data": {"obj": order}}


@pytest.mark.parametrize(
    "row",
    [
        {"quantity": 10**20, "price": 10**10},
        {"quantity": 0, "price": 10**30},
        {"quantity": 1, "price": 10**4000},
    ],
    ids=["row-amount", "unit-price", "long-integer"],
)
async def test_a_won_order_with_amounts_beyond_the_öre_arithmetic_is_refused(
    api_client: httpx.AsyncClient,
    services: Services,
    installation: Installation,
    row: dict[str, Any],
) -> None:
    body = _won({"product": {"id": PRODUCT_ID, "name": "Konsulttimme"}, **row})
    response = await api_client.post(f"/webhooks/upsales/{installation.id}", json=body)
    assert response.status_code == 400, response.text
    answer = response.json()
    assert answer["code"] == "order_not_sendable" and answer["error"] == answer["message"]
    assert answer["message"].startswith("Ordern kan inte skickas till Fortnox: ")
    assert await count_rows(services.session_factory) == (0, 0)


async def test_the_same_order_with_ordinary_amounts_passes(
    api_client: httpx.AsyncClient, installation: Installation
) -> None:
    body = _won({"product": {"id": PRODUCT_ID}, "quantity": 2, "price": 950.5})
    response = await api_client.post(f"/webhooks/upsales/{installation.id}", json=body)
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


async def test_a_won_order_of_tens_of_thousands_of_rows_is_refused_readably(
    api_client: httpx.AsyncClient, services: Services, installation: Installation
) -> None:
    """A body within the size limit can still name 40,000 products (bare ids): the sales rep
    gets the refusal, naming a few of them, not an answer the database could not give."""
    rows = [{"product": product_id} for product_id in range(10, 40010)]
    order = {"id": 1, "probability": 100, "client": COMPANY_ID, "orderRow": rows}
    body = {"type": "before_order_save", "apiKey": API_KEY, "data": {"obj": order}}
    raw = json.dumps(body, separators=(",", ":")).encode()
    assert len(raw) < services.settings.webhook_max_body_bytes

    response = await api_client.post(
        f"/webhooks/upsales/{installation.id}",
        content=raw,
        headers={"Content-Type": "application/json"},
    )

    assert response.status_code == 400, response.text[:300]
    answer = response.json()
    assert answer["code"] == "order_not_sendable" and answer["error"] == answer["message"]
    assert answer["message"] == (
        "Ordern kan inte skickas till Fortnox: "
        + "; ".join(f"en produkt (id {n}) finns inte som artikel i Fortnox" for n in range(10, 20))
        + "; och 39990 till."
    )
    assert await count_rows(services.session_factory) == (0, 0)


async def test_a_refusal_carries_its_text_where_upsales_app_refusals_carry_it(
    api_client: httpx.AsyncClient, installation: Installation
) -> None:
    """Upsales' app template refuses with ``{"error": "<text>"}`` (its error middleware); which
    field Upsales shows is not documented, so the text is ``error`` and ``message`` alike, each
    a string, beside the stable code. ``app_status_order``'s refusal reads the same way."""
    refused = await api_client.post(
        f"/webhooks/upsales/{installation.id}",
        json=_won({"product": {"id": 404, "name": "Konsulttimme"}, "quantity": 1, "price": 1}),
    )
    no_order = await api_client.post(
        f"/webhooks/upsales/{installation.id}",
        json={"type": "app_status_order", "apiKey": API_KEY, "data": {}},
    )

    text = (
        "Ordern kan inte skickas till Fortnox: "
        "produkten 'Konsulttimme' finns inte som artikel i Fortnox."
    )
    assert (refused.status_code, refused.json()) == (
        400,
        {"error": text, "message": text, "code": "order_not_sendable"},
    )
    assert (no_order.status_code, no_order.json()) == (
        400,
        {
            "error": "Anropet anger ingen order.",
            "message": "Anropet anger ingen order.",
            "code": "validation_error",
        },
    )
