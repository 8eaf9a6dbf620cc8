"""Contract scenarios of the Upsales client, each run against the fixtures and the sandbox.

A scenario is a plain async function of an :class:`UpsalesContract`; what must exist
beforehand it arranges through ``api.backend.given``. The fixtures for each scenario are in
``upsales_fixtures.SCRIPTS`` under the same name.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import pytest

from tests.contracts.upsales_backends import API_USER_ID, RATE_WINDOW_SECONDS, UpsalesContract
from upsales_fortnox.integrations.upsales.errors import (
    UpsalesAuthError,
    UpsalesBadRequest,
    UpsalesNotFound,
)
from upsales_fortnox.integrations.upsales.filters import eq
from upsales_fortnox.integrations.upsales.models import (
    CompanyDraft,
    OrderDraft,
    OrderRow,
    Ref,
    UserRef,
    last_written_by_api_key,
)

EXPORTED_COMPANIES = 25
EXPORT_PAGE_SIZE = 10


def order_body(client_id: int, probability: int, *, stage_id: int = 1) -> dict[str, Any]:
    """An order as the seed takes it (and a user would send it)."""
    return {
        "description": f"Licenser {probability} %",
        "date": "2024-05-20",
        "user": {"id": API_USER_ID},
        "client": {"id": client_id},
        "stage": {"id": stage_id},
        "probability": probability,
        "orderRow": [{"quantity": 2, "price": 450, "listPrice": 500, "product": {"id": 1}}],
    }


async def company_create_get_update(api: UpsalesContract) -> None:
    created = await api.client.create_company(
        CompanyDraft(name="  Acme AB ", orgNo="556677-8899", phone="040-123456", active=True)
    )
    assert (created.id, created.name, created.active) == (1, "Acme AB", True)  # trimmed
    assert last_written_by_api_key(created)

    fetched = await api.client.get_company(created.id)
    assert (fetched.name, fetched.orgNo, fetched.phone) == ("Acme AB", "556677-8899", "040-123456")

    updated = await api.client.update_company(created.id, CompanyDraft(phone="040-654321"))
    assert (updated.name, updated.orgNo, updated.phone) == ("Acme AB", "556677-8899", "040-654321")


async def companies_exported_by_id(api: UpsalesContract) -> None:
    ids = api.backend.given(
        "accounts", ({"name": f"Kund {n:02d} AB"} for n in range(1, EXPORTED_COMPANIES + 1))
    )

    exported = [c async for c in api.client.iterate_companies(page_size=EXPORT_PAGE_SIZE)]

    assert [company.id for company in exported] == ids
    assert exported[11].name == "Kund 12 AB"
    assert api.client.call_counts["GET /accounts"] == 3  # 10 + 10 + 5


async def orders_filtered_by_probability_and_company(api: UpsalesContract) -> None:
    api.backend.given("orderstages", [{"name": "Vunnen", "probability": 100}])
    api.backend.given("products", [{"name": "Licens", "listPrice": 500, "articleNo": "LIC-1"}])
    acme, beta = api.backend.given("accounts", [{"name": "Acme AB"}, {"name": "Beta AB"}])
    order_ids = api.backend.given(
        "orders",
        [order_body(acme, 100), order_body(acme, 50), order_body(beta, 100), order_body(acme, 100)],
    )

    won = [
        o async for o in api.client.iterate_orders(eq("probability", 100), eq("client.id", acme))
    ]

    assert [order.id for order in won] == [order_ids[0], order_ids[3]]
    assert all(order.client is not None and order.client.id == acme for order in won)
    assert {order.value for order in won} == {Decimal("900")}


async def bad_api_key_is_refused(api: UpsalesContract) -> None:
    wrong = "not-a-valid-key-0123456789"

    with pytest.raises(UpsalesAuthError) as caught:
        await api.client_with_key(wrong).get_company(1)

    assert caught.value.status == 401
    assert not caught.value.retryable
    assert wrong not in str(caught.value)


async def company_not_found(api: UpsalesContract) -> None:
    with pytest.raises(UpsalesNotFound) as caught:
        await api.client.get_company(999)

    assert caught.value.status == 404
    assert not caught.value.retryable


async def company_without_its_mandatory_name(api: UpsalesContract) -> None:
    with pytest.raises(UpsalesBadRequest) as caught:
        await api.client.create_company(CompanyDraft(orgNo="556677-8899"))

    assert caught.value.status == 400
    assert "name" in (caught.value.upsales_message or "")
    assert not caught.value.retryable


async def rate_limited_until_the_reset(api: UpsalesContract) -> None:
    (acme,) = api.backend.given("accounts", [{"name": "Acme AB"}])
    api.backend.given_budget_used_up()
    started = api.time()

    company = await api.client.get_company(acme)

    assert company.name == "Acme AB"
    assert api.client.call_counts["GET /accounts/{id}"] == 2
    # Waited as long as X-RateLimit-Reset said (the window's end), not a guessed backoff.
    assert api.time() - started == RATE_WINDOW_SECONDS


async def order_value_is_decimal_exact(api: UpsalesContract) -> None:
    (stage,) = api.backend.given("orderstages", [{"name": "Vunnen", "probability": 100}])
    screw, licence = api.backend.given(
        "products",
        [
            {"name": "Skruv", "listPrice": "0.10", "articleNo": "SKR-1"},
            {"name": "Licens", "listPrice": 10000, "articleNo": "LIC-1"},
        ],
    )
    (acme,) = api.backend.given("accounts", [{"name": "Acme AB"}])

    created = await api.client.create_order(
        OrderDraft(
            description="Licenser och skruv",
            date=dt.date(2024, 6, 1),
            user=UserRef(id=API_USER_ID),
            client=Ref(id=acme),
            stage=Ref(id=stage),
            probability=100,
            orderRow=[
                OrderRow(
                    quantity=Decimal(3),
                    price=Decimal("0.10"),
                    listPrice=Decimal("0.10"),
                    product=Ref(id=screw),
                ),
                OrderRow(
                    quantity=Decimal(1),
                    price=Decimal("9000"),
                    listPrice=Decimal("10000"),
                    product=Ref(id=licence),
                ),
            ],
        )
    )
    read = await api.client.get_order(created.id)

    for order in (created, read):
        assert order.value == Decimal("9000.30")  # 3 x 0.10 + 1 x 9000: net prices
        assert order.weightedValue == Decimal("9000.30")
        assert type(order.value) is Decimal
        assert order.orderRow is not None
        assert [row.price for row in order.orderRow] == [Decimal("0.10"), Decimal("9000")]
        assert order.closeDate == dt.date(2024, 6, 1)  # became 100 % today


Scenario = Callable[[UpsalesContract], Awaitable[None]]
SCENARIOS: list[Scenario] = [
    company_create_get_update,
    companies_exported_by_id,
    orders_filtered_by_probability_and_company,
    bad_api_key_is_refused,
    company_not_found,
    company_without_its_mandatory_name,
    rate_limited_until_the_reset,
    order_value_is_decimal_exact,
]
