"""The 25-per-5-seconds sliding window, the fault knobs and the request counters."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tests.sandbox.fortnox.helpers import client_for
from ufs_sandboxes.fortnox import (
    ConnectionDropped,
    FortnoxSandbox,
    ManualClock,
    RateLimit,
)


@pytest.fixture
def limited(make_sandbox: Callable[..., FortnoxSandbox]) -> FortnoxSandbox:
    """A sandbox with Fortnox's own limit: 25 requests per 5 seconds."""
    return make_sandbox(rate_limit=RateLimit())


async def statuses(api: httpx.AsyncClient, count: int) -> list[int]:
    return [(await api.get("/3/customers")).status_code for _ in range(count)]


async def test_the_26th_request_in_five_seconds_gets_429(
    limited: FortnoxSandbox, clock: ManualClock
) -> None:
    tenant_id = limited.default_tenant_id
    assert tenant_id is not None
    async with client_for(limited, limited.issue_tokens(tenant_id).access_token) as api:
        assert await statuses(api, 25) == [200] * 25
        refused = await api.get("/3/customers")

    assert refused.status_code == 429
    assert "ErrorInformation" in refused.json()
    assert "retry-after" not in refused.headers
    counters = limited.request_counters()
    assert counters.throttled == 1
    assert counters.throttled_by_tenant == {tenant_id: 1}
    assert counters.by_tenant == {tenant_id: 26}


async def test_the_window_slides(limited: FortnoxSandbox, clock: ManualClock) -> None:
    tenant_id = limited.default_tenant_id
    assert tenant_id is not None
    async with client_for(limited, limited.issue_tokens(tenant_id).access_token) as api:
        assert await statuses(api, 10) == [200] * 10  # t = 0
        clock.advance(3)
        assert await statuses(api, 16) == [200] * 15 + [429]  # t = 3
        clock.advance(1.9)
        assert await statuses(api, 1) == [429]  # t = 4.9: all 25 still inside the window
        clock.advance(0.1)
        assert await statuses(api, 11) == [200] * 10 + [429]  # t = 5: the first 10 left
        clock.advance(3)
        assert await statuses(api, 15) == [200] * 15  # t = 8: the next 15 left


async def test_refused_requests_do_not_extend_the_wait(
    limited: FortnoxSandbox, clock: ManualClock
) -> None:
    tenant_id = limited.default_tenant_id
    assert tenant_id is not None
    async with client_for(limited, limited.issue_tokens(tenant_id).access_token) as api:
        await statuses(api, 25)
        for _ in range(4):
            clock.advance(1)
            assert await statuses(api, 3) == [429] * 3
        clock.advance(1)
        assert await statuses(api, 1) == [200]


async def test_each_tenant_has_its_own_budget(limited: FortnoxSandbox) -> None:
    first = limited.default_tenant_id
    assert first is not None
    second = limited.create_tenant("Second AB")
    async with (
        client_for(limited, limited.issue_tokens(first).access_token) as api_one,
        client_for(limited, limited.issue_tokens(second).access_token) as api_two,
    ):
        assert await statuses(api_one, 26) == [200] * 25 + [429]
        assert await statuses(api_two, 25) == [200] * 25


async def test_retry_after_can_be_switched_on(
    make_sandbox: Callable[..., FortnoxSandbox], clock: ManualClock
) -> None:
    sandbox = make_sandbox(
        rate_limit=RateLimit(requests=2, window_seconds=5), send_retry_after=True
    )
    tenant_id = sandbox.default_tenant_id
    assert tenant_id is not None
    async with client_for(sandbox, sandbox.issue_tokens(tenant_id).access_token) as api:
        await api.get("/3/customers")
        clock.advance(1.5)
        await api.get("/3/customers")
        refused = await api.get("/3/customers")

    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "4"  # the first request leaves at t = 5


async def test_fail_next_answers_503_then_recovers(
    api: httpx.AsyncClient, sandbox: FortnoxSandbox
) -> None:
    sandbox.set_faults(fail_next=2)

    codes = await statuses(api, 3)

    assert codes == [503, 503, 200]
    assert sandbox.fault_settings.fail_next == 0


async def test_error_rate_gives_500_with_system_exception(
    api: httpx.AsyncClient, sandbox: FortnoxSandbox
) -> None:
    sandbox.set_faults(error_rate=1.0)

    response = await api.get("/3/customers")

    assert response.status_code == 500
    assert response.json()["ErrorInformation"]["code"] == 1000003


async def test_error_rate_is_deterministic_with_a_seed(
    make_sandbox: Callable[..., FortnoxSandbox],
) -> None:
    runs = []
    for _ in range(2):
        sandbox = make_sandbox()
        tenant_id = sandbox.default_tenant_id
        assert tenant_id is not None
        sandbox.set_faults(error_rate=0.5, seed=42)
        async with client_for(sandbox, sandbox.issue_tokens(tenant_id).access_token) as api:
            runs.append(await statuses(api, 40))

    assert runs[0] == runs[1]
    assert set(runs[0]) == {200, 500}


async def test_dropped_connection_raises_a_transport_error(
    api: httpx.AsyncClient, sandbox: FortnoxSandbox
) -> None:
    sandbox.set_faults(drop_next=1)

    with pytest.raises(httpx.RemoteProtocolError) as raised:
        await api.get("/3/customers")
    after = await api.get("/3/customers")

    assert isinstance(raised.value, ConnectionDropped)
    assert isinstance(raised.value, httpx.TransportError)
    assert after.status_code == 200
    assert sandbox.request_counters().dropped == 1


async def test_latency_waits_before_every_request(
    make_sandbox: Callable[..., FortnoxSandbox],
) -> None:
    waits: list[float] = []

    async def record_sleep(seconds: float) -> None:
        waits.append(seconds)

    sandbox = make_sandbox(sleep=record_sleep)
    tenant_id = sandbox.default_tenant_id
    assert tenant_id is not None
    sandbox.set_faults(latency_ms=250)
    async with client_for(sandbox, sandbox.issue_tokens(tenant_id).access_token) as api:
        await statuses(api, 2)
        sandbox.set_faults()
        await statuses(api, 1)

    assert waits == [0.25, 0.25]


async def test_faults_spare_the_admin_api_and_shape_oauth_errors(
    anonymous: httpx.AsyncClient, sandbox: FortnoxSandbox
) -> None:
    sandbox.set_faults(fail_next=1)

    admin = await anonymous.get("/_sandbox/counters")
    token = await anonymous.post("/oauth-v1/token", data={"grant_type": "refresh_token"})

    assert admin.status_code == 200
    assert token.status_code == 503
    assert token.json()["error"] == "server_error"


async def test_counters_by_route_template_and_status(
    api: httpx.AsyncClient, sandbox: FortnoxSandbox, tenant_id: int
) -> None:
    sandbox.seed(tenant_id, customers=[{"Name": "Acme"}])
    await api.get("/3/customers/1")
    await api.get("/3/customers/2")
    await api.put("/3/customers/1", json={"Customer": {"City": "Lund"}})

    counters = sandbox.request_counters()

    assert counters.by_route == {
        "GET /3/customers/{CustomerNumber}": 2,
        "PUT /3/customers/{CustomerNumber}": 1,
    }
    assert counters.by_status == {200: 2, 404: 1}
    assert counters.total == 3
    sandbox.reset_counters()
    assert sandbox.request_counters().total == 0
