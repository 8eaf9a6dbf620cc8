"""Creating, reading, editing and deleting installations, and replacing their settings.

The rows are read and written through :mod:`.repository`. Functions flush but never commit: the
caller owns the transaction, and rolls it back on any exception, so a refused request stores
nothing. Secrets are encrypted with the :class:`~upsales_fortnox.core.crypto.SecretBox` before
they reach a model and are registered with the log redaction, so they can never be printed.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from enum import Enum
from typing import Any

from upsales_fortnox.core.crypto import DecryptionError, SecretBox
from upsales_fortnox.core.db.session import DbSession
from upsales_fortnox.core.logging_setup import register_secret
from upsales_fortnox.domain.health_rules import UPSALES_KEY_OTHER_ACCOUNT
from upsales_fortnox.domain.settings_rules import (
    InvalidSettings,
    SettingsDraft,
    ValidSettings,
    validate_settings,
)
from upsales_fortnox.domain.status_rules import check_status_change
from upsales_fortnox.domain.sync_settings import (
    SyncSettings,
    order_fields_turned_on,
    product_extras_turned_on,
)
from upsales_fortnox.installations.errors import (
    DuplicateCustomerId,
    InstallationNotFound,
    UpsalesKeyOfAnotherAccount,
    VersionMismatch,
)
from upsales_fortnox.installations.key_owner import KeyOwnerCheck, check_key_owner
from upsales_fortnox.installations.reference_check import SettingsReferenceCheck
from upsales_fortnox.installations.repository import installation_rows
from upsales_fortnox.installations.repository.settings import (
    StoredSettings,
    add_settings,
    load_settings,
    write_settings,
)
from upsales_fortnox.installations.repository.tokens import read_credentials
from upsales_fortnox.installations.versioning import VersionPrecondition
from upsales_fortnox.jobs import release_installation_jobs
from upsales_fortnox.models.installation import Installation
from upsales_fortnox.ops.repository.connection_health import (
    connection_check_of,
    forget_upsales_key_verdict,
)
from upsales_fortnox.sync.inbound.deal_retry import (
    retry_jobs_missing_settings,
    retry_jobs_refused_by_upsales,
)
from upsales_fortnox.sync.inbound.extras_refresh import enqueue_extras_refresh
from upsales_fortnox.sync.inbound.order_fields_refresh import enqueue_order_fields_refresh
from upsales_fortnox.sync.inbound.reprice import enqueue_reprice
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


def seal_secret(box: SecretBox, plaintext: str | None) -> str | None:
    """Encrypt a secret for an ``_enc`` column, and keep it out of every log line."""
    register_secret(plaintext)
    return box.encrypt_optional(plaintext)


async def check_references(
    check: SettingsReferenceCheck | None, installation: Installation, valid: ValidSettings
) -> None:
    if check is None:
        return
    problems = list(await check(installation, valid))
    if problems:
        raise InvalidSettings(problems)


async def _ensure_customer_id_free(
    session: DbSession, customer_id: int | None, own_id: uuid.UUID | None = None
) -> None:
    if customer_id is None:
        return
    if await installation_rows.customer_id_taken(session, customer_id, other_than=own_id):
        raise DuplicateCustomerId(customer_id)


async def _require(session: DbSession, installation_id: uuid.UUID) -> Installation:
    installation = await installation_rows.find_installation(session, installation_id)
    if installation is None:
        raise InstallationNotFound(installation_id)
    return installation


async def _fortnox_login_refused(session: DbSession, installation_id: uuid.UUID) -> bool:
    """Fortnox refused the stored login (kept with it until a new login, whatever the status)."""
    credentials = await read_credentials(session, installation_id)
    return credentials is not None and credentials.refused_at is not None


async def create_installation(
    session: DbSession,
    box: SecretBox,
    new: NewInstallation,
    *,
    reference_check: SettingsReferenceCheck | None = None,
    key_owner: KeyOwnerCheck | None = None,
) -> InstallationRecord:
    """Store a new installation (status ``pending_login``) and its settings, if given.

    Raises :class:`InvalidSettings`, :class:`DuplicateCustomerId` or
    :class:`UpsalesKeyOfAnotherAccount`; nothing is stored then.
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
    await check_key_owner(key_owner, new.upsales_api_token, new.upsales_customer_id)
    if valid is not None:
        await check_references(reference_check, installation, valid)
    installation_rows.add_installation(session, installation)
    if valid is not None:
        add_settings(session, installation.id, valid)
    await installation_rows.save_installations(session, new.upsales_customer_id)
    logger.info("installation created", extra={"installation_id": installation.id})
    return InstallationRecord(installation, has_fortnox_login=False)


async def get_installation(session: DbSession, installation_id: uuid.UUID) -> InstallationRecord:
    found = await installation_rows.installation_with_login(session, installation_id)
    if found is None:
        raise InstallationNotFound(installation_id)
    return InstallationRecord(*found)


async def check_named_installation(session: DbSession, installation_id: uuid.UUID | None) -> None:
    """A filter naming an installation names one that exists: a mistyped id raises
    :class:`InstallationNotFound` rather than reading as a customer with nothing to show."""
    if (
        installation_id is not None
        and await installation_rows.find_installation(session, installation_id) is None
    ):
        raise InstallationNotFound(installation_id)


async def list_installations(
    session: DbSession,
    *,
    status: InstallationStatus | None = None,
    upsales_customer_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[InstallationRecord], int]:
    """One page of installations, oldest first, and the number that match in all."""
    rows, total = await installation_rows.page_of_installations(
        session,
        status=status,
        upsales_customer_id=upsales_customer_id,
        limit=limit,
        offset=offset,
    )
    return [InstallationRecord(*row) for row in rows], total


async def update_installation(
    session: DbSession,
    box: SecretBox,
    installation_id: uuid.UUID,
    precondition: VersionPrecondition,
    changes: InstallationChanges,
    *,
    key_owner: KeyOwnerCheck | None = None,
) -> InstallationRecord:
    """Apply an operator's edit if the installation is still at an accepted version.

    Raises :class:`InstallationNotFound`, :class:`VersionMismatch`,
    :class:`~upsales_fortnox.domain.status_rules.StatusChangeRefused`,
    :class:`DuplicateCustomerId` or :class:`UpsalesKeyOfAnotherAccount`.
    """
    record = await get_installation(session, installation_id)
    installation = record.installation
    if not precondition.matches(installation.version):
        raise VersionMismatch(installation.version)
    await _check_edited_key(session, box, installation, changes, key_owner)
    updates: dict[str, Any] = {}
    if not isinstance(changes.status, Unset):
        current = InstallationStatus(installation.status)
        check_status_change(
            current,
            changes.status,
            has_fortnox_login=record.has_fortnox_login,
            fortnox_login_refused=changes.status is InstallationStatus.ACTIVE
            and await _fortnox_login_refused(session, installation.id),
        )
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
    if {"upsales_customer_id", "upsales_api_token_enc"} & updates.keys():
        await forget_upsales_key_verdict(session, installation.id)  # it judged the old pair
    if isinstance(changes.upsales_api_token, str):  # what the old key was refused runs again
        await retry_jobs_refused_by_upsales(session, installation.id)
    if not isinstance(changes.webhook_secret, Unset):
        updates["webhook_secret_enc"] = seal_secret(box, changes.webhook_secret)
    installation_rows.change_installation(installation, updates)
    customer_id = updates.get("upsales_customer_id")
    await installation_rows.save_installations(
        session, customer_id if isinstance(customer_id, int) else None
    )
    if updates:
        logger.info(
            "installation edited: %s",
            ", ".join(sorted(updates)),
            extra={"installation_id": installation_id},
        )
    return record


async def _check_edited_key(
    session: DbSession,
    box: SecretBox,
    installation: Installation,
    changes: InstallationChanges,
    key_owner: KeyOwnerCheck | None,
) -> None:
    """A new key, a new customer id, or a resume still pairs the key with the account it
    opens; when Upsales cannot tell now, a resume is refused while the last connection check
    found the stored key opening another account."""
    new_key = not isinstance(changes.upsales_api_token, Unset)
    new_customer = not isinstance(changes.upsales_customer_id, Unset)
    resumes = changes.status is InstallationStatus.ACTIVE
    if key_owner is None or not (new_key or new_customer or resumes):
        return
    if isinstance(changes.upsales_api_token, Unset):
        try:
            token = box.decrypt_optional(installation.upsales_api_token_enc)
        except DecryptionError:
            return  # the connection check reports a key that cannot be read
    else:
        token = changes.upsales_api_token
        register_secret(token)
    customer_id = (
        installation.upsales_customer_id
        if isinstance(changes.upsales_customer_id, Unset)
        else changes.upsales_customer_id
    )
    owner = await check_key_owner(key_owner, token, customer_id)
    if owner is None and resumes and not (new_key or new_customer):
        await _refuse_key_found_elsewhere(session, installation)


async def _refuse_key_found_elsewhere(session: DbSession, installation: Installation) -> None:
    checked = await connection_check_of(session, installation.id)
    if checked is not None and checked.upsales_key_error == UPSALES_KEY_OTHER_ACCOUNT:
        raise UpsalesKeyOfAnotherAccount(installation.upsales_customer_id, None)


async def delete_installation(
    session: DbSession,
    installation_id: uuid.UUID,
    precondition: VersionPrecondition | None = None,
) -> None:
    """Delete an installation with everything that belongs to it (the database cascades)."""
    installation = await _require(session, installation_id)
    if precondition is not None and not precondition.matches(installation.version):
        raise VersionMismatch(installation.version)
    await installation_rows.delete_installation_row(session, installation)
    logger.info("installation deleted", extra={"installation_id": installation_id})


async def read_settings(session: DbSession, installation_id: uuid.UUID) -> StoredSettings:
    await _require(session, installation_id)
    return await load_settings(session, installation_id)


async def replace_settings(
    session: DbSession,
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
    installation = await _require(session, installation_id)
    stored = await load_settings(session, installation_id)
    if not precondition.matches(stored.version):
        raise VersionMismatch(stored.version)
    valid = validate_settings(draft)
    await check_references(reference_check, installation, valid)
    price_list_changed = stored.row is not None and stored.row.price_list != valid.price_list
    before = SyncSettings.of(stored.row)
    written = await write_settings(session, installation_id, stored, valid)
    if price_list_changed:
        # Products are priced from the one chosen list: a new list re-prices them all.
        await enqueue_reprice(session, installation_id)
    after = SyncSettings.of(written.row)
    if product_extras_turned_on(before, after):
        # The linked products get the stock or currency prices now asked for.
        await enqueue_extras_refresh(session, installation_id)
    order_fields = order_fields_turned_on(before, after)
    if order_fields:
        # The linked orders get the payment status or document links now asked for.
        await enqueue_order_fields_refresh(session, installation_id, order_fields)
    # What waited for a setting (a cancellation without lostStage) is synced now.
    await retry_jobs_missing_settings(session, installation_id)
    if stored.row is None:
        # The first save: the jobs that waited for any settings at all are due now.
        await release_installation_jobs(session, installation_id)
    return written
