"""A link as the pure sync functions see it, apart from the database (:class:`LinkView`), and
what saving one needs (:class:`LinkFields`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

from upsales_fortnox.vocabulary import FortnoxType, LinkEntity

CANCELLED_DOCUMENT: Final = "cancelled:"
"""Put before the fingerprint of an order's link to a document cancelled in Fortnox, once the
sync has moved the order to the lost stage for it. A won deal does not take such a link for
its document: won again, it gets a new one (and the deal's intent was forgotten with the
cancellation, so it is created without a search). Later events of the cancelled document change
nothing; should it count as cancelled no more (a full credit undone), the fingerprint is put
back."""


FOUND_LOST: Final = "lost:"
"""Put after :data:`CANCELLED_DOCUMENT` when the sync found the order lost already as it synced
the cancellation (the sales rep lost the deal first: at 0 %, in the lost stage or another one,
which the sync moves to the lost stage): should the cancellation be undone (its credit
cancelled), the order is left lost, the rep's to win."""


MOVING_TO_LOST: Final = "lose:"
"""Put after :data:`CANCELLED_DOCUMENT` in place of :data:`FOUND_LOST` while the sync moves the
order to the lost stage for the cancellation: committed before that Upsales write, so a retry
after it (its answer lost, the job's lease lost, a crash before the link's mark) knows the lost
stage as its own, not the sales rep's, and marks the link as a cancellation it moved to lost.
As long as :data:`FOUND_LOST`, so a marked fingerprint (a SHA-256 in hex) fits its column."""


def cancelled_fingerprint(
    fingerprint: str | None, *, found_lost: bool = False, moving_to_lost: bool = False
) -> str:
    """The fingerprint of the link once its document's cancellation is synced (``found_lost``:
    the order was lost already, see :data:`FOUND_LOST`), or while the sync moves its order to
    lost for it (``moving_to_lost``, see :data:`MOVING_TO_LOST`)."""
    state = FOUND_LOST if found_lost else MOVING_TO_LOST if moving_to_lost else ""
    return CANCELLED_DOCUMENT + state + (fingerprint or "")


@dataclass(frozen=True)
class LinkView:
    """A link as the pure sync functions see it (no session attached)."""

    entity: LinkEntity
    upsales_id: int
    fortnox_type: FortnoxType
    fortnox_id: str
    fingerprint: str | None
    synced_fields: Mapping[str, Any] | None = None
    saved_at: dt.datetime | None = field(default=None, compare=False)
    """When the link was last saved (made, synced, or its document's cancellation synced),
    where the reader asked for it."""

    @property
    def document_cancelled(self) -> bool:
        return marks_cancelled(self)

    @property
    def fingerprint_before_cancel(self) -> str | None:
        """The fingerprint the link had before its document's cancellation was synced."""
        if not self.document_cancelled:
            return self.fingerprint
        marked = (self.fingerprint or "").removeprefix(CANCELLED_DOCUMENT)
        return marked.removeprefix(FOUND_LOST).removeprefix(MOVING_TO_LOST) or None

    @property
    def found_lost(self) -> bool:
        """Its document's cancellation was synced with the order lost already (see
        :data:`FOUND_LOST`): the sync did not move it to lost."""
        return self.document_cancelled and (self.fingerprint or "").startswith(
            CANCELLED_DOCUMENT + FOUND_LOST
        )

    @property
    def document_ended(self) -> bool:
        """Its document's cancellation is synced, the order's move to lost done too (not left
        :data:`MOVING_TO_LOST` by a run that died): no longer the deal's document to send."""
        return self.document_cancelled and not self.moving_to_lost

    @property
    def moving_to_lost(self) -> bool:
        """The sync was moving its order to lost for its document's cancellation, and has not
        marked that done (see :data:`MOVING_TO_LOST`)."""
        return self.document_cancelled and (self.fingerprint or "").startswith(
            CANCELLED_DOCUMENT + MOVING_TO_LOST
        )


class LinkFields(Protocol):
    """What saving a link needs (a :class:`LinkView`, a ``SaveLink`` command)."""

    @property
    def entity(self) -> LinkEntity: ...
    @property
    def upsales_id(self) -> int: ...
    @property
    def fortnox_type(self) -> FortnoxType: ...
    @property
    def fortnox_id(self) -> str: ...
    @property
    def fingerprint(self) -> str | None: ...
    @property
    def synced_fields(self) -> Mapping[str, Any] | None: ...


def marks_cancelled(link: LinkFields) -> bool:
    """An order's link to a document whose cancellation was synced (see
    :data:`CANCELLED_DOCUMENT`)."""
    return link.entity is LinkEntity.ORDER and (link.fingerprint or "").startswith(
        CANCELLED_DOCUMENT
    )
