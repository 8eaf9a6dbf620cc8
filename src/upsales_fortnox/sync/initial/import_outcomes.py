"""An entity's outcome in the initial import, and how a page's entities are worked on: each
entity a job, :data:`~.import_context.CONCURRENCY` at a time, its commands carried out by the
interpreter on the import's effects target."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from upsales_fortnox.domain.sync_commands import (
    Command,
    UpdateUpsalesCompany,
    UpdateUpsalesOrder,
    UpdateUpsalesProduct,
)
from upsales_fortnox.integrations.errors import (
    PermanentError,
    ReauthorizationRequired,
    RetryableError,
)
from upsales_fortnox.integrations.fortnox.errors import FortnoxAuthError
from upsales_fortnox.integrations.upsales.errors import UpsalesAuthError
from upsales_fortnox.sync import interpreter
from upsales_fortnox.sync.interpreter import Applied, Effects


@dataclass(frozen=True)
class Outcome:
    """One entity's fate: what happened, and what operators need to see about it."""

    outcome: str
    entry: dict[str, Any]
    writes: Mapping[str, str] = field(default_factory=dict)
    """Writes beyond the record's own, kind → result: an article's product stock and currency
    prices (:mod:`upsales_fortnox.sync.inbound.product_extras`)."""


RUN_ENDING: Final = (ReauthorizationRequired, UpsalesAuthError, FortnoxAuthError)
"""Refusals of the installation's credentials, not of one entity: every entity after would
fail the same way, so they end the run (at the page, which runs again once they are fixed)."""

Run = Callable[[], Awaitable[Outcome]]
Job = tuple[dict[str, Any], Run]
"""An entity's report entry and the work that decides its outcome."""


def done(outcome: str, entry: dict[str, Any]) -> Run:
    """A job whose outcome is known already."""

    async def run() -> Outcome:
        return Outcome(outcome, entry)

    return run


async def carry_out(
    commands: Sequence[Command], effects: Effects, entry: dict[str, Any], outcome: str
) -> tuple[Outcome, Applied]:
    """Carry out one entity's commands; its outcome (``entry`` names the record created) and
    what the commands produced. ``linked`` becomes ``updated`` when the matched record's fields
    are written too."""
    applied = await interpreter.apply(commands, effects)
    if applied.created:
        entry["upsales_id"] = applied.created[-1].id
    if outcome == "linked" and any(
        isinstance(c, UpdateUpsalesCompany | UpdateUpsalesProduct | UpdateUpsalesOrder)
        for c in commands
    ):
        outcome = "updated"
    return Outcome(outcome, entry), applied


def own_error(failure: object) -> bool:
    """Whether an entity's failure is an error of its own request that another try may cure or
    not (a 500 to it), rather than an outage of the API (no answer, 502-504, a rate limit)."""
    return isinstance(failure, RetryableError) and not failure.outage


async def gather_outcomes(
    jobs: Sequence[Job], semaphore: asyncio.Semaphore, given_up: Collection[str] = ()
) -> list[Outcome | BaseException]:
    """Run the jobs, as many at a time as ``semaphore`` allows. An entity Upsales or Fortnox
    refuses becomes a ``failed`` outcome, as does an error of its own (:func:`own_error`) of an
    entity whose id is in ``given_up``; temporary failures and refused credentials
    (:data:`RUN_ENDING`) come back as exceptions."""

    async def bounded(entry: dict[str, Any], job: Run) -> Outcome:
        async with semaphore:
            try:
                return await job()
            except RUN_ENDING:
                raise
            except PermanentError as exc:
                return Outcome("failed", {**entry, "reason": f"{exc.code}: {exc.message}"})
            except RetryableError as exc:
                if not own_error(exc) or entry.get("fortnox_id") not in given_up:
                    raise
                return Outcome("failed", {**entry, "reason": f"{exc.code}: {exc.message}"})

    results = await asyncio.gather(
        *(bounded(entry, job) for entry, job in jobs), return_exceptions=True
    )
    return list(results)
