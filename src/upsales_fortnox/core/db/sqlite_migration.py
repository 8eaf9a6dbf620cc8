"""Migrating a SQLite database as SQLite's own guide to schema changes says.

SQLite changes most of a table's shape by copying it: a new table, the rows copied, the old one
dropped. With foreign keys enforced, dropping a parent deletes its children first (``ON DELETE
CASCADE``): copying ``installations`` emptied every table that points at it. So the migration
runs with the enforcement off, inside one transaction of SQLite's own (its driver commits a
schema statement at once otherwise, and a migration that fails half way would leave the schema
half changed under the old revision), and checks before it commits that it broke no reference
(rows already pointing nowhere, left by a deletion made with foreign keys off, stay as they were).
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy.engine import Connection

from upsales_fortnox.core.db.errors import MigrationStopped

_BROKEN_BEFORE = "upsales_fortnox.sqlite_broken_references"


def _broken_references(connection: Connection) -> Counter[tuple[str, str]]:
    """How many rows point nowhere, by table and the table they point at."""
    rows = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
    return Counter((str(row[0]), str(row[2])) for row in rows)


def begin_sqlite_migration(connection: Connection) -> None:
    """Turn foreign keys off for ``connection`` and open the transaction the migration runs in
    (SQLite ignores the pragma inside a transaction, so this comes first), holding the write
    lock from its start: a transaction that read first could not write once another process
    (the service still running) had written, whatever the busy timeout."""
    if connection.dialect.name != "sqlite":
        return
    connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
    connection.exec_driver_sql("BEGIN IMMEDIATE")
    connection.info[_BROKEN_BEFORE] = _broken_references(connection)


def check_sqlite_references(connection: Connection) -> None:
    """Fail (the migration is then rolled back) if more rows point nowhere than before it."""
    if connection.dialect.name != "sqlite":
        return
    before = connection.info.get(_BROKEN_BEFORE, Counter())
    broken = _broken_references(connection) - before
    if broken:
        tables = sorted({table for table, _ in broken})
        raise MigrationStopped(
            f"migration stopped, nothing changed: rows of {', '.join(tables)} would point at"
            " rows that are not there"
        )
