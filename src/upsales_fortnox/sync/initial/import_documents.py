"""A document phase (offers, orders, invoices): what is the same however documents are judged.

A document linked already is ``unchanged``; one an Upsales order carries the reference of
(``FORTNOX_DOCUMENT``: an order created just before a crash, say; in an account without that
field, the order's description) is linked to that order. The
rest is for the phase's :class:`DocumentJudge`: the run reads and imports them
(:class:`~.read_documents.ReadDocuments`), the preview judges their list items.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from upsales_fortnox.domain.inbound.document_changes import described_as
from upsales_fortnox.domain.initial_phases import (
    FORTNOX_TYPES,
    PHASE_MODELS,
    SORT_KEYS,
    Phase,
    entity_id,
)
from upsales_fortnox.domain.references import DOCUMENT_FIELD_ALIAS, fortnox_document_reference
from upsales_fortnox.integrations.fortnox.listing import ListPage
from upsales_fortnox.integrations.fortnox.models import Entity
from upsales_fortnox.links.repository.link_reads import linked_by_fortnox_id
from upsales_fortnox.sync.initial.import_context import ImportContext
from upsales_fortnox.sync.initial.import_outcomes import Job, Outcome, Run, done, gather_outcomes
from upsales_fortnox.sync.initial.indexes import (
    custom_field_id,
    order_reference_index,
)
from upsales_fortnox.vocabulary import FortnoxType


@dataclass
class DocumentIndexes:
    """What a document phase looks up in, built once per phase."""

    order_refs: dict[str, int]
    """Fortnox document reference → the Upsales order carrying it."""
    document_field_id: int | None
    """The order custom field ``FORTNOX_DOCUMENT``."""
    article_products: dict[str, int]
    """Article number → linked product id (every article link)."""

    def key(self, fortnox_type: FortnoxType, number: str) -> str:
        """What :attr:`order_refs` knows a document's order by: its reference, or without the
        custom field the description the import gives it."""
        if self.document_field_id is None:
            return described_as(fortnox_type, number)
        return fortnox_document_reference(fortnox_type, number)


class DocumentJudge(Protocol):
    """How a document phase treats the documents no link or reference names."""

    def start(self, phase: Phase, first_page: int) -> None:
        """Begin reading ``phase`` from ``first_page`` ahead of the import, if reading."""

    async def stop(self) -> None: ...

    async def page(self, phase: Phase, number: int) -> ListPage[Entity] | None:
        """Page ``number`` if it was listed ahead; None: the phase lists it."""

    async def prepare(self, phase: Phase) -> None:
        """Look up what judging ``phase`` needs, once per phase."""

    def found(self, listed: Entity, order_id: int, entry: dict[str, Any]) -> Run:
        """Link the document to the order carrying its reference."""

    def unlinked(
        self,
        indexes: DocumentIndexes,
        listed: Entity,
        customer_links: dict[str, int],
        entry: dict[str, Any],
    ) -> Run:
        """Import the document (``customer_links``: its customer's link, if any)."""


class DocumentImport:
    def __init__(
        self,
        phase: Phase,
        ctx: ImportContext,
        judge: DocumentJudge,
        semaphore: asyncio.Semaphore,
        indexes: DocumentIndexes,
    ) -> None:
        self._phase = phase
        self._ctx = ctx
        self._judge = judge
        self._semaphore = semaphore
        self._indexes = indexes

    @classmethod
    async def prepare(
        cls, phase: Phase, ctx: ImportContext, judge: DocumentJudge, semaphore: asyncio.Semaphore
    ) -> DocumentImport:
        fields = await ctx.upsales.list_custom_fields("order")
        field_id = custom_field_id(fields, DOCUMENT_FIELD_ALIAS)
        fortnox_type = FORTNOX_TYPES[phase]
        linked = await linked_by_fortnox_id(ctx.session_factory, ctx.installation_id, fortnox_type)
        indexes = DocumentIndexes(
            order_refs=await order_reference_index(
                ctx.upsales, field_id, linked_ids=set(linked.values())
            ),
            document_field_id=field_id,
            article_products=await linked_by_fortnox_id(
                ctx.session_factory, ctx.installation_id, FortnoxType.ARTICLE
            ),
        )
        await judge.prepare(phase)
        return cls(phase, ctx, judge, semaphore, indexes)

    async def list_page(self, number: int) -> ListPage[Entity]:
        listed = await self._judge.page(self._phase, number)
        if listed is not None:
            return listed
        return await self._ctx.fortnox.list_page(
            PHASE_MODELS[self._phase], number, sort_by=SORT_KEYS[self._phase]
        )

    async def import_page(
        self,
        documents: Sequence[Entity],
        linked: dict[str, int],
        given_up: Collection[str] = (),
    ) -> list[Outcome | BaseException]:
        fortnox_type = FORTNOX_TYPES[self._phase]
        customer_numbers = {_customer_number(document) for document in documents} - {""}
        customer_links = await self._ctx.linked(Phase.CUSTOMERS, sorted(customer_numbers))
        jobs: list[Job] = []
        for listed in documents:
            number = entity_id(listed) or ""
            entry: dict[str, Any] = {
                "fortnox_id": number,
                "customer": _customer_number(listed),
                "name": getattr(listed, "CustomerName", None),
            }
            if number in linked:
                jobs.append((entry, done("unchanged", {**entry, "upsales_id": linked[number]})))
                continue
            found = self._indexes.order_refs.get(self._indexes.key(fortnox_type, number))
            if found is not None:
                matched = {**entry, "upsales_id": found, "matched_on": "document_reference"}
                jobs.append((entry, self._judge.found(listed, found, matched)))
                continue
            run = self._judge.unlinked(self._indexes, listed, customer_links, entry)
            jobs.append((entry, run))
        return await gather_outcomes(jobs, self._semaphore, given_up)


def _customer_number(document: Entity) -> str:
    return (getattr(document, "CustomerNumber", None) or "").strip()
