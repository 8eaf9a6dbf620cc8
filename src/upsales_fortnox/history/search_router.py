"""Operator API: ``GET /api/search``, an installation or an entity by a name or a document
number (:mod:`upsales_fortnox.history.search`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from upsales_fortnox.api.deps import AdminDep, SessionDep
from upsales_fortnox.api.operator_route import OperatorRoute
from upsales_fortnox.api.schemas import error_responses
from upsales_fortnox.history.search import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    MAX_QUERY_LENGTH,
    MIN_QUERY_LENGTH,
    QUERY_PATTERN,
    SearchResults,
    search,
)

router = APIRouter(
    prefix="/api",
    tags=["history"],
    dependencies=[AdminDep],
    route_class=OperatorRoute,
    responses=error_responses(401, 422),
)


@router.get(
    "/search",
    response_model=SearchResults,
    summary="Find installations and linked entities by name or document number",
    description=(
        "`q` (up to 100 characters, 2 of them not blank, no control characters) is looked "
        "for, ignoring case (Swedish letters too), in the "
        "installations' names and in the names the company links last synced; digits also "
        "find the Fortnox invoice, order or offer of that number. Each link comes with its "
        "entity's newest jobs. At most `limit` of each; `more_installations`/`more_links` say "
        "whether more matched (narrow `q`)."
    ),
)
async def get_search(
    session: SessionDep,
    q: Annotated[
        str,
        Query(min_length=MIN_QUERY_LENGTH, max_length=MAX_QUERY_LENGTH, pattern=QUERY_PATTERN),
    ],
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> SearchResults:
    return await search(session, q, limit)
