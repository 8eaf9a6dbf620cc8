"""Finding Upsales records by a value people type in several ways (an organisation number, a
name): every spelling in one list filter (``orgNo=eq:556036-0793,5560360793,…``: one call),
or one call per spelling when a spelling holds a comma, which a list filter would split.
Which records found are the same company or product is the caller's matching rule to decide.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from typing import TypeVar

from upsales_fortnox.integrations.upsales.filters import Filter, eq
from upsales_fortnox.integrations.upsales.models import Record

R = TypeVar("R", bound=Record)


def _filters(attr: str, spellings: Sequence[str]) -> list[Filter]:
    distinct = list(dict.fromkeys(s for s in spellings if s))
    if len(distinct) > 1 and not any("," in spelling for spelling in distinct):
        return [eq(attr, *distinct)]
    return [eq(attr, spelling) for spelling in distinct]


async def find_spelled(
    iterate: Callable[[Filter], AsyncIterator[R]], attr: str, spellings: Sequence[str]
) -> list[R]:
    """The records whose ``attr`` is one of ``spellings``, by id."""
    found: dict[int, R] = {}
    for spelled in _filters(attr, spellings):
        async for record in iterate(spelled):
            found[record.id] = record
    return [found[record_id] for record_id in sorted(found)]
