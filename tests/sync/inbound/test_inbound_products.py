"""Fortnox articles → Upsales products: pricing from the chosen list, linking, deactivation."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from upsales_fortnox.domain.inbound.products import (
    CREATED,
    DEACTIVATED,
    LINKED,
    NOT_FOUND,
    UNCHANGED,
    UPDATED,
    article_fingerprint,
    decide_article,
    reprice_changes,
)
from upsales_fortnox.domain.link_view import LinkView
from upsales_fortnox.domain.sync_commands import (
    CreateUpsalesProduct,
    RemoveLink,
    SaveLink,
    UpdateUpsalesProduct,
)
from upsales_fortnox.integrations.fortnox.models import Article
from upsales_fortnox.integrations.upsales.models import Product, ProductDraft
from upsales_fortnox.vocabulary import FortnoxType, LinkEntity


def article(**fields: Any) -> Article:
    base: dict[str, Any] = {
        "ArticleNumber": "KONS-1",
        "Description": "Konsulttimme",
        "PurchasePrice": "600",
        "Active": True,
    }
    base.update(fields)
    return Article.model_validate(base)


def product(product_id: int, **fields: Any) -> Product:
    base: dict[str, Any] = {
        "id": product_id,
        "name": "Konsulttimme",
        "articleNo": "KONS-1",
        "listPrice": "1250",
        "purchaseCost": "600",
        "active": 1,
    }
    base.update(fields)
    return Product.model_validate(base)


def link(product_id: int, fingerprint: str | None = "old") -> LinkView:
    return LinkView(LinkEntity.PRODUCT, product_id, FortnoxType.ARTICLE, "KONS-1", fingerprint)


def decide(fortnox: Article | None, price: Decimal | None, **kwargs: Any) -> Any:
    params: dict[str, Any] = {"link": None, "linked_product": None, "product_by_article_no": None}
    params.update(kwargs)
    return decide_article("KONS-1", fortnox, price, **params)


def test_new_article_becomes_a_product_priced_from_the_list() -> None:
    decision = decide(article(), Decimal("1250.00"))
    assert decision.outcome == CREATED and decision.priced
    (command,) = decision.commands
    assert isinstance(command, CreateUpsalesProduct)
    assert command.product.to_wire() == {
        "name": "Konsulttimme",
        "articleNo": "KONS-1",
        "listPrice": Decimal("1250.00"),
        "purchaseCost": Decimal("600"),
        "active": 1,
    }
    assert command.link is not None
    assert command.link.fingerprint == article_fingerprint(article(), Decimal("1250"))


def test_article_without_a_price_gets_list_price_zero_and_says_so() -> None:
    decision = decide(article(), None)
    assert not decision.priced
    (command,) = decision.commands
    assert isinstance(command, CreateUpsalesProduct)
    assert command.product.listPrice == Decimal(0)


def test_existing_product_with_the_article_number_is_linked_not_duplicated() -> None:
    decision = decide(article(), Decimal("1300"), product_by_article_no=product(5))
    assert decision.outcome == LINKED and decision.product_id == 5
    update, save = decision.commands
    assert update == UpdateUpsalesProduct(5, ProductDraft(listPrice=Decimal("1300")))
    assert isinstance(save, SaveLink) and save.upsales_id == 5


def test_product_linked_to_another_article_is_not_taken() -> None:
    decision = decide(
        article(), Decimal(1250), product_by_article_no=product(5), linked_product_ids={5}
    )
    assert decision.outcome == CREATED


def test_unchanged_article_is_a_no_op() -> None:
    fp = article_fingerprint(article(), Decimal(1250))
    decision = decide(article(), Decimal("1250.00"), link=link(5, fp), linked_product=product(5))
    assert decision.outcome == UNCHANGED and decision.commands == []


def test_changed_article_updates_only_what_differs() -> None:
    decision = decide(
        article(Description="Konsulttimme senior"),
        Decimal(1250),
        link=link(5),
        linked_product=product(5),
    )
    assert decision.outcome == UPDATED
    assert decision.commands[0] == UpdateUpsalesProduct(5, ProductDraft(name="Konsulttimme senior"))


def test_inactive_article_deactivates_the_product() -> None:
    decision = decide(article(Active=False), Decimal(1250), link=link(5), linked_product=product(5))
    assert decision.outcome == DEACTIVATED
    assert decision.commands[0] == UpdateUpsalesProduct(5, ProductDraft(active=False))
    assert decision.commands[0].changes.to_wire() == {"active": 0}


def test_deleted_article_deactivates_the_product_and_drops_its_link() -> None:
    """Without the link, a deal won with the product waits for an article, and an article made
    again with the number links the product anew (making it active)."""
    decision = decide(None, None, link=link(5), linked_product=product(5))
    assert decision.outcome == DEACTIVATED
    assert decision.commands == [
        UpdateUpsalesProduct(5, ProductDraft(active=False)),
        RemoveLink(FortnoxType.ARTICLE, "KONS-1"),
    ]


def test_a_deleted_article_deactivates_no_product_of_another_article() -> None:
    """Deleted, an unlinked article deactivates the product carrying exactly its number; not
    one whose number is only alike in letter case (``kons-1``), nor one another article links."""
    unlinked = decide(None, None, product_by_article_no=product(5))
    assert unlinked.outcome == DEACTIVATED
    alike = decide(None, None, product_by_article_no=product(6, articleNo="kons-1"))
    assert alike.outcome == NOT_FOUND and alike.commands == []
    elsewhere = decide(None, None, product_by_article_no=product(7), linked_product_ids={7})
    assert elsewhere.outcome == NOT_FOUND and elsewhere.commands == []


def test_deleted_article_of_an_inactive_product_only_drops_its_link() -> None:
    inactive = product(5, active=0)
    decision = decide(None, None, link=link(5), linked_product=inactive)
    assert decision.outcome == UNCHANGED
    assert decision.commands == [RemoveLink(FortnoxType.ARTICLE, "KONS-1")]
    unlinked = decide(None, None, product_by_article_no=inactive)
    assert unlinked.outcome == UNCHANGED and unlinked.commands == []


def test_deleted_unknown_article_does_nothing_but_drop_a_stale_link() -> None:
    assert decide(None, None).outcome == NOT_FOUND
    decision = decide(None, None, link=link(5), linked_product=None)
    assert decision.commands == [RemoveLink(FortnoxType.ARTICLE, "KONS-1")]


def test_reprice_changes_only_a_different_price() -> None:
    assert reprice_changes(product(5), Decimal("1250.00")) is None
    assert reprice_changes(product(5), Decimal("1100")) == ProductDraft(listPrice=Decimal(1100))
    assert reprice_changes(product(5), None) == ProductDraft(listPrice=Decimal(0))
    assert reprice_changes(product(5, listPrice="0"), None) is None
