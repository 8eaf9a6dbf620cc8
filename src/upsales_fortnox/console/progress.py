"""The initial sync's report as one figure for a progress bar (pure)."""

from __future__ import annotations

from typing import Any


def _phase_share(phase: dict[str, Any]) -> float:
    """How much of one phase is done, 0..1 (a phase whose total is unknown counts as 0)."""
    if phase.get("state") == "done":
        return 1.0
    total = phase.get("total")
    if not total:
        return 0.0
    return min(int(phase.get("done", 0)), int(total)) / int(total)


def overall_percent(report: dict[str, Any] | None) -> int | None:
    """The mean of the phases' shares, in whole percent; 100 once the job is done; None
    when there is no initial sync or its phases are not known yet."""
    if report is None:
        return None
    if report.get("status") == "done":
        return 100
    phases = report.get("phases") or []
    if not phases:
        return None
    return min(100, int(100 * sum(_phase_share(phase) for phase in phases) / len(phases)))
