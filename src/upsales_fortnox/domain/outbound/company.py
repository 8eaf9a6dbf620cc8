"""An Upsales company and a Fortnox customer in one canonical form (pure).

Both sides are read into the same dict of *company fields* (name, organisation number, postal
address, phone, web page, e-mail, VAT number, visiting and delivery addresses), normalised so
that equal data compares equal whichever side it was read from. Links of companies store these
fields as last synced (``synced_fields``) and their fingerprint, so a change is told from an
echo, and a three-way merge (:mod:`.merge`) can see which side changed what.

Where the Upsales values come from:

* name, ``orgNo``, ``phone``, ``webpage`` (Fortnox's ``WWW``): the account's own fields; a web
  page Fortnox may not take (:func:`web_page_synced`) is the company's own, neither sent
  to nor cleared by Fortnox.
* address: the first address of type Invoice, Billing, Mail, Postal, Visit (in that order;
  the Fortnox → Upsales sync writes into the first of those but Visit, see
  :func:`postal_address_type`);
  ``address`` → the street, ``zipcode``, ``city``, ``country`` (ISO alpha-2, or a few country
  names) → CountryCode. Fortnox's street is ``Address1`` and ``Address2`` joined by ", ", as
  the Fortnox → Upsales sync writes it into the ``Mail`` address; a street changed in Upsales
  is written to ``Address1`` and ``Address2`` is cleared.
* visiting and delivery addresses: the first ``Visit`` and ``Delivery`` addresses
  (:mod:`.other_addresses`).
* e-mail and VAT number: Upsales accounts have no such fields, so they are read from account
  custom fields with the aliases :data:`EMAIL_ALIAS` and :data:`VAT_NUMBER_ALIAS` (shared with
  the Fortnox → Upsales sync) when the installation has them (ids resolved per installation,
  see :class:`AccountFieldIds`); without them these two fields are not synced at all (left out
  of the dict, so never cleared).

A customer the service creates gets a ``VATType`` from its country and VAT number
(:func:`vat_type`); it is never sent again, nor is it a company field: the bookkeeper owns it.

Organisation numbers are written ``NNNNNN-NNNN`` when they are Swedish organisation or personal
numbers (:func:`~upsales_fortnox.domain.identity.normalise_org_number`), otherwise kept as given
(and refused by :mod:`.validation` in Sweden). A company abroad with its own country's number keeps
it in Upsales: it is no company field (:func:`org_number_synced`), so it is neither sent to nor
cleared by Fortnox.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from upsales_fortnox.domain.identity import has_swedish_check_digit, normalise_org_number
from upsales_fortnox.domain.outbound.field_values import (
    canonical_country_code as canonical_country_code,
)
from upsales_fortnox.domain.outbound.field_values import clean as clean
from upsales_fortnox.domain.outbound.other_addresses import (
    OTHER_ADDRESS_FORTNOX_FIELDS,
    other_address_fields_from_fortnox,
    other_address_fields_from_upsales,
)
from upsales_fortnox.domain.references import CUSTOMER_NUMBER_FIELD_ALIAS, VAT_NUMBER_FIELD_ALIAS
from upsales_fortnox.integrations.fortnox.limits import CUSTOMER_MAX_LENGTHS
from upsales_fortnox.integrations.fortnox.models import API_BLANK, Customer
from upsales_fortnox.integrations.upsales.facts import (
    ACCOUNT_NAME_MAX_LENGTH,
    INVOICE_ADDRESS_TYPES,
)
from upsales_fortnox.integrations.upsales.models import Address, CompanyDraft, CustomValue

CompanyFields = dict[str, str | None]

CUSTOMER_NUMBER_ALIAS: Final = CUSTOMER_NUMBER_FIELD_ALIAS
"""Account custom field that shows the Fortnox customer number in Upsales."""
EMAIL_ALIAS: Final = "FORTNOX_EMAIL"
"""Account custom field synced with the Fortnox customer's ``Email`` (our convention)."""
VAT_NUMBER_ALIAS: Final = VAT_NUMBER_FIELD_ALIAS
"""Account custom field synced with the Fortnox customer's ``VATNumber``."""
ACCOUNT_ALIASES: Final = (CUSTOMER_NUMBER_ALIAS, EMAIL_ALIAS, VAT_NUMBER_ALIAS)

#: Company field → Fortnox customer field.
FORTNOX_FIELDS: Final[dict[str, str]] = {
    "name": "Name",
    "organisation_number": "OrganisationNumber",
    "address1": "Address1",
    "zip_code": "ZipCode",
    "city": "City",
    "country_code": "CountryCode",
    "phone": "Phone1",
    "www": "WWW",
    "email": "Email",
    "vat_number": "VATNumber",
    **OTHER_ADDRESS_FORTNOX_FIELDS,
}
ALWAYS_SYNCED: Final = (
    "name",
    "organisation_number",
    "address1",
    "zip_code",
    "city",
    "country_code",
    "phone",
    "www",
)
SYNCED_BOTH_WAYS_SINCE_2026_12: Final = frozenset({"www", *OTHER_ADDRESS_FORTNOX_FIELDS})
"""Company fields that went only from Fortnox to Upsales before December 2026 (the web page, the
visiting and delivery addresses): a link made before has none stored, and there the two sides'
values are recorded as they are (the merge's ``fortnox_first``), so an old web page or visiting
address in Upsales does not overwrite the bookkeeper's; an edit on either side from then on
syncs."""
POSTAL_ADDRESS_TYPES: Final = (*INVOICE_ADDRESS_TYPES, "Mail", "Postal")
"""The Upsales addresses that stand for the customer's (invoice) address, preferred in this
order; the Fortnox → Upsales sync writes into the first the company has (``Mail`` when none)."""
ADDRESS_PREFERENCE: Final = (*POSTAL_ADDRESS_TYPES, "Visit")
HOME_COUNTRY: Final = "SE"
EU_COUNTRY_CODES: Final = frozenset(
    {
        "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
        "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
    }
)  # fmt: skip
"""The member states of the EU by ISO 3166-1 alpha-2 code (Greece is ``GR`` here, ``EL`` only in
VAT numbers)."""
_WEB_ADDRESS: Final = re.compile(r"(?:https?://)?[^\s/@.]+(?:\.[^\s/@.]+)+(?::\d+)?(?:[/?#]\S*)?")
"""A web address: an optional scheme, a host name with at least one dot, then a path."""


@dataclass(frozen=True)
class AccountFieldIds:
    """Ids of the installation's account custom fields by role; None where it has none."""

    customer_number: int | None = None
    email: int | None = None
    vat_number: int | None = None

    @classmethod
    def of(cls, by_alias: Mapping[str, int | None]) -> AccountFieldIds:
        return cls(
            customer_number=by_alias.get(CUSTOMER_NUMBER_ALIAS),
            email=by_alias.get(EMAIL_ALIAS),
            vat_number=by_alias.get(VAT_NUMBER_ALIAS),
        )


def canonical_org_number(value: str | None) -> str | None:
    text = clean(value)
    digits = normalise_org_number(text)
    if digits is None:
        return text
    return f"{digits[:6]}-{digits[6:]}"


def abroad(country_code: str | None) -> bool:
    """Whether a (canonical) country code names another country than Sweden; False when it
    is unknown or no country code."""
    return country_code is not None and len(country_code) == 2 and country_code != HOME_COUNTRY


def org_number_synced(org_number: str | None, country_code: str | None) -> bool:
    """Whether a company's organisation number is a company field, sent to Fortnox and taken
    from it: always in Sweden or of no known country (one not Swedish-shaped is refused there, a
    typo); abroad only a Swedish number with its check digit. Any other number abroad is the
    company's own in Upsales, whether or not Fortnox takes it
    (:data:`~upsales_fortnox.integrations.fortnox.facts.FOREIGN_ORG_NUMBER_ACCEPTED`)."""
    if org_number is None or not abroad(country_code):
        return True
    digits = normalise_org_number(org_number)
    return digits is not None and has_swedish_check_digit(digits)


def web_page_synced(web_page: str | None) -> bool:
    """Whether a company's web page is a company field: one that looks like a web address
    (facts.WWW_CHECKED_AS_WEB_ADDRESS) within the 128 characters Fortnox's ``WWW`` takes. Any
    other (a note, a long tracking link) is no reason to refuse the deal: it is not sent."""
    if web_page is None:
        return True
    return len(web_page) <= CUSTOMER_MAX_LENGTHS["WWW"] and bool(_WEB_ADDRESS.fullmatch(web_page))


def postal_address(addresses: Iterable[Address] | None) -> Address | None:
    by_type: dict[str, Address] = {}
    for address in addresses or []:
        by_type.setdefault(address.type or "", address)
    for address_type in ADDRESS_PREFERENCE:
        if address_type in by_type:
            return by_type[address_type]
    return None


def postal_address_type(addresses: Iterable[Address] | None) -> str:
    """The address type that holds the customer's address in Upsales: the first of
    :data:`POSTAL_ADDRESS_TYPES` among ``addresses``, else ``Mail``. Read and written alike, so
    a company with an invoice address gets Fortnox's changes there, where it is read from."""
    present = {address.type for address in addresses or []}
    return next((kind for kind in POSTAL_ADDRESS_TYPES if kind in present), "Mail")


def custom_value(values: Iterable[CustomValue] | None, field_id: int | None) -> object:
    if field_id is None:
        return None
    for value in values or []:
        if value.fieldId == field_id:
            return value.value
    return None


def company_fields_from_upsales(company: CompanyDraft, field_ids: AccountFieldIds) -> CompanyFields:
    address = postal_address(company.addresses)
    fields: CompanyFields = {
        "name": clean(company.name),
        "organisation_number": canonical_org_number(company.orgNo),
        "address1": clean(address.address) if address else None,
        "zip_code": clean(address.zipcode) if address else None,
        "city": clean(address.city) if address else None,
        "country_code": canonical_country_code(address.country) if address else None,
        "phone": clean(company.phone),
        "www": clean(company.webpage),
    }
    if not web_page_synced(fields["www"]):
        del fields["www"]
    if not org_number_synced(fields["organisation_number"], fields["country_code"]):
        del fields["organisation_number"]
    fields.update(other_address_fields_from_upsales(company.addresses))
    if field_ids.email is not None:
        fields["email"] = clean(custom_value(company.custom, field_ids.email))
    if field_ids.vat_number is not None:
        fields["vat_number"] = clean(custom_value(company.custom, field_ids.vat_number))
    return fields


def company_fields_from_fortnox(customer: Customer) -> CompanyFields:
    """All company fields of a Fortnox customer (callers keep the keys they sync); the name as
    an Upsales company holds it (cut to :data:`ACCOUNT_NAME_MAX_LENGTH`), so a long name and
    the company's cut of it are the same name."""
    return {
        "name": clean((customer.Name or "").strip()[:ACCOUNT_NAME_MAX_LENGTH]),
        "organisation_number": canonical_org_number(customer.OrganisationNumber),
        "address1": clean(
            ", ".join(filter(None, (clean(customer.Address1), clean(customer.Address2))))
        ),
        "zip_code": clean(customer.ZipCode),
        "city": clean(customer.City),
        "country_code": canonical_country_code(customer.CountryCode),
        "phone": clean(customer.Phone1),
        "www": clean(customer.WWW),
        "email": clean(customer.Email),
        "vat_number": clean(customer.VATNumber),
        **other_address_fields_from_fortnox(customer),
    }


def customer_wire_values(fields: Mapping[str, str | None]) -> dict[str, str | None]:
    """Company fields under their Fortnox customer names."""
    return {FORTNOX_FIELDS[name]: value for name, value in fields.items()}


def vat_type(fields: Mapping[str, str | None]) -> str | None:
    """The ``VATType`` of a new customer: ``SEVAT`` in Sweden; in another EU country
    ``EUREVERSEDVAT`` with a VAT number (reverse charge), else ``EUVAT``; ``EXPORT`` outside the
    EU; None (Fortnox's default) when the country is unknown."""
    country = fields.get("country_code")
    if not country:
        return None
    if country == HOME_COUNTRY:
        return "SEVAT"
    if country not in EU_COUNTRY_CODES:
        return "EXPORT"
    return "EUREVERSEDVAT" if fields.get("vat_number") else "EUVAT"


def new_customer(fields: Mapping[str, str | None]) -> Customer:
    """A Fortnox customer to create, with its :func:`vat_type`; empty fields are left out."""
    values = {key: value for key, value in customer_wire_values(fields).items() if value}
    return Customer(Type="COMPANY", VATType=vat_type(fields), **values)


UNCLEARABLE: Final = frozenset({"CountryCode", "VisitingCountryCode", "DeliveryCountryCode"})
"""Customer fields Fortnox cannot clear: its spec takes country codes of exactly two
characters, so neither ``API_BLANK`` nor an empty one; one emptied in Upsales is left as it is."""


def sendable(changes: Mapping[str, str | None]) -> dict[str, str | None]:
    """The company field changes Fortnox can take: all but an :data:`UNCLEARABLE` one emptied."""
    return {
        name: value
        for name, value in changes.items()
        if value is not None or FORTNOX_FIELDS[name] not in UNCLEARABLE
    }


def customer_changes(changes: Mapping[str, str | None]) -> Customer:
    """A partial update of a Fortnox customer; a field emptied in Upsales is cleared (except
    the :data:`UNCLEARABLE` ones, left out: see :func:`sendable`). A new street goes to
    ``Address1`` whole, and ``Address2`` is cleared."""
    values = {
        key: value if value is not None else API_BLANK
        for key, value in customer_wire_values(sendable(changes)).items()
    }
    if "address1" in changes:
        values["Address2"] = API_BLANK
    if "delivery_address1" in changes:
        values["DeliveryAddress2"] = API_BLANK
    return Customer(**values)
