"""Products' prices on an account with price lists, as the Postman collection shows them (PM
Products, "With price lists"): with ``usePriceLists=true`` every list's prices, each naming its
list, and a write replaces them all; without it the default list's prices."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.sandbox.upsales.conftest import body
from tests.sandbox.upsales.postman import examples
from ufs_sandboxes.upsales import DemoUpsalesSeed, UpsalesSandbox

D = Decimal
WITH_LISTS = {"usePriceLists": "true"}
"""The query parameter (httpx drops a query written in the URL when the client has params)."""


def _prices(product: dict[str, Any]) -> set[tuple[Any, str, Decimal]]:
    return {(e.get("priceListId"), e["currency"], D(e["price"])) for e in product["currencies"]}


async def _two_lists(client: httpx.AsyncClient, demo: DemoUpsalesSeed) -> tuple[int, int]:
    """A partner price list, and a product with SEK and EUR prices in both lists."""
    partner = body(await client.post("priceLists", json={"name": "Partner"}))["data"]["id"]
    standard = demo.price_list_id
    created = await client.post(
        "products",
        params=WITH_LISTS,
        json={
            "name": "Licens",
            "listPrice": 1000,
            "currencies": [
                {"currency": "SEK", "price": 1000, "priceListId": standard},
                {"currency": "EUR", "price": 100, "priceListId": standard},
                {"currency": "SEK", "price": 800, "priceListId": partner},
                {"currency": "EUR", "price": 80, "priceListId": partner},
            ],
        },
    )
    assert created.status_code == 200, created.text
    return partner, body(created)["data"]["id"]


async def test_with_use_price_lists_every_lists_prices_name_their_list(
    client: httpx.AsyncClient, demo: DemoUpsalesSeed
) -> None:
    partner, product_id = await _two_lists(client, demo)
    standard = demo.price_list_id

    listed = body(await client.get(f"products/{product_id}", params=WITH_LISTS))["data"]
    plain = body(await client.get(f"products/{product_id}"))["data"]

    assert _prices(listed) == {
        (standard, "SEK", D(1000)),
        (standard, "EUR", D(100)),
        (partner, "SEK", D(800)),
        (partner, "EUR", D(80)),
    }
    assert _prices(plain) == {(None, "SEK", D(1000)), (None, "EUR", D(100))}  # the default's


async def test_a_write_with_use_price_lists_replaces_every_lists_prices(
    client: httpx.AsyncClient, demo: DemoUpsalesSeed
) -> None:
    partner, product_id = await _two_lists(client, demo)
    only_standard = [{"currency": "EUR", "price": 90, "priceListId": demo.price_list_id}]

    answer = await client.put(
        f"products/{product_id}", params=WITH_LISTS, json={"currencies": only_standard}
    )

    assert _prices(body(answer)["data"]) == {(demo.price_list_id, "EUR", D(90))}
    twice = [{"currency": "EUR", "price": 1, "priceListId": partner}] * 2
    refused = await client.put(
        f"products/{product_id}", params=WITH_LISTS, json={"currencies": twice}
    )
    assert refused.status_code == 400


@pytest.mark.parametrize("keep", [False, True])
async def test_a_plain_write_sets_the_default_lists_prices(
    client: httpx.AsyncClient, demo: DemoUpsalesSeed, sandbox: UpsalesSandbox, keep: bool
) -> None:
    sandbox.customer(demo.customer_id).plain_price_writes_keep_other_lists = keep
    partner, product_id = await _two_lists(client, demo)

    await client.put(
        f"products/{product_id}", json={"currencies": [{"currency": "EUR", "price": 95}]}
    )

    listed = body(await client.get(f"products/{product_id}", params=WITH_LISTS))["data"]
    others = {(partner, "SEK", D(800)), (partner, "EUR", D(80))} if keep else set()
    assert _prices(listed) == {(demo.price_list_id, "EUR", D(95)), *others}


async def test_price_entries_have_the_fields_of_upsales_examples(
    client: httpx.AsyncClient, demo: DemoUpsalesSeed
) -> None:
    _, product_id = await _two_lists(client, demo)
    shapes = {
        use: examples(
            "products",
            nested=("currencies",),
            url_filter=lambda url, use=use: ("usePriceLists=true" in url) == use,
        ).nested_shape("currencies")
        for use in (True, False)
    }
    assert "priceListId" in shapes[True].types and "priceListId" not in shapes[False].types
    for use, query in ((True, WITH_LISTS), (False, {})):
        product = body(await client.get(f"products/{product_id}", params=query))["data"]
        for entry in product["currencies"]:
            assert set(entry) <= set(shapes[use].types), (use, entry)
            assert ("priceListId" in entry) == use
