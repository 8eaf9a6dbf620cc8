"""The Upsales addresses a Fortnox customer's addresses go into (pure).

A customer's address replaces the first company address of its type; the other addresses, and
the fields Fortnox has no counterpart of (the region, ``state``), are the company's and are kept.
An address the customer says nothing new of is left exactly as it is (its map position too).

An address the customer no longer has at all is cleared (its street, zip code, city and country,
as one field the bookkeeper clears is) only where the company's address held the customer's at
the last sync from Fortnox: the company link records those address types
(:data:`FORTNOX_ADDRESS_TYPES`). A company linked while the customer had no address keeps its
own, which Fortnox never had.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any, Final

from upsales_fortnox.integrations.upsales.models import Address

SYNCED_ADDRESS_FIELDS: Final = ("address", "zipcode", "city", "country")
"""The address fields a Fortnox customer's address fills."""
DELIVERY_ADDRESS_TYPE: Final = "Delivery"
"""The Upsales address that holds the customer's delivery address (Fortnox → Upsales only, as
the visiting address: the Upsales → Fortnox sync reads the customer's address alone)."""
DELIVERY_FIELDS: Final = (
    "DeliveryAddress1",
    "DeliveryAddress2",
    "DeliveryZipCode",
    "DeliveryCity",
    "DeliveryCountryCode",
)
"""The Fortnox customer's fields of its delivery address."""
_POSITION_FIELDS: Final = frozenset({"latitude", "longitude"})
FORTNOX_ADDRESS_TYPES: Final = "fortnox_address_types"
"""Key of a company link's ``synced_fields`` that is no company field: the Upsales address
types whose first address held the customer's address at the last sync from Fortnox (a sorted
list; absent: none). A link the Upsales → Fortnox sync made, or one saved before the key was
kept, records none until the customer's next sync from Fortnox, so it clears no address. The
Upsales → Fortnox sync keeps the key as it is."""


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


def placed(address: Address | None) -> Address | None:
    """``address`` when it has a street, zip code or city; None when it is a country alone,
    as a visiting or delivery address cleared in Fortnox is (Fortnox takes no blank country
    code): no such address is made in Upsales, and one the customer's filled is cleared."""
    if address is None or not any((address.address, address.zipcode, address.city)):
        return None
    return address


def delivery_fields(extra: Mapping[str, Any] | None) -> dict[str, str | None]:
    """The customer's delivery address fields by their Fortnox names, blanks as None; none at
    all when it has no delivery address, so a customer without one keeps the fingerprint it had
    before delivery addresses were synced (its link is not taken as changed in Fortnox)."""
    fields = {name: _text((extra or {}).get(name)) for name in DELIVERY_FIELDS}
    return fields if any(fields.values()) else {}


def delivery_address(fields: Mapping[str, str | None]) -> Address | None:
    """The Upsales ``Delivery`` address of :func:`delivery_fields` (its two street lines joined
    by ", ", as the postal address's are); None when the customer has none."""
    lines = (fields.get("DeliveryAddress1"), fields.get("DeliveryAddress2"))
    return address_of(
        DELIVERY_ADDRESS_TYPE,
        ", ".join(line for line in lines if line) or None,
        fields.get("DeliveryZipCode"),
        fields.get("DeliveryCity"),
        fields.get("DeliveryCountryCode"),
    )


def merge_addresses(
    current: Sequence[Address],
    mapped: dict[str, Address | None],
    *,
    fill_only: bool,
    from_fortnox: Collection[str] = (),
) -> list[Address]:
    """``current`` with the addresses the customer has replaced. An Upsales address of a type
    the customer lacks is kept, unless the type is one of ``from_fortnox`` (it held the
    customer's address at the last sync): then it is cleared. With ``fill_only`` a type Upsales
    already has is left alone. Of several addresses of one type only the first, the one the
    Upsales → Fortnox sync reads, is replaced: the others (a branch's invoice address, say) are
    kept.
    """
    present = {address.type for address in current}
    replaced: set[str | None] = set()
    merged: list[Address] = []
    for address in current:
        replacement = None if fill_only else _wanted(address.type or "", mapped, from_fortnox)
        if replacement is None or address.type in replaced:
            merged.append(address)
        else:
            replaced.add(address.type)
            merged.append(_moved(address, replacement))
    for address_type, added in mapped.items():
        if added is not None and address_type not in present:
            merged.append(added)
    return merged


def _wanted(
    address_type: str, mapped: dict[str, Address | None], from_fortnox: Collection[str]
) -> Address | None:
    """The address the customer has for ``address_type``: an empty one where it no longer has
    the one the company got from it; None where the company's is its own."""
    wanted = mapped.get(address_type)
    if wanted is None and address_type in mapped and address_type in from_fortnox:
        return Address(type=address_type)
    return wanted


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


def types_holding(addresses: Iterable[Address], mapped: Mapping[str, Address | None]) -> list[str]:
    """The types of ``mapped`` (the customer's addresses) whose first address among
    ``addresses`` holds the customer's address of that type, sorted: the company's addresses
    that came from Fortnox, or agree with it. An address the customer lacks is held by none."""
    first: dict[str, Address] = {}
    for address in addresses:
        first.setdefault(address.type or "", address)
    return sorted(
        address_type
        for address_type, wanted in mapped.items()
        if wanted is not None
        and address_type in first
        and address_key([first[address_type]]) == address_key([wanted])
    )


def fortnox_address_types(synced_fields: Mapping[str, Any] | None) -> frozenset[str]:
    """The address types a company link records as holding the customer's addresses
    (:data:`FORTNOX_ADDRESS_TYPES`); none when it records none."""
    recorded = (synced_fields or {}).get(FORTNOX_ADDRESS_TYPES)
    if not isinstance(recorded, list):
        return frozenset()
    return frozenset(item for item in recorded if isinstance(item, str))


def with_address_types(
    synced_fields: Mapping[str, Any], address_types: Collection[str]
) -> dict[str, Any]:
    """``synced_fields`` recording ``address_types`` (the key left out when there are none)."""
    fields = company_fields_of(synced_fields)
    if address_types:
        fields[FORTNOX_ADDRESS_TYPES] = sorted(address_types)
    return fields


def company_fields_of(synced_fields: Mapping[str, Any]) -> dict[str, Any]:
    """A company link's ``synced_fields`` without the address types it records: the company
    fields alone, as the three-way merge compares them."""
    return {name: value for name, value in synced_fields.items() if name != FORTNOX_ADDRESS_TYPES}
