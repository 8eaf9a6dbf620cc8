"""The catalogue of end-user texts: every part of it merged, Swedish and English for every text,
the same placeholders, no internal code, no doubled word; and the answers Upsales shows come
from it."""

from __future__ import annotations

import importlib
import pkgutil
import re
import string
from typing import Any

import pytest

from tests.sync.outbound.outbound_builders import order, order_row
from upsales_fortnox.activation import errors as activation_errors
from upsales_fortnox.core import texts
from upsales_fortnox.core.texts import (
    CATALOGUE,
    Language,
    Phrase,
    language_of_hook,
    language_of_request,
    merged,
    render,
    say,
)
from upsales_fortnox.domain.outbound.rows import UnsendableOrder, plan_rows
from upsales_fortnox.vocabulary import ProductBundleMode

SNAKE_CASE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")
DOUBLED = re.compile(r"\b(\w+)\s+\1\b", re.IGNORECASE)
#: Common English words that are no Swedish words: one of them in a Swedish text means an
#: English text leaked into it.
ENGLISH_WORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "has",
        "have",
        "had",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "cannot",
        "can",
        "not",
        "no",
        "of",
        "with",
        "without",
        "to",
        "and",
        "its",
        "it",
        "this",
        "that",
        "which",
        "for",
        "from",
        "bundle",
        "bundles",
        "row",
        "rows",
        "price",
        "quantity",
        "product",
        "products",
        "company",
        "body",
        "names",
        "order's",
        "article",
        "articles",
        "sent",
        "send",
        "login",
        "failed",
        "please",
    ]
)
#: Realistic values for every placeholder; the nested problems are real catalogue phrases.
REALISTIC: dict[str, object] = {
    "problems": Phrase("order.named_product_without_article", name="Konsulttimme"),
    "name": "Konsulttimme",
    "product_id": 5,
    "row": 2,
    "rows": 501,
    "limit": 500,
    "value": "'12-3'",
    "field": "ZipCode",
    "field_sv": "postnummer",
    "length": 12,
    "max_length": 10,
    "document": Phrase("document.invoice"),
    "number": "17",
    "company_id": 42,
    "currency": "EUR",
    "document_currency": "EUR",
    "net": "1200.50",
    "rate": "0.087",
    "document_rate": "11.2",
    "home": "SEK",
    "unit": 1,
    "standing": "16",
    "probability": 50,
    "count": 12,
}


def english_words(text: str) -> set[str]:
    return {word for word in re.findall(r"[\w']+", text.lower()) if word in ENGLISH_WORDS}


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def _parts() -> dict[str, dict[str, dict[str, str]]]:
    """Each module of the catalogue's package (but its languages) and the texts it holds."""
    names = {info.name for info in pkgutil.iter_modules(texts.__path__)} - {"languages"}
    return {
        name: importlib.import_module(f"{texts.__name__}.{name}").TEXTS for name in sorted(names)
    }


def test_the_catalogue_is_every_part_merged_each_key_from_one_part() -> None:
    parts = _parts()
    assert len(parts) >= 5
    assert sum(len(part) for part in parts.values()) == len(CATALOGUE)
    for part in parts.values():
        assert {key: CATALOGUE[key] for key in part} == part


def test_a_key_in_two_parts_is_refused() -> None:
    with pytest.raises(ValueError, match=re.escape("order.no_company")):
        merged(
            {"order.no_company": {"sv": "a", "en": "a"}},
            {"order.no_company": {"sv": "b", "en": "b"}},
        )


@pytest.mark.parametrize("key", sorted(CATALOGUE))
def test_every_text_has_both_languages_with_the_same_placeholders(key: str) -> None:
    texts = CATALOGUE[key]
    assert set(texts) == {"sv", "en"}
    assert _placeholders(texts["en"]) <= _placeholders(texts["sv"]) | {"field"}
    assert _placeholders(texts["sv"]) - {"field_sv"} <= _placeholders(texts["en"])


@pytest.mark.parametrize("language", ["sv", "en"])
@pytest.mark.parametrize("key", sorted(CATALOGUE))
def test_no_internal_code_or_doubled_word(key: str, language: Language) -> None:
    text = say(key, language, **REALISTIC)
    assert not SNAKE_CASE.search(text), text
    assert not DOUBLED.search(text), text
    for code in _stable_codes():
        assert code not in text
    template = CATALOGUE[key][language]
    # Every placeholder filled: the only braces left are those the template writes doubled.
    assert text.count("{") == template.count("{{"), text
    assert text.count("}") == template.count("}}"), text
    if language == "sv":
        assert not english_words(text), text


def _unsendable_cases() -> dict[str, tuple[list[dict[str, Any]], ProductBundleMode]]:
    without_product = order_row(1, 1, "100")
    del without_product["product"]
    no_quantities = [{"productId": 11, "quantity": 0, "price": "100", "listPrice": "100"}]
    unnamed_bundle = order_row(10, 1, "450", bundle=no_quantities)
    unnamed_bundle["product"] = {"id": 10}
    unnamed_missing = order_row(99, 1, "100")
    unnamed_missing["product"] = {"id": 99}
    only_sub = ProductBundleMode.ONLY_SUB_PRODUCTS
    return {
        "row without product": ([order_row(2, 1, "5"), without_product], only_sub),
        "bundle without quantities": (
            [order_row(10, 1, "450", bundle=no_quantities, name="Paket")],
            only_sub,
        ),
        "unnamed bundle without quantities": ([unnamed_bundle], only_sub),
        "product without article": (
            [order_row(99, 1, "100", name="Konsulttimme")],
            ProductBundleMode.ONLY_BUNDLE,
        ),
        "unnamed product without article": ([unnamed_missing], ProductBundleMode.ONLY_BUNDLE),
    }


@pytest.mark.parametrize("case", sorted(_unsendable_cases()))
def test_the_planners_refusals_read_as_swedish_only(case: str) -> None:
    rows, mode = _unsendable_cases()[case]
    articles = {1: "A1", 2: "A2", 10: "PAKET", 11: "SUB1"}
    with pytest.raises(UnsendableOrder) as refused:
        plan_rows(order(rows).orderRow or [], mode, articles)

    problem = refused.value.message
    assert isinstance(problem, Phrase), problem  # a catalogue text, not English built in code
    swedish = say("order.refused", "sv", problems=problem)
    assert not english_words(swedish), swedish
    assert not SNAKE_CASE.search(swedish), swedish
    english = say("order.refused", "en", problems=problem)
    assert english == f"The order cannot be sent to Fortnox: {problem}."


def test_a_row_without_product_is_named_by_its_place_in_the_order() -> None:
    rows, mode = _unsendable_cases()["row without product"]
    with pytest.raises(UnsendableOrder) as refused:
        plan_rows(order(rows).orderRow or [], mode, {2: "A2"})
    assert render(refused.value.message) == "rad 2 i ordern har ingen produkt"


def _stable_codes() -> set[str]:
    """Operator codes: every error class's ``code`` and the login failures' codes."""
    import upsales_fortnox.integrations.errors as base

    codes = set()
    stack: list[type] = [base.SyncError, activation_errors.ActivationError]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        code = getattr(cls, "code", None)
        if isinstance(code, str):
            codes.add(code)
    codes |= {
        "invalid_state",
        "state_expired",
        "invalid_login_link",
        "login_link_expired",
        "order_not_sendable",
    }
    return codes


def test_a_phrase_is_its_english_text_and_renders_swedish() -> None:
    phrase = Phrase("order.named_product_without_article", name="Licens Bas")
    assert phrase == "the product 'Licens Bas' has no article in Fortnox"
    assert phrase.render("sv") == "produkten 'Licens Bas' finns inte som artikel i Fortnox"
    refused = say("order.refused", "sv", problems=phrase)
    assert refused == (
        "Ordern kan inte skickas till Fortnox: produkten 'Licens Bas' finns inte som artikel "
        "i Fortnox."
    )


def test_the_language_is_swedish_unless_english_is_asked_for() -> None:
    assert language_of_hook({}) == "sv"
    assert language_of_hook({"user": {"language": "en-US"}}) == "en"
    assert language_of_hook({"language": "sv-SE"}) == "sv"
    assert language_of_request(None) == "sv"
    assert language_of_request("en-GB,en;q=0.9,sv;q=0.8") == "en"
    assert language_of_request("sv-SE,en;q=0.5") == "sv"
