"""Benchmark: the job queue's own cost per job, with a handler that does nothing.

Queues ``--jobs`` jobs spread over ``--installations`` installations and runs the service's
worker until the queue is idle. Every millisecond measured is the queue's: leases, claims,
attempt rows, outcomes. Prints ONE JSON object as its last line::

    {"jobs": 1000, "seconds": 3.1, "ms_per_job": 3.1, "backend": "sqlite"}

Usage: ``python bench/job_overhead.py [--jobs N] [--installations N] [--postgresql]
[--database-url URL]``. ``--postgresql`` uses a scratch database on the local server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from bench.common import database
from upsales_fortnox.config import Settings
from upsales_fortnox.db.base import Base
from upsales_fortnox.db.engine import create_engine, create_session_factory
from upsales_fortnox.db.models import Installation, InstallationStatus
from upsales_fortnox.jobs import HandlerRegistry, JobContext, Worker, enqueue

KIND = "bench.nothing"


async def _nothing(_context: JobContext) -> None:
    return None


async def run(url: str, jobs: int, installations: int) -> dict[str, Any]:
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.drop_all)
        await connection.run_sync(Base.metadata.create_all)
    session_factory = create_session_factory(engine)
    settings = Settings(
        database_url=url,
        admin_token=SecretStr("bench-admin-token-0123456789"),
        secret_key=SecretStr("bench-secret-key-0123456789abcdef"),
        worker_concurrency=installations,
    )
    try:
        async with session_factory() as session:
            rows = [
                Installation(name=f"Bench {number}", status=InstallationStatus.ACTIVE)
                for number in range(installations)
            ]
            session.add_all(rows)
            await session.flush()
            for number in range(jobs):
                await enqueue(
                    session,
                    installation_id=rows[number % installations].id,
                    kind=KIND,
                    entity_id=str(number),
                )
            await session.commit()
        worker = Worker(session_factory, HandlerRegistry({KIND: _nothing}), settings)
        started = time.perf_counter()
        ran = 0
        while processed := await worker.run_once():
            ran += processed
        elapsed = time.perf_counter() - started
    finally:
        await engine.dispose()
    return {
        "jobs": ran,
        "installations": installations,
        "seconds": round(elapsed, 3),
        "ms_per_job": round(elapsed * 1000 / max(ran, 1), 3),
        "backend": url.split(":", 1)[0].split("+", 1)[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--installations", type=int, default=20)
    parser.add_argument("--postgresql", action="store_true", help="a scratch PostgreSQL database")
    parser.add_argument("--database-url", help="default: a SQLite file in a scratch directory")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        if args.postgresql:
            with database(args.database_url) as url:
                result = asyncio.run(run(url, args.jobs, args.installations))
        else:
            url = args.database_url or f"sqlite:///{Path(scratch) / 'bench.sqlite3'}"
            result = asyncio.run(run(url, args.jobs, args.installations))
    print(json.dumps(result), file=sys.stdout)


if __name__ == "__main__":
    main()
