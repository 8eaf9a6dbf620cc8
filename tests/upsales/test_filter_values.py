"""Filter values the bare ``attr=value`` form cannot carry under every reading of Upsales'
filter syntax (``facts.BARE_FILTER_VALUE_KEEPS_COMMAS``): the client finds what they name
under either answer, tried on the Upsales sandbox."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest

from ufs_sandboxes.upsales import UpsalesSandbox, UpsalesSandboxConfig, create_upsales_sandbox
from upsales_fortnox.domain.identity import name_spellings
from upsales_fortnox.integrations.upsales.client import UpsalesClient
from upsales_fortnox.integrations.upsales.filters import eq, gte, to_params
from upsales_fortnox.integrations.upsales.spellings import find_spelled

ORIGIN = "http://upsales.test"


@pytest.fixture
def sandbox() -> UpsalesSandbox:
    return create_upsales_sandbox(UpsalesSandboxConfig())


@pytest.fixture
async def http(sandbox: UpsalesSandbox) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox.app)) as client:
        yield client


@pytest.mark.parametrize("split_bare", [False, True])
async def test_a_name_with_a_comma_is_found_under_either_reading(
    sandbox: UpsalesSandbox, http: httpx.AsyncClient, split_bare: bool
) -> None:
    customer = sandbox.create_customer()
    andersson_berg, andersson = sandbox.seed(
        customer.id, "accounts", [{"name": "Andersson, Berg AB"}, {"name": "Andersson"}]
    )
    sandbox.seed(customer.id, "products", [{"name": "Bult, M8", "listPrice": 2}])
    sandbox.customer(customer.id).bare_filter_values_split_on_commas = split_bare
    client = UpsalesClient(http, base_url=f"{ORIGIN}/api/v2", api_token=customer.api_key)

    spellings = name_spellings("Andersson, Berg AB")
    found = await find_spelled(client.iterate_companies, "name", spellings)
    products = [p.name async for p in client.iterate_products(eq("name", "Bult, M8"))]

    assert [company.id for company in found] == [andersson_berg]
    alone = await find_spelled(client.iterate_companies, "name", name_spellings("Andersson"))
    assert [company.id for company in alone] == [andersson]
    assert products == ["Bult, M8"]


@pytest.mark.parametrize(
    ("filter_", "condition"),
    [
        (eq("name", "Andersson, Berg AB"), {"a": "name", "c": "eq", "v": "Andersson, Berg AB"}),
        (eq("name", "gt:värde"), {"a": "name", "c": "eq", "v": "gt:värde"}),
        (eq("description", "NE: 12"), {"a": "description", "c": "eq", "v": "NE: 12"}),
        (gte("name", "B, C"), {"a": "name", "c": "gte", "v": "B, C"}),
    ],
)
def test_a_value_the_bare_form_would_misread_goes_as_a_q_condition(
    filter_: object, condition: dict[str, str]
) -> None:
    ((name, value),) = to_params([filter_])  # type: ignore[list-item]
    assert name == "q"
    assert json.loads(value) == condition


def test_other_values_keep_the_documented_form() -> None:
    assert to_params([eq("name", "Nordisk Verkstad AB"), eq("orgNo", "556677-8899")]) == [
        ("name", "Nordisk Verkstad AB"),
        ("orgNo", "556677-8899"),
    ]
    assert to_params([eq("name", "AB: Bygg")]) == [("name", "AB: Bygg")]


async def test_an_article_number_spelled_null_is_found_not_read_as_none(
    sandbox: UpsalesSandbox, http: httpx.AsyncClient
) -> None:
    """A bare ``null`` may be read as "no value" (the Upsales sandbox reads it so): the article
    numbered ``null`` is asked as a q condition, where it is a JSON string."""
    customer = sandbox.create_customer()
    (numbered_null,) = sandbox.seed(
        customer.id, "products", [{"name": "Nollartikel", "articleNo": "null", "listPrice": 1}]
    )
    sandbox.seed(customer.id, "products", [{"name": "Utan nummer", "listPrice": 1}])
    client = UpsalesClient(http, base_url=f"{ORIGIN}/api/v2", api_token=customer.api_key)

    found = await client.find_product_by_article_no("null")

    assert found is not None and found.id == numbered_null
    ((name, value),) = to_params([eq("name", "NULL")])
    assert (name, json.loads(value)) == ("q", {"a": "name", "c": "eq", "v": "NULL"})
