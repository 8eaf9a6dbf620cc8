"""What Fortnox would refuse, found before anything is sent (pure).

Used by the job handlers (a problem ends the job with a clear reason instead of a Fortnox 400)
and by ``before_order_save``, which shows the reason to the user in Upsales.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from upsales_fortnox.core.texts import FIELD_NAMES_SV, Phrase
from upsales_fortnox.domain.identity import normalise_org_number
from upsales_fortnox.domain.outbound.company import abroad, customer_wire_values
from upsales_fortnox.domain.outbound.document_body import DocumentDraft
from upsales_fortnox.integrations.errors import PermanentError
from upsales_fortnox.integrations.fortnox.limits import (
    ARTICLE_MAX_LENGTHS,
    CUSTOMER_MAX_LENGTHS,
    DOCUMENT_MAX_LENGTHS,
    MAX_DOCUMENT_ROWS,
    length_violations,
)

_EMAIL: Final = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_COUNTRY_CODE: Final = re.compile(r"[A-Z]{2}")


class CompanyRefused(PermanentError):
    """Fortnox would refuse the company as a customer."""

    code = "company_not_accepted_by_fortnox"


def company_problems(fields: Mapping[str, str | None]) -> list[str]:
    """Reasons Fortnox would refuse these company fields as a customer (empty when none); each
    a :class:`~upsales_fortnox.core.texts.Phrase` (English as a string, Swedish on request).
    An organisation number not Swedish-shaped is refused unless the company is abroad (whose
    own number is never sent, see :func:`~.company.org_number_synced`)."""
    problems: list[str] = []
    if not fields.get("name"):
        problems.append(Phrase("company.no_name"))
    org_number = fields.get("organisation_number")
    in_sweden = not abroad(fields.get("country_code"))  # or of no known country
    if org_number and in_sweden and normalise_org_number(org_number) is None:
        problems.append(Phrase("company.bad_org_number", value=repr(org_number)))
    email = fields.get("email")
    if email and not _EMAIL.fullmatch(email):
        problems.append(Phrase("company.bad_email", value=repr(email)))
    country_code = fields.get("country_code")
    if country_code and not _COUNTRY_CODE.fullmatch(country_code):
        problems.append(Phrase("company.bad_country", value=repr(country_code)))
    problems.extend(
        Phrase(
            "company.too_long",
            field=violation.field,
            field_sv=FIELD_NAMES_SV.get(violation.field, violation.field),
            length=violation.length,
            max_length=violation.max_length,
        )
        for violation in length_violations(customer_wire_values(fields), CUSTOMER_MAX_LENGTHS)
    )
    return problems


def document_problems(draft: DocumentDraft) -> list[str]:
    """Reasons Fortnox would refuse the document."""
    problems = []
    if len(draft.rows) > MAX_DOCUMENT_ROWS:
        problems.append(
            f"the order has {len(draft.rows)} rows in Fortnox; Fortnox allows {MAX_DOCUMENT_ROWS}"
        )
    header = {"OurReference": draft.our_reference, "ExternalInvoiceReference1": draft.reference}
    problems.extend(str(v) for v in length_violations(header, DOCUMENT_MAX_LENGTHS))
    for row in draft.rows:
        problems.extend(
            f"article {row.article_number[:20]!r}: {violation}"
            for violation in length_violations(
                {"ArticleNumber": row.article_number}, ARTICLE_MAX_LENGTHS
            )
        )
    return problems


def refusal_message(subject: str, problems: list[str]) -> str:
    """One sentence for people: ``"<subject> cannot be sent to Fortnox: a; b."``."""
    return f"{subject} cannot be sent to Fortnox: " + "; ".join(problems) + "."
