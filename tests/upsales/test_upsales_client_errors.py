"""Error replies become typed errors; 429, 5xx and network failures are retried, boundedly;
the API key never shows in an error or a log line."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import replace

import httpx
import pytest
import respx
from upsales_fakes import TOKEN, FakeTime, envelope

from upsales_fortnox.integrations.errors import PermanentError, RetryableError
from upsales_fortnox.integrations.pacing import SlidingWindowLimiter
from upsales_fortnox.integrations.upsales.client import UpsalesClient
from upsales_fortnox.integrations.upsales.errors import (
    UpsalesAuthError,
    UpsalesBadRequest,
    UpsalesError,
    UpsalesForbidden,
    UpsalesNetworkError,
    UpsalesNotFound,
    UpsalesRateLimited,
    UpsalesServerError,
)
from upsales_fortnox.integrations.upsales.models import CompanyDraft
from upsales_fortnox.integrations.upsales.request_rules import RETRY


def error_body(key: str, msg: str, code: int = 400) -> dict[str, object]:
    return {"error": {"key": key, "code": code, "errorCode": 100, "msg": msg}, "data": None}


def assert_token_absent(error: BaseException) -> None:
    for text in (str(error), repr(error), repr(error.args), getattr(error, "message", "")):
        assert TOKEN not in text
    for linked in (error.__cause__, error.__context__):
        assert linked is None or TOKEN not in str(linked)


@pytest.mark.parametrize(
    ("status", "error_class"),
    [(401, UpsalesAuthError), (403, UpsalesForbidden), (404, UpsalesNotFound)],
)
async def test_auth_and_not_found_are_permanent_and_not_retried(
    client: UpsalesClient, upsales_api: respx.MockRouter, status: int, error_class: type
) -> None:
    route = upsales_api.get("/accounts/1").respond(status, json=error_body("Nope", "denied"))
    with pytest.raises(error_class) as caught:
        await client.get_company(1)
    assert isinstance(caught.value, PermanentError)
    assert caught.value.status == status
    assert "GET /accounts/{id} answered" in caught.value.message
    assert route.call_count == 1


async def test_bad_request_carries_upsales_key_and_message(
    client: UpsalesClient, upsales_api: respx.MockRouter
) -> None:
    upsales_api.post("/accounts").respond(400, json=error_body("MissingName", "name is required"))
    with pytest.raises(UpsalesBadRequest) as caught:
        await client.create_company(CompanyDraft(phone="1"))
    error = caught.value
    assert isinstance(error, PermanentError) and error.code == "upsales_bad_request"
    assert (error.error_key, error.upsales_message) == ("MissingName", "name is required")
    assert "MissingName: name is required" in error.message


async def test_a_403_is_a_refused_request_not_a_refused_key(
    client: UpsalesClient, upsales_api: respx.MockRouter
) -> None:
    """The collection's one 403 refuses a request by a rule (deleting a product category that
    still holds products); its intro names 401 for a key that is not valid."""
    refusal = error_body(
        "ProductOrChildCategoryExist",
        "Product or child category exist within the product category",
        code=403,
    )
    upsales_api.put("/accounts/1").respond(403, json=refusal)
    with pytest.raises(UpsalesBadRequest) as caught:
        await client.update_company(1, CompanyDraft(phone="1"))
    error = caught.value
    assert not isinstance(error, UpsalesAuthError)
    assert isinstance(error, UpsalesForbidden) and error.code == "upsales_forbidden"
    assert error.error_key == "ProductOrChildCategoryExist"
    assert "ProductOrChildCategoryExist" in error.message


async def test_error_inside_a_success_reply_is_raised(
    client: UpsalesClient, upsales_api: respx.MockRouter
) -> None:
    upsales_api.get("/products/9").respond(200, json=error_body("NoAccess", "hidden", code=404))
    with pytest.raises(UpsalesNotFound, match="NoAccess"):
        await client.get_product(9)


@pytest.mark.parametrize(("reset", "expected_wait"), [("10", 10.0), ("0", 1.0), ("-2", 1.0)])
async def test_rate_limited_is_retried_after_the_reset(
    client: UpsalesClient,
    upsales_api: respx.MockRouter,
    fake_time: FakeTime,
    reset: str,
    expected_wait: float,
) -> None:
    limited = httpx.Response(
        429, json=error_body("TooMany", "slow down", 429), headers={"X-RateLimit-Reset": reset}
    )
    route = upsales_api.get("/accounts/1").mock(
        side_effect=[limited, httpx.Response(200, json=envelope({"id": 1}))]
    )
    assert (await client.get_company(1)).id == 1
    assert route.call_count == 2
    assert fake_time.now == expected_wait
    assert client.call_counts["GET /accounts/{id}"] == 2


async def test_rate_limited_create_is_retried_too(
    client: UpsalesClient, upsales_api: respx.MockRouter
) -> None:
    route = upsales_api.post("/accounts").mock(
        side_effect=[
            httpx.Response(429, headers={"X-RateLimit-Reset": "3"}),
            httpx.Response(200, json=envelope({"id": 5, "name": "New"})),
        ]
    )
    assert (await client.create_company(CompanyDraft(name="New"))).id == 5
    assert route.call_count == 2


async def test_server_error_burst_is_retried_with_growing_backoff(
    client: UpsalesClient, upsales_api: respx.MockRouter, fake_time: FakeTime
) -> None:
    route = upsales_api.get("/orders/1").mock(
        side_effect=[
            httpx.Response(500),
            httpx.Response(502, text="<html>bad gateway</html>"),
            httpx.Response(503),
            httpx.Response(200, json=envelope({"id": 1})),
        ]
    )
    assert (await client.get_order(1)).id == 1
    assert route.call_count == 4
    assert fake_time.sleeps == [0.25, 0.5, 1.0]  # base 0.5 doubling, jitter 0 = half of each


async def test_gives_up_after_max_attempts_with_a_retryable_error(
    client: UpsalesClient, upsales_api: respx.MockRouter
) -> None:
    route = upsales_api.get("/orders/1").respond(503)
    with pytest.raises(UpsalesServerError) as caught:
        await client.get_order(1)
    assert isinstance(caught.value, RetryableError)
    assert route.call_count == RETRY.max_attempts


async def test_gives_up_when_the_next_wait_would_pass_the_time_budget(
    make_client: Callable[..., UpsalesClient], upsales_api: respx.MockRouter, fake_time: FakeTime
) -> None:
    client = make_client(retry=replace(RETRY, max_attempts=10, max_elapsed_seconds=60))
    route = upsales_api.get("/orders/1").respond(429, headers={"X-RateLimit-Reset": "50"})
    with pytest.raises(UpsalesRateLimited) as caught:
        await client.get_order(1)
    assert caught.value.retry_after == 50.0  # the worker can wait this long
    assert route.call_count == 2
    assert fake_time.now <= 60


async def test_a_request_of_a_key_paused_past_the_budget_is_not_sent_nor_waits(
    client: UpsalesClient, upsales_api: respx.MockRouter, fake_time: FakeTime
) -> None:
    """Another job's request meets the pause of a 429 whose reset outlasts the time budget: it
    raises at once, for the pause's end, rather than hold its worker for minutes."""
    route = upsales_api.get("/orders/1").respond(200, json=envelope({"id": 1}))
    client.limiter.pause(300.0)

    with pytest.raises(UpsalesRateLimited) as caught:
        await client.get_order(1)

    assert caught.value.retry_after == 300.0
    assert route.call_count == 0
    assert fake_time.sleeps == []


async def test_a_request_waiting_for_its_place_when_a_long_pause_comes_is_not_sent(
    make_client: Callable[..., UpsalesClient], upsales_api: respx.MockRouter, fake_time: FakeTime
) -> None:
    """One request meets a 429 whose reset outlasts the time budget while another waits for
    the key's only place: the waiting one raises at once too, rather than sit the pause out."""

    async def sleep_never_over(seconds: float) -> None:  # no window ends by itself here
        await asyncio.Event().wait()

    second_queued = asyncio.Event()
    limiter = SlidingWindowLimiter(
        1, 10.0, clock=fake_time.clock, sleep=sleep_never_over, on_wait=second_queued.set
    )
    client = make_client(limiter=limiter)

    async def throttled(request: httpx.Request) -> httpx.Response:
        await second_queued.wait()  # answered once the second request waits for the place
        return httpx.Response(429, headers={"Retry-After": "300"}, json={"error": "limit"})

    upsales_api.get("/orders/1").mock(side_effect=throttled)
    second_route = upsales_api.get("/orders/2").respond(200, json=envelope({"id": 2}))
    first = asyncio.ensure_future(client.get_order(1))
    second = asyncio.ensure_future(client.get_order(2))

    with pytest.raises(UpsalesRateLimited) as caught:
        await asyncio.wait_for(second, timeout=10)
    with pytest.raises(UpsalesRateLimited):
        await asyncio.wait_for(first, timeout=10)
    assert caught.value.retry_after == pytest.approx(300.0)
    assert second_route.call_count == 0


async def test_read_timeout_is_retried_for_reads(
    client: UpsalesClient, upsales_api: respx.MockRouter
) -> None:
    route = upsales_api.get("/accounts/1").mock(
        side_effect=[httpx.ReadTimeout("timed out"), httpx.Response(200, json=envelope({"id": 1}))]
    )
    assert (await client.get_company(1)).id == 1
    assert route.call_count == 2


async def test_create_is_not_repeated_when_upsales_may_have_acted(
    client: UpsalesClient, upsales_api: respx.MockRouter
) -> None:
    route = upsales_api.post("/accounts").mock(side_effect=httpx.ReadTimeout("timed out"))
    with pytest.raises(UpsalesNetworkError) as caught:
        await client.create_company(CompanyDraft(name="New"))
    assert isinstance(caught.value, RetryableError)
    assert route.call_count == 1
    route.side_effect = None
    route.return_value = httpx.Response(500)
    with pytest.raises(UpsalesServerError):
        await client.create_company(CompanyDraft(name="New"))
    assert route.call_count == 2


async def test_create_is_retried_when_the_connection_never_opened(
    client: UpsalesClient, upsales_api: respx.MockRouter
) -> None:
    route = upsales_api.post("/accounts").mock(
        side_effect=[
            httpx.ConnectError("refused"),
            httpx.Response(200, json=envelope({"id": 5, "name": "New"})),
        ]
    )
    assert (await client.create_company(CompanyDraft(name="New"))).id == 5
    assert route.call_count == 2


async def test_token_never_appears_in_errors_or_logs(
    make_client: Callable[..., UpsalesClient],
    upsales_api: respx.MockRouter,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="httpx")  # another test may have quietened it
    client = make_client(retry=replace(RETRY, max_attempts=2))

    def refuse_with_url(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"cannot reach {request.url}")

    upsales_api.get("/accounts/1").mock(side_effect=refuse_with_url)
    upsales_api.get("/accounts/2").respond(400, json=error_body("Bad", f"unknown token {TOKEN}"))
    upsales_api.get("/accounts/3").respond(json=envelope({"id": 3}))

    raised: list[UpsalesError] = []
    for company_id in (1, 2):
        with pytest.raises(UpsalesError) as caught:
            await client.get_company(company_id)
        raised.append(caught.value)
    await client.get_company(3)

    assert isinstance(raised[0], UpsalesNetworkError) and "token=***" in raised[0].message
    assert isinstance(raised[1], UpsalesBadRequest) and raised[1].upsales_message is not None
    for error in raised:
        assert_token_absent(error)
        assert TOKEN not in (error.upsales_message or "")
    messages = [record.getMessage() for record in caplog.records]
    assert any("retrying" in message for message in messages)
    assert any(message.startswith("HTTP Request:") for message in messages)
    assert all(TOKEN not in message for message in messages)
    assert TOKEN not in caplog.text
