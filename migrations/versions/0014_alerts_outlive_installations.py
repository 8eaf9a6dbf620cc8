"""A deleted installation's alerts stay, to be announced resolved

``alert_states.installation_id`` loses its foreign key: deleting an installation no longer
deletes its alerts with it, so the alert monitor announces them resolved.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FOREIGN_KEY = "fk_alert_states_installation_id_installations"


def upgrade() -> None:
    with op.batch_alter_table("alert_states", schema=None) as batch_op:
        batch_op.drop_constraint(_FOREIGN_KEY, type_="foreignkey")


def downgrade() -> None:
    # the alerts of installations deleted meanwhile have nothing to point at
    op.execute(
        "DELETE FROM alert_states WHERE installation_id IS NOT NULL "
        "AND installation_id NOT IN (SELECT id FROM installations)"
    )
    with op.batch_alter_table("alert_states", schema=None) as batch_op:
        batch_op.create_foreign_key(
            _FOREIGN_KEY, "installations", ["installation_id"], ["id"], ondelete="CASCADE"
        )
