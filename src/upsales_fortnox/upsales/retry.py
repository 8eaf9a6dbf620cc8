"""How long the Upsales client keeps retrying a failed request before handing it to the worker."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries with exponential backoff and jitter.

    A request is tried at most ``max_attempts`` times and never waits past
    ``max_elapsed_seconds`` in total; after that the last retryable error is raised and the job
    worker retries the whole job later.
    """

    max_attempts: int = 5
    max_elapsed_seconds: float = 60.0
    base_delay_seconds: float = 0.5
    max_delay_seconds: float = 10.0

    def delay(self, attempt: int, retry_after: float | None, jitter: float) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based).

        ``jitter`` is a random number in [0, 1). A server-given ``retry_after`` is honoured, plus
        up to one base delay of jitter so that waiting clients do not return all at once.
        """
        if retry_after is not None:
            return retry_after + jitter * self.base_delay_seconds
        backoff = min(self.max_delay_seconds, self.base_delay_seconds * 2.0 ** (attempt - 1))
        return backoff * (0.5 + jitter / 2)
