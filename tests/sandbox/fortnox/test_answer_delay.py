"""The ``answer_delay_ms`` fault: every answer late by a round trip's latency, its request
counted at arrival and handled before the wait, concurrent answers waiting together."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest

from tests.sandbox.fortnox.helpers import client_for
from ufs_sandboxes.fortnox import FortnoxSandbox, RateLimit


async def test_the_request_counts_and_is_handled_before_its_answer_waits(
    make_sandbox: Callable[..., FortnoxSandbox],
) -> None:
    waits: list[float] = []
    seen_while_waiting: list[tuple[list[str], int]] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 1:  # the POST's answer waits: what does the sandbox look like now?
            names = [
                c["Name"] for c in sandbox.tenant(tenant_id).collection("customers").items.values()
            ]
            async with client_for(sandbox, token) as other:
                seen_while_waiting.append((names, (await other.get("/3/customers")).status_code))

    sandbox = make_sandbox(rate_limit=RateLimit(requests=1, window_seconds=5), sleep=sleep)
    tenant_id = sandbox.default_tenant_id
    assert tenant_id is not None
    token = sandbox.issue_tokens(tenant_id).access_token
    sandbox.set_faults(answer_delay_ms=150)
    async with client_for(sandbox, token) as api:
        created = await api.post("/3/customers", json={"Customer": {"Name": "Acme"}})

    assert created.is_success
    # Made before the wait; the window already full with it, so the next request is refused.
    assert seen_while_waiting == [(["Acme"], 429)]
    assert waits == [0.15, 0.15]  # the 429 is late too
    assert sandbox.request_counters().throttled == 1


async def test_concurrent_answers_wait_together(
    make_sandbox: Callable[..., FortnoxSandbox],
) -> None:
    waiting = 0
    both_waiting = asyncio.Event()
    release = asyncio.Event()

    async def sleep(_seconds: float) -> None:
        nonlocal waiting
        waiting += 1
        if waiting == 2:
            both_waiting.set()
        await release.wait()

    sandbox = make_sandbox(sleep=sleep)
    tenant_id = sandbox.default_tenant_id
    assert tenant_id is not None
    sandbox.set_faults(answer_delay_ms=150)

    async def release_when_both_wait() -> None:
        await both_waiting.wait()  # never set when one answer's wait holds up the other
        release.set()

    async with client_for(sandbox, sandbox.issue_tokens(tenant_id).access_token) as api:
        first, second, _ = await asyncio.wait_for(
            asyncio.gather(
                api.get("/3/customers"), api.get("/3/articles"), release_when_both_wait()
            ),
            timeout=5,
        )

    assert (first.status_code, second.status_code) == (200, 200)


async def test_the_admin_api_and_dropped_connections_are_not_delayed(
    make_sandbox: Callable[..., FortnoxSandbox],
) -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    sandbox = make_sandbox(sleep=sleep)
    tenant_id = sandbox.default_tenant_id
    assert tenant_id is not None
    async with client_for(sandbox) as admin:
        put = await admin.put("/_sandbox/faults", json={"answer_delay_ms": 40, "drop_next": 1})
        await admin.get("/_sandbox/counters")
    async with client_for(sandbox, sandbox.issue_tokens(tenant_id).access_token) as api:
        with pytest.raises(httpx.RemoteProtocolError):
            await api.get("/3/customers")
        assert waits == []
        await api.get("/3/customers")

    assert put.json()["answer_delay_ms"] == 40
    assert waits == [0.04]


async def test_a_negative_answer_delay_is_refused(sandbox: FortnoxSandbox) -> None:
    async with client_for(sandbox) as admin:
        refused = await admin.put("/_sandbox/faults", json={"answer_delay_ms": -1})
        cleared = await admin.get("/_sandbox/faults")

    assert refused.status_code == 400
    assert cleared.json()["answer_delay_ms"] == 0
    with pytest.raises(ValueError, match="answer_delay_ms"):
        sandbox.set_faults(answer_delay_ms=-5)
