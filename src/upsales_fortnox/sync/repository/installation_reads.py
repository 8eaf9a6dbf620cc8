"""What the sync reads of the installations' tables that the installations' repository does
not offer: an installation with its settings loaded, in one session."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from upsales_fortnox.models.installation import Installation


async def installation_with_settings(
    session: AsyncSession, installation_id: uuid.UUID
) -> Installation | None:
    """The installation with its settings loaded (None: no such installation)."""
    return await session.scalar(
        select(Installation)
        .where(Installation.id == installation_id)
        .options(selectinload(Installation.settings))
    )
