"""Fortnox budget grants: one rate budget per tenant shared by every process

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import upsales_fortnox.core.db.types

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "fortnox_budget_grants",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("tenant_key", sa.String(length=100), nullable=False),
        sa.Column(
            "granted_at", upsales_fortnox.core.db.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "finished_at", upsales_fortnox.core.db.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fortnox_budget_grants")),
    )
    op.create_index(
        op.f("ix_fortnox_budget_grants_tenant_key"),
        "fortnox_budget_grants",
        ["tenant_key"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_fortnox_budget_grants_tenant_key"), table_name="fortnox_budget_grants")
    op.drop_table("fortnox_budget_grants")
