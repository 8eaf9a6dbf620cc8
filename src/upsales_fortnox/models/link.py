"""Links between Upsales and Fortnox records, the documents a deal won again had before, the
document intents before a create, and the custom-field ids found in Upsales."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from upsales_fortnox.core.db.base import Base
from upsales_fortnox.core.db.types import BigIntPK, JSONDoc, UTCDateTime, utcnow
from upsales_fortnox.models.fortnox_ids import MAX_FORTNOX_ID_LENGTH


class Link(Base):
    """An Upsales entity and the Fortnox entity it is kept in sync with.

    ``fingerprint`` is a hash of the fields as they were last synced; a change whose mapped fields
    hash to the same value is the echo of our own write and is ignored. ``synced_fields`` holds
    those fields themselves where a three-way merge needs them (companies; with them, under
    :data:`~upsales_fortnox.domain.inbound.addresses.FORTNOX_ADDRESS_TYPES`, the address types
    that held the customer's addresses at its last sync from Fortnox); for a document the sync
    wrote, the ``RowId`` and article of each row as Fortnox answered that write (so an edit is
    one PUT); else null. An order's link to a document whose cancellation was synced has its
    fingerprint behind a mark (:data:`~upsales_fortnox.domain.link_view.CANCELLED_DOCUMENT`).
    """

    __tablename__ = "links"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    installation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("installations.id", ondelete="CASCADE")
    )
    entity: Mapped[str] = mapped_column(String(20))
    upsales_id: Mapped[int] = mapped_column(Integer)
    fortnox_type: Mapped[str] = mapped_column(String(20))
    fortnox_id: Mapped[str] = mapped_column(String(MAX_FORTNOX_ID_LENGTH))
    fingerprint: Mapped[str | None] = mapped_column(String(80))
    synced_fields: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc)
    synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        UniqueConstraint("installation_id", "entity", "upsales_id", "fortnox_type"),
        UniqueConstraint("installation_id", "fortnox_type", "fortnox_id"),
    )


class DocumentIntent(Base):
    """A won deal whose Fortnox document was (or is being) created: written and committed
    once the create holds its place in the rate budget, before it is sent, and kept afterwards.

    A deal with no link and no intent has never been sent, so its document is created without
    searching Fortnox first; a deal with an intent but no link (a crash, a timeout, a dropped
    connection, a link deleted by hand) is searched for by its order reference first. Deleting
    an order link records one, and a deal linked without one (by the initial sync) gets one
    when it notes a customer create.
    """

    __tablename__ = "document_intents"
    __table_args__ = (
        Index("ix_document_intents_customer_company", "installation_id", "customer_company_id"),
    )

    installation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("installations.id", ondelete="CASCADE"), primary_key=True
    )
    upsales_order_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fortnox_type: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    """When the attempt whose create may be out recorded it, or renewed it after a wait: that
    attempt alone withdraws it, should its create never go out."""
    settles_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """Set when a retry's search found no document: until then an earlier create may still land
    in Fortnox, so the deal is searched for again after it before anything is created. Cleared
    as the deal's next create is sent (see
    :mod:`upsales_fortnox.sync.outbound.earlier_create`)."""
    customer_company_id: Mapped[int | None] = mapped_column(Integer)
    """The Upsales company whose new Fortnox customer the deal's attempt created, set before
    that create was sent (with ``customer_sent_at``): it may land though its answer was lost.
    Cleared when Fortnox refuses that create, and when the company is linked to a customer."""
    customer_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    customer_sent_fields: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc)
    """The company's fields as that create sent them: the customer it made is looked for by
    them too, should the company be renamed (or given an organisation number) before it is
    linked."""
    customer_settles_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """Set by another deal of the company whose search found no customer: until then that
    create may still land, so the other deal searches again after it before it creates one."""


class CustomFieldId(Base):
    """An Upsales custom field id resolved from its alias, cached per installation.

    ``field_id`` is null when the installation has no field with that alias (checked at
    ``resolved_at``).
    """

    __tablename__ = "custom_field_ids"

    installation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("installations.id", ondelete="CASCADE"), primary_key=True
    )
    entity: Mapped[str] = mapped_column(String(20), primary_key=True)
    alias: Mapped[str] = mapped_column(String(100), primary_key=True)
    field_id: Mapped[int | None] = mapped_column(Integer)
    resolved_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SeenPayment(Base):
    """A booked Fortnox payment of a linked invoice, as the listing of that invoice's payments
    showed it: the invoice it pays. A payment's deletion event names only the payment, which
    Fortnox no longer has; this is where the invoice it paid is found (no Fortnox call). Kept
    until that deletion has been synced."""

    __tablename__ = "seen_payments"

    installation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("installations.id", ondelete="CASCADE"), primary_key=True
    )
    payment_number: Mapped[str] = mapped_column(String(50), primary_key=True)
    invoice_number: Mapped[str] = mapped_column(String(50))
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class EarlierDealDocument(Base):
    """A document a won deal had before it was won again: its order link, which the deal's new
    document of the same type took in place, kept here so the deal still knows it. Its
    ``fingerprint`` is the link's: behind the cancelled mark while it is ended, without it once
    it lives again (a credit cancelled) beside the deal's document. While one lives, the deal
    goes to lost only once that has ended too, and it then takes the deal's link back
    (:mod:`upsales_fortnox.links.repository.earlier_deal_documents`)."""

    __tablename__ = "earlier_deal_documents"
    __table_args__ = (Index("ix_earlier_deal_documents_order", "installation_id", "upsales_id"),)

    installation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("installations.id", ondelete="CASCADE"), primary_key=True
    )
    fortnox_type: Mapped[str] = mapped_column(String(20), primary_key=True)
    fortnox_id: Mapped[str] = mapped_column(String(50), primary_key=True)
    upsales_id: Mapped[int] = mapped_column(Integer)
    fingerprint: Mapped[str | None] = mapped_column(String(80))
    synced_fields: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc)
    set_aside_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
