"""The app ``serve`` and the demo run (``build_service_app``) refuses settings the live systems
contradict: unknown ids, and stages that do not mean what their field says."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.e2e.harness import SyncHarness
from upsales_fortnox.main import build_service_app


@pytest.fixture
async def service_client(harness: SyncHarness) -> AsyncIterator[httpx.AsyncClient]:
    app = build_service_app(services=harness.services)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
        yield client


async def _put(client: httpx.AsyncClient, harness: SyncHarness, **overrides: Any) -> Any:
    url = f"/api/installations/{harness.installation_id}/settings"
    current = await client.get(url, headers=harness.admin_headers)
    body = {
        "syncType": "invoice",
        "wonStage": harness.demo.stage_won_id,
        "lostStage": harness.demo.stage_lost_id,
        "placeholderUser": harness.demo.admin_user_id,
        "priceList": "A",
        **overrides,
    }
    headers = {**harness.admin_headers, "If-Match": current.headers["etag"]}
    return await client.put(url, json=body, headers=headers)


def _problems(response: httpx.Response) -> dict[str, dict[str, str]]:
    assert response.status_code == 422, response.text
    return {p["field"]: p for p in response.json()["error"]["details"]}


async def test_unknown_ids_are_refused_with_the_valid_choices(
    harness: SyncHarness, service_client: httpx.AsyncClient
) -> None:
    problems = _problems(
        await _put(service_client, harness, wonStage=9999, placeholderUser=8888, priceList="ZZ")
    )
    assert {field: p["code"] for field, p in problems.items()} == {
        "wonStage": "unknown_reference",
        "placeholderUser": "unknown_reference",
        "priceList": "unknown_reference",
    }
    assert f"{harness.demo.stage_won_id} (Vunnen order, 100 %)" in problems["wonStage"]["message"]
    assert str(harness.demo.admin_user_id) in problems["placeholderUser"]["message"]
    assert "A" in problems["priceList"]["message"].split("choose one of:")[1]


async def test_stages_must_mean_what_their_field_says(
    harness: SyncHarness, service_client: httpx.AsyncClient
) -> None:
    demo = harness.demo
    problems = _problems(
        await _put(
            service_client,
            harness,
            syncType="order_offer",
            wonStage=demo.stage_offer_id,
            lostStage=demo.stage_contact_id,
            offerStage=demo.stage_won_id,
        )
    )
    assert {field: p["code"] for field, p in problems.items()} == {
        "wonStage": "wrong_stage_probability",
        "lostStage": "wrong_stage_probability",
        "offerStage": "wrong_stage_probability",
    }
    assert f"{demo.stage_won_id} (Vunnen order, 100 %)" in problems["wonStage"]["message"]
    assert f"{demo.stage_lost_id} (Förlorad, 0 %)" in problems["lostStage"]["message"]
    assert f"{demo.stage_offer_id} (Offert, 50 %)" in problems["offerStage"]["message"]

    accepted = await _put(
        service_client, harness, syncType="order_offer", offerStage=demo.stage_offer_id
    )
    assert accepted.status_code == 200, accepted.text


async def test_an_offer_stage_the_module_ignores_is_refused(
    harness: SyncHarness, service_client: httpx.AsyncClient
) -> None:
    problems = _problems(
        await _put(
            service_client, harness, syncType="invoice", offerStage=harness.demo.stage_offer_id
        )
    )
    assert problems["offerStage"]["code"] == "not_used"
    assert "order_offer" in problems["offerStage"]["message"]


async def test_a_currency_mapped_to_a_price_list_fortnox_lacks_is_refused(
    harness: SyncHarness, service_client: httpx.AsyncClient
) -> None:
    """``currencyPriceLists`` names Fortnox price lists as ``priceList`` does: an unknown one is
    refused with the valid choices, and nothing is stored."""
    url = f"/api/installations/{harness.installation_id}/settings"
    before = (await service_client.get(url, headers=harness.admin_headers)).json()

    problems = _problems(await _put(service_client, harness, currencyPriceLists={"EUR": "NOPE"}))

    assert problems["currencyPriceLists"]["code"] == "unknown_reference"
    message = problems["currencyPriceLists"]["message"]
    assert "EUR" in message and "NOPE" in message
    assert "A" in message.split("choose one of:")[1]
    assert (await service_client.get(url, headers=harness.admin_headers)).json() == before

    accepted = await _put(service_client, harness, currencyPriceLists={"EUR": "A"})
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["currencyPriceLists"] == {"EUR": "A"}
