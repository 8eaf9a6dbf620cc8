"""The dry-run preview: the initial import run on a recorder, so nothing is written (no Upsales
or Fortnox write, no link, no job). Reports per register the counts of what would be created,
linked, updated, left unchanged, skipped and what is ambiguous (with the candidates), and a few
samples of each. Documents are judged from their list items (their rows are not read); an
invoice's list item does not say whether it is a credit invoice (never imported), so an invoice
listed with a total of zero or less is read to tell (one call each)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any, Final

from upsales_fortnox.domain.initial_phases import Phase, phases_for
from upsales_fortnox.domain.initial_progress import OUTCOMES, SyncProgress
from upsales_fortnox.domain.references import is_outbound_reference
from upsales_fortnox.integrations.fortnox.listing import ListPage
from upsales_fortnox.integrations.fortnox.models import Entity, Invoice, Order
from upsales_fortnox.integrations.ports import FortnoxPort
from upsales_fortnox.services import Services
from upsales_fortnox.sync.context import installation_context
from upsales_fortnox.sync.effects.recorder import Recorder
from upsales_fortnox.sync.initial.control import require_settings
from upsales_fortnox.sync.initial.import_context import ImportContext
from upsales_fortnox.sync.initial.import_documents import DocumentIndexes
from upsales_fortnox.sync.initial.import_outcomes import Outcome, Run, done
from upsales_fortnox.sync.initial.importer import InitialImport

SAMPLES_PER_OUTCOME: Final = 5
LINKING_OUTCOMES: Final = frozenset({"created", "linked", "updated"})


class PreviewLog:
    """Every entity's outcome, as the preview keeps it: a few samples of each outcome, and the
    customers the import would link (their documents would be imported)."""

    def __init__(self, samples: int = SAMPLES_PER_OUTCOME) -> None:
        self._limit = samples
        self.samples: dict[Phase, dict[str, list[dict[str, Any]]]] = defaultdict(
            lambda: defaultdict(list)
        )
        self.customers_linked: set[str] = set()

    def record(self, phase: Phase, outcome: str, entry: dict[str, Any]) -> None:
        if phase is Phase.CUSTOMERS and outcome in LINKING_OUTCOMES:
            self.customers_linked.add(entry["fortnox_id"])
        kept = self.samples[phase][outcome]
        if len(kept) < self._limit:
            kept.append({key: value for key, value in entry.items() if key != "phase"})


def may_be_credit_invoice(listed: Entity) -> bool:
    """Whether a listed document may be a credit invoice: an invoice of a total above zero is
    none (a credit invoice's amounts are those it credits, negated)."""
    if not isinstance(listed, Invoice):
        return False
    return listed.Total is None or listed.Total <= 0


class ListedDocuments:
    """The preview's :class:`~.import_documents.DocumentJudge`: a verdict from the list item
    (a document is read only to tell a credit invoice: :func:`may_be_credit_invoice`)."""

    def __init__(self, log: PreviewLog, fortnox: FortnoxPort) -> None:
        self._log = log
        self._fortnox = fortnox

    def start(self, phase: Phase, first_page: int) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def page(self, phase: Phase, number: int) -> ListPage[Entity] | None:
        return None

    async def prepare(self, phase: Phase) -> None:
        return None

    def found(self, listed: Entity, order_id: int, entry: dict[str, Any]) -> Run:
        return done("linked", entry)

    def unlinked(
        self,
        indexes: DocumentIndexes,
        listed: Entity,
        customer_links: dict[str, int],
        entry: dict[str, Any],
    ) -> Run:
        if isinstance(listed, Order) and listed.is_backorder:
            return done("skipped", {**entry, "reason": "backorder"})
        if is_outbound_reference(getattr(listed, "ExternalInvoiceReference1", None)):
            verdict = Outcome("skipped", {**entry, "reason": "own_document"})
        elif (
            entry["customer"] not in customer_links
            and entry["customer"] not in self._log.customers_linked
        ):
            verdict = Outcome("skipped", {**entry, "reason": "customer_not_linked"})
        else:
            verdict = Outcome("created", entry)
        if not isinstance(listed, Invoice) or not may_be_credit_invoice(listed):
            return done(verdict.outcome, verdict.entry)
        number = listed.DocumentNumber

        async def run() -> Outcome:
            if number is not None and (await self._fortnox.get_invoice(number)).Credit:
                return Outcome("skipped", {**entry, "reason": "credit_invoice"})
            return verdict

        return run


async def preview_initial_sync(services: Services, installation_id: uuid.UUID) -> dict[str, Any]:
    """The preview; refused (:class:`~.control.InitialSyncRefused`) before the settings are
    chosen, as the import is."""
    context = await installation_context(services, installation_id)
    async with services.session_factory() as session:
        await require_settings(session, installation_id)
    progress = SyncProgress(phases_for(context.settings.sync_type))
    log = PreviewLog()
    importer = InitialImport(
        ImportContext(
            installation_id=installation_id,
            settings=context.settings,
            fortnox=context.fortnox,
            upsales=context.upsales,
            session_factory=services.session_factory,
        ),
        progress,
        effects=Recorder(),
        documents=ListedDocuments(log, context.fortnox),
        listener=log,
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
                    outcome: log.samples[phase][outcome]
                    for outcome in OUTCOMES
                    if log.samples[phase][outcome]
                },
            }
            for phase in progress.phases
        ],
        "ambiguous": progress.ambiguous,
    }
