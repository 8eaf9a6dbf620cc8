"""Customers: ``/3/customers``. Numbers are never reused, not even after a delete (2000637)."""

from __future__ import annotations

import re
from typing import Any

from ufs_sandboxes.fortnox import errors
from ufs_sandboxes.fortnox.facts import DEFAULT_PRICE_LIST
from ufs_sandboxes.fortnox.fields import (
    BOOL,
    TEXT,
    Entity,
    Field,
    Kind,
    Schema,
    apply_defaults,
    choice,
    parse_fields,
    read_only,
    shape_of,
    text,
    validation_error,
)
from ufs_sandboxes.fortnox.listing import ListSpec, number_key
from ufs_sandboxes.fortnox.tenant import Tenant
from ufs_sandboxes.fortnox.wire import Shape, Wire, WireField

TOPIC = "customers"
CUSTOMER_NUMBER_CHARS = re.compile(r"[A-Za-z0-9\-+/_]+")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_COUNTRY_NAMES = {
    "SE": "Sverige",
    "NO": "Norge",
    "DK": "Danmark",
    "FI": "Finland",
    "DE": "Tyskland",
    "GB": "Storbritannien",
    "US": "USA",
}

FIELDS: Schema = {
    "CustomerNumber": Field(Kind.TEXT, max_length=1024, allowed_chars=CUSTOMER_NUMBER_CHARS),
    "Name": text(1024, omit_empty=True),
    "OrganisationNumber": TEXT,
    "Address1": text(1024, omit_empty=True),
    "Address2": text(1024),
    "City": text(1024),
    "ZipCode": text(10),
    "CountryCode": text(2, omit_empty=True),
    "Country": read_only(),
    "Email": text(1024),
    "EmailInvoice": text(1024),
    "Phone1": text(1024),
    "Phone2": text(1024),
    "Fax": text(1024),
    "WWW": text(128),
    "VATNumber": text(1024),
    "VATType": choice("SEVAT", "SEREVERSEDVAT", "EUREVERSEDVAT", "EUVAT", "EXPORT"),
    "Currency": text(3, omit_empty=True),
    "Active": BOOL,
    "Type": choice("COMPANY", "PRIVATE"),
    "YourReference": text(50),
    "OurReference": text(50),
    "PriceList": TEXT,
    "TermsOfPayment": TEXT,
    "Comments": text(1024),
    "DeliveryName": text(1024),
    "DeliveryAddress1": text(1024),
    "DeliveryAddress2": text(1024),
    "DeliveryCity": text(1024),
    "DeliveryZipCode": text(10),
    "DeliveryCountryCode": text(2, omit_empty=True),
    "VisitingAddress": text(128),
    "VisitingZipCode": text(10),
    "VisitingCity": text(128),
    "VisitingCountryCode": text(2, omit_empty=True),
    "VisitingCountry": read_only(),
}
SHAPE = shape_of(FIELDS)
_TEXT = WireField(Wire.STRING)
LIST_SHAPE: Shape = {
    "Address1": _TEXT,
    "Address2": _TEXT,
    "City": _TEXT,
    "CustomerNumber": _TEXT,
    "Email": _TEXT,
    "Name": WireField(Wire.STRING, omit_empty=True),
    "OrganisationNumber": _TEXT,
    "Phone": _TEXT,
    "ZipCode": _TEXT,
}
_DEFAULTS: dict[str, Any] = {
    "Active": True,
    "Type": "COMPANY",
    "Currency": "SEK",
    "VATType": "SEVAT",
    "PriceList": DEFAULT_PRICE_LIST,
}

LIST_SPEC = ListSpec(
    search_fields={
        "name": "Name",
        "customernumber": "CustomerNumber",
        "organisationnumber": "OrganisationNumber",
        "email": "Email",
        "city": "City",
        "zipcode": "ZipCode",
        "phone": "Phone1",
    },
    filters={
        "active": lambda e, _today: e["Active"] is True,
        "inactive": lambda e, _today: e["Active"] is not True,
    },
    sort_keys={
        "customernumber": lambda e: number_key(e["CustomerNumber"]),
        "name": lambda e: (e["Name"] or "").lower(),
    },
    default_sort="customernumber",  # spec, GET /3/customers: "lowest number appearing first"
)


def customer_list_item_source(customer: Entity) -> Entity:
    """List items show ``Phone`` (the entity's ``Phone1``)."""
    return {**customer, "Phone": customer.get("Phone1")}


def get_customer(tenant: Tenant, number: str) -> Entity:
    customer = tenant.customers.get(number)
    if customer is None:
        raise errors.not_found(errors.CUSTOMER_NOT_FOUND, "Kan inte hitta kunden.")
    return customer


def create_customer(tenant: Tenant, payload: Entity) -> Entity:
    values = parse_fields(FIELDS, payload)
    if not values.get("Name"):
        raise validation_error("Kunden måste ha ett namn (Name)")
    number = values.get("CustomerNumber")
    if number is None:
        number = str(tenant.next_number("customers", tenant.used_customer_numbers.__contains__))
    elif number in tenant.used_customer_numbers:
        raise errors.bad_request(
            errors.CUSTOMER_NUMBER_USED,
            f"Kundnummer {number} används redan. Kundnumret har redan använts men kan ha blivit "
            "raderat.",
        )
    _validate(tenant, values)
    customer = apply_defaults(FIELDS, _DEFAULTS)
    customer.update(values)
    customer["CustomerNumber"] = number
    _name_countries(customer)
    tenant.used_customer_numbers.add(number)
    tenant.customers.put(number, customer, tenant.now())
    tenant.emit(TOPIC, "customer-created-v1", number)
    return customer


def update_customer(tenant: Tenant, number: str, payload: Entity) -> Entity:
    customer = get_customer(tenant, number)
    values = parse_fields(FIELDS, payload)
    if values.pop("CustomerNumber", number) != number:
        raise validation_error("Kundnummer kan inte ändras")
    if "Name" in values and not values["Name"]:
        raise validation_error("Kunden måste ha ett namn (Name)")
    _validate(tenant, values)
    customer.update(values)
    _name_countries(customer)
    tenant.customers.touch(number, tenant.now())
    tenant.emit(TOPIC, "customer-updated-v2", number)
    return customer


def delete_customer(tenant: Tenant, number: str) -> None:
    """Deleting keeps the number reserved; documents keep their copy of the customer data."""
    get_customer(tenant, number)
    tenant.customers.delete(number)
    tenant.emit(TOPIC, "customer-deleted-v1", number)


def _validate(tenant: Tenant, values: Entity) -> None:
    email = values.get("Email")
    if email and not _EMAIL.fullmatch(email):
        raise validation_error(f"Ogiltig e-postadress ({email})")
    for field_name in ("CountryCode", "DeliveryCountryCode", "VisitingCountryCode"):
        code = values.get(field_name)
        if code is not None and not (len(code) == 2 and code.isalpha() and code.isupper()):
            raise validation_error(f"Ogiltig landskod ({field_name})")
    currency = values.get("Currency")
    if currency is not None and currency not in tenant.currencies:
        raise validation_error(f"Valutan finns inte ({currency})")
    price_list = values.get("PriceList")
    if price_list is not None and tenant.pricelists.get(price_list) is None:
        raise validation_error(f"Prislistan finns inte ({price_list})")


def _name_countries(customer: Entity) -> None:
    """The read-only country names follow their codes."""
    customer["Country"] = _country_name(customer["CountryCode"])
    customer["VisitingCountry"] = _country_name(customer["VisitingCountryCode"])


def _country_name(code: str | None) -> str | None:
    if code is None:
        return None
    return _COUNTRY_NAMES.get(code, code)
