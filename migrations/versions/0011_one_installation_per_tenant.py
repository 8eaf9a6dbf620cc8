"""One installation per Fortnox tenant, kept by the database

Two logins to the same Fortnox company from two Upsales accounts could both pass the check made
before the tenant is stored; the unique constraint makes the second one fail.

Installations that an earlier version did connect to one tenant stop the upgrade, changing
nothing: which of them keeps the tenant is the operator's choice (disconnect the others, or
uninstall them), so the message names them.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from upsales_fortnox.core.db.errors import MigrationStopped

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _refuse_shared_tenants() -> None:
    rows = (
        op.get_bind()
        .execute(
            sa.text(
                "SELECT fortnox_tenant_id, id FROM installations WHERE fortnox_tenant_id IN ("
                " SELECT fortnox_tenant_id FROM installations WHERE fortnox_tenant_id IS NOT NULL"
                " GROUP BY fortnox_tenant_id HAVING count(*) > 1)"
                " ORDER BY fortnox_tenant_id, created_at, id"
            ).columns(fortnox_tenant_id=sa.String(), id=sa.Uuid())
        )
        .all()
    )
    if not rows:
        return
    shared: dict[str, list[str]] = {}
    for tenant, installation in rows:
        shared.setdefault(tenant, []).append(str(installation))
    listed = "; ".join(f"tenant {tenant}: {', '.join(ids)}" for tenant, ids in shared.items())
    raise MigrationStopped(
        "migration 0011 stopped, nothing changed: several installations are connected to one"
        f" Fortnox tenant ({listed}). Keep one per tenant (set the others' fortnox_tenant_id"
        " to NULL, or uninstall them), then run migrate again."
    )


def upgrade() -> None:
    _refuse_shared_tenants()
    with op.batch_alter_table("installations") as batch:
        batch.create_unique_constraint(
            op.f("uq_installations_fortnox_tenant_id"), ["fortnox_tenant_id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("installations") as batch:
        batch.drop_constraint(op.f("uq_installations_fortnox_tenant_id"), type_="unique")
