"""A customer or article the bookkeeper adds in Fortnox links the Upsales company or product
that is already there, however its organisation number or name was typed, as the initial
import links it: not a second company or product beside it."""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import EventFeed, fortnox_call, jobs_of, link_of
from upsales_fortnox.vocabulary import FortnoxType


async def _customer_added(harness: SyncHarness, number: str, **fields: str) -> None:
    customer = {"CustomerNumber": number, **fields}
    await fortnox_call(harness, "POST", "/customers", {"Customer": customer})
    await EventFeed(harness).sync()


def _made_in_upsales(harness: SyncHarness, kind: str, body: dict[str, Any]) -> int:
    made = harness.upsales.create_entity(harness.demo.customer_id, kind, body, fire_hooks=False)
    return int(made["id"])


async def _linked_to(harness: SyncHarness, fortnox_type: FortnoxType, number: str) -> int:
    link = await link_of(harness, fortnox_type, number)
    kind = "fortnox.customer" if fortnox_type is FortnoxType.CUSTOMER else "fortnox.article"
    (job,) = await jobs_of(harness, kind, number)
    assert link is not None, job.result
    return link.upsales_id


async def test_a_vat_number_typed_as_the_organisation_number_links_the_company(
    harness: SyncHarness,
) -> None:
    accounts = len(harness.upsales_entities("accounts"))
    fjallbacka = harness.demo.account_ids[1]  # orgNo 559123-4567
    await _customer_added(
        harness, "901", Name="Fjällbacka Fisk och Skaldjur", OrganisationNumber="SE559123456701"
    )
    assert await _linked_to(harness, FortnoxType.CUSTOMER, "901") == fjallbacka
    assert len(harness.upsales_entities("accounts")) == accounts


@pytest.mark.parametrize(
    "typed_in_upsales",
    ["SE556036079301", "556036 0793", "556036\u20130793", "SE 556036-0793 01", "5560360793"],
)
async def test_a_company_whose_organisation_number_is_typed_otherwise_is_linked(
    harness: SyncHarness, typed_in_upsales: str
) -> None:
    company = _made_in_upsales(
        harness, "accounts", {"name": "Kiruna Gruvteknik AB", "orgNo": typed_in_upsales}
    )
    accounts = len(harness.upsales_entities("accounts"))
    await _customer_added(
        harness, "902", Name="Kiruna Gruvteknik Aktiebolag", OrganisationNumber="556036-0793"
    )
    assert await _linked_to(harness, FortnoxType.CUSTOMER, "902") == company
    assert len(harness.upsales_entities("accounts")) == accounts


async def test_a_company_named_with_a_double_space_is_linked(harness: SyncHarness) -> None:
    company = _made_in_upsales(harness, "accounts", {"name": "Luleå  Båtvarv AB"})
    accounts = len(harness.upsales_entities("accounts"))
    await _customer_added(harness, "903", Name="Luleå Båtvarv AB")
    assert await _linked_to(harness, FortnoxType.CUSTOMER, "903") == company
    assert len(harness.upsales_entities("accounts")) == accounts


@pytest.mark.parametrize(
    ("in_upsales", "description"),
    [
        ("Workshop,  halvdag", "Workshop, halvdag"),
        ("Utbildning Göteborg", unicodedata.normalize("NFD", "Utbildning Göteborg")),
        ("Utbildning  halvdag", "UTBILDNING HALVDAG"),
        (unicodedata.normalize("NFD", "Utbildning Göteborg"), "Utbildning Göteborg"),
    ],
    ids=[
        "double-space-and-comma",
        "decomposed-letters",
        "double-space-and-case",
        "decomposed-in-upsales",
    ],
)
async def test_an_article_links_the_product_named_alike(
    harness: SyncHarness, in_upsales: str, description: str
) -> None:
    product = _made_in_upsales(harness, "products", {"name": in_upsales, "listPrice": 5000})
    products = len(harness.upsales_entities("products"))
    article = {"ArticleNumber": "WS-1", "Description": description}
    await fortnox_call(harness, "POST", "/articles", {"Article": article})
    await EventFeed(harness).sync()
    assert await _linked_to(harness, FortnoxType.ARTICLE, "WS-1") == product
    assert len(harness.upsales_entities("products")) == products
