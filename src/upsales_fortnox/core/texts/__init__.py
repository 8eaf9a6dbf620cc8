"""Every text a sales rep, bookkeeper or account admin reads, in one catalogue.

Swedish first; English where the account asks for it. Operators get stable codes elsewhere
(``{"error": {"code", "message"}}``, job errors ``"<code>: <message>"``); none of those codes
appears in a text here (a test checks).

The catalogue is kept by area, one module each with its ``TEXTS``: why an order cannot be sent
(:mod:`.refusal_texts`), the order's sync status (:mod:`.status_texts`), what is written into
Upsales (:mod:`.record_texts`), the login pages (:mod:`.login_texts`), the app's
configuration (:mod:`.setting_texts`) and why its live choices show none
(:mod:`.choice_texts`), the page of a document link that does not open
(:mod:`.document_texts`) and the reconciliation report (:mod:`.report_texts`).
:data:`CATALOGUE` merges them; a key lives in one only.

:class:`Phrase` is a ``str`` (its English text, for logs and job errors, so callers that
expect strings keep working) that remembers its key and values, so the same problem can be
shown to a sales rep in Swedish.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from upsales_fortnox.core.texts import (
    choice_texts,
    document_texts,
    login_texts,
    record_texts,
    refusal_texts,
    report_texts,
    setting_texts,
    status_texts,
)
from upsales_fortnox.core.texts.languages import (
    DEFAULT_LANGUAGE,
    Language,
    language_of_hook,
    language_of_request,
)
from upsales_fortnox.core.texts.refusal_texts import FIELD_NAMES_SV

__all__ = [
    "CATALOGUE",
    "DEFAULT_LANGUAGE",
    "FIELD_NAMES_SV",
    "Language",
    "Phrase",
    "joined",
    "language_of_hook",
    "language_of_request",
    "merged",
    "render",
    "say",
]

Texts = Mapping[str, Mapping[Language, str]]


def merged(*parts: Texts) -> dict[str, dict[Language, str]]:
    """The parts as one catalogue; a key in two parts is refused (``ValueError``)."""
    catalogue: dict[str, dict[Language, str]] = {}
    for part in parts:
        twice = catalogue.keys() & part.keys()
        if twice:
            raise ValueError(f"catalogue keys defined twice: {sorted(twice)}")
        catalogue.update({key: dict(texts) for key, texts in part.items()})
    return catalogue


CATALOGUE: Final[dict[str, dict[Language, str]]] = merged(
    refusal_texts.TEXTS,
    status_texts.TEXTS,
    record_texts.TEXTS,
    login_texts.TEXTS,
    setting_texts.TEXTS,
    choice_texts.TEXTS,
    document_texts.TEXTS,
    report_texts.TEXTS,
)


def say(key: str, language: Language = DEFAULT_LANGUAGE, **values: Any) -> str:
    """The catalogue's text for ``key`` in ``language``, with ``values`` filled in (values
    that are :class:`Phrase` are rendered in the same language)."""
    rendered = {
        name: value.render(language) if isinstance(value, Phrase) else value
        for name, value in values.items()
    }
    return CATALOGUE[key][language].format(**rendered)


class Phrase(str):
    """A catalogue text as its English string, that can also be rendered in Swedish."""

    key: str
    values: Mapping[str, Any]

    def __new__(cls, key: str, **values: Any) -> Phrase:
        phrase = super().__new__(cls, say(key, "en", **values))
        phrase.key = key
        phrase.values = values
        return phrase

    def render(self, language: Language = DEFAULT_LANGUAGE) -> str:
        return say(self.key, language, **self.values)


def render(text: str, language: Language = DEFAULT_LANGUAGE) -> str:
    """``text`` in ``language`` when it is a :class:`Phrase`; other text as it is."""
    return text.render(language) if isinstance(text, Phrase) else text


def joined(problems: list[str], language: Language = DEFAULT_LANGUAGE) -> str:
    return "; ".join(render(problem, language) for problem in problems)
