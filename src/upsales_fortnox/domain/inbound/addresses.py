"""The Upsales addresses a Fortnox customer's addresses go into (pure).

A customer's address replaces the first company address of its type; the other addresses, and
the fields Fortnox has no counterpart of (the region, ``state``), are the company's and are kept.
An address the customer says nothing new of is left exactly as it is (its map position too).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Final

from upsales_fortnox.integrations.upsales.models import Address

SYNCED_ADDRESS_FIELDS: Final = ("address", "zipcode", "city", "country")
"""The address fields a Fortnox customer's address fills."""
_POSITION_FIELDS: Final = frozenset({"latitude", "longitude"})


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def address_of(
    address_type: str,
    street: str | None,
    zipcode: str | None,
    city: str | None,
    country: str | None,
) -> Address | None:
    if not any((street, zipcode, city, country)):
        return None
    return Address(type=address_type, address=street, zipcode=zipcode, city=city, country=country)


def merge_addresses(
    current: Sequence[Address], mapped: dict[str, Address | None], *, fill_only: bool
) -> list[Address]:
    """``current`` with the addresses the customer has replaced (an Upsales address of a type
    the customer lacks is kept). With ``fill_only`` a type Upsales already has is left alone.
    Of several addresses of one type only the first, the one the Upsales → Fortnox sync reads,
    is replaced: the others (a branch's invoice address, say) are kept.
    """
    present = {address.type for address in current}
    replaced: set[str | None] = set()
    merged: list[Address] = []
    for address in current:
        replacement = None if fill_only else mapped.get(address.type or "")
        if replacement is None or address.type in replaced:
            merged.append(address)
        else:
            replaced.add(address.type)
            merged.append(_moved(address, replacement))
    for address_type, added in mapped.items():
        if added is not None and address_type not in present:
            merged.append(added)
    return merged


def _moved(current: Address, wanted: Address) -> Address:
    """``current`` holding the customer's address ``wanted``: left whole when the customer
    says nothing new of it; else with the customer's street, zip code, city and country, and
    what Fortnox has no field for (the region) kept, but not the map position of the old
    address."""
    if address_key([current]) == address_key([wanted]):
        return current
    kept = {k: v for k, v in current.model_dump().items() if k not in _POSITION_FIELDS}
    return Address(**{**kept, **{k: getattr(wanted, k) for k in SYNCED_ADDRESS_FIELDS}})


def address_key(addresses: Iterable[Address]) -> list[tuple[str | None, ...]]:
    return [
        (a.type, _text(a.address), _text(a.zipcode), _text(a.city), _text(a.country))
        for a in addresses
    ]
