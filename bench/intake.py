"""Webhook intake throughput and latency against a bare FastAPI endpoint.

Runs the service under uvicorn (one worker process) on PostgreSQL (``DATABASE_URL``, or a scratch
database on 127.0.0.1:5432 that is dropped afterwards), posts Upsales app hooks of
``INSTALLATIONS`` installations in turn over 64 keep-alive connections (distinct orders and
companies, so most create a job, plus re-sent duplicates; several installations, as a service
for many customers gets them, and since one installation's hooks may hold the in-flight limit
less a tenth: ``intake/admission.py``), then posts the same number of requests to a bare FastAPI
endpoint under the same server flags. Finally it checks that every event answered 2xx is
committed with its job.

The baseline is as close to the intake as "a bare endpoint" allows: the same method (POST), the
very same bodies (so the same sizes and Content-Type), the same 64 connections and the same
uvicorn flags; its handler returns ``{}`` without reading the body (uvicorn still receives and
parses every byte of it).

    PYTHONPATH=src python -m bench.intake [--quick]

The last line printed is one JSON object: ratio (intake rps / baseline rps), p99_ms, rps,
baseline_rps, errors, missing, and more detail.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import uuid
from pathlib import Path
from typing import Any

# This checkout's code, also when another copy of the package is installed: the server
# subprocess runs it (bench.common puts src first on its PYTHONPATH), so must the checks here.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncpg
import psutil
from sqlalchemy import select

from bench.common import LoadResult, database, http_request, run_load, uvicorn_server
from upsales_fortnox.core.crypto import SecretBox
from upsales_fortnox.core.db.base import Base
from upsales_fortnox.core.db.engine import create_engine, create_session_factory
from upsales_fortnox.intake.parse import UpsalesChange, parse_upsales_app_hook
from upsales_fortnox.models.installation import Installation
from upsales_fortnox.models.job import InboundEvent
from upsales_fortnox.vocabulary import InstallationStatus

try:
    import uvloop

    _run = uvloop.run
except ImportError:  # pragma: no cover - uvicorn[standard] brings uvloop
    _run = asyncio.run

SECRET_KEY = "bench-secret-key-0123456789abcdef"
INSTALLATIONS = 8
CONNECTIONS = 64
DUPLICATE_EVERY = 10  # every 10th request re-sends an earlier body
DUPLICATE_DISTANCE = 500  # ...from this many requests back, answered long before


def api_key(installation: int) -> str:
    return f"bench-upsales-api-key-{installation:02d}-0123456789"


def hook_bodies(count: int, offset: int) -> list[dict[str, Any]]:
    """``count`` app hooks of the installations in turn: orders and companies with distinct
    ids, and some duplicates."""
    bodies: list[dict[str, Any]] = []
    for index in range(count):
        if index % DUPLICATE_EVERY == DUPLICATE_EVERY - 1 and index >= DUPLICATE_DISTANCE:
            bodies.append(bodies[index - DUPLICATE_DISTANCE])
            continue
        entity_id = offset + index + 1
        key = api_key(index % INSTALLATIONS)
        if index % 5 == 0:
            bodies.append(
                {
                    "type": "after_client_update",
                    "apiKey": key,
                    "data": {"object": {"id": entity_id, "name": f"Company {entity_id} AB"}},
                    "user": {"email": "admin@example.com"},
                }
            )
        else:
            bodies.append(
                {
                    "type": "after_order_update",
                    "apiKey": key,
                    "data": {
                        "object": {
                            "id": entity_id,
                            "description": f"Order {entity_id}",
                            "value": 1200 + index,
                            "stage": {"id": 3, "name": "Won"},
                            "client": {"id": 1000 + index % 97, "name": "Acme AB"},
                            "orderRow": [
                                {"productId": 11, "quantity": 2, "price": 300, "discount": 0},
                                {"productId": 12, "quantity": 1, "price": 600, "discount": 10},
                            ],
                        }
                    },
                    "user": {"email": "seller@example.com"},
                }
            )
    return bodies


async def prepare(database_url: str) -> list[uuid.UUID]:
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(Base.metadata.create_all)
        box = SecretBox(SECRET_KEY)
        async with create_session_factory(engine)() as session:
            installations = [
                Installation(
                    name=f"Bench {number} AB",
                    status=InstallationStatus.ACTIVE,
                    upsales_api_token_enc=box.encrypt(api_key(number)),
                    webhook_secret_enc=box.encrypt("whsec_bench-secret"),
                )
                for number in range(INSTALLATIONS)
            ]
            session.add_all(installations)
            await session.commit()
            return [installation.id for installation in installations]
    finally:
        await engine.dispose()


async def stored_events(
    database_url: str, installation_ids: list[uuid.UUID]
) -> dict[str, int | None]:
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:
            rows = await session.execute(
                select(InboundEvent.dedupe_key, InboundEvent.job_id).where(
                    InboundEvent.installation_id.in_(installation_ids)
                )
            )
            return {row.dedupe_key: row.job_id for row in rows}
    finally:
        await engine.dispose()


def count_missing(
    bodies: list[dict[str, Any]], load: LoadResult, stored: dict[str, int | None]
) -> int:
    """Events answered 2xx that are not committed, or committed without a job."""
    missing = set()
    for body, ok in zip(bodies, load.ok, strict=True):
        if not ok:
            continue
        change = parse_upsales_app_hook(body)
        assert isinstance(change, UpsalesChange)
        if stored.get(change.dedupe_key) is None:
            missing.add(change.dedupe_key)
    return len(missing)


def summary(load: LoadResult) -> dict[str, float]:
    return {
        "rps": round(load.rps, 1),
        "p50_ms": round(load.percentile_ms(0.50), 2),
        "p99_ms": round(load.percentile_ms(0.99), 2),
    }


def busy_cores() -> float:
    """CPU seconds the whole machine has spent busy (all processes, ours and others)."""
    times = psutil.cpu_times()
    return float(times.user + times.system + times.nice + times.irq + times.softirq)


async def _backend_pids(database_url: str) -> list[int]:
    connection = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        rows = await connection.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid()"
        )
        return [row["pid"] for row in rows]
    finally:
        await connection.close()


def database_cpu_seconds(database_url: str) -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL backend serving the benchmark's database (the
    server's pooled connections; shared processes such as the WAL writer are not counted, nor
    is other databases' work)."""
    seconds: dict[int, float] = {}
    for pid in _run(_backend_pids(database_url)):
        with contextlib.suppress(psutil.Error):
            times = psutil.Process(pid).cpu_times()
            seconds[pid] = times.user + times.system
    return seconds


def cpu_spent(before: dict[int, float], after: dict[int, float]) -> float:
    return sum(total - before.get(pid, 0.0) for pid, total in after.items())


def requests_for(bodies: list[dict[str, Any]], paths: dict[str, str], port: int) -> list[bytes]:
    """Each body posted to its installation's path (``paths``: by API key)."""
    return [http_request(paths[body["apiKey"]], json.dumps(body).encode(), port) for body in bodies]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smaller workload (< 1 minute)")
    parser.add_argument("--requests", type=int, help="measured requests per run")
    args = parser.parse_args()
    requests = args.requests or (4_000 if args.quick else 20_000)
    warmup = 1_000 if args.quick else 2_000
    paced_requests = requests // 3

    with database(os.environ.get("DATABASE_URL")) as database_url:
        installation_ids = _run(prepare(database_url))
        env = {"DATABASE_URL": database_url, "SECRET_KEY": SECRET_KEY}
        paths = {
            api_key(number): f"/webhooks/upsales/{installation_id}"
            for number, installation_id in enumerate(installation_ids)
        }
        warm_bodies = hook_bodies(warmup, offset=10_000_000)
        bodies = hook_bodies(requests, offset=0)
        paced_bodies = hook_bodies(paced_requests, offset=20_000_000)

        with uvicorn_server("bench.common:service_app", env) as server:
            _run(run_load(server.port, requests_for(warm_bodies, paths, server.port), CONNECTIONS))
            load = requests_for(bodies, paths, server.port)
            cpu_before, machine_before = server.cpu_seconds(), busy_cores()
            database_before = database_cpu_seconds(database_url)
            intake = _run(run_load(server.port, load, CONNECTIONS))
            intake_cpu = server.cpu_seconds() - cpu_before
            database_cpu = cpu_spent(database_before, database_cpu_seconds(database_url))
            machine_busy = (busy_cores() - machine_before) / intake.elapsed
            # the same connections at half the saturated throughput: latency without queueing
            paced_rate = intake.rps / 2
            paced = _run(
                run_load(
                    server.port,
                    requests_for(paced_bodies, paths, server.port),
                    CONNECTIONS,
                    rate=paced_rate,
                )
            )

        with uvicorn_server("bench.common:baseline_app", env) as server:
            plain = [
                http_request("/baseline", json.dumps(body).encode(), server.port) for body in bodies
            ]
            _run(run_load(server.port, plain[:warmup], CONNECTIONS))
            cpu_before = server.cpu_seconds()
            baseline = _run(run_load(server.port, plain, CONNECTIONS))
            baseline_cpu = server.cpu_seconds() - cpu_before

        stored = _run(stored_events(database_url, installation_ids))
        missing = count_missing(bodies, intake, stored) + count_missing(paced_bodies, paced, stored)

    figures = {
        "ratio": round(intake.rps / baseline.rps, 3) if baseline.rps else 0.0,
        **summary(intake),
        "baseline_rps": round(baseline.rps, 1),
        "errors": intake.errors + paced.errors + baseline.errors,
        "missing": missing,
        "baseline_p99_ms": round(baseline.percentile_ms(0.99), 2),
        "paced_rps": round(paced_rate, 1),
        "paced_p50_ms": round(paced.percentile_ms(0.50), 2),
        "paced_p99_ms": round(paced.percentile_ms(0.99), 2),
        "requests": requests,
        "connections": CONNECTIONS,
        "server_cpu_ms_per_request": round(intake_cpu * 1000 / requests, 3),
        "baseline_server_cpu_ms_per_request": round(baseline_cpu * 1000 / requests, 3),
        "database_cpu_ms_per_request": round(database_cpu * 1000 / requests, 3),
        "machine_busy_cores": round(machine_busy, 2),
        "cores": psutil.cpu_count(),
    }
    print(
        f"intake (saturated): {figures['rps']} req/s  p50 {figures['p50_ms']} ms"
        f"  p99 {figures['p99_ms']} ms  server CPU {figures['server_cpu_ms_per_request']} ms/req"
        f"  database CPU {figures['database_cpu_ms_per_request']} ms/req"
    )
    print(
        f"intake (paced at {figures['paced_rps']} req/s): p50 {figures['paced_p50_ms']} ms"
        f"  p99 {figures['paced_p99_ms']} ms"
    )
    print(
        f"baseline: {figures['baseline_rps']} req/s  p99 {figures['baseline_p99_ms']} ms"
        f"  server CPU {figures['baseline_server_cpu_ms_per_request']} ms/req"
    )
    print(
        f"machine: {figures['machine_busy_cores']} of {figures['cores']} cores busy during the"
        " saturated run (server, database, load generator and anything else running)"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
