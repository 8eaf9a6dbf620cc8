"""The products of a document's articles that the articles phase did not import.

The articles phase imports the active articles only; a document made before one of its
articles was retired names an article with no product yet. Its rows are that article's, not
rows without an article: the article's product is made (or found) as its change event makes it
(:func:`~upsales_fortnox.domain.inbound.products.decide_article`: inactive, priced from the
chosen price list, linked to the unlinked product with its article number or its name), once
per run. One article at a time: the documents of a page are imported together, and two
creating the same product would have Upsales refuse the second (article numbers are unique).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, MutableMapping

from upsales_fortnox.domain.inbound.products import decide_article
from upsales_fortnox.integrations.errors import PermanentError
from upsales_fortnox.integrations.fortnox.errors import FortnoxNotFound
from upsales_fortnox.integrations.fortnox.models import Article
from upsales_fortnox.links.repository.link_reads import linked_upsales_ids
from upsales_fortnox.sync import interpreter
from upsales_fortnox.sync.inbound.article_sync import only_product_named
from upsales_fortnox.sync.inbound.pricing import article_price
from upsales_fortnox.sync.initial.import_context import ImportContext
from upsales_fortnox.sync.initial.import_outcomes import RUN_ENDING
from upsales_fortnox.sync.interpreter import Effects
from upsales_fortnox.vocabulary import LinkEntity


class DocumentArticles:
    """Brings over the articles documents name that have no product yet (see the module)."""

    def __init__(self, ctx: ImportContext, effects: Effects) -> None:
        self._ctx = ctx
        self._effects = effects
        self._lock = asyncio.Lock()
        self._gone: set[str] = set()
        """Articles Fortnox no longer has, or whose product Upsales refused: their rows stay
        rows without an article."""

    async def bring_over(self, numbers: Iterable[str], products: MutableMapping[str, int]) -> None:
        """Put in ``products`` (article number → product id) a product for each of
        ``numbers`` it lacks."""
        missing = [number for number in dict.fromkeys(numbers) if number not in products]
        if not missing:
            return
        async with self._lock:
            for number in missing:
                if number in products or number in self._gone:
                    continue
                try:
                    product_id = await self._product_of(number)
                except RUN_ENDING:
                    raise
                except PermanentError:  # refused: its rows stay rows without an article
                    product_id = None
                if product_id is None:
                    self._gone.add(number)
                else:
                    products[number] = product_id

    async def _product_of(self, number: str) -> int | None:
        fortnox, upsales = self._ctx.fortnox, self._ctx.upsales
        try:
            article: Article = await fortnox.get_article(number)
        except FortnoxNotFound:
            return None
        price_list = self._ctx.settings.price_list
        price = (
            article.SalesPrice
            if price_list is None
            else await article_price(fortnox, price_list, number)
        )
        by_article_no = await upsales.find_product_by_article_no(number)
        by_name = None
        if by_article_no is None:
            by_name = await only_product_named(upsales, article.Description)
        linked = await linked_upsales_ids(
            self._ctx.session_factory, self._ctx.installation_id, LinkEntity.PRODUCT
        )
        decision = decide_article(
            number,
            article,
            price,
            link=None,
            linked_product=None,
            product_by_article_no=by_article_no,
            linked_product_ids=linked,
            product_by_name=by_name,
        )
        applied = await interpreter.apply(decision.commands, self._effects)
        if decision.product_id is not None:
            return decision.product_id
        return next(iter(applied.created_ids), None)
