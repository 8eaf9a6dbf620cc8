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
from datetime import datetime, timedelta
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.database import advisory_lock_holders, truncate_all
from ufs_sandboxes.fortnox import (
    FortnoxSandbox,
    FortnoxSandboxConfig,
    RateLimit,
    build_fortnox_sandbox_server,
    create_fortnox_sandbox,
)
from upsales_fortnox.core.db.engine import create_engine, create_session_factory
from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.fortnox_budget import repository as budget_repository
from upsales_fortnox.fortnox_budget.repository import (
    BUDGET_LOCK_CLASS,
    HOLDER_LOCK_CLASS,
    PostgresBudget,
)
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


async def _finish_times(engine: AsyncEngine, grants: list[int]) -> dict[int, datetime | None]:
    """Each grant's ``finished_at``, as another connection sees it (committed)."""
    async with engine.connect() as observer:
        rows = await observer.execute(
            select(FortnoxBudgetGrant.id, FortnoxBudgetGrant.finished_at).where(
                FortnoxBudgetGrant.id.in_(grants)
            )
        )
        return {row.id: row.finished_at for row in rows}


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
        await budget.aclose()
        await engine.dispose()


#: Takes one place for tenant:a as holder "process-gone", prints its grant, then waits for ever
#: (with its request "under way") until it is killed.
_HOLDER_THAT_DIES = """
import asyncio, sys
from upsales_fortnox.core.db.engine import create_engine
from upsales_fortnox.fortnox_budget.repository import (
    BUDGET_LOCK_CLASS,
    HOLDER_LOCK_CLASS,
    PostgresBudget,
)

async def main():
    engine = create_engine(sys.argv[1])
    budget = PostgresBudget(engine, limit=2, window_seconds=0.3, holder="process-gone")
    print(await budget.take("tenant:a"), flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""


async def test_a_killed_process_places_count_a_window_from_its_death_not_until_stale(
    pg_url: str,
) -> None:
    engine = create_engine(pg_url)
    sessions = create_session_factory(engine)
    alive = PostgresBudget(
        engine, limit=2, window_seconds=0.3, poll_seconds=0.01, stale_seconds=3600
    )

    async def grant(grant_id: int) -> FortnoxBudgetGrant | None:
        async with sessions() as session:
            return await session.get(FortnoxBudgetGrant, grant_id)

    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _HOLDER_THAT_DIES,
        pg_url,
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}"},
    )
    try:
        held_by_alive = await alive.take("tenant:a")  # under way, its holder connected
        assert process.stdout is not None
        held_by_gone = int(await asyncio.wait_for(process.stdout.readline(), timeout=60))
        killed_at = utcnow()
        process.kill()  # SIGKILL, its request never answered: the window is full
        await process.wait()

        # Without the holder's presence this would wait for the stale time (an hour); the
        # bound is a safety net only.
        third = await asyncio.wait_for(alive.take("tenant:a"), timeout=60)

        # The dead one's place counted a window from its death, then was cleared with the grant.
        third_row, gone_row, alive_row = [
            await grant(grant_id) for grant_id in (third, held_by_gone, held_by_alive)
        ]
        assert third_row is not None and third_row.granted_at - killed_at >= timedelta(seconds=0.3)
        assert gone_row is None
        assert alive_row is not None and alive_row.finished_at is None  # still under way: kept
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await alive.aclose()
        await engine.dispose()


async def _holder_pids(engine: AsyncEngine, holder: str) -> list[int]:
    """The sessions holding ``holder``'s presence lock."""
    return await advisory_lock_holders(engine, HOLDER_LOCK_CLASS, holder)


async def test_a_holder_whose_presence_connection_was_cut_takes_its_lock_again(
    pg_url: str,
) -> None:
    engine = create_engine(pg_url)
    budget = PostgresBudget(engine, limit=5, window_seconds=0.3, holder="process-cut")

    async def holder_pids() -> list[int]:
        return await _holder_pids(engine, "process-cut")

    try:
        await budget.take("tenant:a")
        (cut_pid,) = await holder_pids()
        async with engine.connect() as connection:  # the database ends the holder's session
            ended = await connection.scalar(  # (waits until it has: its lock is gone then)
                text("SELECT pg_terminate_backend(:pid, 30000)"), {"pid": cut_pid}
            )
        assert ended and await holder_pids() == []

        second = await budget.take("tenant:a")  # notices its lock is gone and takes it again

        (new_pid,) = await holder_pids()
        assert new_pid != cut_pid
        async with engine.connect() as connection:  # granted only once the lock was back
            relocked_at = await connection.scalar(
                text("SELECT backend_start FROM pg_stat_activity WHERE pid = :pid"),
                {"pid": new_pid},
            )
            granted_at = await connection.scalar(
                select(FortnoxBudgetGrant.granted_at).where(FortnoxBudgetGrant.id == second)
            )
        assert granted_at is not None and granted_at > relocked_at
    finally:
        await budget.aclose()
        await engine.dispose()


async def test_a_take_cancelled_while_it_waits_leaves_no_transaction_behind(pg_url: str) -> None:
    engine = create_engine(pg_url)
    budget = PostgresBudget(engine, limit=5, window_seconds=0.3, holder="process-cancelled")
    tenant_lock = text("SELECT pg_advisory_xact_lock(:lock_class, hashtext('tenant:a'))")
    waiting = text(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        " AND classid = CAST(:lock_class AS oid)"
    )
    params = {"lock_class": BUDGET_LOCK_CLASS}
    try:
        async with engine.connect() as other:  # another process granting for tenant:a
            await other.execute(tenant_lock, params)
            take = asyncio.create_task(budget.take("tenant:a"))
            async with engine.connect() as observer:
                for _ in range(6000):  # until the take waits on the lock (a minute at most)
                    if await observer.scalar(waiting, params):
                        break
                    await asyncio.sleep(0.01)
            present_before = await _holder_pids(engine, "process-cancelled")
            take.cancel()  # as a worker does to a job whose lease it lost
            with pytest.raises(asyncio.CancelledError):
                await take
            await other.rollback()  # the other process is done

        granted = await asyncio.wait_for(budget.take("tenant:a"), timeout=60)  # not stuck

        # The cancel did not cut the statement off and drop the presence: the same session
        # holds the lock (other processes never counted this one's places as finished).
        assert await _holder_pids(engine, "process-cancelled") == present_before != []
        await budget.aclose()  # once the statements under way have ended
        async with engine.connect() as observer:  # committed: another connection sees it
            rows = (
                await observer.execute(
                    select(FortnoxBudgetGrant.id, FortnoxBudgetGrant.finished_at)
                )
            ).all()
            assert await observer.scalar(waiting, params) == 0
        # The place the cancelled take was granted after all is finished, not left in flight.
        assert sorted((row.id == granted, row.finished_at is None) for row in rows) == [
            (False, False),
            (True, True),
        ]
    finally:
        await budget.aclose()
        await engine.dispose()


async def _cancelled_inside_a_transaction(
    connection: asyncpg.Connection, *_: object, **__: object
) -> None:
    """A statement cut off with its connection left inside a transaction (its answer not in).
    A take sends no ``BEGIN`` of its own any more; this stands for any state a statement cut
    off midway may leave its session in, which only a new connection is sure to be rid of."""
    await connection.execute("BEGIN")
    raise asyncio.CancelledError


async def test_a_take_cancelled_inside_its_transaction_leaves_the_connection_clean(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = create_engine(pg_url)
    budget = PostgresBudget(engine, limit=5, window_seconds=0.3, holder="process-cancelled")
    try:
        first = await budget.take("tenant:a")  # connected and locked: only takes use the driver
        with monkeypatch.context() as patched:
            patched.setattr(asyncpg.Connection, "fetchrow", _cancelled_inside_a_transaction)
            with pytest.raises(asyncio.CancelledError):
                await budget.take("tenant:a")

        granted = await budget.take("tenant:a")  # on a connection not left inside BEGIN

        async with engine.connect() as observer:  # committed: another connection sees it
            rows = await observer.execute(select(FortnoxBudgetGrant.id))
            assert sorted(row.id for row in rows) == [first, granted]
    finally:
        await budget.aclose()
        await engine.dispose()


async def test_a_finish_whose_caller_is_cancelled_still_lands(pg_url: str) -> None:
    engine = create_engine(pg_url)
    budget = PostgresBudget(engine, limit=5, window_seconds=0.3, holder="process-finishing")
    tenant_lock = text("SELECT pg_advisory_xact_lock(:lock_class, hashtext('tenant:b'))")
    try:
        grant = await budget.take("tenant:a")
        async with engine.connect() as other:  # holds tenant:b, so a take for it waits there
            await other.execute(tenant_lock, {"lock_class": BUDGET_LOCK_CLASS})
            blocked_take = asyncio.create_task(budget.take("tenant:b"))
            finish = asyncio.create_task(budget.finish(grant))  # queued behind the take
            await asyncio.sleep(0)
            finish.cancel()  # its request's task was cancelled while recording the answer
            with pytest.raises(asyncio.CancelledError):
                await finish
            await other.rollback()
        await asyncio.wait_for(blocked_take, timeout=60)
        await budget.aclose()  # once the statements under way have ended

        async with engine.connect() as observer:
            finished_at = await observer.scalar(
                select(FortnoxBudgetGrant.finished_at).where(FortnoxBudgetGrant.id == grant)
            )
        assert finished_at is not None  # not left in flight until stale
    finally:
        await budget.aclose()
        await engine.dispose()


async def test_a_finish_that_fails_is_logged_not_raised(
    pg_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    engine = create_engine(pg_url)
    budget = PostgresBudget(engine, limit=5, window_seconds=0.3, holder="process-failing")
    try:
        grant = await budget.take("tenant:a")
        monkeypatch.setattr(budget_repository, "_FINISH", "SELECT no_such_function($1)")

        await budget.finish(grant)  # the request's answer stands: nothing raised

        assert [record.code for record in caplog.records if hasattr(record, "code")] == [
            "fortnox_budget_finish_failed"
        ]
        monkeypatch.undo()
        assert await budget.take("tenant:a") != grant  # the presence is still usable
    finally:
        await budget.aclose()
        await engine.dispose()


async def test_a_closed_budget_takes_no_place_and_no_lock_again(pg_url: str) -> None:
    engine = create_engine(pg_url)
    budget = PostgresBudget(engine, limit=5, window_seconds=0.3, holder="process-closed")
    try:
        await budget.take("tenant:a")
        await budget.aclose()

        with pytest.raises(RuntimeError, match="closed"):  # a take still polling at the end
            await budget.take("tenant:a")

        assert await _holder_pids(engine, "process-closed") == []
    finally:
        await budget.aclose()
        await engine.dispose()


async def test_answers_that_come_together_are_recorded_in_one_statement_at_their_own_time(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the presence connection is busy (here: a take waiting for another process's grant
    of its tenant), the answers that come wait together and go in one statement. Each place
    still counts from when its answer came, not from when the statement ran."""
    engine = create_engine(pg_url)
    budget = PostgresBudget(engine, limit=10, window_seconds=30, holder="process-batching")
    finishing_statements: list[str] = []
    execute = asyncpg.Connection.execute

    async def counted(self: asyncpg.Connection, query: str, *args: object, **kwargs: object) -> str:
        if query == budget_repository._FINISH:
            finishing_statements.append(query)
        return await execute(self, query, *args, **kwargs)  # type: ignore[no-any-return]

    monkeypatch.setattr(asyncpg.Connection, "execute", counted)
    tenant_lock = text("SELECT pg_advisory_xact_lock(:lock_class, hashtext('tenant:b'))")
    database_now = text("SELECT clock_timestamp()")
    try:
        grants = [await budget.take("tenant:a") for _ in range(5)]
        async with engine.connect() as other:  # holds tenant:b, so a take for it waits there
            await other.execute(tenant_lock, {"lock_class": BUDGET_LOCK_CLASS})
            blocked_take = asyncio.create_task(budget.take("tenant:b"))
            answered_from = await other.scalar(database_now)
            finishes = [asyncio.create_task(budget.finish(grant)) for grant in grants]
            await asyncio.sleep(0)  # the finishes note their answers
            # Time passes on the database's clock before the statement can run.
            await other.execute(text("SELECT pg_sleep(0.3)"))
            released_at = await other.scalar(database_now)
            await other.rollback()
        await asyncio.wait_for(asyncio.gather(*finishes, blocked_take), timeout=60)

        assert len(finishing_statements) == 1
        finished = await _finish_times(engine, grants)
        assert sorted(finished) == sorted(grants)
        for finished_at in finished.values():
            assert finished_at is not None
            # From its answer (a statement's way to the database later at most), not from
            # when the statement could run.
            assert answered_from <= finished_at < released_at
    finally:
        await budget.aclose()
        await engine.dispose()


async def test_answers_whose_statement_loses_its_connection_are_recorded_on_the_next(
    pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The database ends the presence session while a batch of answers is on its way (a
    restart, a failover): the batch is sent again on a new connection (recording an answer
    twice sets the same time), instead of every place of the batch counting until stale."""
    engine = create_engine(pg_url)
    budget = PostgresBudget(engine, limit=10, window_seconds=30, holder="process-cut-off")
    row_lock = text("SELECT id FROM fortnox_budget_grants WHERE id = :id FOR UPDATE")
    finishing = text(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
        " AND wait_event_type = 'Lock' AND query = :finish"
    )
    try:
        grants = [await budget.take("tenant:a") for _ in range(3)]
        async with engine.connect() as other:  # holds a place's row: the batch waits there
            await other.execute(row_lock, {"id": grants[0]})
            finishes = [asyncio.create_task(budget.finish(grant)) for grant in grants]
            pid = None
            for _ in range(6000):
                await other.execute(text("SELECT pg_stat_clear_snapshot()"))  # read it afresh
                pid = await other.scalar(finishing, {"finish": budget_repository._FINISH})
                if pid is not None:
                    break
                await asyncio.sleep(0.005)
            assert pid is not None, "the batch never reached the database"
            await other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            await other.rollback()
        await asyncio.wait_for(asyncio.gather(*finishes), timeout=60)

        finished = await _finish_times(engine, grants)
        assert sorted(finished) == sorted(grants)
        assert all(finished_at is not None for finished_at in finished.values()), finished
        assert not [record for record in caplog.records if hasattr(record, "code")]
    finally:
        await budget.aclose()
        await engine.dispose()


async def test_a_recording_cancelled_before_it_ran_leaves_no_finish_waiting(pg_url: str) -> None:
    """The event loop's end may cancel the task that records answers before its first step:
    the finishes that waited for it return, and a later answer is recorded by a new one."""
    engine = create_engine(pg_url)
    budget = PostgresBudget(engine, limit=5, window_seconds=30, holder="process-cancelled")
    try:
        first, second = await budget.take("tenant:a"), await budget.take("tenant:a")
        waiting = asyncio.create_task(budget.finish(first))
        await asyncio.sleep(0)  # it notes its answer and starts the recording, not yet run
        recording = budget._recording
        assert recording is not None
        recording.cancel()
        await asyncio.wait_for(waiting, timeout=30)

        await asyncio.wait_for(budget.finish(second), timeout=30)

        finished = await _finish_times(engine, [first, second])
        assert finished[second] is not None
        assert finished[first] is not None  # noted still, so recorded with the later answer
    finally:
        await budget.aclose()
        await engine.dispose()
