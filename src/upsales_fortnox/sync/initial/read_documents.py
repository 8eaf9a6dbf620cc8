"""How the import judges a document: read it whole (its rows are not in the list), plan it with
the inbound sync's pure functions, and carry out the commands.

Documents are read ahead of their pages (:mod:`.read_ahead`); a page takes its listing and
documents from there instead of asking Fortnox again. A document whose customer is not linked
(ambiguous, say) is skipped with that reason.
"""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Any

from upsales_fortnox.domain.inbound.decide_document import (
    DEFAULT_OFFER_PROBABILITY,
    Action,
    LinkedOrder,
    UpsalesOrderState,
    document_commands,
    offer_probability,
    plan_document,
)
from upsales_fortnox.domain.inbound.document_changes import (
    FortnoxDocument,
    OrderReferences,
    document_fingerprint,
    document_lines,
    document_type,
    needs_fallback_product,
    predecessor,
)
from upsales_fortnox.domain.inbound.products import NO_ARTICLE_NUMBER, no_article_product
from upsales_fortnox.domain.inbound.users import SettingsIncomplete, order_user
from upsales_fortnox.domain.initial_phases import Phase
from upsales_fortnox.domain.references import parse_outbound_reference
from upsales_fortnox.domain.sync_commands import CreateUpsalesProduct, SaveLink
from upsales_fortnox.integrations.fortnox.listing import ListPage
from upsales_fortnox.integrations.fortnox.models import Entity
from upsales_fortnox.integrations.upsales.errors import UpsalesNotFound
from upsales_fortnox.integrations.upsales.models import User
from upsales_fortnox.links.repository.links import LinkStore
from upsales_fortnox.sync import interpreter
from upsales_fortnox.sync.deal_rest import rest_lives
from upsales_fortnox.sync.initial.document_articles import DocumentArticles
from upsales_fortnox.sync.initial.import_context import ImportContext
from upsales_fortnox.sync.initial.import_documents import DocumentIndexes
from upsales_fortnox.sync.initial.import_outcomes import Outcome, Run, carry_out
from upsales_fortnox.sync.initial.read_ahead import (
    PagesAhead,
    document_number,
    document_read_ahead,
    read_document,
)
from upsales_fortnox.sync.interpreter import Effects
from upsales_fortnox.vocabulary import LinkEntity


class ReadDocuments:
    """The run's :class:`~.import_documents.DocumentJudge`."""

    def __init__(self, ctx: ImportContext, effects: Effects) -> None:
        self._ctx = ctx
        self._effects = effects
        self._ahead = PagesAhead[FortnoxDocument](
            lambda phase, first: document_read_ahead(
                phase, ctx.fortnox, ctx.linked, first_page=first
            )
        )
        self._users: list[User] = []
        self._offer_probability = DEFAULT_OFFER_PROBABILITY
        self._fallback_product_id: int | None = None
        self._fallback_lock = asyncio.Lock()
        self._articles = DocumentArticles(ctx, effects)

    # --- reading ahead ----------------------------------------------------------------------

    def start(self, phase: Phase, first_page: int) -> None:
        self._ahead.start(phase, first_page)

    async def stop(self) -> None:
        await self._ahead.stop()

    async def page(self, phase: Phase, number: int) -> ListPage[Entity] | None:
        return await self._ahead.page(phase, number)

    async def _read(self, listed: Entity) -> FortnoxDocument:
        document = self._ahead.pop(document_number(listed))
        if document is not None:
            return document
        return await read_document(self._ctx.fortnox, listed)

    # --- judging ----------------------------------------------------------------------------

    async def prepare(self, phase: Phase) -> None:
        self._users = await self._ctx.upsales.list_users()
        self._offer_probability = DEFAULT_OFFER_PROBABILITY
        if phase is Phase.OFFERS:
            self._offer_probability = await self._offer_stage_probability()
        self._fallback_product_id = None

    def found(self, listed: Entity, order_id: int, entry: dict[str, Any]) -> Run:
        async def run() -> Outcome:
            document = await self._read(listed)
            fingerprint = document_fingerprint(document)
            kind = document_type(document)
            link = SaveLink(LinkEntity.ORDER, order_id, kind, entry["fortnox_id"], fingerprint)
            outcome, _ = await carry_out([link], self._effects, entry, "linked")
            return outcome

        return run

    def unlinked(
        self,
        indexes: DocumentIndexes,
        listed: Entity,
        customer_links: dict[str, int],
        entry: dict[str, Any],
    ) -> Run:
        async def run() -> Outcome:
            document = await self._read(listed)
            fingerprint = document_fingerprint(document)
            settings = self._ctx.settings
            planned = partial(
                plan_document,
                document,
                settings=settings,
                fingerprint=fingerprint,
                own=None,
                predecessor=await self._predecessor(document),
                outbound_order=await self._outbound_order(document),
            )
            plan = planned()
            if plan.moves_to_lost and plan.order_id is not None:
                live = rest_lives(
                    self._ctx.fortnox,
                    document,
                    plan.order_id,
                    credit_invoices=settings.credit_invoices,
                )
                if await live:
                    plan = planned(rest_live=True)
            if plan.action is Action.SKIP:
                return Outcome("skipped", {**entry, "reason": plan.reason})
            refs = None
            if plan.needs_references:
                company_id = customer_links.get(entry["customer"])
                if company_id is None:
                    return Outcome("skipped", {**entry, "reason": "customer_not_linked"})
                try:
                    refs = await self._references(indexes, document, company_id)
                except SettingsIncomplete as exc:
                    return Outcome("failed", {**entry, "reason": exc.message})
            commands = document_commands(
                plan,
                document,
                settings=settings,
                fingerprint=fingerprint,
                refs=refs,
                offer_probability=self._offer_probability,
                today=self._ctx.today(),
            )
            if plan.order_id is not None:
                entry["upsales_id"] = plan.order_id
            default = "created" if plan.action is Action.CREATE else "linked"
            outcome, applied = await carry_out(commands, self._effects, entry, default)
            key = indexes.key(document_type(document), str(document.DocumentNumber))
            for order in applied.created:  # found by its reference if the page runs again
                indexes.order_refs[key] = order.id
            return outcome

        return run

    # --- what a plan needs ------------------------------------------------------------------

    async def _predecessor(self, document: FortnoxDocument) -> LinkedOrder | None:
        earlier = predecessor(document)
        if earlier is None:
            return None
        fortnox_type, number = earlier
        async with self._ctx.session_factory() as session:
            link = await LinkStore(session, self._ctx.installation_id).by_fortnox(
                fortnox_type, number
            )
        if link is None:
            return None
        return LinkedOrder(link, await self._order_state(link.upsales_id))

    async def _outbound_order(self, document: FortnoxDocument) -> UpsalesOrderState | None:
        order_id = parse_outbound_reference(getattr(document, "ExternalInvoiceReference1", None))
        return await self._order_state(order_id) if order_id is not None else None

    async def _order_state(self, order_id: int) -> UpsalesOrderState | None:
        try:
            order = await self._ctx.upsales.get_order(order_id)
        except UpsalesNotFound:
            return None
        return UpsalesOrderState(
            order.id, order.stage.id if order.stage else None, order.probability
        )

    async def _references(
        self, indexes: DocumentIndexes, document: FortnoxDocument, company_id: int
    ) -> OrderReferences:
        lines = document_lines(document)
        numbers = [line.article_number for line in lines if line.article_number is not None]
        await self._articles.bring_over(numbers, indexes.article_products)
        product_ids = {
            line.article_number: indexes.article_products[line.article_number]
            for line in lines
            if line.article_number in indexes.article_products
        }
        fallback = None
        if needs_fallback_product(lines, product_ids):
            fallback = await self._fallback_product()
        return OrderReferences(
            company_id=company_id,
            user_id=order_user(document.OurReference, self._users, self._ctx.settings),
            product_ids=product_ids,
            fallback_product_id=fallback,
            document_field_id=indexes.document_field_id,
        )

    async def _fallback_product(self) -> int | None:
        """The product of rows without an article; created on first use (None: the effects
        target created nothing). One document at a time looks it up: the page's documents
        are imported together, and each creating it would make one product per document
        (Upsales refuses all but the first: article numbers are unique)."""
        async with self._fallback_lock:
            return await self._fallback_product_locked()

    async def _fallback_product_locked(self) -> int | None:
        if self._fallback_product_id is None:
            found = await self._ctx.upsales.find_product_by_article_no(NO_ARTICLE_NUMBER)
            if found is not None:
                self._fallback_product_id = found.id
            else:
                create = CreateUpsalesProduct(no_article_product(), None)
                created = (await interpreter.apply([create], self._effects)).created_ids
                self._fallback_product_id = created[0] if created else None
        return self._fallback_product_id

    async def _offer_stage_probability(self) -> int:
        stages = await self._ctx.upsales.list_order_stages()
        return offer_probability(stages, self._ctx.settings.offer_stage)
