"""Running the Alembic migrations from code (the ``migrate`` command, the demo and tests)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

_PROJECT_ROOT = Path(__file__).resolve().parents[3]
_PACKAGED_MIGRATIONS = Path(__file__).resolve().parent.parent / "_migrations"


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


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(database_url), revision)
