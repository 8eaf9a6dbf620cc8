"""Upsales' official Postman collection (``../shared/reference/specs/``, or the folder in
``UFS_SPECS_DIR``), read as examples of each entity: field names and JSON types."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pytest

COLLECTION = "upsales-api.postman_collection.json"
_ROOT = Path(__file__).resolve().parents[3]


def collection_path() -> Path:
    folder = os.environ.get("UFS_SPECS_DIR")
    base = Path(folder) if folder else _ROOT.parent / "shared" / "reference" / "specs"
    return base / COLLECTION


@cache
def _load(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def collection() -> dict[str, Any]:
    """The collection; skipped with the reason when absent, a failure under CI (``CI=true``)."""
    path = collection_path()
    if not path.is_file():
        reason = f"Upsales Postman collection not found at {path} (set UFS_SPECS_DIR)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return _load(path)


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


@dataclass
class Shape:
    """Every field seen on an entity in the examples, with the JSON types seen (nulls aside)."""

    types: dict[str, set[str]] = field(default_factory=dict)

    def add(self, record: dict[str, Any]) -> None:
        for name, value in record.items():
            seen = self.types.setdefault(name, set())
            if value is not None:
                seen.add(json_type(value))


@dataclass
class Examples:
    records: Shape = field(default_factory=Shape)
    sent_names: set[str] = field(default_factory=set)
    """Field names of the example request bodies (writable fields; types not taken)."""
    envelopes: list[dict[str, Any]] = field(default_factory=list)
    nested: dict[str, Shape] = field(default_factory=dict)

    def nested_shape(self, name: str) -> Shape:
        return self.nested.setdefault(name, Shape())


def _requests(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for item in items:
        if "item" in item:
            yield from _requests(item["item"])
        else:
            yield item


def _url(item: dict[str, Any]) -> str:
    url = item.get("request", {}).get("url", "")
    return str(url.get("raw", "") if isinstance(url, dict) else url)


def _json(text: str | None) -> Any:
    try:
        return json.loads(text or "null")
    except ValueError:
        return None


def examples(
    path_pattern: str,
    nested: tuple[str, ...] = (),
    url_filter: Callable[[str], bool] | None = None,
) -> Examples:
    """The example responses (and request bodies' field names) of every request whose URL
    matches ``/api/v2/{path_pattern}`` (and ``url_filter``); ``nested`` names list/object fields
    to collect too."""
    found = Examples()
    pattern = re.compile(r"/api/v2/" + path_pattern + r"(/|\?|$)")
    for item in _requests(collection()["item"]):
        url = _url(item)
        if not pattern.search(url) or (url_filter is not None and not url_filter(url)):
            continue
        bodies = [_json(r.get("body")) for r in item.get("response", []) if r.get("code") == 200]
        sent = _json(item.get("request", {}).get("body", {}).get("raw"))
        for envelope in bodies:
            if isinstance(envelope, dict):
                found.envelopes.append(envelope)
        if isinstance(sent, dict):
            found.sent_names |= set(sent)
        records: list[Any] = []
        for envelope in bodies:
            data = envelope.get("data") if isinstance(envelope, dict) else None
            records.extend(data if isinstance(data, list) else [data])
        for record in records:
            if not isinstance(record, dict):
                continue
            found.records.add(record)
            for name in nested:
                value = record.get(name)
                for part in value if isinstance(value, list) else [value]:
                    if isinstance(part, dict):
                        found.nested_shape(name).add(part)
    return found
