"""Maximum field lengths Fortnox accepts (from the accodeing/fortnox-api models).

One place for these numbers, so the order validation that runs before sending and the wire
models agree. Keys are Fortnox's field names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

CUSTOMER_MAX_LENGTHS: Final[dict[str, int]] = {
    "OrganisationNumber": 30,
    "ZipCode": 10,
    "YourReference": 50,
    "OurReference": 50,
}

ARTICLE_MAX_LENGTHS: Final[dict[str, int]] = {
    "ArticleNumber": 50,
    "Description": 200,
}

#: Header fields of orders, invoices and offers.
DOCUMENT_MAX_LENGTHS: Final[dict[str, int]] = {
    "OurReference": 50,
    "YourReference": 50,
    "YourOrderNumber": 30,
    "ExternalInvoiceReference1": 80,
    "ExternalInvoiceReference2": 80,
    "Remarks": 1024,
}

#: Row fields of orders, invoices and offers.
DOCUMENT_ROW_MAX_LENGTHS: Final[dict[str, int]] = {
    "ArticleNumber": 50,
    "Description": 255,
}

#: Rows per invoice (a practical limit reported publicly; unverified officially).
MAX_DOCUMENT_ROWS: Final[int] = 500


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
