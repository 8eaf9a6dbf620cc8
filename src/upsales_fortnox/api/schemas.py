"""Shapes shared by the operator API: the error envelope, pages, and bounds of ids and text."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, StrictInt

from upsales_fortnox.models.fortnox_ids import MAX_FORTNOX_ID_LENGTH, check_storable

INT32_MAX = 2_147_483_647


def _whole_number(value: Any) -> Any:
    """``5.0`` as ``5``: JSON Schema counts a number without a fraction as an integer."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


JsonInt = Annotated[StrictInt, BeforeValidator(_whole_number)]
"""An integer as JSON Schema means it: ``5`` or ``5.0``, never ``"5"``, ``5.5`` or ``true``."""
"""Largest value of a 32-bit id column (Upsales ids, customer ids)."""
INT64_MAX = 9_223_372_036_854_775_807
"""Largest value of a 64-bit id column (job and link ids)."""
TEXT_WITHOUT_NUL = r"^[^\x00]*$"
"""PostgreSQL text cannot hold NUL characters."""
SINGLE_LINE_TEXT = r"^[^\x00-\x1f\x7f]*$"
VISIBLE_SINGLE_LINE_TEXT = r"^[^\x00-\x1f\x7f]*[^\x00-\x1f\x7f\s][^\x00-\x1f\x7f]*$"
"""A :data:`SINGLE_LINE_TEXT` with a character that is not white space (a name)."""


def storable_or_none(value: str | None) -> str | None:
    """A Fortnox id filter the tables could hold (see :mod:`upsales_fortnox.models.fortnox_ids`)."""
    return None if value is None else check_storable(value)


FortnoxIdQuery = Annotated[
    str | None,
    Query(max_length=MAX_FORTNOX_ID_LENGTH, pattern=TEXT_WITHOUT_NUL),
    AfterValidator(storable_or_none),
]
"""A filter by Fortnox id (a customer number may be as long as Fortnox allows)."""


def _utc_holds(value: datetime) -> datetime:
    if value.tzinfo is not None:
        try:
            value.astimezone(UTC)
        except OverflowError:
            raise ValueError("the moment in UTC is outside the years 1 to 9999") from None
    return value


Moment = Annotated[datetime, AfterValidator(_utc_holds)]
"""A date and time a UTC column can hold: ``0001-01-01T00:00:00+14:00`` is in year 0 in UTC."""

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200

Item = TypeVar("Item")


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable, machine-readable code.", examples=["not_found"])
    message: str = Field(description="For people; may change.")
    details: Any = Field(default=None, description="Structured details, such as field problems.")


class ErrorEnvelope(BaseModel):
    """Every error answer has this shape."""

    error: ErrorDetail


class OffsetPage(BaseModel, Generic[Item]):
    items: list[Item]
    total: int = Field(description="How many items match the filters in all.")
    limit: int
    offset: int


class CursorPage(BaseModel, Generic[Item]):
    items: list[Item]
    limit: int
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last page."
    )


def error_responses(*status_codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error answers a route can give."""
    descriptions = {
        401: "Missing or wrong operator token (`unauthorized`).",
        404: "Unknown id.",
        409: "Conflicts with the current state.",
        412: "`If-Match` names an old version (`precondition_failed`); read it again.",
        422: "Invalid request (`validation_error`, or a rule's own code).",
        428: "`If-Match` is required (`precondition_required`).",
    }
    return {
        code: {"model": ErrorEnvelope, "description": descriptions[code]} for code in status_codes
    }
