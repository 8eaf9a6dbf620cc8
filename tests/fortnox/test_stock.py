"""Reading a stock balance in either shape the spec leaves open, and the article fallback."""

from __future__ import annotations

from decimal import Decimal

from upsales_fortnox.integrations.fortnox.models import Article
from upsales_fortnox.integrations.fortnox.stock import StockLevel, article_stock, balance_of

D = Decimal


def test_one_object_as_the_schema_declares() -> None:
    answer = {"itemId": "KONS-1", "stockPointCode": "HUV", "inStock": 10, "availableStock": 7.5}
    assert balance_of(answer, "KONS-1") == StockLevel(D(10), D("7.5"))


def test_a_list_per_stock_point_is_added_up_for_the_article_only() -> None:
    answer = [
        {"itemId": "KONS-1", "stockPointCode": "HUV", "inStock": 10, "availableStock": 7},
        {"itemId": "kons-1", "stockPointCode": "FIL", "inStock": "2.5", "availableStock": "2.5"},
        {"itemId": "LIC-BAS", "stockPointCode": "HUV", "inStock": 99, "availableStock": 99},
        "not an object",
    ]
    assert balance_of(answer, "KONS-1") == StockLevel(D("12.5"), D("9.5"))


def test_an_article_the_answer_does_not_name_has_no_stock() -> None:
    assert balance_of([], "KONS-1") == StockLevel(D(0), D(0))
    assert balance_of({"itemId": "X", "inStock": None}, "X") == StockLevel(D(0), D(0))


def test_without_fortnox_lager_the_article_register_counts() -> None:
    article = Article(ArticleNumber="A", QuantityInStock=D(12), DisposableQuantity=D(8))
    assert article_stock(article) == StockLevel(D(12), D(8))
    assert article_stock(Article(ArticleNumber="B", QuantityInStock=D(3))) == StockLevel(D(3), D(3))
