"""Benchmark: the job queue's own cost per job, with a handler that does nothing.

Queues jobs spread over 20 installations and runs the service's worker until the queue is idle,
on SQLite and then on PostgreSQL (a scratch database; left out when none is reachable). Every
millisecond measured is the queue's: leases, picking and starting jobs, attempt rows, outcomes.
Prints ONE JSON object as its last line::

    {"sqlite": {"jobs": 1000, "ms_per_job": 2.4, "cpu_ms_per_job": 2.2, ...},
     "postgresql": {...}}

``cpu_ms_per_job`` is this process's CPU time (all its threads), which varies less than the
elapsed time on a shared machine; on PostgreSQL the server's own CPU is not in it.

``cpu_ms_per_lone_job`` is the same for jobs that come one at a time (a deal won now and then):
one job per installation is queued and run, :data:`LONE_ROUNDS` times over, so each is a turn
of its own (the lease, the job's start and outcome, the release); a round's jobs share its
claims (one claim takes up to ``worker_concurrency`` installations), as jobs that come
together do.

Usage: ``python bench/job_overhead.py [--quick] [--database-url URL]``; ``--quick`` runs 500 jobs
instead of 1,000; ``--database-url`` names the PostgreSQL database to use (its tables are
dropped and created again).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path[:0] = [str(Path(__file__).resolve().parent.parent / "src")]
    sys.path[:0] = [str(Path(__file__).resolve().parent.parent)]

from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bench.common import database
from upsales_fortnox.core.config import Settings
from upsales_fortnox.core.db.base import Base
from upsales_fortnox.core.db.engine import create_engine, create_session_factory
from upsales_fortnox.core.heap import prepare_heap_for_serving
from upsales_fortnox.jobs import HandlerRegistry, JobContext, Worker, enqueue
from upsales_fortnox.models.installation import Installation
from upsales_fortnox.vocabulary import InstallationStatus

KIND = "bench.nothing"
INSTALLATIONS = 20
LONE_ROUNDS = 10


async def _nothing(_context: JobContext) -> None:
    return None


async def run(url: str, jobs: int) -> dict[str, Any]:
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.drop_all)
        await connection.run_sync(Base.metadata.create_all)
    session_factory = create_session_factory(engine)
    settings = Settings(
        database_url=url,
        admin_token=SecretStr("bench-admin-token-0123456789"),
        secret_key=SecretStr("bench-secret-key-0123456789abcdef"),
        worker_concurrency=INSTALLATIONS,
    )
    try:
        async with session_factory() as session:
            rows = [
                Installation(name=f"Bench {number}", status=InstallationStatus.ACTIVE)
                for number in range(INSTALLATIONS)
            ]
            session.add_all(rows)
            await session.flush()
            installation_ids = [row.id for row in rows]
            for number in range(jobs):
                await enqueue(
                    session,
                    installation_id=rows[number % INSTALLATIONS].id,
                    kind=KIND,
                    entity_id=str(number),
                )
            await session.commit()
        worker = Worker(session_factory, HandlerRegistry({KIND: _nothing}), settings)
        prepare_heap_for_serving()  # as a worker process does at its start (run_background)
        started = time.perf_counter()
        cpu_started = time.process_time()
        ran = 0
        while processed := await worker.run_once():
            ran += processed
        elapsed = time.perf_counter() - started
        cpu_seconds = time.process_time() - cpu_started
        lone_cpu_seconds, lone_jobs = await _lone_jobs(session_factory, worker, installation_ids)
    finally:
        await engine.dispose()
    return {
        "jobs": ran,
        "installations": INSTALLATIONS,
        "seconds": round(elapsed, 3),
        "ms_per_job": round(elapsed * 1000 / max(ran, 1), 3),
        "cpu_ms_per_job": round(cpu_seconds * 1000 / max(ran, 1), 3),
        "lone_jobs": lone_jobs,
        "cpu_ms_per_lone_job": round(lone_cpu_seconds * 1000 / max(lone_jobs, 1), 3),
    }


async def _lone_jobs(
    session_factory: async_sessionmaker[AsyncSession],
    worker: Worker,
    installation_ids: list[uuid.UUID],
) -> tuple[float, int]:
    """CPU seconds and job runs of :data:`LONE_ROUNDS` rounds of one job per installation,
    each round queued (not timed) and then run."""
    cpu_seconds, ran = 0.0, 0
    for round_number in range(LONE_ROUNDS):
        async with session_factory() as session:
            for installation_id in installation_ids:
                await enqueue(
                    session,
                    installation_id=installation_id,
                    kind=KIND,
                    entity_id=f"lone-{round_number}",
                )
            await session.commit()
        cpu_started = time.process_time()
        ran += await worker.run_once()
        cpu_seconds += time.process_time() - cpu_started
    return cpu_seconds, ran


def _postgresql(database_url: str | None, jobs: int) -> dict[str, Any] | str:
    try:
        with database(database_url) as url:
            return asyncio.run(run(url, jobs))
    except OSError as exc:
        return f"skipped: no PostgreSQL ({exc})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="500 jobs instead of 1,000")
    parser.add_argument("--database-url", help="PostgreSQL; default: a scratch database")
    args = parser.parse_args()
    jobs = 500 if args.quick else 1000
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as scratch:
        results["sqlite"] = asyncio.run(run(f"sqlite:///{Path(scratch) / 'bench.sqlite3'}", jobs))
    print(f"sqlite: {results['sqlite']}", file=sys.stderr)
    results["postgresql"] = _postgresql(args.database_url, jobs)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
