"""How many of the installations waiting for a worker one worker claims while other workers
are connected (PostgreSQL, several worker processes): its fair share.

Without a share, the first worker to look claims every waiting installation up to its
concurrency and the others stay idle: a burst of won deals was served by one process while
another had nothing to do. A worker therefore takes the larger of

* an even split of what waits (``ceil(waiting / workers)``: repeated claims by any mix of
  workers always make progress), and
* what brings its load to an even split of all the work (``ceil((waiting + leased) / workers)``
  less what it already serves),

and, besides, every installation whose oldest due job has waited longer than the grace
(``overdue_before``): work that other workers with room would have claimed by then (they are
full, stuck or gone), or an installation given back with work left after a turn, is served by
whoever looks rather than kept waiting for a share. Alone (SQLite, one worker) a worker takes
everything up to its limit, as without shares.

Pure: the caller reads the waiting installations and the workload in the claim's transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Waiting:
    """An installation with work and no live lease, in the order it should be served."""

    installation_id: uuid.UUID
    waiting_since: datetime | None
    """When its oldest due job became due; ``None``: only a departed worker's lease is left."""


@dataclass(frozen=True)
class Workload:
    workers: int
    """Workers connected, the claiming one included."""
    leased: int
    """Installations leased to connected workers, the claiming one's included."""
    mine: int
    """Installations leased to the claiming worker."""


def _ceil_div(numerator: int, denominator: int) -> int:
    return -(-numerator // denominator)


def fair_share(
    waiting: Sequence[Waiting], load: Workload, *, limit: int, overdue_before: datetime
) -> list[uuid.UUID]:
    """The installations to claim out of ``waiting`` (kept in its order), at most ``limit``."""
    workers = max(1, load.workers)
    if workers == 1:
        return [candidate.installation_id for candidate in waiting[:limit]]
    share = max(
        _ceil_div(len(waiting), workers),
        _ceil_div(len(waiting) + load.leased, workers) - load.mine,
    )
    chosen = [
        candidate.installation_id
        for position, candidate in enumerate(waiting)
        if position < share
        or candidate.waiting_since is None
        or candidate.waiting_since < overdue_before
    ]
    return chosen[:limit]
