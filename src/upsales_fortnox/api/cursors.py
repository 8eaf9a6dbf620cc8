"""The ``cursor`` of the operator API's lists that page by job id, newest first (the jobs and
an entity's history): the id of the last item of the previous page, as the API gave it out."""

from __future__ import annotations

from upsales_fortnox.api.errors import ApiError
from upsales_fortnox.api.schemas import INT64_MAX


def job_cursor_id(cursor: str | None) -> int | None:
    """The job id a ``cursor`` names (the next page holds older jobs); 422 ``invalid_cursor``
    for one this API did not give out."""
    if cursor is None:
        return None
    if cursor.isascii() and cursor.isdigit() and len(cursor) <= 19 and 0 < int(cursor) <= INT64_MAX:
        return int(cursor)
    raise ApiError(422, "invalid_cursor", "cursor is not one this API gave out")
