"""The documents a won deal had before it was won again, which its new document's link replaced

A deal's invoice credited (the deal lost), the deal won again (a new invoice), and the credit then
cancelled leaves two live invoices of one deal: the earlier one is kept here, so the deal goes to
lost only once neither lives.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import upsales_fortnox.core.db.types

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "earlier_deal_documents",
        sa.Column("installation_id", sa.Uuid(), nullable=False),
        sa.Column("fortnox_type", sa.String(length=20), nullable=False),
        sa.Column("fortnox_id", sa.String(length=50), nullable=False),
        sa.Column("upsales_id", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=80), nullable=True),
        sa.Column(
            "synced_fields",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "set_aside_at",
            upsales_fortnox.core.db.types.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["installation_id"],
            ["installations.id"],
            name=op.f("fk_earlier_deal_documents_installation_id_installations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "installation_id", "fortnox_type", "fortnox_id", name=op.f("pk_earlier_deal_documents")
        ),
    )
    op.create_index(
        "ix_earlier_deal_documents_order",
        "earlier_deal_documents",
        ["installation_id", "upsales_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_earlier_deal_documents_order", table_name="earlier_deal_documents")
    op.drop_table("earlier_deal_documents")
