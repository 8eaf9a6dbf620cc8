"""Customer and article numbers holding ``/`` (a customer number may hold ``-+/_``).

Such a number goes in a path percent-encoded (``/3/customers/K%2F1``), which Fortnox may answer
404 for though the record exists (facts.ENCODED_SLASH_ROUTED). A 404 read as "no such record"
unlinks a customer and deactivates a product, so for such a number it is taken as that only once
the register's list, searched for the number, holds no record of exactly that number. When it
holds one, the record exists and cannot be read by its path: :class:`.FortnoxNumberUnreadable`,
which no sync takes for a deletion.
"""

from __future__ import annotations

from collections.abc import Mapping

from upsales_fortnox.integrations.fortnox.errors import FortnoxNumberUnreadable
from upsales_fortnox.integrations.fortnox.listing import FortnoxListings
from upsales_fortnox.integrations.fortnox.models import Article, Customer

#: The registers read by a number that may hold "/": the path field naming it, its search.
_NUMBERED: dict[type, tuple[str, str]] = {
    Customer: ("CustomerNumber", "customernumber"),
    Article: ("ArticleNumber", "articlenumber"),
}


async def check_not_found(
    listings: FortnoxListings, model: type, path: Mapping[str, object]
) -> None:
    """Return when a 404 for ``model`` at ``path`` means no such record; raise
    :class:`.FortnoxNumberUnreadable` when the list shows the record after all."""
    numbered = _NUMBERED.get(model)
    number = path.get(numbered[0]) if numbered is not None else None
    if numbered is None or not isinstance(number, str) or "/" not in number:
        return
    field, search = numbered
    listed = listings.iter_customers if model is Customer else listings.iter_articles
    async for record in listed(search={search: number}):
        if getattr(record, field) == number:
            raise FortnoxNumberUnreadable(
                f"Fortnox lists {model.__name__.lower()} {number!r} but answers 404 when it is "
                "read by that number (a '/' in the path)"
            )
