"""The notice of queued jobs (PostgreSQL only; part of the schema, created with ``sync_jobs``).

A statement-level trigger notifies :data:`CHANNEL` after every
insert into ``sync_jobs`` that inserted a row (not one whose rows all met a job queued already:
``ON CONFLICT``), by any process or path; the server delivers it when the transaction commits,
once per transaction, and only to sessions listening (the workers' presence
connections, :mod:`upsales_fortnox.jobs.arrivals`).
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import DDL, FromClause, event

CHANNEL: Final = "upsales_fortnox_jobs"
"""The notification channel of queued jobs (no payload)."""
FUNCTION: Final = "sync_jobs_queued_notice"
TRIGGER: Final = "sync_jobs_queued"

CREATE_FUNCTION: Final = f"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger
LANGUAGE plpgsql AS $notice$
BEGIN
    IF EXISTS (SELECT FROM queued) THEN
        PERFORM pg_notify('{CHANNEL}', '');
    END IF;
    RETURN NULL;
END
$notice$
"""
CREATE_TRIGGER: Final = (
    f"CREATE TRIGGER {TRIGGER} AFTER INSERT ON sync_jobs REFERENCING NEW TABLE AS queued "
    f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()"
)
DROP_TRIGGER: Final = f"DROP TRIGGER IF EXISTS {TRIGGER} ON sync_jobs"
DROP_FUNCTION: Final = f"DROP FUNCTION IF EXISTS {FUNCTION}()"


def created_with(table: FromClause) -> None:
    """Create the trigger with ``table`` (and drop it before), on PostgreSQL."""
    for when, statement in (
        ("after_create", CREATE_FUNCTION),
        ("after_create", CREATE_TRIGGER),
        ("before_drop", DROP_TRIGGER),
        ("before_drop", DROP_FUNCTION),
    ):
        ddl = DDL(statement)  # type: ignore[no-untyped-call]
        event.listen(table, when, ddl.execute_if(dialect="postgresql"))
