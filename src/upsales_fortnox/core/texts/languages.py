"""The catalogue's languages, and which one a hook or a browser asks for."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Literal

from upsales_fortnox.integrations.upsales.facts import HOOK_LANGUAGE_FIELDS

Language = Literal["sv", "en"]
DEFAULT_LANGUAGE: Final[Language] = "sv"


def language_of_hook(body: Mapping[str, Any]) -> Language:
    """The language an Upsales hook asks for: English when its user's (or the body's)
    language field (:data:`upsales_fortnox.integrations.upsales.facts.HOOK_LANGUAGE_FIELDS`) starts
    with ``en``, else Swedish."""
    user = body.get("user")
    candidates = [
        user.get(key) if isinstance(user, dict) else None for key in HOOK_LANGUAGE_FIELDS
    ] + [body.get(key) for key in HOOK_LANGUAGE_FIELDS]
    for candidate in candidates:
        if isinstance(candidate, str) and candidate.strip():
            return "en" if candidate.strip().lower().startswith("en") else "sv"
    return DEFAULT_LANGUAGE


def language_of_request(accept_language: str | None) -> Language:
    """English when the browser prefers it (first in ``Accept-Language``), else Swedish."""
    first = (accept_language or "").split(",")[0].strip().lower()
    return "en" if first.startswith("en") else "sv"
