"""Queued jobs are told to the workers (PostgreSQL only)

A statement-level trigger on ``sync_jobs`` notifies the channel ``upsales_fortnox_jobs`` after
every insert that inserted a row; the workers listen on their presence connections and claim at once instead of at
their next poll.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As this revision made them (a later change is a revision of its own).
_CREATE_FUNCTION = """
CREATE OR REPLACE FUNCTION sync_jobs_queued_notice() RETURNS trigger
LANGUAGE plpgsql AS $notice$
BEGIN
    IF EXISTS (SELECT FROM queued) THEN
        PERFORM pg_notify('upsales_fortnox_jobs', '');
    END IF;
    RETURN NULL;
END
$notice$
"""
_CREATE_TRIGGER = (
    "CREATE TRIGGER sync_jobs_queued AFTER INSERT ON sync_jobs REFERENCING NEW TABLE AS queued "
    "FOR EACH STATEMENT EXECUTE FUNCTION sync_jobs_queued_notice()"
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(_CREATE_FUNCTION)
    op.execute(_CREATE_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS sync_jobs_queued ON sync_jobs")
    op.execute("DROP FUNCTION IF EXISTS sync_jobs_queued_notice()")
