"""Operator API: the sync history of one entity (``/api/installations/{id}/history``).

Given an Upsales id or a Fortnox id of an order, company or product, the entity's links name
its ids on the other side; the history is every job that touched any of them: jobs *for* the
entity (their ``kind`` and ``entity_id``) and jobs whose result *names* it (result keys such as
``upsales_order`` or ``fortnox_invoice``, see :mod:`upsales_fortnox.sync.results`). Newest
first, with each job's outcome, attempts, last error and the ids it wrote, read from the
result as its kind's type (:func:`~upsales_fortnox.sync.results.by_kind.read_result`); error
texts and results redacted as ``/api/jobs`` shows them.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Final, Literal

from fastapi import APIRouter, Query
from pydantic import AfterValidator, BaseModel, Field

from upsales_fortnox.api.cursors import job_cursor_id
from upsales_fortnox.api.deps import AdminDep, SessionDep
from upsales_fortnox.api.errors import ApiError
from upsales_fortnox.api.operator_errors import operator_errors
from upsales_fortnox.api.operator_route import OperatorRoute
from upsales_fortnox.api.schemas import (
    INT32_MAX,
    MAX_PAGE_SIZE,
    TEXT_WITHOUT_NUL,
    error_responses,
    storable_or_none,
)
from upsales_fortnox.core.logging_setup import redact
from upsales_fortnox.history.repository import jobs_touching, related_ids
from upsales_fortnox.installations.errors import InstallationNotFound
from upsales_fortnox.installations.repository.installation_rows import find_installation
from upsales_fortnox.jobs.schemas import redact_document
from upsales_fortnox.links.link_rules import FORTNOX_TYPES_BY_ENTITY
from upsales_fortnox.models.fortnox_ids import MAX_FORTNOX_ID_LENGTH
from upsales_fortnox.models.job import SyncJob
from upsales_fortnox.sync.results.by_kind import read_result
from upsales_fortnox.vocabulary import (
    FortnoxType,
    LinkEntity,
)

router = APIRouter(
    prefix="/api/installations",
    tags=["history"],
    dependencies=[AdminDep],
    route_class=OperatorRoute,
    responses=error_responses(401, 404, 422),
)

_ID_KEY_PREFIXES: Final = ("upsales_", "fortnox_")
"""How the keys of ids begin (:func:`~upsales_fortnox.vocabulary.upsales_id_key`), for a
result of a shape no kind's type reads."""


class HistoryJob(BaseModel):
    id: int
    kind: str
    entity_id: str | None
    status: str
    outcome: str = Field(description="The result's `outcome`, else the job status.")
    attempts: int
    max_attempts: int
    last_error: str | None
    written: dict[str, Any] = Field(description="The ids in the job result, by key.")
    result: dict[str, Any] | None
    created_at: datetime
    finished_at: datetime | None


class EntityHistory(BaseModel):
    entity: LinkEntity
    upsales_ids: list[int]
    fortnox_ids: dict[str, list[str]] = Field(description="Fortnox ids by Fortnox type.")
    jobs: list[HistoryJob]
    next_cursor: str | None = Field(
        default=None,
        description="Pass as `cursor` to get the older jobs; null when there are none.",
    )


def _history_job(job: SyncJob) -> HistoryJob:
    result = job.result if isinstance(job.result, dict) else None
    read = read_result(job.kind, result)
    if read is not None:
        outcome, named = read.outcome, read.named_ids()
    else:  # no result, or one no kind's type reads: plain JSON
        outcome, named = _plain_outcome(result), _plain_ids(result)
    written = redact_document({key: named[key] for key in result or {} if key in named})
    return HistoryJob(
        id=job.id,
        kind=job.kind,
        entity_id=job.entity_id,
        status=job.status,
        outcome=outcome if outcome is not None else job.status,
        attempts=job.attempts,
        max_attempts=job.max_attempts,
        last_error=redact(job.last_error) if job.last_error is not None else None,
        written=written,
        result=redact_document(result) if result is not None else None,
        created_at=job.created_at,
        finished_at=job.finished_at,
    )


def _plain_outcome(result: dict[str, Any] | None) -> str | None:
    outcome = (result or {}).get("outcome")
    return outcome if isinstance(outcome, str) else None


def _plain_ids(result: dict[str, Any] | None) -> dict[str, int | str]:
    return {
        key: value
        for key, value in (result or {}).items()
        if key.startswith(_ID_KEY_PREFIXES) and isinstance(value, int | str)
    }


@router.get(
    "/{installation_id}/history",
    response_model=EntityHistory,
    summary="The sync history of one order, company or product",
    description="Name the entity by exactly one of `upsales_id` or `fortnox_id` (optionally "
    "narrowed by `fortnox_type`). Every job that synced it, or whose result names one of its "
    "ids, newest first, `limit` a page (the next with `cursor`).",
)
async def get_history(
    installation_id: uuid.UUID,
    session: SessionDep,
    entity: Literal["order", "company", "product"],
    upsales_id: Annotated[int | None, Query(ge=1, le=INT32_MAX)] = None,
    fortnox_id: Annotated[
        str | None,
        Query(min_length=1, max_length=MAX_FORTNOX_ID_LENGTH, pattern=TEXT_WITHOUT_NUL),
        AfterValidator(storable_or_none),
    ] = None,
    fortnox_type: FortnoxType | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = MAX_PAGE_SIZE,
    cursor: str | None = None,
) -> EntityHistory:
    with operator_errors():
        if await find_installation(session, installation_id) is None:
            raise InstallationNotFound(installation_id)
    if (upsales_id is None) == (fortnox_id is None):
        raise ApiError(422, "validation_error", "give exactly one of upsales_id and fortnox_id")
    link_entity = LinkEntity(entity)
    fortnox_types = FORTNOX_TYPES_BY_ENTITY[link_entity]
    if fortnox_type is not None:
        if fortnox_type not in fortnox_types:
            raise ApiError(422, "validation_error", f"a {entity} is never a Fortnox {fortnox_type}")
        fortnox_types = (fortnox_type,)
    upsales_ids, fortnox_ids = await related_ids(
        session, installation_id, link_entity, upsales_id, fortnox_id, fortnox_types
    )
    jobs = await jobs_touching(
        session,
        installation_id,
        link_entity,
        upsales_ids,
        fortnox_ids,
        limit + 1,
        before_id=job_cursor_id(cursor),
    )
    has_more = len(jobs) > limit
    jobs = jobs[:limit]
    by_type: dict[str, list[str]] = {}
    for found_type, found_id in sorted(fortnox_ids):
        by_type.setdefault(found_type.value, []).append(found_id)
    return EntityHistory(
        entity=link_entity,
        upsales_ids=sorted(upsales_ids),
        fortnox_ids=by_type,
        jobs=[_history_job(job) for job in jobs],
        next_cursor=str(jobs[-1].id) if has_more else None,
    )
