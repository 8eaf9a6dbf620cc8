"""What a bulk retry of dead jobs leaves, decided without the database.

Retrying the dead jobs one at a time, newest first, folds each entity's jobs into its oldest:
the newest goes back first and takes in a job queued for the entity since, then each older one
takes in the one retried before it. :func:`plan_requeue` gives that outcome at once, so the
store writes it in a few statements however many jobs there are.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

EntityKey = tuple[uuid.UUID, str, str]
"""An entity's jobs: (installation, kind, entity id)."""


@dataclass(frozen=True)
class JobRow:
    """A job as the plan needs it."""

    job_id: int
    installation_id: uuid.UUID
    kind: str
    entity_id: str | None
    payload: dict[str, Any]

    @property
    def entity(self) -> EntityKey | None:
        if self.entity_id is None:
            return None
        return (self.installation_id, self.kind, self.entity_id)


@dataclass(frozen=True)
class RequeuePlan:
    queued_in_place_of: dict[int, int] = field(default_factory=dict)
    """Each dead job retried -> the job queued for it (itself, or its entity's oldest)."""
    folded_dead: dict[int, int] = field(default_factory=dict)
    """The dead jobs that end ``done``, merged into the job queued for their entity."""
    folded_queued: dict[int, int] = field(default_factory=dict)
    """The jobs queued for an entity before the retry, merged into the job queued now."""
    payloads: dict[int, dict[str, Any]] = field(default_factory=dict)
    """The dead jobs that take another payload: the entity's latest hint."""

    @property
    def requeued(self) -> list[int]:
        """The jobs that go back to ``queued``."""
        return sorted(set(self.queued_in_place_of.values()))

    @property
    def folded(self) -> dict[int, int]:
        """Every job merged away -> the job now queued in its place."""
        return {**self.folded_dead, **self.folded_queued}


def plan_requeue(dead: Iterable[JobRow], queued: Iterable[JobRow]) -> RequeuePlan:
    """The outcome of retrying the ``dead`` jobs newest first, given the ``queued`` jobs of
    their entities (at most one an entity)."""
    plan = RequeuePlan()
    by_entity: dict[EntityKey, list[JobRow]] = {}
    for job in sorted(dead, key=lambda row: row.job_id):
        if job.entity is None:
            plan.queued_in_place_of[job.job_id] = job.job_id
        else:
            by_entity.setdefault(job.entity, []).append(job)
    waiting = {job.entity: job for job in queued if job.entity is not None}
    for entity, jobs in by_entity.items():
        kept = jobs[0].job_id
        already_queued = waiting.get(entity)
        for job in jobs:
            plan.queued_in_place_of[job.job_id] = kept
            if job.job_id != kept:
                plan.folded_dead[job.job_id] = kept
        if already_queued is not None:
            plan.folded_queued[already_queued.job_id] = kept
        latest = already_queued or jobs[-1]
        if already_queued is not None or len(jobs) > 1:
            plan.payloads.update({job.job_id: latest.payload for job in jobs})
    return plan
