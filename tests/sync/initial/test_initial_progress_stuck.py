"""What the saved progress keeps of the page at its cursor between runs: the runs in a row each
entity ended with an error of its own, and what earlier runs wrote; readable from the progress
an earlier version saved without them."""

from __future__ import annotations

from upsales_fortnox.domain.initial_phases import phases_for
from upsales_fortnox.domain.initial_progress import STUCK_RUNS, SyncProgress
from upsales_fortnox.vocabulary import SyncType


def _progress() -> SyncProgress:
    return SyncProgress(phases_for(SyncType.INVOICE))


def test_an_entity_failing_alone_is_given_up_after_its_runs() -> None:
    progress = _progress()
    for _ in range(STUCK_RUNS - 1):
        progress.note_stuck(["4"], others_written=False)
    assert progress.given_up == frozenset({"4"})


def test_several_failing_while_no_other_write_goes_through_is_not_counted() -> None:
    progress = _progress()
    progress.note_stuck(["4", "5"], others_written=True)
    for _ in range(STUCK_RUNS):
        progress.note_stuck(["4", "5"], others_written=False)
    assert progress.stuck == {"4": 1, "5": 1}
    assert progress.given_up == frozenset()


def test_an_entity_that_no_longer_fails_starts_its_runs_again() -> None:
    progress = _progress()
    progress.note_stuck(["4"], others_written=False)
    progress.note_stuck(["5"], others_written=False)
    assert progress.stuck == {"5": 1}


def test_a_page_ending_drops_what_its_runs_kept() -> None:
    progress = _progress()
    progress.note_stuck(["4"], others_written=False)
    progress.note_written([("1", "created"), ("2", "unchanged"), ("3", "linked")])
    assert (progress.told("1", "unchanged"), progress.told("2", "unchanged")) == (
        "created",
        "unchanged",
    )
    assert progress.told("3", "failed") == "failed"

    progress.page_ended()

    assert (progress.stuck, progress.told("1", "unchanged")) == ({}, "unchanged")


def test_the_kept_state_survives_the_checkpoint_and_an_older_one_reads_without_it() -> None:
    progress = _progress()
    progress.note_stuck(["4"], others_written=False)
    progress.note_written([("1", "created")])

    saved = progress.to_payload()
    again = SyncProgress.from_payload(saved)
    older = SyncProgress.from_payload(
        {k: v for k, v in saved.items() if k not in ("stuck", "page_written")}
    )

    assert again is not None and older is not None
    assert (again.stuck, again.told("1", "unchanged")) == ({"4": 1}, "created")
    assert (older.stuck, older.told("1", "unchanged")) == ({}, "unchanged")
