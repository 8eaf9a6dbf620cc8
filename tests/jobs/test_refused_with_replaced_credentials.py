"""A job that an API refused while its credentials were being replaced runs again.

Saving a new Upsales key, or logging in to Fortnox again, requeues the jobs that died refused
(``upsales_unauthorized``, ``fortnox_auth_failed``). A job still running with the old key at
that moment dies after that requeue: the installation's version moved during its run, so it is
queued again instead (its attempt counted, so it cannot go on past its attempts). Refused with
nothing replaced, it dies."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.jobs.support import FakeClock, add_installation, add_job, load_job, make_worker
from upsales_fortnox.integrations.errors import PermanentError
from upsales_fortnox.integrations.fortnox.errors import FortnoxAuthError
from upsales_fortnox.integrations.upsales.errors import UpsalesAuthError, UpsalesForbidden
from upsales_fortnox.jobs import HandlerRegistry, JobContext
from upsales_fortnox.models.installation import Installation
from upsales_fortnox.sync.inbound import deal_retry
from upsales_fortnox.vocabulary import JobStatus

Factory = async_sessionmaker[AsyncSession]


async def _replace_credentials(session_factory: Factory, installation_id: uuid.UUID) -> None:
    async with session_factory() as session:
        await session.execute(
            update(Installation)
            .where(Installation.id == installation_id)
            .values(version=Installation.version + 1)
        )
        await session.commit()


def _refusal(api: str) -> Exception:
    if api == "upsales":
        return UpsalesAuthError("Upsales GET /orders/{id} answered 401")
    if api == "upsales 403":  # its user's access, perhaps (facts.FORBIDDEN_MAY_BE_ACCESS)
        return UpsalesForbidden("Upsales PUT /orders/{id} answered 403")
    return FortnoxAuthError("POST /invoices: HTTP 403 (code 2000663)", status=403)


@pytest.mark.parametrize("api", ["upsales", "upsales 403", "fortnox"])
async def test_refused_while_the_credentials_were_replaced_it_runs_again(
    session_factory: Factory, api: str
) -> None:
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    job_id = await add_job(session_factory, installation_id, clock)

    runs: list[int] = []

    async def handler(ctx: JobContext) -> None:
        runs.append(ctx.attempt)
        if len(runs) == 1:
            await _replace_credentials(session_factory, installation_id)  # saved meanwhile
            raise _refusal(api)
        # the second run, with the new credentials, goes through

    worker = make_worker(session_factory, HandlerRegistry({"test.job": handler}), clock)
    while await worker.run_once():
        pass
    job = await load_job(session_factory, job_id)
    assert job.status == JobStatus.DONE, job.last_error
    assert len(runs) == 2


@pytest.mark.parametrize("api", ["upsales", "upsales 403", "fortnox"])
async def test_refused_with_nothing_replaced_it_dies(session_factory: Factory, api: str) -> None:
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    job_id = await add_job(session_factory, installation_id, clock)

    async def handler(ctx: JobContext) -> None:
        raise _refusal(api)

    await make_worker(session_factory, HandlerRegistry({"test.job": handler}), clock).run_once()
    job = await load_job(session_factory, job_id)
    assert job.status == JobStatus.DEAD


async def test_refused_on_its_last_attempt_it_dies_whatever_was_replaced(
    session_factory: Factory,
) -> None:
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    job_id = await add_job(session_factory, installation_id, clock, max_attempts=1)

    async def handler(ctx: JobContext) -> None:
        await _replace_credentials(session_factory, installation_id)
        raise _refusal("upsales")

    await make_worker(session_factory, HandlerRegistry({"test.job": handler}), clock).run_once()
    assert (await load_job(session_factory, job_id)).status == JobStatus.DEAD


async def test_a_new_upsales_key_requeues_the_jobs_refused_with_401_or_403(
    session_factory: Factory,
) -> None:
    """A 403 may be the key's user's access (facts.FORBIDDEN_MAY_BE_ACCESS): a job it ended
    runs again with the new key, as one refused with 401 does; another dead job stays dead."""
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    refused = {
        await add_job(session_factory, installation_id, clock, entity_id=entity_id): error
        for entity_id, error in (
            ("1", UpsalesAuthError("Upsales GET /orders/{id} answered 401")),
            ("2", UpsalesForbidden("Upsales PUT /orders/{id} answered 403")),
            ("3", PermanentError("no article", code="product_not_in_fortnox")),
        )
    }

    async def handler(ctx: JobContext) -> None:
        raise refused[ctx.job_id]

    worker = make_worker(session_factory, HandlerRegistry({"test.job": handler}), clock)
    while await worker.run_once():
        pass
    async with session_factory() as session:
        retried = await deal_retry.retry_jobs_refused_by_upsales(session, installation_id)
        await session.commit()

    assert sorted(retried) == sorted(refused)[:2]
    statuses = [(await load_job(session_factory, job_id)).status for job_id in sorted(refused)]
    assert statuses == [JobStatus.QUEUED, JobStatus.QUEUED, JobStatus.DEAD]


@pytest.mark.parametrize("newer_refusal", ["403", "401"])
async def test_a_new_upsales_key_runs_an_entitys_newest_refused_change(
    session_factory: Factory, newer_refusal: str
) -> None:
    """One entity's two jobs, refused one with 401 and the next with 403 (or the other way):
    the new key leaves one queued, carrying the newer job's change, whichever the codes."""
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    refusals = {
        "401": UpsalesAuthError("Upsales GET /orders/{id} answered 401"),
        "403": UpsalesForbidden("Upsales PUT /orders/{id} answered 403"),
    }
    older_refusal = "401" if newer_refusal == "403" else "403"
    errors: dict[int, Exception] = {}

    async def handler(ctx: JobContext) -> None:
        raise errors[ctx.job_id]

    worker = make_worker(session_factory, HandlerRegistry({"test.job": handler}), clock)
    for change, refusal in (("older", older_refusal), ("newer", newer_refusal)):
        job_id = await add_job(
            session_factory, installation_id, clock, entity_id="7", payload={"change": change}
        )
        errors[job_id] = refusals[refusal]
        while await worker.run_once():
            pass
    async with session_factory() as session:
        await deal_retry.retry_jobs_refused_by_upsales(session, installation_id)
        await session.commit()

    jobs = [await load_job(session_factory, job_id) for job_id in sorted(errors)]
    queued = [job for job in jobs if job.status == JobStatus.QUEUED]
    assert len(queued) == 1
    assert queued[0].payload == {"change": "newer"}
