"""Maximum field lengths Fortnox accepts, from its OpenAPI spec (``maxLength`` of the request
schemas) unless marked otherwise.

One place for these numbers, so the order validation that runs before sending and the wire
models agree; a test compares them with the spec. Keys are Fortnox's field names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from upsales_fortnox.integrations.fortnox.facts import MAX_DOCUMENT_ROWS

__all__ = [
    "ARTICLE_MAX_LENGTHS",
    "CUSTOMER_MAX_LENGTHS",
    "DOCUMENT_MAX_LENGTHS",
    "DOCUMENT_ROW_MAX_LENGTHS",
    "MAX_ARTICLE_NUMBER_LENGTH",
    "MAX_CUSTOMER_NUMBER_LENGTH",
    "MAX_DOCUMENT_ROWS",
    "MAX_FORTNOX_ID_LENGTH",
    "LengthViolation",
    "length_violations",
]

#: ``fortnox_Customer`` (``OrganisationNumber`` has no limit on the entity; ``CountryCode`` is
#: exactly 2 characters, checked as a pattern by the outbound validation; the sync never writes
#: a customer's ``Currency``).
CUSTOMER_MAX_LENGTHS: Final[dict[str, int]] = {
    "CustomerNumber": 1024,
    "Name": 1024,
    "Address1": 1024,
    "Address2": 1024,
    "City": 1024,
    "Email": 1024,
    "Phone1": 1024,
    "ZipCode": 10,
    "WWW": 128,
    "VisitingAddress": 128,
    "VisitingZipCode": 10,
    "VisitingCity": 128,
    "VisitingCountryCode": 2,
    "DeliveryAddress1": 1024,
    "DeliveryAddress2": 1024,
    "DeliveryZipCode": 10,
    "DeliveryCity": 1024,
    "DeliveryCountryCode": 2,
    "YourReference": 50,
    "OurReference": 50,
}

MAX_CUSTOMER_NUMBER_LENGTH: Final = CUSTOMER_MAX_LENGTHS["CustomerNumber"]
"""A customer number is free text (letters, digits and ``-+/_``) up to this length."""

#: ``fortnox_Article``.
ARTICLE_MAX_LENGTHS: Final[dict[str, int]] = {
    "ArticleNumber": 50,
    "Description": 200,
}

#: Header fields of invoices (``fortnox_InvoicePayload``) and orders (``fortnox_OrderPayloadV2``,
#: whose external references have no limit of their own but reach the invoice made from the
#: order). Offers carry none of the three reference fields. The fields taken from the customer
#: hold its values, which its own limits keep within these.
DOCUMENT_MAX_LENGTHS: Final[dict[str, int]] = {
    "OurReference": 50,
    "YourReference": 50,
    "YourOrderNumber": 75,
    "ExternalInvoiceReference1": 80,
    "ExternalInvoiceReference2": 80,
    "Remarks": 1024,
    **dict.fromkeys(
        (
            "ZipCode",
            "City",
            "Phone1",
            "Phone2",
            "DeliveryName",
            "DeliveryAddress1",
            "DeliveryAddress2",
            "DeliveryZipCode",
            "DeliveryCity",
        ),
        1024,
    ),
}

#: Row fields of orders, invoices and offers. The spec declares no row limits: the article
#: number is an article's (``fortnox_Article``), the description 255 is from the accodeing
#: fortnox-api models (reference fortnox.md §5).
DOCUMENT_ROW_MAX_LENGTHS: Final[dict[str, int]] = {
    "ArticleNumber": 50,
    "Description": 255,
}


MAX_ARTICLE_NUMBER_LENGTH: Final = ARTICLE_MAX_LENGTHS["ArticleNumber"]
"""The longest id of any other entity the sync follows (documents and payments are known by
numbers of digits): only a customer number may be longer."""

MAX_FORTNOX_ID_LENGTH: Final = max(MAX_CUSTOMER_NUMBER_LENGTH, MAX_ARTICLE_NUMBER_LENGTH)
"""The longest id of an entity the sync follows (a customer number; articles are known by their
number, documents by a number of digits): what a change event's ``entityId``, a job's entity
and a link's Fortnox id may hold."""


@dataclass(frozen=True)
class LengthViolation:
    field: str
    length: int
    max_length: int

    def __str__(self) -> str:
        return f"{self.field} is {self.length} characters long; Fortnox allows {self.max_length}"


def length_violations(
    values: Mapping[str, object], max_lengths: Mapping[str, int]
) -> list[LengthViolation]:
    """The string fields of ``values`` (wire names) longer than Fortnox accepts."""
    violations = []
    for field, max_length in max_lengths.items():
        value = values.get(field)
        if isinstance(value, str) and len(value) > max_length:
            violations.append(LengthViolation(field, len(value), max_length))
    return violations
