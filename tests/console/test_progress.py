"""The initial sync's progress bar figure."""

from __future__ import annotations

from upsales_fortnox.console.progress import overall_percent


def _phase(state: str, done: int, total: int | None) -> dict[str, object]:
    return {"phase": "x", "state": state, "done": done, "total": total}


def test_no_sync_or_no_phases_has_no_figure() -> None:
    assert overall_percent(None) is None
    assert overall_percent({"status": "queued", "phases": []}) is None


def test_phases_count_equally_and_unknown_totals_count_as_nothing() -> None:
    report = {
        "status": "running",
        "phases": [
            _phase("done", 3, 3),
            _phase("running", 1, 4),
            _phase("pending", 0, None),
            _phase("pending", 0, None),
        ],
    }
    assert overall_percent(report) == 31  # (1 + 0.25) / 4


def test_a_done_phase_with_nothing_to_do_is_complete_and_a_done_job_is_100() -> None:
    assert overall_percent({"status": "running", "phases": [_phase("done", 0, 0)]}) == 100
    assert overall_percent({"status": "done", "phases": [_phase("running", 1, 9)]}) == 100
    overshoot = {
        "status": "running",
        "phases": [_phase("running", 12, 10), _phase("pending", 0, 5)],
    }
    assert overall_percent(overshoot) == 50
