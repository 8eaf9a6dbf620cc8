"""Operator API: retry the dead jobs a filter picks (dry run first), replay one entity's sync."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter
from pydantic import AfterValidator, BaseModel, Field, StrictBool

from upsales_fortnox.api.deps import AdminDep, SessionDep
from upsales_fortnox.api.errors import ApiError
from upsales_fortnox.api.operator_errors import operator_errors
from upsales_fortnox.api.operator_route import OperatorRoute
from upsales_fortnox.api.schemas import INT32_MAX, JsonInt, Moment, error_responses
from upsales_fortnox.installations.service import check_named_installation
from upsales_fortnox.integrations.digits import parse_digits
from upsales_fortnox.jobs.schemas import JobSummary
from upsales_fortnox.links.link_rules import fortnox_id_problem
from upsales_fortnox.models.fortnox_ids import MAX_FORTNOX_ID_LENGTH, check_storable
from upsales_fortnox.ops.bulk import (
    MAX_BULK_RETRY,
    REASON_CODE_PATTERN,
    ReplayKind,
    replay_entity,
    retry_dead_jobs,
)
from upsales_fortnox.ops.repository.queue_reads import DeadJobFilter, count_dead_jobs, fresh_job
from upsales_fortnox.vocabulary import JobKind

router = APIRouter(
    tags=["jobs"],
    dependencies=[AdminDep],
    route_class=OperatorRoute,
    responses=error_responses(401, 422),
)


class DeadJobSelection(BaseModel):
    installation_id: uuid.UUID | None = None
    kind: JobKind | None = Field(default=None, examples=["upsales.order"])
    reason_code: Annotated[
        str | None,
        Field(
            pattern=REASON_CODE_PATTERN,
            description="The code before `:` in the job's `last_error`.",
        ),
    ] = None
    died_from: Moment | None = Field(default=None, description="Dead at or after (inclusive).")
    died_before: Moment | None = Field(default=None, description="Dead before (exclusive).")
    unsettled_only: StrictBool = Field(
        default=False,
        description="Only the dead jobs no later job of their entity settled (the console's "
        "*settled* mark: a later sync of the deal, company or article was done, or the deal "
        "was deleted): those the dead-job alert counts.",
    )
    dry_run: StrictBool = Field(
        default=True, description="Only count (the default); false retries."
    )
    limit: JsonInt = Field(default=MAX_BULK_RETRY, ge=1, le=MAX_BULK_RETRY)


class BulkRetryOut(BaseModel):
    dry_run: bool
    matched: int = Field(description="Dead jobs the filter picks.")
    retried: int = Field(description="Jobs queued again (0 on a dry run).")
    retried_job_ids: list[int]
    remaining: int = Field(description="Matching dead jobs left (over `limit`).")


class ReplayRequest(BaseModel):
    kind: ReplayKind = Field(description="The sync to run: `upsales.*` take an Upsales id.")
    entity_id: Annotated[
        str,
        Field(min_length=1, max_length=MAX_FORTNOX_ID_LENGTH, pattern=r"^[A-Za-z0-9_.+/-]+$"),
        AfterValidator(check_storable),
    ] = Field(
        description="An Upsales id, or a Fortnox number (a customer number may hold `+` and `/`)."
    )


class ReplayOut(BaseModel):
    job: JobSummary
    created: bool = Field(description="False: a queued job for the entity existed already.")


def _naive_to_aware(value: datetime | None, field: str) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ApiError(422, "validation_error", f"{field} needs a time zone (e.g. ...Z)")
    return value


def _died_between(selection: DeadJobSelection) -> tuple[datetime | None, datetime | None]:
    """The period asked for; 422 ``invalid_period`` (as the reconciliation report answers) when
    ``died_from`` is not before ``died_before``: such a period holds no moment, and would
    otherwise answer ``matched: 0`` as if no job had died."""
    start = _naive_to_aware(selection.died_from, "died_from")
    end = _naive_to_aware(selection.died_before, "died_before")
    if start is not None and end is not None and start >= end:
        raise ApiError(
            422, "invalid_period", "`died_from` must be before `died_before` (which is excluded)"
        )
    return start, end


@router.post(
    "/api/jobs/retry-dead",
    response_model=BulkRetryOut,
    summary="Retry the dead jobs a filter picks",
    description="Filters (all optional, combined with AND): `installation_id`, `kind`, "
    "`reason_code`, `died_from`/`died_before`, `unsettled_only`. By default a dry run that "
    'only counts; send `"dry_run": false` to queue them again (oldest first, at most '
    "`limit`), each as `POST /api/jobs/{id}/retry` would. An `installation_id` of no "
    "installation is 404 `installation_not_found`, as on the command line; a `died_from` not "
    "before `died_before` is 422 `invalid_period`.",
    responses=error_responses(404),
)
async def post_retry_dead(selection: DeadJobSelection, session: SessionDep) -> BulkRetryOut:
    died_from, died_before = _died_between(selection)
    with operator_errors():
        await check_named_installation(session, selection.installation_id)
    dead_filter = DeadJobFilter(
        installation_id=selection.installation_id,
        kind=selection.kind,
        reason_code=selection.reason_code,
        died_from=died_from,
        died_before=died_before,
        unsettled_only=selection.unsettled_only,
    )
    if selection.dry_run:
        matched = await count_dead_jobs(session, dead_filter)
        return BulkRetryOut(
            dry_run=True, matched=matched, retried=0, retried_job_ids=[], remaining=matched
        )
    with operator_errors():
        result = await retry_dead_jobs(session, dead_filter, limit=selection.limit)
        await session.commit()
    retried = len(result.retried_job_ids)
    return BulkRetryOut(
        dry_run=False,
        matched=result.matched,
        retried=retried,
        retried_job_ids=result.retried_job_ids,
        remaining=result.matched - retried,
    )


@router.post(
    "/api/installations/{installation_id}/replay",
    response_model=ReplayOut,
    status_code=202,
    summary="Sync one entity again by hand",
    description="Queues the sync of an Upsales order or company, or a Fortnox customer, "
    "article, order, invoice or offer, by its id; the handler re-reads it from its source.",
    responses=error_responses(404),
)
async def post_replay(
    installation_id: uuid.UUID, request: ReplayRequest, session: SessionDep
) -> ReplayOut:
    with operator_errors():
        await check_named_installation(session, installation_id)
    upsales_id = parse_digits(request.entity_id.lstrip("0") or "0")  # "042" is order 42
    if request.kind.takes_upsales_id and not (upsales_id and upsales_id <= INT32_MAX):
        raise ApiError(422, "validation_error", f"a {request.kind.value} job needs an Upsales id")
    fortnox_type = request.kind.fortnox_type
    problem = fortnox_id_problem(fortnox_type, request.entity_id) if fortnox_type else None
    if problem is not None:
        raise ApiError(422, "validation_error", problem)
    # an Upsales id as the hooks queue it ("042" is order 42), so the replay joins their job
    entity_id = str(int(request.entity_id)) if request.kind.takes_upsales_id else request.entity_id
    enqueued = await replay_entity(session, installation_id, request.kind, entity_id)
    await session.commit()
    job = await fresh_job(session, enqueued.job_id)
    assert job is not None
    return ReplayOut(job=JobSummary.from_row(job), created=enqueued.created)
