"""What a sync decision asks the shell to do: small frozen command objects.

The pure decision functions return these; :func:`upsales_fortnox.sync.interpreter.apply` carries
them out on an effects target (the writer, or a recorder that sends nothing). One class per
command, in alphabetical order. Commands carry wire models and plain values only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from upsales_fortnox.integrations.fortnox.models import Customer, Invoice, Order
from upsales_fortnox.integrations.upsales.models import CompanyDraft, OrderDraft, ProductDraft
from upsales_fortnox.vocabulary import FortnoxType, LinkEntity


@dataclass(frozen=True)
class LinkTarget:
    """The link to record once the Upsales record a command writes is known."""

    entity: LinkEntity
    fortnox_type: FortnoxType
    fortnox_id: str
    fingerprint: str | None
    synced_fields: Mapping[str, Any] | None = None

    def saved(self, upsales_id: int) -> SaveLink:
        """The link, now that the Upsales record is ``upsales_id``."""
        return SaveLink(
            self.entity,
            upsales_id,
            self.fortnox_type,
            self.fortnox_id,
            self.fingerprint,
            synced_fields=self.synced_fields,
        )


# --- commands (alphabetical) ------------------------------------------------------------------


@dataclass(frozen=True)
class CreateFortnoxCustomer:
    """Create a Fortnox customer from an Upsales company and link the two."""

    upsales_company_id: int
    customer: Customer
    synced_fields: Mapping[str, str | None]


@dataclass(frozen=True)
class CreateFortnoxDocument:
    """Create the Fortnox invoice or order of a won Upsales order."""

    upsales_order_id: int
    fortnox_type: FortnoxType
    document: Invoice | Order
    fingerprint: str
    net: Decimal
    your_reference: str | None = None
    """The "Er referens" the document is to have (the link keeps it)."""


@dataclass(frozen=True)
class CreateUpsalesCompany:
    company: CompanyDraft
    link: LinkTarget


@dataclass(frozen=True)
class CreateUpsalesOrder:
    order: OrderDraft
    link: LinkTarget


@dataclass(frozen=True)
class CreateUpsalesProduct:
    product: ProductDraft
    link: LinkTarget | None


@dataclass(frozen=True)
class LinkFortnoxCustomer:
    """Link an Upsales company to an existing Fortnox customer (matched, nothing written)."""

    upsales_company_id: int
    customer_number: str
    synced_fields: Mapping[str, str | None]


@dataclass(frozen=True)
class LinkFortnoxDocument:
    """Link a won order to the Fortnox document an earlier attempt already created."""

    upsales_order_id: int
    fortnox_type: FortnoxType
    document_number: int
    fingerprint: str
    your_reference: str | None = None


@dataclass(frozen=True)
class NoChange:
    """Nothing to write; ``reason`` says why (kept in the job result)."""

    reason: str


@dataclass(frozen=True)
class RefuseDocumentChange:
    """The order changed after it was sent, but Fortnox no longer allows the document to
    change: a conflict for people to resolve."""

    upsales_order_id: int
    fortnox_type: FortnoxType
    document_number: int
    reason: str


@dataclass(frozen=True)
class RemoveLink:
    fortnox_type: FortnoxType
    fortnox_id: str


@dataclass(frozen=True)
class SaveLink:
    """Create or update a link. ``synced_fields`` (what both sides agreed on, kept by links to
    Fortnox records the sync writes) None leaves those of an existing link as they are."""

    entity: LinkEntity
    upsales_id: int
    fortnox_type: FortnoxType
    fortnox_id: str
    fingerprint: str | None
    synced_fields: Mapping[str, Any] | None = None
    sync_upsales_company: bool = False
    """The Upsales company changed since ``synced_fields`` (a company link): its sync to the
    Fortnox customer is queued with the link."""


@dataclass(frozen=True)
class UpdateFortnoxCustomer:
    """Write the company fields changed in Upsales to the linked Fortnox customer (``changes``;
    None: nothing to write) and record ``synced_fields`` on the link.

    ``conflicts`` names fields changed on both sides, where Fortnox's value is kept;
    ``changed_in_fortnox`` the fields the Fortnox → Upsales sync is to bring over."""

    upsales_company_id: int
    customer_number: str
    changes: Customer | None
    changed_fields: tuple[str, ...]
    synced_fields: Mapping[str, Any]
    conflicts: tuple[str, ...] = field(default=())
    changed_in_fortnox: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class UpdateFortnoxDocument:
    """Rewrite a sent document's header and rows (existing rows by ``RowId``)."""

    upsales_order_id: int
    fortnox_type: FortnoxType
    document_number: int
    document: Invoice | Order
    fingerprint: str
    net: Decimal
    held_row_id: int | None = None
    """Set when ``document`` holds this existing row (its first row): a second write then
    leaves it out (see :func:`~upsales_fortnox.domain.outbound.document_body.held_row_id`)."""
    theirs: tuple[str | None, ...] = ()
    """The articles of the rows the bookkeeper added in Fortnox that ``document`` keeps, named
    by ``RowId`` alone after the deal's rows (see :mod:`~.outbound.added_rows`)."""
    your_reference: str | None = None
    """The "Er referens" the document is to have (the link keeps it; ``document`` sends it
    only when it changed, :mod:`~.outbound.your_reference`)."""


@dataclass(frozen=True)
class UpdateUpsalesCompany:
    company_id: int
    changes: CompanyDraft


@dataclass(frozen=True)
class UpdateUpsalesOrder:
    order_id: int
    changes: OrderDraft


@dataclass(frozen=True)
class UpdateUpsalesProduct:
    product_id: int
    changes: ProductDraft


@dataclass(frozen=True)
class WriteCustomerNumberToUpsales:
    """Show the Fortnox customer number on the Upsales company (an account custom field)."""

    upsales_company_id: int
    field_id: int
    customer_number: str


Command = (
    CreateFortnoxCustomer
    | CreateFortnoxDocument
    | CreateUpsalesCompany
    | CreateUpsalesOrder
    | CreateUpsalesProduct
    | LinkFortnoxCustomer
    | LinkFortnoxDocument
    | NoChange
    | RefuseDocumentChange
    | RemoveLink
    | SaveLink
    | UpdateFortnoxCustomer
    | UpdateFortnoxDocument
    | UpdateUpsalesCompany
    | UpdateUpsalesOrder
    | UpdateUpsalesProduct
    | WriteCustomerNumberToUpsales
)
"""Every command of both sync directions."""
