"""``upsales-fortnox jobs``: find failed sync jobs and retry them from the command line.

The same operations as ``GET /api/jobs``, ``POST /api/jobs/{id}/retry`` and
``POST /api/jobs/retry-dead``, on the database DATABASE_URL names (a worker then runs what is
queued). Errors are shown as the jobs API shows them: redacted, their stable code first.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

import click
import typer

from upsales_fortnox.api.schemas import INT64_MAX
from upsales_fortnox.cli.errors import installation_id
from upsales_fortnox.cli.setup import command_settings
from upsales_fortnox.core import event_loop
from upsales_fortnox.core.db.session import DbSession
from upsales_fortnox.installations.service import check_named_installation
from upsales_fortnox.jobs import retry_dead_job
from upsales_fortnox.jobs.schemas import JobSummary
from upsales_fortnox.jobs.store.job_queries import find_jobs
from upsales_fortnox.models.fortnox_ids import check_storable
from upsales_fortnox.ops.bulk import MAX_BULK_RETRY, REASON_CODE_PATTERN, retry_dead_jobs
from upsales_fortnox.ops.repository.queue_reads import DeadJobFilter, count_dead_jobs
from upsales_fortnox.services import build_services
from upsales_fortnox.vocabulary import JobKind, JobStatus

jobs_cli = typer.Typer(
    no_args_is_help=True, help="Find failed sync jobs and retry them.", rich_markup_mode=None
)
T = TypeVar("T")
_STATUS = typer.Option(None, "--status", help="queued, running, done, dead.")
_KIND = typer.Option(None, "--kind", help="Job kind, e.g. upsales.order.")


def _installation(text: str | None) -> uuid.UUID | None:
    return None if text is None else installation_id(text)


def _reason_code(text: str | None) -> str | None:
    """A ``--reason`` as the jobs API takes it; a usage error otherwise (it would pick none)."""
    if text is None or re.fullmatch(REASON_CODE_PATTERN, text):
        return text
    raise click.BadParameter(
        f"{text!r} is not an error code (the part before ':' of an error, e.g. fortnox_refused)",
        param_hint="--reason",
    )


def _entity(text: str | None) -> str | None:
    """An ``--entity`` as the jobs API takes it (``entity_id``); a usage error otherwise."""
    if text is None:
        return None
    if "\x00" in text:
        raise click.BadParameter("must not hold a NUL character", param_hint="--entity")
    try:
        return check_storable(text)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--entity") from None


def in_session(work: Callable[[DbSession], Awaitable[T]]) -> T:
    settings = command_settings(calls_fortnox=False)

    async def run() -> T:
        services = build_services(settings)
        try:
            async with services.session_factory() as session:
                return await work(session)
        finally:
            await services.aclose()

    return event_loop.run(run())


def job_line(job: JobSummary) -> str:
    return "\t".join(
        [
            str(job.id),
            str(job.installation_id),
            job.kind,
            job.entity_id or "",
            job.status,
            f"{job.attempt_count}/{job.max_attempts}",
            " ".join((job.last_error or "").split()),  # one line a job, whatever the error
        ]
    )


@jobs_cli.command("list")
def list_command(
    installation: str | None = typer.Option(None, "--installation", help="Installation id."),
    status: JobStatus | None = _STATUS,
    kind: JobKind | None = _KIND,
    entity: str | None = typer.Option(
        None, "--entity", help="The Upsales or Fortnox id the job syncs, e.g. an order id."
    ),
    limit: int = typer.Option(50, "--limit", min=1, max=1000, help="At most this many."),
) -> None:
    """Newest first, one line a job: id, installation, kind, entity, status, attempts, error."""
    installation_id, entity_id = _installation(installation), _entity(entity)

    async def read(session: DbSession) -> list[JobSummary]:
        await check_named_installation(session, installation_id)
        rows = await find_jobs(
            session,
            installation_id=installation_id,
            status=status,
            kind=kind,
            entity_id=entity_id,
            before_id=None,
            limit=limit,
        )
        return [JobSummary.from_row(row) for row in rows]

    for job in in_session(read):
        typer.echo(job_line(job))


@jobs_cli.command("retry")
def retry_command(
    job_id: int = typer.Argument(..., metavar="JOB_ID", min=1, max=INT64_MAX),
) -> None:
    """Queue a dead job again (attempts reset, due now); prints the job now queued."""

    async def retry(session: DbSession) -> JobSummary:
        job = await retry_dead_job(session, job_id)  # a refusal prints as "code: reason"
        await session.commit()
        return JobSummary.from_row(job)

    typer.echo(job_line(in_session(retry)))


@jobs_cli.command("retry-dead")
def retry_dead_command(
    installation: str | None = typer.Option(None, "--installation", help="Installation id."),
    kind: JobKind | None = _KIND,
    reason: str | None = typer.Option(None, "--reason", help="Error code, e.g. fortnox_refused."),
    unsettled_only: bool = typer.Option(
        False, "--unsettled-only", help="Leave out those a later job of their entity settled."
    ),
    run: bool = typer.Option(False, "--run", help="Requeue them (without it: only count)."),
) -> None:
    """Count the dead jobs the filter picks; with --run, queue them again (oldest first, at
    most 1000 a run)."""
    selection = DeadJobFilter(
        installation_id=_installation(installation),
        kind=kind,
        reason_code=_reason_code(reason),
        unsettled_only=unsettled_only,
    )

    async def act(session: DbSession) -> str:
        await check_named_installation(session, selection.installation_id)
        if not run:
            matched = await count_dead_jobs(session, selection)
            return f"{matched} dead job(s) match; --run queues them again"
        result = await retry_dead_jobs(session, selection, limit=MAX_BULK_RETRY)
        await session.commit()
        left = result.matched - len(result.retried_job_ids)
        ids = " ".join(str(i) for i in result.retried_job_ids)
        return f"{len(result.retried_job_ids)} queued again ({left} remaining): {ids}".rstrip()

    typer.echo(in_session(act))
