"""The ``installation_settings`` table: reading and writing an installation's settings.

An installation whose settings were never written has no row; it reads as unconfigured with
version 0, and a write with ``If-Match: "0"`` creates the row. Functions flush at most; the
caller owns the transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from upsales_fortnox.domain.settings_rules import ValidSettings
from upsales_fortnox.installations.errors import VersionMismatch
from upsales_fortnox.models.installation import InstallationSettings

UNCONFIGURED_VERSION = 0


@dataclass(frozen=True)
class StoredSettings:
    """The settings row (``None`` when never configured) and its version."""

    row: InstallationSettings | None

    @property
    def version(self) -> int:
        return self.row.version if self.row is not None else UNCONFIGURED_VERSION


async def load_settings(session: AsyncSession, installation_id: uuid.UUID) -> StoredSettings:
    """The settings as stored now (read again even if the session holds them already)."""
    row = await session.scalar(
        select(InstallationSettings)
        .where(InstallationSettings.installation_id == installation_id)
        .execution_options(populate_existing=True)
    )
    return StoredSettings(row)


def add_settings(
    session: AsyncSession, installation_id: uuid.UUID, valid: ValidSettings
) -> InstallationSettings:
    """Stage the first settings row of an installation (written at the caller's flush)."""
    row = InstallationSettings(installation_id=installation_id)
    _apply(row, valid)
    session.add(row)
    return row


async def write_settings(
    session: AsyncSession,
    installation_id: uuid.UUID,
    stored: StoredSettings,
    valid: ValidSettings,
) -> StoredSettings:
    """Replace the ``stored`` settings (create the row when there is none) and flush.

    Raises :class:`VersionMismatch` when they were changed or created meanwhile.
    """
    row = stored.row
    if row is None:
        row = add_settings(session, installation_id, valid)
    else:
        _apply(row, valid)
    try:
        await session.flush()
    except (StaleDataError, IntegrityError) as exc:  # changed or created meanwhile
        raise VersionMismatch(None) from exc
    return StoredSettings(row)


def _apply(row: InstallationSettings, valid: ValidSettings) -> None:
    row.sync_type = valid.sync_type.value
    row.placeholder_user = valid.placeholder_user
    row.won_stage = valid.won_stage
    row.lost_stage = valid.lost_stage
    row.offer_stage = valid.offer_stage
    row.price_list = valid.price_list
    row.product_bundles = valid.product_bundles.value
    row.payment_status = valid.payment_status
    row.credit_invoices = valid.credit_invoices
    row.document_links = valid.document_links
    row.stock_levels = valid.stock_levels
    row.currency_price_lists = valid.currency_price_lists
