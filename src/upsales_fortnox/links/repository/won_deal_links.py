"""A won deal's links, all through :class:`WonDealLinks`: every link the deal needs read in one
query, with its intent to create its document in the same transaction, the intent recorded
once the create holds its place in the rate budget (:mod:`.document_intents`); its company's
and products' links, when the deal makes them, committed at once (a created customer is linked
before anything else can fail); and its order link saved with the job's completion, or in a
transaction of its own."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from upsales_fortnox.core.db.one_statement import one_statement
from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.domain.link_view import LinkView
from upsales_fortnox.domain.outbound.deal_documents import SENT_AS, deal_documents
from upsales_fortnox.links.repository.company_links import company_linked
from upsales_fortnox.links.repository.customer_create_notes import (
    CustomerCreate,
    customer_creates_to_wait_for,
    forget_customer_create,
    note_customer_create,
    settle_customer_create,
)
from upsales_fortnox.links.repository.deal_link_read import DealLinks, read_deal_links
from upsales_fortnox.links.repository.document_intents import (
    EarlierIntent,
    record_intent,
    renew_intent,
    settle_intent,
    withdraw_intent,
)
from upsales_fortnox.links.repository.earlier_deal_documents import keep_earlier
from upsales_fortnox.links.repository.links import LinkStore, remove_link, save_link
from upsales_fortnox.vocabulary import FortnoxType, LinkEntity

logger = logging.getLogger(__name__)

LinkWrite = Callable[[AsyncConnection], Awaitable[None]]
"""A link's write, run in a transaction someone else commits (the job's completion)."""


class WonDealLinks:
    """The links of one installation's won deals. With ``with_completion`` (the job's
    ``save_with_completion``), an order link is saved in the transaction that records the job
    done; without, in a transaction of its own."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        installation_id: uuid.UUID,
        *,
        with_completion: Callable[[LinkWrite], None] | None = None,
    ) -> None:
        self._session_factory = session_factory
        self._engine: AsyncEngine = session_factory.kw["bind"]
        """The deal's own transactions run on a bare connection (a session costs more CPU)."""
        self._installation_id = installation_id
        self._with_completion = with_completion
        self._own_intent: tuple[int, datetime] | None = None
        """The order whose intent this attempt recorded (or renewed), and when."""
        self._intent_to_record: tuple[int, FortnoxType] | None = None
        """The order whose intent the create records once it is sent, as which type: read
        without one. Held with ``_own_intent`` only while that is the intent a customer note
        gave the deal (its document not sent yet)."""
        self._intent_to_renew: tuple[int, datetime] | None = None
        """The order whose intent, its wait passed (the ``settles_at`` it waited for), this
        attempt's create renews as its own once it is sent (:meth:`renew_as_sent`)."""
        self._create_may_land = False
        """This attempt's create was sent, and not refused."""
        self._document_type: FortnoxType | None = None
        """The type of the order's document: linked, or to be created."""
        self._customer_note: tuple[int, datetime] | None = None
        """The order, and the time, of the customer create this attempt noted."""
        self._set_aside: LinkView | None = None
        """The order set aside for the cancelled invoice made of it, as read."""
        self._ended: dict[FortnoxType, LinkView] = {}
        """The deal's links to ended documents, as read (see :meth:`save_order_link`)."""

    async def read(
        self,
        order_id: int,
        company_id: int | None,
        product_ids: Sequence[int],
        *,
        intent: FortnoxType | None,
    ) -> DealLinks:
        """The order's own link (not one whose document's cancellation was synced: won again,
        the deal gets a new document), its company's and its products', in one query; and with
        ``intent`` (the type of document a won deal is sent as), when the order has no invoice
        or order linked yet, its earlier attempt's intent (of an offer's order, linked to an
        offer), read in the same transaction. Without one, its create records it as it is sent
        (:meth:`record_intent_as_sent`)."""
        sent_before = None
        async with one_statement(self._engine) as connection:
            read = await read_deal_links(
                connection,
                self._installation_id,
                order_id,
                company_id,
                product_ids,
                with_intent=intent is not None,
            )
        found = read.links
        documents = deal_documents(found)
        order_links = documents.live
        made = bool(order_links) and order_links[0].fortnox_type in SENT_AS
        if intent is not None and not made:
            sent_before = read.intent
            if sent_before is None:  # a deal of an offer creates the order Fortnox makes of it
                self._intent_to_record = (order_id, FortnoxType.ORDER if order_links else intent)
        if made:
            self._document_type = order_links[0].fortnox_type
        elif sent_before is not None:
            self._document_type = sent_before.fortnox_type
        else:
            self._document_type = intent
        self._set_aside = None if order_links else documents.set_aside_order
        self._ended = {link.fortnox_type: link for link in found if link.document_ended}
        companies = [link for link in found if link.entity is LinkEntity.COMPANY]
        return DealLinks(
            order=order_links[0] if order_links else None,
            company=companies[0] if companies else None,
            articles={
                link.upsales_id: link.fortnox_id
                for link in found
                if link.entity is LinkEntity.PRODUCT
            },
            sent_before=sent_before,
            set_aside=self._set_aside,
            ended=documents.ended if sent_before is not None else frozenset(),
        )

    async def take_back(self, links: DealLinks) -> DealLinks:
        """The deal's links with its set-aside order as its document again (Fortnox opened
        it again): it is updated, nothing created. Its link is saved again, so that from now
        on it is live (saved after the cancellation that set it aside)."""
        order = links.set_aside
        assert order is not None and links.sent_before is None
        self._set_aside = None
        self._intent_to_record = None
        self._document_type = order.fortnox_type
        await self.save_order_link(
            order.upsales_id,
            order.fortnox_type,
            order.fortnox_id,
            order.fingerprint,
            order.synced_fields,
        )
        return replace(links, order=order, set_aside=None)

    def create_sent(self) -> None:
        self._create_may_land = True  # the create is being sent: from now on it may land

    async def record_intent_as_sent(self) -> bool:
        """The document's create holds its place and is about to be sent: the deal's intent
        is recorded (or, after a wait, renewed), committed at once, unless this attempt holds it
        already (given by its customer note). False, and nothing may be sent, when another run
        of the deal recorded one since this one read none, or renewed the one this one waited
        for. Should the write fail, the next try records it again."""
        renewal, self._intent_to_renew = self._intent_to_renew, None
        to_renew = renewal if self._own_intent is None else None
        if to_renew is not None and not await self.create_after_wait(*to_renew):
            return False
        pending = self._intent_to_record
        if pending is not None and self._own_intent is None:
            order_id, fortnox_type = pending
            recorded_at = utcnow()
            async with one_statement(self._engine) as connection:  # committed as it answers
                if not await record_intent(
                    connection, self._installation_id, order_id, fortnox_type, recorded_at
                ):
                    return False
            self._own_intent = (order_id, recorded_at)
        self._intent_to_record = None
        self.create_sent()
        return True

    def create_ended(self) -> None:
        self._create_may_land = False  # Fortnox refused it, or made what is now linked

    async def withdraw_unsent_intent(self) -> None:
        """After a failure: forget the intent this attempt recorded (or renewed) when no create
        of it can land, so the next attempt creates without a search. Best effort: a kept
        intent costs that attempt a search and the settle time, never a second document."""
        own, self._own_intent = self._own_intent, None
        if own is None or self._create_may_land:
            return
        order_id, recorded_at = own
        try:
            async with self._engine.begin() as connection:
                await withdraw_intent(
                    connection, self._installation_id, order_id, recorded_at, utcnow()
                )
        except Exception:
            logger.warning("a won deal's unsent intent was kept", exc_info=True)

    async def search_again_at(
        self,
        order_id: int,
        settles_at: datetime,
        searched_for: EarlierIntent,
        *,
        searched_at: datetime | None = None,
    ) -> bool:
        """Store, committed at once, when to search for the order's document again after a
        search for the create of ``searched_for`` (begun at ``searched_at``: the deal's customer
        create noted before it waits as long); False when another run of the deal changed the
        intent (or removed it) first."""
        async with self._engine.begin() as connection:
            return await settle_intent(
                connection,
                self._installation_id,
                order_id,
                settles_at,
                searched_for.recorded_at,
                customers_sent_before=searched_at,
            )

    def renew_as_sent(self, order_id: int, waited_for: datetime) -> None:
        """No earlier create can land any more: the intent that waited for ``waited_for`` is
        renewed as this attempt's own once its create holds its place
        (:meth:`record_intent_as_sent`), not before, so an attempt stopped before that (its
        customer or articles still on their way) leaves no intent of a create never sent."""
        self._intent_to_renew = (order_id, waited_for)

    async def create_after_wait(self, order_id: int, waited_for: datetime) -> bool:
        """No earlier create can land any more, and this attempt's is about to be sent: the
        intent that waited for ``waited_for`` is renewed as this attempt's own, committed at
        once. False, and nothing is sent, when another run of the deal got there first."""
        recorded_at = utcnow()
        async with self._engine.begin() as connection:
            renewed = await renew_intent(
                connection, self._installation_id, order_id, waited_for, recorded_at
            )
        if renewed:
            self._own_intent = (order_id, recorded_at)
        return renewed

    async def customer_create_sent(
        self, order_id: int, company_id: int, sent_fields: Mapping[str, str | None]
    ) -> bool:
        """Committed before the company's new customer, made of ``sent_fields``, is sent: for
        the company's deals to wait for it (see :mod:`.document_intents`). The note goes once
        the customer is linked (:meth:`save_company_link`), or refused
        (:meth:`customer_create_refused`). False, and nothing may be sent, while another run's
        create of the deal may still land."""
        assert self._document_type is not None, "the deal's links are read first"
        sent_at = utcnow()
        async with self._engine.begin() as connection:
            noted = await note_customer_create(
                connection,
                self._installation_id,
                order_id,
                company_id,
                sent_at,
                self._document_type,
                sent_fields,
            )
        if noted is None:
            return False
        self._customer_note = (order_id, sent_at)
        if noted == sent_at and self._intent_to_record is not None:
            self._own_intent = (order_id, sent_at)  # the document's create records none
        return True

    async def customer_create_refused(self) -> None:
        """The customer create this attempt noted made nothing. Best effort: a note kept costs
        a deal of the company one wait, never a second customer."""
        note, self._customer_note = self._customer_note, None
        if note is None:
            return
        try:
            async with self._engine.begin() as connection:
                await forget_customer_create(connection, self._installation_id, *note)
        except Exception:
            logger.warning("a refused customer create stayed noted", exc_info=True)

    async def customer_creates_to_wait_for(
        self, order_id: int, company_id: int
    ) -> list[CustomerCreate]:
        """The deal's own noted customer create, and the latest one of the company's customer
        that another deal noted (see
        :func:`.customer_create_notes.customer_creates_to_wait_for`)."""
        async with self._engine.connect() as connection:
            return await customer_creates_to_wait_for(
                connection, self._installation_id, order_id, company_id
            )

    async def company_link(self, company_id: int) -> LinkView | None:
        """The company's link to its Fortnox customer, as committed now."""
        async with self._session_factory() as session:
            return await LinkStore(session, self._installation_id).by_upsales(
                LinkEntity.COMPANY, company_id, FortnoxType.CUSTOMER
            )

    async def customer_linked_to(self, customer_number: str) -> int | None:
        """The company the Fortnox customer is linked to, as committed now (None: none)."""
        async with self._session_factory() as session:
            links = LinkStore(session, self._installation_id)
            link = await links.by_fortnox(FortnoxType.CUSTOMER, customer_number)
            return link.upsales_id if link is not None else None

    async def search_customer_again_at(self, create: CustomerCreate, settles_at: datetime) -> bool:
        """Store, committed at once, when to search for the customer again after a search that
        missed ``create``; False when another run changed it first."""
        async with self._engine.begin() as connection:
            return await settle_customer_create(
                connection, self._installation_id, create, settles_at
            )

    async def save_company_link(
        self,
        company_id: int,
        customer_number: str,
        fingerprint: str | None,
        synced_fields: Mapping[str, Any] | None,
        *,
        sync_company: bool = False,
    ) -> None:
        """Link the company to its Fortnox customer, committed at once; the creates of it
        that deals noted are forgotten with it (:func:`.forget_company_customer_creates`).
        ``sync_company``: the company has changed since ``synced_fields``, so its sync job is
        queued in the same transaction (its changes reach the customer). An intent this
        attempt's note gave the deal goes with the note, its document not sent: the document's
        create records it as it is sent (a create still waiting for its place when the worker
        stops then leaves none)."""
        self._customer_note = None
        of_note = self._intent_to_record is not None and not self._create_may_land
        own = self._own_intent if of_note else None
        async with self._session_factory() as session:
            await LinkStore(session, self._installation_id).save(
                LinkEntity.COMPANY,
                company_id,
                FortnoxType.CUSTOMER,
                customer_number,
                fingerprint,
                synced_fields=synced_fields,
            )
            await company_linked(session, self._installation_id, company_id, sync_company)
            if own is not None:  # kept when another run set it waiting: then nothing is sent
                connection = await session.connection()
                await withdraw_intent(connection, self._installation_id, *own, utcnow())
            await session.commit()
        if own is not None:
            self._own_intent = None  # the document's create records its own

    async def link_article(self, product_id: int, article_number: str) -> bool:
        """Link the product to the article, committed at once, unless the article is linked
        already; whether it was linked now."""
        async with self._session_factory() as session:
            links = LinkStore(session, self._installation_id)
            if await links.by_fortnox(FortnoxType.ARTICLE, article_number) is not None:
                return False
            await links.save(
                LinkEntity.PRODUCT, product_id, FortnoxType.ARTICLE, article_number, None
            )
            await session.commit()
            return True

    async def save_order_link(
        self,
        order_id: int,
        fortnox_type: FortnoxType,
        fortnox_id: str,
        fingerprint: str | None,
        synced_fields: Mapping[str, Any] | None,
    ) -> None:
        """Link the order to the document written for it. An order the deal set aside (see
        :class:`DealLinks`) is unlinked with it when the document is of another type (one of
        its type takes its link in place): its next run must not take it back. An ended
        document whose link it takes is kept as an earlier one of the deal."""
        link = (LinkEntity.ORDER, order_id, fortnox_type, fortnox_id, fingerprint)
        superseded = self._set_aside
        self._set_aside = None
        ended = self._ended.pop(fortnox_type, None)

        async def write(connection: AsyncConnection) -> None:
            if ended is not None and ended.fortnox_id != fortnox_id:
                await keep_earlier(connection, self._installation_id, ended)
            await save_link(connection, self._installation_id, *link, synced_fields=synced_fields)
            if superseded is not None and superseded.fortnox_type is not fortnox_type:
                await remove_link(connection, self._installation_id, superseded)

        if self._with_completion is not None:  # one transaction fewer (see .document_intents)
            self._with_completion(write)
            return
        async with self._engine.begin() as connection:
            await write(connection)
