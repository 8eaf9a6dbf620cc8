"""A process calling Fortnox for one tenant through the budget shared in PostgreSQL, for the
shared-budget tests.

Usage: ``python budget_client_process.py DATABASE_URL API_BASE ACCESS_TOKEN REQUESTS LIMIT
WINDOW``. Prints ``ready``, waits for a line on stdin, sends ``REQUESTS`` concurrent reads of
the company information, then prints one JSON line: how many succeeded.
"""

from __future__ import annotations

import asyncio
import json
import sys

import httpx

from upsales_fortnox.core.db.engine import create_engine
from upsales_fortnox.fortnox_budget.pacers import shared_pacer_registry
from upsales_fortnox.integrations.fortnox.client import FortnoxClient


async def main(
    database_url: str, api_base: str, access_token: str, requests: int, limit: int, window: float
) -> None:
    engine = create_engine(database_url)
    pacers = shared_pacer_registry(engine, limit=limit, window_seconds=window)

    async def token() -> str:
        return access_token

    async def refresh(_: str) -> str:
        raise RuntimeError("the test token never needs a refresh")

    async with httpx.AsyncClient(timeout=30.0) as http:
        client = FortnoxClient(
            http,
            base_url=api_base,
            tenant_key="tenant:shared",
            access_token=token,
            refresh_token=refresh,
            limiter=pacers.get("tenant:shared"),
        )
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        answers = await asyncio.gather(
            *(client.get_company_information() for _ in range(requests)), return_exceptions=True
        )
    await pacers.aclose()
    await engine.dispose()
    failed = [repr(answer) for answer in answers if isinstance(answer, BaseException)]
    print(json.dumps({"succeeded": len(answers) - len(failed), "failed": failed[:3]}), flush=True)


if __name__ == "__main__":
    url, base, access, count, limit, window = sys.argv[1:7]
    asyncio.run(main(url, base, access, int(count), int(limit), float(window)))
