"""Reading and replacing an installation's settings (the database shell around the rules).

An installation whose settings were never written has no row; it reads as unconfigured with
version 0, and a write with ``If-Match: "0"`` creates the row.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from upsales_fortnox.domain.settings_rules import SettingsDraft, validate_settings
from upsales_fortnox.installations.errors import InstallationNotFound, VersionMismatch
from upsales_fortnox.installations.reference_check import SettingsReferenceCheck
from upsales_fortnox.installations.service import apply_settings, check_references, settings_row
from upsales_fortnox.installations.versioning import VersionPrecondition
from upsales_fortnox.models.installation import Installation, InstallationSettings
from upsales_fortnox.sync.inbound.reprice import enqueue_reprice

UNCONFIGURED_VERSION = 0


@dataclass(frozen=True)
class StoredSettings:
    """The settings row (``None`` when never configured) and its version."""

    row: InstallationSettings | None

    @property
    def version(self) -> int:
        return self.row.version if self.row is not None else UNCONFIGURED_VERSION


async def _installation(session: AsyncSession, installation_id: uuid.UUID) -> Installation:
    installation = await session.get(Installation, installation_id)
    if installation is None:
        raise InstallationNotFound(installation_id)
    return installation


async def _row(session: AsyncSession, installation_id: uuid.UUID) -> InstallationSettings | None:
    return await session.scalar(
        select(InstallationSettings)
        .where(InstallationSettings.installation_id == installation_id)
        .execution_options(populate_existing=True)
    )


async def read_settings(session: AsyncSession, installation_id: uuid.UUID) -> StoredSettings:
    await _installation(session, installation_id)
    return StoredSettings(await _row(session, installation_id))


async def replace_settings(
    session: AsyncSession,
    installation_id: uuid.UUID,
    precondition: VersionPrecondition,
    draft: SettingsDraft,
    *,
    reference_check: SettingsReferenceCheck | None = None,
) -> StoredSettings:
    """Replace the settings if they are still at an accepted version.

    Raises :class:`InstallationNotFound`, :class:`VersionMismatch` or
    :class:`~upsales_fortnox.domain.settings_rules.InvalidSettings`; nothing is stored then.
    """
    installation = await _installation(session, installation_id)
    stored = StoredSettings(await _row(session, installation_id))
    if not precondition.matches(stored.version):
        raise VersionMismatch(stored.version)
    valid = validate_settings(draft)
    await check_references(reference_check, installation, valid)
    row = stored.row
    price_list_changed = row is not None and row.price_list != valid.price_list
    if row is None:
        row = settings_row(installation_id, valid)
        session.add(row)
    else:
        apply_settings(row, valid)
    try:
        await session.flush()
    except (StaleDataError, IntegrityError) as exc:  # changed or created meanwhile
        raise VersionMismatch(None) from exc
    if price_list_changed:
        # Products are priced from the one chosen list: a new list re-prices them all.
        await enqueue_reprice(session, installation_id)
    return StoredSettings(row)
