from __future__ import annotations

import httpx

from tests.sandbox.upsales.conftest import FakeClock, body
from ufs_sandboxes.upsales import (
    DemoUpsalesSeed,
    UpsalesSandbox,
    UpsalesSandboxConfig,
    create_upsales_sandbox,
)


def _headers(response: httpx.Response) -> tuple[int, int, int]:
    return (
        int(response.headers["X-RateLimit-Limit"]),
        int(response.headers["X-RateLimit-Remaining"]),
        int(response.headers["X-RateLimit-Reset"]),
    )


async def test_every_answer_carries_rate_limit_headers(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    assert _headers(await client.get("self")) == (200, 199, 10)
    clock.advance(2.5)
    assert _headers(await client.get("accounts/999")) == (200, 198, 8)
    assert _headers(await client.post("accounts", json={})) == (200, 197, 8)


async def test_over_budget_is_429_until_the_window_ends(
    sandbox: UpsalesSandbox, client: httpx.AsyncClient, demo: DemoUpsalesSeed, clock: FakeClock
) -> None:
    for _ in range(200):
        assert (await client.get("self")).status_code == 200
    clock.advance(4)
    refused = await client.get("accounts")
    assert refused.status_code == 429
    assert body(refused)["error"]["code"] == 429
    assert _headers(refused) == (200, 0, 6)
    clock.advance(5.9)
    assert (await client.get("accounts")).status_code == 429
    clock.advance(0.1)
    recovered = await client.get("accounts")
    assert recovered.status_code == 200
    assert _headers(recovered) == (200, 199, 10)
    counters = sandbox.request_counters()
    assert counters["rateLimited"] == 2
    assert counters["byApiKey"][demo.api_key] == 203


async def test_budget_is_per_api_key(clock: FakeClock) -> None:
    small = create_upsales_sandbox(UpsalesSandboxConfig(rate_limit_requests=2, clock=clock))
    first = small.create_customer("Ett AB")
    second_key = small.create_api_key(first.id)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=small.app), base_url="http://u.test/api/v2/"
    ) as raw:
        statuses = [
            (await raw.get("self", params={"token": first.api_key})).status_code for _ in range(3)
        ]
        assert statuses == [200, 200, 429]
        other = await raw.get("self", params={"token": second_key})
        assert other.status_code == 200
        assert body(other)["data"]["id"] != first.user_id
        assert body(other)["data"]["email"].endswith("@api.upsales.com")
