"""Installations: the Upsales app install, its Fortnox credentials, settings, document-link key
and the OAuth states of its logins.

Secrets are stored only encrypted, in columns whose names end in ``_enc``; see
:mod:`upsales_fortnox.core.crypto`.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Final

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Integer,
    String,
    Text,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from upsales_fortnox.core.db.base import Base
from upsales_fortnox.core.db.types import JSONDoc, UTCDateTime, utcnow
from upsales_fortnox.vocabulary import InstallationStatus, ProductBundleMode, SyncType


class Installation(Base):
    """One Upsales account connected to one Fortnox company."""

    __tablename__ = "installations"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(200))
    upsales_customer_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    status: Mapped[str] = mapped_column(String(20), default=InstallationStatus.PENDING_LOGIN)
    status_reason: Mapped[str | None] = mapped_column(Text)
    upsales_api_token_enc: Mapped[str | None] = mapped_column(Text)
    webhook_secret_enc: Mapped[str | None] = mapped_column(Text)
    #: One installation per Fortnox company (the login's check, kept by the database too).
    fortnox_tenant_id: Mapped[str | None] = mapped_column(String(50), unique=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    settings: Mapped[InstallationSettings | None] = relationship(
        back_populates="installation", cascade="all, delete-orphan", passive_deletes=True
    )

    __mapper_args__ = {"version_id_col": version}


SERVICE_ACCOUNT: Final = "service"
"""The ``token_kind`` of a Fortnox service account's tokens (client credentials)."""


class FortnoxCredentials(Base):
    """The installation's Fortnox OAuth2 tokens, encrypted; rotated by the token store.

    Kept apart from :class:`Installation` so a token refresh never conflicts with an operator's
    edit of the installation (which is versioned for optimistic concurrency).
    """

    __tablename__ = "fortnox_credentials"

    installation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("installations.id", ondelete="CASCADE"), primary_key=True
    )
    access_token_enc: Mapped[str] = mapped_column(Text)
    #: Null for a service account (client credentials), which has no refresh token.
    refresh_token_enc: Mapped[str | None] = mapped_column(Text)
    #: ``user`` (authorization code login) or :data:`SERVICE_ACCOUNT` (client credentials).
    token_kind: Mapped[str] = mapped_column(String(20), default="user", server_default="user")
    access_token_expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    scopes: Mapped[str] = mapped_column(String(500), default="")
    refreshed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: When Fortnox refused this login (its refresh); null: not known refused. Kept for a
    #: ``paused`` installation too, whose status does not move; new tokens clear it.
    refused_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class InstallationSettings(Base):
    """The sync settings of one installation; names follow the app's config fields."""

    __tablename__ = "installation_settings"

    installation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("installations.id", ondelete="CASCADE"), primary_key=True
    )
    sync_type: Mapped[str] = mapped_column(String(20), default=SyncType.INVOICE)
    placeholder_user: Mapped[int | None] = mapped_column(Integer)
    won_stage: Mapped[int | None] = mapped_column(Integer)
    lost_stage: Mapped[int | None] = mapped_column(Integer)
    offer_stage: Mapped[int | None] = mapped_column(Integer)
    price_list: Mapped[str | None] = mapped_column(String(50))
    product_bundles: Mapped[str] = mapped_column(String(30), default=ProductBundleMode.ONLY_BUNDLE)
    # --- money after the deal: payments and credits (issue 11, parts 1, 2) ---
    payment_status: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    credit_invoices: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # --- end payments and credits ---
    # --- documents and stock (issue 11, parts 3-5) ---
    document_links: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    stock_levels: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    currency_price_lists: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc)
    """Upsales currency (ISO code) → the Fortnox price list its product prices come from."""
    # --- end documents and stock ---
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    installation: Mapped[Installation] = relationship(back_populates="settings")

    __mapper_args__ = {"version_id_col": version}


class DocumentLinkKey(Base):
    """The salt of an installation's document-link key (the key itself is derived from
    ``SECRET_KEY`` and the salt, never stored). A new salt (``key_version`` + 1) voids every
    document link made before it."""

    __tablename__ = "document_link_keys"

    installation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("installations.id", ondelete="CASCADE"), primary_key=True
    )
    key_version: Mapped[int] = mapped_column(Integer, default=1)
    salt: Mapped[str] = mapped_column(String(64))
    rotated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class OAuthState(Base):
    """A Fortnox login in progress: the nonce of a signed OAuth ``state``, usable once.

    Written when the login starts, marked ``used_at`` when the callback consumes it (or when
    consent is denied); expired rows are deleted when new logins start.
    """

    __tablename__ = "oauth_states"

    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    installation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("installations.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
