"""Migrating a SQLite database as SQLite's own guide to schema changes says.

SQLite changes most of a table's shape by copying it: a new table, the rows copied, the old one
dropped. With foreign keys enforced, dropping a parent deletes its children first (``ON DELETE
CASCADE``): copying ``installations`` emptied every table that points at it. So the migration
runs with the enforcement off, inside one transaction of SQLite's own (its driver commits a
schema statement at once otherwise, and a migration that fails half way would leave the schema
half changed under the old revision), and checks every reference before it commits.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

from upsales_fortnox.core.db.errors import MigrationStopped


def begin_sqlite_migration(connection: Connection) -> None:
    """Turn foreign keys off for ``connection`` and open the transaction the migration runs in
    (SQLite ignores the pragma inside a transaction, so this comes first)."""
    if connection.dialect.name != "sqlite":
        return
    connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
    connection.exec_driver_sql("BEGIN")


def check_sqlite_references(connection: Connection) -> None:
    """Fail (the migration is then rolled back) if a row points at one that is not there."""
    if connection.dialect.name != "sqlite":
        return
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        tables = sorted({str(row[0]) for row in broken})
        raise MigrationStopped(
            f"migration stopped, nothing changed: rows of {', '.join(tables)} would point at"
            " rows that are not there"
        )
