"""What the sync reads of the installations' tables that the installations' repository does
not offer: an installation with its settings loaded, in one session."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from upsales_fortnox.models.installation import Installation


async def installation_with_settings(
    session: AsyncSession, installation_id: uuid.UUID
) -> Installation | None:
    """The installation with its settings loaded, in one statement (None: no such
    installation). A worker reads it at each installation's turn."""
    return await session.scalar(
        select(Installation)
        .where(Installation.id == installation_id)
        .options(joinedload(Installation.settings))
    )
