"""Benchmark: the cost of one place in the shared Fortnox budget on PostgreSQL.

Every Fortnox call of a process on PostgreSQL takes a place in its tenant's budget
(``fortnox_budget/repository.py``: a take before the request, a finish after its answer), on the
connection that holds the process's presence lock, one statement at a time. This takes and
finishes places for 20 tenants one after another (25 places per tenant over a window so short
that none is ever full, so no take waits, and places age out and are cleared as in use) and
compares them with the least any such budget could cost: two round trips of ``SELECT 1`` on the
same driver connection, measured in the same run.

Prints ONE JSON object as its last line::

    {"places": 1500, "cpu_us_per_place": 190, "cpu_ratio": 2.6, "wall_ratio": 3.7, ...}

``cpu_us_per_place`` is this process's CPU time per take and finish (the server's own CPU is
not in it); ``cpu_ratio`` and ``wall_ratio`` are per place over the two bare round trips.

Usage: ``python bench/shared_budget.py [--quick] [--database-url URL]``; ``--quick`` takes 1,500
places instead of 5,000; ``--database-url`` names the PostgreSQL database to use (its tables
are dropped and created again; default a scratch database).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path[:0] = [str(Path(__file__).resolve().parent.parent / "src")]
    sys.path[:0] = [str(Path(__file__).resolve().parent.parent)]

import upsales_fortnox.models  # noqa: F401  (registers the tables)
from bench.common import database
from upsales_fortnox.core.db.base import Base
from upsales_fortnox.core.db.engine import create_engine
from upsales_fortnox.fortnox_budget.repository import PostgresBudget

TENANTS = 20
WARM_UP = 200


async def _places(budget: PostgresBudget, count: int) -> tuple[float, float]:
    """CPU and wall seconds of ``count`` takes and finishes, tenant after tenant."""
    cpu, wall = time.process_time(), time.perf_counter()
    for number in range(count):
        await budget.finish(await budget.take(f"tenant:{number % TENANTS}"))
    return time.process_time() - cpu, time.perf_counter() - wall


async def _round_trips(engine: Any, count: int) -> tuple[float, float]:
    """CPU and wall seconds of ``count`` pairs of ``SELECT 1`` on one driver connection."""
    async with engine.connect() as connection:
        driver = (await connection.get_raw_connection()).driver_connection
        await driver.execute("SELECT 1")
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(count):
            await driver.fetchval("SELECT 1")
            await driver.fetchval("SELECT 1")
        return time.process_time() - cpu, time.perf_counter() - wall


async def run(url: str, places: int) -> dict[str, Any]:
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.drop_all)
        await connection.run_sync(Base.metadata.create_all)
    # Fortnox's 25 places, over a window so short that places age out and are cleared as they
    # do in use, while a tenant's take (one in every 20) never finds its places all counted.
    budget = PostgresBudget(engine, limit=25, window_seconds=0.02)
    try:
        await _places(budget, WARM_UP)
        place_cpu, place_wall = await _places(budget, places)
        bare_cpu, bare_wall = await _round_trips(engine, places)
    finally:
        await budget.aclose()
        await engine.dispose()
    return {
        "places": places,
        "cpu_us_per_place": round(place_cpu / places * 1e6),
        "wall_us_per_place": round(place_wall / places * 1e6),
        "cpu_ratio": round(place_cpu / bare_cpu, 3),
        "wall_ratio": round(place_wall / bare_wall, 3),
        "baseline_cpu_us_per_two_round_trips": round(bare_cpu / places * 1e6),
        "baseline_wall_us_per_two_round_trips": round(bare_wall / places * 1e6),
        "tenants": TENANTS,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,500 places instead of 5,000")
    parser.add_argument("--database-url", help="the PostgreSQL database to use")
    arguments = parser.parse_args()
    with database(arguments.database_url) as url:
        print(json.dumps(asyncio.run(run(url, 1500 if arguments.quick else 5000))))
