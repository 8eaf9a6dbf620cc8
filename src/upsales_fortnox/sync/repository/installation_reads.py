"""What the sync reads of the installations' tables (written by the installations package):
whether an installation exists, the installation with its settings, its settings alone. Each
in the caller's session."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from upsales_fortnox.models.installation import Installation, InstallationSettings


async def installation_by_id(
    session: AsyncSession, installation_id: uuid.UUID
) -> Installation | None:
    return await session.get(Installation, installation_id)


async def installation_exists(session: AsyncSession, installation_id: uuid.UUID) -> bool:
    return await installation_by_id(session, installation_id) is not None


async def installation_with_settings(
    session: AsyncSession, installation_id: uuid.UUID
) -> Installation | None:
    """The installation with its settings loaded (None: no such installation)."""
    return await session.scalar(
        select(Installation)
        .where(Installation.id == installation_id)
        .options(selectinload(Installation.settings))
    )


async def installation_settings(
    session: AsyncSession, installation_id: uuid.UUID
) -> InstallationSettings | None:
    """The installation's settings row (None: never configured, or no such installation)."""
    return await session.get(InstallationSettings, installation_id)
