"""When a retried won deal may create its document, though a search found none.

A deal whose intent exists without a link was being created by an earlier attempt whose outcome
is unknown; it is searched for by its order reference. A search that finds nothing does not
prove that create will never land: Fortnox may still be committing it (see
``upsales_fortnox.integrations.fortnox.facts.CREATE_MAY_LAND_WITHIN_SECONDS``). So the first
such miss sets a time to search again (``settles_at``), and the deal is created only after a
search begun at or after that time finds nothing too. The shell is
:mod:`upsales_fortnox.sync.outbound.earlier_create`.
"""

from __future__ import annotations

from datetime import datetime, timedelta


def search_not_before(settles_at: datetime | None, now: datetime) -> datetime | None:
    """Before searching: the time to wait for (nothing is searched before it), or None to
    search now."""
    if settles_at is not None and now < settles_at:
        return settles_at
    return None


def after_a_missed_search(
    settles_at: datetime | None, searched_at: datetime, settle_seconds: float
) -> datetime | None:
    """After a search begun at ``searched_at`` found nothing: None to create the document now,
    or the time to search again (to be stored as the intent's ``settles_at``).

    ``settles_at`` is the one an earlier miss stored; a search runs only once it has passed
    (:func:`search_not_before`), so a miss after it is taken to mean that no earlier create will
    land (how long Fortnox may take is the facts module's guess).
    """
    if settles_at is not None or settle_seconds <= 0:
        return None
    return searched_at + timedelta(seconds=settle_seconds)
