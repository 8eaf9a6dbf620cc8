"""Benchmark: the Upsales catch-up of won deals whose hooks never arrived.

Against the in-process sandboxes (SQLite in a scratch directory), two measurements:

1. *Missed deal latency.* The service's worker and catch-up scheduler run in the background at
   ``--interval`` seconds (the product default is ``UPSALES_RECONCILE_INTERVAL_MINUTES`` = 2
   minutes; a short interval keeps the run short, and the latency scales with it). Deals are
   won at random moments with no hook delivered; each one's time until its Fortnox invoice
   exists is measured. A deal waits for the next catch-up (on average half an interval, at
   most one), then for the catch-up run and its own job: ``tick_to_invoice_*`` is that part,
   from the scheduler's tick to the invoice.
2. *A run over synced changes.* ``--orders`` won orders are synced first, then a catch-up run
   lists them all again (all changed within its window): it must queue nothing and call
   nothing but the list. Baseline: the same listing by the Upsales client alone, so
   ``run_ratio`` is the catch-up's own cost (decisions, link and hook look-ups) over the list.
3. *Restarts.* 60 deals won over three restarts of the service (served over HTTP, the Upsales
   sandbox's hooks posted to it): how many order hooks were lost, how many deals ended with
   exactly one invoice, and how long after the last restart every deal had its invoice.

Prints progress, then ONE JSON object as its last line, e.g.::

    {"interval_seconds": 2.0, "latency_mean_seconds": 1.3, "latency_max_seconds": 2.2,
     "tick_to_invoice_max_seconds": 0.2, "run_ratio": 1.4, "calls_per_run": {...}, ...}

Usage: ``python bench/catch_up.py [--quick] [--interval SECONDS]``; ``--quick`` measures 6
deals and 400 orders (default 12 and 1,000).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path[:0] = [str(Path(__file__).resolve().parent.parent / "src")]
    sys.path[:0] = [str(Path(__file__).resolve().parent.parent)]

from tests.database import create_schema
from tests.e2e.catchup_support import (
    deals_and_documents,
    eventually,
    running_service,
    start_catch_up_now,
    won_deal,
)
from tests.e2e.harness import SyncHarness, build_harness, harness_settings
from tests.e2e.outbound_support import link_demo_products, queue, run_now
from tests.e2e.stream_support import listening_socket

from upsales_fortnox.background import run_background, run_worker
from upsales_fortnox.core.db.engine import create_engine
from upsales_fortnox.integrations.upsales.filters import eq
from upsales_fortnox.services import Services
from upsales_fortnox.sync.catchup.checkpoints import ORDERS_TOPIC, load_checkpoints
from upsales_fortnox.sync.catchup.run import OVERLAP, catch_up_installation, changed_since
from upsales_fortnox.sync.catchup.schedule import schedule_catch_up
from upsales_fortnox.sync.context import installation_context

POLL_SECONDS = 0.01


async def _invoice_at(harness: SyncHarness, order_id: int) -> float:
    """When (monotonic) the order's invoice is first seen in the Fortnox sandbox (polled)."""
    while True:
        if deals_and_documents(harness, [order_id])[order_id]:
            return time.monotonic()
        await asyncio.sleep(POLL_SECONDS)


async def missed_deal_latency(
    harness: SyncHarness, deals: int, interval: float
) -> tuple[list[float], list[float]]:
    """Per deal: seconds from winning it to its invoice, and from the scheduler's last tick
    before the invoice to the invoice (the catch-up run and the deal's job)."""
    stop = asyncio.Event()
    ticks: list[float] = []

    async def scheduler(services: Services, stop: asyncio.Event) -> None:
        """:func:`run_catch_up_scheduler`'s loop, noting when it queues."""
        while not stop.is_set():
            ticks.append(time.monotonic())
            await schedule_catch_up(services.session_factory)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)

    background = asyncio.create_task(
        run_background(harness.services, stop, [run_worker, scheduler])
    )
    rng = random.Random(8)
    won: list[float] = []
    watchers = []
    try:
        for _ in range(deals):
            await asyncio.sleep(rng.uniform(0, interval))
            order_id = won_deal(harness, rng.randrange(2))  # no hook sink: the hook is lost
            won.append(time.monotonic())
            watchers.append(asyncio.create_task(_invoice_at(harness, order_id)))
        invoiced = await asyncio.wait_for(asyncio.gather(*watchers), 60 + 4 * interval)
        latencies = [done - start for start, done in zip(won, invoiced, strict=True)]
        after_tick = [done - max(t for t in ticks if t <= done) for done in invoiced]
        return latencies, after_tick
    finally:
        stop.set()
        await background


async def across_restarts(harness: SyncHarness, interval: float) -> dict[str, Any]:
    """60 deals won over three restarts of the service (as the issue measured): half of each
    round's while it runs (some hooks cut off by the stop), half while it is down."""
    sock = listening_socket()
    port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/webhooks/upsales/{harness.installation_id}"
    harness.upsales.register_hook_sink(url)
    every = timedelta(seconds=interval)
    deals: list[int] = []
    for _ in range(3):
        async with running_service(harness.services, sock, every):
            deals += [won_deal(harness, n % 2) for n in range(5)]
            await harness.upsales.flush_hooks()
            deals += [won_deal(harness, n % 2) for n in range(5)]
        deals += [won_deal(harness, n % 2) for n in range(10)]
        await harness.upsales.flush_hooks()
        sock.close()
        sock = listening_socket(port)
    harness.upsales.clear_hook_sink()
    restarted = time.monotonic()
    async with running_service(harness.services, sock, every):
        await eventually(lambda: set(deals_and_documents(harness, deals).values()) == {1})
        all_synced = time.monotonic() - restarted
    sock.close()
    statuses = [
        d.status
        for d in harness.upsales.hook_deliveries()
        if d.event_type.startswith("after_order")
    ]
    per_deal = Counter(deals_and_documents(harness, deals).values())
    return {
        "restart_deals": len(deals),
        "restart_order_hooks_lost": sum(status != 202 for status in statuses),
        "restart_deals_with_one_invoice": per_deal[1],
        "restart_deals_with_other_counts": len(deals) - per_deal[1],
        "restart_seconds_to_all_synced": round(all_synced, 3),
    }


async def synced_orders(harness: SyncHarness, count: int) -> None:
    """``count`` won orders, each synced by its job (steady state)."""
    body = {
        "description": "Licens",
        "date": "2026-11-25",
        "user": {"id": harness.demo.sales_rep_user_ids[0]},
        "client": {"id": harness.demo.account_ids[0]},
        "stage": {"id": harness.demo.stage_won_id},
        "probability": 100,
        "orderRow": [
            {
                "quantity": 1,
                "price": 100,
                "listPrice": 100,
                "product": {"id": harness.demo.product_ids_by_article_no["LIC-BAS"]},
            }
        ],
    }
    ids = harness.upsales.seed(harness.demo.customer_id, "orders", [body] * count)
    for order_id in ids:
        await queue(harness, "upsales.order", order_id)
    await run_now(harness)


async def run_over_synced(harness: SyncHarness) -> dict[str, Any]:
    context = await installation_context(harness.services, harness.installation_id)
    checkpoints = await load_checkpoints(harness.services.session_factory, harness.installation_id)
    window_start = checkpoints[ORDERS_TOPIC] - OVERLAP
    started = time.perf_counter()
    listed = 0
    async for page in changed_since(
        context.upsales.iterate_orders, window_start, eq("probability", 100)
    ):
        listed += len(page)
    baseline = time.perf_counter() - started
    harness.services.upsales_calls.clear()
    harness.services.fortnox_calls.clear()
    started = time.perf_counter()
    result = await catch_up_installation(harness.services, harness.installation_id)
    seconds = time.perf_counter() - started
    return {
        "orders_listed": result.orders.counts["listed"],
        "orders_queued": result.orders.counts.get("queued", 0),
        "orders_synced": result.orders.counts.get("synced", 0),
        "baseline_list_seconds": round(baseline, 3),
        "run_seconds": round(seconds, 3),
        "run_ratio": round(seconds / baseline, 2),
        "calls_per_run": {
            "upsales": dict(harness.services.upsales_calls),
            "fortnox": dict(harness.services.fortnox_calls),
        },
        "baseline_rows": listed,
    }


async def run(quick: bool, interval: float) -> dict[str, Any]:
    deals, orders = (6, 400) if quick else (12, 1000)
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{Path(scratch) / 'bench.sqlite3'}"
        await create_schema(url)
        engine = create_engine(url)
        harness = await build_harness(harness_settings(url), engine)
        try:
            await link_demo_products(harness)
            await start_catch_up_now(harness)
            print(f"winning {deals} deals without hooks, catch-up every {interval:g} s")
            latencies, after_tick = await missed_deal_latency(harness, deals, interval)
            print("winning 60 deals over three restarts of the service")
            restarts = await across_restarts(harness, interval)
            print(f"syncing {orders} won orders, then one catch-up run over them")
            await synced_orders(harness, orders)
            over_synced = await run_over_synced(harness)
        finally:
            await harness.service.aclose()
            await harness.services.http.aclose()
            await engine.dispose()
    return {
        "interval_seconds": interval,
        "deals": deals,
        "latency_mean_seconds": round(statistics.mean(latencies), 3),
        "latency_max_seconds": round(max(latencies), 3),
        "tick_to_invoice_mean_seconds": round(statistics.mean(after_tick), 3),
        "tick_to_invoice_max_seconds": round(max(after_tick), 3),
        "latency_mean_over_interval": round(statistics.mean(latencies) / interval, 2),
        **restarts,
        **over_synced,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="6 deals and 400 orders")
    parser.add_argument("--interval", type=float, default=2.0, help="catch-up interval, seconds")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.quick, args.interval))))


if __name__ == "__main__":
    main()
