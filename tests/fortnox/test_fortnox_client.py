from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import httpx
import pytest
import respx
from fortnox_testkit import API_BASE, SteppingClock

from upsales_fortnox.integrations.api_transport import BEFORE_WRITE
from upsales_fortnox.integrations.errors import PermanentError, RetryableError
from upsales_fortnox.integrations.fortnox.client import FortnoxClient
from upsales_fortnox.integrations.fortnox.errors import (
    FortnoxAuthError,
    FortnoxMalformedResponse,
    FortnoxNotFound,
    FortnoxNotSent,
    FortnoxNumberInUse,
    FortnoxNumberUnreadable,
    FortnoxRateLimited,
    FortnoxUnavailable,
    FortnoxValidationError,
)
from upsales_fortnox.integrations.fortnox.models import (
    API_BLANK,
    Article,
    Customer,
    Offer,
    Order,
    OrderRow,
)
from upsales_fortnox.integrations.pacing import (
    LimiterRegistry,
    RateLimitBackoff,
    SlidingWindowLimiter,
)
from upsales_fortnox.integrations.retry import RetryPolicy
from upsales_fortnox.integrations.send_check import (
    before_sending,
    checked_before_sending,
    on_first_send,
)
from upsales_fortnox.integrations.shared_pacing import TenantPacer


class Tokens:
    """The two token callables the client takes, over an in-memory token."""

    def __init__(self) -> None:
        self.current = "token-1"
        self.rejected: list[str] = []

    async def access_token(self) -> str:
        return self.current

    async def refresh(self, rejected: str) -> str:
        self.rejected.append(rejected)
        self.current = f"token-{len(self.rejected) + 1}"
        return self.current


@pytest.fixture
def tokens() -> Tokens:
    return Tokens()


def tenant_client(
    http: httpx.AsyncClient,
    tokens: Tokens,
    limiter: TenantPacer,
    *,
    retry: RetryPolicy | None = None,
    access_token: Callable[[], Awaitable[str]] | None = None,
) -> FortnoxClient:
    """The client of tenant 1, with ``tokens`` (or ``access_token``) and ``limiter``."""
    return FortnoxClient(
        http,
        base_url=API_BASE,
        tenant_key="tenant:1",
        access_token=access_token or tokens.access_token,
        refresh_token=tokens.refresh,
        limiter=limiter,
        **({} if retry is None else {"retry": retry}),
    )


@pytest.fixture
def limiter(stepping_clock: SteppingClock) -> SlidingWindowLimiter:
    return SlidingWindowLimiter(
        25,
        5.0,
        clock=stepping_clock,
        sleep=stepping_clock.sleep,
        backoff=RateLimitBackoff(base_seconds=1.0, max_seconds=8.0),
        jitter=lambda: 0.5,
    )


@pytest.fixture
async def client(
    tokens: Tokens, limiter: SlidingWindowLimiter, stepping_clock: SteppingClock
) -> AsyncIterator[FortnoxClient]:
    retry = RetryPolicy(
        rate_limit_budget_seconds=60.0,
        max_elapsed_seconds=10.0,
        base_delay_seconds=0.5,
        max_delay_seconds=4.0,
        clock=stepping_clock,
        sleep=stepping_clock.sleep,
        jitter=lambda: 0.5,
    )
    async with httpx.AsyncClient() as http:
        yield tenant_client(http, tokens, limiter, retry=retry)


CUSTOMER = {"Customer": {"CustomerNumber": "10", "Name": "Acme AB", "Country": "Sverige"}}


def ok(body: object = CUSTOMER, status: int = 200) -> httpx.Response:
    return httpx.Response(status, json=body)


def customer_item(number: str) -> dict[str, str]:
    return {"CustomerNumber": number, "Name": f"Kund {number}"}


def fortnox_error(status: int, code: object, message: str = "Fel") -> httpx.Response:
    return httpx.Response(
        status, json={"ErrorInformation": {"error": 1, "message": message, "code": code}}
    )


# Requests and responses


async def test_get_sends_bearer_token_and_quotes_path_values(
    client: FortnoxClient, router: respx.MockRouter
) -> None:
    route = router.get(f"{API_BASE}/customers/A%2F1").mock(return_value=ok())

    customer = await client.get_customer("A/1")

    request = route.calls.last.request
    assert request.headers["Authorization"] == "Bearer token-1"
    assert request.headers["Accept"] == "application/json"
    assert customer.Name == "Acme AB"
    assert client.calls == {"GET /customers/{CustomerNumber}": 1}


async def test_a_404_for_a_number_holding_a_slash_is_checked_in_the_list(
    client: FortnoxClient, router: respx.MockRouter
) -> None:
    """Whether Fortnox routes "%2F" in a path is unverified: a 404 for "A/1" is "no such
    customer" only when the list has no "A/1"; when it has, the customer is unreadable, which
    no sync may take for a deletion. A number without "/" is never looked up in the list."""
    missing = fortnox_error(404, 2000433, "Kan inte hitta kunden.")
    router.get(f"{API_BASE}/customers/A%2F1").mock(return_value=missing)
    router.get(f"{API_BASE}/customers/A%2F2").mock(return_value=missing)
    router.get(f"{API_BASE}/customers/B1").mock(return_value=missing)
    listed = router.get(f"{API_BASE}/customers").mock(
        side_effect=lambda request: page(
            "Customers",
            [customer_item("A/1"), customer_item("A/10")]
            if request.url.params["customernumber"] == "A/1"
            else [customer_item("A/20")],
            1,
            1,
        )
    )

    with pytest.raises(FortnoxNumberUnreadable):
        await client.get_customer("A/1")
    with pytest.raises(FortnoxNotFound) as gone:
        await client.get_customer("A/2")
    assert not isinstance(gone.value, FortnoxNumberUnreadable)
    with pytest.raises(FortnoxNotFound):
        await client.get_customer("B1")

    assert [call.request.url.params["customernumber"] for call in listed.calls] == ["A/1", "A/2"]


async def test_create_sends_exact_decimals_and_no_read_only_fields(
    client: FortnoxClient, router: respx.MockRouter
) -> None:
    reply = {
        "Order": {
            "CustomerNumber": "10",
            "DocumentNumber": "7",
            "Total": 1.1,
            "OrderRows": [{"Price": 0.1}],
        }
    }
    route = router.post(f"{API_BASE}/orders").mock(return_value=ok(reply, 201))
    order = Order(
        CustomerNumber="10",
        Total=Decimal("999"),
        OrderRows=[
            OrderRow(ArticleNumber="A1", OrderedQuantity=Decimal("3"), Price=Decimal("0.1"))
        ],
    )

    created = await client.create_order(order)

    request = route.calls.last.request
    assert request.headers["Content-Type"] == "application/json"
    assert request.content == (  # quantities are strings in the spec, prices numbers
        b'{"Order":{"CustomerNumber":"10",'
        b'"OrderRows":[{"ArticleNumber":"A1","Price":0.1,"OrderedQuantity":"3"}]}}'
    )
    assert created.DocumentNumber == 7
    assert created.Total == Decimal("1.1")


class LeaseOver(Exception):
    """What a job's check raises once its lease has ended."""


async def test_a_write_is_not_sent_when_the_check_before_sending_refuses(
    client: FortnoxClient, router: respx.MockRouter, stepping_clock: SteppingClock
) -> None:
    waited_before_check: list[list[float]] = []

    def refuse() -> None:
        waited_before_check.append(list(stepping_clock.sleeps))
        raise LeaseOver

    create = router.post(f"{API_BASE}/customers").mock(return_value=ok(CUSTOMER, 201))
    update = router.put(f"{API_BASE}/customers/10").mock(return_value=ok())
    read = router.get(f"{API_BASE}/customers/10").mock(return_value=ok())
    for _ in range(25):  # the window is full: the next request waits for a place
        await client.get_customer("10")

    with checked_before_sending(refuse):
        with pytest.raises(LeaseOver):
            await client.create_customer(Customer(Name="Acme AB"))
        with pytest.raises(LeaseOver):
            await client.update_customer("10", Customer(Name="Acme AB"))
        customer = await client.get_customer("10")  # reads are not checked

    # checked once its place was granted (after the wait), and nothing was sent
    assert waited_before_check == [[5.0], [5.0]]
    assert (create.call_count, update.call_count, read.call_count) == (0, 0, 26)
    assert customer.Name == "Acme AB"
    await client.create_customer(Customer(Name="Acme AB"))  # outside the check: sent
    assert create.call_count == 1


async def test_a_write_asks_the_transport_to_check_again_once_it_holds_its_connection(
    client: FortnoxClient, router: respx.MockRouter
) -> None:
    create = router.post(f"{API_BASE}/customers").mock(return_value=ok(CUSTOMER, 201))
    read = router.get(f"{API_BASE}/customers/10").mock(return_value=ok())
    await client.create_customer(Customer(Name="Acme AB"))
    await client.get_customer("10")
    assert create.calls.last.request.extensions[BEFORE_WRITE] is before_sending
    assert BEFORE_WRITE not in read.calls.last.request.extensions


async def test_a_task_started_under_a_check_keeps_it(
    client: FortnoxClient, router: respx.MockRouter
) -> None:
    def refuse() -> None:
        raise LeaseOver

    create = router.post(f"{API_BASE}/customers").mock(return_value=ok(CUSTOMER, 201))
    with checked_before_sending(refuse):
        task = asyncio.create_task(client.create_customer(Customer(Name="Acme AB")))
    with pytest.raises(LeaseOver):
        await task
    assert create.call_count == 0


async def test_the_first_write_awaits_its_send_action_after_the_check_and_before_it_leaves(
    client: FortnoxClient, router: respx.MockRouter, stepping_clock: SteppingClock
) -> None:
    """The action runs once its place is granted (after the wait for it), after the check,
    which is made again after it; a try sent again (its first never connected) and a later
    write do not run it again."""
    happened: list[str] = []
    create = router.post(f"{API_BASE}/customers").mock(
        side_effect=[httpx.ConnectError("refused"), ok(CUSTOMER, 201), ok(CUSTOMER, 201)]
    )
    router.get(f"{API_BASE}/customers/10").mock(return_value=ok())
    for _ in range(25):  # the window is full: the create waits for a place
        await client.get_customer("10")

    async def action() -> None:
        happened.append(f"action after {stepping_clock.sleeps[:1]}, {create.call_count} sent")

    with checked_before_sending(lambda: happened.append("check")), on_first_send(action):
        await client.create_customer(Customer(Name="Acme AB"))
        await client.create_customer(Customer(Name="Acme AB"))

    assert happened == ["check", "action after [5.0], 0 sent", "check", "check", "check"]
    assert create.call_count == 3


async def test_a_write_whose_send_action_fails_is_not_sent(
    client: FortnoxClient, router: respx.MockRouter
) -> None:
    create = router.post(f"{API_BASE}/customers").mock(return_value=ok(CUSTOMER, 201))
    read = router.get(f"{API_BASE}/customers/10").mock(return_value=ok())
    tries: list[int] = []

    async def refuse() -> None:
        tries.append(create.call_count)
        raise LeaseOver

    with on_first_send(refuse):
        with pytest.raises(LeaseOver):
            await client.create_customer(Customer(Name="Acme AB"))
        await client.get_customer("10")  # a read runs nothing
        with pytest.raises(LeaseOver):  # not done: the next write runs it again
            await client.create_customer(Customer(Name="Acme AB"))

    assert (tries, create.call_count, read.call_count) == ([0, 0], 0, 1)
    await client.create_customer(Customer(Name="Acme AB"))  # outside it: sent
    assert create.call_count == 1


async def test_update_puts_the_wrapped_entity(
    client: FortnoxClient, router: respx.MockRouter
) -> None:
    route = router.put(f"{API_BASE}/customers/10").mock(return_value=ok())

    await client.update_customer("10", Customer(Name="Acme AB", Country="Sverige"))

    assert json.loads(route.calls.last.request.content) == {"Customer": {"Name": "Acme AB"}}


async def test_update_puts_the_visiting_and_delivery_address_fields(
    client: FortnoxClient, router: respx.MockRouter
) -> None:
    route = router.put(f"{API_BASE}/customers/10").mock(return_value=ok())
    moved = Customer(
        VisitingAddress="Kungsgatan 1",
        VisitingCountryCode="SE",
        DeliveryAddress1="Lager 9",
        DeliveryAddress2=API_BLANK,
    )

    await client.update_customer("10", moved)

    assert json.loads(route.calls.last.request.content)["Customer"] == {
        "VisitingAddress": "Kungsgatan 1",
        "VisitingCountryCode": "SE",
        "DeliveryAddress1": "Lager 9",
        "DeliveryAddress2": API_BLANK,
    }


async def test_delete_returns_nothing_on_204(
    client: FortnoxClient, router: respx.MockRouter
) -> None:
    route = router.delete(f"{API_BASE}/customers/10").mock(return_value=httpx.Response(204))

    assert await client.delete_customer("10") is None
    assert route.call_count == 1


async def test_document_actions_use_their_paths_and_reply_shapes(
    client: FortnoxClient, router: respx.MockRouter
) -> None:
    router.put(f"{API_BASE}/orders/7/createinvoice").mock(
        return_value=ok(
            {"Invoice": {"CustomerNumber": "1", "DocumentNumber": "31", "OrderReference": "7"}}
        )
    )
    router.put(f"{API_BASE}/offers/3/createorder").mock(
        return_value=ok(
            {"Order": {"CustomerNumber": "1", "DocumentNumber": "8", "OfferReference": "3"}}
        )
    )
    router.put(f"{API_BASE}/invoices/31/cancel").mock(
        return_value=ok(
            {"Invoice": {"CustomerNumber": "1", "DocumentNumber": "31", "Cancelled": True}}
        )
    )

    invoice = await client.create_invoice_from_order(7)
    order = await client.create_order_from_offer(3)
    cancelled = await client.cancel_invoice(31)

    assert (invoice.DocumentNumber, invoice.OrderReference) == (31, "7")
    assert (order.DocumentNumber, order.OfferReference) == (8, "3")
    assert cancelled.Cancelled is True


async def test_company_information_and_single_price(
    client: FortnoxClient, router: respx.MockRouter
) -> None:
    router.get(f"{API_BASE}/companyinformation").mock(
        return_value=ok({"CompanyInformation": {"CompanyName": "Acme AB", "DatabaseNumber": 4242}})
    )
    router.get(f"{API_BASE}/prices/A/ART-1/10").mock(
        return_value=ok({"Price": {"PriceList": "A", "ArticleNumber": "ART-1", "Price": 99.95}})
    )

    company = await client.get_company_information()
    price = await client.get_price("A", "ART-1", Decimal("10"))

    assert company.DatabaseNumber == "4242"
    assert price.Price == Decimal("99.95")


# Paging


def page(key: str, items: list[dict[str, object]], current: int, total: int) -> httpx.Response:
    meta = {"@TotalResources": 1201, "@TotalPages": total, "@CurrentPage": current}
    return ok({key: items, "MetaInformation": meta})


async def test_iteration_pages_with_limit_500_and_stops_at_total_pages(
    client: FortnoxClient, router: respx.MockRouter
) -> None:
    route = router.get(f"{API_BASE}/customers").mock(
        side_effect=[
            page("Customers", [customer_item("1"), customer_item("2")], 1, 3),
            page("Customers", [customer_item("3")], 2, 3),
            page("Customers", [customer_item("4")], 3, 3),
        ]
    )
    since = datetime(2024, 5, 1, 12, 5, 59, tzinfo=timezone(timedelta(hours=2)))

    numbers = [
        customer.CustomerNumber
        async for customer in client.iter_customers(
            last_modified=since, search={"OrganisationNumber": "556677-8899"}, filter="active"
        )
    ]

    assert numbers == ["1", "2", "3", "4"]
    assert route.call_count == 3
    params = [dict(call.request.url.params) for call in route.calls]
    assert [p["page"] for p in params] == ["1", "2", "3"]
    assert params[0] == {
        "limit": "500",
        "page": "1",
        "lastmodified": "2024-05-01 12:05",
        "organisationnumber": "556677-8899",
        "filter": "active",
        "sortby": "customernumber",  # facts.UNSORTED_LIST_ORDER: an order that holds
        "sortorder": "ascending",
    }


async def test_iteration_of_an_empty_list_makes_one_request(
    client: FortnoxClient, router: respx.MockRouter
) -> None:
    route = router.get(f"{API_BASE}/invoices").mock(return_value=page("Invoices", [], 1, 0))

    invoices = [invoice async for invoice in client.iter_invoices(filter="unpaid")]

    assert invoices == []
    assert route.call_count == 1


async def test_an_articles_prices_come_from_its_sublist_in_one_call(
    client: FortnoxClient, router: respx.MockRouter
) -> None:
    route = router.get(f"{API_BASE}/prices/sublist/A/W%2F1").mock(
        return_value=ok(
            {
                "Prices": [
                    {"ArticleNumber": "W/1", "PriceList": "A", "FromQuantity": 10, "Price": 9.5},
                    {"ArticleNumber": "W/1", "PriceList": "A", "FromQuantity": 0, "Price": 10.1},
                ]
            }
        )
    )

    prices = await client.article_prices("A", "W/1")

    assert [(p.FromQuantity, p.Price) for p in prices] == [
        (Decimal(10), Decimal("9.5")),
        (Decimal(0), Decimal("10.1")),
    ]
    assert route.call_count == 1
    assert route.calls.last.request.url.query == b""  # the operation declares no parameters
    assert client.calls == {"GET /prices/sublist/{PriceList}/{ArticleNumber}": 1}


async def test_an_articles_prices_leave_out_other_articles_in_the_sublists_answer(
    client: FortnoxClient, router: respx.MockRouter
) -> None:
    """The spec sums the sublist up as "a list of articles with all their prices": rows of
    another article (W/10 after W/1) are not this article's prices."""
    router.get(f"{API_BASE}/prices/sublist/A/W%2F1").mock(
        return_value=ok(
            {
                "Prices": [
                    {"ArticleNumber": "W/1", "PriceList": "A", "FromQuantity": 5, "Price": 9.5},
                    {"ArticleNumber": "W/10", "PriceList": "A", "FromQuantity": 0, "Price": 1},
                    {"ArticleNumber": "W/1", "PriceList": "A", "FromQuantity": 0, "Price": 10},
                ]
            }
        )
    )

    prices = await client.article_prices("A", "W/1")

    assert [(p.FromQuantity, p.Price) for p in prices] == [
        (Decimal(5), Decimal("9.5")),
        (Decimal(0), Decimal(10)),
    ]


async def test_an_unpriced_article_has_no_prices_whether_fortnox_says_404_or_empty(
    client: FortnoxClient, router: respx.MockRouter
) -> None:
    router.get(f"{API_BASE}/prices/sublist/A/EMPTY").mock(return_value=ok({"Prices": []}))
    router.get(f"{API_BASE}/prices/sublist/A/MISSING").mock(
        return_value=fortnox_error(404, 2000729, "Kan inte hitta priset.")
    )
    list_check = router.get(f"{API_BASE}/pricelists/A").mock(
        return_value=ok({"PriceList": {"Code": "A", "Description": "Standard"}})
    )

    assert await client.article_prices("A", "EMPTY") == []
    assert await client.article_prices("A", "MISSING") == []
    assert await client.article_prices("A", "MISSING") == []
    assert list_check.call_count == 1  # the first 404 asks once whether the list exists


async def test_a_missing_price_list_is_not_taken_for_an_unpriced_article(
    client: FortnoxClient, router: respx.MockRouter
) -> None:
    router.get(f"{API_BASE}/prices/sublist/GONE/W1").mock(
        return_value=fortnox_error(404, 2000729, "Kan inte hitta prislistan.")
    )
    router.get(f"{API_BASE}/pricelists/GONE").mock(
        return_value=fortnox_error(404, 2000729, "Kan inte hitta prislistan.")
    )

    with pytest.raises(FortnoxNotFound):
        await client.article_prices("GONE", "W1")


async def test_list_pages_ask_for_a_declared_sort_key_ascending(
    client: FortnoxClient, router: respx.MockRouter
) -> None:
    route = router.get(f"{API_BASE}/offers").mock(return_value=page("Offers", [], 1, 0))

    await client.list_page(Offer, 1, sort_by="id")

    assert dict(route.calls.last.request.url.params) == {
        "sortby": "id",
        "sortorder": "ascending",
        "limit": "500",
        "page": "1",
    }


@pytest.mark.parametrize("status", [400, 404])
async def test_a_refused_page_past_the_last_is_a_page_without_items(
    client: FortnoxClient, router: respx.MockRouter, status: int
) -> None:
    """``facts.PAGE_PAST_THE_LAST``: the list shrank to one page before page 2 was asked."""

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.params["page"] == "2":
            return fortnox_error(status, 2000588, "Ogiltig parameter i anropet. page (2)")
        return page("Customers", [customer_item("1")], 1, 1)

    route = router.get(f"{API_BASE}/customers").mock(side_effect=answer)

    listed = await client.list_page(Customer, 2, sort_by="customernumber")

    assert listed.items == [] and listed.total_pages == 1 and listed.current_page == 2
    assert [call.request.url.params["page"] for call in route.calls] == ["2", "1"]


async def test_a_refused_page_within_the_list_stays_refused(
    client: FortnoxClient, router: respx.MockRouter
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.params["page"] == "2":
            return fortnox_error(400, 2000588, "Ogiltig parameter i anropet.")
        return page("Customers", [customer_item("1")], 1, 3)

    router.get(f"{API_BASE}/customers").mock(side_effect=answer)

    with pytest.raises(FortnoxValidationError):
        await client.list_page(Customer, 2, sort_by="customernumber")


def test_only_one_field_search_is_allowed(client: FortnoxClient) -> None:
    with pytest.raises(ValueError, match="one field search"):
        client.iter_customers(search={"name": "a", "city": "b"})


# Rate limits


async def test_a_request_holds_its_place_in_the_window_until_its_response_is_in(
    tokens: Tokens, router: respx.MockRouter, stepping_clock: SteppingClock
) -> None:
    async def slow_answer(request: httpx.Request) -> httpx.Response:
        stepping_clock.now += 2.0
        return ok()

    router.get(f"{API_BASE}/customers/10").mock(side_effect=slow_answer)
    limiter = SlidingWindowLimiter(1, 5.0, clock=stepping_clock, sleep=stepping_clock.sleep)
    async with httpx.AsyncClient() as http:
        client = tenant_client(http, tokens, limiter)
        await client.get_customer("10")
        await client.get_customer("10")

    # Fortnox may count the first request as late as its answer (at 2 s): the next waits 5 s
    # from there, not 3 s (5 s from the send).
    assert stepping_clock.sleeps == [5.0]


async def test_429_with_retry_after_is_retried_after_pausing_the_tenant(
    client: FortnoxClient,
    router: respx.MockRouter,
    limiter: SlidingWindowLimiter,
    stepping_clock: SteppingClock,
) -> None:
    route = router.get(f"{API_BASE}/customers/10").mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "3"}),
            httpx.Response(429, headers={"Retry-After": "2"}),
            ok(),
        ]
    )

    customer = await client.get_customer("10")

    assert customer.CustomerNumber == "10"
    assert route.call_count == 3
    assert stepping_clock.sleeps == [3.0, 2.0]
    assert limiter.paused_until == 1005.0


async def test_429_without_retry_after_backs_off_exponentially(
    client: FortnoxClient, router: respx.MockRouter, stepping_clock: SteppingClock
) -> None:
    router.get(f"{API_BASE}/customers/10").mock(
        side_effect=[httpx.Response(429), httpx.Response(429), httpx.Response(429), ok()]
    )

    await client.get_customer("10")

    # base 1 s doubling, jitter 0.5 puts each pause at 3/4 of its ceiling
    assert stepping_clock.sleeps == [0.75, 1.5, 3.0]


async def test_429_past_the_budget_is_a_retryable_rate_limit_error(
    client: FortnoxClient, router: respx.MockRouter, stepping_clock: SteppingClock
) -> None:
    route = router.get(f"{API_BASE}/customers/10").mock(
        return_value=httpx.Response(429, headers={"Retry-After": "25"})
    )

    with pytest.raises(FortnoxRateLimited) as caught:
        await client.get_customer("10")

    assert caught.value.retryable
    assert caught.value.retry_after == 25.0
    assert route.call_count == 3  # at 0, 25 and 50 s; a 4th would end past 60 s
    assert stepping_clock.now - 1000.0 <= 60.0


async def test_a_request_waiting_for_its_place_when_a_long_pause_comes_is_not_sent(
    tokens: Tokens, router: respx.MockRouter, stepping_clock: SteppingClock
) -> None:
    """One request meets a 429 whose Retry-After outlasts the budget while another waits for
    the tenant's only place: the waiting one raises at once too, for the pause's end, rather
    than sit the pause out in its job."""

    async def sleep_never_over(seconds: float) -> None:  # no window ends by itself here
        await asyncio.Event().wait()

    second_queued = asyncio.Event()
    limiter = SlidingWindowLimiter(
        1, 5.0, clock=stepping_clock, sleep=sleep_never_over, on_wait=second_queued.set
    )
    retry = RetryPolicy(rate_limit_budget_seconds=60.0, clock=stepping_clock)

    async def throttled(request: httpx.Request) -> httpx.Response:
        await second_queued.wait()  # answered once the second request waits for the place
        return httpx.Response(429, headers={"Retry-After": "300"})

    router.get(f"{API_BASE}/customers/1").mock(side_effect=throttled)
    second_route = router.get(f"{API_BASE}/customers/2").mock(return_value=ok())
    async with httpx.AsyncClient() as http:
        client = tenant_client(http, tokens, limiter, retry=retry)
        first = asyncio.ensure_future(client.get_customer("1"))
        second = asyncio.ensure_future(client.get_customer("2"))

        with pytest.raises(FortnoxRateLimited) as caught:
            await asyncio.wait_for(second, timeout=10)
        with pytest.raises(FortnoxRateLimited):
            await asyncio.wait_for(first, timeout=10)

    assert caught.value.retry_after == pytest.approx(300.0)
    assert second_route.call_count == 0


async def test_a_request_of_a_tenant_paused_past_the_budget_is_not_sent_nor_waits(
    client: FortnoxClient,
    router: respx.MockRouter,
    limiter: SlidingWindowLimiter,
    stepping_clock: SteppingClock,
) -> None:
    """Another job's request meets the pause of a 429 whose Retry-After outlasts the budget:
    it raises at once, for the pause's end, rather than hold its worker for minutes."""
    route = router.get(f"{API_BASE}/customers/10").mock(return_value=ok())
    limiter.rate_limited(300.0)

    with pytest.raises(FortnoxRateLimited) as caught:
        await client.get_customer("10")

    assert caught.value.retry_after == 300.0
    assert route.call_count == 0
    assert stepping_clock.sleeps == []


async def test_a_429_pauses_only_its_own_tenant(
    router: respx.MockRouter, tokens: Tokens, stepping_clock: SteppingClock
) -> None:
    registry = LimiterRegistry(25, 5.0, clock=stepping_clock, sleep=stepping_clock.sleep)
    router.get(f"{API_BASE}/customers/10").mock(
        side_effect=[httpx.Response(429, headers={"Retry-After": "3"}), ok()]
    )
    async with httpx.AsyncClient() as http:
        client = tenant_client(http, tokens, registry.get("tenant:1"))
        await client.get_customer("10")

    assert registry.get("tenant:1").paused_until == 1003.0
    assert registry.get("tenant:2").paused_until == float("-inf")


# Authentication


async def test_401_refreshes_once_and_retries_with_the_new_token(
    client: FortnoxClient, router: respx.MockRouter, tokens: Tokens
) -> None:
    route = router.get(f"{API_BASE}/customers/10").mock(
        side_effect=[httpx.Response(401, json={"message": "unauthorized"}), ok()]
    )

    await client.get_customer("10")

    assert tokens.rejected == ["token-1"]
    assert route.calls[1].request.headers["Authorization"] == "Bearer token-2"


async def test_403_naming_the_token_refreshes(
    client: FortnoxClient, router: respx.MockRouter, tokens: Tokens
) -> None:
    router.get(f"{API_BASE}/customers/10").mock(side_effect=[fortnox_error(403, "2000311"), ok()])

    await client.get_customer("10")

    assert tokens.rejected == ["token-1"]


async def test_403_for_a_missing_licence_is_not_refreshed(
    client: FortnoxClient, router: respx.MockRouter, tokens: Tokens
) -> None:
    router.get(f"{API_BASE}/customers/10").mock(return_value=fortnox_error(403, 2001101))

    with pytest.raises(FortnoxAuthError) as caught:
        await client.get_customer("10")

    assert tokens.rejected == []
    assert caught.value.fortnox_code == 2001101


async def test_a_token_refused_twice_is_an_auth_error(
    client: FortnoxClient, router: respx.MockRouter, tokens: Tokens
) -> None:
    route = router.get(f"{API_BASE}/customers/10").mock(return_value=httpx.Response(401))

    with pytest.raises(FortnoxAuthError) as caught:
        await client.get_customer("10")

    assert route.call_count == 2
    assert tokens.rejected == ["token-1"]
    assert "token-" not in str(caught.value)


# Unavailability


async def test_a_5xx_burst_is_retried_with_backoff(
    client: FortnoxClient, router: respx.MockRouter, stepping_clock: SteppingClock
) -> None:
    router.get(f"{API_BASE}/customers/10").mock(
        side_effect=[
            httpx.Response(500),
            httpx.Response(502),
            fortnox_error(503, 1000003),
            ok(),
        ]
    )

    await client.get_customer("10")

    assert stepping_clock.sleeps == [0.375, 0.75, 1.5]


async def test_5xx_past_the_budget_is_retryable_unavailable(
    client: FortnoxClient, router: respx.MockRouter, stepping_clock: SteppingClock
) -> None:
    route = router.get(f"{API_BASE}/customers/10").mock(return_value=fortnox_error(500, 1000003))

    with pytest.raises(FortnoxUnavailable) as caught:
        await client.get_customer("10")

    assert isinstance(caught.value, RetryableError)
    assert caught.value.fortnox_code == 1000003
    assert stepping_clock.now - 1000.0 <= 10.0
    # sleeps 0.375 + 0.75 + 1.5 + 3 + 3 = 8.625; the next 3 would pass 10 s
    assert route.call_count == 6


@pytest.mark.parametrize(
    "page",
    [
        httpx.Response(200, text="<html><body>Planerat underhåll</body></html>"),
        httpx.Response(200, text="Service Temporarily Unavailable"),
    ],
)
@pytest.mark.spec_guard_off("a proxy's page instead of Fortnox's answer")
async def test_a_read_answered_with_a_page_that_is_not_json_is_retried(
    client: FortnoxClient, router: respx.MockRouter, page: httpx.Response
) -> None:
    route = router.get(f"{API_BASE}/customers/10").mock(side_effect=[page, ok()])

    await client.get_customer("10")

    assert route.call_count == 2


@pytest.mark.spec_guard_off("a proxy's page instead of Fortnox's answer")
async def test_a_page_that_is_not_json_past_the_budget_is_retryable(
    client: FortnoxClient, router: respx.MockRouter
) -> None:
    router.get(f"{API_BASE}/customers/10").mock(
        return_value=httpx.Response(200, text="<html>maintenance</html>")
    )
    router.post(f"{API_BASE}/customers").mock(
        return_value=httpx.Response(200, text="<html>maintenance</html>")
    )

    with pytest.raises(FortnoxUnavailable) as read:
        await client.get_customer("10")
    with pytest.raises(FortnoxUnavailable) as create:
        await client.create_customer(Customer(Name="Acme AB"))

    for caught in (read.value, create.value):
        assert isinstance(caught, RetryableError)
        assert caught.code == "fortnox_answer_not_json"
        assert caught.status == 200


async def test_timeouts_on_reads_are_retried(
    client: FortnoxClient, router: respx.MockRouter
) -> None:
    route = router.get(f"{API_BASE}/customers/10").mock(
        side_effect=[httpx.ReadTimeout("slow"), httpx.ConnectError("refused"), ok()]
    )

    await client.get_customer("10")

    assert route.call_count == 3


async def test_a_create_is_not_repeated_when_it_may_have_taken_effect(
    client: FortnoxClient, router: respx.MockRouter
) -> None:
    route = router.post(f"{API_BASE}/customers").mock(side_effect=[httpx.ReadTimeout("slow"), ok()])

    with pytest.raises(FortnoxUnavailable):
        await client.create_customer(Customer(Name="Acme AB"))
    assert route.call_count == 1

    route.side_effect = [httpx.Response(502), ok()]
    with pytest.raises(FortnoxUnavailable):
        await client.create_customer(Customer(Name="Acme AB"))
    assert route.call_count == 2


@pytest.mark.parametrize(
    "failure", [httpx.Response(500), httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("cut")]
)
async def test_updates_and_actions_are_not_repeated_when_the_outcome_is_unknown(
    client: FortnoxClient, router: respx.MockRouter, failure: object
) -> None:
    update = router.put(f"{API_BASE}/orders/7").mock(side_effect=[failure, ok()])
    invoice = router.put(f"{API_BASE}/orders/7/createinvoice").mock(side_effect=[failure, ok()])

    with pytest.raises(FortnoxUnavailable):
        await client.update_order(7, Order(OrderRows=[OrderRow(ArticleNumber="A1")]))
    with pytest.raises(FortnoxUnavailable):
        await client.create_invoice_from_order(7)

    assert (update.call_count, invoice.call_count) == (1, 1)


async def test_deletes_are_repeated_after_a_5xx(
    client: FortnoxClient, router: respx.MockRouter
) -> None:
    route = router.delete(f"{API_BASE}/customers/10").mock(
        side_effect=[httpx.Response(503), httpx.Response(204)]
    )

    await client.delete_customer("10")

    assert route.call_count == 2


async def test_a_create_is_repeated_when_the_connection_never_opened(
    client: FortnoxClient, router: respx.MockRouter
) -> None:
    route = router.post(f"{API_BASE}/customers").mock(
        side_effect=[
            httpx.ConnectError("refused"),
            httpx.ConnectTimeout("no route"),
            ok(status=201),
        ]
    )

    await client.create_customer(Customer(Name="Acme AB"))

    assert route.call_count == 3


async def test_a_create_no_try_of_which_reached_fortnox_says_so(
    client: FortnoxClient, router: respx.MockRouter
) -> None:
    """Only a failure of every try to connect tells the caller nothing was created; a create
    cut off after it may have arrived does not."""
    route = router.post(f"{API_BASE}/customers").mock(side_effect=httpx.ConnectError("refused"))

    with pytest.raises(FortnoxNotSent):
        await client.create_customer(Customer(Name="Acme AB"))
    assert route.call_count > 1

    route.side_effect = [httpx.ConnectError("refused"), httpx.ReadError("cut")]
    with pytest.raises(FortnoxUnavailable) as cut:
        await client.create_customer(Customer(Name="Acme AB"))
    assert not isinstance(cut.value, FortnoxNotSent)


# Refusals and malformed bodies


async def test_refusals_are_permanent_and_typed(
    client: FortnoxClient, router: respx.MockRouter
) -> None:
    router.post(f"{API_BASE}/customers").mock(
        return_value=fortnox_error(400, "2000637", "Kundnummer 10 används redan")
    )
    router.get(f"{API_BASE}/customers/404").mock(return_value=fortnox_error(404, 2000433))

    with pytest.raises(FortnoxNumberInUse) as in_use:
        await client.create_customer(Customer(CustomerNumber="10", Name="Acme AB"))
    with pytest.raises(FortnoxNotFound):
        await client.get_customer("404")

    assert isinstance(in_use.value, PermanentError)
    assert in_use.value.fortnox_message == "Kundnummer 10 används redan"


@pytest.mark.parametrize("record_id", ["..", ".", ""])
async def test_an_id_a_url_resolves_away_names_no_record_and_is_never_sent(
    client: FortnoxClient, router: respx.MockRouter, record_id: str
) -> None:
    """httpx sends /3/customers/.. as /3 and /3/customers/. as /3/customers (the list)."""
    router.route().mock(return_value=ok({"Customer": {"CustomerNumber": "1", "Name": "X"}}))

    with pytest.raises(FortnoxNotFound):
        await client.get_customer(record_id)
    with pytest.raises(FortnoxNotFound):
        await client.update_customer(record_id, Customer(Name="Acme AB"))
    with pytest.raises(FortnoxNotFound):
        await client.delete_customer(record_id)

    assert router.calls.call_count == 0


@pytest.mark.parametrize(
    "reply",
    [
        httpx.Response(200, json={"Customers": []}),
        httpx.Response(200, json={"Customer": "10"}),
        httpx.Response(200, json={"Customer": {"Active": "perhaps"}}),
        httpx.Response(200, json=[1, 2]),
    ],
)
@pytest.mark.spec_guard_off("answers outside the spec on purpose")
async def test_malformed_bodies_are_clear_errors(
    client: FortnoxClient, router: respx.MockRouter, reply: httpx.Response
) -> None:
    router.get(f"{API_BASE}/customers/10").mock(return_value=reply)

    with pytest.raises(FortnoxMalformedResponse) as caught:
        await client.get_customer("10")

    assert "GET /customers/{CustomerNumber}" in str(caught.value)


async def test_a_list_without_paging_information_is_one_page_unless_it_is_full(
    client: FortnoxClient, router: respx.MockRouter
) -> None:
    full = [{"ArticleNumber": str(n), "Description": "Artikel"} for n in range(500)]
    last = {"ArticleNumber": "last", "Description": "Artikel"}
    route = router.get(f"{API_BASE}/articles").mock(
        side_effect=[ok({"Articles": full}), ok({"Articles": [last]})]
    )

    articles = [article async for article in client.iter_articles()]

    assert len(articles) == 501
    assert [call.request.url.params["page"] for call in route.calls] == ["1", "2"]


async def test_a_gapless_read_overlaps_its_pages_in_number_order(
    client: FortnoxClient, router: respx.MockRouter
) -> None:
    listed = [{"ArticleNumber": str(n), "Description": "Artikel"} for n in range(501)]
    route = router.get(f"{API_BASE}/articles").mock(
        side_effect=[ok({"Articles": listed[:500]}), ok({"Articles": listed[497:]})]
    )  # without paging information: a full page has a next one

    articles = [article async for article in client.iter_gapless(Article, filter="active")]

    assert [article.ArticleNumber for article in articles] == [str(n) for n in range(501)]
    first, second = (dict(call.request.url.params) for call in route.calls)
    assert first == {
        "filter": "active",
        "sortby": "articlenumber",
        "sortorder": "ascending",
        "limit": "500",
        "page": "1",
    }
    assert (second["limit"], second["page"]) == ("497", "2")  # places 497 to 993


async def test_a_list_without_its_items_is_malformed(
    client: FortnoxClient, router: respx.MockRouter
) -> None:
    router.get(f"{API_BASE}/articles").mock(return_value=ok({"Article": {}}))

    with pytest.raises(FortnoxMalformedResponse, match="Articles"):
        _ = [article async for article in client.iter_articles()]


async def test_a_pause_set_while_the_request_gets_its_token_is_not_waited_out(
    tokens: Tokens, router: respx.MockRouter, stepping_clock: SteppingClock
) -> None:
    """Another request of the tenant meets a 429 with a long Retry-After while this one gets
    its access token (a refresh Fortnox answers slowly): it raises for the pause's end, unsent,
    rather than sit the pause out in its job."""

    async def sleep_never_over(seconds: float) -> None:  # no pause ends by itself here
        await asyncio.Event().wait()

    limiter = SlidingWindowLimiter(5, 5.0, clock=stepping_clock, sleep=sleep_never_over)
    retry = RetryPolicy(rate_limit_budget_seconds=60.0, clock=stepping_clock)

    async def token_meanwhile_paused() -> str:
        limiter.rate_limited(300.0)  # the other request's 429, while this one's token came
        return tokens.current

    route = router.get(f"{API_BASE}/customers/1").mock(return_value=ok())
    async with httpx.AsyncClient() as http:
        client = tenant_client(
            http, tokens, limiter, retry=retry, access_token=token_meanwhile_paused
        )
        with pytest.raises(FortnoxRateLimited) as caught:
            await asyncio.wait_for(client.get_customer("1"), timeout=10)

    assert caught.value.retry_after == pytest.approx(300.0, abs=1.0)
    assert route.call_count == 0
