"""Fingerprints of synced fields, used to recognise the echo of the service's own writes."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any


def _canonical(value: Any) -> Any:
    if isinstance(value, Decimal):
        return "0" if value == 0 else format(value.normalize(), "f")
    if isinstance(value, Mapping):
        return {str(key): _canonical(item) for key, item in sorted(value.items())}
    if isinstance(value, list | tuple):
        return [_canonical(item) for item in value]
    if isinstance(value, str):
        return value.strip()
    return value


def fingerprint(fields: Mapping[str, Any]) -> str:
    """A SHA-256 over the canonical JSON of ``fields`` (key order, Decimal scale and
    surrounding white space do not matter)."""
    canonical = json.dumps(_canonical(fields), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()
