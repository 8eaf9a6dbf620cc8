"""Fortnox article numbers of an order's products (shell).

Through the product links (one query for all rows). A product without a link falls back to its
Upsales ``articleNo`` when a Fortnox article has that number; the link is then stored so the
next order needs no lookup. The catch-all product of Fortnox rows without an article
(:data:`~upsales_fortnox.domain.inbound.products.NO_ARTICLE_NUMBER`) makes rows without an
article (:data:`~upsales_fortnox.domain.outbound.rows.WITHOUT_ARTICLE`). Anything else is
missing, and mapping names the product in a :class:`~.rows.ProductNotInFortnox` error: a row
is never dropped silently.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from upsales_fortnox.domain.identity import normalise_article_number
from upsales_fortnox.domain.inbound.products import NO_ARTICLE_NUMBER
from upsales_fortnox.domain.outbound.rows import WITHOUT_ARTICLE
from upsales_fortnox.integrations.fortnox.errors import FortnoxNotFound
from upsales_fortnox.integrations.ports import FortnoxPort, UpsalesPort
from upsales_fortnox.integrations.upsales.errors import UpsalesNotFound
from upsales_fortnox.links.repository.won_deal_links import WonDealLinks


@dataclass
class ArticleNumbers:
    by_product: dict[int, str] = field(default_factory=dict)
    product_names: dict[int, str] = field(default_factory=dict)
    linked_now: list[int] = field(default_factory=list)
    """Products linked by their article number during this lookup."""


async def resolve_article_numbers(
    links: WonDealLinks,
    fortnox: FortnoxPort,
    upsales: UpsalesPort,
    product_ids: Sequence[int],
    linked: Mapping[int, str],
) -> ArticleNumbers:
    """``linked`` holds the products' article links as the caller read them."""
    result = ArticleNumbers(by_product=dict(linked))
    for product_id in product_ids:
        if product_id in linked:
            continue
        try:
            product = await upsales.get_product(product_id)
        except UpsalesNotFound:
            continue
        if product.name:
            result.product_names[product_id] = product.name
        article_number = normalise_article_number(product.articleNo)
        if article_number is None:
            continue
        if article_number == NO_ARTICLE_NUMBER:
            result.by_product[product_id] = WITHOUT_ARTICLE
            continue
        try:
            article = await fortnox.get_article(article_number)
        except FortnoxNotFound:
            continue
        number = article.ArticleNumber or article_number
        result.by_product[product_id] = number
        if await links.link_article(product_id, number):
            result.linked_now.append(product_id)
    return result
