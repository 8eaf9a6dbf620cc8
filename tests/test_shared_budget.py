"""The tenant budget shared in PostgreSQL: processes calling Fortnox for the same tenant
together stay within its limit, as the sandbox (which counts over its own sliding window)
sees it."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.database import truncate_all
from ufs_sandboxes.fortnox import (
    FortnoxSandbox,
    FortnoxSandboxConfig,
    RateLimit,
    build_fortnox_sandbox_server,
    create_fortnox_sandbox,
)
from upsales_fortnox.core.db.engine import create_engine, create_session_factory
from upsales_fortnox.fortnox_budget.repository import PostgresBudget
from upsales_fortnox.models.operations import FortnoxBudgetGrant

pytestmark = pytest.mark.postgres

CLIENT = Path(__file__).with_name("budget_client_process.py")
ROOT = Path(__file__).resolve().parents[1]
LIMIT = 8
WINDOW_SECONDS = 1.0
REQUESTS_PER_PROCESS = 20


@pytest.fixture
async def pg_url(postgres_schema_url: str) -> AsyncIterator[str]:
    engine = create_engine(postgres_schema_url)
    await truncate_all(engine)
    await engine.dispose()
    yield postgres_schema_url


@pytest.fixture
def sandbox() -> FortnoxSandbox:
    rate_limit = RateLimit(requests=LIMIT, window_seconds=WINDOW_SECONDS)
    return create_fortnox_sandbox(FortnoxSandboxConfig(rate_limit=rate_limit))


@pytest.fixture
async def api_base(sandbox: FortnoxSandbox) -> AsyncIterator[str]:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    port = listener.getsockname()[1]
    server = build_fortnox_sandbox_server(sandbox, "127.0.0.1", port, log_level="warning")
    task = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        yield f"http://127.0.0.1:{port}/3"
    finally:
        server.should_exit = True
        await task
        listener.close()


async def _start_client(
    pg_url: str, api_base: str, access_token: str
) -> asyncio.subprocess.Process:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(CLIENT),
        pg_url,
        api_base,
        access_token,
        str(REQUESTS_PER_PROCESS),
        str(LIMIT),
        str(WINDOW_SECONDS),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}"},
    )
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), timeout=60)
    assert line.decode().strip() == "ready"
    return process


async def test_two_processes_share_one_tenant_budget_without_a_429(
    pg_url: str, api_base: str, sandbox: FortnoxSandbox
) -> None:
    tenant_id = sandbox.default_tenant_id
    assert tenant_id is not None
    token = sandbox.issue_tokens(tenant_id).access_token
    processes = [await _start_client(pg_url, api_base, token) for _ in range(2)]
    sandbox.reset_counters()
    outputs = []
    try:
        for process in processes:  # both go at once, each with more than a window's worth
            assert process.stdin is not None
            process.stdin.write(b"go\n")
            await process.stdin.drain()
        for process in processes:
            stdout, _ = await asyncio.wait_for(process.communicate(), timeout=120)
            outputs.append(json.loads(stdout.decode().strip().splitlines()[-1]))
    finally:
        for process in processes:
            if process.returncode is None:
                process.kill()
                await process.wait()
    assert [output["succeeded"] for output in outputs] == [REQUESTS_PER_PROCESS] * 2, outputs
    counters = sandbox.request_counters()
    assert counters.by_tenant[tenant_id] == 2 * REQUESTS_PER_PROCESS
    assert counters.throttled == 0


async def test_a_full_window_grants_again_once_the_first_place_has_aged(pg_url: str) -> None:
    engine = create_engine(pg_url)
    sessions = create_session_factory(engine)
    budget = PostgresBudget(engine, limit=2, window_seconds=0.3, poll_seconds=0.01)

    async def grants(tenant_key: str) -> dict[int, FortnoxBudgetGrant]:
        async with sessions() as session:
            rows = await session.scalars(
                select(FortnoxBudgetGrant).where(FortnoxBudgetGrant.tenant_key == tenant_key)
            )
            return {grant.id: grant for grant in rows}

    try:
        first = await budget.take("tenant:a")
        second = await budget.take("tenant:a")
        other_tenant = await budget.take("tenant:b")  # budgets are per tenant
        await budget.finish(first)
        await budget.finish(second)
        first_finished = (await grants("tenant:a"))[first].finished_at
        assert first_finished is not None

        third = await budget.take("tenant:a")  # waits until the first place has aged out

        now_held = await grants("tenant:a")
        assert first not in now_held  # cleared once aged
        assert (now_held[third].granted_at - first_finished).total_seconds() >= 0.3
        assert now_held[third].finished_at is None  # held until its answer
        await budget.finish(third)
        assert (await grants("tenant:a"))[third].finished_at is not None
        assert list(await grants("tenant:b")) == [other_tenant]
    finally:
        await engine.dispose()
