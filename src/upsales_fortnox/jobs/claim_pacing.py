"""When a worker's loop claims installations: at once while more may be waiting, else once per
poll.

A claim costs a few statements of the database's heaviest kind (on PostgreSQL it also reads
which workers are connected). The loop wakes whenever an installation it serves has ended its
turn, and claiming at each of those wakes, when the last claim already found fewer
installations waiting than it had room for, reads again what it has just read: a worker serving
two hundred small tenants made a claim per tenant served. So the loop claims

* at once when the last claim filled every free place (more may be waiting), or when a turn
  ended at ``jobs_per_turn`` (that installation may have work left), and
* when jobs were queued since the last claim (:mod:`.arrivals`), or while a turn that has ended
  since was under way (they may be that installation's, which no claim took while it was
  served, and the turn may have read its jobs before they came), at once, but no sooner than
  :data:`ARRIVAL_CLAIM_GAP_SECONDS` after the last claim: a stream of hooks costs a claim per
  gap, not one per hook, and
* otherwise once the poll interval has passed since the last claim: work that arrives
  unannounced (a retry come due, a notice missed) waits at most that long.

Pure: the loop tells it what happened and the time (``time.monotonic``-like seconds).
"""

from __future__ import annotations

from typing import Final

ARRIVAL_CLAIM_GAP_SECONDS: Final = 0.1
"""The least time between two claims made for queued jobs (10 a second at most)."""


class ClaimPacing:
    """One worker loop's claims: whether to claim now, and how long to wait otherwise."""

    def __init__(self, jobs_per_turn: int) -> None:
        self._jobs_per_turn = jobs_per_turn
        self._last_claim: float | None = None
        self._more_may_wait = True
        self._jobs_arrived = False
        self._last_arrival: float | None = None

    def claim_now(self, now: float, poll_seconds: float) -> bool:
        """Whether a loop with free places claims now."""
        return self.wait_seconds(now, poll_seconds) == 0.0

    def claimed(self, now: float, asked: int, got: int) -> None:
        """A claim for ``asked`` places (or one that failed: ``got`` 0) ended at ``now``; jobs
        queued while it ran are told after it (:meth:`jobs_arrived`)."""
        self._last_claim = now
        self._more_may_wait = got >= asked
        self._jobs_arrived = False

    def jobs_arrived(self, now: float) -> None:
        """Jobs were queued since the last claim (told at ``now``)."""
        self._jobs_arrived = True
        self._last_arrival = now

    def turn_ended(self, jobs_run: int, began: float) -> None:
        """An installation's turn, begun at ``began``, ended after ``jobs_run`` job runs."""
        if jobs_run >= self._jobs_per_turn:
            self._more_may_wait = True
        elif self._last_arrival is not None and self._last_arrival >= began:
            self._jobs_arrived = True

    def wait_seconds(self, now: float, poll_seconds: float) -> float:
        """How long a loop with free places waits for a turn to end before it claims again."""
        if self._more_may_wait or self._last_claim is None:
            return 0.0
        gap = min(ARRIVAL_CLAIM_GAP_SECONDS, poll_seconds) if self._jobs_arrived else poll_seconds
        return max(0.0, gap - (now - self._last_claim))
