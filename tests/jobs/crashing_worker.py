"""A worker in an OS process of its own, for the crash tests: it serves the database's jobs
with a handler that announces the job on stdout and never returns (the test kills it).

Usage: ``python crashing_worker.py DATABASE_URL``.
"""

from __future__ import annotations

import asyncio
import sys

from upsales_fortnox.core.config import Settings
from upsales_fortnox.core.db.engine import create_engine, create_session_factory
from upsales_fortnox.jobs import HandlerRegistry, JobContext, Worker


async def _hang(ctx: JobContext) -> None:
    print(f"started {ctx.job_id}", flush=True)
    await asyncio.Event().wait()


async def main(database_url: str) -> None:
    engine = create_engine(database_url)
    settings = Settings(job_lease_seconds=600.0, worker_poll_seconds=0.05, worker_concurrency=2)
    worker = Worker(create_session_factory(engine), HandlerRegistry({"test.job": _hang}), settings)
    await worker.run(asyncio.Event())


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
