"""An index on a job's entity

Whether a later job of its entity settled a dead job (the dead-job alert, the health and the
console ask it every minute) and an entity's latest job (an order's status in Upsales) are
looked up by installation, kind and entity; done jobs pile up, and without this index each
lookup read every job of the installation in that status.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEX = "ix_sync_jobs_entity"


def upgrade() -> None:
    op.create_index(
        _INDEX, "sync_jobs", ["installation_id", "kind", "entity_id", "status"], unique=False
    )


def downgrade() -> None:
    op.drop_index(_INDEX, table_name="sync_jobs")
