"""The booked payments seen in an invoice's payment list, and the invoice each pays

A payment deleted in Fortnox is named in its deletion event by its own number only; the invoice it
paid is found here, whichever sync showed the payment.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import upsales_fortnox.core.db.types

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "seen_payments",
        sa.Column("installation_id", sa.Uuid(), nullable=False),
        sa.Column("payment_number", sa.String(length=50), nullable=False),
        sa.Column("invoice_number", sa.String(length=50), nullable=False),
        sa.Column(
            "seen_at", upsales_fortnox.core.db.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["installation_id"],
            ["installations.id"],
            name=op.f("fk_seen_payments_installation_id_installations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("installation_id", "payment_number", name=op.f("pk_seen_payments")),
    )


def downgrade() -> None:
    op.drop_table("seen_payments")
