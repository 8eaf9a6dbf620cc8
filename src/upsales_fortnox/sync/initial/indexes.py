"""Compact indexes of what Upsales already holds, built once per run by streaming its pages.

Memory is bounded by the indexes, never by entity bodies: each page of 2,000 records is read,
reduced to the few fields matching needs and dropped. Kept per phase (only the current phase's):

* customers: the inbound sync's :class:`CompanyIndex` over *slim* companies (id, name, orgNo,
  and the Fortnox customer number custom field): customer number → ids, normalised
  organisation number → ids, normalised name → ids; and the ids of companies already linked.
* articles: article number (exactly, and up to letter case) → slim product (id, name,
  articleNo, listPrice, purchaseCost, active), the fields the product mapping compares, and
  name → the products of that name
  (an article links to the one product of its name that has no article number, as the
  inbound sync's :func:`~upsales_fortnox.sync.inbound.article_sync.sync_article` does); the
  ids of products already linked; and the chosen price list as article number → price (the
  base price, ``FromQuantity`` 0).
* documents: article number → linked product id (every article link), and Fortnox document
  reference (order custom field ``FORTNOX_DOCUMENT``) → order id, or, in an account without
  that field, the description the import gives an order (``Fortnox invoice 12``) → the order
  not linked to a document of the phase's type (as the inbound sync finds one), so an order
  created just before a crash is found instead of created again.

The ids already linked are read from the links repository
(:mod:`upsales_fortnox.links.repository.link_reads`). Roughly 100-200 bytes per indexed record:
10,000 companies take a few MB.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from upsales_fortnox.domain.identity import (
    article_number_key,
    normalise_article_number,
    normalise_name,
)
from upsales_fortnox.domain.inbound.company_matching import (
    CompanyIndex,
)
from upsales_fortnox.domain.inbound.document_changes import description_made_here
from upsales_fortnox.integrations.ports import UpsalesPort
from upsales_fortnox.integrations.upsales.models import Company, CustomField, CustomValue, Product


def custom_field_id(fields: Sequence[CustomField], alias: str) -> int | None:
    """The id of the custom field with ``alias`` (case and surrounding space aside)."""
    wanted = alias.strip().casefold()
    for item in fields:
        if (item.alias or "").strip().casefold() == wanted:
            return item.id
    return None


def _custom_value(values: list[CustomValue] | None, field_id: int | None) -> Any:
    if field_id is None:
        return None
    for item in values or ():
        if item.fieldId == field_id:
            return item.value
    return None


def slim_company(company: Company, customer_number_field_id: int | None) -> Company:
    """The company reduced to what matching reads."""
    custom = [item for item in company.custom or () if item.fieldId == customer_number_field_id]
    return Company(
        id=company.id,
        name=company.name,
        orgNo=company.orgNo,
        custom=custom or None,
        isExternal=company.isExternal,
    )


async def company_index(
    upsales: UpsalesPort, *, customer_number_field_id: int | None, linked_ids: set[int]
) -> CompanyIndex:
    index = CompanyIndex(
        (), customer_number_field_id=customer_number_field_id, linked_company_ids=linked_ids
    )
    async for company in upsales.iterate_companies():
        index.add(slim_company(company, customer_number_field_id))
    return index


def slim_product(product: Product) -> Product:
    return Product(
        id=product.id,
        name=product.name,
        articleNo=product.articleNo,
        listPrice=product.listPrice,
        purchaseCost=product.purchaseCost,
        active=product.active,
    )


class ProductIndex:
    """Upsales' products by article number (unique in Upsales), up to letter case, and by
    name."""

    def __init__(self) -> None:
        self.by_article_no: dict[str, Product] = {}
        self._by_key: dict[str, dict[int, Product]] = {}
        self._by_name: dict[str, list[Product]] = {}

    def add(self, product: Product) -> None:
        slim = slim_product(product)
        article_number = normalise_article_number(product.articleNo)
        if article_number is not None:
            self.by_article_no[article_number] = slim
            self._by_key.setdefault(article_number_key(article_number) or "", {})[product.id] = slim
        name = normalise_name(product.name)
        if name is not None:
            self._by_name.setdefault(name, []).append(slim)

    def with_article_no(self, number: str) -> Product | None:
        """The product carrying article number ``number``: exactly, else the one carrying it up
        to letter case (:func:`~upsales_fortnox.domain.identity.article_number_key`); None when
        none, or several differing only in case."""
        exact = self.by_article_no.get(number)
        if exact is not None:
            return exact
        found = self._by_key.get(article_number_key(number) or "", {})
        return next(iter(found.values())) if len(found) == 1 else None

    def only_named(self, name: str | None) -> Product | None:
        """The one product named ``name`` (case and white space aside, as companies are), if it
        has no article number; None when none or several have the name (a guess between
        several would link the wrong one)."""
        found = self._by_name.get(normalise_name(name) or "", [])
        if len(found) != 1 or normalise_article_number(found[0].articleNo) is not None:
            return None
        return found[0]


async def product_index(upsales: UpsalesPort) -> ProductIndex:
    index = ProductIndex()
    async for product in upsales.iterate_products():
        index.add(product)
    return index


async def order_reference_index(
    upsales: UpsalesPort, document_field_id: int | None, *, linked_ids: Collection[int] = ()
) -> dict[str, int]:
    """Fortnox document reference → Upsales order id; without the custom field, the
    description of an order the import made (as it is made now, whichever language it was made
    in) → its id, for the orders not in ``linked_ids``."""
    index: dict[str, int] = {}
    async for order in upsales.iterate_orders():
        if document_field_id is not None:
            value = _custom_value(order.custom, document_field_id)
            if value:
                index[str(value).strip()] = order.id
            continue
        made_here = description_made_here(order.description or "")
        if order.id not in linked_ids and made_here is not None:
            index[made_here] = order.id
    return index
