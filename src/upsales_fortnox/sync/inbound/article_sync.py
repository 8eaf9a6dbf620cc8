"""Syncing one Fortnox article into Upsales (the shell around :func:`.products.decide_article`).

The price is the article's base price (:mod:`.pricing`) in the chosen price list (setting
``priceList``). With no price list chosen, the article's ``SalesPrice`` (its price in Fortnox's
default price list) is used.
"""

from __future__ import annotations

from decimal import Decimal

from upsales_fortnox.domain.identity import name_spellings, normalise_name
from upsales_fortnox.domain.inbound.products import (
    LINKED,
    NO_ARTICLE_NUMBER,
    decide_article,
    no_article_product,
)
from upsales_fortnox.domain.sync_commands import CreateUpsalesProduct
from upsales_fortnox.integrations.fortnox.errors import FortnoxNotFound, FortnoxNumberUnreadable
from upsales_fortnox.integrations.fortnox.models import Article
from upsales_fortnox.integrations.ports import UpsalesPort
from upsales_fortnox.integrations.upsales.errors import UpsalesNotFound
from upsales_fortnox.integrations.upsales.models import Product
from upsales_fortnox.integrations.upsales.spellings import find_spelled
from upsales_fortnox.sync.inbound.currency_prices import (
    currency_prices,
    write_currency_prices,
)
from upsales_fortnox.sync.inbound.deal_retry import retry_deals_missing_articles
from upsales_fortnox.sync.inbound.inbound_job import InboundJob
from upsales_fortnox.sync.inbound.pricing import article_price
from upsales_fortnox.sync.inbound.stock_sync import stock_level, write_stock
from upsales_fortnox.sync.results.inbound import (
    ArticleSyncResult,
    CurrencyPricesWritten,
    StockWritten,
)
from upsales_fortnox.vocabulary import FortnoxType, LinkEntity


async def list_price(job: InboundJob, article: Article) -> Decimal | None:
    """The article's price in the chosen price list (one call); None when the list has none."""
    price_list = job.context.settings.price_list
    if price_list is None:
        return article.SalesPrice
    return await article_price(job.context.fortnox, price_list, article.ArticleNumber or "")


async def sync_article(job: InboundJob, article_number: str) -> ArticleSyncResult:
    """Bring Upsales in line with Fortnox article ``article_number`` (404: deleted)."""
    upsales = job.context.upsales
    try:
        article: Article | None = await job.context.fortnox.get_article(article_number)
    except FortnoxNumberUnreadable:
        raise  # it exists: not deleted
    except FortnoxNotFound:
        article = None
    price = await list_price(job, article) if article is not None else None
    link = await job.link_by_fortnox(FortnoxType.ARTICLE, article_number)
    linked_product: Product | None = None
    if link is not None:
        try:
            linked_product = await upsales.get_product(link.upsales_id)
        except UpsalesNotFound:
            linked_product = None
    by_article_no = by_name = None
    if linked_product is None:
        by_article_no = await upsales.find_product_by_article_no(article_number)
        if article is not None and by_article_no is None:
            by_name = await only_product_named(upsales, article.Description)
    candidates = [p.id for p in (by_article_no, by_name) if p is not None]
    linked_ids = (
        await job.linked_elsewhere(
            LinkEntity.PRODUCT, FortnoxType.ARTICLE, candidates, article_number
        )
        if candidates
        else set()
    )
    decision = decide_article(
        article_number,
        article,
        price,
        link=link,
        linked_product=linked_product,
        product_by_article_no=by_article_no,
        linked_product_ids=linked_ids,
        product_by_name=by_name,
    )
    created = await job.apply(decision.commands)
    product_id = (
        decision.product_id if decision.product_id is not None else next(iter(created), None)
    )
    if decision.outcome == LINKED:
        await retry_deals_missing_articles(job.session_factory, job.installation_id)
    stock: StockWritten | None = None
    currencies: CurrencyPricesWritten | None = None
    settings = job.context.settings
    read = None if created else (linked_product or by_article_no or by_name)
    if settings.stock_levels and article is not None and product_id is not None:
        stock = await _sync_stock(job, article, product_id, read)
    if settings.currency_price_lists and article is not None and product_id is not None:
        prices = await currency_prices(
            job.context.fortnox, settings.currency_price_lists, article_number
        )
        price_list_id = await job.price_lists.written(job.installation_id, upsales)
        written = await write_currency_prices(
            upsales, product_id, read, prices, price_list_id=price_list_id
        )
        currencies = CurrencyPricesWritten(
            {code: str(price) for code, price in prices.items()}, written
        )
    return ArticleSyncResult(
        article_number, decision.outcome, product_id, decision.priced, stock, currencies
    )


async def _sync_stock(
    job: InboundJob, article: Article, product_id: int, product: Product | None
) -> StockWritten:
    level, source = await stock_level(job.context.fortnox, job.installation_id, article)
    field_ids = await job.fields.ids(job.context, "product")
    written = await write_stock(job.context.upsales, product_id, product, field_ids, level)
    return StockWritten(source, written)


async def only_product_named(upsales: UpsalesPort, name: str | None) -> Product | None:
    """The one Upsales product without an article number named ``name`` (case and white space
    aside, as companies are); None when there is none or more than one (a guess between several
    would link the wrong one)."""
    wanted = normalise_name(name)
    if wanted is None:
        return None
    spelled = await find_spelled(upsales.iterate_products, "name", name_spellings(name))
    found = [product for product in spelled if normalise_name(product.name) == wanted]
    return found[0] if len(found) == 1 and not found[0].articleNo else None


async def fallback_product_id(job: InboundJob) -> int:
    """The product for document rows without an article; created on first use."""
    upsales = job.context.upsales
    existing = await upsales.find_product_by_article_no(NO_ARTICLE_NUMBER)
    if existing is not None:
        return existing.id
    (created,) = await job.apply([CreateUpsalesProduct(no_article_product(), None)])
    return created
