"""A place in a tenant's shared Fortnox budget is granted by one database function, in one
round trip (PostgreSQL only)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As this revision made it (a later change of the function is a revision of its own).
_CREATE = """
CREATE OR REPLACE FUNCTION fortnox_budget_take(
    tenant text,
    window_seconds double precision,
    stale_seconds double precision,
    place_holder text,
    place_limit integer,
    budget_lock_class integer,
    holder_lock_class integer
) RETURNS TABLE (grant_id bigint, wait_seconds double precision)
LANGUAGE plpgsql VOLATILE AS $take$
BEGIN
    PERFORM pg_advisory_xact_lock(budget_lock_class, hashtext(tenant));
    PERFORM set_config('synchronous_commit', 'off', true);
    RETURN QUERY
    WITH now AS (SELECT clock_timestamp() AS t),
    holders AS (SELECT pg_locks.objid FROM pg_locks WHERE pg_locks.locktype = 'advisory' AND pg_locks.database = (SELECT pg_database.oid FROM pg_database WHERE pg_database.datname = current_database()) AND pg_locks.classid = CAST(holder_lock_class AS OID) AND pg_locks.objsubid = 2 AND pg_locks.granted),
    counted AS (
        SELECT count(*) AS places, min(g.finished_at) AS first_finished
        FROM fortnox_budget_grants g, now
        WHERE g.tenant_key = tenant
          AND (g.finished_at > now.t - make_interval(secs => window_seconds)
               OR (g.finished_at IS NULL
                   AND g.granted_at > now.t - make_interval(secs => stale_seconds)))
    ),
    cleared AS (
        DELETE FROM fortnox_budget_grants g USING now
        WHERE g.tenant_key = tenant
          AND (g.finished_at <= now.t - make_interval(secs => window_seconds)
               OR (g.finished_at IS NULL
                   AND g.granted_at <= now.t - make_interval(secs => stale_seconds)))
    ),
    departed AS (
        UPDATE fortnox_budget_grants g SET finished_at = now.t FROM now
        WHERE g.tenant_key = tenant AND g.finished_at IS NULL
          AND g.granted_at > now.t - make_interval(secs => stale_seconds)
          AND g.holder IS NOT NULL
          AND CAST(hashtext(g.holder) AS oid) NOT IN (SELECT h.objid FROM holders h)
    ),
    granted AS (
        INSERT INTO fortnox_budget_grants (tenant_key, granted_at, holder)
        SELECT tenant, now.t, place_holder FROM counted, now WHERE counted.places < place_limit
        RETURNING fortnox_budget_grants.id
    )
    SELECT (SELECT granted.id FROM granted),
           CAST(EXTRACT(EPOCH FROM counted.first_finished
                                   + make_interval(secs => window_seconds) - now.t)
                AS double precision)
    FROM counted, now;
END
$take$
"""
_DROP = (
    "DROP FUNCTION IF EXISTS fortnox_budget_take("
    "text, double precision, double precision, text, integer, integer, integer)"
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_CREATE)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_DROP)
