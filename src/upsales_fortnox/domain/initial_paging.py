"""Entities that slipped back a page while the initial import read its list (pure).

The import reads a register page by page, by number, sorted by the register's own number. An
entity that leaves the list (deleted, an article made inactive) from a page already read moves
every later entity one place toward the start: the first one of the next page slips onto the
page read before, and that page's reading never saw it. The list's ``TotalResources`` shows the
loss: when it is smaller at a page than it was at the page before, the page before is listed
again, and its last entities, as many as the list lost, are imported with this page (those
imported already are found by their links). A list that did not shrink costs no call more.
Deletions and additions between the same two pages can hide each other in the total; an entity
so missed comes with its next change.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import TypeVar

T = TypeVar("T")


def slipped_back(total_before: int | None, total_now: int) -> int:
    """How many entities may have slipped onto the page before since it was listed: what the
    list lost meanwhile (``total_before``: its total then; None for a phase's first page)."""
    if total_before is None:
        return 0
    return max(total_before - total_now, 0)


def slipped_entities(
    page_before: Sequence[T], count: int, held: Collection[str], key: Callable[[T], str | None]
) -> list[T]:
    """The last ``count`` entities of the page before, as listed again, that are not in
    ``held`` (the ids of the page being imported)."""
    if count <= 0:
        return []
    tail = page_before[-count:]
    return [entity for entity in tail if (key(entity) or "") not in held]
