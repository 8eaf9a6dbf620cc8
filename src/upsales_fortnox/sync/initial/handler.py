"""The ``initial_sync`` job handler: resumes from the job's checkpoint and imports to the end.

With ``paymentStatus`` or ``documentLinks`` on, an import that made or linked orders of
documents then queues one ``refresh_order_fields`` job
(:mod:`upsales_fortnox.sync.inbound.order_fields_refresh`), as turning the settings on does for
the deals linked before: the import itself writes neither field, so its orders get them there.

The module (``syncType``) decides which documents are imported. Changed while the import
runs, the run ends at its next checkpoint and goes on at once with the new module's document
phases (:meth:`~upsales_fortnox.domain.initial_progress.SyncProgress.for_phases`), as a run
resumed after the change does, rather than import the documents of the module left.
"""

from __future__ import annotations

import uuid

from upsales_fortnox.domain.initial_phases import phases_for
from upsales_fortnox.domain.initial_progress import SyncProgress
from upsales_fortnox.domain.sync_settings import order_fields_on
from upsales_fortnox.installations.repository.settings import load_settings
from upsales_fortnox.integrations.errors import RetryLater
from upsales_fortnox.jobs import HandlerRegistry, JobContext
from upsales_fortnox.services import Services
from upsales_fortnox.sync.context import installation_context
from upsales_fortnox.sync.inbound.order_fields_refresh import enqueue_order_fields_refresh
from upsales_fortnox.sync.initial.import_context import ImportContext
from upsales_fortnox.sync.initial.importer import InitialImport
from upsales_fortnox.vocabulary import JobKind, SyncType


class ModuleChanged(RetryLater):
    """The module changed while the import ran: it goes on at once with the new one."""

    def __init__(self, module: SyncType) -> None:
        super().__init__(
            f"the module (syncType) changed to {module.value}; the import goes on with it",
            retry_after=0.0,
            code="sync_type_changed",
        )


async def _module_now(services: Services, installation_id: uuid.UUID) -> SyncType | None:
    async with services.session_factory() as session:
        row = (await load_settings(session, installation_id)).row
    return SyncType(row.sync_type) if row is not None else None


async def run_initial_sync(services: Services, job: JobContext) -> SyncProgress:
    context = await installation_context(services, job.installation_id)
    module = context.settings.sync_type
    phases = phases_for(module)
    saved = SyncProgress.from_payload(job.payload)
    progress = saved.for_phases(phases) if saved is not None else SyncProgress(phases)
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
        if not state.finished:
            now = await _module_now(services, job.installation_id)
            if now is not None and now != module:
                raise ModuleChanged(now)

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
