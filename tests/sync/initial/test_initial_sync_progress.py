"""The initial sync's rate and ETA, with an injected clock: every page takes exactly half a
second, so the reported rate and ETA are known at every checkpoint."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests.e2e.harness import SyncHarness
from tests.sync.initial.scenario import seed_overlap
from upsales_fortnox.domain.initial_phases import Phase, phases_for
from upsales_fortnox.domain.initial_progress import SyncProgress, phase_report
from upsales_fortnox.integrations.fortnox import listing as fortnox_listing
from upsales_fortnox.sync.context import installation_context
from upsales_fortnox.sync.initial.import_context import ImportContext
from upsales_fortnox.sync.initial.importer import InitialImport
from upsales_fortnox.vocabulary import SyncType

PAGE_SECONDS = Decimal("0.5")


class SteppingClock:
    """A monotonic clock that moves half a second each time it is read; the importer reads it
    at the start and the end of every page."""

    def __init__(self) -> None:
        self.now = Decimal(1000)

    def __call__(self) -> float:
        self.now += PAGE_SECONDS
        return float(self.now)


async def test_rate_and_eta_while_running_and_when_done(
    harness: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_overlap(harness)  # 5 customers, 2 articles, 4 invoices
    monkeypatch.setattr(fortnox_listing, "PAGE_SIZE", 2)
    context = await installation_context(harness.services, harness.installation_id)
    progress = SyncProgress(phases_for(context.settings.sync_type))
    importer = InitialImport(
        ImportContext(
            installation_id=harness.installation_id,
            settings=context.settings,
            fortnox=context.fortnox,
            upsales=context.upsales,
            session_factory=harness.services.session_factory,
            monotonic=SteppingClock(),
        ),
        progress,
    )
    reports: list[list[dict[str, Any]]] = []

    async def checkpoint(state: SyncProgress) -> None:
        # what an operator reads: the report of the checkpointed payload
        restored = SyncProgress.from_payload(state.to_payload())
        assert restored is not None
        reports.append(phase_report(restored))

    await importer.run(checkpoint)

    # pages: customers 3, articles 1, invoices 2; one checkpoint after each
    assert len(reports) == 6
    customers_after_first_page = reports[0][0]
    assert customers_after_first_page["state"] == "running"
    assert (customers_after_first_page["done"], customers_after_first_page["total"]) == (2, 5)
    assert customers_after_first_page["rate_per_second"] == 4.0  # 2 in 0.5 s
    assert customers_after_first_page["eta_seconds"] == 0.8  # 3 left at 4/s = 0.75 s, to 0.1
    assert reports[1][0]["eta_seconds"] == 0.2  # 1 left at 4/s
    invoices_after_first_page = reports[4][2]
    assert invoices_after_first_page["state"] == "running"
    assert invoices_after_first_page["eta_seconds"] == 0.5  # 2 left at 4/s

    previous_done: dict[str, int] = {}
    for report in reports:
        for phase in report:
            assert phase["done"] >= previous_done.get(phase["phase"], 0)  # counts only grow
            previous_done[phase["phase"]] = phase["done"]
            if phase["state"] == "done":
                assert phase["eta_seconds"] == 0.0
                assert phase["done"] == phase["total"]
            elif phase["state"] == "running" and phase["done"]:
                assert phase["rate_per_second"] > 0 and phase["eta_seconds"] >= 0
                assert phase["done"] <= phase["total"]
            else:  # pending, or running with nothing done yet: no rate, no guess
                assert phase["rate_per_second"] is None and phase["eta_seconds"] is None

    final = reports[-1]
    assert [p["state"] for p in final] == ["done", "done", "done"]
    assert [p["eta_seconds"] for p in final] == [0.0, 0.0, 0.0]
    assert [p["rate_per_second"] for p in final] == [
        round(5 / 1.5, 2),  # 5 customers over 3 pages
        4.0,  # 2 articles, one page
        4.0,  # 4 invoices, two pages
    ]


def test_documents_taken_counts_those_made_linked_or_updated_not_customers_or_articles() -> None:
    progress = SyncProgress(phases_for(SyncType.ORDER_OFFER))
    progress.phase(Phase.CUSTOMERS).count("created", 5)
    progress.phase(Phase.ARTICLES).count("linked", 4)
    progress.phase(Phase.OFFERS).count("unchanged", 7)
    progress.phase(Phase.OFFERS).count("skipped", 2)
    assert progress.documents_taken == 0
    progress.phase(Phase.ORDERS).count("updated")  # linked, its order written as it was linked
    assert progress.documents_taken == 1
    progress.phase(Phase.OFFERS).count("created", 2)
    progress.phase(Phase.ORDERS).count("linked")
    assert progress.documents_taken == 4
