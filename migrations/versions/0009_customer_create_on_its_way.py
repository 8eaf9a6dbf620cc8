"""Which company's new Fortnox customer a won deal's attempt sent, and when

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from upsales_fortnox.core.db.types import UTCDateTime

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("document_intents") as batch:
        batch.add_column(sa.Column("customer_company_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("customer_sent_at", UTCDateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("customer_settles_at", UTCDateTime(timezone=True), nullable=True)
        )
        batch.create_index(
            "ix_document_intents_customer_company", ["installation_id", "customer_company_id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("document_intents") as batch:
        batch.drop_index("ix_document_intents_customer_company")
        batch.drop_column("customer_settles_at")
        batch.drop_column("customer_sent_at")
        batch.drop_column("customer_company_id")
