"""A company's visiting and delivery addresses as company fields, both ways (pure).

The first Upsales address of type ``Visit`` is the customer's visiting address, the first of
type ``Delivery`` its delivery address: the ones the Fortnox → Upsales sync writes
(:mod:`~upsales_fortnox.domain.inbound.addresses`). Their fields are company fields only while
the company has an address of the type: a company without one, never given one or one a rep
removed, neither sends nor clears the customer's (a rep clears it by emptying the address), so
an Upsales that keeps no ``Delivery`` address or drops one emptied whole
(facts.DELIVERY_ADDRESS_KEPT, facts.EMPTIED_ADDRESS_KEPT) never clears the customer's. A value
Fortnox would refuse (longer than it takes, a country that is no two-letter code) is the
company's own too, neither sent nor cleared, and refuses no deal.

The delivery street is ``DeliveryAddress1`` and ``DeliveryAddress2`` joined by ", ", as the
Fortnox → Upsales sync writes it; one changed in Upsales goes to ``DeliveryAddress1`` whole, and
``DeliveryAddress2`` is cleared (see :func:`~.company.customer_changes`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Final

from upsales_fortnox.domain.outbound.field_values import canonical_country_code, clean
from upsales_fortnox.integrations.fortnox.limits import CUSTOMER_MAX_LENGTHS
from upsales_fortnox.integrations.fortnox.models import Customer
from upsales_fortnox.integrations.upsales.models import Address

ADDRESS_FIELDS: Final[dict[str, dict[str, str]]] = {
    "Visit": {
        "visit_address": "VisitingAddress",
        "visit_zip_code": "VisitingZipCode",
        "visit_city": "VisitingCity",
        "visit_country_code": "VisitingCountryCode",
    },
    "Delivery": {
        "delivery_address1": "DeliveryAddress1",
        "delivery_zip_code": "DeliveryZipCode",
        "delivery_city": "DeliveryCity",
        "delivery_country_code": "DeliveryCountryCode",
    },
}
"""Upsales address type → its company fields (street, zip code, city, country, in this order)
→ the Fortnox customer fields they are."""
OTHER_ADDRESS_FORTNOX_FIELDS: Final = {
    name: wire_name for fields in ADDRESS_FIELDS.values() for name, wire_name in fields.items()
}
_COUNTRY_CODE: Final = re.compile(r"[A-Z]{2}")
_ATTRIBUTES: Final = ("address", "zipcode", "city", "country")
"""The Upsales address's attributes of the company fields of :data:`ADDRESS_FIELDS`, in order."""


def address_types_of(names: Iterable[str]) -> frozenset[str]:
    """The Upsales address types that the company fields ``names`` are fields of."""
    wanted = set(names)
    return frozenset(kind for kind, fields in ADDRESS_FIELDS.items() if wanted & fields.keys())


def addresses_apart(
    upsales: Mapping[str, str | None], fortnox: Mapping[str, str | None]
) -> frozenset[str]:
    """All the company fields of each visiting or delivery address that Fortnox holds other
    than the company (a field it has differs from the company's; ``upsales``, ``fortnox``: the
    two sides' company fields). A link from before these addresses synced both ways fills none
    of such an address's fields Fortnox lacks, which would make an address of neither side's;
    an address Fortnox lacks, or holds in part as the company has it, is filled."""
    return frozenset(
        name
        for names in ADDRESS_FIELDS.values()
        if any(fortnox.get(key) not in (None, upsales.get(key)) for key in names)
        for name in names
    )


def _first_of_each_type(addresses: Iterable[Address] | None) -> dict[str, Address]:
    first: dict[str, Address] = {}
    for address in addresses or []:
        first.setdefault(address.type or "", address)
    return first


def keeping_own_values(
    mapped: Mapping[str, Address | None], addresses: Iterable[Address] | None
) -> dict[str, Address | None]:
    """The customer's addresses by type (``mapped``) keeping the values of the company's own
    ``addresses`` that Fortnox would refuse, where the customer has none of that field: they are
    the company's own, neither sent nor cleared by the customer's next change."""
    current = list(addresses or [])
    sent = other_address_fields_from_upsales(current).keys()
    first = _first_of_each_type(current)
    kept = dict(mapped)
    for address_type, names in ADDRESS_FIELDS.items():
        wanted, held = mapped.get(address_type), first.get(address_type)
        if wanted is None or held is None:
            continue
        own = {
            attribute: getattr(held, attribute)
            for name, attribute in zip(names, _ATTRIBUTES, strict=True)
            if name not in sent and getattr(wanted, attribute) is None
        }
        kept[address_type] = wanted.model_copy(update=own) if own else wanted
    return kept


def other_address_fields_from_upsales(addresses: Iterable[Address] | None) -> dict[str, str | None]:
    """The company fields of the first ``Visit`` and ``Delivery`` addresses the company has,
    but for the values Fortnox would refuse."""
    first = _first_of_each_type(addresses)
    fields: dict[str, str | None] = {}
    for address_type, names in ADDRESS_FIELDS.items():
        held = first.get(address_type)
        if held is None:
            continue
        values = (
            clean(held.address),
            clean(held.zipcode),
            clean(held.city),
            canonical_country_code(held.country),
        )
        for (name, wire_name), value in zip(names.items(), values, strict=True):
            if _taken(wire_name, value):
                fields[name] = value
    return fields


def _taken(wire_name: str, value: str | None) -> bool:
    if value is None:
        return True
    if wire_name.endswith("CountryCode"):
        return bool(_COUNTRY_CODE.fullmatch(value))
    return len(value) <= CUSTOMER_MAX_LENGTHS[wire_name]


def other_address_fields_from_fortnox(customer: Customer) -> dict[str, str | None]:
    """The company fields of the customer's visiting and delivery addresses."""
    delivery_lines = (clean(customer.DeliveryAddress1), clean(customer.DeliveryAddress2))
    return {
        "visit_address": clean(customer.VisitingAddress),
        "visit_zip_code": clean(customer.VisitingZipCode),
        "visit_city": clean(customer.VisitingCity),
        "visit_country_code": canonical_country_code(customer.VisitingCountryCode),
        "delivery_address1": clean(", ".join(filter(None, delivery_lines))),
        "delivery_zip_code": clean(customer.DeliveryZipCode),
        "delivery_city": clean(customer.DeliveryCity),
        "delivery_country_code": canonical_country_code(customer.DeliveryCountryCode),
    }
