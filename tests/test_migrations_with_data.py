"""Upgrading a database that holds an older version's rows: every row survives the migrations,
and a migration that cannot apply fails with the operator's next step, changing nothing."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Connection

from tests.database import POSTGRES_ENABLED, scratch_postgres_database
from tests.test_cli import run_cli
from upsales_fortnox.core.db import migrate, sqlite_migration
from upsales_fortnox.core.db.engine import create_engine
from upsales_fortnox.core.db.errors import MigrationStopped

_DAY = "'2026-12-01 00:00:00+00:00'"
_INSTALLATIONS = (
    "0b9e7d2c-1f4a-4c3e-9a51-6f0d3b2a8e11",
    "5c1d0a9e-7b2f-4e8a-b3c4-2d6e8f0a1b22",
)
_KEPT_TABLES = (
    "installations",
    "fortnox_credentials",
    "installation_settings",
    "installation_leases",
    "custom_field_ids",
    "reconcile_checkpoints",
    "oauth_states",
    "links",
    "document_intents",
    "sync_jobs",
    "job_attempts",
    "inbound_events",
    "fortnox_budget_grants",
)


@pytest.fixture(params=["sqlite", "postgresql"] if POSTGRES_ENABLED else ["sqlite"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'upgrade.sqlite3'}"
        return
    with scratch_postgres_database("ufs_upgrade") as url:
        yield url


def _run(database_url: str, work: Any) -> Any:
    async def run() -> Any:
        engine = create_engine(database_url)
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(work)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _uuid(connection: Connection, value: str) -> str:
    return f"'{value.replace('-', '')}'" if connection.dialect.name == "sqlite" else f"'{value}'"


def _seed_at_0010(tenants: tuple[str, str]) -> Any:
    """Two installations as versions 0009 and 0010 wrote them, each with a job queued and one
    running (its attempt, its event), links, a document intent, credentials, settings and a
    lease."""

    def seed(connection: Connection) -> None:
        pairs = zip(_INSTALLATIONS, tenants, strict=True)
        for number, (installation_id, tenant) in enumerate(pairs, 1):
            installation = _uuid(connection, installation_id)
            job = number * 10
            for statement in (
                "INSERT INTO installations (id, name, upsales_customer_id, status,"
                " upsales_api_token_enc, webhook_secret_enc, fortnox_tenant_id, version,"
                f" created_at, updated_at) VALUES ({installation}, 'Kund {number}', {number},"
                f" 'active', 'a', 'b', '{tenant}', 3, {_DAY}, {_DAY})",
                "INSERT INTO fortnox_credentials (installation_id, access_token_enc,"
                " refresh_token_enc, access_token_expires_at, scopes, refreshed_at, token_kind)"
                f" VALUES ({installation}, 'x', 'y', {_DAY}, 'invoice', {_DAY}, 'user')",
                "INSERT INTO installation_settings (installation_id, sync_type,"
                " product_bundles, version, updated_at)"
                f" VALUES ({installation}, 'invoice', 'bundle', 1, {_DAY})",
                "INSERT INTO installation_leases (installation_id, owner, expires_at)"
                f" VALUES ({installation}, 'worker-1', {_DAY})",
                "INSERT INTO custom_field_ids (installation_id, entity, alias, field_id,"
                f" resolved_at) VALUES ({installation}, 'order', 'ALIAS', 5, {_DAY})",
                "INSERT INTO reconcile_checkpoints (installation_id, topic, checked_until,"
                f" updated_at) VALUES ({installation}, 'invoices', {_DAY}, {_DAY})",
                "INSERT INTO oauth_states (nonce, installation_id, created_at, expires_at)"
                f" VALUES ('nonce-{number}', {installation}, {_DAY}, {_DAY})",
                "INSERT INTO links (installation_id, entity, upsales_id, fortnox_type,"
                f" fortnox_id, fingerprint, created_at) VALUES ({installation},"
                f" 'order', 100, 'invoice', '{number}001', 'f', {_DAY})",
                "INSERT INTO document_intents (installation_id, upsales_order_id, fortnox_type,"
                f" created_at) VALUES ({installation}, 100, 'invoice', {_DAY})",
                "INSERT INTO sync_jobs (id, installation_id, kind, entity_id, status, attempts,"
                " max_attempts, run_after, payload, created_at, updated_at) VALUES"
                f" ({job}, {installation}, 'fortnox.customer', '2001', 'queued', 0, 8,"
                f" {_DAY}, '{{}}', {_DAY}, {_DAY}),"
                f" ({job + 1}, {installation}, 'upsales.order', '100', 'running', 1, 8,"
                f" {_DAY}, '{{}}', {_DAY}, {_DAY})",
                "INSERT INTO job_attempts (id, job_id, number, worker_id, started_at)"
                f" VALUES ({job}, {job + 1}, 1, 'worker-1', {_DAY})",
                "INSERT INTO inbound_events (id, installation_id, source, dedupe_key,"
                " event_type, entity_type, entity_id, payload, job_id, received_at) VALUES"
                f" ({job}, {installation}, 'upsales', 'k{number}', 'order.updated', 'order',"
                f" '100', '{{}}', {job + 1}, {_DAY})",
                "INSERT INTO fortnox_budget_grants (tenant_key, granted_at, holder)"
                f" VALUES ('tenant:{tenant}', {_DAY}, 'worker-1')",
            ):
                connection.exec_driver_sql(statement)
        connection.commit()

    return seed


def _counts(connection: Connection) -> dict[str, int]:
    return {
        table: connection.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one()
        for table in _KEPT_TABLES
    }


def _revision(connection: Connection) -> str:
    return str(connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar_one())


def test_upgrading_from_0010_to_the_newest_keeps_every_installations_rows(
    database_url: str,
) -> None:
    """0011 gives ``installations`` a unique constraint, which SQLite makes by copying the
    table: dropping the old one took every job, link, credential and setting with it
    (``ON DELETE CASCADE``)."""
    migrate.upgrade(database_url, "0010")
    _run(database_url, _seed_at_0010(("tenant-a", "tenant-b")))
    before = _run(database_url, _counts)
    assert set(before.values()) != {0}

    migrate.upgrade(database_url)

    assert _run(database_url, _counts) == before

    def job_history(connection: Connection) -> list[Any]:
        return connection.exec_driver_sql(
            "SELECT j.id, j.status, a.number, e.job_id FROM sync_jobs j"
            " JOIN job_attempts a ON a.job_id = j.id JOIN inbound_events e ON e.job_id = j.id"
            " ORDER BY j.id"
        ).all()

    assert _run(database_url, job_history) == [(11, "running", 1, 11), (21, "running", 1, 21)]


def test_two_installations_of_one_fortnox_tenant_stop_the_upgrade_with_the_next_step(
    database_url: str,
) -> None:
    """Versions before 0011 could connect two installations to one Fortnox tenant. The
    upgrade then stops, naming the tenant and its installations, and changes nothing; once the
    operator has disconnected one of them it runs through. (Started from 0009, so that 0010's
    new column is made before 0011 stops: SQLite's driver committed it at once, and the second
    run failed on a column already there.)"""
    migrate.upgrade(database_url, "0009")
    _run(database_url, _seed_at_0010(("tenant-a", "tenant-a")))
    before = _run(database_url, _counts)

    with pytest.raises(MigrationStopped) as refused:
        migrate.upgrade(database_url)

    message = str(refused.value)
    assert "tenant-a" in message
    assert all(installation in message for installation in _INSTALLATIONS)
    assert _run(database_url, _revision) == "0009"
    assert _run(database_url, _counts) == before

    def disconnect_the_second(connection: Connection) -> None:
        installation = _uuid(connection, _INSTALLATIONS[1])
        connection.exec_driver_sql(
            f"UPDATE installations SET fortnox_tenant_id = NULL WHERE id = {installation}"
        )
        connection.commit()

    _run(database_url, disconnect_the_second)
    migrate.upgrade(database_url)
    assert _run(database_url, _counts) == before


def test_an_order_linked_to_a_fortnox_order_and_its_invoice_upgrades_from_0001(
    database_url: str,
) -> None:
    """Version 0001 linked an Upsales order to its Fortnox order and, once invoiced, to the
    invoice too. 0002 makes one document intent per order from those links: it took both and
    stopped on its own primary key. The first document (the one the won deal created) is the
    order's intent."""
    migrate.upgrade(database_url, "0001")

    def seed(connection: Connection) -> None:
        installation = _uuid(connection, _INSTALLATIONS[0])
        connection.exec_driver_sql(
            "INSERT INTO installations (id, name, upsales_customer_id, status, version,"
            f" created_at, updated_at) VALUES ({installation}, 'Kund', 1, 'active', 1,"
            f" {_DAY}, {_DAY})"
        )
        connection.exec_driver_sql(
            "INSERT INTO links (installation_id, entity, upsales_id, fortnox_type, fortnox_id,"
            f" created_at) VALUES ({installation}, 'order', 5, 'order', '7', {_DAY}),"
            f" ({installation}, 'order', 5, 'invoice', '9', '2026-12-02 00:00:00+00:00'),"
            f" ({installation}, 'order', 6, 'invoice', '10', {_DAY})"
        )
        connection.commit()

    _run(database_url, seed)
    migrate.upgrade(database_url)

    def intents(connection: Connection) -> list[Any]:
        return connection.exec_driver_sql(
            "SELECT upsales_order_id, fortnox_type FROM document_intents ORDER BY 1"
        ).all()

    assert _run(database_url, intents) == [(5, "order"), (6, "invoice")]
    assert _run(database_url, _link_count) == 3


def _link_count(connection: Connection) -> int:
    return int(connection.exec_driver_sql("SELECT count(*) FROM links").scalar_one())


def test_the_migrate_command_says_why_it_stopped_with_a_stable_code(tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    migrate.upgrade(database_url, "0010")
    _run(database_url, _seed_at_0010(("tenant-a", "tenant-a")))

    result = run_cli("migrate", cwd=tmp_path, env={"DATABASE_URL": database_url})

    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: migration_stopped: migration 0011 stopped, nothing changed")
    assert _run(database_url, _revision) == "0010"


def test_migrating_a_database_a_newer_version_migrated_changes_nothing_and_succeeds(
    tmp_path: Path,
) -> None:
    """An operator who rolls the image back runs its ``migrate`` step first: it failed with
    Alembic's "Can't locate revision" and blocked the rollback, while ``/readyz`` takes a newer
    version's schema as ready. It now leaves the schema and says so."""
    database_url = f"sqlite:///{tmp_path / 'newer.sqlite3'}"
    migrate.upgrade(database_url)

    def stamp_newer(connection: Connection) -> None:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '0099'")
        connection.commit()

    _run(database_url, stamp_newer)

    result = run_cli("migrate", cwd=tmp_path, env={"DATABASE_URL": database_url})

    assert result.returncode == 0, result.stderr
    assert "database is at migration 0099, a newer version's: nothing to do" in result.stdout
    assert _run(database_url, _revision) == "0099"


def test_a_sqlite_file_with_rows_pointing_nowhere_still_upgrades(tmp_path: Path) -> None:
    """A row left pointing at one deleted by hand with foreign keys off (the sqlite3 shell's
    default) is no reason to stop an upgrade: only references a migration breaks stop it."""
    database_url = f"sqlite:///{tmp_path / 'orphans.sqlite3'}"
    migrate.upgrade(database_url, "0010")
    _run(database_url, _seed_at_0010(("tenant-a", "tenant-b")))

    def delete_a_job_by_hand(connection: Connection) -> None:
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.exec_driver_sql("DELETE FROM sync_jobs WHERE id = 11")
        connection.commit()

    _run(database_url, delete_a_job_by_hand)
    before = _run(database_url, _counts)

    migrate.upgrade(database_url)

    assert _run(database_url, _counts) == before


def test_a_sqlite_migration_is_not_undone_by_the_running_service_writing_meanwhile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The service still running writes (a heartbeat, a webhook) after the migration has read
    the file and before it writes: SQLite then refused the migration's first write at once
    ("database is locked", however long its busy timeout). The migration takes the write lock
    as it begins; the service's write waits for it instead."""
    database_url = f"sqlite:///{tmp_path / 'busy.sqlite3'}"
    migrate.upgrade(database_url, "0010")
    _run(database_url, _seed_at_0010(("tenant-a", "tenant-b")))
    checked = sqlite_migration._broken_references
    refused: list[str] = []

    def service_writes(connection: Connection) -> Any:
        found = checked(connection)
        service = sqlite3.connect(tmp_path / "busy.sqlite3", timeout=0)
        try:
            service.execute("UPDATE sync_jobs SET attempts = attempts + 1 WHERE id = 10")
            service.commit()
        except sqlite3.OperationalError as exc:
            refused.append(str(exc))
        finally:
            service.close()
        return found

    monkeypatch.setattr(sqlite_migration, "_broken_references", service_writes)

    migrate.upgrade(database_url)

    assert [_run(database_url, _revision)] == list(migrate._scripts().get_heads())
    assert refused and "locked" in refused[0]
