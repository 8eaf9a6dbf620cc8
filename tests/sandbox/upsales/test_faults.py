from __future__ import annotations

import httpx
import pytest

from tests.sandbox.upsales.conftest import FakeClock, RecordingSleep, body
from ufs_sandboxes.upsales import (
    DemoUpsalesSeed,
    UpsalesSandbox,
    UpsalesSandboxConfig,
    UpsalesSandboxConnectionDropped,
    create_upsales_sandbox,
)


async def test_fail_next_answers_503_then_recovers(
    sandbox: UpsalesSandbox, client: httpx.AsyncClient
) -> None:
    sandbox.set_faults(fail_next=2)
    first, second, third = [await client.get("accounts") for _ in range(3)]
    assert (first.status_code, second.status_code, third.status_code) == (503, 503, 200)
    assert body(first)["error"]["code"] == 503 and body(first)["data"] is None
    assert first.headers["X-RateLimit-Remaining"] == "199"
    assert sandbox.faults.fail_next == 0


async def test_error_rate_one_fails_everything(
    sandbox: UpsalesSandbox, client: httpx.AsyncClient
) -> None:
    sandbox.set_faults(error_rate=1.0)
    assert {(await client.get("self")).status_code for _ in range(5)} == {500}
    sandbox.set_faults(error_rate=0.0)
    assert (await client.get("self")).status_code == 200


async def _statuses(seed: int, clock: FakeClock) -> list[int]:
    sandbox = create_upsales_sandbox(UpsalesSandboxConfig(clock=clock))
    key = sandbox.create_customer().api_key
    sandbox.set_faults(error_rate=0.5, seed=seed)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sandbox.app), base_url="http://u.test"
    ) as c:
        return [(await c.get("/api/v2/self", params={"token": key})).status_code for _ in range(40)]


async def test_error_rate_is_random_but_repeatable_with_a_seed(clock: FakeClock) -> None:
    first = await _statuses(11, clock)
    assert first == await _statuses(11, clock)
    assert set(first) == {200, 500}
    assert first != await _statuses(12, clock)


async def test_latency_is_awaited_through_the_injected_sleep(
    sandbox: UpsalesSandbox, client: httpx.AsyncClient, sleeps: RecordingSleep
) -> None:
    sandbox.set_faults(latency_ms=250)
    await client.get("self")
    await client.get("accounts")
    assert sleeps.delays == [0.25, 0.25]


async def test_dropped_request_reaches_the_client_as_a_protocol_error(
    sandbox: UpsalesSandbox, client: httpx.AsyncClient, demo: DemoUpsalesSeed
) -> None:
    sandbox.set_faults(drop_next=1)
    with pytest.raises(httpx.RemoteProtocolError) as caught:
        await client.post("accounts", json={"name": "Aldrig sparad AB"})
    assert isinstance(caught.value, UpsalesSandboxConnectionDropped)
    assert (await client.get("accounts")).status_code == 200
    counters = sandbox.request_counters()
    assert counters["dropped"] == 1
    assert counters["byStatus"]["dropped"] == 1
    assert len(sandbox.list_entities(demo.customer_id, "accounts")) == 2


async def test_set_faults_rejects_nonsense(sandbox: UpsalesSandbox) -> None:
    with pytest.raises(ValueError):
        sandbox.set_faults(error_rate=1.5)
    with pytest.raises(ValueError):
        sandbox.set_faults(fail_next=-1)
