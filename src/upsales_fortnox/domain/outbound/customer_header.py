"""A document made out to another customer by an update carries that customer's header (pure).

Whether Fortnox refreshes the header fields a document took from its old customer when a PUT
changes its ``CustomerNumber`` is *unverified* (``facts.DOCUMENT_HEADER_OF_A_NEW_CUSTOMER``), so
such an update sends the new customer's values of them, from its Fortnox record: right whether
Fortnox refreshes them or keeps the old ones. An update that keeps the customer sends none.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Final

from upsales_fortnox.domain.link_view import LinkView
from upsales_fortnox.domain.outbound.document_body import (
    FortnoxDocument,
)
from upsales_fortnox.domain.outbound.kept_rows import (
    kept_customer,
)
from upsales_fortnox.domain.sync_commands import UpdateFortnoxDocument
from upsales_fortnox.integrations.fortnox.models import (
    API_BLANK,
    CUSTOMER_HEADER_FIELDS,
    Customer,
    Order,
)

FROM_CUSTOMER: Final = {"CustomerName": "Name"}
"""Header fields named otherwise on the customer; the others share their name."""

CODES: Final = frozenset({"TermsOfPayment", "TermsOfDelivery", "WayOfDelivery"})
"""Header fields that name an entry of a Fortnox register: sent only when the customer has one
(Fortnox's defaults stand for none), never cleared."""

ORDER_ONLY: Final = frozenset({"OrganisationNumber"})
"""Read-only on invoices (``fortnox_InvoicePayload`` lacks it): only Fortnox sets it there."""


def customer_before(link: LinkView | None, existing: FortnoxDocument | None) -> str | None:
    """The customer the document is made out to before the update: as read, or as the link
    keeps it from our last write; None when not known (a link saved before links kept it)."""
    if existing is not None:
        return existing.CustomerNumber or None
    return kept_customer(link.synced_fields) if link is not None else None


def moves_customer(
    decision: UpdateFortnoxDocument, before: str | None, *, record_at_hand: bool
) -> bool:
    """Whether the update makes the document out to another customer than ``before``. When
    ``before`` is not known, the header is sent only if the customer's record is at hand (its
    company was linked in this run: created or matched, as a deal moved to a new company's is),
    so an ordinary update never costs a read."""
    if before is None:
        return record_at_hand
    return (decision.document.CustomerNumber or None) != before


def customer_header(customer: Customer, *, order: bool) -> dict[str, str]:
    """The header fields of a document made out to ``customer``, from its record: each text
    field as the customer has it, or ``API_BLANK`` to clear the old customer's when it has
    none; a register code only when it has one; ``order``: with the organisation number."""
    names = CUSTOMER_HEADER_FIELDS | ORDER_ONLY if order else CUSTOMER_HEADER_FIELDS
    header: dict[str, str] = {}
    for name in sorted(names):
        value = getattr(customer, FROM_CUSTOMER.get(name, name), None)
        if isinstance(value, str) and value.strip():
            header[name] = value
        elif name not in CODES:
            header[name] = API_BLANK
    return header


def made_out_to(decision: UpdateFortnoxDocument, customer: Customer) -> UpdateFortnoxDocument:
    """The update with the header of ``customer`` (its number the update's) in its document;
    its fingerprint, taken over what the echo of the write carries, is unchanged."""
    header = customer_header(customer, order=isinstance(decision.document, Order))
    if decision.your_reference is not None:  # the deal's contact, not the customer's reference
        header["YourReference"] = decision.your_reference
    return replace(decision, document=decision.document.model_copy(update=header))
