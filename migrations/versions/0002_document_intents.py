"""Document intents: a won deal's create, recorded before it is sent

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import upsales_fortnox.core.db.types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "document_intents",
        sa.Column("installation_id", sa.Uuid(), nullable=False),
        sa.Column("upsales_order_id", sa.Integer(), nullable=False),
        sa.Column("fortnox_type", sa.String(length=20), nullable=False),
        sa.Column(
            "created_at", upsales_fortnox.core.db.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["installation_id"],
            ["installations.id"],
            name=op.f("fk_document_intents_installation_id_installations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "installation_id", "upsales_order_id", name=op.f("pk_document_intents")
        ),
    )
    # Orders sent before this revision: a link lost later still leads to a search, not to a
    # second document. An order linked to a Fortnox order and to the invoice made of it has
    # one intent: its first document's.
    op.execute(
        "INSERT INTO document_intents (installation_id, upsales_order_id, fortnox_type, "
        "created_at) SELECT installation_id, upsales_id, fortnox_type, created_at FROM links "
        "WHERE entity = 'order' AND fortnox_type IN ('invoice', 'order') AND NOT EXISTS ("
        "SELECT 1 FROM links AS earlier WHERE earlier.installation_id = links.installation_id "
        "AND earlier.entity = 'order' AND earlier.upsales_id = links.upsales_id "
        "AND earlier.fortnox_type IN ('invoice', 'order') "
        "AND (earlier.created_at < links.created_at "
        "OR (earlier.created_at = links.created_at AND earlier.id < links.id)))"
    )


def downgrade() -> None:
    op.drop_table("document_intents")
