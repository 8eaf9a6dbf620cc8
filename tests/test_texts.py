"""The catalogue of end-user texts: Swedish and English for every text, the same placeholders,
no internal code, no doubled word; and the answers Upsales shows come from it."""

from __future__ import annotations

import re
import string

import pytest

from upsales_fortnox.activation import errors as activation_errors
from upsales_fortnox.texts import (
    CATALOGUE,
    Phrase,
    language_of_hook,
    language_of_request,
    say,
)

SNAKE_CASE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")
DOUBLED = re.compile(r"\b(\w+)\s+\1\b", re.IGNORECASE)
SAMPLE = {
    "problems": "x",
    "name": "Konsulttimme",
    "product_id": 5,
    "rows": 501,
    "limit": 500,
    "detail": "y",
    "value": "'12-3'",
    "field": "ZipCode",
    "field_sv": "postnummer",
    "length": 12,
    "max_length": 10,
    "document": "faktura",
    "number": "17",
}


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("key", sorted(CATALOGUE))
def test_every_text_has_both_languages_with_the_same_placeholders(key: str) -> None:
    texts = CATALOGUE[key]
    assert set(texts) == {"sv", "en"}
    assert _placeholders(texts["en"]) <= _placeholders(texts["sv"]) | {"field"}
    assert _placeholders(texts["sv"]) - {"field_sv"} <= _placeholders(texts["en"])


@pytest.mark.parametrize("language", ["sv", "en"])
@pytest.mark.parametrize("key", sorted(CATALOGUE))
def test_no_internal_code_or_doubled_word(key: str, language: str) -> None:
    text = say(key, language, **SAMPLE)  # type: ignore[arg-type]
    assert not SNAKE_CASE.search(text), text
    assert not DOUBLED.search(text), text
    for code in _stable_codes():
        assert code not in text


def _stable_codes() -> set[str]:
    """Operator codes: every error class's ``code`` and the login failures' codes."""
    import upsales_fortnox.errors as base

    codes = set()
    stack: list[type] = [base.SyncError, activation_errors.ActivationError]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        code = getattr(cls, "code", None)
        if isinstance(code, str):
            codes.add(code)
    codes |= {"invalid_state", "state_expired", "invalid_login_link", "order_not_sendable"}
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
