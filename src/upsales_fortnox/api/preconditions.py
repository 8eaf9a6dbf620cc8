"""The ``If-Match`` header of versioned writes, and the ``ETag`` of versioned reads."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Response

from upsales_fortnox.api.errors import ApiError
from upsales_fortnox.installations.versioning import (
    VersionPrecondition,
    etag_for,
    parse_if_match,
)

_IF_MATCH_DESCRIPTION = 'The `ETag` you read, such as `"3"`; `*` accepts any version.'

IfMatchHeader = Annotated[str | None, Header(alias="If-Match", description=_IF_MATCH_DESCRIPTION)]


def require_if_match(if_match: IfMatchHeader = None) -> VersionPrecondition:
    if if_match is None or not if_match.strip():
        raise ApiError(
            428,
            "precondition_required",
            "send If-Match with the ETag you read, so concurrent edits are not lost",
        )
    return parse_if_match(if_match)


def optional_if_match(if_match: IfMatchHeader = None) -> VersionPrecondition | None:
    if if_match is None or not if_match.strip():
        return None
    return parse_if_match(if_match)


RequiredIfMatch = Annotated[VersionPrecondition, Depends(require_if_match)]
OptionalIfMatch = Annotated[VersionPrecondition | None, Depends(optional_if_match)]


def set_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = etag_for(version)
