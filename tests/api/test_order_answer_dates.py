"""``before_order_save`` over HTTP with a won order whose days are timestamps: one read as its
Swedish day is judged as any other order; one whose day lies beyond the calendar (year 9999
late in the evening, year 1 east of UTC) is a body the answer cannot judge, and the save goes
on, never an internal error; nothing is stored either way."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.order_answer_support import installation_with_links
from tests.intake.support import API_KEY, count_rows
from upsales_fortnox.models.installation import Installation
from upsales_fortnox.services import Services

LINKED_PRODUCT = 3
UNLINKED_PRODUCT = 4
COMPANY_ID = 5


@pytest.fixture
async def installation(services: Services) -> Installation:
    return await installation_with_links(services, product_id=LINKED_PRODUCT, company_id=COMPANY_ID)


def _won(day: str, product_id: int) -> dict[str, Any]:
    order = {
        "id": 1,
        "probability": 100,
        "date": day,
        "closeDate": day,
        "client": {"id": COMPANY_ID},
        "orderRow": [{"product": {"id": product_id, "name": "Konsulttimme"}, "quantity": 1}],
    }
    return {"type": "before_order_save", "apiKey": API_KEY, "data": {"obj": order}}


@pytest.mark.parametrize(
    "day", ["9999-12-31T23:30:00.000Z", "0001-01-01T00:00:00+05:00", "9999-12-31T23:00:00Z"]
)
async def test_a_day_beyond_the_calendar_is_no_internal_error(
    api_client: httpx.AsyncClient, services: Services, installation: Installation, day: str
) -> None:
    body = _won(day, UNLINKED_PRODUCT)
    response = await api_client.post(f"/webhooks/upsales/{installation.id}", json=body)
    assert (response.status_code, response.json()) == (200, {"status": "ok"}), response.text
    assert await count_rows(services.session_factory) == (0, 0)


async def test_a_day_written_as_a_timestamp_is_judged_as_any_order(
    api_client: httpx.AsyncClient, installation: Installation
) -> None:
    body = _won("2026-12-06T23:00:00.000Z", UNLINKED_PRODUCT)
    response = await api_client.post(f"/webhooks/upsales/{installation.id}", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "order_not_sendable"
    body = _won("2026-12-06T23:00:00.000Z", LINKED_PRODUCT)
    response = await api_client.post(f"/webhooks/upsales/{installation.id}", json=body)
    assert (response.status_code, response.json()) == (200, {"status": "ok"})
