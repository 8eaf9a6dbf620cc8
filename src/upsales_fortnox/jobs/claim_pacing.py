"""When a worker's loop claims installations: at once while more may be waiting, else once per
poll.

A claim costs a few statements of the database's heaviest kind (on PostgreSQL it also reads
which workers are connected). The loop wakes whenever an installation it serves has ended its
turn, and claiming at each of those wakes, when the last claim already found fewer
installations waiting than it had room for, reads again what it has just read: a worker serving
two hundred small tenants made a claim per tenant served. So the loop claims

* at once when the last claim filled every free place (more may be waiting), or when a turn
  ended at ``jobs_per_turn`` (that installation may have work left), and
* otherwise once the poll interval has passed since the last claim: work that arrives
  meanwhile waits at most that long, as it did before for a worker none of whose turns ended.

Pure: the loop tells it what happened and the time (``time.monotonic``-like seconds).
"""

from __future__ import annotations


class ClaimPacing:
    """One worker loop's claims: whether to claim now, and how long to wait otherwise."""

    def __init__(self, jobs_per_turn: int) -> None:
        self._jobs_per_turn = jobs_per_turn
        self._last_claim: float | None = None
        self._more_may_wait = True

    def claim_now(self, now: float, poll_seconds: float) -> bool:
        """Whether a loop with free places claims now."""
        return (
            self._more_may_wait
            or self._last_claim is None
            or now - self._last_claim >= poll_seconds
        )

    def claimed(self, now: float, asked: int, got: int) -> None:
        """A claim for ``asked`` places (or one that failed: ``got`` 0) ended at ``now``."""
        self._last_claim = now
        self._more_may_wait = got >= asked

    def turn_ended(self, jobs_run: int) -> None:
        """An installation's turn ended after ``jobs_run`` job runs."""
        if jobs_run >= self._jobs_per_turn:
            self._more_may_wait = True

    def wait_seconds(self, now: float, poll_seconds: float) -> float:
        """How long a loop with free places waits for a turn to end before it claims again."""
        if self._more_may_wait or self._last_claim is None:
            return 0.0
        return max(0.0, poll_seconds - (now - self._last_claim))
