"""Creating, reading, editing and deleting installations (the database shell).

Functions flush but never commit: the caller owns the transaction, and rolls it back on any
exception, so a refused request stores nothing. Secrets are encrypted with the
:class:`~upsales_fortnox.core.crypto.SecretBox` before they reach a model and are registered
with the log redaction, so they can never be printed.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from enum import Enum
from typing import Any

from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from upsales_fortnox.core.crypto import SecretBox
from upsales_fortnox.core.logging_setup import register_secret
from upsales_fortnox.domain.settings_rules import (
    InvalidSettings,
    SettingsDraft,
    ValidSettings,
    validate_settings,
)
from upsales_fortnox.domain.status_rules import check_status_change
from upsales_fortnox.installations.errors import (
    DuplicateCustomerId,
    InstallationNotFound,
    VersionMismatch,
)
from upsales_fortnox.installations.reference_check import SettingsReferenceCheck
from upsales_fortnox.installations.versioning import VersionPrecondition
from upsales_fortnox.models.installation import (
    FortnoxCredentials,
    Installation,
    InstallationSettings,
)
from upsales_fortnox.vocabulary import InstallationStatus

logger = logging.getLogger(__name__)


class Unset(Enum):
    """Marks a field an edit leaves as it is (``None`` clears a nullable field)."""

    UNSET = "unset"


UNSET = Unset.UNSET


@dataclass(frozen=True)
class NewInstallation:
    name: str
    upsales_customer_id: int | None = None
    upsales_api_token: str | None = None
    webhook_secret: str | None = None
    settings: SettingsDraft | None = None


@dataclass(frozen=True)
class InstallationChanges:
    name: str | Unset = UNSET
    upsales_customer_id: int | Unset | None = UNSET
    status: InstallationStatus | Unset = UNSET
    status_reason: str | Unset | None = UNSET
    """Without a new ``status_reason``, a change of status clears the old reason."""
    upsales_api_token: str | Unset | None = UNSET
    webhook_secret: str | Unset | None = UNSET


@dataclass(frozen=True)
class InstallationRecord:
    installation: Installation
    has_fortnox_login: bool


def _has_fortnox_login() -> ColumnElement[bool]:
    return exists().where(FortnoxCredentials.installation_id == Installation.id).label("login")


def seal_secret(box: SecretBox, plaintext: str | None) -> str | None:
    """Encrypt a secret for an ``_enc`` column, and keep it out of every log line."""
    register_secret(plaintext)
    return box.encrypt_optional(plaintext)


def settings_row(installation_id: uuid.UUID, valid: ValidSettings) -> InstallationSettings:
    row = InstallationSettings(installation_id=installation_id)
    apply_settings(row, valid)
    return row


def apply_settings(row: InstallationSettings, valid: ValidSettings) -> None:
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


async def check_references(
    check: SettingsReferenceCheck | None, installation: Installation, valid: ValidSettings
) -> None:
    if check is None:
        return
    problems = list(await check(installation, valid))
    if problems:
        raise InvalidSettings(problems)


async def _ensure_customer_id_free(
    session: AsyncSession, customer_id: int | None, own_id: uuid.UUID | None = None
) -> None:
    if customer_id is None:
        return
    query = select(Installation.id).where(Installation.upsales_customer_id == customer_id)
    if own_id is not None:
        query = query.where(Installation.id != own_id)
    if await session.scalar(query) is not None:
        raise DuplicateCustomerId(customer_id)


async def _flush(session: AsyncSession, customer_id: int | None) -> None:
    """Flush, turning a lost race into the same errors the pre-checks give."""
    try:
        await session.flush()
    except StaleDataError as exc:
        raise VersionMismatch(None) from exc
    except IntegrityError as exc:
        if customer_id is None:
            raise
        raise DuplicateCustomerId(customer_id) from exc


async def create_installation(
    session: AsyncSession,
    box: SecretBox,
    new: NewInstallation,
    *,
    reference_check: SettingsReferenceCheck | None = None,
) -> InstallationRecord:
    """Store a new installation (status ``pending_login``) and its settings, if given.

    Raises :class:`InvalidSettings` or :class:`DuplicateCustomerId`; nothing is stored then.
    """
    valid = validate_settings(new.settings) if new.settings is not None else None
    await _ensure_customer_id_free(session, new.upsales_customer_id)
    installation = Installation(
        id=uuid.uuid4(),
        name=new.name,
        upsales_customer_id=new.upsales_customer_id,
        status=InstallationStatus.PENDING_LOGIN.value,
        upsales_api_token_enc=seal_secret(box, new.upsales_api_token),
        webhook_secret_enc=seal_secret(box, new.webhook_secret),
    )
    if valid is not None:
        await check_references(reference_check, installation, valid)
    session.add(installation)
    if valid is not None:
        session.add(settings_row(installation.id, valid))
    await _flush(session, new.upsales_customer_id)
    logger.info("installation created", extra={"installation_id": installation.id})
    return InstallationRecord(installation, has_fortnox_login=False)


async def get_installation(session: AsyncSession, installation_id: uuid.UUID) -> InstallationRecord:
    row = (
        await session.execute(
            select(Installation, _has_fortnox_login()).where(Installation.id == installation_id)
        )
    ).one_or_none()
    if row is None:
        raise InstallationNotFound(installation_id)
    return InstallationRecord(row[0], bool(row[1]))


async def list_installations(
    session: AsyncSession,
    *,
    status: InstallationStatus | None = None,
    upsales_customer_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[InstallationRecord], int]:
    """One page of installations, oldest first, and the number that match in all."""
    conditions: list[ColumnElement[bool]] = []
    if status is not None:
        conditions.append(Installation.status == status.value)
    if upsales_customer_id is not None:
        conditions.append(Installation.upsales_customer_id == upsales_customer_id)
    total = await session.scalar(select(func.count()).select_from(Installation).where(*conditions))
    rows = await session.execute(
        select(Installation, _has_fortnox_login())
        .where(*conditions)
        .order_by(Installation.created_at, Installation.id)
        .limit(limit)
        .offset(offset)
    )
    return [InstallationRecord(row[0], bool(row[1])) for row in rows], total or 0


async def update_installation(
    session: AsyncSession,
    box: SecretBox,
    installation_id: uuid.UUID,
    precondition: VersionPrecondition,
    changes: InstallationChanges,
) -> InstallationRecord:
    """Apply an operator's edit if the installation is still at an accepted version.

    Raises :class:`InstallationNotFound`, :class:`VersionMismatch`,
    :class:`~upsales_fortnox.domain.status_rules.StatusChangeRefused` or
    :class:`DuplicateCustomerId`.
    """
    record = await get_installation(session, installation_id)
    installation = record.installation
    if not precondition.matches(installation.version):
        raise VersionMismatch(installation.version)
    updates: dict[str, Any] = {}
    if not isinstance(changes.status, Unset):
        current = InstallationStatus(installation.status)
        check_status_change(current, changes.status, has_fortnox_login=record.has_fortnox_login)
        if changes.status != current:
            updates["status"] = changes.status.value
            updates["status_reason"] = None
    if not isinstance(changes.status_reason, Unset):
        updates["status_reason"] = changes.status_reason
    if not isinstance(changes.name, Unset):
        updates["name"] = changes.name
    if not isinstance(changes.upsales_customer_id, Unset):
        await _ensure_customer_id_free(session, changes.upsales_customer_id, installation.id)
        updates["upsales_customer_id"] = changes.upsales_customer_id
    if not isinstance(changes.upsales_api_token, Unset):
        updates["upsales_api_token_enc"] = seal_secret(box, changes.upsales_api_token)
    if not isinstance(changes.webhook_secret, Unset):
        updates["webhook_secret_enc"] = seal_secret(box, changes.webhook_secret)
    for attribute, value in updates.items():
        if getattr(installation, attribute) != value:
            setattr(installation, attribute, value)
    customer_id = updates.get("upsales_customer_id")
    await _flush(session, customer_id if isinstance(customer_id, int) else None)
    if updates:
        logger.info(
            "installation edited: %s",
            ", ".join(sorted(updates)),
            extra={"installation_id": installation_id},
        )
    return record


async def delete_installation(
    session: AsyncSession,
    installation_id: uuid.UUID,
    precondition: VersionPrecondition | None = None,
) -> None:
    """Delete an installation with everything that belongs to it (the database cascades)."""
    installation = await session.get(Installation, installation_id)
    if installation is None:
        raise InstallationNotFound(installation_id)
    if precondition is not None and not precondition.matches(installation.version):
        raise VersionMismatch(installation.version)
    await session.delete(installation)
    await _flush(session, None)
    logger.info("installation deleted", extra={"installation_id": installation_id})
