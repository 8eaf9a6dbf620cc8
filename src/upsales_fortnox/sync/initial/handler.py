"""The ``initial_sync`` job handler: resumes from the job's checkpoint and imports to the end.

With ``paymentStatus`` or ``documentLinks`` on, an import that made or linked orders of
documents then queues one ``refresh_order_fields`` job
(:mod:`upsales_fortnox.sync.inbound.order_fields_refresh`), as turning the settings on does for
the deals linked before: the import itself writes neither field, so its orders get them there.
"""

from __future__ import annotations

from upsales_fortnox.domain.initial_phases import phases_for
from upsales_fortnox.domain.initial_progress import SyncProgress
from upsales_fortnox.domain.sync_settings import order_fields_on
from upsales_fortnox.jobs import HandlerRegistry, JobContext
from upsales_fortnox.services import Services
from upsales_fortnox.sync.context import installation_context
from upsales_fortnox.sync.inbound.order_fields_refresh import enqueue_order_fields_refresh
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

    progress = await importer.run(checkpoint)
    fields = order_fields_on(context.settings)
    if fields and progress.finished and progress.documents_taken:
        async with services.session_factory() as session:
            await enqueue_order_fields_refresh(session, job.installation_id, fields)
            await session.commit()
    return progress


def register_initial_sync_handlers(registry: HandlerRegistry, services: Services) -> None:
    async def handle(job: JobContext) -> SyncProgress:
        return await run_initial_sync(services, job)

    registry.register(JobKind.INITIAL_SYNC, handle)
