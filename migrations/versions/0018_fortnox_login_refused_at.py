"""When Fortnox refused an installation's stored login, kept with it: a paused installation's
status does not move, and a document link's HEAD must still know

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import upsales_fortnox.core.db.types

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("fortnox_credentials", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "refused_at",
                upsales_fortnox.core.db.types.UTCDateTime(timezone=True),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("fortnox_credentials", schema=None) as batch_op:
        batch_op.drop_column("refused_at")
