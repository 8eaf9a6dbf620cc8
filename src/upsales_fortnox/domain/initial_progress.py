"""The initial sync's checkpointed state and progress report (pure).

The job payload holds, after every page: the phases of this run, the cursor (the phase and the
next page to read) and per phase the counters (of outcomes, and of the writes beyond the
records' own: the articles' product stock and currency prices), the Fortnox total
(``@TotalResources``) and the seconds spent, from which the rate and ETA are derived. Ambiguous
matches and refused entities are kept with their candidates, up to :data:`MAX_REPORTED` of each,
for operators to decide.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final

from upsales_fortnox.domain.initial_phases import Phase

PAYLOAD_VERSION: Final = 1
MAX_REPORTED: Final = 200
"""Ambiguous matches (and, separately, refused entities) listed in full; beyond that, counted."""
STUCK_RUNS: Final = 3
"""Runs in a row an entity may end with an error of its own (a 500 to its request, not an
outage) before the import reports it failed, as a refused one, and goes on past it."""

OUTCOMES: Final = ("created", "linked", "updated", "unchanged", "ambiguous", "skipped", "failed")
"""What can happen to one Fortnox entity: a new Upsales record; linked to an existing one
(fields filled in where empty); an already linked record brought up to date; nothing to do;
two or more candidates (not guessed); not imported by the rules (e.g. a backorder, a cancelled
document, a document whose customer is not linked); refused by Upsales."""
WRITTEN: Final = frozenset({"created", "updated"})
"""Outcomes of a write that went through: the API took that entity's request."""
TOLD_WHEN_PAGE_ENDS: Final = WRITTEN | {"linked"}


@dataclass
class PhaseProgress:
    total: int | None = None
    done: int = 0
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    writes: dict[str, dict[str, int]] = field(default_factory=dict)
    """Writes beyond the records' own, by kind and result (articles: the products' ``stock``
    and ``currency_prices``, each ``written``, ``unchanged``, ``no_field`` or ``failed``)."""

    def count(self, outcome: str, number: int = 1) -> None:
        self.counts[outcome] = self.counts.get(outcome, 0) + number

    def count_write(self, kind: str, result: str) -> None:
        by_result = self.writes.setdefault(kind, {})
        by_result[result] = by_result.get(result, 0) + 1

    @property
    def rate(self) -> float | None:
        """Entities per second so far."""
        return self.done / self.seconds if self.seconds > 0 and self.done else None

    @property
    def eta_seconds(self) -> float | None:
        rate = self.rate
        if self.total is None or rate is None:
            return None
        return max(self.total - self.done, 0) / rate

    def to_payload(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "done": self.done,
            "seconds": round(self.seconds, 3),
            "counts": dict(self.counts),
            "writes": _copy_writes(self.writes),
        }

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> PhaseProgress:
        counts = dict.fromkeys(OUTCOMES, 0)
        counts.update({str(k): int(v) for k, v in dict(data.get("counts") or {}).items()})
        total = data.get("total")
        writes = {
            str(kind): {str(result): int(n) for result, n in dict(by_result).items()}
            for kind, by_result in dict(data.get("writes") or {}).items()
        }
        return cls(
            total=int(total) if total is not None else None,
            done=int(data.get("done", 0)),
            seconds=float(data.get("seconds", 0.0)),
            counts=counts,
            writes=writes,
        )


def _copy_writes(writes: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    return {kind: dict(by_result) for kind, by_result in writes.items()}


@dataclass
class SyncProgress:
    phases: tuple[Phase, ...]
    phase_index: int = 0
    next_page: int = 1
    by_phase: dict[Phase, PhaseProgress] = field(default_factory=dict)
    ambiguous: list[dict[str, Any]] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)
    stuck: dict[str, int] = field(default_factory=dict)
    """Entities of the page at the cursor whose errors of their own ended the last runs, by
    Fortnox id: how many runs in a row."""
    page_written: dict[str, str] = field(default_factory=dict)
    """Entities of the page at the cursor written in runs that ended at it, by Fortnox id: their
    outcome (:data:`WRITTEN`, or ``linked``), told when the page ends (found linked by then)."""

    def __post_init__(self) -> None:
        for phase in self.phases:
            self.by_phase.setdefault(phase, PhaseProgress())

    @property
    def current(self) -> Phase | None:
        return self.phases[self.phase_index] if self.phase_index < len(self.phases) else None

    @property
    def finished(self) -> bool:
        return self.current is None

    @property
    def documents_taken(self) -> int:
        """Documents this import made an Upsales order for, linked to one (also one whose
        order it wrote as it linked it: ``updated``), or brought their linked order up to date."""
        return sum(
            self.by_phase[phase].counts.get(outcome, 0)
            for phase in self.phases
            if phase.is_document
            for outcome in ("created", "linked", "updated")
        )

    def phase(self, phase: Phase) -> PhaseProgress:
        return self.by_phase[phase]

    def for_phases(self, phases: tuple[Phase, ...]) -> SyncProgress:
        """This progress going on with ``phases`` instead (the module, ``syncType``, changed
        since it was saved): the phases done keep their progress; the import goes on at the
        first of ``phases`` not done, from its page if it is the phase it was at, else from
        its first page and counted afresh (a phase read again counts what it reads)."""
        if phases == self.phases:
            return self
        done = set(self.phases[: self.phase_index])
        index = next((i for i, phase in enumerate(phases) if phase not in done), len(phases))
        at = phases[index] if index < len(phases) else None
        going_on = at is not None and at is self.current
        kept = done | ({at} if going_on and at is not None else set())
        return SyncProgress(
            phases=phases,
            phase_index=index,
            next_page=self.next_page if going_on else 1,
            by_phase={phase: self.by_phase[phase] for phase in phases if phase in kept},
            ambiguous=self.ambiguous,
            failed=self.failed,
            stuck=self.stuck if going_on else {},
            page_written=self.page_written if going_on else {},
        )

    def next_phase(self) -> None:
        self.phase_index += 1
        self.next_page = 1

    def note_stuck(self, fortnox_ids: Iterable[str], *, others_written: bool) -> None:
        """The entities whose errors of their own ended this run at the page (the others'
        runs in a row start again). Several of them while no other entity's write went
        through (``others_written``) tell no entity's error from an API failing every write
        (a 500 to each, in a maintenance): such a run is not counted."""
        failing = list(fortnox_ids)
        if len(failing) > 1 and not others_written:
            return
        self.stuck = {key: self.stuck.get(key, 0) + 1 for key in failing}

    def note_written(self, outcomes: Iterable[tuple[str, str]]) -> None:
        """The outcomes, by Fortnox id, of a run that ended at the page: those that wrote are
        kept, to be told when the page ends."""
        written = {key: outcome for key, outcome in outcomes if outcome in TOLD_WHEN_PAGE_ENDS}
        self.page_written = {**self.page_written, **written}

    def told(self, fortnox_id: str, outcome: str) -> str:
        """The outcome the page's end tells of an entity: what an earlier run at the page did
        to it if this one found it linked, ``unchanged``."""
        return self.page_written.get(fortnox_id, outcome) if outcome == "unchanged" else outcome

    def page_ended(self) -> None:
        """The page at the cursor ended: what its runs kept is done with."""
        self.stuck = {}
        self.page_written = {}

    @property
    def given_up(self) -> frozenset[str]:
        """The entities whose error of their own, met once more at this page, is reported as
        a failure of theirs instead of ending the run (:data:`STUCK_RUNS`)."""
        return frozenset(key for key, runs in self.stuck.items() if runs >= STUCK_RUNS - 1)

    def report_ambiguous(self, entry: dict[str, Any]) -> None:
        if len(self.ambiguous) < MAX_REPORTED:
            self.ambiguous.append(entry)

    def report_failed(self, entry: dict[str, Any]) -> None:
        if len(self.failed) < MAX_REPORTED:
            self.failed.append(entry)

    def to_payload(self) -> dict[str, Any]:
        return {
            "version": PAYLOAD_VERSION,
            "phases": [phase.value for phase in self.phases],
            "cursor": {
                "phase": self.current.value if self.current else None,
                "page": self.next_page,
            },
            "progress": {phase.value: self.by_phase[phase].to_payload() for phase in self.phases},
            "ambiguous": list(self.ambiguous),
            "failed": list(self.failed),
            "stuck": dict(self.stuck),
            "page_written": dict(self.page_written),
        }

    def to_json(self) -> dict[str, Any]:
        """The ``initial_sync`` job's result once it finished: its last checkpoint."""
        return self.to_payload()

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> SyncProgress | None:
        """The state a previous run checkpointed, or None for a job that has not started."""
        if data.get("version") != PAYLOAD_VERSION or not data.get("phases"):
            return None
        phases = tuple(Phase(name) for name in data["phases"])
        cursor = dict(data.get("cursor") or {})
        phase_name = cursor.get("phase")
        index = phases.index(Phase(phase_name)) if phase_name else len(phases)
        progress = dict(data.get("progress") or {})
        return cls(
            phases=phases,
            phase_index=index,
            next_page=int(cursor.get("page", 1)),
            by_phase={
                phase: PhaseProgress.from_payload(dict(progress.get(phase.value) or {}))
                for phase in phases
            },
            ambiguous=list(data.get("ambiguous") or []),
            failed=list(data.get("failed") or []),
            stuck={str(k): int(v) for k, v in dict(data.get("stuck") or {}).items()},
            page_written={str(k): str(v) for k, v in dict(data.get("page_written") or {}).items()},
        )


def phase_report(progress: SyncProgress) -> list[dict[str, Any]]:
    """Per phase: state, done, total, counts, writes beyond the records' own, rate (per
    second) and ETA (seconds)."""
    report = []
    for index, phase in enumerate(progress.phases):
        item = progress.by_phase[phase]
        state = (
            "done"
            if index < progress.phase_index
            else "running"
            if index == progress.phase_index
            else "pending"
        )
        rate = item.rate
        eta = 0.0 if state == "done" else item.eta_seconds
        report.append(
            {
                "phase": phase.value,
                "state": state,
                "done": item.done,
                "total": item.total,
                "counts": dict(item.counts),
                "writes": _copy_writes(item.writes),
                "rate_per_second": round(rate, 2) if rate is not None else None,
                "eta_seconds": round(eta, 1) if eta is not None else None,
            }
        )
    return report
