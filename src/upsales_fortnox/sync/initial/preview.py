"""The dry-run preview: the initial sync's matching with nothing written (no Upsales or Fortnox
write, no link, no job). Reports per register the counts of what would be created, linked,
updated, left unchanged, skipped and what is ambiguous (with the candidates), and a few samples
of each. Documents are judged from their list items (their rows are not read)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any, Final

from upsales_fortnox.services import Services
from upsales_fortnox.sync.context import installation_context
from upsales_fortnox.sync.initial.importer import ImportContext, InitialImport
from upsales_fortnox.sync.initial.phases import Phase, phases_for
from upsales_fortnox.sync.initial.progress import OUTCOMES, SyncProgress

SAMPLES_PER_OUTCOME: Final = 5


class SampleRecorder:
    def __init__(self, samples: int = SAMPLES_PER_OUTCOME) -> None:
        self._limit = samples
        self.samples: dict[Phase, dict[str, list[dict[str, Any]]]] = defaultdict(
            lambda: defaultdict(list)
        )

    def record(self, phase: Phase, outcome: str, entry: dict[str, Any]) -> None:
        kept = self.samples[phase][outcome]
        if len(kept) < self._limit:
            kept.append({key: value for key, value in entry.items() if key != "phase"})


async def preview_initial_sync(services: Services, installation_id: uuid.UUID) -> dict[str, Any]:
    context = await installation_context(services, installation_id)
    progress = SyncProgress(phases_for(context.settings.sync_type))
    recorder = SampleRecorder()
    importer = InitialImport(
        ImportContext(
            installation_id=installation_id,
            settings=context.settings,
            fortnox=context.fortnox,
            upsales=context.upsales,
            session_factory=services.session_factory,
            dry_run=True,
        ),
        progress,
        recorder,
    )

    async def no_checkpoint(_: SyncProgress) -> None:
        return None

    await importer.run(no_checkpoint)
    return {
        "installation_id": str(installation_id),
        "sync_type": context.settings.sync_type.value,
        "phases": [
            {
                "phase": phase.value,
                "total": progress.phase(phase).total,
                "counts": {
                    outcome: progress.phase(phase).counts.get(outcome, 0) for outcome in OUTCOMES
                },
                "samples": {
                    outcome: recorder.samples[phase][outcome]
                    for outcome in OUTCOMES
                    if recorder.samples[phase][outcome]
                },
            }
            for phase in progress.phases
        ],
        "ambiguous": progress.ambiguous,
    }
