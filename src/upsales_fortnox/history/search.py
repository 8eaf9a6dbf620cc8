"""Finding an installation or an entity by a name or a document number (``GET /api/search``,
the console's search and ``upsales-fortnox search``).

An operator told "Nordisk Verkstad AB's invoice never came" knows a name, not an id. The text
is looked for, ignoring case (å, ä, ö too), anywhere in the installations' names and in the name
each company link last synced; a number is also looked up as a Fortnox invoice, order or offer
number. Each link found comes with the newest jobs of its entity (as the history finds them),
each list capped at ``limit`` and saying whether more matched.
"""

from __future__ import annotations

import re
import uuid
from typing import Final, Literal

from pydantic import BaseModel, Field

from upsales_fortnox.api.errors import ApiError
from upsales_fortnox.core.db.session import DbSession
from upsales_fortnox.history.repository import (
    installations_named,
    jobs_touching,
    links_found,
    related_ids,
)
from upsales_fortnox.jobs.schemas import JobSummary
from upsales_fortnox.links.link_rules import FORTNOX_TYPES_BY_ENTITY
from upsales_fortnox.models.link import Link
from upsales_fortnox.vocabulary import LinkEntity

MIN_QUERY_LENGTH: Final = 2
MAX_QUERY_LENGTH: Final = 100
_NO_CONTROL: Final = r"[^\x00-\x1f\x7f-\x9f]"
_SHOWN: Final = r"[^\s\x00-\x1f\x7f-\x9f]"
QUERY_PATTERN: Final = f"^{_NO_CONTROL}*{_SHOWN}{_NO_CONTROL}*{_SHOWN}{_NO_CONTROL}*$"
"""What ``q`` may be, as the API's schema states it too: no control character (a NUL would
fail the database's text), and at least :data:`MIN_QUERY_LENGTH` (2) characters that are not
blank, so what is left once the surrounding blanks go is 2 characters or more."""
_QUERY: Final = re.compile(QUERY_PATTERN)
MAX_LIMIT: Final = 50
DEFAULT_LIMIT: Final = 20
RECENT_JOBS: Final = 5
"""The newest jobs shown with each link found (the entity's history has them all)."""


class InstallationFound(BaseModel):
    id: uuid.UUID
    name: str
    status: str
    upsales_customer_id: int | None
    fortnox_tenant_id: str | None


class LinkFound(BaseModel):
    installation_id: uuid.UUID
    installation_name: str
    link_id: int
    entity: str = Field(examples=["company"])
    matched: Literal["company_name", "document_number"]
    name: str | None = Field(description="The company's name as last synced (companies only).")
    upsales_id: int
    fortnox_type: str
    fortnox_id: str
    recent_jobs: list[JobSummary] = Field(description=f"Newest first, at most {RECENT_JOBS}.")


class SearchResults(BaseModel):
    query: str
    installations: list[InstallationFound]
    more_installations: bool = Field(description="More installations match than are listed.")
    links: list[LinkFound]
    more_links: bool = Field(description="More links match than are listed.")


def search_text(raw: str) -> str:
    """The text to look for: ``raw`` without surrounding blanks; 422 ``validation_error``
    when it is longer than :data:`MAX_QUERY_LENGTH` or not as :data:`QUERY_PATTERN` says."""
    text = raw.strip()
    if len(raw) > MAX_QUERY_LENGTH or _QUERY.match(raw) is None:
        raise ApiError(
            422,
            "validation_error",
            f"q: give {MIN_QUERY_LENGTH} to {MAX_QUERY_LENGTH} printable characters of a name or"
            " a Fortnox document number",
        )
    return text


def _name(link: Link) -> str | None:
    name = (link.synced_fields or {}).get("name")
    return name if isinstance(name, str) else None


async def _link_found(session: DbSession, link: Link, installation_name: str) -> LinkFound:
    entity = LinkEntity(link.entity)
    upsales_ids, fortnox_ids = await related_ids(
        session,
        link.installation_id,
        entity,
        link.upsales_id,
        None,
        FORTNOX_TYPES_BY_ENTITY[entity],
    )
    jobs = await jobs_touching(
        session, link.installation_id, entity, upsales_ids, fortnox_ids, RECENT_JOBS
    )
    return LinkFound(
        installation_id=link.installation_id,
        installation_name=installation_name,
        link_id=link.id,
        entity=entity.value,
        matched="company_name" if entity is LinkEntity.COMPANY else "document_number",
        name=_name(link),
        upsales_id=link.upsales_id,
        fortnox_type=link.fortnox_type,
        fortnox_id=link.fortnox_id,
        recent_jobs=[JobSummary.from_row(job) for job in jobs],
    )


async def search(session: DbSession, raw: str, limit: int = DEFAULT_LIMIT) -> SearchResults:
    """What ``raw`` (see :func:`search_text`) finds, at most ``limit`` (1 to 50) of each."""
    text = search_text(raw)
    if not 1 <= limit <= MAX_LIMIT:
        raise ApiError(422, "validation_error", f"limit: give 1 to {MAX_LIMIT}")
    installations = await installations_named(session, text, limit + 1)
    links = await links_found(session, text, limit + 1)
    return SearchResults(
        query=text,
        installations=[
            InstallationFound(
                id=found.id,
                name=found.name,
                status=found.status,
                upsales_customer_id=found.upsales_customer_id,
                fortnox_tenant_id=found.fortnox_tenant_id,
            )
            for found in installations[:limit]
        ],
        more_installations=len(installations) > limit,
        links=[await _link_found(session, link, owner.name) for link, owner in links[:limit]],
        more_links=len(links) > limit,
    )
