"""An order Upsales refuses is checked against the account's currencies, then and only then:
a currency missing or inactive there is told as ``upsales_currency_missing``."""

from __future__ import annotations

from typing import Any

import pytest
import respx
from upsales_fakes import envelope

from upsales_fortnox.integrations.upsales.client import UpsalesClient
from upsales_fortnox.integrations.upsales.errors import (
    UpsalesBadRequest,
    UpsalesCurrencyMissing,
)
from upsales_fortnox.integrations.upsales.models import OrderDraft
from upsales_fortnox.sync.effects.order_currency import currency_told

REFUSAL = {"error": {"key": "BadRequest", "code": 400, "msg": "invalid value"}, "data": None}
SEK = {"iso": "SEK", "rate": 1, "masterCurrency": True, "active": 1}


async def _create(client: UpsalesClient, currency: str | None) -> None:
    draft = OrderDraft(description="Fortnox-faktura 1", currency=currency)
    async with currency_told(client, currency):
        await client.create_order(draft)


@pytest.mark.parametrize(
    "listed",
    [[SEK], [SEK, {"iso": "EUR", "rate": 0.087, "masterCurrency": False, "active": 0}]],
    ids=["absent", "inactive"],
)
async def test_a_refused_order_in_a_currency_the_account_lacks_names_it(
    client: UpsalesClient, upsales_api: respx.MockRouter, listed: list[dict[str, Any]]
) -> None:
    upsales_api.post("/orders").respond(400, json=REFUSAL)
    currencies = upsales_api.get("/currencies").respond(200, json=envelope(listed, total=2))
    with pytest.raises(UpsalesCurrencyMissing) as caught:
        await _create(client, "EUR")
    assert caught.value.code == "upsales_currency_missing"
    assert "EUR" in caught.value.message
    assert isinstance(caught.value.__cause__, UpsalesBadRequest)
    assert currencies.call_count == 1


async def test_a_refusal_of_a_listed_currency_stays_upsales_own(
    client: UpsalesClient, upsales_api: respx.MockRouter
) -> None:
    upsales_api.post("/orders").respond(400, json=REFUSAL)
    eur = {"iso": "eur", "rate": 0.087, "masterCurrency": False, "active": 1}
    upsales_api.get("/currencies").respond(200, json=envelope([SEK, eur], total=2))
    with pytest.raises(UpsalesBadRequest) as caught:
        await _create(client, "EUR")
    assert type(caught.value) is UpsalesBadRequest
    assert "invalid value" in caught.value.message


async def test_an_order_taken_or_without_a_currency_reads_no_list(
    client: UpsalesClient, upsales_api: respx.MockRouter
) -> None:
    currencies = upsales_api.get("/currencies").respond(200, json=envelope([SEK], total=1))
    order = {"id": 5, "description": "Fortnox-faktura 1", "currency": "EUR"}
    upsales_api.post("/orders").respond(200, json=envelope(order))
    await _create(client, "EUR")  # Upsales takes it: nothing is checked
    upsales_api.post("/orders").respond(400, json=REFUSAL)
    with pytest.raises(UpsalesBadRequest) as caught:
        await _create(client, None)
    assert type(caught.value) is UpsalesBadRequest
    assert currencies.call_count == 0


async def test_when_the_list_cannot_be_read_upsales_own_refusal_stands(
    client: UpsalesClient, upsales_api: respx.MockRouter
) -> None:
    upsales_api.post("/orders").respond(400, json=REFUSAL)
    denied = {"error": {"key": "Unauthorized", "code": 401, "msg": "no"}, "data": None}
    upsales_api.get("/currencies").respond(401, json=denied)
    with pytest.raises(UpsalesBadRequest) as caught:
        await _create(client, "EUR")
    assert type(caught.value) is UpsalesBadRequest
    assert "invalid value" in caught.value.message
