"""Fortnox pacing: how much of a tenant's request budget ``FortnoxClient`` gets to use, and
whether Fortnox (here the sandbox) ever has to throttle it.

The Fortnox sandbox serves from a process of its own over loopback HTTP (as Fortnox is
elsewhere); the clients go through the service's own HTTP transport, and every client's
``SlidingWindowLimiter`` is set to the sandbox's budget. Four cases, each a burst of
concurrent GETs per tenant (each tenant with its own token, limiter and client):

* ``single`` and ``20_tenants``: one tenant, and twenty at once, at Fortnox's own budget
  (25 requests per 5 s per tenant);
* ``stress_single``: one tenant, 1,000 GETs at 100 requests per 0.5 s, and
  ``stress_20_tenants``: twenty at 25 per 2.5 s. These squeeze the window (both come to
  200 requests/s), so a round trip weighs 10 and 2 times more against it than at Fortnox's.

``cpu_share`` (this process's CPU time over the round's span: the clients alone) shows the
headroom.

The limiter holds a request's place from its send until its answer and then for a window (see
``integrations/pacing.py``), so no server-side window ever sees too many: a request answered
after ``L`` seconds keeps its place ``W + L`` seconds, and the ratio below can reach about
``W / (W + L)`` at most. ``L`` is the round trip plus the wait of a request behind the others
granted with it (a window's worth granted at once).

A sliding window of L requests per W seconds lets the first L requests go at once and then at
most L per W, so the budget ceiling is L / W and the achieved rate counts the requests after
the first L over the time from the first request's send to the last one's::

    ratio = ((N - L) / span) / (L / W)

For 20 tenants both sides are summed over the tenants and the span runs from the first send of
any tenant to the last. Every round uses a fresh sandbox process; the 429s are the sandbox's
own count.

    PYTHONPATH=src python -m bench.pacing [--quick] [--asyncio]

The clients, and the sandbox in its process, run on the service's own event loop (uvloop,
``core/event_loop.py``); ``--asyncio`` runs the clients on asyncio's own loop.

The last line printed is one JSON object: ``ratio_<case>`` for every case, ``http_429``,
``min_ratio`` (the lowest round of each case), ``max_cpu_share`` and the cases' settings;
every round's figures are printed before it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from bench.sandbox_processes import sandbox_processes
from bench.scale_out_setup import HOST, serve_fortnox
from ufs_sandboxes.fortnox import RateLimit
from upsales_fortnox.core import event_loop
from upsales_fortnox.integrations.api_transport import AiohttpTransport, CookielessClient
from upsales_fortnox.integrations.fortnox.client import FortnoxClient
from upsales_fortnox.integrations.pacing import SlidingWindowLimiter
from upsales_fortnox.services import FORTNOX_HTTP_LIMITS, HTTP_TIMEOUT

T = TypeVar("T")
USE_ASYNCIO = False
FORTNOX_BUDGET = RateLimit(requests=25, window_seconds=5.0)
TENANTS = 20
CUSTOMER_NAME = "Nordisk Verkstad AB"  # customer "1" of every tenant ``serve_fortnox`` seeds


@dataclass(frozen=True)
class Case:
    name: str
    tenants: int
    budget: RateLimit
    requests_per_tenant: int
    rounds: int


QUICK = (
    Case("single", 1, FORTNOX_BUDGET, 150, 1),
    Case("20_tenants", TENANTS, FORTNOX_BUDGET, 100, 1),
    Case("stress_single", 1, RateLimit(requests=100, window_seconds=0.5), 1000, 1),
    Case("stress_20_tenants", TENANTS, RateLimit(requests=25, window_seconds=2.5), 100, 1),
)
FULL = (
    Case("single", 1, FORTNOX_BUDGET, 300, 2),
    Case("20_tenants", TENANTS, FORTNOX_BUDGET, 150, 2),
    Case("stress_single", 1, RateLimit(requests=100, window_seconds=0.5), 1000, 3),
    Case("stress_20_tenants", TENANTS, RateLimit(requests=25, window_seconds=2.5), 300, 2),
)


class SendTimes(httpx.AsyncBaseTransport):
    """Notes when each request leaves the client, then hands it to the wire."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self._inner = inner
        self.sent: list[float] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(time.perf_counter())
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


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
    port: int, tenant: dict[str, Any], http: httpx.AsyncClient, budget: RateLimit
) -> FortnoxClient:
    token = str(tenant["access_token"])

    async def access_token() -> str:
        return token

    async def refresh_token(rejected: str) -> str:
        raise RuntimeError("an access token lasts an hour; the benchmark takes seconds")

    return FortnoxClient(
        http,
        base_url=f"http://{HOST}:{port}/3",
        tenant_key=f"tenant:{tenant['tenant_id']}",
        access_token=access_token,
        refresh_token=refresh_token,
        limiter=SlidingWindowLimiter(budget.requests, budget.window_seconds),
    )


async def fire(
    port: int, tenants: list[dict[str, Any]], budget: RateLimit, requests_per_tenant: int
) -> tuple[SendTimes, float]:
    """Every tenant's requests at once; the send times and this process's CPU seconds."""
    transport = SendTimes(AiohttpTransport(FORTNOX_HTTP_LIMITS))
    async with CookielessClient(transport=transport, timeout=HTTP_TIMEOUT) as http:
        clients = [client_for(port, tenant, http, budget) for tenant in tenants]
        cpu_started = time.process_time()
        customers = await asyncio.gather(
            *(client.get_customer("1") for client in clients for _ in range(requests_per_tenant))
        )
        cpu_seconds = time.process_time() - cpu_started
    if any(customer.Name != CUSTOMER_NAME for customer in customers):
        raise RuntimeError("a request did not return the customer")
    return transport, cpu_seconds


def run_round(tenants: int, budget: RateLimit, requests_per_tenant: int) -> Round:
    options = {"rate_limit": (budget.requests, budget.window_seconds)}
    with sandbox_processes((serve_fortnox, [0] * tenants, options)) as (fortnox,):
        transport, cpu_seconds = run_loop(
            fire(fortnox.port, fortnox.seed, budget, requests_per_tenant)
        )
        report = fortnox.report()
    return Round(
        tenants=tenants,
        budget=budget,
        requests_per_tenant=requests_per_tenant,
        span_seconds=transport.sent[-1] - transport.sent[0],
        http_429=int(report["throttled"]),
        sent=len(transport.sent),
        cpu_seconds=cpu_seconds,
    )


def pooled_ratio(rounds: list[Round]) -> float:
    """All rounds of a case together: paced requests over their total span, per ceiling."""
    paced = sum(r.paced_requests for r in rounds)
    span = sum(r.span_seconds for r in rounds)
    return paced / span / rounds[0].ceiling


def run_loop(work: Coroutine[Any, Any, T]) -> T:
    """``work`` on the service's event loop, or on asyncio's own with ``--asyncio``."""
    if USE_ASYNCIO:
        return asyncio.run(work)
    return event_loop.run(work)


def main(cases: tuple[Case, ...]) -> dict[str, Any]:
    rounds: dict[str, list[Round]] = {}
    for case in cases:
        for index in range(case.rounds):
            done = run_round(case.tenants, case.budget, case.requests_per_tenant)
            rounds.setdefault(case.name, []).append(done)
            print(f"{case.name}, round {index + 1}: {json.dumps(done.figures())}", flush=True)
    every_round = [done for case_rounds in rounds.values() for done in case_rounds]
    figures: dict[str, Any] = {
        f"ratio_{name}": round(pooled_ratio(case_rounds), 3) for name, case_rounds in rounds.items()
    }
    figures["http_429"] = sum(done.http_429 for done in every_round)
    figures["min_ratio"] = {
        name: round(min(done.ratio for done in case_rounds), 3)
        for name, case_rounds in rounds.items()
    }
    figures["max_cpu_share"] = round(
        max(done.cpu_seconds / done.span_seconds for done in every_round), 3
    )
    figures["cases"] = {
        case.name: {
            "tenants": case.tenants,
            "budget": f"{case.budget.requests} per {case.budget.window_seconds:g} s",
            "requests_per_tenant": case.requests_per_tenant,
            "rounds": case.rounds,
        }
        for case in cases
    }
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds and requests")
    parser.add_argument("--asyncio", action="store_true", help="run on asyncio's own loop")
    arguments = parser.parse_args()
    started = time.perf_counter()
    USE_ASYNCIO = arguments.asyncio
    result = main(QUICK if arguments.quick else FULL)
    result["loop"] = "asyncio" if arguments.asyncio else "service"
    result["elapsed_s"] = round(time.perf_counter() - started, 1)
    print(json.dumps(result))
