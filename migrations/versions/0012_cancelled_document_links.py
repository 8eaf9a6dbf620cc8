"""Room in a link's fingerprint for the mark of a cancelled document

An order's link to a document whose cancellation was synced keeps its fingerprint behind a mark
(``cancelled:``), so the column takes 80 characters instead of a hash's 64.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("links") as batch:
        batch.alter_column(
            "fingerprint", type_=sa.String(80), existing_type=sa.String(64), existing_nullable=True
        )


def downgrade() -> None:
    # a marked fingerprint would not fit: its mark goes (the link then stands for its document)
    op.execute(
        "UPDATE links SET fingerprint = substr(fingerprint, 11) "
        "WHERE fingerprint LIKE 'cancelled:%'"
    )
    with op.batch_alter_table("links") as batch:
        batch.alter_column(
            "fingerprint", type_=sa.String(64), existing_type=sa.String(80), existing_nullable=True
        )
