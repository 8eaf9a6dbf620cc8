"""The ``cursor`` of the operator API's lists that page by job id, newest first (the jobs and
an entity's history): the id of the last item of the previous page, as the API gave it out."""

from __future__ import annotations

from upsales_fortnox.api.errors import ApiError
from upsales_fortnox.api.schemas import INT64_MAX
from upsales_fortnox.integrations.digits import parse_digits


def job_cursor_id(cursor: str | None) -> int | None:
    """The job id a ``cursor`` names (the next page holds older jobs); 422 ``invalid_cursor``
    for one this API did not give out."""
    if cursor is None:
        return None
    job_id = parse_digits(cursor, max_digits=len(str(INT64_MAX)))
    if job_id is not None and 0 < job_id <= INT64_MAX:
        return job_id
    raise ApiError(422, "invalid_cursor", "cursor is not one this API gave out")
