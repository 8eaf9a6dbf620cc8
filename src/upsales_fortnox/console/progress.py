"""The initial sync's report as one figure for a progress bar (pure)."""

from __future__ import annotations

from typing import Any


def overall_percent(report: dict[str, Any] | None) -> int | None:
    """Done over total across the phases whose totals are known; 100 once the job is done;
    None before any total is known."""
    if report is None:
        return None
    if report.get("status") == "done":
        return 100
    done = total = 0
    for phase in report.get("phases", []):
        phase_total = phase.get("total")
        if phase_total is None:
            continue
        total += int(phase_total)
        done += min(int(phase.get("done", 0)), int(phase_total))
    if total == 0:
        return None
    return min(100, (100 * done) // total)
