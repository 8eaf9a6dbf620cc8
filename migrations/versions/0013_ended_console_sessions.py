"""Console sessions logged out of: their cookies open nothing again

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import upsales_fortnox.core.db.types

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ended_console_sessions",
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column(
            "expires_at", upsales_fortnox.core.db.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.PrimaryKeyConstraint("nonce", name=op.f("pk_ended_console_sessions")),
    )
    with op.batch_alter_table("ended_console_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ended_console_sessions_expires_at"), ["expires_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("ended_console_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ended_console_sessions_expires_at"))
    op.drop_table("ended_console_sessions")
