"""Fortnox ids as long as a customer number may be

A Fortnox customer number may be 1024 characters long (``fortnox_Customer.CustomerNumber``):
``links.fortnox_id``, ``sync_jobs.entity_id`` and ``inbound_events.entity_id`` grow from 50 to
that length. On PostgreSQL a ``varchar`` only gets a larger limit (nothing is rewritten); the
downgrade fails, changing nothing, while a longer id is kept.

SQLite changes a column's type by copying its table, and dropping ``sync_jobs`` would take its
job attempts with it (``ON DELETE CASCADE``) and its events' job: its column is swapped in place
instead (a new column, the values copied, the old one dropped, the index made again).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_LONGEST_ID = 1024
"""This revision's length (the figure the models take from the Fortnox limits)."""
_EARLIER = 50
_QUEUED_INDEX = "uq_sync_jobs_queued_entity"
_QUEUED = "status = 'queued'"


def _resize(table: str, column: str, nullable: bool, length_from: int, length_to: int) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.alter_column(
            column,
            existing_type=sa.String(length=length_from),
            type_=sa.String(length=length_to),
            existing_nullable=nullable,
        )


def _resize_job_entity(length_from: int, length_to: int) -> None:
    if op.get_bind().dialect.name != "sqlite":
        _resize("sync_jobs", "entity_id", True, length_from, length_to)
        return
    op.drop_index(_QUEUED_INDEX, table_name="sync_jobs")
    op.execute(f"ALTER TABLE sync_jobs ADD COLUMN entity_id_resized VARCHAR({length_to})")
    op.execute("UPDATE sync_jobs SET entity_id_resized = entity_id")
    op.execute("ALTER TABLE sync_jobs DROP COLUMN entity_id")
    op.execute("ALTER TABLE sync_jobs RENAME COLUMN entity_id_resized TO entity_id")
    op.create_index(
        _QUEUED_INDEX,
        "sync_jobs",
        ["installation_id", "kind", "entity_id"],
        unique=True,
        sqlite_where=sa.text(_QUEUED),
    )


def upgrade() -> None:
    _resize("links", "fortnox_id", False, _EARLIER, _LONGEST_ID)
    _resize("inbound_events", "entity_id", True, _EARLIER, _LONGEST_ID)
    _resize_job_entity(_EARLIER, _LONGEST_ID)


def downgrade() -> None:
    _resize_job_entity(_LONGEST_ID, _EARLIER)
    _resize("inbound_events", "entity_id", True, _LONGEST_ID, _EARLIER)
    _resize("links", "fortnox_id", False, _LONGEST_ID, _EARLIER)
