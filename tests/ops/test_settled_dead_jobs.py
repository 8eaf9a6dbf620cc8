"""A dead job a later job of the same entity settled (the deal was fixed and synced, or was
deleted in Upsales since) raises no alert and no health reason: only the dead jobs that still
wait for someone count, in the one place that counts them for both."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.jobs.support import add_installation
from tests.ops.metrics_support import parse_samples, value
from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.domain.alert_rules import AlertKind
from upsales_fortnox.domain.health_rules import HealthThresholds, decide_health
from upsales_fortnox.models.installation import Installation
from upsales_fortnox.models.job import SyncJob
from upsales_fortnox.ops.alert_checks import current_causes
from upsales_fortnox.ops.health_facts import read_installation
from upsales_fortnox.ops.metrics_gauges import database_metrics_text, read_database_figures
from upsales_fortnox.ops.repository.queue_reads import dead_jobs, dead_unsettled
from upsales_fortnox.services import Services
from upsales_fortnox.vocabulary import JobStatus

ORDER = "upsales.order"


async def _job(
    factory: async_sessionmaker[AsyncSession],
    installation_id: uuid.UUID,
    entity_id: str | None,
    status: JobStatus,
    finished_at: datetime,
    *,
    kind: str = ORDER,
    last_error: str | None = None,
    result: dict[str, object] | None = None,
) -> int:
    async with factory() as session:
        job = SyncJob(
            installation_id=installation_id,
            kind=kind,
            entity_id=entity_id,
            status=status.value,
            finished_at=finished_at,
            last_error=last_error,
            result=result,
        )
        session.add(job)
        await session.commit()
        return job.id


def _dead_counts(causes: list[object]) -> dict[str, str]:
    return {
        cause.key.split(":", 2)[2]: cause.summary  # type: ignore[attr-defined]
        for cause in causes
        if cause.kind == AlertKind.DEAD_JOBS  # type: ignore[attr-defined]
    }


async def _settled_and_open(services: Services) -> tuple[uuid.UUID, dict[str, int]]:
    """An installation with dead jobs: three settled by a later job of their entity, two not."""
    factory = services.session_factory
    installation_id = await add_installation(factory)
    other_installation = await add_installation(factory, name="other")
    t0 = utcnow() - timedelta(hours=2)
    died = "product_not_in_fortnox: no article"
    refused = "upsales_unauthorized: Upsales GET /orders/{id} answered 401"
    ids = {
        # fixed: the article was created and a later job of the deal synced it
        "fixed": await _job(factory, installation_id, "1", JobStatus.DEAD, t0, last_error=died),
        # the deal was deleted in Upsales since: its later job ended skipped
        "deleted": await _job(factory, installation_id, "2", JobStatus.DEAD, t0, last_error=died),
        # refused then, a new key since: the deal's later job was done
        "refused": await _job(
            factory, installation_id, "3", JobStatus.DEAD, t0, last_error=refused
        ),
        # a later job of ANOTHER deal, of another kind, or another installation settles nothing
        "open": await _job(factory, installation_id, "4", JobStatus.DEAD, t0, last_error=died),
        # died again after its entity's job was done (an operator's retry): still open
        "died_again": await _job(
            factory, installation_id, "6", JobStatus.DEAD, t0 + timedelta(hours=1), last_error=died
        ),
    }
    t1 = t0 + timedelta(minutes=30)
    await _job(factory, installation_id, "1", JobStatus.DONE, t1, result={"outcome": "created"})
    await _job(
        factory,
        installation_id,
        "2",
        JobStatus.DONE,
        t1,
        result={"outcome": "skipped", "reason": "order_deleted_document_kept"},
    )
    await _job(factory, installation_id, "3", JobStatus.DONE, t1)
    await _job(factory, installation_id, "5", JobStatus.DONE, t1)
    await _job(factory, installation_id, "4", JobStatus.DONE, t1, kind="upsales.company")
    await _job(factory, other_installation, "4", JobStatus.DONE, t1)
    await _job(factory, installation_id, "6", JobStatus.DONE, t1)
    await _job(factory, installation_id, "4", JobStatus.QUEUED, t1)  # not done: settles nothing
    return installation_id, ids


async def test_a_dead_job_a_later_job_of_its_entity_settled_raises_no_alert(
    services: Services,
) -> None:
    installation_id, _ = await _settled_and_open(services)
    async with services.session_factory() as session:
        causes = await current_causes(session, utcnow(), HealthThresholds())
    summaries = _dead_counts([c for c in causes if c.installation_id == installation_id])
    assert list(summaries) == [ORDER]
    assert ": 2 dead upsales.order job(s) wait for a retry." in summaries[ORDER]


async def test_the_health_counts_the_dead_jobs_as_the_alert_does(services: Services) -> None:
    installation_id, _ = await _settled_and_open(services)
    now = utcnow()
    async with services.session_factory() as session:
        installation = await session.get(Installation, installation_id)
        assert installation is not None
        readings = await read_installation(session, installation, now, services.secret_box)
    assert readings.facts.dead_jobs == 2
    assert readings.facts.dead_refused_by_upsales == 0  # its deal's later job was done
    assert readings.queue.dead == 5  # the jobs in state dead, as GET /api/jobs?status=dead
    codes = [reason.code for reason in decide_health(readings.facts, now).reasons]
    assert "upsales_access_refused" not in codes
    assert "2 job(s) are dead" in next(
        r.message for r in decide_health(readings.facts, now).reasons if r.code == "dead_jobs"
    )


async def test_the_dead_job_list_keeps_a_settled_one_and_says_so(services: Services) -> None:
    _, ids = await _settled_and_open(services)
    async with services.session_factory() as session:
        listed = {dead.job.id: dead.settled for dead in await dead_jobs(session, 100)}
    assert listed == {
        ids["fixed"]: True,
        ids["deleted"]: True,
        ids["refused"]: True,
        ids["open"]: False,
        ids["died_again"]: False,
    }


async def test_jobs_of_no_entity_settle_by_a_later_job_of_their_kind(services: Services) -> None:
    """A reconciliation (no entity) that died is settled by a later one that was done."""
    factory = services.session_factory
    installation_id = await add_installation(factory)
    t0 = utcnow() - timedelta(hours=1)
    await _job(factory, installation_id, None, JobStatus.DEAD, t0, kind="reconcile")
    async with factory() as session:
        before = await current_causes(session, utcnow(), HealthThresholds())
    assert list(_dead_counts(before)) == ["reconcile"]
    await _job(
        factory, installation_id, None, JobStatus.DONE, t0 + timedelta(minutes=5), kind="reconcile"
    )
    async with factory() as session:
        after = await current_causes(session, utcnow(), HealthThresholds())
    assert _dead_counts(after) == {}


async def test_the_metrics_count_the_dead_jobs_as_the_alert_does(services: Services) -> None:
    """``queue_depth{state="dead"}`` counts jobs by state; a rule on the metrics that is to
    agree with the built-in alert reads ``dead_jobs_unsettled``."""
    await _settled_and_open(services)
    figures = await read_database_figures(services.session_factory)
    assert figures.queue_depth["dead"] == 5
    assert figures.dead_unsettled == 2
    samples = parse_samples(database_metrics_text(figures).decode())
    assert value(samples, "upsales_fortnox_dead_jobs_unsettled") == 2
    assert value(samples, "upsales_fortnox_queue_depth", state="dead") == 5


async def test_whether_a_dead_job_is_settled_is_looked_up_by_its_entity(
    services: Services,
) -> None:
    """Done jobs pile up by the million: whether a later one settled a dead job is found
    through an index on the entity (installation, kind, entity), not by reading every done
    job of the installation for each dead one (the alert check runs every minute). The
    latest job of an entity (an order's status in Upsales) is found the same way."""
    await _settled_and_open(services)
    async with services.session_factory() as session:
        if session.get_bind().dialect.name != "sqlite":
            return  # the planner of an almost empty PostgreSQL table reads it whole
        statement = select(func.count()).where(dead_unsettled())
        compiled = statement.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
        plan = await session.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))
        details = " | ".join(str(row[-1]) for row in plan)
    assert "ix_sync_jobs_entity" in details, details


async def test_on_postgresql_the_entity_lookup_uses_the_entity_in_the_index(
    services: Services,
) -> None:
    """On PostgreSQL too the lookup of a later job goes through the entity part of the index:
    ``IS NOT DISTINCT FROM`` is no index condition there, and the lookup would read every job
    of the installation and kind for each dead one (the upsales.order jobs pile up)."""
    installation_id, _ = await _settled_and_open(services)
    async with services.session_factory() as session, session.begin():
        if session.get_bind().dialect.name != "postgresql":
            return  # SQLite's own plan is checked above
        await session.execute(
            text(
                "INSERT INTO sync_jobs (installation_id, kind, entity_id, status, attempts, "
                "max_attempts, run_after, payload, created_at, updated_at, finished_at) "
                "SELECT :installation, :kind, 'n' || n, 'done', 1, 8, now(), '{}', now(), "
                "now(), now() FROM generate_series(1, 20000) AS n"
            ),
            {"installation": installation_id, "kind": ORDER},
        )
    async with services.session_factory() as session, session.begin():
        await session.execute(text("ANALYZE sync_jobs"))
        statement = select(func.count()).where(dead_unsettled())
        compiled = statement.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
        plan = [str(row[0]) for row in await session.execute(text(f"EXPLAIN {compiled}"))]
    conditions = " | ".join(line for line in plan if "Index Cond" in line)
    assert "entity_id" in conditions, "\n".join(plan)
