"""UpsalesClient against a mocked Upsales API: envelopes, endpoints, exports and writes."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest
import respx
from upsales_fakes import BASE_URL, TOKEN, FakeTime, envelope

from upsales_fortnox.integrations.api_transport import BEFORE_WRITE
from upsales_fortnox.integrations.pacing import SlidingWindowLimiter
from upsales_fortnox.integrations.send_check import before_sending, checked_before_sending
from upsales_fortnox.integrations.upsales.client import UpsalesClient
from upsales_fortnox.integrations.upsales.errors import (
    UpsalesMalformedResponse,
    UpsalesUnexpectedData,
)
from upsales_fortnox.integrations.upsales.filters import eq, gte, lte
from upsales_fortnox.integrations.upsales.models import (
    CompanyDraft,
    OrderDraft,
    OrderRow,
    ProductDraft,
    Ref,
)
from upsales_fortnox.integrations.upsales.request_rules import RATE_LIMIT, RATE_WINDOW_SECONDS
from upsales_fortnox.integrations.upsales.spellings import find_spelled


async def test_get_company_unwraps_the_envelope(
    client: UpsalesClient, upsales_api: respx.MockRouter
) -> None:
    route = upsales_api.get("/accounts/7").respond(
        json=envelope({"id": 7, "name": "Acme AB", "active": True, "orgNo": "556677-8899"})
    )
    company = await client.get_company(7)
    assert (company.id, company.name, company.active) == (7, "Acme AB", True)
    request = route.calls.last.request
    assert request.url.params["token"] == TOKEN
    assert request.headers["Accept"] == "application/json"


async def test_get_self_reads_the_errors_spelling_of_the_envelope(
    client: UpsalesClient, upsales_api: respx.MockRouter
) -> None:
    upsales_api.get("/self").respond(
        json={
            "errors": None,
            "data": {"id": 1, "email": "k@api.upsales.com", "client": {"id": 9, "name": "C"}},
        }
    )
    me = await client.get_self()
    assert me.client == Ref(id=9, name="C")


async def test_cookie_auth_mode_keeps_the_token_out_of_the_url(
    make_client: Callable[..., UpsalesClient], upsales_api: respx.MockRouter
) -> None:
    route = upsales_api.get("/orders/3").respond(json=envelope({"id": 3}))
    await make_client(auth_mode="cookie").get_order(3)
    request = route.calls.last.request
    assert "token" not in request.url.params
    assert request.headers["Cookie"] == f"token={TOKEN}"


async def test_create_sends_set_fields_with_exact_numbers(
    client: UpsalesClient, upsales_api: respx.MockRouter
) -> None:
    route = upsales_api.post("/orders").mock(
        return_value=httpx.Response(
            200,
            content=b'{"error":null,"data":{"id":501,"value":12345678901234567.89,'
            b'"orderRow":[{"id":1,"quantity":1,"price":12345678901234567.89}]}}',
        )
    )
    draft = OrderDraft(
        description="Licenser",
        date=dt.date(2024, 3, 1),
        probability=100,
        client=Ref(id=7),
        orderRow=[OrderRow(quantity=Decimal(1), price=Decimal("0.10"), product=Ref(id=44))],
    )
    order = await client.create_order(draft)
    assert order.value == Decimal("12345678901234567.89")
    request = route.calls.last.request
    assert request.headers["Content-Type"] == "application/json"
    assert b'"price":0.10' in request.content
    sent = json.loads(request.content, parse_float=Decimal)
    assert sent == {
        "description": "Licenser",
        "date": "2024-03-01",
        "probability": 100,
        "client": {"id": 7},
        "orderRow": [{"quantity": 1, "price": Decimal("0.10"), "product": {"id": 44}}],
    }


async def test_update_is_a_partial_put(
    client: UpsalesClient, upsales_api: respx.MockRouter
) -> None:
    route = upsales_api.put("/accounts/7").respond(
        json=envelope({"id": 7, "name": "Acme AB", "phone": "08-123"})
    )
    company = await client.update_company(7, CompanyDraft(phone="08-123"))
    assert company.phone == "08-123"
    assert json.loads(route.calls.last.request.content) == {"phone": "08-123"}


class LeaseOver(Exception):
    """What a job's check raises once its lease has ended."""


async def test_a_write_is_not_sent_when_the_check_before_sending_refuses(
    client: UpsalesClient, upsales_api: respx.MockRouter
) -> None:
    def refuse() -> None:
        raise LeaseOver

    company = {"id": 7, "name": "Acme AB", "active": True}
    create = upsales_api.post("/accounts").respond(json=envelope(company))
    update = upsales_api.put("/accounts/7").respond(json=envelope(company))
    read = upsales_api.get("/accounts/7").respond(json=envelope(company))

    with checked_before_sending(refuse):
        with pytest.raises(LeaseOver):
            await client.create_company(CompanyDraft(name="Acme AB"))
        with pytest.raises(LeaseOver):
            await client.update_company(7, CompanyDraft(phone="08-123"))
        assert (await client.get_company(7)).name == "Acme AB"  # reads are not checked

    assert (create.call_count, update.call_count, read.call_count) == (0, 0, 1)
    await client.create_company(CompanyDraft(name="Acme AB"))  # outside the check: sent
    assert create.call_count == 1


async def test_a_write_asks_the_transport_to_check_again_once_it_holds_its_connection(
    client: UpsalesClient, upsales_api: respx.MockRouter
) -> None:
    create = upsales_api.post("/accounts").respond(json=envelope({"id": 7, "name": "Acme AB"}))
    read = upsales_api.get("/accounts/7").respond(json=envelope({"id": 7, "name": "Acme AB"}))
    await client.create_company(CompanyDraft(name="Acme AB"))
    await client.get_company(7)
    assert create.calls.last.request.extensions[BEFORE_WRITE] is before_sending
    assert BEFORE_WRITE not in read.calls.last.request.extensions


async def test_export_pages_by_id_until_the_last_page(
    client: UpsalesClient, upsales_api: respx.MockRouter
) -> None:
    pages = [[1, 2], [3, 4], [5]]
    route = upsales_api.get("/orders").mock(
        side_effect=[
            httpx.Response(200, json=envelope([{"id": i} for i in ids], total=total, limit=2))
            for ids, total in zip(pages, (5, 3, 1), strict=True)
        ]
    )
    orders = [
        order.id async for order in client.iterate_orders(eq("probability", 100), page_size=2)
    ]
    assert orders == [1, 2, 3, 4, 5]
    queries = [call.request.url.params for call in route.calls]
    assert len(queries) == 3
    for params in queries:
        assert (params["sort"], params["limit"], params["probability"]) == ("id", "2", "100")
    assert ["id" in queries[0], queries[1]["id"], queries[2]["id"]] == [False, "gt:2", "gt:4"]


async def test_an_export_after_an_id_starts_past_it(
    client: UpsalesClient, upsales_api: respx.MockRouter
) -> None:
    route = upsales_api.get("/products").mock(
        side_effect=[
            httpx.Response(200, json=envelope([{"id": i, "name": "P"} for i in ids], total=total))
            for ids, total in (([8, 9], 3), ([12], 1))
        ]
    )
    products = [p.id async for p in client.iterate_products(page_size=2, after_id=7)]
    assert products == [8, 9, 12]
    assert [call.request.url.params["id"] for call in route.calls] == ["gt:7", "gt:9"]


async def test_export_without_totals_stops_on_a_short_or_empty_page(
    client: UpsalesClient, upsales_api: respx.MockRouter
) -> None:
    route = upsales_api.get("/products").mock(
        side_effect=[
            httpx.Response(200, json=envelope([{"id": 1}, {"id": 2}])),
            httpx.Response(200, json=envelope([])),
        ]
    )
    assert [p.id async for p in client.iterate_products(page_size=2)] == [1, 2]
    assert route.call_count == 2


async def test_export_refuses_a_server_that_ignores_the_id_cursor(
    client: UpsalesClient, upsales_api: respx.MockRouter
) -> None:
    upsales_api.get("/accounts").respond(json=envelope([{"id": 1}, {"id": 2}], total=10))
    with pytest.raises(UpsalesMalformedResponse, match="out of order") as raised:
        [c async for c in client.iterate_companies(page_size=2)]
    # Upsales answered, and will answer so again: no outage its job would ride out past its
    # attempts (for JOB_OUTAGE_PATIENCE_HOURS), but a failure dead when they are used
    assert not raised.value.outage


async def test_filters_are_encoded_in_the_query(
    client: UpsalesClient, upsales_api: respx.MockRouter
) -> None:
    route = upsales_api.get("/orders").respond(json=envelope([], total=0))
    filters = (eq("client.id", 12), gte("probability", 1), lte("probability", 99))
    assert [o async for o in client.iterate_orders(*filters)] == []
    url = route.calls.last.request.url
    assert url.params.get_list("probability") == ["gte:1", "lte:99"]
    assert url.params["client.id"] == "12"
    assert url.params["limit"] == "2000"


async def test_spellings_are_asked_for_in_one_list_filter(
    client: UpsalesClient, upsales_api: respx.MockRouter
) -> None:
    route = upsales_api.get("/accounts").respond(
        json=envelope([{"id": 3, "name": "X"}, {"id": 7, "name": "FJÄLLBACKA AB"}], total=2)
    )
    spellings = ["Fjällbacka AB", "Fja\u0308llbacka  AB", "Fjällbacka  AB", "Fjällbacka AB"]
    found = await find_spelled(client.iterate_companies, "name", spellings)
    assert [c.id for c in found] == [3, 7]  # the matching rule compares them, not the lookup
    (asked,) = [call.request.url.params["name"] for call in route.calls]
    assert asked == "eq:Fjällbacka AB,Fja\u0308llbacka  AB,Fjällbacka  AB"


async def test_spellings_holding_a_comma_are_asked_for_one_by_one(
    client: UpsalesClient, upsales_api: respx.MockRouter
) -> None:
    route = upsales_api.get("/products").mock(
        side_effect=[
            httpx.Response(200, json=envelope([{"id": 5, "name": "A, B"}], total=1)),
            httpx.Response(200, json=envelope([{"id": 5, "name": "A, B"}], total=1)),
        ]
    )
    found = await find_spelled(client.iterate_products, "name", ["A, B", "A,  B"])
    assert [p.id for p in found] == [5]
    asked = [json.loads(call.request.url.params["q"])["v"] for call in route.calls]
    assert asked == ["A, B", "A,  B"]


async def test_find_companies_by_org_no_and_product_by_article_no(
    client: UpsalesClient, upsales_api: respx.MockRouter
) -> None:
    accounts = upsales_api.get("/accounts").respond(
        json=envelope([{"id": 4, "orgNo": "556677-8899"}], total=1)
    )
    upsales_api.get("/products").respond(json=envelope([], total=0))
    assert [c.id for c in await find_spelled(client.iterate_companies, "orgNo", ["1-2"])] == [4]
    assert accounts.calls.last.request.url.params["orgNo"] == "1-2"
    assert await client.find_product_by_article_no("A-1") is None


@pytest.mark.parametrize(
    ("answer", "found"),
    [
        pytest.param([{"id": 1, "articleNo": "hyr-1"}, {"id": 2, "articleNo": "HYR-1"}], 2),
        pytest.param([{"id": 1, "articleNo": " hyr-1"}], 1, id="only-in-case"),
        pytest.param([{"id": 1, "articleNo": "hyr-1"}, {"id": 2, "articleNo": "Hyr-1"}], None),
    ],
)
async def test_a_product_whose_article_number_differs_only_in_case_is_found_when_alone(
    client: UpsalesClient, upsales_api: respx.MockRouter, answer: list[Any], found: int | None
) -> None:
    """A filter that folds case answers products spelled otherwise: the exact spelling wins,
    else the one product differing only in case; two such are not guessed between."""
    upsales_api.get("/products").respond(json=envelope(answer, total=len(answer)))
    product = await client.find_product_by_article_no("HYR-1")
    assert (product.id if product is not None else None) == found


async def test_catalogue_lists_and_custom_field_lookup(
    client: UpsalesClient, upsales_api: respx.MockRouter
) -> None:
    upsales_api.get("/orderstages").respond(
        json=envelope([{"id": 1, "name": "Won - Order", "probability": 100, "exclude": 0}])
    )
    upsales_api.get("/priceLists").respond(json={"error": None, "metadata": None, "data": []})
    upsales_api.get("/users").respond(json=envelope([{"id": 3, "active": 1, "ghost": False}]))
    fields = upsales_api.get("/customfields/account").respond(
        json=envelope([{"id": 12, "alias": "FORTNOX_NO"}, {"id": 13, "alias": "OTHER"}])
    )
    assert [s.probability for s in await client.list_order_stages()] == [100]
    assert await client.list_price_lists() == []
    assert [u.active for u in await client.list_users()] == [True]
    assert await client.find_custom_field_id("account", "fortnox_no") == 12
    assert await client.find_custom_field_id("account", "missing") is None
    assert fields.call_count == 2


async def test_call_counts_are_per_method_and_path_template(
    client: UpsalesClient, upsales_api: respx.MockRouter
) -> None:
    upsales_api.get("/accounts/1").respond(json=envelope({"id": 1}))
    upsales_api.get("/accounts/2").respond(json=envelope({"id": 2}))
    upsales_api.put("/accounts/1").respond(json=envelope({"id": 1}))
    await client.get_company(1)
    await client.get_company(2)
    await client.update_company(1, CompanyDraft(name="x"))
    assert client.call_counts == {"GET /accounts/{id}": 2, "PUT /accounts/{id}": 1}


async def test_server_reported_exhaustion_paces_the_next_request(
    http: httpx.AsyncClient, fake_time: FakeTime, upsales_api: respx.MockRouter
) -> None:
    limiter = SlidingWindowLimiter(
        RATE_LIMIT, RATE_WINDOW_SECONDS, clock=fake_time.clock, sleep=fake_time.sleep
    )
    client = UpsalesClient(http, base_url=BASE_URL, api_token=TOKEN, limiter=limiter)
    upsales_api.get("/accounts/1").respond(
        json=envelope({"id": 1}), headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "6"}
    )
    await client.get_company(1)
    assert fake_time.now == 0.0
    await client.get_company(1)
    assert fake_time.now == 6.0


@pytest.mark.parametrize(
    "body",
    [b"<html>Bad gateway</html>", b"[1, 2]", b'{"something": "else"}', b""],
)
async def test_a_success_without_a_json_envelope_is_malformed(
    client: UpsalesClient, upsales_api: respx.MockRouter, body: bytes
) -> None:
    route = upsales_api.get("/accounts/1").respond(200, content=body)
    with pytest.raises(UpsalesMalformedResponse) as caught:
        await client.get_company(1)
    assert caught.value.retryable is True
    assert route.call_count == 1  # left to the worker, not retried here


async def test_data_that_does_not_fit_the_model_is_permanent(
    client: UpsalesClient, upsales_api: respx.MockRouter
) -> None:
    upsales_api.get("/accounts/1").respond(json=envelope({"name": "no id"}))
    with pytest.raises(UpsalesUnexpectedData, match=r"Company .*id: Field required") as caught:
        await client.get_company(1)
    assert caught.value.retryable is False


def test_client_refuses_an_empty_token(http: httpx.AsyncClient) -> None:
    with pytest.raises(ValueError, match="empty"):
        UpsalesClient(http, base_url=BASE_URL, api_token="")
    assert TOKEN not in repr(UpsalesClient(http, base_url=BASE_URL, api_token=TOKEN))


async def test_product_prices_per_price_list_are_read_and_written_with_use_price_lists(
    client: UpsalesClient, upsales_api: respx.MockRouter
) -> None:
    entry = {"currency": "EUR", "price": 80, "purchaseCost": 0, "priceListId": 3}
    product = {"id": 5, "name": "Licens", "listPrice": 1000, "currencies": [entry]}
    read = upsales_api.get("/products/5").respond(json=envelope(product))
    written = upsales_api.put("/products/5").respond(json=envelope(product))

    got = await client.get_product(5, use_price_lists=True)
    assert got.currencies is not None and got.currencies[0].priceListId == 3
    await client.update_product(5, ProductDraft(currencies=got.currencies), use_price_lists=True)
    await client.get_product(5)

    with_lists, plain = (call.request.url.params for call in read.calls)
    assert with_lists["usePriceLists"] == "true" and "usePriceLists" not in plain
    request = written.calls.last.request
    assert request.url.params["usePriceLists"] == "true"
    assert json.loads(request.content)["currencies"] == [entry]  # the list named, resent
