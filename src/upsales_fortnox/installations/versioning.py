"""Optimistic concurrency: entity versions as HTTP entity tags, and ``If-Match`` preconditions.

An ETag is the version number in quotes (``"3"``). ``If-Match`` may list several tags, or ``*``
for "whatever the current version is". Weak tags (``W/"3"``) are accepted as their version,
because proxies that compress a response weaken its tag.
"""

from __future__ import annotations

from dataclasses import dataclass


def etag_for(version: int) -> str:
    return f'"{version}"'


@dataclass(frozen=True)
class VersionPrecondition:
    """The versions a write accepts: ``any_version`` or one of ``versions``."""

    versions: frozenset[int] = frozenset()
    any_version: bool = False

    def matches(self, version: int) -> bool:
        return self.any_version or version in self.versions


def _version_of(tag: str) -> int | None:
    tag = tag.strip()
    if tag.startswith("W/"):
        tag = tag[2:]
    if len(tag) < 3 or not (tag.startswith('"') and tag.endswith('"')):
        return None
    inner = tag[1:-1]
    if not inner.isascii() or not inner.isdigit() or len(inner) > 18:
        return None
    return int(inner)


def parse_if_match(header: str) -> VersionPrecondition:
    """Parse an ``If-Match`` value. Tags that are not one of our versions can never match."""
    if header.strip() == "*":
        return VersionPrecondition(any_version=True)
    versions = {_version_of(tag) for tag in header.split(",")}
    return VersionPrecondition(versions=frozenset(v for v in versions if v is not None))
