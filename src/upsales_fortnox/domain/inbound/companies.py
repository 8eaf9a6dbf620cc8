"""Fortnox customers → Upsales companies: field mapping (pure; which company a customer is:
:mod:`.company_matching`).

* The customer's address (Fortnox's invoice/postal address) goes into the company's invoice
  address where it has one (``Invoice`` or ``Billing``, else ``Mail`` or ``Postal``: the one the
  Upsales → Fortnox sync reads it from), else a new ``Mail`` address; its visiting address is
  the ``Visit`` address, its delivery address the ``Delivery`` one (both ways, as the postal
  address: :mod:`~upsales_fortnox.domain.outbound.other_addresses`). Other Upsales addresses,
  those of a type the customer has no address of, and the fields Fortnox has no counterpart of
  (the region) are kept (:mod:`.addresses`), but an address the company got from the customer
  is cleared once the customer has none.
* Upsales accounts have no e-mail or VAT field: the e-mail goes into the account custom field
  with alias ``FORTNOX_EMAIL`` (the one a sales rep's e-mail is sent to Fortnox from) and the
  VAT number into the one with alias ``FORTNOX_VAT_NUMBER``, when the account has them.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any, Final

from upsales_fortnox.core.texts import say
from upsales_fortnox.domain.fingerprint import fingerprint
from upsales_fortnox.domain.inbound.addresses import (
    DELIVERY_ADDRESS_TYPE,
    DELIVERY_FIELDS,
    address_key,
    address_of,
    delivery_address,
    delivery_fields,
    merge_addresses,
    placed,
    types_holding,
)
from upsales_fortnox.domain.outbound.company import (
    AccountFieldIds,
    company_fields_from_upsales,
    postal_address_type,
)
from upsales_fortnox.domain.outbound.other_addresses import address_types_of, keeping_own_values
from upsales_fortnox.integrations.fortnox.models import Customer
from upsales_fortnox.integrations.upsales.custom_values import with_custom_values
from upsales_fortnox.integrations.upsales.facts import ACCOUNT_NAME_MAX_LENGTH
from upsales_fortnox.integrations.upsales.models import Address, Company, CompanyDraft, CustomValue

MAIL_ADDRESS_TYPE: Final = "Mail"
VISIT_ADDRESS_TYPE: Final = "Visit"
NAME_MAX_LENGTH: Final = ACCOUNT_NAME_MAX_LENGTH


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def customer_sync_fields(customer: Customer) -> dict[str, str | None]:
    """The customer's fields that sync to Upsales, by their Fortnox names, blanks as None.

    Fingerprints of company links are taken over these, so both sync directions can tell an
    echo of their own write (see :func:`customer_fingerprint`).
    """
    return {
        "Name": _text(customer.Name),
        "OrganisationNumber": _text(customer.OrganisationNumber),
        "Address1": _text(customer.Address1),
        "Address2": _text(customer.Address2),
        "ZipCode": _text(customer.ZipCode),
        "City": _text(customer.City),
        "CountryCode": _text(customer.CountryCode),
        "VisitingAddress": _text(customer.VisitingAddress),
        "VisitingZipCode": _text(customer.VisitingZipCode),
        "VisitingCity": _text(customer.VisitingCity),
        "VisitingCountryCode": _text(customer.VisitingCountryCode),
        "Phone1": _text(customer.Phone1),
        "WWW": _text(customer.WWW),
        "VATNumber": _text(customer.VATNumber),
        **delivery_fields(customer.model_dump(include=set(DELIVERY_FIELDS))),
        **_email_field(customer),
    }


def _email_field(customer: Customer) -> dict[str, str]:
    """The customer's e-mail, only when it has one (so the fingerprint of a customer without
    one is as it was before the e-mail synced to Upsales)."""
    email = _text(customer.Email)
    return {"Email": email} if email is not None else {}


def customer_fingerprint(customer: Customer) -> str:
    return fingerprint(customer_sync_fields(customer))


def changed_beside_write(before: Customer, written: Customer, after: Customer) -> bool:
    """Whether ``after`` (the customer as Fortnox answered our write of ``written``) differs
    from ``before`` (as read before the write) in a field the write did not send: someone
    changed the customer meanwhile, and its fingerprint is no echo of ours."""
    sent = written.model_fields_set
    was, now = customer_sync_fields(before), customer_sync_fields(after)
    # (the delivery fields are there only while the customer has a delivery address)
    return any(now.get(name) != was.get(name) for name in (was.keys() | now.keys()) - sent)


# --- mapping ----------------------------------------------------------------------------------


def mapped_addresses(
    customer: Customer, postal_type: str = MAIL_ADDRESS_TYPE
) -> dict[str, Address | None]:
    """The Upsales addresses the customer defines, by type (None: the customer has none, or a
    visiting or delivery address of a country alone, :func:`~.addresses.placed`); its address
    goes into ``postal_type`` (:func:`~.outbound.company.postal_address_type`)."""
    fields = customer_sync_fields(customer)
    street = ", ".join(part for part in (fields["Address1"], fields["Address2"]) if part) or None
    return {
        postal_type: address_of(
            postal_type, street, fields["ZipCode"], fields["City"], fields["CountryCode"]
        ),
        VISIT_ADDRESS_TYPE: placed(
            address_of(
                VISIT_ADDRESS_TYPE,
                fields["VisitingAddress"],
                fields["VisitingZipCode"],
                fields["VisitingCity"],
                fields["VisitingCountryCode"],
            )
        ),
        DELIVERY_ADDRESS_TYPE: placed(delivery_address(fields)),
    }


def address_types_holding(customer: Customer, addresses: Iterable[Address] | None) -> list[str]:
    """The types of ``addresses`` (a company's) whose first address holds the customer's
    address of that type (see :func:`~.addresses.types_holding`)."""
    held = list(addresses or [])
    mapped = mapped_addresses(customer, postal_address_type(held))
    return types_holding(held, keeping_own_values(mapped, held))


def _custom_values(customer: Customer, field_ids: AccountFieldIds) -> list[CustomValue]:
    values = []
    if field_ids.customer_number is not None:
        values.append(
            CustomValue(fieldId=field_ids.customer_number, value=_text(customer.CustomerNumber))
        )
    if field_ids.vat_number is not None:
        values.append(
            CustomValue(fieldId=field_ids.vat_number, value=_text(customer.VATNumber) or "")
        )
    if field_ids.email is not None:
        values.append(CustomValue(fieldId=field_ids.email, value=_text(customer.Email) or ""))
    return values


def custom_value(company: Company, field_id: int | None) -> str | None:
    if field_id is None:
        return None
    for item in company.custom or ():
        if item.fieldId == field_id:
            return _text(item.value)
    return None


def new_company(customer: Customer, field_ids: AccountFieldIds) -> CompanyDraft:
    """The Upsales company to create for a Fortnox customer."""
    fields = customer_sync_fields(customer)
    addresses = [a for a in mapped_addresses(customer).values() if a is not None]
    draft = CompanyDraft(name=_company_name(customer))
    for name, value in (
        ("orgNo", fields["OrganisationNumber"]),
        ("phone", fields["Phone1"]),
        ("webpage", fields["WWW"]),
    ):
        if value is not None:
            setattr(draft, name, value)
    if addresses:
        draft.addresses = addresses
    custom = [value for value in _custom_values(customer, field_ids) if value.value]
    if custom:
        draft.custom = custom
    return draft


def _company_name(customer: Customer) -> str:
    name = _text(customer.Name) or say("company.nameless_customer", number=customer.CustomerNumber)
    return name[:NAME_MAX_LENGTH].rstrip()


def company_changes(
    customer: Customer,
    current: Company,
    field_ids: AccountFieldIds,
    *,
    fill_only: bool = False,
    keep: Collection[str] = (),
    from_fortnox: Collection[str] = (),
) -> CompanyDraft:
    """A partial update bringing ``current`` in line with the customer; only differing fields.

    ``fill_only`` (when a company is first linked): fields Upsales already has are kept, only
    empty ones are filled and the customer number is written. ``keep``: company fields (as
    :func:`~upsales_fortnox.domain.outbound.company.company_fields_from_upsales` names them)
    changed in Upsales and waiting to be sent to Fortnox, left as they are (the postal
    address's fields keep the addresses, see :func:`addresses_left`; a visiting or delivery
    address field keeps that address). ``from_fortnox``: the
    address types that held the customer's addresses at the last sync; one the customer no
    longer has is cleared. A company abroad's own organisation number, no company field
    (:func:`~upsales_fortnox.domain.outbound.company.org_number_synced`), is left too, as is a
    web page not sent (:func:`~.outbound.company.web_page_synced`) while the customer has none.
    """
    fields = customer_sync_fields(customer)
    own = {"organisation_number", "www"} - company_fields_from_upsales(current, field_ids).keys()
    if fields["WWW"] is not None:  # the customer's own web page replaces a note
        own.discard("www")
    keep = {*keep, *own}
    changes = CompanyDraft()
    wanted: dict[str, str | None] = {
        # a customer without a name leaves the company's as it is (one made of it is named
        # from the catalogue, as an earlier version's is in English: neither is renamed)
        "name": _company_name(customer) if _text(customer.Name) else _text(current.name),
        "orgNo": fields["OrganisationNumber"],
        "phone": fields["Phone1"],
        "webpage": fields["WWW"],
    }
    for name, value in wanted.items():
        if _KEPT_AS.get(name) in keep:
            continue
        have = _text(getattr(current, name))
        if have == value or (fill_only and have is not None) or (value is None and have is None):
            continue
        setattr(changes, name, value if value is not None else "")
    current_addresses = list(current.addresses or [])
    mapped = keeping_own_values(
        mapped_addresses(customer, postal_address_type(current_addresses)), current_addresses
    )
    for address_type in address_types_of(keep):  # a visiting or delivery address to be sent
        del mapped[address_type]
    addresses = merge_addresses(
        current_addresses, mapped, fill_only=fill_only, from_fortnox=from_fortnox
    )
    if address_key(addresses) != address_key(current_addresses) and not addresses_left(keep):
        changes.addresses = addresses
    custom: list[CustomValue] = []
    waiting_ids = {field_ids.vat_number: "vat_number", field_ids.email: "email"}
    for wanted_value in _custom_values(customer, field_ids):
        if waiting_ids.get(wanted_value.fieldId) in keep:
            continue
        have_value = custom_value(current, wanted_value.fieldId)
        filled_only = fill_only and wanted_value.fieldId != field_ids.customer_number
        if filled_only and have_value is not None:
            continue
        if have_value != _text(wanted_value.value):
            custom.append(CustomValue(fieldId=wanted_value.fieldId, value=wanted_value.value or ""))
    if custom:
        changes.custom = with_custom_values(current.custom, custom)
    return changes


_KEPT_AS: Final = dict(name="name", orgNo="organisation_number", phone="phone", webpage="www")
"""Company attributes the customer writes, by the company field that keeps them."""
_POSTAL: Final = frozenset({"address1", "zip_code", "city", "country_code"})


def addresses_left(keep: Collection[str]) -> bool:
    """Whether :func:`company_changes` leaves the addresses as they are for the waiting Upsales
    edits ``keep``: one of the postal address's fields is among them."""
    return bool(_POSTAL & set(keep))


def clear_customer_number(company: Company, field_ids: AccountFieldIds) -> CompanyDraft | None:
    """The update that removes the Fortnox customer number (and VAT copy) from a company, or
    None when it carries neither."""
    custom = [
        CustomValue(fieldId=field_id, value="")
        for field_id in (field_ids.customer_number, field_ids.vat_number)
        if field_id is not None and custom_value(company, field_id) is not None
    ]
    return CompanyDraft(custom=with_custom_values(company.custom, custom)) if custom else None


def as_written(company: Company, changes: CompanyDraft) -> Company:
    """The company once ``changes`` are written to it."""
    return company.model_copy(
        update={name: getattr(changes, name) for name in changes.model_fields_set}
    )


def is_empty(draft: CompanyDraft) -> bool:
    return not draft.model_fields_set


# --- matching ---------------------------------------------------------------------------------


def names_held(customer: Customer) -> list[str]:
    """The names a company of the customer may hold: as written, and cut as Upsales holds it."""
    name = _text(customer.Name)
    return list(dict.fromkeys((name, _company_name(customer)))) if name is not None else []
