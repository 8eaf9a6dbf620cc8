"""Fortnox articles → Upsales products: mapping and the sync decision (pure).

Products sync one way. An article becomes a product with the same article number (``articleNo``),
its description as the name, its purchase price as the purchase cost, and as list price its price
in the ONE chosen Fortnox price list (setting ``priceList``). An article without a price there
gets list price 0, and the decision says so (``priced=False``). An inactive or deleted article
deactivates the product (``active: 0``); Upsales products cannot be deleted. A deleted article's
link is removed too: a deal won with the product waits for an article
(``product_not_in_fortnox``), and one made again with the number links the product anew, which
makes it active and sends those deals.

An article without a linked product links to the unlinked Upsales product with its article
number (else the one whose number differs only in letter case) or, failing that, the one
product with its name, case and white space aside (which then gets the article
number), instead of creating a second product: a product made by hand in Upsales before its
article existed in Fortnox is the one its deals name.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final

from upsales_fortnox.core.texts import CATALOGUE, say
from upsales_fortnox.domain.fingerprint import fingerprint
from upsales_fortnox.domain.identity import normalise_article_number
from upsales_fortnox.domain.link_view import LinkView
from upsales_fortnox.domain.sync_commands import (
    Command,
    CreateUpsalesProduct,
    LinkTarget,
    RemoveLink,
    SaveLink,
    UpdateUpsalesProduct,
)
from upsales_fortnox.integrations.fortnox.models import Article
from upsales_fortnox.integrations.upsales.models import Product, ProductDraft
from upsales_fortnox.vocabulary import FortnoxType, LinkEntity

ZERO: Final = Decimal(0)
CREATED: Final = "created"
LINKED: Final = "linked"
UPDATED: Final = "updated"
UNCHANGED: Final = "unchanged"
DEACTIVATED: Final = "deactivated"
NOT_FOUND: Final = "not_found"

NO_ARTICLE_NUMBER: Final = "FORTNOX-NO-ARTICLE"
"""Article number of the Upsales product that carries Fortnox document rows without an
article (free-text rows with an amount); created on first use, never linked to an article."""
NO_ARTICLE_NAME: Final = say("product.without_article")
"""The catch-all product's name as it is created (Swedish, from the text catalogue)."""
NO_ARTICLE_NAMES: Final = frozenset(CATALOGUE["product.without_article"].values())
"""Every name the catch-all product is known by: one made before its name came from the
catalogue carries the English one."""


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def product_fields(article: Article, price: Decimal | None) -> dict[str, Any]:
    """The product fields an article maps to (Upsales names); ``price`` None → list price 0."""
    return {
        "name": _text(article.Description) or _text(article.ArticleNumber) or "",
        "articleNo": normalise_article_number(article.ArticleNumber),
        "listPrice": price if price is not None else ZERO,
        "purchaseCost": article.PurchasePrice if article.PurchasePrice is not None else ZERO,
        "active": article.Active is not False,
    }


def article_fingerprint(article: Article, price: Decimal | None) -> str:
    return fingerprint(product_fields(article, price))


def new_product(article: Article, price: Decimal | None) -> ProductDraft:
    return ProductDraft(**product_fields(article, price))


def product_changes(current: Product, wanted: dict[str, Any]) -> ProductDraft:
    """Only the fields of ``wanted`` that differ from ``current``."""
    changes = ProductDraft()
    for name, value in wanted.items():
        have = getattr(current, name)
        if isinstance(value, Decimal):
            if have is None or Decimal(have) != value:
                setattr(changes, name, value)
        elif isinstance(value, bool):
            if bool(have) != value:
                setattr(changes, name, value)
        elif (_text(have) or "") != (value or ""):
            setattr(changes, name, value)
    return changes


@dataclass(frozen=True)
class ArticleDecision:
    commands: list[Command] = field(default_factory=list)
    outcome: str = UNCHANGED
    product_id: int | None = None
    priced: bool = True
    """False when the chosen price list has no price for the article (list price 0)."""


def _save_link(product_id: int, article_number: str, fp: str | None) -> SaveLink:
    return SaveLink(LinkEntity.PRODUCT, product_id, FortnoxType.ARTICLE, article_number, fp)


def decide_article(
    article_number: str,
    article: Article | None,
    price: Decimal | None,
    *,
    link: LinkView | None,
    linked_product: Product | None,
    product_by_article_no: Product | None,
    linked_product_ids: Collection[int] = (),
    product_by_name: Product | None = None,
) -> ArticleDecision:
    """What to do about Fortnox article ``article_number``.

    ``article`` is its current state (None: deleted in Fortnox), ``price`` its price in the
    chosen price list (None: no price). ``link``/``linked_product`` the linked product (None when
    Upsales no longer has it), ``product_by_article_no`` the Upsales product with the same
    article number, ``product_by_name`` the one Upsales product with the article's name (None
    when none or several have it), ``linked_product_ids`` products linked to other articles.
    """
    if article is None:  # a product another article links, or only alike in case, is not its
        carrying = product_by_article_no
        if carrying is not None and (
            carrying.id in linked_product_ids
            or (carrying.articleNo or "").strip() != article_number
        ):
            carrying = None
        product = linked_product or carrying
        if product is None:
            commands: list[Command] = []
            if link is not None:
                commands.append(RemoveLink(FortnoxType.ARTICLE, article_number))
            return ArticleDecision(commands, NOT_FOUND, None)
        commands = []
        if product.active is not False:
            commands.append(UpdateUpsalesProduct(product.id, ProductDraft(active=False)))
        outcome = DEACTIVATED if commands else UNCHANGED
        if link is not None:  # the product no longer has an article: a deal with it waits
            commands.append(RemoveLink(FortnoxType.ARTICLE, article_number))
        return ArticleDecision(commands, outcome, product.id)

    wanted = product_fields(article, price)
    fp = fingerprint(wanted)
    priced = price is not None
    outcome_if_changed = DEACTIVATED if not wanted["active"] else UPDATED
    if link is not None and linked_product is not None:
        if link.fingerprint == fp:
            return ArticleDecision([], UNCHANGED, linked_product.id, priced)
        return _update(linked_product, wanted, article_number, fp, outcome_if_changed, priced)
    commands = []
    if link is not None:  # the linked product is gone from Upsales
        commands.append(RemoveLink(FortnoxType.ARTICLE, article_number))
    for candidate in (product_by_article_no, product_by_name):
        if candidate is not None and candidate.id not in linked_product_ids:
            linked = _update(candidate, wanted, article_number, fp, LINKED, priced)
            return ArticleDecision([*commands, *linked.commands], LINKED, candidate.id, priced)
    target = LinkTarget(LinkEntity.PRODUCT, FortnoxType.ARTICLE, article_number, fp)
    commands.append(CreateUpsalesProduct(ProductDraft(**wanted), target))
    return ArticleDecision(commands, CREATED, None, priced)


def _update(
    product: Product,
    wanted: dict[str, Any],
    article_number: str,
    fp: str,
    outcome: str,
    priced: bool,
) -> ArticleDecision:
    changes = product_changes(product, wanted)
    commands: list[Command] = []
    if changes.model_fields_set:
        commands.append(UpdateUpsalesProduct(product.id, changes))
    commands.append(_save_link(product.id, article_number, fp))
    return ArticleDecision(commands, outcome, product.id, priced)


def reprice_changes(product: Product, price: Decimal | None) -> ProductDraft | None:
    """The update that gives ``product`` its new list price, or None when it has it already."""
    wanted = price if price is not None else ZERO
    if product.listPrice is not None and Decimal(product.listPrice) == wanted:
        return None
    return ProductDraft(listPrice=wanted)


def no_article_product() -> ProductDraft:
    return ProductDraft(
        name=NO_ARTICLE_NAME, articleNo=NO_ARTICLE_NUMBER, listPrice=ZERO, active=True
    )
