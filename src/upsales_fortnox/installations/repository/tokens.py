"""The ``fortnox_credentials`` table: each installation's Fortnox tokens, stored encrypted.

The token store (:mod:`upsales_fortnox.installations.fortnox_tokens`) decides when to refresh;
here are its reads, the lock that makes a refresh single-flight across processes, and its
writes. Nothing here commits.

A token set is named by its :func:`fingerprint`, so that what follows from Fortnox refusing
it (``needs_relogin``) happens only while it is still the stored one
(:func:`still_stored`): a new login stored meanwhile wins.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import flag_modified

from upsales_fortnox.core.db.row_lock import read_locked
from upsales_fortnox.domain.health_rules import TokenKind
from upsales_fortnox.models.installation import FortnoxCredentials, Installation
from upsales_fortnox.vocabulary import InstallationStatus

NO_CREDENTIALS: Final = "none"
"""The :func:`fingerprint` of an installation that has no Fortnox tokens stored."""


@dataclass(frozen=True)
class SealedTokens:
    """A token set as it is stored: encrypted, with when it was written."""

    access_token_enc: str
    refresh_token_enc: str | None
    access_token_expires_at: datetime
    scopes: str
    refreshed_at: datetime


async def read_credentials(
    session: AsyncSession, installation_id: uuid.UUID
) -> FortnoxCredentials | None:
    return await session.get(FortnoxCredentials, installation_id)


async def delete_credentials(session: AsyncSession, installation_id: uuid.UUID) -> None:
    await session.execute(
        delete(FortnoxCredentials).where(FortnoxCredentials.installation_id == installation_id)
    )


async def lock_credentials(
    session: AsyncSession, installation_id: uuid.UUID
) -> FortnoxCredentials | None:
    """Read the credentials row under a lock held until the transaction ends."""
    return await read_locked(
        session,
        FortnoxCredentials,
        FortnoxCredentials.installation_id == installation_id,
        FortnoxCredentials.scopes,
    )


def fingerprint(credentials: FortnoxCredentials | None) -> str:
    """Names the token set stored: a digest of its ciphertexts, which every write (login,
    refresh, service account) encrypts anew. No secret; :data:`NO_CREDENTIALS` for none."""
    if credentials is None:
        return NO_CREDENTIALS
    sealed = f"{credentials.access_token_enc}\n{credentials.refresh_token_enc or ''}"
    return hashlib.sha256(sealed.encode()).hexdigest()


async def still_stored(session: AsyncSession, installation_id: uuid.UUID, named: str) -> bool:
    """Whether the stored token set is still the one ``named`` (a :func:`fingerprint`), read
    under the lock of :func:`lock_credentials`: a login storing tokens meanwhile waits until
    this transaction ends, so what it decides on that answer cannot undo that login."""
    return fingerprint(await lock_credentials(session, installation_id)) == named


async def save_tokens(
    session: AsyncSession, installation_id: uuid.UUID, token_kind: str, sealed: SealedTokens
) -> None:
    """Store the tokens of a new login or service account, replacing any old ones."""
    credentials = await session.get(FortnoxCredentials, installation_id)
    if credentials is None:
        credentials = FortnoxCredentials(installation_id=installation_id)
        session.add(credentials)
    credentials.token_kind = token_kind
    rotate_tokens(credentials, sealed)


def rotate_tokens(credentials: FortnoxCredentials, sealed: SealedTokens) -> None:
    """Replace the tokens of a row read (and locked) in this transaction."""
    credentials.access_token_enc = sealed.access_token_enc
    credentials.refresh_token_enc = sealed.refresh_token_enc
    credentials.access_token_expires_at = sealed.access_token_expires_at
    credentials.scopes = sealed.scopes
    credentials.refreshed_at = sealed.refreshed_at
    credentials.refused_at = None
    # written even when this transaction read it unset: another process may have recorded a
    # refusal (of the old tokens) since, which the new ones end
    flag_modified(credentials, "refused_at")


async def record_refusal(session: AsyncSession, installation_id: uuid.UUID, now: datetime) -> None:
    """Fortnox refused the stored login: kept with it, whatever the installation's status."""
    await session.execute(
        update(FortnoxCredentials)
        .where(FortnoxCredentials.installation_id == installation_id)
        .values(refused_at=now)
        .execution_options(synchronize_session=False)
    )


async def refreshed_at(session: AsyncSession, installation_id: uuid.UUID) -> datetime | None:
    return await session.scalar(
        select(FortnoxCredentials.refreshed_at).where(
            FortnoxCredentials.installation_id == installation_id
        )
    )


async def user_logins_refreshed_before(
    session: AsyncSession, before: datetime, statuses: Sequence[InstallationStatus]
) -> list[uuid.UUID]:
    """The installations with one of ``statuses`` whose user login was last refreshed
    before ``before``."""
    rows = await session.scalars(
        select(FortnoxCredentials.installation_id)
        .join(Installation, Installation.id == FortnoxCredentials.installation_id)
        .where(
            FortnoxCredentials.token_kind == TokenKind.USER,
            FortnoxCredentials.refreshed_at < before,
            Installation.status.in_(statuses),
        )
    )
    return list(rows)


async def user_logins_refreshed_at_before(
    session: AsyncSession, before: datetime, statuses: Sequence[InstallationStatus]
) -> list[tuple[uuid.UUID, datetime]]:
    """The installations with one of ``statuses`` whose user login was last refreshed before
    ``before``, with when it was."""
    rows = await session.execute(
        select(FortnoxCredentials.installation_id, FortnoxCredentials.refreshed_at)
        .join(Installation, Installation.id == FortnoxCredentials.installation_id)
        .where(
            FortnoxCredentials.token_kind == TokenKind.USER,
            FortnoxCredentials.refreshed_at < before,
            Installation.status.in_(statuses),
        )
    )
    return [(installation_id, refreshed) for installation_id, refreshed in rows]
