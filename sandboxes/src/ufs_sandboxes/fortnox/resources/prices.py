"""Prices: ``/3/prices``. A price is keyed by price list, article number and from-quantity.

No change events: Fortnox has no price topic (*unverified*).
"""

from __future__ import annotations

from decimal import Decimal

from ufs_sandboxes.fortnox import errors
from ufs_sandboxes.fortnox.facts import DOCUMENT_NOT_FOUND_CODE
from ufs_sandboxes.fortnox.fields import (
    DECIMAL,
    TEXT,
    Entity,
    Schema,
    parse_fields,
    read_only,
    shape_of,
    to_decimal,
    validation_error,
)
from ufs_sandboxes.fortnox.resources.pricelists import get_pricelist
from ufs_sandboxes.fortnox.tenant import Tenant
from ufs_sandboxes.fortnox.wire import Shape, Wire

FIELDS: Schema = {
    "PriceList": TEXT,
    "ArticleNumber": TEXT,
    "FromQuantity": DECIMAL,
    "Price": DECIMAL,
    "Percent": DECIMAL,
    "Date": read_only(wire=Wire.DATETIME),
}
SHAPE = shape_of(FIELDS)
LIST_SHAPE: Shape = {
    name: SHAPE[name] for name in ("ArticleNumber", "FromQuantity", "Price", "PriceList")
}
"""The spec's ``PriceListItem``: the sublist is slimmer than a price (no ``Percent``, ``Date``)."""
_ZERO = Decimal(0)


def parse_from_quantity(raw: str | None) -> Decimal:
    if raw is None:
        return _ZERO
    try:
        return to_decimal("FromQuantity", raw)
    except errors.FortnoxError:
        raise _price_not_found() from None


def get_price(
    tenant: Tenant, price_list: str, article_number: str, from_quantity: Decimal
) -> Entity:
    price = tenant.prices.get(price_list, {}).get(article_number, {}).get(from_quantity)
    if price is None:
        raise _price_not_found()
    return price


def prices_of_article(tenant: Tenant, price_list: str, article_number: str) -> list[Entity]:
    get_pricelist(tenant, price_list)
    tiers = tenant.prices.get(price_list, {}).get(article_number, {})
    return [tiers[quantity] for quantity in sorted(tiers)]


def price_for_quantity(
    tenant: Tenant, price_list: str, article_number: str, quantity: Decimal
) -> Decimal | None:
    """The price of the highest from-quantity tier not above ``quantity``."""
    tiers = tenant.prices.get(price_list, {}).get(article_number)
    if not tiers:
        return None
    eligible = [tier for tier in tiers if tier <= abs(quantity)]
    if not eligible:
        return None
    price: Decimal = tiers[max(eligible)]["Price"]
    return price


def create_price(tenant: Tenant, payload: Entity) -> Entity:
    values = parse_fields(FIELDS, payload)
    price_list = values.get("PriceList")
    article_number = values.get("ArticleNumber")
    if not price_list or not article_number:
        raise validation_error("Priset måste ha PriceList och ArticleNumber")
    get_pricelist(tenant, price_list)
    if tenant.articles.get(article_number) is None:
        raise errors.bad_request(
            errors.ARTICLE_IN_REQUEST_NOT_FOUND, f"Kunde inte hitta artikel ({article_number})"
        )
    from_quantity: Decimal = values.get("FromQuantity", _ZERO)
    if from_quantity < 0:
        raise validation_error("FromQuantity får inte vara negativt")
    tiers = tenant.prices.setdefault(price_list, {}).setdefault(article_number, {})
    if from_quantity in tiers:
        raise validation_error("Priset finns redan")
    price: Entity = {
        "ArticleNumber": article_number,
        "Date": tenant.timestamp(),
        "FromQuantity": from_quantity,
        "Percent": values.get("Percent", _ZERO),
        "Price": values.get("Price", _ZERO),
        "PriceList": price_list,
    }
    tiers[from_quantity] = price
    return price


def update_price(
    tenant: Tenant, price_list: str, article_number: str, from_quantity: Decimal, payload: Entity
) -> Entity:
    price = get_price(tenant, price_list, article_number, from_quantity)
    values = parse_fields(FIELDS, payload)
    for key_field, current in (
        ("PriceList", price_list),
        ("ArticleNumber", article_number),
        ("FromQuantity", from_quantity),
    ):
        if values.pop(key_field, current) != current:
            raise validation_error(f"{key_field} kan inte ändras")
    price.update(values)
    price["Date"] = tenant.timestamp()
    return price


def delete_price(
    tenant: Tenant, price_list: str, article_number: str, from_quantity: Decimal
) -> None:
    get_price(tenant, price_list, article_number, from_quantity)
    del tenant.prices[price_list][article_number][from_quantity]


def _price_not_found() -> errors.FortnoxError:
    return errors.not_found(DOCUMENT_NOT_FOUND_CODE, "Kan inte hitta priset.")
