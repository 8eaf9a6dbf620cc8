"""Running the Alembic migrations from code (the ``migrate`` command, the demo and tests)."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.script.revision import ResolutionError
from alembic.util.exc import CommandError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from upsales_fortnox.core.db.errors import MigrationLockTimeout, is_lock_timeout
from upsales_fortnox.core.db.migration_lock import DEFAULT_LOCK_TIMEOUT_SECONDS

_PROJECT_ROOT = Path(__file__).resolve().parents[4]
_PACKAGED_MIGRATIONS = Path(__file__).resolve().parents[2] / "_migrations"


def alembic_config(database_url: str) -> Config:
    """Alembic config for this project, finding the scripts in the source tree or the package."""
    ini_path = _PROJECT_ROOT / "alembic.ini"
    config = Config(str(ini_path)) if ini_path.exists() else Config()
    scripts = _PROJECT_ROOT / "migrations"
    if not scripts.exists():
        scripts = _PACKAGED_MIGRATIONS
    config.set_main_option("script_location", str(scripts))
    config.attributes["database_url"] = database_url
    return config


@cache
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config(""))


def missing_migrations(current: Sequence[str]) -> bool:
    """Whether a database whose schema is at the revisions ``current`` lacks a migration this
    version has: each is one of its migrations, short of the newest. (No revision: the schema
    was made without Alembic; a revision this version does not know: a newer version's.)"""
    scripts = _scripts()
    if not current or set(current) == set(scripts.get_heads()):
        return False
    known = {script.revision for script in scripts.walk_revisions()}
    return all(revision in known for revision in current)


def upgrade(
    database_url: str,
    revision: str = "head",
    *,
    lock_timeout_seconds: float = DEFAULT_LOCK_TIMEOUT_SECONDS,
) -> str | None:
    """Migrate to ``revision``; safe when several processes start at once (PostgreSQL: an
    advisory lock in ``migrations/env.py``; a SQLite file: a lock file beside it).

    On PostgreSQL a lock another transaction holds is waited for at most
    ``lock_timeout_seconds``: then the migration is undone and :class:`MigrationLockTimeout`
    raised.

    Returns the database's revision when it is one this version does not know (a newer
    version's: after a rollback of the image, say), changing nothing: this version runs on
    it as ``/readyz`` says, and the migrate step of a rollback is no failure."""
    with _sqlite_file_lock(database_url):
        config = alembic_config(database_url)
        config.attributes["lock_timeout_seconds"] = lock_timeout_seconds
        try:
            command.upgrade(config, revision)
        except DBAPIError as exc:
            if is_lock_timeout(exc):
                raise MigrationLockTimeout(lock_timeout_seconds) from exc
            raise
        except CommandError as exc:
            unknown = exc.__cause__
            if not isinstance(unknown, ResolutionError) or revision != "head":
                raise
            return str(unknown.argument)
    return None


@contextmanager
def _sqlite_file_lock(database_url: str) -> Iterator[None]:
    url = make_url(database_url)
    if not url.drivername.startswith("sqlite") or url.database in (None, "", ":memory:"):
        yield
        return
    lock_path = Path(f"{url.database}.migrate-lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def downgrade(database_url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(database_url), revision)
