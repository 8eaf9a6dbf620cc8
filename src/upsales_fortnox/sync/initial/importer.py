"""The initial import, one Fortnox page at a time, with the inbound sync's rules.

For each page: list it (``sortby`` ascending, 500 items), look up the links of its entities in
one query, decide per entity with the inbound sync's pure functions (matching, mapping,
document planning: :mod:`.import_customers`, :mod:`.import_articles`,
:mod:`.import_documents`), carry out the commands through the interpreter on the import's
effects target (up to :data:`~.import_context.CONCURRENCY` entities at once; the clients pace
themselves), save the page's links in one statement, and report the outcomes. The caller
checkpoints after every page, so a page is checkpointed only once all its writes and links are
committed.

The effects target is a writer by default. The preview (:mod:`.preview`) runs the same import
on a recorder, which sends nothing, and judges documents from their list items.

Rules particular to the initial import (the inbound handlers keep linked entities up to date
from change events afterwards):

* An entity linked already is ``unchanged``: the import neither reads nor writes it again
  (nor its product's stock and currency prices: turning those settings on refreshes the
  linked products, :mod:`upsales_fortnox.sync.inbound.extras_refresh`).
* An entity Upsales refuses (400) is reported as ``failed``; the import goes on. An article
  whose product's stock or currency prices Upsales refuses is listed with the refused entities
  too, its product imported (its outcome counted as such, the refused write under the phase's
  ``writes``). Temporary failures (rate limit, 5xx, network) end the run; the job is retried and
  resumes from the last checkpoint. So do refused credentials (Upsales' key, Fortnox's login:
  401/403), once fixed and the job retried, instead of failing every entity after them. An
  entity whose error of its own (a 500 to its request, not an outage) ends
  :data:`~upsales_fortnox.domain.initial_progress.STUCK_RUNS` runs in a row at its page is
  reported ``failed`` at the last of them, as a refused one, so it does not hold the import
  (a run in which several fail so while no other write goes through is not counted: a 500 to
  every write is an outage's). A
  repeated page creates nothing twice: what was created before the failure is found by its link,
  by the Fortnox customer number or document reference (or description) written on it, by
  organisation number or name, or (products) by article number or name.
* Pages are read by number, sorted by the register's own number: a new entity (the next
  number) lands on a later page; one given a lower number only repeats an entity of the next
  page. One that leaves the list from a page already imported (deleted, an article
  deactivated), or while the job waits to resume, moves the next page's first entity onto that
  page: the list's total shows the loss, and that page is listed again for the entities that
  slipped onto it (:mod:`upsales_fortnox.domain.initial_paging`), one call more only then.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Collection, Sequence
from typing import Any, Protocol

from upsales_fortnox.domain.initial_paging import slipped_back, slipped_entities
from upsales_fortnox.domain.initial_phases import (
    LIST_FILTERS,
    PHASE_MODELS,
    SORT_KEYS,
    Phase,
    entity_id,
)
from upsales_fortnox.domain.initial_progress import WRITTEN, SyncProgress
from upsales_fortnox.integrations.fortnox.listing import ListPage
from upsales_fortnox.integrations.fortnox.models import Entity
from upsales_fortnox.jobs import LeaseLost
from upsales_fortnox.sync.effects.link_sinks import PageLinks
from upsales_fortnox.sync.effects.live_writer import Writer
from upsales_fortnox.sync.inbound.article_reads import ArticleReader
from upsales_fortnox.sync.inbound.product_extras import FAILED, ProductExtras
from upsales_fortnox.sync.initial.import_articles import ArticleImport, ReadsAhead
from upsales_fortnox.sync.initial.import_context import ImportContext
from upsales_fortnox.sync.initial.import_customers import CustomerImport
from upsales_fortnox.sync.initial.import_documents import DocumentImport, DocumentJudge
from upsales_fortnox.sync.initial.import_outcomes import Outcome, own_error
from upsales_fortnox.sync.initial.read_ahead import article_read_ahead
from upsales_fortnox.sync.initial.read_documents import ReadDocuments
from upsales_fortnox.sync.interpreter import Effects


class OutcomeListener(Protocol):
    """Receives every entity's outcome (the preview keeps samples)."""

    def record(self, phase: Phase, outcome: str, entry: dict[str, Any]) -> None: ...


class PhaseImport(Protocol):
    async def list_page(self, number: int) -> ListPage[Entity]: ...

    async def import_page(
        self, entities: Sequence[Entity], linked: dict[str, int], given_up: Collection[str] = ()
    ) -> list[Outcome | BaseException]: ...


class InitialImport:
    """``effects``: where commands take effect (default: a writer over the context's clients
    whose links are committed per page); ``documents``: how unlinked documents are judged
    (default: read and imported)."""

    def __init__(
        self,
        context: ImportContext,
        progress: SyncProgress,
        *,
        effects: Effects | None = None,
        documents: DocumentJudge | None = None,
        listener: OutcomeListener | None = None,
    ) -> None:
        self._ctx = context
        self._progress = progress
        self._links = PageLinks(context.session_factory, context.installation_id)
        self._extras = ProductExtras.of(context.settings) if effects is None else ProductExtras()
        """The products' stock and currency prices: written by the import's own writer only
        (the preview judges the records, not these)."""
        if effects is None:
            effects = Writer(context.upsales, context.fortnox, self._links)
        self._effects = effects
        self._documents = documents if documents is not None else ReadDocuments(context, effects)
        self._listener = listener
        self._reader = ArticleReader(
            context.fortnox, context.installation_id, context.settings.price_list, self._extras
        )
        self._reads_ahead: ReadsAhead | None = None
        if self._reader.reads:
            reader = self._reader
            self._reads_ahead = ReadsAhead(
                lambda _, first: article_read_ahead(
                    context.fortnox, reader, context.linked, first_page=first
                )
            )
        self._semaphore = asyncio.Semaphore(context.concurrency)
        self._phase: tuple[Phase, PhaseImport] | None = None
        """The current phase, prepared (its indexes are kept for the rest of the phase)."""

    async def run(self, checkpoint: Callable[[SyncProgress], Awaitable[None]]) -> SyncProgress:
        """Import from the progress' cursor to the end, checkpointing after every page.

        The first document phase's documents, and what the articles need read (prices in the
        chosen and the currencies' price lists, stock), are read ahead from the start, while
        the phases before theirs are imported (see :mod:`.read_ahead`).
        """
        current = self._progress.current
        later = self._progress.phases[self._progress.phase_index + 1 :]
        if current is not None and not current.is_document:
            first_documents = next((phase for phase in later if phase.is_document), None)
            if first_documents is not None:
                self._documents.start(first_documents, 1)
        if self._reads_ahead is not None and Phase.ARTICLES in later:
            self._reads_ahead.start(Phase.ARTICLES, 1)
        try:
            while (phase := self._progress.current) is not None:
                kept = (self._progress.stuck, self._progress.page_written)
                try:
                    more = await self.import_page(phase, self._progress.next_page)
                except Exception:
                    now = (self._progress.stuck, self._progress.page_written)
                    if now != kept:  # kept for the next run (nothing else is)
                        with contextlib.suppress(Exception):
                            await checkpoint(self._progress)
                    raise
                self._progress.page_ended()
                if more:
                    self._progress.next_page += 1
                else:
                    self._progress.next_phase()
                    self._phase = None
                await checkpoint(self._progress)
        finally:
            try:
                await self._documents.stop()
            finally:  # even when cancelled again meanwhile
                if self._reads_ahead is not None:
                    await self._reads_ahead.stop()
        return self._progress

    async def import_page(self, phase: Phase, page_number: int) -> bool:
        """One page of ``phase``; True when more pages follow."""
        started = self._ctx.monotonic()
        work = await self._prepare(phase)
        total_before = self._progress.phase(phase).total if page_number > 1 else None
        listed = await work.list_page(page_number)
        entities = [entity for entity in listed.items if entity_id(entity) is not None]
        slipped = slipped_back(total_before, listed.total_resources)
        if slipped:
            entities = [*await self._slipped(phase, page_number - 1, slipped, entities), *entities]
        linked = await self._ctx.linked(phase, [entity_id(e) or "" for e in entities])
        outcomes = await work.import_page(entities, linked, self._progress.given_up)
        await self._links.commit()  # what succeeded, in one statement
        failures = [item for item in outcomes if isinstance(item, BaseException)]
        if failures:  # a lost lease first: the job is then another worker's, not failed
            lost = next((f for f in failures if isinstance(f, LeaseLost)), None)
            if lost is not None:
                raise lost
            self._progress.note_written(
                (str(item.entry.get("fortnox_id")), item.outcome)
                for item in outcomes
                if isinstance(item, Outcome)
            )
            if len(outcomes) == len(entities):  # one outcome per entity, in their order
                self._progress.note_stuck(
                    (
                        entity_id(entity) or ""
                        for entity, item in zip(entities, outcomes, strict=True)
                        if own_error(item)
                    ),
                    others_written=any(
                        isinstance(item, Outcome) and item.outcome in WRITTEN for item in outcomes
                    ),
                )
            raise failures[0]
        self._report(phase, outcomes, listed, started)
        return page_number < listed.total_pages

    async def _slipped(
        self, phase: Phase, page_before: int, count: int, entities: Sequence[Entity]
    ) -> list[Entity]:
        """The entities that slipped onto ``page_before`` since it was listed: that page listed
        again (never from a read-ahead)."""
        again = await self._ctx.fortnox.list_page(
            PHASE_MODELS[phase],
            page_before,
            sort_by=SORT_KEYS[phase],
            filter=LIST_FILTERS.get(phase),
        )
        held = {entity_id(entity) or "" for entity in entities}
        listed = [entity for entity in again.items if entity_id(entity) is not None]
        return slipped_entities(listed, count, held, entity_id)

    async def _prepare(self, phase: Phase) -> PhaseImport:
        """The phase's import, prepared once per run (after a restart, again)."""
        if self._phase is not None and self._phase[0] is phase:
            return self._phase[1]
        self._phase = None
        ctx, effects, semaphore = self._ctx, self._effects, self._semaphore
        work: PhaseImport
        if phase is Phase.CUSTOMERS:
            work = await CustomerImport.prepare(ctx, effects, semaphore)
        elif phase is Phase.ARTICLES:
            work = await ArticleImport.prepare(
                ctx,
                effects,
                semaphore,
                self._reader,
                self._reads_ahead,
                extras=self._extras,
                links=self._links,
            )
        else:
            work = await DocumentImport.prepare(phase, ctx, self._documents, semaphore)
        self._phase = (phase, work)
        return work

    def _report(
        self,
        phase: Phase,
        outcomes: list[Outcome | BaseException],
        listed: ListPage[Entity],
        started: float,
    ) -> None:
        progress = self._progress.phase(phase)
        progress.total = listed.total_resources
        progress.seconds += self._ctx.monotonic() - started
        for item in outcomes:
            if isinstance(item, BaseException):
                continue
            progress.done += 1
            progress.count(self._progress.told(str(item.entry.get("fortnox_id")), item.outcome))
            for kind, result in item.writes.items():
                progress.count_write(kind, result)
            entry = {"phase": phase.value, **item.entry}
            if item.outcome == "ambiguous":
                self._progress.report_ambiguous(entry)
            elif item.outcome == "failed" or FAILED in item.writes.values():
                self._progress.report_failed(entry)
            if self._listener is not None:
                self._listener.record(phase, item.outcome, entry)
        skipped = len(listed.items) - sum(1 for _ in outcomes)
        if skipped > 0:  # entities without a number (never seen in practice)
            progress.done += skipped
            progress.count("skipped", skipped)
