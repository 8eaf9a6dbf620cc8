"""One migration at a time: replicas that start together run ``migrate`` one after the other.

On PostgreSQL the migration transaction first takes a transaction-level advisory lock; a second
``migrate`` waits for it, then finds the schema at head and does nothing. SQLite serialises
writers itself, and a SQLite database serves one process anyway.

Once it holds that lock, a migration waits for any other lock (a table a running worker's
transaction has read, say) at most its lock timeout: PostgreSQL then undoes the whole
migration, and ``migrate`` says so, instead of hanging as long as that transaction lasts while
every statement queued behind its table lock waits too.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import text
from sqlalchemy.engine import Connection

#: The advisory lock's key: any fixed 64-bit number no other lock of this database uses.
MIGRATION_LOCK_KEY: Final = 0x5546_534D_4947_5241  # "UFSMIGRA"


def hold_migration_lock(connection: Connection) -> None:
    """Wait for, then hold until the transaction ends, the migration lock (PostgreSQL only)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})


#: How long ``migrate`` waits for a lock other than the migration lock, unless told otherwise.
DEFAULT_LOCK_TIMEOUT_SECONDS: Final = 30.0
#: The longest it may be told to wait: a day (PostgreSQL takes no more than about 24 days).
MAX_LOCK_TIMEOUT_SECONDS: Final = 24 * 3600.0
