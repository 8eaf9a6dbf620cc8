"""Fortnox pacing: how much of a tenant's request budget ``FortnoxClient`` gets to use, and
whether Fortnox (here the sandbox) ever has to throttle it.

The Fortnox sandbox runs in process (``httpx.ASGITransport``) with its sliding-window budget
scaled in time, and every client's ``SlidingWindowLimiter`` is set to the same budget:

* ``single``: one tenant, a burst of 1,000 concurrent GETs through one client, at 100
  requests per 0.5 s (the budget scaled up so a burst is over in seconds);
* ``20 tenants``: 20 tenants at once, each with its own token, limiter and client, each
  firing N concurrent GETs, at 25 requests per 2.5 s per tenant (Fortnox's 25 per 5 s, twice
  as fast).

Both budgets come to 200 requests/s: the clients and the sandbox share this process and each
request costs both CPU, so a budget near what one core can serve would measure the CPU, not the
pacing. ``cpu_share`` (this process's CPU time over the round's span) shows the headroom.

The limiter holds a request's place from its send until its answer and then for a window (see
``integrations/pacing.py``), so no server-side window ever sees too many: a request answered
after ``L`` seconds keeps its place ``W + L`` seconds, and the ratio below can reach about
``W / (W + L)`` at most. Here ``L`` is mostly the wait of a request behind the others granted
with it in this one process (a window's worth granted at once, served one after another).

A sliding window of L requests per W seconds lets the first L requests go at once and then at
most L per W, so the budget ceiling is L / W and the achieved rate counts the requests after
the first L over the time from the first request's send to the last one's::

    ratio = ((N - L) / span) / (L / W)

For 20 tenants both sides are summed over the tenants and the span runs from the first send of
any tenant to the last. Every round uses a fresh sandbox; the 429s are the sandbox's own count.

    PYTHONPATH=src python -m bench.pacing [--quick] [--uvloop]

``--uvloop`` runs on uvloop (as uvicorn does) instead of asyncio's own loop (as the worker
command does).

The last line printed is one JSON object: ``ratio_single``, ``ratio_20_tenants``, ``http_429``
and the figures of every round.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path[:0] = [str(Path(__file__).resolve().parent.parent / "src")]

import httpx

from ufs_sandboxes.fortnox import (
    FortnoxSandbox,
    FortnoxSandboxConfig,
    RateLimit,
    create_fortnox_sandbox,
)
from upsales_fortnox.integrations.fortnox.client import FortnoxClient
from upsales_fortnox.integrations.pacing import SlidingWindowLimiter

# httpx's ASGITransport tries ``import sniffio`` on every request to detect trio. The package
# is not installed, and a failed import searches the whole module path every time: about a
# sixth of the CPU of an in-process request, which a real connection does not pay. So the
# benchmark tells Python once that the module is absent.
sys.modules.setdefault("sniffio", None)  # type: ignore[arg-type]

API_BASE = "http://fortnox.bench/3"
SINGLE_BUDGET = RateLimit(requests=100, window_seconds=0.5)
TENANT_BUDGET = RateLimit(requests=25, window_seconds=2.5)
TENANTS = 20
SINGLE_REQUESTS = 1000
CUSTOMER = {"CustomerNumber": "1", "Name": "Acme AB"}


@dataclass(frozen=True)
class Plan:
    single_rounds: int
    tenant_rounds: int
    requests_per_tenant: int


QUICK = Plan(single_rounds=2, tenant_rounds=1, requests_per_tenant=100)
FULL = Plan(single_rounds=5, tenant_rounds=2, requests_per_tenant=300)


class SendTimes(httpx.AsyncBaseTransport):
    """Notes when each request leaves the client, then hands it to the sandbox."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self._inner = inner
        self.sent: list[float] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(time.perf_counter())
        return await self._inner.handle_async_request(request)


@dataclass(frozen=True)
class Round:
    tenants: int
    budget: RateLimit
    requests_per_tenant: int
    span_seconds: float
    http_429: int
    sent: int
    cpu_seconds: float

    @property
    def ceiling(self) -> float:
        """Requests per second the budgets allow after the first window."""
        return self.tenants * self.budget.requests / self.budget.window_seconds

    @property
    def paced_requests(self) -> int:
        """Requests beyond what the first window lets through at once."""
        return self.tenants * (self.requests_per_tenant - self.budget.requests)

    @property
    def rate(self) -> float:
        return self.paced_requests / self.span_seconds

    @property
    def ratio(self) -> float:
        return self.rate / self.ceiling

    def figures(self) -> dict[str, Any]:
        return {
            "tenants": self.tenants,
            "budget": f"{self.budget.requests} per {self.budget.window_seconds:g} s",
            "requests": self.tenants * self.requests_per_tenant,
            "sent": self.sent,
            "span_s": round(self.span_seconds, 3),
            "ideal_span_s": round(self.paced_requests / self.ceiling, 3),
            "rate_per_s": round(self.rate, 1),
            "ceiling_per_s": round(self.ceiling, 1),
            "ratio": round(self.ratio, 3),
            "http_429": self.http_429,
            "cpu_share": round(self.cpu_seconds / self.span_seconds, 3),
        }


def client_for(
    sandbox: FortnoxSandbox, tenant_id: int, http: httpx.AsyncClient, budget: RateLimit
) -> FortnoxClient:
    token = sandbox.issue_tokens(tenant_id).access_token

    async def access_token() -> str:
        return token

    async def refresh_token(rejected: str) -> str:
        raise RuntimeError("an access token lasts an hour; the benchmark takes seconds")

    return FortnoxClient(
        http,
        base_url=API_BASE,
        tenant_key=f"tenant:{tenant_id}",
        access_token=access_token,
        refresh_token=refresh_token,
        limiter=SlidingWindowLimiter(budget.requests, budget.window_seconds),
    )


async def run_round(tenants: int, budget: RateLimit, requests_per_tenant: int) -> Round:
    sandbox = create_fortnox_sandbox(FortnoxSandboxConfig(rate_limit=budget))
    first = sandbox.default_tenant_id
    assert first is not None
    tenant_ids = [first] + [sandbox.create_tenant() for _ in range(tenants - 1)]
    for tenant_id in tenant_ids:
        sandbox.seed(tenant_id, customers=[CUSTOMER])
    transport = SendTimes(httpx.ASGITransport(app=sandbox.app))
    cpu_started = time.process_time()
    async with httpx.AsyncClient(transport=transport, timeout=60.0) as http:
        clients = [client_for(sandbox, tenant_id, http, budget) for tenant_id in tenant_ids]
        customers = await asyncio.gather(
            *(client.get_customer("1") for client in clients for _ in range(requests_per_tenant))
        )
    if any(customer.Name != CUSTOMER["Name"] for customer in customers):
        raise RuntimeError("a request did not return the customer")
    return Round(
        tenants=tenants,
        budget=budget,
        requests_per_tenant=requests_per_tenant,
        span_seconds=transport.sent[-1] - transport.sent[0],
        http_429=sandbox.request_counters().throttled,
        sent=len(transport.sent),
        cpu_seconds=time.process_time() - cpu_started,
    )


def pooled_ratio(rounds: list[Round]) -> float:
    """All rounds of a case together: paced requests over their total span, per ceiling."""
    paced = sum(r.paced_requests for r in rounds)
    span = sum(r.span_seconds for r in rounds)
    return paced / span / rounds[0].ceiling


async def main(plan: Plan) -> dict[str, Any]:
    single: list[Round] = []
    for index in range(plan.single_rounds):
        single.append(await run_round(1, SINGLE_BUDGET, SINGLE_REQUESTS))
        print(f"single, round {index + 1}: {json.dumps(single[-1].figures())}", flush=True)
    many: list[Round] = []
    for index in range(plan.tenant_rounds):
        many.append(await run_round(TENANTS, TENANT_BUDGET, plan.requests_per_tenant))
        print(f"{TENANTS} tenants, round {index + 1}: {json.dumps(many[-1].figures())}", flush=True)
    return {
        "ratio_single": round(pooled_ratio(single), 3),
        "ratio_20_tenants": round(pooled_ratio(many), 3),
        "http_429": sum(r.http_429 for r in single + many),
        "min_ratio_single": round(min(r.ratio for r in single), 3),
        "min_ratio_20_tenants": round(min(r.ratio for r in many), 3),
        "max_cpu_share": round(max(r.cpu_seconds / r.span_seconds for r in single + many), 3),
        "single_budget": f"{SINGLE_BUDGET.requests} per {SINGLE_BUDGET.window_seconds:g} s",
        "tenant_budget": f"{TENANT_BUDGET.requests} per {TENANT_BUDGET.window_seconds:g} s",
        "single_requests": SINGLE_REQUESTS,
        "requests_per_tenant": plan.requests_per_tenant,
        "rounds": {"single": plan.single_rounds, "20_tenants": plan.tenant_rounds},
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds and requests")
    parser.add_argument("--uvloop", action="store_true", help="run on uvloop")
    arguments = parser.parse_args()
    started = time.perf_counter()
    plan = QUICK if arguments.quick else FULL
    if arguments.uvloop:
        import uvloop

        result = uvloop.run(main(plan))
    else:
        result = asyncio.run(main(plan))
    result["loop"] = "uvloop" if arguments.uvloop else "asyncio"
    result["elapsed_s"] = round(time.perf_counter() - started, 1)
    print(json.dumps(result))
