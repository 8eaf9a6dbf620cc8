"""What a sync decision asks the shell to do: small frozen command objects.

The pure decision functions return lists of these; the handlers apply them in order through
the API clients and the link store. One class per command, in alphabetical order.
"""

from __future__ import annotations

from dataclasses import dataclass

from upsales_fortnox.db.models import FortnoxType, LinkEntity
from upsales_fortnox.upsales.models import CompanyDraft, OrderDraft, ProductDraft


@dataclass(frozen=True)
class LinkTarget:
    """The link to record once the Upsales record a command writes is known."""

    entity: LinkEntity
    fortnox_type: FortnoxType
    fortnox_id: str
    fingerprint: str | None


# --- commands (alphabetical) ------------------------------------------------------------------


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
class RemoveLink:
    fortnox_type: FortnoxType
    fortnox_id: str


@dataclass(frozen=True)
class SaveLink:
    entity: LinkEntity
    upsales_id: int
    fortnox_type: FortnoxType
    fortnox_id: str
    fingerprint: str | None


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


Command = (
    CreateUpsalesCompany
    | CreateUpsalesOrder
    | CreateUpsalesProduct
    | RemoveLink
    | SaveLink
    | UpdateUpsalesCompany
    | UpdateUpsalesOrder
    | UpdateUpsalesProduct
)
"""Every command; the other sync direction adds its own to this union."""
