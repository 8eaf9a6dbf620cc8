"""One installation per Fortnox tenant, kept by the database

Two logins to the same Fortnox company from two Upsales accounts could both pass the check made
before the tenant is stored; the unique constraint makes the second one fail.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("installations") as batch:
        batch.create_unique_constraint(
            op.f("uq_installations_fortnox_tenant_id"), ["fortnox_tenant_id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("installations") as batch:
        batch.drop_constraint(op.f("uq_installations_fortnox_tenant_id"), type_="unique")
