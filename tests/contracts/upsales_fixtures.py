"""Hand-written Upsales answers for the contract scenarios, after ``reference/upsales.md``.

Envelopes ``{"error", "metadata", "data"}`` (§1), errors ``{"error": {key, code, errorCode,
msg}, "data": null}`` (§1), ``X-RateLimit-*`` headers on every answer with the reset in seconds
(§2), and entities with the fields of §3 (amounts as exact JSON numbers). ``SCRIPTS`` holds one
script per scenario of ``upsales_scenarios``, under the same name.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from tests.contracts.script import Reply
from tests.contracts.upsales_backends import (
    API_USER_ID,
    RATE_LIMIT,
    RATE_WINDOW_SECONDS,
    FixtureUpsales,
)
from tests.contracts.upsales_scenarios import EXPORT_PAGE_SIZE, EXPORTED_COMPANIES

D = Decimal
STAMP = "2024-06-01T12:00:00.000Z"
API_USER = {"id": API_USER_ID, "name": "API", "email": "api-key-1@api.upsales.com"}
"""Writes made with an API key are attributed to an ``@api.upsales.com`` user (§1)."""


def _with(base: dict[str, Any], fields: dict[str, Any]) -> dict[str, Any]:
    unknown = fields.keys() - base.keys()
    assert not unknown, f"not a field of this entity: {sorted(unknown)}"
    return {**base, **fields}


def account(account_id: int, name: str, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": account_id,
        "name": name,
        "orgNo": None,
        "phone": None,
        "fax": None,
        "webpage": None,
        "notes": None,
        "about": None,
        "active": 1,
        "parent": None,
        "users": [],
        "addresses": [],
        "mailAddress": None,
        "custom": [],
        "categories": [],
        "projects": [],
        "isExternal": 0,
        "currency": "SEK",
        "journeyStep": "lead",
        "regDate": STAMP,
        "regBy": API_USER,
        "modDate": STAMP,
    }
    return _with(base, fields)


def order_row(
    row_id: int, quantity: str, price: str, list_price: str, product: tuple[int, str], sort_id: int
) -> dict[str, Any]:
    product_id, product_name = product
    return {
        "id": row_id,
        "quantity": D(quantity),
        "price": D(price),
        "listPrice": D(list_price),
        "discount": D(0),
        "purchaseCost": D(0),
        "productId": product_id,
        "sortId": sort_id,
        "custom": [],
        "product": {"id": product_id, "name": product_name, "category": None},
    }


def order(
    order_id: int,
    description: str,
    date: str,
    client: tuple[int, str],
    stage: tuple[int, str],
    probability: int,
    rows: list[dict[str, Any]],
) -> dict[str, Any]:
    """An order in the master currency, closed today, no purchase cost, no recurring rows."""
    value = sum((row["quantity"] * row["price"] for row in rows), D(0))
    weighted = value * probability / 100
    client_id, client_name = client
    stage_id, stage_name = stage
    return {
        "id": order_id,
        "description": description,
        "date": date,
        "closeDate": "2024-06-01",
        "notes": None,
        "user": {**API_USER, "role": None},
        "client": {"id": client_id, "name": client_name, "users": []},
        "contact": None,
        "clientConnection": None,
        "stage": {"id": stage_id, "name": stage_name},
        "probability": probability,
        "currency": "SEK",
        "currencyRate": D(1),
        "priceListId": None,
        "locked": 0,
        "lostReason": None,
        "competitorId": None,
        "custom": [],
        "orderRow": rows,
        "regDate": STAMP,
        "regBy": API_USER,
        "modDate": STAMP,
        "value": value,
        "weightedValue": weighted,
        "valueInMasterCurrency": value,
        "weightedValueInMasterCurrency": weighted,
        "purchaseCost": D(0),
        "contributionMargin": value,
        "oneOffValue": value,
        "monthlyValue": D("0.00"),
        "annualValue": D("0.00"),
    }


def item(data: dict[str, Any]) -> dict[str, Any]:
    return {"error": None, "data": data}


def listing(data: list[dict[str, Any]], total: int, limit: int) -> dict[str, Any]:
    return {"error": None, "metadata": {"total": total, "limit": limit, "offset": 0}, "data": data}


def error(status: int, key: str, msg: str) -> dict[str, Any]:
    return {"error": {"key": key, "code": status, "errorCode": None, "msg": msg}, "data": None}


def limits(remaining: int, reset: float = RATE_WINDOW_SECONDS) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": str(RATE_LIMIT),
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": str(int(reset)),
    }


def answer(
    method: str,
    path: str,
    body: dict[str, Any],
    *,
    remaining: int,
    status: int = 200,
    params: dict[str, str] | None = None,
    sent: Any = None,
) -> Reply:
    """One scripted answer with its rate-limit headers; ``sent`` is checked when given."""
    options: dict[str, Any] = {} if sent is None else {"sent": sent}
    return Reply(
        method,
        f"/api/v2{path}",
        status,
        body,
        params=params or {},
        headers=limits(remaining),
        **options,
    )


# Scripts


def company_create_get_update(fx: FixtureUpsales) -> Sequence[Reply]:
    acme = account(1, "Acme AB", orgNo="556677-8899", phone="040-123456")
    moved = {**acme, "phone": "040-654321"}
    sent = {"name": "  Acme AB ", "orgNo": "556677-8899", "phone": "040-123456", "active": 1}
    return [
        answer("POST", "/accounts", item(acme), remaining=199, sent=sent),
        answer("GET", "/accounts/1", item(acme), remaining=198),
        answer("PUT", "/accounts/1", item(moved), remaining=197, sent={"phone": "040-654321"}),
    ]


def companies_exported_by_id(fx: FixtureUpsales) -> Sequence[Reply]:
    companies = [account(n, f"Kund {n:02d} AB") for n in range(1, EXPORTED_COMPANIES + 1)]
    size = EXPORT_PAGE_SIZE
    first = {"sort": "id", "limit": str(size)}
    return [
        answer("GET", "/accounts", listing(companies[:10], 25, size), remaining=199, params=first),
        answer(
            "GET",
            "/accounts",
            listing(companies[10:20], 15, size),
            remaining=198,
            params={**first, "id": "gt:10"},
        ),
        answer(
            "GET",
            "/accounts",
            listing(companies[20:], 5, size),
            remaining=197,
            params={**first, "id": "gt:20"},
        ),
    ]


def orders_filtered_by_probability_and_company(fx: FixtureUpsales) -> Sequence[Reply]:
    acme, stage, licence = (1, "Acme AB"), (1, "Vunnen"), (1, "Licens")

    def won(order_id: int) -> dict[str, Any]:
        row = order_row(order_id, "2", "450", "500", licence, 1)
        return order(order_id, "Licenser 100 %", "2024-05-20", acme, stage, 100, [row])

    params = {"sort": "id", "limit": "2000", "probability": "100", "client.id": "1"}
    return [
        answer("GET", "/orders", listing([won(1), won(4)], 2, 2000), remaining=199, params=params)
    ]


def bad_api_key_is_refused(fx: FixtureUpsales) -> Sequence[Reply]:
    refused = error(401, "Unauthorized", "A valid API key is required")
    return [answer("GET", "/accounts/1", refused, status=401, remaining=RATE_LIMIT)]


def company_not_found(fx: FixtureUpsales) -> Sequence[Reply]:
    missing = error(404, "NotFound", "Account 999 not found")
    return [answer("GET", "/accounts/999", missing, status=404, remaining=199)]


def company_without_its_mandatory_name(fx: FixtureUpsales) -> Sequence[Reply]:
    refused = error(400, "BadRequest", "Missing mandatory field: name")
    return [
        answer(
            "POST", "/accounts", refused, status=400, remaining=199, sent={"orgNo": "556677-8899"}
        )
    ]


def rate_limited_until_the_reset(fx: FixtureUpsales) -> Sequence[Reply]:
    throttled = error(429, "TooManyRequests", "Too many requests")
    return [
        Reply(
            "GET",
            "/api/v2/accounts/1",
            429,
            throttled,
            headers=limits(0, reset=RATE_WINDOW_SECONDS),
            again_while=fx.throttled,
        ),
        answer("GET", "/accounts/1", item(account(1, "Acme AB")), remaining=199),
    ]


def order_value_is_decimal_exact(fx: FixtureUpsales) -> Sequence[Reply]:
    rows = [
        order_row(1, "3", "0.10", "0.10", (1, "Skruv"), 1),
        order_row(2, "1", "9000", "10000", (2, "Licens"), 2),
    ]
    created = order(1, "Licenser och skruv", "2024-06-01", (1, "Acme AB"), (1, "Vunnen"), 100, rows)
    sent = {
        "description": "Licenser och skruv",
        "date": "2024-06-01",
        "probability": 100,
        "user": {"id": API_USER_ID},
        "client": {"id": 1},
        "stage": {"id": 1},
        "orderRow": [
            {"quantity": 3, "price": D("0.10"), "listPrice": D("0.10"), "product": {"id": 1}},
            {"quantity": 1, "price": 9000, "listPrice": 10000, "product": {"id": 2}},
        ],
    }
    return [
        answer("POST", "/orders", item(created), remaining=199, sent=sent),
        answer("GET", "/orders/1", item(created), remaining=198),
    ]


SCRIPTS: dict[str, Callable[[FixtureUpsales], Sequence[Reply]]] = {
    script.__name__: script
    for script in (
        company_create_get_update,
        companies_exported_by_id,
        orders_filtered_by_probability_and_company,
        bad_api_key_is_refused,
        company_not_found,
        company_without_its_mandatory_name,
        rate_limited_until_the_reset,
        order_value_is_decimal_exact,
    )
}
