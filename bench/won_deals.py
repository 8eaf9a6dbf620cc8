"""Benchmark: won deals → Fortnox invoices, many installations, steady state.

20 installations (one Upsales customer and one Fortnox tenant each, the company and products
already linked: steady state). The Fortnox and Upsales sandboxes serve from processes of their
own over loopback HTTP, as the real APIs would, so this process's CPU is the service's alone.
One ``upsales.order`` job per won deal is queued, then the service's worker runs in this
process until the queue is idle, on the service's event loop (uvloop: ``core/event_loop.py``).

The Fortnox sandbox enforces Fortnox's documented limit (25 requests per 5 s sliding window,
per tenant); the service paces at that limit, as it does by default. The *rate-limit lower
bound* is the least time any client could take to make the calls that were answered: an
installation making ``C`` Fortnox calls under ``N`` per ``W`` seconds needs at least
``(ceil(C / N) - 1) * W``; the bound is the largest of these.

Prints progress, then ONE JSON object as its last line::

    {"fortnox_calls_per_deal": 1.0, "upsales_calls_per_deal": 1.0, "time_ratio": 1.1, ...}

``cpu_ms_per_deal`` is the CPU time of this process (all its threads: queueing the jobs is
before the clock starts; the worker's queue, handler, clients, links and database driver are
in it) per deal; ``sandbox_cpu_seconds`` shows the sandboxes' processes apart. ``load_average``
is the machine's 1-minute load average before and after the run.

``loop_cpu_ms_per_deal`` is the CPU of the event loop's thread alone, the one every deal's work
goes through in turn. A tenant's calls past its last full window can only go once its bound has
passed, so with that CPU spent on each of them after it, the run needs at least
``cpu_floor_seconds`` (the bound plus those calls' loop CPU, the tenants of the largest bound
counted); ``time_over_cpu_floor`` is the time against it. A ``time_ratio`` above 1 with
``time_over_cpu_floor`` near 1 is the loop's CPU, not the pacing: at the quick size the bound is
one window and half the deals come after it, so ``time_ratio`` 1.05 needs about 0.5 ms of loop
CPU per deal. ``--quick`` runs 1,000 deals
(50 per installation), the default 2,000.

``--latency-ms N`` (default 0) makes both sandboxes answer every API call ``N`` ms late, as a
real API's round trip would (on loopback they answer in about a millisecond): each request still
counts against the rate limit when it arrives, only its answer is late, and answers overlap. It
shows whether a busy installation's deals still reach Fortnox at the rate limit: ``time_ratio``
stays against the same rate-limit bound. The last line reports it as ``latency_ms``.

Usage: ``python bench/won_deals.py [--quick] [--latency-ms N] [--database-url URL]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.sandbox_processes import sandbox_processes
from bench.scale_out_setup import (
    LIMIT,
    WINDOW,
    prepare_database,
    serve_fortnox,
    serve_upsales,
    service_env,
)
from upsales_fortnox.core import event_loop
from upsales_fortnox.core.config import Settings
from upsales_fortnox.core.db.base import Base
from upsales_fortnox.core.db.engine import create_engine
from upsales_fortnox.core.heap import prepare_heap_for_serving
from upsales_fortnox.jobs import Worker, enqueue
from upsales_fortnox.services import build_services
from upsales_fortnox.sync.registry import build_handler_registry

INSTALLATIONS = 20


async def _work(
    env: dict[str, str], installation_ids: list[str], upsales_seed: list[dict[str, Any]]
) -> dict[str, Any]:
    """Queue one job per won order, then run the worker until nothing is due; times the run."""
    settings = Settings(**{key.lower(): value for key, value in env.items()})  # type: ignore[arg-type]
    services = build_services(settings)
    try:
        async with services.session_factory() as session:
            for installation_id, upsales in zip(installation_ids, upsales_seed, strict=True):
                for order_id in upsales["order_ids"]:
                    await enqueue(
                        session,
                        installation_id=uuid.UUID(installation_id),
                        kind="upsales.order",
                        entity_id=str(order_id),
                    )
            await session.commit()
        worker = Worker(services.session_factory, build_handler_registry(services), settings)
        prepare_heap_for_serving()  # as a worker process does at its start (run_background)
        load_before = os.getloadavg()[0]
        started = time.perf_counter()
        cpu_started = time.process_time()
        loop_cpu_started = time.thread_time()
        while await worker.run_once():
            pass
        return {
            "seconds": time.perf_counter() - started,
            "cpu_seconds": time.process_time() - cpu_started,
            "loop_cpu_seconds": time.thread_time() - loop_cpu_started,
            "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
            "fortnox_calls": dict(services.fortnox_calls),
            "upsales_calls": dict(services.upsales_calls),
        }
    finally:
        await services.aclose()


async def _drop_tables(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(Base.metadata.drop_all)
    finally:
        await engine.dispose()


def cpu_floor_seconds(answered_by_tenant: Mapping[int, int], loop_cpu_per_call: float) -> float:
    """The rate-limit bound plus the loop CPU of the calls that can only go after it: each
    tenant of the largest bound, past its last full window, spent one after another."""
    bounds = {
        tenant: (math.ceil(calls / LIMIT) - 1) * WINDOW
        for tenant, calls in answered_by_tenant.items()
    }
    bound = max(bounds.values(), default=0.0)
    after_bound = sum(
        calls - (math.ceil(calls / LIMIT) - 1) * LIMIT
        for tenant, calls in answered_by_tenant.items()
        if bounds[tenant] == bound
    )
    return bound + after_bound * loop_cpu_per_call


def run(quick: bool, database_url: str | None, latency_ms: int = 0) -> dict[str, Any]:
    deals_per_installation = 50 if quick else 100
    deals_by_index = [deals_per_installation] * INSTALLATIONS
    deals = sum(deals_by_index)
    options = {"latency_ms": latency_ms}
    with sandbox_processes(
        (serve_fortnox, deals_by_index, options), (serve_upsales, deals_by_index, options)
    ) as (fortnox, upsales):
        with tempfile.TemporaryDirectory() as scratch:
            url = database_url or f"sqlite:///{Path(scratch) / 'bench.sqlite3'}"
            env = service_env(
                url,
                (fortnox.port, upsales.port),
                worker_concurrency=INSTALLATIONS,
                backoff_seconds=(0.01, 0.05),
            )
            if database_url:  # a database of the caller's: start from an empty schema
                asyncio.run(_drop_tables(database_url))
            _, installation_ids = asyncio.run(prepare_database(env, fortnox.seed, upsales.seed))
            print(f"{deals} won deals across {INSTALLATIONS} installations", file=sys.stderr)
            sandbox_cpu_before = fortnox.cpu_seconds() + upsales.cpu_seconds()
            run_figures = event_loop.run(_work(env, installation_ids, upsales.seed))
            sandbox_cpu = fortnox.cpu_seconds() + upsales.cpu_seconds() - sandbox_cpu_before
        report = fortnox.report()
    answered: Counter[int] = Counter(report["answered_by_tenant"])
    busiest = max(answered.values())
    lower_bound = (math.ceil(busiest / LIMIT) - 1) * WINDOW
    fortnox_calls = sum(run_figures["fortnox_calls"].values())
    floor = cpu_floor_seconds(answered, run_figures["loop_cpu_seconds"] / max(fortnox_calls, 1))
    return {
        "fortnox_calls_per_deal": round(fortnox_calls / deals, 3),
        "upsales_calls_per_deal": round(sum(run_figures["upsales_calls"].values()) / deals, 3),
        "time_ratio": round(run_figures["seconds"] / lower_bound, 3) if lower_bound else None,
        "cpu_ms_per_deal": round(run_figures["cpu_seconds"] / deals * 1000, 2),
        "loop_cpu_ms_per_deal": round(run_figures["loop_cpu_seconds"] / deals * 1000, 2),
        "cpu_floor_seconds": round(floor, 2),
        "time_over_cpu_floor": round(run_figures["seconds"] / floor, 3) if floor else None,
        "duplicates": report["documents"] - report["distinct_references"],
        "lost": deals - report["distinct_references"],
        "deals": deals,
        "seconds": round(run_figures["seconds"], 2),
        "cpu_seconds": round(run_figures["cpu_seconds"], 2),
        "sandbox_cpu_seconds": round(sandbox_cpu, 2),
        "load_average": run_figures["load_average"],
        "rate_limit_lower_bound_seconds": round(lower_bound, 2),
        "fortnox_limit": f"{LIMIT} per {WINDOW:g} s per tenant",
        "latency_ms": latency_ms,
        "fortnox_429": report["throttled"],
        "fortnox_calls": run_figures["fortnox_calls"],
        "upsales_calls": run_figures["upsales_calls"],
        "database": "postgresql" if database_url else "sqlite",
    }


def _milliseconds(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="1,000 deals instead of 2,000")
    parser.add_argument("--database-url", help="default: a SQLite file in a scratch directory")
    parser.add_argument(
        "--latency-ms",
        type=_milliseconds,
        default=0,
        help="answer every API call this many ms late (default 0)",
    )
    args = parser.parse_args()
    print(json.dumps(run(args.quick, args.database_url, args.latency_ms)))


if __name__ == "__main__":
    main()
