"""Which installations a worker holds from before its presence in the database last ended.

On PostgreSQL other workers may take a worker's installations over as soon as its presence
ends (see :mod:`upsales_fortnox.jobs.store.presence`). An installation claimed before that is
then no longer surely the worker's: no job of it starts or runs on. One claimed after (the
claim takes the presence again) is.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable


class PresenceLosses:
    def __init__(self) -> None:
        self.count = 0
        """How often the presence ended."""
        self._claimed_at: dict[uuid.UUID, int] = {}

    def ended(self) -> None:
        self.count += 1

    def claimed(self, installation_ids: Iterable[uuid.UUID], count_before_claim: int) -> None:
        """Installations just claimed; ``count_before_claim``: :attr:`count` as the claim
        began (a loss during the claim leaves them held from before it)."""
        for installation_id in installation_ids:
            self._claimed_at[installation_id] = count_before_claim

    def serving(self, installation_id: uuid.UUID) -> None:
        """A turn begins (as claimed now, unless :meth:`claimed` said when)."""
        self._claimed_at.setdefault(installation_id, self.count)

    def served(self, installation_id: uuid.UUID) -> None:
        self._claimed_at.pop(installation_id, None)

    def held_from_before_a_loss(self, installation_id: uuid.UUID) -> bool:
        return self._claimed_at.get(installation_id, self.count) != self.count
