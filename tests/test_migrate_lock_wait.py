"""``migrate`` on PostgreSQL behind a running transaction: it waits for a lock at most
``--lock-timeout`` seconds, then fails with a stable code, its migration undone, instead of
hanging as long as that transaction lasts."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Iterator

import asyncpg
import pytest

from tests.database import POSTGRES_ENABLED, scratch_postgres_database
from upsales_fortnox.core.db import migrate

pytestmark = pytest.mark.skipif(not POSTGRES_ENABLED, reason="TEST_POSTGRES=off")

_GIVE_UP_SECONDS = 60.0
"""How long the test waits for ``migrate`` before calling it hung (a failure, not timing)."""


@pytest.fixture
def database_before_0020() -> Iterator[str]:
    with scratch_postgres_database("ufs_migrate_wait") as url:
        migrate.upgrade(url, "0019")
        yield url


async def _migrate_behind_a_reader(url: str, *extra: str) -> tuple[int | None, str, str]:
    """Run ``migrate`` while another connection's transaction has read ``sync_jobs`` (as a
    worker's does), which the next migration alters; the reader ends only after ``migrate``."""
    reader = await asyncpg.connect(url)
    try:
        transaction = reader.transaction()
        await transaction.start()
        await reader.fetch("SELECT count(*) FROM sync_jobs")
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            "from upsales_fortnox.cli.commands import main; main()",
            "migrate",
            *extra,
            env={**os.environ, "DATABASE_URL": url},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            out, err = await asyncio.wait_for(process.communicate(), _GIVE_UP_SECONDS)
        except TimeoutError:
            process.kill()
            await process.wait()
            return None, "", "migrate still waiting"
        finally:
            await transaction.rollback()
        return process.returncode, out.decode(), err.decode()
    finally:
        await reader.close()


async def _revision(url: str) -> str:
    connection = await asyncpg.connect(url)
    try:
        return str(await connection.fetchval("SELECT version_num FROM alembic_version"))
    finally:
        await connection.close()


def test_migrate_behind_a_running_transaction_gives_up_with_a_stable_code(
    database_before_0020: str,
) -> None:
    url = database_before_0020
    code, _, err = asyncio.run(_migrate_behind_a_reader(url, "--lock-timeout", "0.2"))
    assert code == 1, err
    line = err.strip().splitlines()[-1]
    assert line.startswith("error: migration_lock_timeout: "), err
    assert "0.2" in line and "migrate" in line
    assert asyncio.run(_revision(url)) == "0019"  # nothing done half-way
    migrate.upgrade(url)  # once the transaction has ended, it goes through
    assert not migrate.missing_migrations([asyncio.run(_revision(url))])


@pytest.mark.parametrize("seconds", ["0", "inf", "1e12"])
def test_a_lock_timeout_that_is_no_positive_number_of_at_most_a_day_is_a_usage_error(
    database_before_0020: str, seconds: str
) -> None:
    code, _, err = asyncio.run(
        _migrate_behind_a_reader(database_before_0020, "--lock-timeout", seconds)
    )
    assert code == 2, err
    assert "--lock-timeout" in err
