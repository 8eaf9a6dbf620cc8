"""Job handlers: what runs for each job ``kind``, and what a handler is given."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from upsales_fortnox.core.db.session import DbSessionFactory
from upsales_fortnox.jobs.results import JobResult
from upsales_fortnox.jobs.store.enqueue import rest_queuing
from upsales_fortnox.jobs.store.job_store import CompletionWrite

SaveCheckpoint = Callable[[dict[str, Any]], Awaitable[None]]


@dataclass
class JobContext:
    """Everything a handler needs about the job it runs.

    ``attempt`` counts this run among the job's attempts (1 on the first run). Long jobs call
    :meth:`checkpoint` to persist their progress in the job's payload; a later run of the same job
    starts from that payload. A checkpoint also renews the job's lease, and raises
    :class:`~upsales_fortnox.jobs.runs.LeaseLost` if the job is no longer this worker's.

    ``installation_version`` and ``settings_version`` are the installation's and its settings'
    versions as the job started (``settings_version`` 0: it has no settings). ``turn_cache`` is
    shared by the jobs the worker runs for this installation in one turn of its lease; a handler
    may keep per-installation objects there, valid while both versions stay the same. Jobs of
    kinds registered ``side_by_side`` may run at the same time (see :mod:`.turn`): what they
    keep there must bear that.
    """

    job_id: int
    installation_id: uuid.UUID
    kind: str
    entity_id: str | None
    payload: dict[str, Any]
    attempt: int
    session_factory: DbSessionFactory
    save_checkpoint: SaveCheckpoint = field(repr=False)
    installation_version: int = 0
    settings_version: int = 0
    turn_cache: dict[str, Any] = field(default_factory=dict, repr=False)
    completion_writes: list[CompletionWrite] = field(default_factory=list, repr=False)

    def save_with_completion(self, write: CompletionWrite) -> None:
        """Run ``write`` in the transaction that records the job done, after the handler
        returns: one transaction fewer than a write of its own. Nothing of it is saved when the
        job fails, or when the worker dies before the job is recorded done (then the job runs
        again), so it suits writes that the job's next run can make again."""
        self.completion_writes.append(write)

    def queue_rest(self, payload: dict[str, Any]) -> None:
        """Leave the rest of the work to a new job of this kind and entity, started from
        ``payload``: queued in the transaction that records this one done, behind the
        installation's jobs queued meanwhile, so a long piece of work done a part per job
        holds none of them back for more than a part (a job of the entity queued meanwhile
        takes the rest over: see :func:`~upsales_fortnox.jobs.store.enqueue.queue_rest`)."""
        if self.entity_id is None:
            raise ValueError(f"a {self.kind} job without an entity cannot queue its rest")
        self.save_with_completion(
            rest_queuing(
                installation_id=self.installation_id,
                kind=self.kind,
                entity_id=self.entity_id,
                payload=payload,
            )
        )

    async def checkpoint(self, payload: dict[str, Any]) -> None:
        await self.save_checkpoint(payload)
        self.payload = payload


Handler = Callable[[JobContext], Awaitable[JobResult | None]]
"""Runs one job; returns its kind's result (its JSON is stored on the job) or ``None``."""


class HandlerRegistry:
    """Maps a job ``kind`` to its handler, and says which kinds' jobs may run side by side."""

    def __init__(self, handlers: Mapping[str, Handler] | None = None) -> None:
        self._handlers: dict[str, Handler] = {}
        self._side_by_side: set[str] = set()
        for kind, handler in (handlers or {}).items():
            self.register(kind, handler)

    def register(self, kind: str, handler: Handler, *, side_by_side: bool = False) -> None:
        """``side_by_side``: the kind's jobs of different entities may run at the same time,
        each other's and nothing else's (its handler keeps what they share apart)."""
        if kind in self._handlers:
            raise ValueError(f"a handler for job kind {kind!r} is already registered")
        self._handlers[kind] = handler
        if side_by_side:
            self._side_by_side.add(kind)

    def side_by_side(self, kind: str) -> bool:
        return kind in self._side_by_side

    def handles(self, kind: str) -> Callable[[Handler], Handler]:
        """Decorator form of :meth:`register`."""

        def decorate(handler: Handler) -> Handler:
            self.register(kind, handler)
            return handler

        return decorate

    def get(self, kind: str) -> Handler | None:
        return self._handlers.get(kind)

    def __contains__(self, kind: object) -> bool:
        return kind in self._handlers

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._handlers))

    def __len__(self) -> int:
        return len(self._handlers)
