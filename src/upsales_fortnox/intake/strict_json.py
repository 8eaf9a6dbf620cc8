"""How strictly the intake reads a JSON body: the decision for each lenient case.

The intake takes RFC 8259 JSON and nothing that two parsers could read differently:

- **Encoding: UTF-8 only.** A UTF-16 or UTF-32 body (which Python's ``json`` would detect and
  accept) is refused, 400 ``malformed_json``: RFC 8259 §8.1 requires UTF-8 between systems,
  and no sender of ours uses anything else.
- **A UTF-8 byte order mark is accepted on purpose** and dropped: RFC 8259 lets a parser ignore
  it, and some HTTP libraries add one. It changes nothing stored (events are stored and
  hashed from the parsed document).
- **Duplicate keys are refused**, 400 ``malformed_json`` naming the key: parsers disagree on
  which value wins, so a body with ``"apiKey"`` or ``"id"`` twice could mean one thing to us and
  another to a proxy or an auditor.
- **Nesting deeper than** :data:`MAX_DEPTH` **is refused**, 422 ``validation_error``: no hook
  or event nests more than a handful of levels, and a deep body only costs recursion when read
  back (the parser's own recursion limit stays a 400 for the extreme cases).
- **A numeric string id (``"id": "5"``) is accepted on purpose** and read as the number:
  Upsales trigger templates render ids as text. Only ASCII digits qualify (see
  :func:`upsales_fortnox.intake.wire._entity_id`); the stored payload keeps the text as sent.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Final

from upsales_fortnox.intake.errors import EventValidationError, MalformedJsonError

MAX_DEPTH: Final = 32
"""Arrays and objects inside each other at most."""

_UTF8_BOM: Final = b"\xef\xbb\xbf"


def utf8_text(raw: bytes) -> str:
    """The body as text: UTF-8, a leading byte order mark dropped; anything else is refused."""
    if raw.startswith(_UTF8_BOM):
        raw = raw[len(_UTF8_BOM) :]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedJsonError("the body must be JSON in UTF-8") from None


def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``object_pairs_hook`` that refuses an object with a key given twice."""
    document = dict(pairs)
    if len(document) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise MalformedJsonError(f"the body gives the key {key!r} more than once")
            seen.add(key)
    return document


def check_depth(text: str, document: Any) -> None:
    """Refuse a document nested deeper than :data:`MAX_DEPTH` (counting brackets first: a body
    with fewer opening brackets than the limit cannot be too deep)."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return
    if _depth(document) > MAX_DEPTH:
        raise EventValidationError(
            f"the body is nested deeper than {MAX_DEPTH} levels",
            details=[{"loc": [], "msg": f"nesting deeper than {MAX_DEPTH} levels"}],
        )


def _depth(document: Any) -> int:
    deepest = 0
    pending: list[tuple[Any, int]] = [(document, 0)]
    while pending:
        value, level = pending.pop()
        children: Any
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        level += 1
        if level > deepest:
            deepest = level
            if deepest > MAX_DEPTH:
                return deepest
        pending.extend((child, level) for child in children)
    return deepest


def strict_loads(
    raw: bytes, *, parse_constant: Callable[[str], Any], parse_float: Callable[[str], Any]
) -> Any:
    """``json.loads`` with the decisions above."""
    text = utf8_text(raw)
    document = json.loads(
        text, parse_constant=parse_constant, parse_float=parse_float, object_pairs_hook=unique_keys
    )
    check_depth(text, document)
    return document
