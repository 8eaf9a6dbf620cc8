"""The Alembic migrations build exactly the models' schema, and downgrade back to nothing."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from tests.database import POSTGRES_ENABLED, create_schema, scratch_postgres_database
from upsales_fortnox.core.db import migrate
from upsales_fortnox.core.db.base import Base
from upsales_fortnox.core.db.engine import create_engine
from upsales_fortnox.models import budget_take


@pytest.fixture(params=["sqlite", "postgresql"] if POSTGRES_ENABLED else ["sqlite"])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    with scratch_postgres_database("ufs_migrations") as url:
        yield url


def _inspect(database_url: str, reader: Any) -> Any:
    async def run() -> Any:
        engine = create_engine(database_url)
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(reader)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _schema_differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "compare_server_default": True}
    )
    return list(compare_metadata(context, Base.metadata))


def _table_names(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def _functions(connection: Connection) -> dict[str, str]:
    """The schema's own functions (PostgreSQL), by name: their definitions as the server
    prints them."""
    if connection.dialect.name != "postgresql":
        return {}
    rows = connection.exec_driver_sql(
        "SELECT p.proname, pg_get_functiondef(p.oid) FROM pg_proc p"
        " JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = current_schema()"
    )
    return {name: definition for name, definition in rows}


def _models_functions(database_url: str) -> dict[str, str]:
    """The functions the models create with their tables, in a database of their own."""
    if not database_url.startswith("postgresql"):
        return {}
    with scratch_postgres_database("ufs_models") as models_url:
        asyncio.run(create_schema(models_url))
        return _inspect(models_url, _functions)


def test_upgrade_head_matches_the_models_and_downgrade_removes_everything(
    empty_database_url: str,
) -> None:
    migrate.upgrade(empty_database_url)

    assert _inspect(empty_database_url, _schema_differences) == []
    tables = _inspect(empty_database_url, _table_names)
    assert tables == set(Base.metadata.tables) | {"alembic_version"}
    functions = _inspect(empty_database_url, _functions)
    assert functions == _models_functions(empty_database_url)
    if empty_database_url.startswith("postgresql"):
        assert set(functions) == {budget_take.NAME}

    migrate.downgrade(empty_database_url, "base")
    assert _inspect(empty_database_url, _table_names) == {"alembic_version"}
    assert _inspect(empty_database_url, _functions) == {}


def test_the_comparison_notices_a_schema_that_drifted(tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'drift.sqlite3'}"
    migrate.upgrade(database_url)

    def drop_an_index(connection: Connection) -> None:
        connection.exec_driver_sql("DROP INDEX ix_sync_jobs_due")

    _inspect(database_url, drop_an_index)
    differences = _inspect(database_url, _schema_differences)
    assert [difference[0] for difference in differences] == ["add_index"]


def test_replicas_migrating_at_once_all_succeed_and_migrate_once(
    empty_database_url: str, tmp_path: Path
) -> None:
    """Three ``migrate`` processes started together (replicas of a deployment): each exits 0,
    and the schema is the models' (without the lock, the later ones fail creating tables that
    the first one made)."""
    env = {**os.environ, "DATABASE_URL": empty_database_url}
    replicas = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from upsales_fortnox.cli.commands import main; main()",
                "migrate",
            ],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    for replica in replicas:
        _, stderr = replica.communicate(timeout=120)
        assert replica.returncode == 0, stderr
    assert _inspect(empty_database_url, _schema_differences) == []


def test_longer_fortnox_ids_keep_the_jobs_attempts_and_events(empty_database_url: str) -> None:
    """0020 widens ``sync_jobs.entity_id``: its jobs keep their attempts and events (copying the
    table on SQLite would have dropped them with it)."""
    migrate.upgrade(empty_database_url, "0019")

    def seed(connection: Connection) -> None:
        installation = "'0b9e7d2c-1f4a-4c3e-9a51-6f0d3b2a8e11'"
        if connection.dialect.name == "sqlite":
            installation = "'0b9e7d2c1f4a4c3e9a516f0d3b2a8e11'"
        day = "'2026-12-01 00:00:00+00:00'"
        for statement in (
            "INSERT INTO installations (id, name, upsales_customer_id, status,"
            " upsales_api_token_enc, webhook_secret_enc, version, created_at, updated_at)"
            f" VALUES ({installation}, 'x', 1, 'active', 'a', 'b', 1, {day}, {day})",
            "INSERT INTO sync_jobs (id, installation_id, kind, entity_id, status, attempts,"
            " max_attempts, run_after, payload, created_at, updated_at)"
            f" VALUES (7, {installation}, 'fortnox.customer', '2001', 'queued', 1, 8, {day},"
            f" '{{}}', {day}, {day})",
            "INSERT INTO job_attempts (id, job_id, number, worker_id, started_at)"
            f" VALUES (1, 7, 1, 'w', {day})",
            "INSERT INTO inbound_events (id, installation_id, source, dedupe_key, event_type,"
            " entity_type, entity_id, payload, job_id, received_at) VALUES"
            f" (1, {installation}, 'fortnox', 'k', 't', 'customer', '2001', '{{}}', 7, {day})",
        ):
            connection.exec_driver_sql(statement)
        connection.commit()

    _inspect(empty_database_url, seed)

    migrate.upgrade(empty_database_url)

    def kept(connection: Connection) -> list[Any]:
        return [
            connection.exec_driver_sql(sql).all()
            for sql in (
                "SELECT id, entity_id, status FROM sync_jobs",
                "SELECT job_id FROM job_attempts",
                "SELECT job_id FROM inbound_events",
            )
        ]

    assert _inspect(empty_database_url, kept) == [[(7, "2001", "queued")], [(7,)], [(7,)]]
    assert _inspect(empty_database_url, _schema_differences) == []
