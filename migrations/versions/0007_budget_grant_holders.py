"""The process holding each Fortnox budget grant

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("fortnox_budget_grants") as batch:
        batch.add_column(sa.Column("holder", sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("fortnox_budget_grants") as batch:
        batch.drop_column("holder")
