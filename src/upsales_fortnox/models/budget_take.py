"""The database function that grants a place in a tenant's shared Fortnox budget, in one round
trip (PostgreSQL only; part of the schema, created with the ``fortnox_budget_grants`` table).

``fortnox_budget_take(tenant, window_seconds, stale_seconds, holder, place_limit,
budget_lock_class, holder_lock_class)`` takes the tenant's transaction-level advisory lock
(``budget_lock_class``, ``hashtext(tenant)``), then, in a statement of its own (so it sees every
grant committed before the lock was its), counts the tenant's places, clears the expired ones,
finishes those of departed holders (no presence lock of ``holder_lock_class`` any more: they
count from now on, as finished now) and grants a place if fewer than ``place_limit`` are
counted. It returns the grant (null when none was free) and how long until the oldest finished
place stops counting. The departed holders' places still count as under way in that statement
(it sees the table as it began). Called outside a transaction, the lock ends with the call; the
commit need not wait for the disk (a place lost in a crash of the database loses nothing that
matters a window later). :mod:`upsales_fortnox.fortnox_budget.repository` is its caller.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import DDL, FromClause, event, literal_column
from sqlalchemy.dialects.postgresql.base import PGDialect

from upsales_fortnox.core.db.session_presence import present

NAME: Final = "fortnox_budget_take"

_HOLDERS: Final = " ".join(
    str(
        present(literal_column("holder_lock_class")).compile(
            dialect=PGDialect(),  # type: ignore[no-untyped-call]
            compile_kwargs={"literal_binds": True},
        )
    ).split()
)
"""The holders connected (their presence locks), of the function's ``holder_lock_class``."""

CREATE: Final = """
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
    holders AS ({holders}),
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
""".replace("{holders}", _HOLDERS)

DROP: Final = (
    "DROP FUNCTION IF EXISTS fortnox_budget_take("
    "text, double precision, double precision, text, integer, integer, integer)"
)


def created_with(table: FromClause) -> None:
    """Create the function with ``table`` (and drop it before), on PostgreSQL."""
    create = DDL(CREATE)  # type: ignore[no-untyped-call]
    drop = DDL(DROP)  # type: ignore[no-untyped-call]
    event.listen(table, "after_create", create.execute_if(dialect="postgresql"))
    event.listen(table, "before_drop", drop.execute_if(dialect="postgresql"))
