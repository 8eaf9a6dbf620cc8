"""The Upsales sandbox's entities and envelopes against the example responses of Upsales'
official Postman collection: every field the sandbox answers is one Upsales answers (or one the
reference sources elsewhere, listed below), with the JSON type the examples show, and the
fields the sync reads are in both."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.sandbox.upsales.conftest import body
from tests.sandbox.upsales.postman import Examples, Shape, examples, json_type
from ufs_sandboxes.upsales import DemoUpsalesSeed

#: Fields the examples lack that the reference (upsales.md §3) takes from the Upsales Python
#: SDK's models of real records (``models/orders.py``: 70 samples; ``models/order_stages.py``).
SEEN_IN_REAL_RECORDS: dict[str, frozenset[str]] = {
    "orders": frozenset(
        {
            "regBy",
            "priceListId",
            "oneOffValue",
            "monthlyValue",
            "annualValue",
            "purchaseCost",
            "contributionMargin",
            "lostReason",
            "competitorId",
        }
    ),
    "orderRow": frozenset({"purchaseCost"}),  # as on the examples' bundleRows
    "orderstages": frozenset({"exclude"}),
}

#: What the sync reads of each entity: present in the examples and in the sandbox's answer.
READ_BY_THE_SYNC: dict[str, frozenset[str]] = {
    "accounts": frozenset(
        {"id", "name", "orgNo", "phone", "addresses", "custom", "users", "regBy", "modDate"}
    ),
    "orders": frozenset(
        {
            "id",
            "description",
            "date",
            "client",
            "user",
            "stage",
            "probability",
            "currency",
            "orderRow",
            "custom",
            "value",
            "modDate",
        }
    ),
    "orderRow": frozenset({"quantity", "price", "listPrice", "product", "productId", "custom"}),
    "products": frozenset(
        {"id", "name", "articleNo", "listPrice", "purchaseCost", "active", "currencies"}
    ),
    "users": frozenset({"id", "name", "email", "active", "ghost"}),
    "orderstages": frozenset({"id", "name", "probability"}),
    "priceLists": frozenset({"id", "name", "code", "isDefault", "active"}),
    "customfields": frozenset({"id", "name", "alias", "datatype"}),
}


def differences(label: str, shape: Shape, names: set[str], record: dict[str, Any]) -> list[str]:
    """Fields of ``record`` unknown to the examples, or of a type they never show."""
    found = []
    allowed = SEEN_IN_REAL_RECORDS.get(label, frozenset())
    for name, value in record.items():
        if name not in shape.types and name not in names and name not in allowed:
            found.append(f"{label}.{name}: not in Upsales' examples")
            continue
        seen = shape.types.get(name, set())
        if value is not None and seen and json_type(value) not in seen:
            found.append(f"{label}.{name}: {json_type(value)}, examples show {sorted(seen)}")
    return found


def missing(label: str, shape: Shape, record: dict[str, Any]) -> list[str]:
    read = READ_BY_THE_SYNC.get(label, frozenset())
    return [
        f"{label}.{name}: read by the sync but absent" for name in sorted(read - set(record))
    ] + [
        f"{label}.{name}: read by the sync but not in Upsales' examples"
        for name in sorted(read - set(shape.types))
    ]


async def _get(client: httpx.AsyncClient, path: str) -> dict[str, Any]:
    response = await client.get(path)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = body(response)
    return answer


def _check(label: str, found: Examples, record: dict[str, Any]) -> list[str]:
    return differences(label, found.records, found.sent_names, record) + missing(
        label, found.records, record
    )


@pytest.mark.parametrize(
    ("label", "path_pattern", "path"),
    [
        ("accounts", "accounts", "accounts/{account}"),
        ("products", "products", "products/{product}"),
        ("orders", "orders", "orders/{order}"),
        ("users", "(master/)?users", "users"),
        ("orderstages", "orderstages", "orderstages"),
        ("priceLists", "priceLists", "priceLists"),
        ("customfields", "customfields/(account|order|product)", "customfields/account"),
    ],
)
async def test_sandbox_records_have_upsales_field_names_and_types(
    client: httpx.AsyncClient, demo: DemoUpsalesSeed, label: str, path_pattern: str, path: str
) -> None:
    found = examples(path_pattern, nested=("orderRow",))
    assert found.records.types, f"no examples of {label} in the collection"
    ids = {
        "account": demo.account_ids[0],
        "product": demo.product_ids_by_article_no["KONS-1"],
        "order": demo.opportunity_id,
    }
    answer = await _get(client, path.format(**ids))
    data = answer["data"]
    records = data if isinstance(data, list) else [data]
    assert records
    problems = [problem for record in records for problem in _check(label, found, record)]
    if label == "orders":
        rows = Examples(records=found.nested_shape("orderRow"))
        problems += [
            problem
            for record in records
            for row in record["orderRow"]
            for problem in _check("orderRow", rows, row)
        ]
    assert problems == []


async def test_an_order_row_and_its_references_are_shaped_as_upsales_shows_them(
    client: httpx.AsyncClient, demo: DemoUpsalesSeed
) -> None:
    found = examples("orders", nested=("client", "user", "stage"))
    order = (await _get(client, f"orders/{demo.opportunity_id}"))["data"]
    problems = []
    for name in ("client", "user", "stage"):
        shape = found.nested_shape(name)
        assert shape.types, name
        problems += differences(name, shape, set(), order[name])
    assert problems == []


async def test_envelopes_are_upsales_envelopes(
    client: httpx.AsyncClient, demo: DemoUpsalesSeed
) -> None:
    listed = examples("accounts").envelopes
    list_keys = {frozenset(e) for e in listed if isinstance(e.get("data"), list)}
    item_keys = {frozenset(e) for e in listed if isinstance(e.get("data"), dict)}
    metadata_keys = {
        frozenset(e["metadata"]) for e in listed if isinstance(e.get("metadata"), dict)
    }
    accounts = await _get(client, "accounts")
    assert frozenset(accounts) in list_keys
    assert frozenset(accounts["metadata"]) in metadata_keys
    account = await _get(client, f"accounts/{demo.account_ids[0]}")
    assert frozenset(account) in item_keys
    product_keys = {
        frozenset(e) for e in examples("products").envelopes if isinstance(e.get("data"), dict)
    }
    product = await _get(client, f"products/{demo.product_ids_by_article_no['KONS-1']}")
    assert frozenset(product) in product_keys
    self_keys = {frozenset(e) for e in examples("self").envelopes}
    own = await _get(client, "self")
    assert frozenset(own) in self_keys
    client_shape = examples("self", nested=("client",)).nested_shape("client")
    assert differences("self.client", client_shape, set(), own["data"]["client"]) == []
    assert differences("self", examples("self").records, set(), own["data"]) == []
