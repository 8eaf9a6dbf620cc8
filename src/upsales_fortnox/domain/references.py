"""Names and references both sync directions agree on.

* :data:`OUTBOUND_REFERENCE_PREFIX`: a Fortnox order or invoice the service creates from an
  Upsales order carries ``ExternalInvoiceReference1 = "upsales-order:<Upsales order id>"``.
  Inbound sync recognises such a document as the service's own and never imports it as a
  second Upsales order.
* Custom fields are found by alias (ids differ per Upsales customer): the Fortnox customer
  number on accounts, the Fortnox document on orders.
"""

from __future__ import annotations

from typing import Final

OUTBOUND_REFERENCE_PREFIX: Final = "upsales-order:"
"""Prefix of ``ExternalInvoiceReference1`` on documents created from an Upsales order."""

CUSTOMER_NUMBER_FIELD_ALIAS: Final = "FORTNOX_CUSTOMER_NUMBER"
"""Account custom field holding the linked Fortnox customer number."""

VAT_NUMBER_FIELD_ALIAS: Final = "FORTNOX_VAT_NUMBER"
"""Optional account custom field for the Fortnox customer's VAT number (Upsales accounts have
no VAT field of their own); written only when an account field with this alias exists."""

DOCUMENT_FIELD_ALIAS: Final = "FORTNOX_DOCUMENT"
"""Order custom field naming the Fortnox document an order came from (see
:func:`fortnox_document_reference`); it lets a retried import find the order it created."""


def outbound_reference(upsales_order_id: int) -> str:
    return f"{OUTBOUND_REFERENCE_PREFIX}{upsales_order_id}"


def parse_outbound_reference(value: str | None) -> int | None:
    """The Upsales order id of an outbound reference; None when ``value`` is not one."""
    if not value:
        return None
    text = value.strip()
    if not text.startswith(OUTBOUND_REFERENCE_PREFIX):
        return None
    rest = text[len(OUTBOUND_REFERENCE_PREFIX) :]
    return int(rest) if rest.isascii() and rest.isdigit() else None


def is_outbound_reference(value: str | None) -> bool:
    return bool(value) and str(value).strip().startswith(OUTBOUND_REFERENCE_PREFIX)


def fortnox_document_reference(fortnox_type: str, document_number: str | int) -> str:
    """The value of the order's :data:`DOCUMENT_FIELD_ALIAS` field, e.g. ``"invoice 123"``."""
    return f"{fortnox_type} {document_number}"
