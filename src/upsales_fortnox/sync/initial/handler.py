"""The ``initial_sync`` job handler: resumes from the job's checkpoint and imports to the end."""

from __future__ import annotations

from upsales_fortnox.domain.initial_phases import phases_for
from upsales_fortnox.domain.initial_progress import SyncProgress
from upsales_fortnox.jobs import HandlerRegistry, JobContext
from upsales_fortnox.services import Services
from upsales_fortnox.sync.context import installation_context
from upsales_fortnox.sync.initial.import_context import ImportContext
from upsales_fortnox.sync.initial.importer import InitialImport
from upsales_fortnox.vocabulary import JobKind


async def run_initial_sync(services: Services, job: JobContext) -> SyncProgress:
    context = await installation_context(services, job.installation_id)
    progress = SyncProgress.from_payload(job.payload) or SyncProgress(
        phases_for(context.settings.sync_type)
    )
    importer = InitialImport(
        ImportContext(
            installation_id=job.installation_id,
            settings=context.settings,
            fortnox=context.fortnox,
            upsales=context.upsales,
            session_factory=services.session_factory,
        ),
        progress,
    )

    async def checkpoint(state: SyncProgress) -> None:
        await job.checkpoint(state.to_payload())

    return await importer.run(checkpoint)


def register_initial_sync_handlers(registry: HandlerRegistry, services: Services) -> None:
    async def handle(job: JobContext) -> SyncProgress:
        return await run_initial_sync(services, job)

    registry.register(JobKind.INITIAL_SYNC, handle)
